//===- PrunableGroup.h - The subgraph a structured pruning narrows -*- C++ -*-//
//
// A prunable group is the subgraph between one or more producer
// contractions with constant weights and one consumer contraction, through
// which a set of *units* flows unmixed: MLP channels (unit size 1), or the
// heads of an attention block (unit size D, the head dimension). Removing
// unit u removes, from every tensor of the group, the slices that belong to
// it; the producers lose output rows and the consumer input columns.
//
// Every value of the group has a layout: along one dimension `dim`, unit u
// occupies the indices [o + u*block, o + (u+1)*block) for every offset o.
// The consumer's input is [..., H*D] with block D and offset 0. A reshape
// to [..., H, D] moves the units to a dimension of their own (block 1); a
// fused QKV projection's output carries them three times (offsets 0, H*D,
// 2*H*D) and the slices that split it move the offsets.
//
// The walk starts at the consumer's input and follows definitions back to
// the producers through: linalg.generic ops in which the unit dimension is a
// parallel loop (elementwise ops, softmax reductions over other dimensions,
// the batched Q·Kᵀ and P·V contractions), linalg.transpose, linalg.fill,
// tensor.empty, tensor.reshape / expand_shape / collapse_shape (when the
// units stay a dimension of their own), and tensor.extract_slice. Operands
// that do not carry the unit dimension (a mask, a scale) are left as they
// are; constants that do are sliced. No value of the group may be read
// outside it.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_DIALECT_QSL_TRANSFORMS_PRUNABLEGROUP_H
#define QSL_LIB_DIALECT_QSL_TRANSFORMS_PRUNABLEGROUP_H

#include "qsl/Dialect/QSL/Transforms/WeightUses.h"

#include "llvm/ADT/MapVector.h"

namespace mlir {
namespace qsl {

/// Where the units are in one tensor.
struct UnitLayout {
  unsigned dim = 0;
  int64_t block = 1;
  SmallVector<int64_t> offsets; // sorted, each o + units*block <= size
  bool operator==(const UnitLayout &o) const {
    return dim == o.dim && block == o.block && offsets == o.offsets;
  }
};

struct PrunableGroup {
  WeightUse consumer;
  SmallVector<WeightUse> producers;
  int64_t units = 0;    // H
  int64_t unitSize = 1; // D; units * unitSize = consumer.k
  /// Every value of the group: producer results, intermediate values and
  /// the consumer's input.
  llvm::MapVector<Value, UnitLayout> layouts;
  /// Constant operands of group ops that carry the units (sliced copies
  /// replace them).
  DenseMap<OpOperand *, UnitLayout> constants;
  /// The ops between producers and consumer, in program order.
  SmallVector<Operation *> ops;
};

/// The group ending in `consumer` whose units have `unitSize` consecutive
/// input channels of the consumer; `why` says why there is none.
FailureOr<PrunableGroup>
findPrunableGroup(const WeightUse &consumer, int64_t unitSize,
                  const DenseMap<Operation *, const WeightUse *> &usesByOp,
                  std::string &why);

/// The head dimension D of an attention block whose output projection is
/// `consumer`: its input must be a reshape of [..., H, D] into [..., H*D].
/// Returns 0 when it is not.
int64_t headDimension(const WeightUse &consumer);

/// The indices along `layout.dim` (of size `size`) that stay when only the
/// units `keptUnits` (sorted) stay.
SmallVector<int64_t> keptIndices(const UnitLayout &layout, int64_t size,
                                 int64_t units, ArrayRef<int64_t> keptUnits);

/// Rewrites the group for the units `keptUnits`: the producers get the
/// kept rows of `producerWeights` (canonical [N, K], same order as
/// g.producers), the ops in between narrower types and sliced constants,
/// and the consumer the kept columns of `consumerWeight` and the narrower
/// input (its attributes are left to the caller). Old ops are erased.
LogicalResult narrowGroup(PrunableGroup &g, ArrayRef<int64_t> keptUnits,
                          ArrayRef<compress::Matrix> producerWeights,
                          const compress::Matrix &consumerWeight);

/// A dense constant holding `values` (row-major) of `type`, named `name`
/// when it becomes a resource.
Value makeDenseConstant(OpBuilder &b, Location loc, RankedTensorType type,
                        ArrayRef<double> values, StringRef name);

/// A new constant for `use`'s weight holding `canonical` ([N, K], any
/// size) in the stored orientation ([K, N], or [N, K] when transposed).
Value makeWeightConstant(OpBuilder &b, const WeightUse &use,
                         const compress::Matrix &canonical);

} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_DIALECT_QSL_TRANSFORMS_PRUNABLEGROUP_H
