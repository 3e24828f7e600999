//===- TileAndVectorize.cpp - Register-blocked contractions for the CPU ---===//
//
// Contractions (the linalg.generic ops the importer and the qsl lowering
// emit for MatMul, Gemm, Einsum and attention) are the bulk of the work in
// every model. Lowered straight to loops they run at a few GFLOP/s. This
// pass gives them the shape of a classic GEMM micro-kernel: a tile-m x
// tile-n block of the result kept in vector registers while the reduction
// loop streams one column of the left block (broadcast) and one row of the
// right block (a vector load) per step, each step being tile-m FMAs of
// tile-n lanes.
//
// Steps, per op: tile (batch, N, M, K order), drop the unit batch dims of the
// tile, peel loops whose trip count does not divide, and after a
// canonicalization that makes the full tiles static, vectorize them into
// vector.contract and hoist the accumulator out of the K loop.
//
//===----------------------------------------------------------------------===//
#include "qsl/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLCPUTILEANDVECTORIZEPASS
#include "qsl/Codegen/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMarker = "qsl.cpu_microkernel";

/// The loop roles of a contraction: M and N are the two innermost
/// dimensions of the result (N contiguous), K the reductions.
struct Roles {
  SmallVector<unsigned> batch;
  unsigned m = 0, n = 0;
  SmallVector<unsigned> k;
};

std::optional<Roles> classify(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  // linalg.contract casts its operands to the result type; that is the
  // generic's arithmetic for floats (extf then mulf/addf) only.
  for (Value v : op->getOperands())
    if (!llvm::isa<FloatType>(getElementTypeOrSelf(v.getType())))
      return std::nullopt;
  for (Value v : op->getOperands())
    if (auto t = llvm::dyn_cast<ShapedType>(v.getType()); !t || !t.hasStaticShape())
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() < 2)
    return std::nullopt;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  Roles r;
  r.n = llvm::cast<AffineDimExpr>(out.getResult(out.getNumResults() - 1)).getPosition();
  r.m = llvm::cast<AffineDimExpr>(out.getResult(out.getNumResults() - 2)).getPosition();
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (iters[d] == utils::IteratorType::reduction)
      r.k.push_back(d);
    else if (d != r.m && d != r.n)
      r.batch.push_back(d);
  }
  if (r.k.empty())
    return std::nullopt;
  return r;
}

/// Loop-by-loop tile sizes for a static elementwise or reduction generic
/// that vectorizes well: every operand reads its innermost dimension
/// contiguously along the innermost loop (or broadcasts it), so a tile of
/// 1 x ... x 1 x V turns into plain vector loads. The innermost loop gets
/// `lanes` if it is parallel and is left whole if it is a reduction (up to
/// a bound), so row reductions (softmax, layer norm) become one vector
/// reduction per row. Returns nothing for ops that would vectorize into
/// gathers or transposes.
std::optional<SmallVector<int64_t>> elementwiseTiles(linalg::GenericOp op,
                                                     int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto t = llvm::dyn_cast<ShapedType>(v.getType());
    if (t && !t.hasStaticShape())
      return std::nullopt;
    // Memrefs hold sub-byte elements (i1, i4) one per byte; vectors of them
    // are bit-packed, so vector loads and stores would disagree with the
    // buffer layout.
    Type elem = getElementTypeOrSelf(v.getType());
    if (!elem.isIntOrIndexOrFloat() ||
        (!elem.isIndex() && elem.getIntOrFloatBitWidth() % 8 != 0))
      return std::nullopt;
  }
  bool gathers = false;
  op.getBody()->walk([&](Operation *inner) {
    if (llvm::isa<linalg::IndexOp, tensor::ExtractOp>(inner) ||
        inner->getNumRegions() > 0)
      gathers = true;
  });
  if (gathers)
    return std::nullopt;
  unsigned last = op.getNumLoops() - 1;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    // Dimensions or 0 (a keepdims size-1 dimension broadcast).
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return std::nullopt;
    for (unsigned r = 0; r < map.getNumResults(); ++r) {
      auto dim = llvm::dyn_cast<AffineDimExpr>(map.getResult(r));
      if (dim && dim.getPosition() == last && r + 1 != map.getNumResults())
        return std::nullopt;
    }
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles(op.getNumLoops(), 1);
  if (op.getIteratorTypesArray()[last] == utils::IteratorType::reduction) {
    if (ranges[last] > 4096)
      return std::nullopt;
    tiles[last] = 0;
  } else {
    tiles[last] = std::min(ranges[last], lanes);
  }
  return tiles;
}

/// The largest of `preferred`, `preferred/2`, ... that is at most `extent`
/// (a full tile when the dimension is small).
int64_t tileFor(int64_t extent, int64_t preferred) {
  return std::max<int64_t>(1, std::min(extent, preferred));
}

struct QslCpuTileAndVectorizePass
    : public qsl::impl::QslCpuTileAndVectorizePassBase<QslCpuTileAndVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    if (tileM < 1 || tileN < 1) {
      func.emitError() << "qsl-cpu-tile-and-vectorize: tile-m and tile-n must be "
                          "positive (got "
                       << static_cast<int64_t>(tileM) << ", "
                       << static_cast<int64_t>(tileN) << ")";
      return signalPassFailure();
    }
    IRRewriter rewriter(ctx);

    SmallVector<linalg::GenericOp> candidates;
    func.walk([&](linalg::GenericOp op) {
      if (classify(op))
        candidates.push_back(op);
    });

    SmallVector<scf::ForOp> toPeel;
    auto collectPeelable = [&](ArrayRef<LoopLikeOpInterface> loops) {
      for (LoopLikeOpInterface loop : loops) {
        auto forOp = llvm::dyn_cast<scf::ForOp>(loop.getOperation());
        if (!forOp)
          continue;
        std::optional<int64_t> lb = getConstantIntValue(forOp.getLowerBound());
        std::optional<int64_t> ub = getConstantIntValue(forOp.getUpperBound());
        std::optional<int64_t> step = getConstantIntValue(forOp.getStep());
        if (lb && ub && step && (*ub - *lb) % *step != 0)
          toPeel.push_back(forOp);
      }
    };

    // Elementwise ops and row reductions: 1 x ... x 1 x lanes tiles.
    SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> others;
    func.walk([&](linalg::GenericOp op) {
      if (classify(op))
        return;
      if (std::optional<SmallVector<int64_t>> tiles = elementwiseTiles(op, tileN))
        others.push_back({op, *tiles});
    });
    // Tiles `op` in place (loops in `order` when given).
    auto tile = [&](linalg::GenericOp op, ArrayRef<OpFoldResult> sizes,
                    ArrayRef<int64_t> order) -> FailureOr<scf::SCFTilingResult> {
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      if (!order.empty())
        options.setInterchange(order);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, llvm::cast<TilingInterface>(op.getOperation()), options);
      if (succeeded(tiled))
        rewriter.replaceOp(op, tiled->replacements);
      return tiled;
    };

    for (auto &[op, tiles] : others) {
      FailureOr<scf::SCFTilingResult> tiled =
          tile(op, getAsIndexOpFoldResult(ctx, tiles), {});
      if (failed(tiled))
        continue;
      tiled->tiledOps.back()->setAttr(kMarker, rewriter.getUnitAttr());
      collectPeelable(tiled->loops);
    }

    for (linalg::GenericOp op : candidates) {
      Roles roles = *classify(op);
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t tm = tileFor(ranges[roles.m], tileM);
      int64_t tn = tileFor(ranges[roles.n], tileN);
      SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(1));
      sizes[roles.m] = rewriter.getIndexAttr(tm);
      sizes[roles.n] = rewriter.getIndexAttr(tn);
      SmallVector<int64_t> order(roles.batch.begin(), roles.batch.end());
      order.push_back(roles.n);
      order.push_back(roles.m);
      order.append(roles.k.begin(), roles.k.end());

      FailureOr<scf::SCFTilingResult> tiled = tile(op, sizes, order);
      if (failed(tiled))
        continue;

      // The tile as a named linalg.contract (same maps, same arithmetic):
      // it vectorizes to one vector.contract over the operands' own layouts.
      Operation *kernel = tiled->tiledOps.back();
      if (auto g = llvm::dyn_cast<linalg::GenericOp>(kernel)) {
        rewriter.setInsertionPoint(g);
        auto contract = linalg::ContractOp::create(
            rewriter, g.getLoc(), g.getResultTypes(), g.getDpsInputs(),
            g.getDpsInits(), g.getIndexingMaps());
        rewriter.replaceOp(g, contract->getResults());
        kernel = contract;
      }
      kernel->setAttr(kMarker, rewriter.getUnitAttr());

      // Peel the M and N loops whose trip count does not divide evenly.
      collectPeelable(tiled->loops);
    }
    // Innermost first, so that peeling an outer loop copies peeled inner
    // loops along.
    for (scf::ForOp forOp : llvm::reverse(toPeel)) {
      scf::ForOp partial;
      rewriter.setInsertionPoint(forOp);
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
    }

    // Make the full tiles static.
    RewritePatternSet canon(ctx);
    for (Dialect *d : ctx->getLoadedDialects())
      d->getCanonicalizationPatterns(canon);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(canon, ctx);
    FrozenRewritePatternSet frozen(std::move(canon));
    if (failed(applyPatternsGreedily(func, frozen))) {
      func.emitError() << "qsl-cpu-tile-and-vectorize: canonicalization did "
                          "not converge";
      return signalPassFailure();
    }

    // Vectorize the static micro-kernels; the peeled remainders keep their
    // dynamic shapes and stay scalar.
    SmallVector<linalg::LinalgOp> kernels;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kMarker))
        kernels.push_back(op);
    });
    for (linalg::LinalgOp op : kernels) {
      op->removeAttr(kMarker);
      if (!op.hasPureTensorSemantics() || failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      bool isStatic = llvm::all_of(op->getOperandTypes(), [](Type t) {
        auto s = llvm::dyn_cast<ShapedType>(t);
        return !s || s.hasStaticShape();
      });
      if (!isStatic)
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (succeeded(v))
        rewriter.replaceOp(op, v->replacements);
    }

    // Turn multiply + multi_reduction into vector.contract and drop the
    // unit batch dimensions of the tiles, so that the contraction is a
    // plain [M, K] x [K, N] block.
    RewritePatternSet vectorPatterns(ctx);
    vector::populateVectorReductionToContractPatterns(vectorPatterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(vectorPatterns);
    vector::populateCastAwayVectorLeadingOneDimPatterns(vectorPatterns);
    vector::TransferReadOp::getCanonicalizationPatterns(vectorPatterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(vectorPatterns, ctx);
    vector::ContractionOp::getCanonicalizationPatterns(vectorPatterns, ctx);
    // Transcendentals as polynomials (vectorizable, a few ulp), not one
    // libm call per lane.
    populatePolynomialApproximateErfPattern(vectorPatterns);
    populatePolynomialApproximateTanhPattern(vectorPatterns);
    populateMathPolynomialApproximationPatterns(
        vectorPatterns, [](StringRef name) {
          name.consume_front("math.");
          return name == "exp" || name == "log" || name == "expm1" ||
                 name == "log1p";
        });
    if (failed(applyPatternsGreedily(func, std::move(vectorPatterns)))) {
      func.emitError() << "qsl-cpu-tile-and-vectorize: vector cleanup did not "
                          "converge";
      return signalPassFailure();
    }

    // The cleanup folds the f16 -> f32 extensions of the operands into the
    // contraction (f16 x f16 into f32), which the outer-product lowering
    // does not handle: extend the operand tiles explicitly instead (once per
    // tile, in registers).
    func.walk([&](vector::ContractionOp contract) {
      auto accType = llvm::dyn_cast<VectorType>(contract.getAccType());
      if (!accType || !llvm::isa<FloatType>(accType.getElementType()))
        return;
      Type acc = accType.getElementType();
      rewriter.setInsertionPoint(contract);
      bool changed = false;
      SmallVector<Value> operands;
      for (Value v : {contract.getLhs(), contract.getRhs()}) {
        auto type = llvm::cast<VectorType>(v.getType());
        if (type.getElementType() != acc &&
            llvm::isa<FloatType>(type.getElementType())) {
          v = arith::ExtFOp::create(rewriter, contract.getLoc(),
                                    type.clone(acc), v);
          changed = true;
        }
        operands.push_back(v);
      }
      if (!changed)
        return;
      rewriter.modifyOpInPlace(contract, [&] {
        contract.getLhsMutable().assign(operands[0]);
        contract.getRhsMutable().assign(operands[1]);
      });
    });

    // Keep the accumulator in registers across the K loop: hoist the
    // read/write pair of the loop-carried tile (innermost loops first).
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp forOp) { loops.push_back(forOp); });
    for (scf::ForOp forOp : loops)
      (void)hoistLoopInvariantSubsets(rewriter, forOp);
  }
};

} // namespace
