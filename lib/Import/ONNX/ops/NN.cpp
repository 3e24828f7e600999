//===- NN.cpp - ONNX convolution, pooling and batch normalization ----------===//
#include "../ImportContext.h"

#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

namespace {

/// Spatial geometry of a 2-D window op after auto_pad/ceil_mode.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations;
  SmallVector<int64_t> pads;  // explicit or auto_pad: begin..., end...
  SmallVector<int64_t> extra; // ceil_mode's extension of the end padding
  SmallVector<int64_t> out;
};

Window window(NodeContext &n, ArrayRef<int64_t> spatial,
              ArrayRef<int64_t> kernel, bool allowCeil) {
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  size_t r = spatial.size();
  w.strides = n.optIntsAttr("strides").value_or(SmallVector<int64_t>(r, 1));
  w.dilations = n.optIntsAttr("dilations").value_or(SmallVector<int64_t>(r, 1));
  w.pads = n.optIntsAttr("pads").value_or(SmallVector<int64_t>(2 * r, 0));
  if (w.strides.size() != r || w.dilations.size() != r || w.pads.size() != 2 * r)
    fail("strides, dilations and pads must match the " + llvm::Twine(r) +
         " spatial dimensions");
  w.extra.assign(2 * r, 0);
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  bool ceil = allowCeil && n.intAttr("ceil_mode", 0);
  for (size_t i = 0; i < r; ++i) {
    int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t outSize = (spatial[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total =
          std::max<int64_t>(0, (outSize - 1) * w.strides[i] + span - spatial[i]);
      int64_t small = total / 2;
      w.pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
      w.pads[i + r] = total - w.pads[i];
    } else if (autoPad == "VALID") {
      w.pads[i] = w.pads[i + r] = 0;
    } else if (autoPad != "NOTSET") {
      fail("auto_pad '" + autoPad + "' is not supported");
    }
    int64_t padded = spatial[i] + w.pads[i] + w.pads[i + r];
    if (padded < span)
      fail("the padded input (" + llvm::Twine(padded) +
           ") is smaller than the kernel (" + llvm::Twine(span) + ")");
    int64_t o = ceil ? (padded - span + w.strides[i] - 1) / w.strides[i] + 1
                     : (padded - span) / w.strides[i] + 1;
    // The last window must start inside the input or its left padding.
    if (ceil && (o - 1) * w.strides[i] >= spatial[i] + w.pads[i])
      --o;
    w.out.push_back(o);
    // Ceil mode reads past the padded input: extend the end padding.
    w.extra[i + r] = std::max<int64_t>(0, (o - 1) * w.strides[i] + span - padded);
  }
  return w;
}

/// Adds a trailing-singleton reshape so a per-channel vector [C] broadcasts
/// against [N, C, spatial...].
Value perChannel(NodeContext &n, Value v, int64_t rank) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape{t.getNumElements()};
  shape.append(rank - 2, 1);
  return reshapeStatic(n.b, n.loc, v, shape);
}

/// Validates the optional bias input #2 of a convolution with `channels`
/// output channels (before any op is built).
void checkChannelBias(NodeContext &n, int64_t channels) {
  if (n.hasInput(2) && n.inputType(2).getNumElements() != channels)
    fail("bias has " + llvm::Twine(n.inputType(2).getNumElements()) +
         " elements for " + llvm::Twine(channels) + " output channels");
}

/// `y + bias` per channel when the node has a bias input #2.
Value addChannelBias(NodeContext &n, Value y) {
  if (!n.hasInput(2))
    return y;
  auto t = llvm::cast<RankedTensorType>(y.getType());
  Value bias = perChannel(n, n.input(2), t.getRank());
  return buildBroadcastElementwise(n.b, n.loc, {y, bias}, t.getShape(),
                                   t.getElementType(),
                                   [](OpBuilder &b, Location l, ValueRange v) -> Value {
                                     return arith::AddFOp::create(b, l, v[0], v[1]);
                                   });
}

void conv(NodeContext &n) {
  n.expectArity(2, 3);
  RankedTensorType x = n.inputType(0), w = n.inputType(1);
  Type elem = x.getElementType();
  if (!llvm::isa<FloatType>(elem) || w.getElementType() != elem)
    fail("expects float input and weight of the same type");
  if (x.getRank() != 3 && x.getRank() != 4)
    fail("only 1-D and 2-D convolutions are supported, input has rank " +
         llvm::Twine(x.getRank()));
  if (w.getRank() != x.getRank())
    fail("weight rank " + llvm::Twine(w.getRank()) + " differs from input rank " +
         llvm::Twine(x.getRank()));
  int64_t group = n.intAttr("group", 1);
  if (group < 1 || x.getDimSize(1) % group != 0 ||
      x.getDimSize(1) / group != w.getDimSize(1) || w.getDimSize(0) % group != 0)
    fail("input channels " + llvm::Twine(x.getDimSize(1)) + ", weight " +
         shapeStr(w.getShape()) + " and group " + llvm::Twine(group) +
         " are inconsistent");
  SmallVector<int64_t> kernel(w.getShape().drop_front(2));
  if (auto ks = n.optIntsAttr("kernel_shape"))
    if (*ks != kernel)
      fail("kernel_shape " + shapeStr(*ks) + " differs from the weight's " +
           shapeStr(kernel));
  Window win = window(n, x.getShape().drop_front(2), kernel, false);
  checkChannelBias(n, w.getDimSize(0));
  bool oneD = x.getRank() == 3;
  Value xv = n.input(0), wv = n.input(1);
  SmallVector<int64_t> strides = win.strides, dilations = win.dilations, pads;
  if (oneD) {
    // [N, C, L] as [N, C, 1, L].
    xv = reshapeStatic(n.b, n.loc, xv,
                       {x.getDimSize(0), x.getDimSize(1), 1, x.getDimSize(2)});
    wv = reshapeStatic(n.b, n.loc, wv,
                       {w.getDimSize(0), w.getDimSize(1), 1, w.getDimSize(2)});
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
    pads = {0, win.pads[0], 0, win.pads[1]};
  } else {
    pads = win.pads;
  }
  SmallVector<int64_t> out4{x.getDimSize(0), w.getDimSize(0)};
  if (oneD)
    out4.push_back(1);
  llvm::append_range(out4, win.out);
  Value y = builders::buildConv2D(n.b, n.loc, xv, wv, strides, dilations, pads,
                                  group, RankedTensorType::get(out4, elem));
  SmallVector<int64_t> outShape{x.getDimSize(0), w.getDimSize(0)};
  llvm::append_range(outShape, win.out);
  y = reshapeStatic(n.b, n.loc, y, outShape);
  n.setResult(0, addChannelBias(n, y));
}

/// ConvTranspose (2-D) as a convolution: the input is dilated by the
/// strides and padded by d*(k-1) - pad (plus output_padding at the end), and
/// the weight [C, O/g, kh, kw] becomes the spatially flipped [O, C/g, kh, kw].
void convTranspose(NodeContext &n) {
  n.expectArity(2, 3);
  RankedTensorType x = n.inputType(0), w = n.inputType(1);
  Type elem = x.getElementType();
  if (!llvm::isa<FloatType>(elem) || w.getElementType() != elem)
    fail("expects float input and weight of the same type");
  if (x.getRank() != 4 || w.getRank() != 4)
    fail("only 2-D ConvTranspose is supported");
  if (n.attr("output_shape"))
    fail("output_shape is not supported; give pads and output_padding");
  if (n.stringAttr("auto_pad", "NOTSET") != "NOTSET")
    fail("auto_pad is not supported");
  int64_t g = n.intAttr("group", 1);
  int64_t c = x.getDimSize(1);
  if (g < 1 || c % g != 0 || w.getDimSize(0) != c)
    fail("weight " + shapeStr(w.getShape()) + " and group " + llvm::Twine(g) +
         " do not match " + llvm::Twine(c) + " input channels");
  int64_t cg = c / g, og = w.getDimSize(1), o = og * g;
  int64_t kh = w.getDimSize(2), kw = w.getDimSize(3);
  SmallVector<int64_t> s = n.optIntsAttr("strides").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> d = n.optIntsAttr("dilations").value_or(SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> p = n.optIntsAttr("pads").value_or(SmallVector<int64_t>{0, 0, 0, 0});
  SmallVector<int64_t> op =
      n.optIntsAttr("output_padding").value_or(SmallVector<int64_t>{0, 0});
  if (s.size() != 2 || d.size() != 2 || p.size() != 4 || op.size() != 2)
    fail("strides, dilations, output_padding (2) and pads (4) are expected");
  int64_t k[2] = {kh, kw};
  SmallVector<int64_t> low(4, 0), high(4, 0), out{x.getDimSize(0), o};
  for (int i = 0; i < 2; ++i) {
    low[2 + i] = d[i] * (k[i] - 1) - p[i];
    high[2 + i] = d[i] * (k[i] - 1) - p[i + 2] + op[i];
    if (low[2 + i] < 0 || high[2 + i] < 0)
      fail("pads larger than the dilated kernel are not supported");
    out.push_back((x.getDimSize(2 + i) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - p[i] -
                  p[i + 2] + op[i]);
  }
  checkChannelBias(n, o);
  MLIRContext *ctx = n.b.getContext();
  // Dilate: zeros with the input inserted at stride s.
  SmallVector<int64_t> dilated{x.getDimSize(0), c, (x.getDimSize(2) - 1) * s[0] + 1,
                               (x.getDimSize(3) - 1) * s[1] + 1};
  Value xv = builders::zeroFilledTensor(n.b, n.loc, dilated, elem);
  xv = tensor::InsertSliceOp::create(n.b, n.loc, n.input(0), xv, ValueRange{},
                                     ValueRange{}, ValueRange{},
                                     SmallVector<int64_t>{0, 0, 0, 0}, x.getShape(),
                                     SmallVector<int64_t>{1, 1, s[0], s[1]});
  SmallVector<int64_t> padded(dilated);
  for (int i = 2; i < 4; ++i)
    padded[i] += low[i] + high[i];
  xv = tensor::PadOp::create(n.b, n.loc, RankedTensorType::get(padded, elem), xv,
                             getAsIndexOpFoldResult(ctx, low),
                             getAsIndexOpFoldResult(ctx, high),
                             Value(arith::ConstantOp::create(
                                 n.b, n.loc, llvm::cast<TypedAttr>(n.b.getZeroAttr(elem)))));
  // w'[gi*og + oo, cc, i, j] = w[gi*cg + cc, oo, kh-1-i, kw-1-j]
  Value wsrc = n.input(1);
  Value wv = buildBroadcastElementwise(
      n.b, n.loc, {}, {o, cg, kh, kw}, elem,
      [&](OpBuilder &b, Location l, ValueRange) -> Value {
        auto idx = [&](int64_t dim) { return linalg::IndexOp::create(b, l, dim); };
        auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
        Value oIdx = idx(0);
        Value gi = arith::DivUIOp::create(b, l, oIdx, cst(og));
        Value oo = arith::RemUIOp::create(b, l, oIdx, cst(og));
        Value ci = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, gi, cst(cg)), idx(1));
        Value fi = arith::SubIOp::create(b, l, cst(kh - 1), idx(2));
        Value fj = arith::SubIOp::create(b, l, cst(kw - 1), idx(3));
        return tensor::ExtractOp::create(b, l, wsrc, ValueRange{ci, oo, fi, fj});
      });
  Value y = builders::buildConv2D(n.b, n.loc, xv, wv, {1, 1}, d, {0, 0, 0, 0}, g,
                                  RankedTensorType::get(out, elem));
  n.setResult(0, addChannelBias(n, y));
}

/// 2-D max or average pooling as one linalg.generic over
/// (n, c, oh, ow, kh, kw) on a padded input.
void pool(NodeContext &n, bool isMax) {
  n.expectArity(1, 1);
  RankedTensorType x = n.inputType(0);
  Type elem = x.getElementType();
  if (!llvm::isa<FloatType>(elem))
    fail("expects a float input");
  if (x.getRank() != 4)
    fail("only 2-D pooling is supported, input has rank " +
         llvm::Twine(x.getRank()));
  if (n.numOutputs() > 1 && !n.node.output(1).empty())
    fail("the Indices output is not supported");
  SmallVector<int64_t> kernel = n.intsAttr("kernel_shape");
  if (kernel.size() != 2)
    fail("kernel_shape must have two entries");
  if (!isMax && n.attr("dilations"))
    for (int64_t d : n.intsAttr("dilations"))
      if (d != 1)
        fail("dilated AveragePool is not supported");
  Window w = window(n, x.getShape().drop_front(2), kernel, true);
  auto f = llvm::cast<FloatType>(elem);
  MLIRContext *ctx = n.b.getContext();

  auto pad = [&](Value v, ArrayRef<int64_t> pads, Attribute padValue) -> Value {
    if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
      return v;
    auto t = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[2] += pads[0] + pads[2];
    shape[3] += pads[1] + pads[3];
    SmallVector<int64_t> low{0, 0, pads[0], pads[1]},
        high{0, 0, pads[2], pads[3]};
    return tensor::PadOp::create(
               n.b, n.loc, RankedTensorType::get(shape, t.getElementType()), v,
               getAsIndexOpFoldResult(ctx, low), getAsIndexOpFoldResult(ctx, high),
               Value(arith::ConstantOp::create(n.b, n.loc,
                                               llvm::cast<TypedAttr>(padValue))))
        .getResult();
  };
  SmallVector<int64_t> allPads(w.pads);
  for (int i = 0; i < 4; ++i)
    allPads[i] += w.extra[i];
  SmallVector<int64_t> outShape{x.getDimSize(0), x.getDimSize(1), w.out[0],
                                w.out[1]};
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineMap inMap = AffineMap::get(
      6, 0,
      {d(0), d(1), d(2) * w.strides[0] + d(4) * w.dilations[0],
       d(3) * w.strides[1] + d(5) * w.dilations[1]},
      ctx);
  AffineMap outMap = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx);
  // The window's extent lives in a dummy kernel-shaped operand.
  Value kernelShape = tensor::EmptyOp::create(n.b, n.loc, kernel, elem);
  AffineMap kMap = AffineMap::get(6, 0, {d(4), d(5)}, ctx);
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.append(2, utils::IteratorType::reduction);
  auto windowReduce = [&](Value in, TypedAttr init, bool maxOp) {
    auto inType = llvm::cast<RankedTensorType>(in.getType());
    SmallVector<int64_t> shape{inType.getDimSize(0), inType.getDimSize(1),
                               w.out[0], w.out[1]};
    Value empty = tensor::EmptyOp::create(n.b, n.loc, shape, elem);
    Value initV = arith::ConstantOp::create(n.b, n.loc, init);
    Value filled = linalg::FillOp::create(n.b, n.loc, initV, empty).getResult(0);
    return linalg::GenericOp::create(
               n.b, n.loc, filled.getType(), ValueRange{in, kernelShape},
               ValueRange{filled}, SmallVector<AffineMap>{inMap, kMap, outMap}, iters,
               [&](OpBuilder &b, Location l, ValueRange args) {
                 Value r = maxOp ? Value(arith::MaximumFOp::create(b, l, args[2], args[0]))
                                 : Value(arith::AddFOp::create(b, l, args[2], args[0]));
                 linalg::YieldOp::create(b, l, r);
               })
        .getResult(0);
  };
  if (isMax) {
    n.rejectAttr("storage_order", "only row-major indices exist here");
    TypedAttr ninf = n.b.getFloatAttr(
        elem, APFloat::getInf(f.getFloatSemantics(), true));
    n.setResult(0, windowReduce(pad(n.input(0), allPads, ninf), ninf, true));
    return;
  }
  TypedAttr zero = n.b.getFloatAttr(elem, 0.0), one = n.b.getFloatAttr(elem, 1.0);
  Value sum = windowReduce(pad(n.input(0), allPads, zero), zero, false);
  // Divisor: the input elements each window covers, plus the (explicit or
  // auto) padding with count_include_pad, never ceil_mode's extension.
  Value ones = arith::ConstantOp::create(
      n.b, n.loc,
      DenseElementsAttr::get(
          RankedTensorType::get({1, 1, x.getDimSize(2), x.getDimSize(3)}, elem),
          one));
  Value counted = n.intAttr("count_include_pad", 0)
                      ? pad(pad(ones, w.pads, one), w.extra, zero)
                      : pad(ones, allPads, zero);
  Value counts = windowReduce(counted, zero, false);
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {sum, counts}, outShape, elem,
                     [](OpBuilder &b, Location l, ValueRange v) -> Value {
                       return arith::DivFOp::create(b, l, v[0], v[1]);
                     }));
}
void globalAveragePool(NodeContext &n) {
  n.expectArity(1, 1);
  RankedTensorType x = n.inputType(0);
  if (x.getRank() < 3 || !llvm::isa<FloatType>(x.getElementType()))
    fail("expects a float input of rank >= 3");
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = 2; d < x.getRank(); ++d) {
    axes.push_back(d);
    count *= x.getDimSize(d);
  }
  Type elem = x.getElementType();
  Value s = buildReduction(n.b, n.loc, n.input(0), axes,
                           llvm::cast<TypedAttr>(n.b.getZeroAttr(elem)),
                           [](OpBuilder &b, Location l, Value a, Value v) -> Value {
                             return arith::AddFOp::create(b, l, a, v);
                           });
  n.setResult(0, divideBy(n.b, n.loc, s, count));
}

void batchNorm(NodeContext &n) {
  n.expectArity(5, 5);
  RankedTensorType x = n.inputType(0);
  Type elem = x.getElementType();
  if (!llvm::isa<FloatType>(elem) || x.getRank() < 2)
    fail("expects a float input of rank >= 2");
  if (n.intAttr("training_mode", 0))
    fail("training_mode = 1 is not supported (inference only)");
  for (int i = 1; i < n.node.output_size(); ++i)
    if (!n.node.output(i).empty())
      fail("running mean/var outputs exist only in training mode");
  int64_t c = x.getDimSize(1);
  SmallVector<Value> ins{n.input(0)};
  for (size_t i = 1; i < 5; ++i) {
    if (n.inputType(i).getNumElements() != c)
      fail("input #" + llvm::Twine(i) + " must have " + llvm::Twine(c) +
           " elements, one per channel");
    ins.push_back(perChannel(n, n.input(i), x.getRank()));
  }
  double eps = n.floatAttr("epsilon", 1e-5f);
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, ins, x.getShape(), elem,
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       // (x - mean) / sqrt(var + eps) * scale + bias
                       Value e = arith::ConstantOp::create(b, l, b.getFloatAttr(elem, eps));
                       Value inv = math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, v[4], e));
                       Value norm = arith::DivFOp::create(
                           b, l, arith::SubFOp::create(b, l, v[0], v[3]), inv);
                       return arith::AddFOp::create(
                           b, l, arith::MulFOp::create(b, l, norm, v[1]), v[2]);
                     }));
}

} // namespace

void mlir::qsl::onnx_import::registerNNOps(OpTable &t) {
  t.add("", "Conv", 11, conv);
  t.add("", "ConvTranspose", 11, convTranspose);
  t.add("", "MaxPool", 12, [](NodeContext &n) { pool(n, true); });
  t.add("", "AveragePool", 11, [](NodeContext &n) { pool(n, false); });
  t.add("", "GlobalAveragePool", 1, globalAveragePool);
  t.add("", "BatchNormalization", 15, batchNorm);
}
