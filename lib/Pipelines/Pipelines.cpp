//===- Pipelines.cpp - QSL pass pipelines ----------------------------------===//
#include "qsl/Pipelines/Pipelines.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"

#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
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

//===----------------------------------------------------------------------===//
// qsl-compress-pipeline
//===----------------------------------------------------------------------===//

// Each preset is a sequence of steps over the passes that exist; pruning
// comes first so that quantization sees (and keeps) the sparsity.
namespace {
enum class Step { PruneTwoFour, QuantizeW8, QuantizeW4G128, LowRank32 };
struct Preset {
  llvm::StringLiteral name;
  llvm::SmallVector<Step, 3> steps;
};
} // namespace

static const Preset kPresets[] = {
    {"w8", {Step::QuantizeW8}},
    {"w4g128", {Step::QuantizeW4G128}},
    {"2:4", {Step::PruneTwoFour}},
    {"2:4-w4g128", {Step::PruneTwoFour, Step::QuantizeW4G128}},
    {"w4g128-lr32", {Step::QuantizeW4G128, Step::LowRank32}},
    {"2:4-w4g128-lr32",
     {Step::PruneTwoFour, Step::QuantizeW4G128, Step::LowRank32}},
};

llvm::ArrayRef<llvm::StringRef> qsl::compressPresetNames() {
  static const llvm::SmallVector<llvm::StringRef> names = [] {
    llvm::SmallVector<llvm::StringRef> out;
    for (const Preset &p : kPresets)
      out.push_back(p.name);
    return out;
  }();
  return names;
}

/// The weight selection every step of a preset shares.
template <typename PassOptions>
static void copySelection(PassOptions &o,
                          const qsl::CompressPipelineOptions &options) {
  o.include = options.include;
  o.exclude = options.exclude;
  o.minElements = options.minElements;
}

LogicalResult qsl::buildCompressPipeline(
    OpPassManager &pm, const CompressPipelineOptions &options,
    llvm::function_ref<LogicalResult(const llvm::Twine &)> errorHandler) {
  const Preset *preset = llvm::find_if(
      kPresets, [&](const Preset &p) { return p.name == options.preset; });
  if (preset == std::end(kPresets))
    return errorHandler(
        "qsl-compress-pipeline: unknown preset '" + options.preset +
        "'; valid presets: " + llvm::join(compressPresetNames(), ", "));
  for (Step step : preset->steps) {
    if (step == Step::LowRank32) {
      // A rank-32 correction of the error of what came before: EoRA from
      // the calibration statistics, else the plain SVD of the error.
      QslCompensatePassOptions comp;
      comp.rank = 32;
      comp.method = options.dataAware ? "eora" : "svd";
      copySelection(comp, options);
      pm.addPass(createQslCompensatePass(comp));
      continue;
    }
    if (step == Step::PruneTwoFour) {
      QslPrunePassOptions prune;
      prune.pattern = "2:4";
      prune.method = options.dataAware ? "sparsegpt" : "magnitude";
      copySelection(prune, options);
      pm.addPass(createQslPrunePass(prune));
      continue;
    }
    QslQuantizePassOptions quant;
    if (step == Step::QuantizeW8) {
      // int8 per output channel, symmetric: the common int8 weight format.
      quant.bits = 8;
      quant.group = 0;
      quant.symmetric = true;
      quant.method = options.dataAware ? "gptq" : "rtn";
    } else {
      // int4, asymmetric, 128 elements per scale along the reduction axis;
      // data-free it searches each group's clip range (mse).
      quant.bits = 4;
      quant.group = 128;
      quant.method = options.dataAware ? "gptq" : "mse";
    }
    // act-order (on by default) is a GPTQ option; the pass rejects it
    // as an explicit setting for the other methods.
    quant.actOrder = quant.method == "gptq";
    copySelection(quant, options);
    pm.addPass(createQslQuantizePass(quant));
  }
  return success();
}

namespace {
/// The textual options of qsl-compress-pipeline.
struct CompressPipelineCLOptions
    : public PassPipelineOptions<CompressPipelineCLOptions> {
  Option<std::string> preset{
      *this, "preset",
      llvm::cl::desc("Compression recipe: w8 (int8 per channel), w4g128 "
                     "(int4, groups of 128), 2:4 (2:4 sparsity), 2:4-w4g128 "
                     "(both), w4g128-lr32 and 2:4-w4g128-lr32 (plus a "
                     "rank-32 low-rank correction of their error)")};
  Option<bool> dataAware{
      *this, "data-aware",
      llvm::cl::desc("Use GPTQ/SparseGPT/EoRA instead of the data-free methods "
                     "(needs qslc --calibrate statistics)"),
      llvm::cl::init(false)};
  Option<std::string> include{
      *this, "include",
      llvm::cl::desc("Only weights whose name or node matches this regex")};
  Option<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("Skip weights whose name or node matches this regex")};
  Option<int64_t> minElements{*this, "min-elements",
                              llvm::cl::desc("Skip weights with fewer elements"),
                              llvm::cl::init(0)};
};
} // namespace

static void registerCompressPipeline() {
  registerPassPipeline(
      "qsl-compress-pipeline",
      "Compress the weights of contractions with a named preset "
      "(w8, w4g128, 2:4, 2:4-w4g128, w4g128-lr32, 2:4-w4g128-lr32) of "
      "qsl-prune, qsl-quantize and qsl-compensate",
      [](OpPassManager &pm, StringRef text,
         llvm::function_ref<LogicalResult(const llvm::Twine &)> errorHandler) {
        CompressPipelineCLOptions parsed;
        if (failed(parsed.parseFromString(text)))
          return failure();
        qsl::CompressPipelineOptions options;
        options.preset = parsed.preset.getValue();
        options.dataAware = parsed.dataAware.getValue();
        options.include = parsed.include.getValue();
        options.exclude = parsed.exclude.getValue();
        options.minElements = parsed.minElements.getValue();
        return qsl::buildCompressPipeline(pm, options, errorHandler);
      },
      [](llvm::function_ref<void(const detail::PassOptions &)> handler) {
        handler(CompressPipelineCLOptions());
      });
}

void qsl::registerPipelines() {
  registerCompressPipeline();
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
  registerGpuPipeline();
}
