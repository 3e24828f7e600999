//===- ElementsAccess.cpp - Read and write constant tensor contents -------===//
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

/// Bytes one element occupies in a resource blob.
static size_t stepOf(Type elementType) {
  return std::max<unsigned>(1, (elementType.getIntOrFloatBitWidth() + 7) / 8);
}

/// The bytes of a dense_resource constant, when `attr` is one whose blob is
/// still there and large enough for its elements.
static std::optional<ArrayRef<char>> resourceBytes(ElementsAttr attr) {
  auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr);
  const AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob || blob->getData().size() <
                   size_t(attr.getNumElements()) * stepOf(attr.getElementType()))
    return std::nullopt;
  return blob->getData();
}

static double toDouble(APFloat v) {
  bool lost;
  v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return v.convertToDouble();
}

std::optional<std::vector<double>>
qsl::readFloatElements(ElementsAttr attr) {
  auto ft = llvm::dyn_cast<FloatType>(attr.getElementType());
  if (!ft)
    return std::nullopt;
  std::vector<double> out;
  out.reserve(attr.getNumElements());
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    if (ft.isF32()) {
      for (float v : dense.getValues<float>())
        out.push_back(v);
      return out;
    }
    for (const APFloat &v : dense.getValues<APFloat>())
      out.push_back(toDouble(v));
    return out;
  }
  std::optional<ArrayRef<char>> data = resourceBytes(attr);
  if (!data)
    return std::nullopt;
  ArrayRef<char> bytes = *data;
  size_t step = stepOf(ft);
  for (int64_t i = 0, e = attr.getNumElements(); i < e; ++i) {
    if (ft.isF32()) {
      float v;
      std::memcpy(&v, bytes.data() + i * step, 4);
      out.push_back(v);
      continue;
    }
    if (ft.isF64()) {
      double v;
      std::memcpy(&v, bytes.data() + i * step, 8);
      out.push_back(v);
      continue;
    }
    uint64_t raw = 0;
    std::memcpy(&raw, bytes.data() + i * step, step);
    out.push_back(
        toDouble(APFloat(ft.getFloatSemantics(), APInt(ft.getWidth(), raw))));
  }
  return out;
}

std::optional<std::vector<int64_t>>
qsl::readIntElements(ElementsAttr attr, bool isUnsigned) {
  auto it = llvm::dyn_cast<IntegerType>(attr.getElementType());
  if (!it)
    return std::nullopt;
  unsigned width = it.getWidth();
  bool zext = isUnsigned || width == 1;
  std::vector<int64_t> out;
  out.reserve(attr.getNumElements());
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      out.push_back(zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
    return out;
  }
  std::optional<ArrayRef<char>> data = resourceBytes(attr);
  if (!data)
    return std::nullopt;
  ArrayRef<char> bytes = *data;
  size_t step = stepOf(it);
  for (int64_t i = 0, e = attr.getNumElements(); i < e; ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, bytes.data() + i * step, step);
    APInt v(width, raw, /*isSigned=*/false, /*implicitTrunc=*/true);
    out.push_back(zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
  }
  return out;
}

/// Inline for small or i1 tensors, else a resource blob of `bytes`.
static ElementsAttr finish(RankedTensorType type, StringRef name,
                           std::vector<char> bytes, size_t step,
                           function_ref<DenseElementsAttr()> inlineAttr) {
  if (type.getNumElements() <= 16 || type.getElementType().isInteger(1))
    return inlineAttr();
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, step));
}

ElementsAttr qsl::makeFloatElements(RankedTensorType type,
                                    ArrayRef<double> values, StringRef name) {
  auto ft = llvm::cast<FloatType>(type.getElementType());
  size_t step = stepOf(ft);
  std::vector<char> bytes(values.size() * step);
  SmallVector<APFloat> floats;
  bool small = type.getNumElements() <= 16;
  for (size_t i = 0; i < values.size(); ++i) {
    APFloat f(values[i]);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    uint64_t raw = f.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + i * step, &raw, step);
    if (small)
      floats.push_back(f);
  }
  return finish(type, name, std::move(bytes), step,
                [&] { return DenseElementsAttr::get(type, floats); });
}

ElementsAttr qsl::makeIntElements(RankedTensorType type,
                                  ArrayRef<int64_t> values, StringRef name) {
  auto it = llvm::cast<IntegerType>(type.getElementType());
  size_t step = stepOf(it);
  bool inlined = type.getNumElements() <= 16 || it.getWidth() == 1;
  std::vector<char> bytes(inlined ? 0 : values.size() * step);
  SmallVector<APInt> ints;
  for (size_t i = 0; i < values.size(); ++i) {
    APInt v(it.getWidth(), uint64_t(values[i]), /*isSigned=*/false,
            /*implicitTrunc=*/true);
    if (inlined) {
      ints.push_back(v);
      continue;
    }
    uint64_t raw = v.getZExtValue();
    std::memcpy(bytes.data() + i * step, &raw, step);
  }
  return finish(type, name, std::move(bytes), step,
                [&] { return DenseElementsAttr::get(type, ints); });
}

StringRef qsl::resourceName(ElementsAttr attr) {
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr))
    return resource.getRawHandle().getKey();
  return "";
}
