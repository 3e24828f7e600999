//===- WeightUses.cpp - The weights compression passes work on ------------===//
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "WeightUsesImpl.h"

#include "qsl/Utils/ElementsAccess.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qsl;
using ::qsl::compress::InputStatistics;
using ::qsl::compress::Mask;
using ::qsl::compress::Matrix;
using namespace mlir::qsl::detail;

std::string mlir::qsl::detail::opTypeOf(Operation *op) {
  if (auto fused = llvm::dyn_cast<FusedLoc>(op->getLoc()))
    if (auto type = llvm::dyn_cast_or_null<StringAttr>(fused.getMetadata()))
      return type.str();
  return op->getName().getStringRef().str();
}

std::string mlir::qsl::detail::nodeName(Location loc) {
  if (auto name = llvm::dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = nodeName(l); !n.empty())
        return n;
  return "";
}

bool mlir::qsl::detail::isZeroTensor(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(v, m_AnyZeroFloat());
}

/// Matches `op` as x[b..., m, k] * W[k, n] (or W[n, k]) into a zeroed
/// accumulator y[b..., m, n], with W a 2-D float arith.constant.
static std::optional<WeightUse> matchLinalg(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  auto constant = op.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
  auto weight = constant ? llvm::dyn_cast<ElementsAttr>(constant.getValue())
                         : ElementsAttr();
  auto wType = constant ? llvm::dyn_cast<RankedTensorType>(constant.getType())
                        : RankedTensorType();
  if (!weight || !wType || wType.getRank() != 2 ||
      !llvm::isa<FloatType>(wType.getElementType()) || wType.getEncoding())
    return std::nullopt;
  Value x = op.getDpsInputs()[0];
  auto xType = llvm::dyn_cast<RankedTensorType>(x.getType());
  if (!xType || xType.getElementType() != wType.getElementType() ||
      xType.getRank() < 2 || !isZeroTensor(op.getDpsInits()[0]))
    return std::nullopt;

  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (llvm::count(iterators, utils::IteratorType::reduction) != 1)
    return std::nullopt;
  unsigned red = llvm::find(iterators, utils::IteratorType::reduction) -
                 iterators.begin();
  AffineMap xMap = maps[0], wMap = maps[1], yMap = maps[2];
  if (!yMap.isProjectedPermutation() || !xMap.isProjectedPermutation() ||
      wMap.getNumResults() != 2 || !wMap.isProjectedPermutation())
    return std::nullopt;
  AffineExpr k = getAffineDimExpr(red, op.getContext());
  AffineExpr nExpr = yMap.getResults().back();
  bool transposed;
  if (wMap.getResult(0) == k && wMap.getResult(1) == nExpr)
    transposed = false;
  else if (wMap.getResult(0) == nExpr && wMap.getResult(1) == k)
    transposed = true;
  else
    return std::nullopt;
  // x must be indexed by y's leading dims and then k.
  if (xMap.getNumResults() != yMap.getNumResults() ||
      xMap.getResults().back() != k ||
      xMap.getResults().drop_back() != yMap.getResults().drop_back())
    return std::nullopt;

  WeightUse use;
  use.op = op;
  use.input = x;
  use.transposed = transposed;
  use.k = wType.getDimSize(transposed ? 1 : 0);
  use.n = wType.getDimSize(transposed ? 0 : 1);
  use.weightType = wType;
  use.source = weight;
  use.node = nodeName(op->getLoc());
  use.opType = opTypeOf(op);
  use.name = denseWeightName(constant, weight, use.node);
  return use;
}

static std::optional<WeightUse> matchEncoded(MatmulOp op) {
  auto constant = op.getWeight().getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  WeightUse use;
  use.op = op;
  use.input = op.getInput();
  use.transposed = op.getTransposeW();
  use.weightType = constant.getType();
  use.k = use.weightType.getDimSize(use.transposed ? 1 : 0);
  use.n = use.weightType.getDimSize(use.transposed ? 0 : 1);
  setEncodedWeight(use, op, constant);
  return use;
}

std::string mlir::qsl::detail::denseWeightName(Operation *constant,
                                              ElementsAttr data,
                                              StringRef node) {
  if (auto name = constant->getAttrOfType<StringAttr>(kWeightNameAttr))
    return name.str();
  std::string name = resourceName(data).str();
  if (name.empty())
    name = node.empty() ? "weight" : node.str();
  return name;
}

void mlir::qsl::detail::setEncodedWeight(WeightUse &use, Operation *op,
                                         ConstantOp constant) {
  use.encoded = constant;
  use.source = constant->getAttrOfType<ElementsAttr>(kSourceAttr);
  use.node = nodeName(op->getLoc());
  use.opType = opTypeOf(op);
  if (auto name = constant->getAttrOfType<StringAttr>(kWeightNameAttr))
    use.name = name.str();
  else
    use.name = use.node.empty() ? "weight" : use.node;
}

SmallVector<WeightUse> mlir::qsl::collectWeightUses(ModuleOp module) {
  SmallVector<WeightUse> uses;
  module.walk([&](Operation *op) {
    std::optional<WeightUse> use;
    if (auto mm = llvm::dyn_cast<MatmulOp>(op))
      use = matchEncoded(mm);
    else if (auto conv = llvm::dyn_cast<Conv2DOp>(op))
      use = matchEncodedConv(conv);
    else if (auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(op)) {
      use = matchLinalg(linalgOp);
      if (!use)
        if (auto generic = llvm::dyn_cast<linalg::GenericOp>(op))
          use = matchConvGeneric(generic);
    }
    if (use)
      uses.push_back(std::move(*use));
  });
  return uses;
}

std::string WeightFilter::init(StringRef includeRe, StringRef excludeRe,
                               int64_t minElems, StringRef opTypeList) {
  minElements = minElems;
  if (!opTypeList.trim().empty()) {
    SmallVector<StringRef> parts;
    opTypeList.split(parts, ',');
    for (StringRef p : parts) {
      if (p.trim().empty())
        return "empty entry in op-types '" + opTypeList.str() +
               "' (expected a comma-separated list such as MatMul,Gemm)";
      opTypes.push_back(p.trim().str());
    }
  }
  for (auto [text, slot, what] :
       {std::make_tuple(includeRe, &include, "include"),
        std::make_tuple(excludeRe, &exclude, "exclude")}) {
    if (text.empty())
      continue;
    llvm::Regex re(text);
    std::string error;
    if (!re.isValid(error))
      return std::string("invalid ") + what + " regex '" + text.str() +
             "': " + error;
    *slot = std::move(re);
  }
  return "";
}

bool WeightFilter::accepts(const WeightUse &use) const {
  auto matches = [&](const llvm::Regex &re) {
    return re.match(use.name) || (!use.node.empty() && re.match(use.node));
  };
  if (include && !matches(*include))
    return false;
  if (exclude && matches(*exclude))
    return false;
  if (!opTypes.empty() && !llvm::is_contained(opTypes, use.opType))
    return false;
  return use.k * use.n >= minElements;
}

LogicalResult mlir::qsl::readCanonicalWeight(const WeightUse &use, Matrix &w,
                                             Mask &keep,
                                             EncodedContents *contentsOut) {
  // The matrix view [dim0, rest] (a convolution's [O, C/groups*kh*kw]).
  int64_t rows = use.weightType.getDimSize(0),
          cols = use.weightType.getNumElements() / std::max<int64_t>(rows, 1);
  std::vector<double> data;
  std::vector<uint8_t> kept;
  if (use.encoded) {
    FailureOr<EncodedContents> contents = readEncodedConstant(use.encoded);
    if (failed(contents))
      return failure();
    EncodedTensorType view = *EncodedTensorType::get(use.weightType);
    data = denseApproximation(view, *contents);
    kept = contents->keep;
    if (contentsOut)
      *contentsOut = std::move(*contents);
  } else {
    std::optional<std::vector<double>> v = readFloatElements(use.source);
    if (!v)
      return use.op->emitError()
             << "the data of weight '" << use.name << "' is unavailable";
    data = std::move(*v);
  }
  Matrix stored(rows, cols);
  Mask storedKeep(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    stored.data()[i] = float(data[i]);
    storedKeep.data()[i] = kept.empty() || kept[i];
  }
  if (use.transposed) {
    w = std::move(stored);
    keep = std::move(storedKeep);
  } else {
    w = stored.transpose();
    keep = storedKeep.transpose();
  }
  return success();
}

std::optional<InputStatistics> mlir::qsl::readCalibration(const WeightUse &use) {
  auto dict = use.op->getAttrOfType<DictionaryAttr>(kCalibrationAttr);
  if (!dict)
    return std::nullopt;
  auto gram = dict.getAs<ElementsAttr>("gram");
  auto sum = dict.getAs<ElementsAttr>("sum");
  auto tokens = dict.getAs<IntegerAttr>("tokens");
  if (!gram || !sum || !tokens || sum.getNumElements() != use.k ||
      gram.getNumElements() != use.k * use.k)
    return std::nullopt;
  std::optional<std::vector<double>> g = readFloatElements(gram);
  std::optional<std::vector<double>> s = readFloatElements(sum);
  if (!g || !s)
    return std::nullopt;
  InputStatistics stats(use.k);
  stats.gram = Eigen::Map<const compress::MatrixD>(g->data(), use.k, use.k);
  stats.sum = Eigen::Map<const compress::VectorD>(s->data(), use.k);
  stats.tokens = tokens.getInt();
  return stats;
}

DictionaryAttr mlir::qsl::makeCalibrationAttr(MLIRContext *ctx,
                                              const InputStatistics &stats,
                                              StringRef name) {
  Builder b(ctx);
  int64_t k = stats.features();
  auto f64 = b.getF64Type();
  std::vector<double> gram(stats.gram.data(), stats.gram.data() + k * k);
  std::vector<double> sum(stats.sum.data(), stats.sum.data() + k);
  return b.getDictionaryAttr(
      {b.getNamedAttr("gram", makeFloatElements(
                                  RankedTensorType::get({k, k}, f64), gram,
                                  (name + ".gram").str())),
       b.getNamedAttr("sum",
                      makeFloatElements(RankedTensorType::get({k}, f64), sum,
                                        (name + ".sum").str())),
       b.getNamedAttr("tokens", b.getI64IntegerAttr(stats.tokens))});
}

LogicalResult mlir::qsl::replaceWithEncoded(WeightUse &use,
                                            RankedTensorType encodedType,
                                            const EncodedContents &contents,
                                            StringRef method) {
  Operation *op = use.op;
  OpBuilder b(op);
  Location loc = op->getLoc();
  FailureOr<ConstantOp> constant =
      buildEncodedConstant(b, loc, encodedType, contents, use.name);
  if (failed(constant))
    return failure();
  (*constant)->setAttr(kWeightNameAttr, b.getStringAttr(use.name));
  if (use.source)
    (*constant)->setAttr(kSourceAttr, use.source);
  std::string fullMethod = method.str();
  if (use.encoded)
    if (auto prior = use.encoded->getAttrOfType<StringAttr>(kMethodAttr))
      fullMethod = (prior.getValue() + " + " + method).str();
  (*constant)->setAttr(kMethodAttr, b.getStringAttr(fullMethod));

  if (use.isConv()) {
    FailureOr<Operation *> conv = replaceConv(use, *constant);
    if (failed(conv))
      return failure();
    use.op = *conv;
    use.input = use.op->getOperand(0);
    use.encoded = *constant;
    use.weightType = encodedType;
    return success();
  }

  // The activation is operand 0 of every form collectWeightUses accepts.
  // It is read from the op, not from use.input: when a contraction feeds
  // another one directly, the producer may already have been replaced.
  Value input = op->getOperand(0);
  auto xType = llvm::cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> yShape(xType.getShape());
  yShape.back() = use.n;
  auto mm = MatmulOp::create(
      b, loc, RankedTensorType::get(yShape, xType.getElementType()), input,
      *constant, use.transposed);
  if (Attribute calib = op->getAttr(kCalibrationAttr))
    mm->setAttr(kCalibrationAttr, calib);
  Value result = mm;
  auto oldType = llvm::cast<RankedTensorType>(op->getResult(0).getType());
  if (oldType.getElementType() != xType.getElementType())
    result = builders::convertFloatTensor(
        b, loc, result, llvm::cast<FloatType>(oldType.getElementType()));
  if (result.getType() != oldType)
    return op->emitError() << "internal error: replacing the contraction of '"
                           << use.name << "' changes its type";
  op->getResult(0).replaceAllUsesWith(result);
  // The weight's previous storage goes when nothing else reads it.
  Operation *old = use.encoded ? use.encoded.getOperation() : nullptr;
  if (!old && llvm::isa<linalg::LinalgOp>(op))
    old = llvm::cast<linalg::LinalgOp>(op).getDpsInputs()[1].getDefiningOp();
  op->erase();
  if (old && old->use_empty())
    old->erase();
  use.op = mm;
  use.input = input;
  use.encoded = *constant;
  use.weightType = encodedType;
  return success();
}
