//===- DenseApproximation.cpp - Rebuild the dense tensor of an encoding ----===//
//
// W = round_T( S ⊙ (select(M, deq(Q), 0) + scatter(O) + U·V) ), computed in
// the view's compute type (f32, or f64 for f64 tensors) and rounded once;
// S multiplies every element by the smooth multiplier of its channel.
//
// Everything is built on the matrix view [dim0, dim1*...*dimN] that all
// facets are defined on, and reshaped to the tensor's shape at the end.
//
// The main term is built in two steps: the sparse facet scatters the stored
// values (codes when quantized) to their dense positions and yields a keep
// mask; the quant facet then dequantizes every position, using the dense
// coordinate to find the element's group, and zeroes pruned positions.
//
//===----------------------------------------------------------------------===//
#include "qsl/Conversion/QSLToLinalg/QSLToLinalg.h"

#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::builders;

namespace {

/// The side tensors of one encoded value, looked up by role.
class StorageValues {
public:
  StorageValues(const EncodedTensorType &type, ValueRange values) {
    SmallVector<StorageTensor> storage = type.getStorage();
    assert(storage.size() == values.size() && "storage arity mismatch");
    for (auto [s, v] : llvm::zip_equal(storage, values))
      byRole[static_cast<unsigned>(s.role)] = v;
  }
  Value operator[](StorageRole role) const {
    Value v = byRole[static_cast<unsigned>(role)];
    assert(v && "side tensor not present for this encoding");
    return v;
  }

private:
  Value byRole[kNumStorageRoles];
};

/// The main term before dequantization: values at dense positions, plus the
/// keep mask (null when every position is kept).
struct ScatteredMain {
  Value dense;
  Value keep;
};

class DenseApproximationBuilder {
public:
  DenseApproximationBuilder(OpBuilder &b, Location loc,
                            const EncodedTensorType &type, ValueRange storage)
      : b(b), loc(loc), type(type), storage(type, storage),
        computeType(type.getComputeType()) {}

  Value build() {
    Value total;
    if (type.hasMainTerm())
      total = buildMainTerm();
    if (type.getOutliers())
      total = addOutliers(total);
    if (type.getLowRank())
      total = addLowRank(total);
    assert(total && "an encoding has at least one facet");
    if (type.getSmooth())
      total = applySmooth(total);
    total = convertFloatTensor(b, loc, total, type.getElementType());
    return fromMatrix(b, loc, total, type.getDenseType());
  }

private:
  /// A tensor type of the matrix view's shape.
  RankedTensorType matrixTypeOf(Type elementType) const {
    return RankedTensorType::get(type.getMatrixShape(), elementType);
  }

  Value buildMainTerm() {
    Value values = storage[StorageRole::Values];
    ScatteredMain main{values, Value()};
    if (SparseAttr sparse = type.getSparse()) {
      switch (sparse.getKind()) {
      case SparseKind::NM:
        main = scatterNM(sparse);
        break;
      case SparseKind::Unstructured:
        main = scatterUnstructured();
        break;
      case SparseKind::Block:
        main = scatterBlock(sparse);
        break;
      }
    }
    if (type.getQuant())
      return dequantize(main);
    // Sparse only: pruned positions were filled with zero by the scatter.
    return convertFloatTensor(b, loc, main.dense, computeType);
  }

  /// An elementwise generic over the matrix view producing the scattered
  /// values (zero where pruned) and the keep mask.
  ScatteredMain buildScatter(Type valueType, ElementwiseBody body) {
    Value shape =
        tensor::EmptyOp::create(b, loc, type.getMatrixShape(), valueType);
    SmallVector<Value> results = buildElementwise(
        b, loc, shape, ValueRange(), {valueType, b.getI1Type()}, body);
    return {results[0], results[1]};
  }

  /// N:M: the element at dense position j along the axis is the kept value
  /// of run j / M whose metadata equals j % M, if any.
  ScatteredMain scatterNM(SparseAttr sparse) {
    Value values = storage[StorageRole::Values];
    Value meta = storage[StorageRole::Meta];
    Type valueType = getElementTypeOrSelf(values.getType());
    int64_t axis = sparse.getAxis(), n = sparse.getN(), m = sparse.getM();
    return buildScatter(
        valueType,
        [&](OpBuilder &nb, Location nl, ValueRange,
            ValueRange indices) -> SmallVector<Value> {
          Value mC = indexConst(nb, nl, m), nC = indexConst(nb, nl, n);
          Value run = arith::DivUIOp::create(nb, nl, indices[axis], mC);
          Value pos = arith::RemUIOp::create(nb, nl, indices[axis], mC);
          Value first = arith::MulIOp::create(nb, nl, run, nC);
          Value acc = zeroScalar(nb, nl, valueType);
          Value kept = arith::ConstantIntOp::create(nb, nl, 0, 1);
          SmallVector<Value> at(indices);
          for (int64_t t = 0; t < n; ++t) {
            at[axis] = arith::AddIOp::create(nb, nl, first,
                                             indexConst(nb, nl, t));
            Value slot = tensor::ExtractOp::create(nb, nl, meta, at);
            Value slotIndex = arith::IndexCastUIOp::create(
                nb, nl, nb.getIndexType(), slot);
            Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                              slotIndex, pos);
            Value v = tensor::ExtractOp::create(nb, nl, values, at);
            acc = arith::SelectOp::create(nb, nl, hit, v, acc);
            kept = arith::OrIOp::create(nb, nl, kept, hit);
          }
          return {acc, kept};
        });
  }

  /// Walks `flatMask` in order and, for every set bit, calls `onHit` with the
  /// running count of set bits; returns the updated tensor.
  Value forEachSetBit(Value flatMask, Value init,
                      function_ref<Value(OpBuilder &, Location, Value iv,
                                         Value count, Value tensor)>
                          onHit) {
    int64_t size = llvm::cast<RankedTensorType>(flatMask.getType()).getNumElements();
    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, zero, indexConst(b, loc, size), one, ValueRange{init, zero},
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
          Value bit = tensor::ExtractOp::create(nb, nl, flatMask, iv);
          auto ifOp = scf::IfOp::create(
              nb, nl, bit,
              [&](OpBuilder &tb, Location tl) {
                Value updated = onHit(tb, tl, iv, args[1], args[0]);
                Value next = arith::AddIOp::create(tb, tl, args[1],
                                                   indexConst(tb, tl, 1));
                scf::YieldOp::create(tb, tl, ValueRange{updated, next});
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, args);
              });
          scf::YieldOp::create(nb, nl, ifOp.getResults());
        });
    return loop.getResult(0);
  }

  /// Unstructured: kept values are stored in row-major order of the mask.
  ScatteredMain scatterUnstructured() {
    Value values = storage[StorageRole::Values];
    Value mask = storage[StorageRole::Mask];
    Type valueType = getElementTypeOrSelf(values.getType());
    auto flatType = RankedTensorType::get({type.getNumElements()}, valueType);
    Value init = splatTensor(b, loc, flatType, b.getZeroAttr(valueType));
    Value flat = forEachSetBit(
        flatten(b, loc, mask), init,
        [&](OpBuilder &nb, Location nl, Value iv, Value count, Value t) {
          Value v = tensor::ExtractOp::create(nb, nl, values, count);
          return tensor::InsertOp::create(nb, nl, v, t, iv).getResult();
        });
    return {unflatten(b, loc, flat, matrixTypeOf(valueType)), mask};
  }

  /// Block: kept blocks are stored in row-major order of the block mask.
  ScatteredMain scatterBlock(SparseAttr sparse) {
    Value values = storage[StorageRole::Values];
    Value mask = storage[StorageRole::Mask];
    Type valueType = getElementTypeOrSelf(values.getType());
    auto maskType = llvm::cast<RankedTensorType>(mask.getType());
    // Slot of every block in `values`, or -1 for a pruned block.
    auto slotsType = RankedTensorType::get({maskType.getNumElements()},
                                           b.getI64Type());
    Value slots = forEachSetBit(
        flatten(b, loc, mask),
        splatTensor(b, loc, slotsType, b.getI64IntegerAttr(-1)),
        [&](OpBuilder &nb, Location nl, Value iv, Value count, Value t) {
          Value c = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), count);
          return tensor::InsertOp::create(nb, nl, c, t, iv).getResult();
        });
    slots = unflatten(
        b, loc, slots,
        RankedTensorType::get(maskType.getShape(), b.getI64Type()));

    int64_t r = sparse.getBlockRows(), c = sparse.getBlockCols();
    return buildScatter(
        valueType,
        [&](OpBuilder &nb, Location nl, ValueRange,
            ValueRange indices) -> SmallVector<Value> {
          Value rC = indexConst(nb, nl, r), cC = indexConst(nb, nl, c);
          Value br = arith::DivUIOp::create(nb, nl, indices[0], rC);
          Value bc = arith::DivUIOp::create(nb, nl, indices[1], cC);
          Value slot = tensor::ExtractOp::create(nb, nl, slots,
                                                 ValueRange{br, bc});
          Value zero64 = arith::ConstantIntOp::create(nb, nl, 0, 64);
          Value kept = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge,
                                             slot, zero64);
          Value safe = arith::SelectOp::create(nb, nl, kept, slot, zero64);
          Value slotIndex =
              arith::IndexCastOp::create(nb, nl, nb.getIndexType(), safe);
          Value ir = arith::RemUIOp::create(nb, nl, indices[0], rC);
          Value ic = arith::RemUIOp::create(nb, nl, indices[1], cC);
          Value v = tensor::ExtractOp::create(nb, nl, values,
                                              ValueRange{slotIndex, ir, ic});
          Value out = arith::SelectOp::create(
              nb, nl, kept, v, zeroScalar(nb, nl, valueType));
          return {out, kept};
        });
  }

  /// Dequantizes codes at dense positions; pruned positions become 0.
  Value dequantize(ScatteredMain main) {
    QuantAttr quant = type.getQuant();
    int64_t axis = quant.getAxis(), group = quant.getGroup();
    FloatType ct = computeType;
    SmallVector<Value> inputs{main.dense};
    if (main.keep)
      inputs.push_back(main.keep);
    return buildElementwise(
        b, loc, main.dense, inputs, ct,
        [&](OpBuilder &nb, Location nl, ValueRange in,
            ValueRange indices) -> SmallVector<Value> {
          Value code = in[0];
          SmallVector<Value> groupIndex(indices);
          groupIndex[axis] =
              group == 0 ? indexConst(nb, nl, 0)
                         : arith::DivUIOp::create(nb, nl, indices[axis],
                                                  indexConst(nb, nl, group))
                               .getResult();
          Value w;
          if (quant.hasCodebook()) {
            SmallVector<Value> at(groupIndex);
            at.push_back(arith::IndexCastUIOp::create(
                nb, nl, nb.getIndexType(), code));
            Value entry = tensor::ExtractOp::create(
                nb, nl, storage[StorageRole::Codebook], at);
            w = convertFloat(nb, nl, entry, ct);
          } else {
            Value stored = tensor::ExtractOp::create(
                nb, nl, storage[StorageRole::Scales], groupIndex);
            Value scale;
            if (quant.hasQuantizedStats()) {
              // scale = stat_scale[h] * (code - stat_zero[h]), h = the group
              // index with the other axis divided by stat_group.
              SmallVector<Value> statIndex(groupIndex);
              int64_t other = 1 - axis;
              statIndex[other] = arith::DivUIOp::create(
                  nb, nl, groupIndex[other],
                  indexConst(nb, nl, quant.getStatGroup()));
              Value ss = convertFloat(
                  nb, nl,
                  tensor::ExtractOp::create(
                      nb, nl, storage[StorageRole::StatScales], statIndex),
                  ct);
              Value sz = convertFloat(
                  nb, nl,
                  tensor::ExtractOp::create(
                      nb, nl, storage[StorageRole::StatZeros], statIndex),
                  ct);
              Value code = arith::UIToFPOp::create(nb, nl, ct, stored);
              scale = arith::MulFOp::create(
                  nb, nl, ss, arith::SubFOp::create(nb, nl, code, sz));
            } else {
              scale = convertFloat(nb, nl, stored, ct);
            }
            if (quant.isSymmetric()) {
              Value q = arith::SIToFPOp::create(nb, nl, ct, code);
              w = arith::MulFOp::create(nb, nl, scale, q);
            } else {
              Value q = arith::UIToFPOp::create(nb, nl, ct, code);
              Value zero = tensor::ExtractOp::create(
                  nb, nl, storage[StorageRole::Zeros], groupIndex);
              Value z = llvm::isa<IntegerType>(zero.getType())
                            ? arith::UIToFPOp::create(nb, nl, ct, zero)
                                  .getResult()
                            : convertFloat(nb, nl, zero, ct);
              w = arith::MulFOp::create(nb, nl, scale,
                                        arith::SubFOp::create(nb, nl, q, z));
            }
          }
          if (main.keep)
            w = arith::SelectOp::create(nb, nl, in[1], w,
                                        zeroScalar(nb, nl, ct));
          return {w};
        })[0];
  }

  /// Adds every outlier residual at its linear index (repeats accumulate).
  Value addOutliers(Value total) {
    Value indices = storage[StorageRole::OutlierIndices];
    Value values = storage[StorageRole::OutlierValues];
    Value flat = total ? flatten(b, loc, total)
                       : splatTensor(b, loc,
                                     RankedTensorType::get(
                                         {type.getNumElements()}, computeType),
                                     b.getZeroAttr(computeType));
    int64_t count = type.getOutliers().getCount();
    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, zero, indexConst(b, loc, count), one, ValueRange{flat},
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
          Value raw = tensor::ExtractOp::create(nb, nl, indices, iv);
          Value at =
              arith::IndexCastUIOp::create(nb, nl, nb.getIndexType(), raw);
          Value v = convertFloat(
              nb, nl, tensor::ExtractOp::create(nb, nl, values, iv),
              computeType);
          Value old = tensor::ExtractOp::create(nb, nl, args[0], at);
          Value sum = arith::AddFOp::create(nb, nl, old, v);
          Value next = tensor::InsertOp::create(nb, nl, sum, args[0], at);
          scf::YieldOp::create(nb, nl, next);
        });
    return unflatten(b, loc, loop.getResult(0), matrixTypeOf(computeType));
  }

  /// Adds U·V (the matrix view) computed in the compute type.
  Value addLowRank(Value total) {
    Value u = storage[StorageRole::LowRankU];
    Value v = storage[StorageRole::LowRankV];
    Value init =
        zeroFilledTensor(b, loc, type.getMatrixShape(), computeType);
    Value product =
        linalg::MatmulOp::create(b, loc, ValueRange{u, v}, ValueRange{init})
            .getResult(0);
    if (!total)
      return product;
    return buildElementwise(b, loc, total, ValueRange{total, product},
                            computeType,
                            [&](OpBuilder &nb, Location nl, ValueRange in,
                                ValueRange) -> SmallVector<Value> {
                              return {arith::AddFOp::create(nb, nl, in[0],
                                                            in[1])};
                            })[0];
  }

  /// Multiplies every element by the smooth multiplier of its channel
  /// (its index along the smooth axis).
  Value applySmooth(Value total) {
    Value smooth = storage[StorageRole::Smooth];
    int64_t axis = type.getSmooth().getAxis();
    return buildElementwise(
        b, loc, total, ValueRange{total}, computeType,
        [&](OpBuilder &nb, Location nl, ValueRange in,
            ValueRange indices) -> SmallVector<Value> {
          Value m = tensor::ExtractOp::create(nb, nl, smooth,
                                              ValueRange{indices[axis]});
          return {arith::MulFOp::create(nb, nl, in[0],
                                        convertFloat(nb, nl, m, computeType))};
        })[0];
  }

  OpBuilder &b;
  Location loc;
  const EncodedTensorType &type;
  StorageValues storage;
  FloatType computeType;
};

} // namespace

Value mlir::qsl::buildDenseApproximation(OpBuilder &b, Location loc,
                                         const EncodedTensorType &type,
                                         ValueRange storage) {
  return DenseApproximationBuilder(b, loc, type, storage).build();
}
