//===- Pipelines.cpp - QSL pass pipelines ----------------------------------===//
#include "qsl/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

// Written as a textual pipeline so that the exact sequence is visible in one
// place (and in `qsl-opt --help`); every pass named here is upstream's or ours.
static constexpr const char *kCpuFrontHalf =
    "qsl-lower-to-linalg,"
    "canonicalize,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops},";
static constexpr const char *kCpuBackHalf =
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "convert-linalg-to-loops,"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-cf-to-llvm,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "finalize-memref-to-llvm,"
    "convert-func-to-llvm,"
    "reconcile-unrealized-casts";

void qsl::buildCpuReferencePipeline(OpPassManager &pm,
                                    const CpuPipelineOptions &options) {
  std::string pipeline = kCpuFrontHalf;
  if (options.resultsAsOutParams)
    pipeline += "buffer-results-to-out-params{modify-public-functions "
                "hoist-static-allocs},";
  pipeline += kCpuBackHalf;
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("qsl: the CPU reference pipeline names a pass "
                             "that is not registered");
}

void qsl::registerPipelines() {
  PassPipelineRegistration<>(
      "qsl-cpu-reference-pipeline",
      "Lower qsl and tensor IR to the LLVM dialect through the reference "
      "lowering, bufferization and plain loops (mlir-runner ready)",
      [](OpPassManager &pm) { buildCpuReferencePipeline(pm); });
}
