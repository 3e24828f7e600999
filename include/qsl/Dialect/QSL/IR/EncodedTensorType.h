//===- EncodedTensorType.h - Storage view of encoded tensors ----*- C++ -*-===//
//
// A value-semantic view over a RankedTensorType with a #qsl.encoding, in the
// spirit of sparse_tensor::SparseTensorType. It is the single place that says
// which side tensors an encoding needs, with which types, and how many bits
// the compressed tensor occupies.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_DIALECT_QSL_IR_ENCODEDTENSORTYPE_H
#define QSL_DIALECT_QSL_IR_ENCODEDTENSORTYPE_H

#include "qsl/Dialect/QSL/IR/QslAttrs.h"

#include <optional>

namespace mlir {
namespace qsl {

/// The side tensors a compressed tensor may be stored in, in storage order.
enum class StorageRole : unsigned {
  Values = 0,     // main-term codes (quant) or kept values (sparse only)
  Scales,         // per-group scales
  Zeros,          // per-group zero points (asymmetric quantization)
  Codebook,       // per-group centroid tables (non-uniform quantization)
  Mask,           // i1 keep-mask (unstructured: per element, block: per block)
  Meta,           // N:M position of every kept element within its run
  OutlierIndices, // linear indices of outliers
  OutlierValues,  // outlier residuals
  LowRankU,       // [rows, rank]
  LowRankV,       // [rank, cols]
  Smooth,         // one multiplier per channel of the smooth axis
  StatScales,     // second-level scales of quantized statistics
  StatZeros,      // second-level zero points of quantized statistics
};
constexpr unsigned kNumStorageRoles = 13;

/// The attribute/keyword name of a role (`values`, `scales`, ...).
llvm::StringRef getStorageRoleName(StorageRole role);

/// One side tensor: its role, logical type and packed width per element.
struct StorageTensor {
  StorageRole role;
  RankedTensorType type;
  /// Bits one element occupies when bit-packed (i4 codes: 4, i1 mask: 1).
  unsigned bitsPerElement;

  int64_t getNumElements() const { return type.getNumElements(); }
  int64_t getBits() const { return getNumElements() * bitsPerElement; }
};

class EncodedTensorType {
public:
  /// The view for `type` when it is a statically shaped ranked tensor of
  /// floats with a #qsl.encoding; std::nullopt otherwise.
  static std::optional<EncodedTensorType> get(Type type);

  RankedTensorType getType() const { return type; }
  EncodingAttr getEncoding() const { return encoding; }
  ArrayRef<int64_t> getShape() const { return type.getShape(); }
  int64_t getRank() const { return type.getRank(); }
  int64_t getDimSize(int64_t d) const { return type.getDimSize(d); }
  int64_t getNumElements() const { return type.getNumElements(); }
  FloatType getElementType() const {
    return llvm::cast<FloatType>(type.getElementType());
  }
  /// The same tensor type without encoding.
  RankedTensorType getDenseType() const;

  QuantAttr getQuant() const { return encoding.getQuant(); }
  SparseAttr getSparse() const { return encoding.getSparse(); }
  OutliersAttr getOutliers() const { return encoding.getOutliers(); }
  LowRankAttr getLowRank() const { return encoding.getLowrank(); }
  SmoothAttr getSmooth() const { return encoding.getSmooth(); }
  /// True when there is a quantized and/or sparse main term; a tensor with
  /// only outliers and/or low-rank facets has none (its main term is 0).
  bool hasMainTerm() const { return getQuant() || getSparse(); }

  /// The matrix view every facet works on: rows = dim 0, cols = product of
  /// the remaining dims (1 for a vector). A conv filter [O, I, kh, kw] is
  /// [O, I*kh*kw], the layout GPTQ and sparse kernels use.
  int64_t getMatrixRows() const { return getDimSize(0); }
  int64_t getMatrixCols() const { return getNumElements() / getDimSize(0); }
  SmallVector<int64_t> getMatrixShape() const;

  /// Shape of the per-group side tensors (scales, zeros) of the quant facet:
  /// the matrix view with the quant axis divided by the group size (or 1).
  SmallVector<int64_t> getGroupShape() const;
  /// Shape of stat_scales/stat_zeros: the group shape with the axis other
  /// than the quant axis divided by stat_group.
  SmallVector<int64_t> getStatShape() const;
  /// Element type of outlier indices: i32 below 2^31 elements, else i64.
  IntegerType getOutlierIndexType() const;

  /// All side tensors this encoding needs, in StorageRole order.
  SmallVector<StorageTensor> getStorage() const;
  /// The side tensor for `role`, if this encoding needs one.
  std::optional<StorageTensor> getStorage(StorageRole role) const;

  /// Bits of all side tensors, bit-packed.
  int64_t getStorageBits() const;
  /// Bytes when every side tensor is bit-packed and padded to a whole byte.
  int64_t getStorageBytes() const;
  /// Storage bits divided by the number of logical elements.
  double getBitsPerParameter() const;
  /// Bits of the dense tensor (elements x element width).
  int64_t getDenseBits() const;

  /// The element type computations are carried out in before the single
  /// final rounding: f64 for f64 tensors, f32 otherwise.
  FloatType getComputeType() const;

private:
  EncodedTensorType(RankedTensorType type, EncodingAttr encoding)
      : type(type), encoding(encoding) {}
  RankedTensorType type;
  EncodingAttr encoding;
};

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_IR_ENCODEDTENSORTYPE_H
