//===- Pipelines.cpp - QSL pass pipelines ----------------------------------===//
#include "qsl/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

// Written as a textual pipeline so that the exact sequence is visible in one
// place (and in `qsl-opt --help`); every pass named here is upstream's or ours.
static constexpr const char *kCpuLowerQsl =
    "qsl-lower-to-linalg,"
    "canonicalize,";
static constexpr const char *kCpuBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops},";
static constexpr const char *kCpuBackHalf =
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "func.func(lower-vector-multi-reduction{lowering-strategy=inner-reduction}),"
    "convert-vector-to-scf{full-unroll},"
    "convert-linalg-to-loops,"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-cf-to-llvm,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct reassociate-fp-reductions},"
    "convert-ub-to-llvm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "finalize-memref-to-llvm,"
    "convert-func-to-llvm,"
    "reconcile-unrealized-casts";

void qsl::buildCpuPipeline(OpPassManager &pm,
                           const CpuPipelineOptions &options) {
  std::string pipeline = kCpuLowerQsl;
  if (options.vectorize)
    pipeline += "func.func(qsl-cpu-fuse-elementwise,qsl-cpu-tile-and-vectorize{tile-m=" +
                std::to_string(options.tileM) + " tile-n=" +
                std::to_string(options.tileN) + "}),canonicalize,";
  pipeline += kCpuBufferize;
  if (options.resultsAsOutParams)
    pipeline += "buffer-results-to-out-params{modify-public-functions "
                "hoist-static-allocs},";
  pipeline += kCpuBackHalf;
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("qsl: the CPU pipeline names a pass that is "
                             "not registered");
}

void qsl::buildCpuReferencePipeline(OpPassManager &pm,
                                    const CpuPipelineOptions &options) {
  CpuPipelineOptions reference = options;
  reference.vectorize = false;
  buildCpuPipeline(pm, reference);
}

void qsl::registerPipelines() {
  PassPipelineRegistration<>(
      "qsl-cpu-pipeline",
      "Lower qsl and tensor IR to the LLVM dialect for the CPU: reference "
      "lowering, register-blocked vectorized contractions, bufferization, "
      "loops (mlir-runner ready)",
      [](OpPassManager &pm) { buildCpuPipeline(pm, {}); });
  PassPipelineRegistration<>(
      "qsl-cpu-reference-pipeline",
      "Lower qsl and tensor IR to the LLVM dialect through the reference "
      "lowering, bufferization and plain loops (mlir-runner ready)",
      [](OpPassManager &pm) { buildCpuReferencePipeline(pm); });
}
