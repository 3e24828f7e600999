//===- ConvWeightUses.cpp - Convolution weights for the compression passes ===//
//
// Recognises the importer's ONNX Conv, as builders::buildConv2D emits it,
//
//   %p = tensor.pad %x low[0, 0, t, l] high[0, 0, b, r] { yield 0 }  (optional)
//   %xg = tensor.expand_shape %p [[0], [1, 2], [3], [4]]  : NCHW -> N,G,C/G,H,W
//   %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]]  : OIHW -> G,O/G,I,kh,kw
//   %y = linalg.generic (n, g, o, i, kh, kw, oh, ow) ins(%xg, %wg) outs(zeros)
//          x[n, g, i, oh*sh + kh*dh, ow*sw + kw*dw] * w[g, o, i, kh, kw]
//   %c = tensor.collapse_shape %y [[0], [1, 2], [3], [4]]
//   (%r = elementwise conversion of %c to the input's element type)
//
// with %w an arith.constant, and qsl.conv2d on a qsl.constant; either
// becomes one qsl.conv2d on the compressed filter.
//
//===----------------------------------------------------------------------===//
#include "WeightUsesImpl.h"

#include "qsl/Utils/ElementsAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::detail;

std::string ConvAttrs::key() const {
  return llvm::formatv("conv s{0}x{1} d{2}x{3} p{4},{5},{6},{7} g{8}",
                       strides[0], strides[1], dilations[0], dilations[1],
                       pads[0], pads[1], pads[2], pads[3], groups)
      .str();
}

namespace {

/// The pieces of the importer's convolution around its contraction.
struct ConvChain {
  linalg::GenericOp contraction;
  tensor::ExpandShapeOp xGrouped, wGrouped;
  tensor::PadOp pad; // may be null
  arith::ConstantOp filter;
  tensor::CollapseShapeOp merged;
  linalg::GenericOp convert; // may be null
  Value input;               // NCHW, before padding
  Value result;              // what the convolution's users read
  ConvAttrs attrs;
};

bool hasReassociation(ArrayRef<ReassociationIndices> got,
                      ArrayRef<ReassociationIndices> want) {
  return got.size() == want.size() && llvm::equal(got, want);
}

/// The coefficient of dim `pos` in the linear expression `e` of `dims` dims.
std::optional<int64_t> coefficient(AffineExpr e, unsigned dims, unsigned pos) {
  MLIRContext *ctx = e.getContext();
  SmallVector<AffineExpr> repl(dims, getAffineConstantExpr(0, ctx));
  repl[pos] = getAffineConstantExpr(1, ctx);
  auto c = llvm::dyn_cast<AffineConstantExpr>(e.replaceDims(repl));
  if (!c)
    return std::nullopt;
  return c.getValue();
}

/// `v` through arith.extf ops.
Value throughExtensions(Value v) {
  while (auto ext = v.getDefiningOp<arith::ExtFOp>())
    v = ext.getIn();
  return v;
}

/// True when the body of `op` is `out + x * w` (inputs possibly widened).
bool isMulAddBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = llvm::dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value product;
  if (add.getLhs() == body.getArgument(2))
    product = add.getRhs();
  else if (add.getRhs() == body.getArgument(2))
    product = add.getLhs();
  else
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = throughExtensions(mul.getLhs()), b = throughExtensions(mul.getRhs());
  return (a == body.getArgument(0) && b == body.getArgument(1)) ||
         (a == body.getArgument(1) && b == body.getArgument(0));
}

/// True when `op` is buildElementwise's float conversion of its one input.
bool isConversion(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Block &body = op.getRegion().front();
  auto yield = llvm::cast<linalg::YieldOp>(body.getTerminator());
  Value v = yield.getOperand(0);
  while (Operation *def = v.getDefiningOp()) {
    if (!llvm::isa<arith::ExtFOp, arith::TruncFOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return v == body.getArgument(0);
}

std::optional<ConvChain> matchChain(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 8 || op->getNumResults() != 1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned i = 0; i < 8; ++i)
    if ((iterators[i] == utils::IteratorType::reduction) !=
        (i >= 3 && i <= 5))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[1] != AffineMap::get(8, 0, {d(1), d(2), d(3), d(4), d(5)}, ctx) ||
      maps[2] != AffineMap::get(8, 0, {d(0), d(1), d(2), d(6), d(7)}, ctx) ||
      maps[0].getNumResults() != 5 || maps[0].getResult(0) != d(0) ||
      maps[0].getResult(1) != d(1) || maps[0].getResult(2) != d(3))
    return std::nullopt;
  ConvChain chain;
  chain.contraction = op;
  for (unsigned i = 0; i < 2; ++i) {
    AffineExpr e = maps[0].getResult(3 + i);
    std::optional<int64_t> s = coefficient(e, 8, 6 + i),
                           dl = coefficient(e, 8, 4 + i);
    if (!s || !dl || *s < 1 || *dl < 1 || e != d(6 + i) * *s + d(4 + i) * *dl)
      return std::nullopt;
    chain.attrs.strides[i] = *s;
    chain.attrs.dilations[i] = *dl;
  }
  if (!isMulAddBody(op) || !isZeroTensor(op.getDpsInits()[0]))
    return std::nullopt;

  chain.xGrouped = op.getDpsInputs()[0].getDefiningOp<tensor::ExpandShapeOp>();
  chain.wGrouped = op.getDpsInputs()[1].getDefiningOp<tensor::ExpandShapeOp>();
  if (!chain.xGrouped || !chain.wGrouped ||
      !hasReassociation(chain.xGrouped.getReassociationIndices(),
                        {{0}, {1, 2}, {3}, {4}}) ||
      !hasReassociation(chain.wGrouped.getReassociationIndices(),
                        {{0, 1}, {2}, {3}, {4}}))
    return std::nullopt;
  chain.input = chain.xGrouped.getSrc();
  if (auto pad = chain.input.getDefiningOp<tensor::PadOp>()) {
    ArrayRef<int64_t> low = pad.getStaticLow(), high = pad.getStaticHigh();
    Value padValue = pad.getConstantPaddingValue();
    if (!pad.getLow().empty() || !pad.getHigh().empty() || low.size() != 4 ||
        low[0] != 0 || low[1] != 0 || high[0] != 0 || high[1] != 0 ||
        !padValue || !matchPattern(padValue, m_AnyZeroFloat()))
      return std::nullopt;
    chain.pad = pad;
    chain.attrs.pads = {low[2], low[3], high[2], high[3]};
    chain.input = pad.getSource();
  }
  auto xType = llvm::dyn_cast<RankedTensorType>(chain.input.getType());
  chain.filter = chain.wGrouped.getSrc().getDefiningOp<arith::ConstantOp>();
  if (!xType || xType.getRank() != 4 || !chain.filter ||
      !llvm::isa<ElementsAttr>(chain.filter.getValue()))
    return std::nullopt;
  auto wType = llvm::dyn_cast<RankedTensorType>(chain.filter.getType());
  if (!wType || wType.getRank() != 4 || wType.getEncoding() ||
      !wType.hasStaticShape() || wType.getElementType() != xType.getElementType() ||
      !llvm::isa<FloatType>(wType.getElementType()))
    return std::nullopt;
  chain.attrs.groups = chain.xGrouped.getResultType().getDimSize(1);
  if (ShapedType::isDynamic(chain.attrs.groups) ||
      chain.wGrouped.getResultType().getDimSize(0) != chain.attrs.groups)
    return std::nullopt;

  Value y = op->getResult(0);
  if (!y.hasOneUse())
    return std::nullopt;
  chain.merged = llvm::dyn_cast<tensor::CollapseShapeOp>(*y.getUsers().begin());
  if (!chain.merged ||
      !hasReassociation(chain.merged.getReassociationIndices(),
                        {{0}, {1, 2}, {3}, {4}}))
    return std::nullopt;
  chain.result = chain.merged.getResult();
  if (chain.merged.getResultType().getElementType() != xType.getElementType()) {
    if (!chain.result.hasOneUse())
      return std::nullopt;
    chain.convert =
        llvm::dyn_cast<linalg::GenericOp>(*chain.result.getUsers().begin());
    if (!chain.convert || !isConversion(chain.convert) ||
        getElementTypeOrSelf(chain.convert->getResult(0).getType()) !=
            xType.getElementType())
      return std::nullopt;
    chain.result = chain.convert->getResult(0);
  }
  return chain;
}

} // namespace

std::optional<WeightUse> mlir::qsl::detail::matchConvGeneric(linalg::GenericOp op) {
  std::optional<ConvChain> chain = matchChain(op);
  if (!chain)
    return std::nullopt;
  auto wType = llvm::cast<RankedTensorType>(chain->filter.getType());
  WeightUse use;
  use.op = op;
  use.input = chain->input;
  use.transposed = true;
  use.n = wType.getDimSize(0);
  use.k = wType.getNumElements() / use.n;
  use.conv = std::make_shared<ConvAttrs>(chain->attrs);
  use.weightType = wType;
  use.source = llvm::cast<ElementsAttr>(chain->filter.getValue());
  use.node = nodeName(op->getLoc());
  use.opType = opTypeOf(op);
  use.name = denseWeightName(chain->filter, use.source, use.node);
  return use;
}

std::optional<WeightUse> mlir::qsl::detail::matchEncodedConv(Conv2DOp op) {
  auto constant = op.getFilter().getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  WeightUse use;
  use.op = op;
  use.input = op.getInput();
  use.transposed = true;
  use.weightType = constant.getType();
  use.n = use.weightType.getDimSize(0);
  use.k = use.weightType.getNumElements() / use.n;
  ConvAttrs attrs;
  attrs.strides.assign(op.getStrides().begin(), op.getStrides().end());
  attrs.dilations.assign(op.getDilations().begin(), op.getDilations().end());
  attrs.pads.assign(op.getPads().begin(), op.getPads().end());
  attrs.groups = op.getGroups();
  use.conv = std::make_shared<ConvAttrs>(std::move(attrs));
  setEncodedWeight(use, op, constant);
  return use;
}

FailureOr<Operation *> mlir::qsl::detail::replaceConv(const WeightUse &use,
                                                      ConstantOp filter) {
  Operation *op = use.op;
  OpBuilder b(op);
  Location loc = op->getLoc();
  const ConvAttrs &a = *use.conv;
  // Read the chain again: the input may have been replaced since the use
  // was collected.
  Value input, result;
  std::optional<ConvChain> chain;
  if (auto conv = llvm::dyn_cast<Conv2DOp>(op)) {
    input = conv.getInput();
    result = conv.getResult();
  } else {
    chain = matchChain(llvm::cast<linalg::GenericOp>(op));
    if (!chain)
      return op->emitError() << "internal error: the convolution of weight '"
                             << use.name << "' changed before its replacement";
    input = chain->input;
    result = chain->result;
  }
  auto conv = Conv2DOp::create(
      b, loc, llvm::cast<RankedTensorType>(result.getType()), input, filter,
      b.getDenseI64ArrayAttr(a.strides), b.getDenseI64ArrayAttr(a.dilations),
      b.getDenseI64ArrayAttr(a.pads), b.getI64IntegerAttr(a.groups));
  if (Attribute calib = op->getAttr(kCalibrationAttr))
    conv->setAttr(kCalibrationAttr, calib);
  result.replaceAllUsesWith(conv.getResult());
  auto eraseIfDead = [](Operation *dead) {
    if (dead && dead->use_empty())
      dead->erase();
  };
  if (!chain) {
    op->erase();
    eraseIfDead(use.encoded);
    return conv.getOperation();
  }
  // Users before producers; what buildConv2D made for this convolution
  // alone goes with it (a shared value stays while something reads it).
  auto definer = [](Value v) { return v ? v.getDefiningOp() : nullptr; };
  Operation *convertInit =
      chain->convert ? definer(chain->convert.getDpsInits()[0]) : nullptr;
  eraseIfDead(chain->convert);
  eraseIfDead(convertInit);
  eraseIfDead(chain->merged);
  Operation *init = definer(chain->contraction.getDpsInits()[0]);
  eraseIfDead(chain->contraction);
  if (auto fill = llvm::dyn_cast_or_null<linalg::FillOp>(init)) {
    Operation *empty = definer(fill.getOutputs()[0]);
    Operation *zero = definer(fill.getInputs()[0]);
    eraseIfDead(fill);
    eraseIfDead(empty);
    eraseIfDead(zero);
  }
  eraseIfDead(chain->xGrouped);
  if (chain->pad) {
    Operation *padValue = definer(chain->pad.getConstantPaddingValue());
    eraseIfDead(chain->pad);
    eraseIfDead(padValue);
  }
  eraseIfDead(chain->wGrouped);
  eraseIfDead(chain->filter);
  return conv.getOperation();
}
