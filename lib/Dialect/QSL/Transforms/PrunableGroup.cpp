//===- PrunableGroup.cpp - The subgraph a structured pruning narrows ------===//
#include "PrunableGroup.h"

#include "qsl/Utils/ElementsAccess.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

/// The layout of a reshape's source given its result's: the units must
/// fill one dimension on both sides (nothing else merged into it).
FailureOr<UnitLayout> reshapeSourceLayout(ArrayRef<int64_t> result,
                                          ArrayRef<int64_t> source,
                                          const UnitLayout &l, int64_t units) {
  if (l.offsets.size() != 1 || l.offsets[0] != 0 ||
      result[l.dim] != units * l.block)
    return failure();
  // Elements between the starts of two consecutive units.
  int64_t step = product(result.drop_front(l.dim + 1)) * l.block;
  for (unsigned q = 0; q < source.size(); ++q) {
    int64_t inner = product(source.drop_front(q + 1));
    if (step % inner == 0 && source[q] == units * (step / inner))
      return UnitLayout{q, step / inner, {0}};
  }
  return failure();
}

struct Walker {
  PrunableGroup &g;
  const DenseMap<Operation *, const WeightUse *> &usesByOp;
  std::string &why;
  SmallVector<Value> work;
  llvm::SetVector<Operation *> ops;

  LogicalResult fail(const Twine &reason) {
    why = reason.str();
    return failure();
  }

  LogicalResult setLayout(Value v, const UnitLayout &l) {
    auto type = llvm::dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape())
      return fail("a tensor on the way has a dynamic shape");
    auto it = g.layouts.find(v);
    if (it == g.layouts.end()) {
      g.layouts.insert({v, l});
      work.push_back(v);
      return success();
    }
    UnitLayout &have = it->second;
    if (have.dim != l.dim || have.block != l.block)
      return fail("a tensor on the way holds the units in two ways");
    SmallVector<int64_t> merged(have.offsets);
    merged.append(l.offsets.begin(), l.offsets.end());
    llvm::sort(merged);
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    if (merged != have.offsets) {
      have.offsets = merged;
      work.push_back(v);
    }
    return success();
  }

  LogicalResult visitGeneric(linalg::GenericOp op, Value v,
                             const UnitLayout &l) {
    if (op->getNumResults() != 1)
      return fail("an op on the way has several results");
    AffineMap resMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    auto d = llvm::dyn_cast<AffineDimExpr>(resMap.getResult(l.dim));
    if (!d || op.getIteratorTypesArray()[d.getPosition()] !=
                  utils::IteratorType::parallel)
      return fail("an op on the way mixes the units");
    if (!op.getBody()->getOps<linalg::IndexOp>().empty())
      return fail("an op on the way reads its loop indices");
    int64_t size = llvm::cast<RankedTensorType>(v.getType()).getDimSize(l.dim);
    DenseMap<Value, UnitLayout> constantLayouts;
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap m = op.getMatchingIndexingMap(&operand);
      int pos = -1;
      for (auto [i, e] : llvm::enumerate(m.getResults())) {
        if (e == d && pos < 0)
          pos = i;
        else if (e.isFunctionOfDim(d.getPosition()))
          return fail("an op on the way mixes the units");
      }
      if (pos < 0)
        continue; // the same for every unit (a mask, a scale)
      auto type = llvm::dyn_cast<RankedTensorType>(operand.get().getType());
      if (!type || type.getDimSize(pos) != size)
        return fail("an op on the way broadcasts along the units");
      UnitLayout ol{unsigned(pos), l.block, l.offsets};
      if (operand.get().getDefiningOp<arith::ConstantOp>()) {
        auto [it, fresh] = constantLayouts.insert({operand.get(), ol});
        if (!fresh && !(it->second == ol))
          return fail("a constant is read twice in different ways");
        g.constants[&operand] = ol;
        continue;
      }
      if (failed(setLayout(operand.get(), ol)))
        return failure();
    }
    return success();
  }

  LogicalResult visit(Value v) {
    UnitLayout l = g.layouts.lookup(v);
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != g.consumer.op->getBlock())
      return fail("a tensor carrying the units comes from outside the "
                  "function body");
    if (const WeightUse *p = usesByOp.lookup(def)) {
      if (p->encoded)
        return fail("a producer weight is already compressed");
      if (l.dim != llvm::cast<RankedTensorType>(v.getType()).getRank() - 1)
        return fail("a producer's units are not its output channels");
      if (!llvm::any_of(g.producers,
                        [&](const WeightUse &u) { return u.op == def; }))
        g.producers.push_back(*p);
      return success();
    }
    ops.insert(def);
    ArrayRef<int64_t> shape =
        llvm::cast<RankedTensorType>(v.getType()).getShape();
    auto viaReshape = [&](Value source) -> LogicalResult {
      auto st = llvm::dyn_cast<RankedTensorType>(source.getType());
      if (!st || !st.hasStaticShape())
        return fail("a reshape on the way has a dynamic shape");
      FailureOr<UnitLayout> sl =
          reshapeSourceLayout(shape, st.getShape(), l, g.units);
      if (failed(sl))
        return fail("a reshape on the way merges the units with other data");
      return setLayout(source, *sl);
    };
    return llvm::TypeSwitch<Operation *, LogicalResult>(def)
        .Case([&](tensor::EmptyOp) { return success(); })
        .Case([&](linalg::FillOp fill) {
          return setLayout(fill.getDpsInits()[0], l);
        })
        .Case([&](linalg::TransposeOp t) {
          UnitLayout in = l;
          in.dim = t.getPermutation()[l.dim];
          if (failed(setLayout(t.getInput(), in)))
            return failure();
          return setLayout(t.getInit(), l);
        })
        .Case([&](linalg::GenericOp op) { return visitGeneric(op, v, l); })
        .Case([&](tensor::ReshapeOp op) { return viaReshape(op.getSource()); })
        .Case([&](tensor::ExpandShapeOp op) {
          return viaReshape(op.getSrc());
        })
        .Case([&](tensor::CollapseShapeOp op) {
          return viaReshape(op.getSrc());
        })
        .Case([&](tensor::ExtractSliceOp op) -> LogicalResult {
          if (!op.hasUnitStride() || op.getSourceType().getRank() !=
                                         op.getResultType().getRank() ||
              ShapedType::isDynamic(op.getStaticOffsets()[l.dim]))
            return fail("a slice on the way drops dimensions or has dynamic "
                        "offsets");
          UnitLayout sl = l;
          for (int64_t &o : sl.offsets)
            o += op.getStaticOffsets()[l.dim];
          return setLayout(op.getSource(), sl);
        })
        .Default([&](Operation *op) {
          return fail("'" + op->getName().getStringRef() +
                      "' on the way cannot be narrowed");
        });
  }

  LogicalResult run() {
    Value input = g.consumer.op->getOperand(0);
    auto inType = llvm::dyn_cast<RankedTensorType>(input.getType());
    if (!inType || !inType.hasStaticShape())
      return fail("its input has a dynamic shape");
    if (failed(setLayout(input, UnitLayout{unsigned(inType.getRank() - 1),
                                           g.unitSize,
                                           {0}})))
      return failure();
    while (!work.empty())
      if (failed(visit(work.pop_back_val())))
        return failure();
    if (g.producers.empty())
      return fail("no producer contraction with a constant weight");
    // Every layout fits its tensor, units of different offsets apart.
    for (auto &[v, l] : g.layouts) {
      int64_t size = llvm::cast<RankedTensorType>(v.getType()).getDimSize(l.dim);
      int64_t end = 0;
      for (int64_t o : l.offsets) {
        if (o < end)
          return fail("a tensor on the way holds overlapping units");
        end = o + g.units * l.block;
      }
      if (end > size)
        return fail("a tensor on the way is too small for the units");
    }
    // Nothing outside the group may read a value of it (tensor.empty is
    // only a shape and is made anew).
    for (auto &[v, l] : g.layouts) {
      if (v.getDefiningOp<tensor::EmptyOp>())
        continue;
      for (Operation *user : v.getUsers())
        if (user != g.consumer.op && !ops.contains(user))
          return fail("an activation of the group is also read elsewhere");
    }
    g.ops.assign(ops.begin(), ops.end());
    llvm::sort(g.ops,
               [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    return success();
  }
};

/// `values` (row-major, `shape`) restricted to `kept` along `dim`.
template <typename T>
std::vector<T> sliceAlong(ArrayRef<T> values, ArrayRef<int64_t> shape,
                          unsigned dim, ArrayRef<int64_t> kept) {
  int64_t inner = product(shape.drop_front(dim + 1));
  int64_t outer = product(shape.take_front(dim));
  std::vector<T> out;
  out.reserve(outer * kept.size() * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : kept) {
      const T *src = values.data() + (o * shape[dim] + k) * inner;
      out.insert(out.end(), src, src + inner);
    }
  return out;
}

} // namespace

FailureOr<PrunableGroup> mlir::qsl::findPrunableGroup(
    const WeightUse &consumer, int64_t unitSize,
    const DenseMap<Operation *, const WeightUse *> &usesByOp,
    std::string &why) {
  PrunableGroup g;
  g.consumer = consumer;
  g.unitSize = unitSize;
  if (unitSize < 1 || consumer.k % unitSize != 0) {
    why = "its input channels are not whole units";
    return failure();
  }
  g.units = consumer.k / unitSize;
  if (g.units < 2) {
    why = "it has fewer than two units";
    return failure();
  }
  Walker w{g, usesByOp, why, {}, {}};
  if (failed(w.run()))
    return failure();
  return g;
}

int64_t mlir::qsl::headDimension(const WeightUse &consumer) {
  Value input = consumer.op->getOperand(0);
  Operation *def = input.getDefiningOp();
  if (!def || !llvm::isa<tensor::ReshapeOp, tensor::CollapseShapeOp>(def))
    return 0;
  auto src = llvm::dyn_cast<RankedTensorType>(def->getOperand(0).getType());
  auto dst = llvm::dyn_cast<RankedTensorType>(input.getType());
  if (!src || !dst || !src.hasStaticShape() || !dst.hasStaticShape() ||
      src.getRank() != dst.getRank() + 1 || src.getRank() < 2)
    return 0;
  int64_t r = src.getRank();
  int64_t heads = src.getDimSize(r - 2), dim = src.getDimSize(r - 1);
  if (heads * dim != consumer.k || heads < 2)
    return 0;
  return dim;
}

SmallVector<int64_t> mlir::qsl::keptIndices(const UnitLayout &layout,
                                            int64_t size, int64_t units,
                                            ArrayRef<int64_t> keptUnits) {
  std::vector<bool> keep(size, true);
  std::vector<bool> unitKept(units, false);
  for (int64_t u : keptUnits)
    unitKept[u] = true;
  for (int64_t o : layout.offsets)
    for (int64_t u = 0; u < units; ++u)
      if (!unitKept[u])
        for (int64_t j = 0; j < layout.block; ++j)
          keep[o + u * layout.block + j] = false;
  SmallVector<int64_t> kept;
  for (int64_t i = 0; i < size; ++i)
    if (keep[i])
      kept.push_back(i);
  return kept;
}

Value mlir::qsl::makeDenseConstant(OpBuilder &b, Location loc,
                                   RankedTensorType type,
                                   ArrayRef<double> values, StringRef name) {
  ElementsAttr attr = makeFloatElements(type, values, name);
  return arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(attr));
}

Value mlir::qsl::makeWeightConstant(OpBuilder &b, const WeightUse &use,
                                    const cq::Matrix &canonical) {
  SmallVector<int64_t> shape{canonical.cols(), canonical.rows()};
  if (use.transposed)
    std::swap(shape[0], shape[1]);
  std::vector<float> v = toStored<float>(use, canonical);
  Value cst = makeDenseConstant(
      b, use.op->getLoc(),
      RankedTensorType::get(shape, use.weightType.getElementType()),
      std::vector<double>(v.begin(), v.end()), use.name);
  // The resource key may have been made unique (the old blob still
  // exists); the weight keeps its name for reports and include= regexes.
  cst.getDefiningOp()->setAttr(kWeightNameAttr,
                               b.getStringAttr(use.name));
  return cst;
}

/// A copy of the constant `cst` keeping `kept` along `dim`.
static FailureOr<Value> sliceConstant(OpBuilder &b, arith::ConstantOp cst,
                                      unsigned dim, ArrayRef<int64_t> kept) {
  auto attr = llvm::dyn_cast<ElementsAttr>(cst.getValue());
  auto type = llvm::cast<RankedTensorType>(cst.getType());
  if (!attr)
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = kept.size();
  auto newType = RankedTensorType::get(shape, type.getElementType());
  StringRef name = resourceName(attr);
  ElementsAttr sliced;
  if (llvm::isa<FloatType>(type.getElementType())) {
    std::optional<std::vector<double>> v = readFloatElements(attr);
    if (!v)
      return failure();
    sliced = makeFloatElements(
        newType, sliceAlong<double>(*v, type.getShape(), dim, kept), name);
  } else {
    std::optional<std::vector<int64_t>> v =
        readIntElements(attr, type.getElementType().isUnsignedInteger());
    if (!v)
      return failure();
    sliced = makeIntElements(
        newType, sliceAlong<int64_t>(*v, type.getShape(), dim, kept), name);
  }
  return arith::ConstantOp::create(b, cst.getLoc(), llvm::cast<TypedAttr>(sliced))
      .getResult();
}

LogicalResult mlir::qsl::narrowGroup(PrunableGroup &g,
                                     ArrayRef<int64_t> keptUnits,
                                     ArrayRef<cq::Matrix> producerWeights,
                                     const cq::Matrix &consumerWeight) {
  auto kept = [&](Value v) {
    const UnitLayout &l = g.layouts.find(v)->second;
    return keptIndices(l,
                       llvm::cast<RankedTensorType>(v.getType())
                           .getDimSize(l.dim),
                       g.units, keptUnits);
  };
  auto narrowedType = [&](Value v) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[g.layouts.find(v)->second.dim] = kept(v).size();
    return RankedTensorType::get(shape, t.getElementType(), t.getEncoding());
  };

  DenseMap<Operation *, size_t> producerIndex;
  SmallVector<Operation *> order(g.ops);
  for (auto [i, p] : llvm::enumerate(g.producers)) {
    producerIndex[p.op] = i;
    order.push_back(p.op);
  }
  llvm::sort(order,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  IRMapping map;
  SmallVector<Operation *> old;
  SetVector<Operation *> maybeDead;
  for (Operation *op : order) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        maybeDead.insert(def);
    old.push_back(op);
    Value result = op->getResult(0);
    if (auto it = producerIndex.find(op); it != producerIndex.end()) {
      const WeightUse &p = g.producers[it->second];
      const cq::Matrix &w = producerWeights[it->second];
      SmallVector<int64_t> rows = kept(result);
      cq::Matrix sliced(rows.size(), w.cols());
      for (auto [i, r] : llvm::enumerate(rows))
        sliced.row(i) = w.row(r);
      auto linalgOp = llvm::cast<linalg::LinalgOp>(op);
      RankedTensorType resType = narrowedType(result);
      IRMapping pm;
      pm.map(linalgOp.getDpsInputOperand(1)->get(),
             makeWeightConstant(b, p, sliced));
      pm.map(linalgOp.getDpsInits()[0],
             builders::zeroFilledTensor(b, loc, resType.getShape(),
                                        resType.getElementType()));
      Operation *clone = b.clone(*op, pm);
      clone->getResult(0).setType(resType);
      map.map(result, clone->getResult(0));
      continue;
    }
    RankedTensorType resType = narrowedType(result);
    Value repl;
    if (llvm::isa<tensor::EmptyOp>(op)) {
      repl = tensor::EmptyOp::create(b, loc, resType.getShape(),
                                     resType.getElementType());
    } else if (auto r = llvm::dyn_cast<tensor::ReshapeOp>(op)) {
      auto shapeType = llvm::cast<RankedTensorType>(r.getShape().getType());
      SmallVector<int64_t> dims(resType.getShape());
      Value shape = arith::ConstantOp::create(
          b, loc,
          llvm::cast<TypedAttr>(makeIntElements(shapeType, dims, "shape")));
      repl = tensor::ReshapeOp::create(b, loc, resType,
                                       map.lookup(r.getSource()), shape);
    } else if (auto e = llvm::dyn_cast<tensor::ExpandShapeOp>(op)) {
      repl = tensor::ExpandShapeOp::create(b, loc, resType,
                                           map.lookup(e.getSrc()),
                                           e.getReassociationIndices());
    } else if (auto c = llvm::dyn_cast<tensor::CollapseShapeOp>(op)) {
      repl = tensor::CollapseShapeOp::create(b, loc, resType,
                                             map.lookup(c.getSrc()),
                                             c.getReassociationIndices());
    } else if (auto s = llvm::dyn_cast<tensor::ExtractSliceOp>(op)) {
      unsigned dim = g.layouts.find(result)->second.dim;
      SmallVector<int64_t> srcKept = kept(s.getSource());
      SmallVector<int64_t> offsets(s.getStaticOffsets());
      int64_t begin = offsets[dim], end = begin + s.getStaticSizes()[dim];
      offsets[dim] = llvm::count_if(srcKept, [&](int64_t i) { return i < begin; });
      SmallVector<int64_t> sizes(s.getStaticSizes());
      sizes[dim] = llvm::count_if(
          srcKept, [&](int64_t i) { return i >= begin && i < end; });
      SmallVector<int64_t> strides(offsets.size(), 1);
      MLIRContext *ctx = op->getContext();
      repl = tensor::ExtractSliceOp::create(
          b, loc, resType, map.lookup(s.getSource()),
          getAsIndexOpFoldResult(ctx, offsets),
          getAsIndexOpFoldResult(ctx, sizes),
          getAsIndexOpFoldResult(ctx, strides));
    } else {
      // linalg.generic, linalg.fill, linalg.transpose: the same op on the
      // narrower operands, with sliced constants.
      IRMapping om = map;
      for (OpOperand &operand : op->getOpOperands()) {
        auto it = g.constants.find(&operand);
        if (it == g.constants.end() || om.contains(operand.get()))
          continue;
        auto cst = operand.get().getDefiningOp<arith::ConstantOp>();
        auto ct = llvm::cast<RankedTensorType>(cst.getType());
        FailureOr<Value> sliced = sliceConstant(
            b, cst, it->second.dim,
            keptIndices(it->second, ct.getDimSize(it->second.dim), g.units,
                        keptUnits));
        if (failed(sliced))
          return op->emitError("the data of a constant to narrow is "
                               "unavailable");
        om.map(operand.get(), *sliced);
      }
      Operation *clone = b.clone(*op, om);
      clone->getResult(0).setType(resType);
      repl = clone->getResult(0);
    }
    map.map(result, repl);
  }

  // The consumer: the kept columns of its weight, the narrower input.
  WeightUse &c = g.consumer;
  Value input = c.op->getOperand(0);
  SmallVector<int64_t> cols = kept(input);
  cq::Matrix w2(consumerWeight.rows(), cols.size());
  for (auto [i, j] : llvm::enumerate(cols))
    w2.col(i) = consumerWeight.col(j);
  auto linalgC = llvm::cast<linalg::LinalgOp>(c.op);
  OpOperand *wOperand = linalgC.getDpsInputOperand(1);
  OpBuilder b(c.op);
  maybeDead.insert(wOperand->get().getDefiningOp());
  wOperand->set(makeWeightConstant(b, c, w2));
  c.op->setOperand(0, map.lookup(input));

  // The old ops, last first; then the constants, empties and fills only
  // they read.
  for (Operation *op : llvm::reverse(old)) {
    maybeDead.remove(op);
    if (op->use_empty())
      op->erase();
    else if (!llvm::isa<tensor::EmptyOp>(op))
      return op->emitError("internal error: a narrowed op is still used");
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : maybeDead) {
      if (!op || !op->use_empty() ||
          !llvm::isa<arith::ConstantOp, tensor::EmptyOp, linalg::FillOp>(op))
        continue;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          maybeDead.insert(def);
      maybeDead.remove(op);
      op->erase();
      changed = true;
      break;
    }
  }
  return success();
}
