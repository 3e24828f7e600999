//===- Epilogue.cpp - Elementwise ops fused into the kernels' stores ------===//
#include "Epilogue.h"

#include "qsl/Utils/ElementsAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {

bool isIdentity(AffineMap map, unsigned rank) {
  return map.isIdentity() && map.getNumDims() == rank;
}

/// A generic over tensors of rank `rank` (f32 results, or f16 when
/// `allowF16`) with parallel iterators, one output whose initial value is
/// not read, and an identity output map.
bool isElementwiseShell(linalg::GenericOp g, unsigned rank,
                        bool allowF16 = false) {
  if (g.getNumDpsInits() != 1 || g.getNumResults() != 1)
    return false;
  if (llvm::any_of(g.getIteratorTypesArray(), [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      }))
    return false;
  auto type = dyn_cast<RankedTensorType>(g.getResult(0).getType());
  if (!type || type.getRank() != rank ||
      !(type.getElementType().isF32() ||
        (allowF16 && type.getElementType().isF16())))
    return false;
  if (!isIdentity(g.getIndexingMapsArray().back(), rank))
    return false;
  Block &body = g.getRegion().front();
  return body.getArgument(body.getNumArguments() - 1).use_empty();
}

/// y = x + bias[channel dim] with `x` the chained value and bias a
/// constant.
std::optional<std::vector<float>> matchBias(linalg::GenericOp g, Value x,
                                            unsigned rank, unsigned channel) {
  if (g.getNumDpsInputs() != 2)
    return std::nullopt;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  auto add = dyn_cast<arith::AddFOp>(&body.front());
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return std::nullopt;
  unsigned xi = g.getDpsInputOperand(0)->get() == x ? 0 : 1;
  if (g.getDpsInputOperand(xi)->get() != x)
    return std::nullopt;
  unsigned bi = 1 - xi;
  auto maps = g.getIndexingMapsArray();
  if (!isIdentity(maps[xi], rank))
    return std::nullopt;
  // bias[channel], or ONNX's broadcast form bias[channel, 0, 0] of a
  // [C, 1, 1] operand (Conv + Add).
  AffineMap bmap = maps[bi];
  auto biasType = dyn_cast<RankedTensorType>(
      g.getDpsInputOperand(bi)->get().getType());
  if (!biasType || bmap.getNumResults() != biasType.getRank())
    return std::nullopt;
  bool sawChannel = false;
  for (auto [d, e] : llvm::enumerate(bmap.getResults())) {
    if (e == getAffineDimExpr(channel, g.getContext()) && !sawChannel) {
      sawChannel = true;
      continue;
    }
    auto c = dyn_cast<AffineConstantExpr>(e);
    if (!c || c.getValue() != 0 || biasType.getDimSize(d) != 1)
      return std::nullopt;
  }
  if (!sawChannel)
    return std::nullopt;
  Value args[2] = {body.getArgument(0), body.getArgument(1)};
  if (!((add.getLhs() == args[0] && add.getRhs() == args[1]) ||
        (add.getLhs() == args[1] && add.getRhs() == args[0])))
    return std::nullopt;
  // A constant, possibly reshaped to the broadcast form (same element
  // order: every other dimension is 1).
  Value bias = g.getDpsInputOperand(bi)->get();
  while (Operation *def = bias.getDefiningOp()) {
    if (!isa<tensor::ReshapeOp, tensor::ExpandShapeOp,
             tensor::CollapseShapeOp>(def))
      break;
    bias = def->getOperand(0);
  }
  auto cst = bias.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto elements = dyn_cast<ElementsAttr>(cst.getValue());
  if (!elements)
    return std::nullopt;
  auto values = readFloatElements(elements);
  if (!values)
    return std::nullopt;
  return std::vector<float>(values->begin(), values->end());
}

/// y = f(x) where f's body is arith/math ops on the block argument and
/// scalar constants (defined in the body or captured arith.constants).
bool matchUnary(linalg::GenericOp g, Value x, unsigned rank) {
  if (g.getNumDpsInputs() != 1 || g.getDpsInputOperand(0)->get() != x)
    return false;
  if (!isIdentity(g.getIndexingMapsArray()[0], rank))
    return false;
  Block &body = g.getRegion().front();
  for (Operation &op : body.without_terminator()) {
    Dialect *d = op.getDialect();
    if (!d || !(isa<arith::ArithDialect>(d) || isa<math::MathDialect>(d)))
      return false;
    if (op.getNumRegions() != 0)
      return false;
    for (Value v : op.getOperands()) {
      if (v.getParentBlock() == &body)
        continue;
      auto c = v.getDefiningOp<arith::ConstantOp>();
      if (!c || isa<ShapedType>(c.getType()))
        return false;
    }
  }
  return true;
}

/// y = x + r with `r` any f32 tensor of the same shape (identity maps);
/// returns r.
Value matchResidual(linalg::GenericOp g, Value x, unsigned rank) {
  if (g.getNumDpsInputs() != 2)
    return {};
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return {};
  auto add = dyn_cast<arith::AddFOp>(&body.front());
  if (!add || body.getTerminator()->getOperand(0) != add.getResult())
    return {};
  Value args[2] = {body.getArgument(0), body.getArgument(1)};
  if (!((add.getLhs() == args[0] && add.getRhs() == args[1]) ||
        (add.getLhs() == args[1] && add.getRhs() == args[0])))
    return {};
  auto maps = g.getIndexingMapsArray();
  if (!isIdentity(maps[0], rank) || !isIdentity(maps[1], rank))
    return {};
  Value a = g.getDpsInputOperand(0)->get(), b = g.getDpsInputOperand(1)->get();
  if (a == b || (a != x && b != x))
    return {};
  Value r = a == x ? b : a;
  auto type = dyn_cast<RankedTensorType>(r.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return {};
  return r;
}

/// y = truncf(x) to f16, as the last step.
bool matchCastToF16(linalg::GenericOp g, Value x, unsigned rank) {
  if (g.getNumDpsInputs() != 1 || g.getDpsInputOperand(0)->get() != x ||
      !isIdentity(g.getIndexingMapsArray()[0], rank))
    return false;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto trunc = dyn_cast<arith::TruncFOp>(&body.front());
  return trunc && trunc.getIn() == body.getArgument(0) &&
         trunc.getType().isF16() &&
         body.getTerminator()->getOperand(0) == trunc.getResult();
}

/// Whether `v` can be read where `anchor` is: it dominates `anchor`, or it
/// is defined by one pure op whose operands do (`hoist` is then that op,
/// to be moved before `anchor`).
bool availableAt(Value v, Operation *anchor, Operation *&hoist) {
  DominanceInfo dom;
  auto before = [&](Value u) { return dom.properlyDominates(u, anchor); };
  if (before(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != anchor->getBlock() || !isPure(def) ||
      def->getNumRegions() != 0 || !llvm::all_of(def->getOperands(), before))
    return false;
  hoist = def;
  return true;
}

} // namespace

Epilogue matchEpilogue(Operation *anchor, int64_t channelDim) {
  Value matmulResult = anchor->getResult(0);
  Epilogue e;
  e.result = matmulResult;
  auto type = cast<RankedTensorType>(matmulResult.getType());
  if (!type.getElementType().isF32())
    return e;
  unsigned rank = type.getRank();
  unsigned channel = channelDim < 0 ? rank - 1 : channelDim;
  bool haveBias = false;
  Value cur = matmulResult;
  while (cur.hasOneUse() && !e.toF16) {
    auto g = dyn_cast<linalg::GenericOp>(*cur.getUsers().begin());
    if (!g || !isElementwiseShell(g, rank, /*allowF16=*/true))
      break;
    EpilogueStep step;
    step.op = g;
    Value residual;
    if (auto bias =
            haveBias ? std::nullopt : matchBias(g, cur, rank, channel)) {
      if (int64_t(bias->size()) != type.getDimSize(channel))
        break;
      step.bias = std::move(*bias);
      haveBias = true;
    } else if (!e.residual && (residual = matchResidual(g, cur, rank)) &&
               availableAt(residual, anchor, e.hoist)) {
      step.residual = e.residual = residual;
    } else if (matchCastToF16(g, cur, rank)) {
      step.toF16 = e.toF16 = true;
    } else if (matchUnary(g, cur, rank) &&
               cast<RankedTensorType>(g.getResult(0).getType())
                   .getElementType()
                   .isF32()) {
      step.unary = g;
    } else {
      break;
    }
    e.steps.push_back(std::move(step));
    cur = g.getResult(0);
  }
  e.result = cur;
  return e;
}

void applyEpilogue(gpu::GPUFuncOp func, gpu::GPUModuleOp kernels,
                   const Epilogue &epilogue, const std::string &biasName) {
  if (epilogue.steps.empty())
    return;
  MLIRContext *ctx = func.getContext();
  Block &entry = func.getBody().front();
  BlockArgument y = entry.getArgument(entry.getNumArguments() - 1);
  Location loc = func.getLoc();

  // The bias vector, resident in the kernel module.
  Value bias;
  for (const EpilogueStep &step : epilogue.steps) {
    if (step.bias.empty())
      continue;
    int64_t n = step.bias.size();
    Type f32 = Float32Type::get(ctx);
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
    auto globalType =
        MemRefType::get({n}, f32, MemRefLayoutAttrInterface(), space);
    OpBuilder gb = OpBuilder::atBlockBegin(kernels.getBody());
    auto global = memref::GlobalOp::create(
        gb, loc, biasName, /*sym_visibility=*/StringAttr(), globalType,
        DenseElementsAttr::get(RankedTensorType::get({n}, f32),
                               ArrayRef<float>(step.bias)),
        /*constant=*/false, /*alignment=*/gb.getI64IntegerAttr(16));
    SymbolTable(kernels).insert(global);
    OpBuilder kb = OpBuilder::atBlockBegin(&entry);
    Value g = memref::GetGlobalOp::create(kb, loc, globalType,
                                          global.getSymName());
    bias = memref::MemorySpaceCastOp::create(
        kb, loc, MemRefType::get({n}, f32), g);
  }

  // The residual: a new argument before y, y's shape in f32.
  Value residual;
  if (epilogue.residual) {
    auto yType = cast<MemRefType>(y.getType());
    auto rType = MemRefType::get(yType.getShape(), Float32Type::get(ctx));
    unsigned at = entry.getNumArguments() - 1;
    (void)func.insertArgument(at, rType, DictionaryAttr(), loc);
    residual = entry.getArgument(at);
  }

  SmallVector<memref::StoreOp> stores;
  func.walk([&](memref::StoreOp s) {
    if (s.getMemRef() == y)
      stores.push_back(s);
  });
  for (memref::StoreOp store : stores) {
    // The f32 value: before the output cast when the output is f16.
    Value v = store.getValueToStore();
    auto trunc = v.getDefiningOp<arith::TruncFOp>();
    Value f = trunc ? trunc.getIn() : v;
    OpBuilder b(trunc ? trunc.getOperation() : store.getOperation());
    // y[row, col] of a matmul, y[image, channel, pixel] of a convolution.
    Value col = store.getIndices()[1];
    for (const EpilogueStep &step : epilogue.steps) {
      if (!step.bias.empty()) {
        Value bv = memref::LoadOp::create(b, loc, bias, ValueRange{col});
        f = arith::AddFOp::create(b, loc, f, bv);
        continue;
      }
      if (step.residual) {
        Value rv = memref::LoadOp::create(b, loc, residual, store.getIndices());
        f = arith::AddFOp::create(b, loc, f, rv);
        continue;
      }
      if (step.toF16) // the kernel was built with an f16 output
        continue;
      linalg::GenericOp unary = step.unary;
      Block &body = unary.getRegion().front();
      IRMapping map;
      map.map(body.getArgument(0), f);
      for (Operation &op : body.without_terminator()) {
        for (Value operand : op.getOperands())
          if (operand.getParentBlock() != &body && !map.contains(operand))
            map.map(operand, b.clone(*operand.getDefiningOp())->getResult(0));
        b.clone(op, map);
      }
      f = map.lookup(body.getTerminator()->getOperand(0));
    }
    if (trunc)
      trunc.getInMutable().assign(f);
    else
      store.getValueMutable().assign(f);
  }
}

void applyCorrectionTerms(gpu::GPUFuncOp func, const ComposedShape &c) {
  MLIRContext *ctx = func.getContext();
  const KernelShape &s = c.base;
  Location loc = func.getLoc();
  Block &entry = func.getBody().front();
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32);
  // New parameters just before the output, in the composed GEMV's order.
  SmallVector<Type> types;
  if (c.outliers) {
    types.push_back(MemRefType::get({s.n + 1}, i32));
    types.push_back(MemRefType::get({c.outliers}, i32));
    types.push_back(MemRefType::get({c.outliers}, f32));
  }
  if (c.rank) {
    types.push_back(MemRefType::get({s.m, c.rank}, f32));
    types.push_back(MemRefType::get({s.n, c.rank}, f32));
  }
  unsigned first = entry.getNumArguments() - 1;
  for (auto [i, type] : llvm::enumerate(types))
    (void)func.insertArgument(first + i, type, DictionaryAttr(), loc);
  auto param = [&](unsigned i) { return entry.getArgument(first + i); };
  Value x = entry.getArgument(0);
  Value y = entry.getArgument(entry.getNumArguments() - 1);

  SmallVector<memref::StoreOp> stores;
  func.walk([&](memref::StoreOp st) {
    if (st.getMemRef() == y)
      stores.push_back(st);
  });
  for (memref::StoreOp store : stores) {
    Value v = store.getValueToStore();
    auto trunc = v.getDefiningOp<arith::TruncFOp>();
    Value f = trunc ? trunc.getIn() : v;
    OpBuilder b(trunc ? trunc.getOperation() : store.getOperation());
    Value row = store.getIndices()[0], col = store.getIndices()[1];
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto asIndex = [&](Value i32v) {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32v);
    };
    if (c.outliers) {
      // sum over p in [colptr[col], colptr[col + 1]) of x[row, rows[p]] *
      // values[p]
      Value next = arith::AddIOp::create(b, loc, col, one);
      Value lo = asIndex(memref::LoadOp::create(b, loc, param(0), col));
      Value hi = asIndex(memref::LoadOp::create(b, loc, param(0), next));
      auto loop = scf::ForOp::create(
          b, loc, lo, hi, one, ValueRange{zero},
          [&](OpBuilder &lb, Location l, Value p, ValueRange acc) {
            Value k = arith::IndexCastOp::create(
                lb, l, lb.getIndexType(),
                memref::LoadOp::create(lb, l, param(1), p));
            Value xv = memref::LoadOp::create(lb, l, x, ValueRange{row, k});
            if (!xv.getType().isF32())
              xv = arith::ExtFOp::create(lb, l, f32, xv);
            Value ov = memref::LoadOp::create(lb, l, param(2), p);
            Value prod = arith::MulFOp::create(lb, l, xv, ov);
            scf::YieldOp::create(
                lb, l, ValueRange{arith::AddFOp::create(lb, l, acc[0], prod)});
          });
      f = arith::AddFOp::create(b, loc, f, loop.getResult(0));
    }
    if (c.rank) {
      unsigned base = c.outliers ? 3 : 0;
      Value z = arith::ConstantIndexOp::create(b, loc, 0);
      Value r = arith::ConstantIndexOp::create(b, loc, c.rank);
      auto loop = scf::ForOp::create(
          b, loc, z, r, one, ValueRange{zero},
          [&](OpBuilder &lb, Location l, Value j, ValueRange acc) {
            Value tv = memref::LoadOp::create(lb, l, param(base),
                                              ValueRange{row, j});
            Value bv = memref::LoadOp::create(lb, l, param(base + 1),
                                              ValueRange{col, j});
            Value prod = arith::MulFOp::create(lb, l, tv, bv);
            scf::YieldOp::create(
                lb, l, ValueRange{arith::AddFOp::create(lb, l, acc[0], prod)});
          });
      f = arith::AddFOp::create(b, loc, f, loop.getResult(0));
    }
    if (trunc)
      trunc.getInMutable().assign(f);
    else
      store.getValueMutable().assign(f);
  }
}

void eraseEpilogue(const Epilogue &epilogue) {
  for (auto it = epilogue.steps.rbegin(); it != epilogue.steps.rend(); ++it)
    linalg::GenericOp(it->op).erase();
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
