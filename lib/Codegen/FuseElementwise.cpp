//===- FuseElementwise.cpp - Elementwise fusion for the CPU pipeline -------===//
//
// Imported graphs are chains of small elementwise ops (Add, Mul, Erf, Div,
// ...), each one a linalg.generic with its own output buffer. Memory
// traffic between them, not arithmetic, is what they cost, so fusing a
// chain into one loop nest is the main win outside the contractions.
//
//===----------------------------------------------------------------------===//
#include "qsl/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLCPUFUSEELEMENTWISEPASS
#include "qsl/Codegen/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;

namespace {

bool isContraction(Operation *op) {
  auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0 &&
         linalg::isaContractionOpInterface(linalgOp);
}

struct QslCpuFuseElementwisePass
    : public qsl::impl::QslCpuFuseElementwisePassBase<QslCpuFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      Operation *consumer = fused->getOwner();
      if (!producer || isContraction(consumer))
        return false;
      // Fusing a producer with several users duplicates its work.
      return producer->hasOneUse();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateFoldTensorEmptyPatterns(patterns);
    linalg::FillOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError()
          << "qsl-cpu-fuse-elementwise: fusion did not converge";
      signalPassFailure();
    }
  }
};

} // namespace
