//===- EncodedTensorType.cpp - Storage view of encoded tensors -------------===//
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qsl;

StringRef mlir::qsl::getStorageRoleName(StorageRole role) {
  switch (role) {
  case StorageRole::Values:
    return "values";
  case StorageRole::Scales:
    return "scales";
  case StorageRole::Zeros:
    return "zeros";
  case StorageRole::Codebook:
    return "codebook";
  case StorageRole::Mask:
    return "mask";
  case StorageRole::Meta:
    return "meta";
  case StorageRole::OutlierIndices:
    return "outlier_indices";
  case StorageRole::OutlierValues:
    return "outlier_values";
  case StorageRole::LowRankU:
    return "u";
  case StorageRole::LowRankV:
    return "v";
  case StorageRole::Smooth:
    return "smooth";
  case StorageRole::StatScales:
    return "stat_scales";
  case StorageRole::StatZeros:
    return "stat_zeros";
  }
  llvm_unreachable("unknown storage role");
}

std::optional<EncodedTensorType> EncodedTensorType::get(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return std::nullopt;
  auto encoding = llvm::dyn_cast_or_null<EncodingAttr>(tensor.getEncoding());
  if (!encoding || !tensor.hasStaticShape() || tensor.getRank() < 1 ||
      !llvm::isa<FloatType>(tensor.getElementType()))
    return std::nullopt;
  return EncodedTensorType(tensor, encoding);
}

RankedTensorType EncodedTensorType::getDenseType() const {
  return RankedTensorType::get(getShape(), getElementType());
}

FloatType EncodedTensorType::getComputeType() const {
  MLIRContext *ctx = type.getContext();
  if (getElementType().getWidth() > 32)
    return Float64Type::get(ctx);
  return Float32Type::get(ctx);
}

SmallVector<int64_t> EncodedTensorType::getMatrixShape() const {
  return {getMatrixRows(), getMatrixCols()};
}

SmallVector<int64_t> EncodedTensorType::getGroupShape() const {
  SmallVector<int64_t> shape = getMatrixShape();
  QuantAttr quant = getQuant();
  assert(quant && "no quant facet");
  int64_t axis = quant.getAxis();
  shape[axis] = quant.getGroup() == 0 ? 1 : shape[axis] / quant.getGroup();
  return shape;
}

SmallVector<int64_t> EncodedTensorType::getStatShape() const {
  SmallVector<int64_t> shape = getGroupShape();
  QuantAttr quant = getQuant();
  int64_t other = 1 - quant.getAxis();
  shape[other] /= quant.getStatGroup();
  return shape;
}

IntegerType EncodedTensorType::getOutlierIndexType() const {
  unsigned width = getNumElements() < (int64_t(1) << 31) ? 32 : 64;
  return IntegerType::get(type.getContext(), width);
}

static unsigned widthOf(Type t) { return t.getIntOrFloatBitWidth(); }

SmallVector<StorageTensor> EncodedTensorType::getStorage() const {
  MLIRContext *ctx = type.getContext();
  SmallVector<StorageTensor> storage;
  auto add = [&](StorageRole role, ArrayRef<int64_t> shape, Type elementType,
                 unsigned bits) {
    storage.push_back(
        {role, RankedTensorType::get(shape, elementType), bits});
  };
  QuantAttr quant = getQuant();
  SparseAttr sparse = getSparse();

  // Main term.
  SmallVector<int64_t> valuesShape = getMatrixShape();
  if (sparse) {
    switch (sparse.getKind()) {
    case SparseKind::NM:
      valuesShape[sparse.getAxis()] =
          valuesShape[sparse.getAxis()] / sparse.getM() * sparse.getN();
      break;
    case SparseKind::Unstructured:
      valuesShape = {sparse.getNnz()};
      break;
    case SparseKind::Block:
      valuesShape = {sparse.getNnz(), sparse.getBlockRows(),
                     sparse.getBlockCols()};
      break;
    }
  }
  if (quant)
    add(StorageRole::Values, valuesShape,
        IntegerType::get(ctx, quant.getBits()), quant.getBits());
  else if (sparse)
    add(StorageRole::Values, valuesShape, getElementType(),
        getElementType().getWidth());

  if (quant) {
    SmallVector<int64_t> groupShape = getGroupShape();
    if (quant.hasCodebook()) {
      SmallVector<int64_t> cbShape(groupShape);
      cbShape.push_back(quant.getCodebook());
      add(StorageRole::Codebook, cbShape, quant.getScale(),
          widthOf(quant.getScale()));
    } else if (quant.hasQuantizedStats()) {
      unsigned sb = quant.getStatBits();
      add(StorageRole::Scales, groupShape, IntegerType::get(ctx, sb), sb);
      if (Type zero = quant.getZero())
        add(StorageRole::Zeros, groupShape, zero, widthOf(zero));
      SmallVector<int64_t> statShape = getStatShape();
      add(StorageRole::StatScales, statShape, quant.getScale(),
          widthOf(quant.getScale()));
      add(StorageRole::StatZeros, statShape, quant.getScale(),
          widthOf(quant.getScale()));
    } else {
      add(StorageRole::Scales, groupShape, quant.getScale(),
          widthOf(quant.getScale()));
      if (Type zero = quant.getZero())
        add(StorageRole::Zeros, groupShape, zero, widthOf(zero));
    }
  }
  if (sparse) {
    if (sparse.isUnstructured())
      add(StorageRole::Mask, getMatrixShape(), IntegerType::get(ctx, 1), 1);
    else if (sparse.isBlock())
      add(StorageRole::Mask,
          {getMatrixRows() / sparse.getBlockRows(),
           getMatrixCols() / sparse.getBlockCols()},
          IntegerType::get(ctx, 1), 1);
    else
      add(StorageRole::Meta, valuesShape,
          IntegerType::get(ctx, sparse.getMetaBits()), sparse.getMetaBits());
  }

  if (OutliersAttr outliers = getOutliers()) {
    IntegerType indexType = getOutlierIndexType();
    add(StorageRole::OutlierIndices, {outliers.getCount()}, indexType,
        indexType.getWidth());
    add(StorageRole::OutlierValues, {outliers.getCount()}, outliers.getType(),
        widthOf(outliers.getType()));
  }

  if (LowRankAttr lowrank = getLowRank()) {
    Type t = lowrank.getType();
    add(StorageRole::LowRankU, {getMatrixRows(), lowrank.getRank()}, t,
        widthOf(t));
    add(StorageRole::LowRankV, {lowrank.getRank(), getMatrixCols()}, t,
        widthOf(t));
  }

  if (SmoothAttr smooth = getSmooth()) {
    Type t = smooth.getType();
    add(StorageRole::Smooth, {getMatrixShape()[smooth.getAxis()]}, t,
        widthOf(t));
  }
  return storage;
}

std::optional<StorageTensor>
EncodedTensorType::getStorage(StorageRole role) const {
  for (const StorageTensor &s : getStorage())
    if (s.role == role)
      return s;
  return std::nullopt;
}

int64_t EncodedTensorType::getStorageBits() const {
  int64_t bits = 0;
  for (const StorageTensor &s : getStorage())
    bits += s.getBits();
  return bits;
}

int64_t EncodedTensorType::getStorageBytes() const {
  int64_t bytes = 0;
  for (const StorageTensor &s : getStorage())
    bytes += llvm::divideCeil(s.getBits(), 8);
  return bytes;
}

double EncodedTensorType::getBitsPerParameter() const {
  return double(getStorageBits()) / double(getNumElements());
}

int64_t EncodedTensorType::getDenseBits() const {
  return getNumElements() * getElementType().getWidth();
}
