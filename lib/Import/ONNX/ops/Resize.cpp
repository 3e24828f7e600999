//===- Resize.cpp - ONNX Resize (nearest, linear, cubic, antialias) -------===//
//
// Resize is separable: each resized axis is one pass in which every output
// position along the axis is a weighted sum of a few input positions (its
// taps). Shapes are static, so the taps of every output position -- their
// input indices, their coefficients and whether the position extrapolates
// (tf_crop_and_resize) -- are computed here at import time, in double, with
// the formulas of the ONNX specification, and baked into constant tables.
// The generated IR is then one linalg.generic per resized axis that reads
// the tables; nearest mode (one tap with coefficient 1) is a pure gather
// and so works for every element type.
//
//===----------------------------------------------------------------------===//
#include "../ImportContext.h"

#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

namespace {

enum class Mode { Nearest, Linear, Cubic };

struct ResizeAttrs {
  Mode mode = Mode::Nearest;
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  bool antialias = false;
  double extrapolation = 0.0;
};

/// The taps of one resized axis: `taps` entries per output position.
struct AxisTaps {
  int64_t axis = 0;
  int64_t outLen = 0;
  int64_t taps = 0;
  SmallVector<int64_t> index;  // [outLen * taps], clamped to the input
  SmallVector<double> coeff;   // [outLen * taps]
  SmallVector<bool> extrapolate; // [outLen] (tf_crop_and_resize only)
  bool anyExtrapolated = false;
};

SmallVector<double> coefficients(const ResizeAttrs &a, double ratio,
                                 double scale) {
  switch (a.mode) {
  case Mode::Nearest: {
    if (ratio == std::floor(ratio))
      return {0, 1};
    const std::string &m = a.nearest;
    if (m == "round_prefer_ceil")
      return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
    if (m == "floor")
      return {1, 0};
    if (m == "ceil")
      return {0, 1};
    return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  }
  case Mode::Linear: {
    if (!a.antialias)
      return {1 - ratio, ratio};
    // The triangle filter stretched by 1/scale when downsampling.
    double s = std::min(scale, 1.0);
    int64_t start = static_cast<int64_t>(std::floor(-1 / s) + 1);
    int64_t footprint = 2 - 2 * start;
    SmallVector<double> c;
    double sum = 0;
    for (int64_t i = start; i < start + footprint; ++i) {
      double v = std::clamp(1 - std::abs((i - ratio) * s), 0.0, 1.0);
      c.push_back(v);
      sum += v;
    }
    for (double &v : c)
      v /= sum;
    return c;
  }
  case Mode::Cubic: {
    double A = a.cubicA;
    auto kernel = [A](double x) {
      x = std::abs(x);
      if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
      if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
      return 0.0;
    };
    if (!a.antialias)
      return {kernel(ratio + 1), kernel(ratio), kernel(1 - ratio),
              kernel(2 - ratio)};
    double s = std::min(scale, 1.0);
    int64_t start = static_cast<int64_t>(std::floor(-2 / s) + 1);
    int64_t end = 2 - start;
    SmallVector<double> c;
    double sum = 0;
    for (int64_t i = start; i < end; ++i) {
      c.push_back(kernel(s * (i - ratio)));
      sum += c.back();
    }
    for (double &v : c)
      v /= sum;
    return c;
  }
  }
  return {};
}

/// The source coordinate of output position `y`; sets `extrapolated` for
/// tf_crop_and_resize positions outside the input.
double sourceCoordinate(const ResizeAttrs &a, double y, double scale,
                        int64_t inLen, int64_t outLen, double roiStart,
                        double roiEnd, bool &extrapolated) {
  // As in the specification's reference, the "output length" in these
  // formulas is scale * input length, which differs from the integer
  // output length when the scale does not divide evenly.
  double outWidth = scale * static_cast<double>(inLen);
  const std::string &m = a.coordinates;
  extrapolated = false;
  if (m == "align_corners")
    return outWidth == 1 ? 0.0 : y * (inLen - 1) / (outWidth - 1);
  if (m == "asymmetric")
    return y / scale;
  if (m == "tf_crop_and_resize") {
    double x = outWidth == 1
                   ? (roiEnd - roiStart) * (inLen - 1) / 2
                   : y * (roiEnd - roiStart) * (inLen - 1) / (outWidth - 1);
    x += roiStart * (inLen - 1);
    extrapolated = x < 0 || x > inLen - 1;
    return x;
  }
  if (m == "pytorch_half_pixel")
    return outWidth == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
  if (m == "half_pixel_symmetric") {
    double adjustment = static_cast<double>(outLen) / outWidth;
    double offset = inLen / 2.0 * (1 - adjustment);
    return offset + (y + 0.5) / scale - 0.5;
  }
  if (m == "tf_half_pixel_for_nn")
    return (y + 0.5) / scale;
  return (y + 0.5) / scale - 0.5; // half_pixel
}

AxisTaps computeTaps(const ResizeAttrs &a, int64_t axis, int64_t inLen,
                     int64_t outLen, double scale, double roiStart,
                     double roiEnd) {
  AxisTaps t;
  t.axis = axis;
  t.outLen = outLen;
  for (int64_t y = 0; y < outLen; ++y) {
    bool extrapolated;
    double x = sourceCoordinate(a, static_cast<double>(y), scale, inLen,
                                outLen, roiStart, roiEnd, extrapolated);
    double xFloor = std::floor(x);
    double ratio = x == xFloor ? 1.0 : x - xFloor;
    SmallVector<double> c = coefficients(a, ratio, scale);
    int64_t n = c.size();
    if (t.taps == 0)
      t.taps = n;
    // The n input positions nearest to x, preferring lower ones (the
    // reference pads the input by ceil(n/2) edge values; clamping the
    // indices is the same thing).
    int64_t pad = (n + 1) / 2;
    double xp = x + pad;
    int64_t p = static_cast<int64_t>(std::floor(xp));
    double frac = xp - p;
    int64_t offset = n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1)
                                : (frac <= 0.5 ? -((n - 1) / 2)
                                               : -((n - 1) / 2) + 1);
    double sum = 0;
    SmallVector<int64_t> idx;
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = p + offset + k - pad;
      if (a.excludeOutside && (i < 0 || i >= inLen))
        c[k] = 0;
      sum += c[k];
      idx.push_back(std::clamp<int64_t>(i, 0, inLen - 1));
    }
    for (int64_t k = 0; k < n; ++k) {
      t.index.push_back(idx[k]);
      t.coeff.push_back(a.excludeOutside && sum != 0 ? c[k] / sum : c[k]);
    }
    t.extrapolate.push_back(extrapolated);
    t.anyExtrapolated |= extrapolated;
  }
  return t;
}

/// Folds taps that have coefficient 0 away when every position has exactly
/// one tap of coefficient 1 (nearest): the pass is then a gather.
bool toGather(AxisTaps &t) {
  SmallVector<int64_t> picked;
  for (int64_t y = 0; y < t.outLen; ++y) {
    int64_t chosen = -1;
    for (int64_t k = 0; k < t.taps; ++k) {
      double c = t.coeff[y * t.taps + k];
      if (c == 1.0 && chosen < 0)
        chosen = t.index[y * t.taps + k];
      else if (c != 0.0)
        return false;
    }
    if (chosen < 0)
      return false;
    picked.push_back(chosen);
  }
  t.index = picked;
  t.coeff.assign(picked.size(), 1.0);
  t.taps = 1;
  return true;
}

Value constTable(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                 Type elem, ArrayRef<Attribute> values) {
  auto type = RankedTensorType::get(shape, elem);
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
}

/// One resize pass along `t.axis` of `x`.
Value resizeAxis(NodeContext &n, Value x, const AxisTaps &t, bool gather,
                 double extrapolation) {
  OpBuilder &b = n.b;
  Location loc = n.loc;
  auto type = llvm::cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> outShape(type.getShape());
  outShape[t.axis] = t.outLen;
  Type elem = type.getElementType();

  SmallVector<Attribute> idxAttrs, coeffAttrs, maskAttrs;
  for (int64_t v : t.index)
    idxAttrs.push_back(b.getI64IntegerAttr(v));
  for (double v : t.coeff)
    coeffAttrs.push_back(b.getF32FloatAttr(static_cast<float>(v)));
  for (bool v : t.extrapolate)
    maskAttrs.push_back(b.getBoolAttr(v));
  Value idxTable = constTable(b, loc, {t.outLen, t.taps}, b.getI64Type(), idxAttrs);
  Value coeffTable =
      gather ? Value() : constTable(b, loc, {t.outLen, t.taps}, b.getF32Type(), coeffAttrs);
  Value maskTable = t.anyExtrapolated
                        ? constTable(b, loc, {t.outLen}, b.getI1Type(), maskAttrs)
                        : Value();
  Value shape = tensor::EmptyOp::create(b, loc, outShape, elem);
  auto fElem = llvm::dyn_cast<FloatType>(elem);
  return builders::buildElementwise(
      b, loc, shape, {}, elem,
      [&](OpBuilder &nb, Location nl, ValueRange, ValueRange iv) -> SmallVector<Value> {
        Value y = iv[t.axis];
        SmallVector<Value> at(iv.begin(), iv.end());
        Value acc;
        for (int64_t k = 0; k < t.taps; ++k) {
          Value kIdx = builders::indexConst(nb, nl, k);
          Value i = tensor::ExtractOp::create(nb, nl, idxTable, ValueRange{y, kIdx});
          at[t.axis] = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), i);
          Value v = tensor::ExtractOp::create(nb, nl, x, at);
          if (gather) {
            acc = v;
            break;
          }
          Value c = tensor::ExtractOp::create(nb, nl, coeffTable, ValueRange{y, kIdx});
          v = builders::convertFloat(nb, nl, v, nb.getF32Type());
          Value term = arith::MulFOp::create(nb, nl, c, v);
          acc = acc ? Value(arith::AddFOp::create(nb, nl, acc, term)) : term;
        }
        if (!gather)
          acc = builders::convertFloat(nb, nl, acc, fElem);
        if (maskTable) {
          Value m = tensor::ExtractOp::create(nb, nl, maskTable, ValueRange{y});
          TypedAttr e = fElem ? TypedAttr(nb.getFloatAttr(elem, extrapolation))
                              : TypedAttr(nb.getIntegerAttr(elem, static_cast<int64_t>(extrapolation)));
          acc = arith::SelectOp::create(nb, nl, m, arith::ConstantOp::create(nb, nl, e), acc);
        }
        return {acc};
      })[0];
}

void resize(NodeContext &n) {
  n.expectArity(1, 4);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  ResizeAttrs a;
  std::string mode = n.stringAttr("mode", "nearest");
  if (mode == "linear")
    a.mode = Mode::Linear;
  else if (mode == "cubic")
    a.mode = Mode::Cubic;
  else if (mode != "nearest")
    fail("unknown mode '" + mode + "'");
  a.coordinates = n.stringAttr("coordinate_transformation_mode", "half_pixel");
  static const char *kModes[] = {"half_pixel", "half_pixel_symmetric",
                                 "pytorch_half_pixel", "align_corners",
                                 "asymmetric", "tf_crop_and_resize",
                                 "tf_half_pixel_for_nn"};
  if (llvm::none_of(kModes, [&](const char *m) { return a.coordinates == m; }))
    fail("unknown coordinate_transformation_mode '" + a.coordinates + "'");
  a.nearest = n.stringAttr("nearest_mode", "round_prefer_floor");
  if (a.nearest != "round_prefer_floor" && a.nearest != "round_prefer_ceil" &&
      a.nearest != "floor" && a.nearest != "ceil")
    fail("unknown nearest_mode '" + a.nearest + "'");
  a.cubicA = n.floatAttr("cubic_coeff_a", -0.75f);
  a.excludeOutside = n.intAttr("exclude_outside", 0);
  a.antialias = n.intAttr("antialias", 0);
  if (a.antialias && a.mode == Mode::Nearest)
    fail("antialias is not defined for nearest mode");
  a.extrapolation = n.floatAttr("extrapolation_value", 0.0f);
  std::string policy = n.stringAttr("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    fail("unknown keep_aspect_ratio_policy '" + policy + "'");
  if (a.mode != Mode::Nearest && !llvm::isa<FloatType>(t.getElementType()))
    fail(mode + " Resize of an integer tensor is not supported");

  SmallVector<int64_t> axes;
  if (auto given = n.optIntsAttr("axes")) {
    for (int64_t ax : *given)
      axes.push_back(n.axis(ax, rank));
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  int64_t na = axes.size();

  auto floats = [&](size_t i, const char *what) -> std::optional<SmallVector<double>> {
    if (!n.hasInput(i))
      return std::nullopt;
    ElementsAttr attr = n.constantAttr(i);
    if (!attr)
      fail(llvm::Twine(what) + " must be a constant (initializer or Constant)");
    if (attr.getNumElements() == 0)
      return std::nullopt;
    return readFloats(attr);
  };
  std::optional<SmallVector<double>> roi = floats(1, "roi");
  std::optional<SmallVector<double>> scales = floats(2, "scales");
  std::optional<SmallVector<int64_t>> sizes;
  if (n.hasInput(3)) {
    const IntConst &s = n.constInput(3, "sizes");
    if (s.numElements() > 0)
      sizes = s.data;
  }
  if (scales.has_value() == sizes.has_value())
    fail("exactly one of scales and sizes must be given");
  if ((scales && static_cast<int64_t>(scales->size()) != na) ||
      (sizes && static_cast<int64_t>(sizes->size()) != na))
    fail("scales/sizes must have one entry per resized axis (" +
         llvm::Twine(na) + ")");
  if (a.coordinates == "tf_crop_and_resize" &&
      (!roi || static_cast<int64_t>(roi->size()) != 2 * na))
    fail("tf_crop_and_resize needs a roi of 2 x " + llvm::Twine(na) + " values");

  // Per resized axis: the scale and the output length.
  SmallVector<double> axisScale(na);
  SmallVector<int64_t> axisOut(na);
  if (sizes) {
    for (int64_t i = 0; i < na; ++i)
      axisScale[i] = static_cast<double>((*sizes)[i]) / t.getDimSize(axes[i]);
    if (policy != "stretch") {
      double s = axisScale[0];
      for (double v : axisScale)
        s = policy == "not_larger" ? std::min(s, v) : std::max(s, v);
      for (int64_t i = 0; i < na; ++i) {
        axisScale[i] = s;
        axisOut[i] = static_cast<int64_t>(s * t.getDimSize(axes[i]) + 0.5);
      }
    } else {
      axisOut.assign(sizes->begin(), sizes->end());
    }
  } else {
    for (int64_t i = 0; i < na; ++i) {
      axisScale[i] = static_cast<float>((*scales)[i]);
      if (!(axisScale[i] > 0))
        fail("scales must be positive");
      axisOut[i] = static_cast<int64_t>(
          std::floor(axisScale[i] * static_cast<double>(t.getDimSize(axes[i]))));
    }
  }
  for (int64_t i = 0; i < na; ++i)
    if (axisOut[i] <= 0)
      fail("the output would have an empty dimension " + llvm::Twine(axes[i]));

  Value x = n.input(0);
  for (int64_t i = 0; i < na; ++i) {
    int64_t inLen = t.getDimSize(axes[i]);
    double roiStart = roi ? (*roi)[i] : 0.0, roiEnd = roi ? (*roi)[na + i] : 1.0;
    bool identity = std::abs(axisScale[i] - 1.0) < 1e-9 && axisOut[i] == inLen &&
                    (!roi || (std::abs(roiStart) < 1e-9 && std::abs(roiEnd - 1) < 1e-9));
    if (identity)
      continue;
    AxisTaps taps = computeTaps(a, axes[i], inLen, axisOut[i], axisScale[i],
                                roiStart, roiEnd);
    bool gather = toGather(taps);
    if (!gather && !llvm::isa<FloatType>(t.getElementType()))
      fail("this Resize of an integer tensor interpolates; only nearest "
           "(a pure gather) is supported for integers");
    x = resizeAxis(n, x, taps, gather, a.extrapolation);
  }
  n.setResult(0, x);
}

} // namespace

void mlir::qsl::onnx_import::registerResizeOps(OpTable &t) {
  t.add("", "Resize", 13, resize);
}
