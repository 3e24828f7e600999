//===- QslOps.cpp - QSL operations -----------------------------------------===//
#include "qsl/Dialect/QSL/IR/QslOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qsl;

#define GET_OP_CLASSES
#include "qsl/Dialect/QSL/IR/QslOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

ElementsAttr ConstantOp::getStorage(StorageRole role) {
  switch (role) {
  case StorageRole::Values:
    return getValuesAttr();
  case StorageRole::Scales:
    return getScalesAttr();
  case StorageRole::Zeros:
    return getZerosAttr();
  case StorageRole::Codebook:
    return getCodebookAttr();
  case StorageRole::Mask:
    return getMaskAttr();
  case StorageRole::Meta:
    return getMetaAttr();
  case StorageRole::OutlierIndices:
    return getOutlierIndicesAttr();
  case StorageRole::OutlierValues:
    return getOutlierValuesAttr();
  case StorageRole::LowRankU:
    return getUAttr();
  case StorageRole::LowRankV:
    return getVAttr();
  case StorageRole::Smooth:
    return getSmoothAttr();
  case StorageRole::StatScales:
    return getStatScalesAttr();
  case StorageRole::StatZeros:
    return getStatZerosAttr();
  }
  llvm_unreachable("unknown storage role");
}

LogicalResult ConstantOp::verify() {
  EncodedTensorType view = *EncodedTensorType::get(getType());
  for (unsigned i = 0; i < kNumStorageRoles; ++i) {
    auto role = static_cast<StorageRole>(i);
    StringRef name = getStorageRoleName(role);
    ElementsAttr attr = getStorage(role);
    std::optional<StorageTensor> expected = view.getStorage(role);
    if (!expected && attr)
      return emitOpError() << "has '" << name
                           << "' storage, which the encoding does not use";
    if (expected && !attr)
      return emitOpError() << "is missing '" << name
                           << "' storage required by the encoding (expected "
                           << expected->type << ")";
    if (expected && attr.getType() != expected->type)
      return emitOpError() << "'" << name << "' storage has type "
                           << attr.getType() << " but the encoding requires "
                           << expected->type;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

/// Dense and encoded sides of pack/unpack must describe the same tensor.
static LogicalResult verifySameLogicalType(Operation *op, RankedTensorType dense,
                                           RankedTensorType encoded) {
  if (dense.getShape() != encoded.getShape() ||
      dense.getElementType() != encoded.getElementType())
    return op->emitOpError()
           << "dense type " << dense
           << " must have the shape and element type of the encoded type "
           << encoded;
  return success();
}

LogicalResult PackOp::verify() {
  return verifySameLogicalType(*this, getSource().getType(), getType());
}

OpFoldResult PackOp::fold(FoldAdaptor) {
  // pack(unpack(x)) == x: re-encoding the exact approximation of x into x's
  // own encoding is x itself.
  if (auto unpack = getSource().getDefiningOp<UnpackOp>())
    if (unpack.getSource().getType() == getType())
      return unpack.getSource();
  return {};
}

LogicalResult UnpackOp::verify() {
  return verifySameLogicalType(*this, getType(), getSource().getType());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Two sizes agree when equal or when either is dynamic.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

LogicalResult MatmulOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType result = getType();
  if (input.getRank() < 2)
    return emitOpError() << "input must have rank >= 2 ([batch..., M, K]), got "
                         << input;
  if (weight.getRank() != 2)
    return emitOpError() << "weight must be 2-D, got " << weight;
  if (input.getElementType() != result.getElementType())
    return emitOpError() << "result element type " << result.getElementType()
                         << " must match the input element type "
                         << input.getElementType();
  int64_t k = input.getShape().back();
  int64_t wk = weight.getDimSize(getTransposeW() ? 1 : 0);
  int64_t wn = weight.getDimSize(getTransposeW() ? 0 : 1);
  if (!compatible(k, wk))
    return emitOpError() << "reduction dimension mismatch: input has K = " << k
                         << " but the weight has K = " << wk
                         << (getTransposeW() ? " (transpose_w)" : "");
  if (result.getRank() != input.getRank())
    return emitOpError() << "result must have the rank of the input ("
                         << input.getRank() << "), got " << result;
  for (int64_t d = 0; d + 1 < input.getRank(); ++d)
    if (!compatible(input.getDimSize(d), result.getDimSize(d)))
      return emitOpError() << "result dimension " << d << " is "
                           << result.getDimSize(d) << " but the input has "
                           << input.getDimSize(d);
  if (result.getShape().back() != wn)
    return emitOpError() << "result has N = " << result.getShape().back()
                         << " but the weight has N = " << wn;
  return success();
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType filter = getFilter().getType();
  RankedTensorType result = getType();
  if (input.getRank() != 4 || filter.getRank() != 4 || result.getRank() != 4)
    return emitOpError() << "expects 4-D input (NCHW), filter (OIHW) and "
                            "result";
  if (input.getElementType() != result.getElementType())
    return emitOpError() << "result element type " << result.getElementType()
                         << " must match the input element type "
                         << input.getElementType();
  ArrayRef<int64_t> strides = getStrides(), dilations = getDilations(),
                    pads = getPads();
  if (strides.size() != 2 || llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return emitOpError() << "strides must be two positive integers";
  if (dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t s) { return s < 1; }))
    return emitOpError() << "dilations must be two positive integers";
  if (pads.size() != 4 || llvm::any_of(pads, [](int64_t s) { return s < 0; }))
    return emitOpError() << "pads must be four non-negative integers "
                            "[top, left, bottom, right]";
  int64_t groups = getGroups();
  if (groups < 1)
    return emitOpError() << "groups must be positive, got " << groups;
  int64_t c = input.getDimSize(1), o = filter.getDimSize(0),
          ci = filter.getDimSize(1);
  if (!ShapedType::isDynamic(c) && (c % groups != 0 || c / groups != ci))
    return emitOpError() << "input has " << c << " channels, which with "
                         << groups << " group(s) needs a filter with "
                         << (c % groups == 0 ? c / groups : c)
                         << " input channels, got " << ci;
  if (o % groups != 0)
    return emitOpError() << "filter has " << o
                         << " output channels, not divisible by groups = "
                         << groups;
  if (!compatible(input.getDimSize(0), result.getDimSize(0)))
    return emitOpError() << "result batch " << result.getDimSize(0)
                         << " differs from the input batch "
                         << input.getDimSize(0);
  if (result.getDimSize(1) != o)
    return emitOpError() << "result has " << result.getDimSize(1)
                         << " channels but the filter has " << o;
  for (int64_t i = 0; i < 2; ++i) {
    int64_t in = input.getDimSize(2 + i);
    if (ShapedType::isDynamic(in))
      continue;
    int64_t span = dilations[i] * (filter.getDimSize(2 + i) - 1) + 1;
    int64_t padded = in + pads[i] + pads[i + 2];
    if (padded < span)
      return emitOpError() << "padded input size " << padded
                           << " is smaller than the dilated kernel " << span
                           << " in spatial dimension " << i;
    int64_t out = (padded - span) / strides[i] + 1;
    if (!compatible(result.getDimSize(2 + i), out))
      return emitOpError() << "result spatial dimension " << i << " is "
                           << result.getDimSize(2 + i) << " but should be "
                           << out;
  }
  return success();
}
