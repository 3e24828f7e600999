//===- Pipelines.cpp - QSL pass pipelines ----------------------------------===//
#include "qsl/Pipelines/Pipelines.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"

#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

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
    "@GPU_ASYNC@"
    "func.func(lower-vector-multi-reduction{lowering-strategy=inner-reduction}),"
    "convert-vector-to-scf{full-unroll},"
    "convert-linalg-to-loops,"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "@GPU_HOST@"
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
  // GPU host code: launches made asynchronous on one stream once buffer
  // deallocation has run (it rejects gpu.wait), lowered to mgpu* calls.
  std::string back = kCpuBackHalf;
  auto fill = [&](const char *slot, const char *passes) {
    back.replace(back.find(slot), strlen(slot),
                 options.gpuHost ? passes : "");
  };
  fill("@GPU_ASYNC@", "func.func(gpu-async-region),");
  fill("@GPU_HOST@", "gpu-to-llvm,");
  pipeline += back;
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

// A preset is a '-'-separated list of steps, e.g. `w4g128`, `2:4-w4g128-lr32`
// or `w3g64-2:4-lqer16`, in any order; the pipeline always prunes first (so
// that quantization sees and keeps the sparsity), then quantizes, then adds
// the low-rank correction of what the two left:
//
//   w<B>[g<G>]            quantize to B bits (2-8), groups of G along the
//                         reduction axis (none: one scale per channel);
//                         8 bits are symmetric, fewer asymmetric
//   <N>:<M>               N:M sparsity along the reduction axis
//   lr<R>                 rank-R correction: EoRA data-aware, SVD data-free
//   svd<R>|lqer<R>|eora<R> the same with that method
namespace {
struct Recipe {
  std::optional<std::pair<int64_t, int64_t>> prune; // N:M
  std::optional<std::pair<int64_t, int64_t>> quant; // bits, group
  std::optional<std::pair<std::string, int64_t>> lowRank; // method, rank
};

/// Reads `text` as an unsigned decimal with nothing after it.
bool readNumber(llvm::StringRef text, int64_t &value) {
  return !text.empty() && llvm::all_of(text, llvm::isDigit) &&
         !text.getAsInteger(10, value);
}

/// Parses a preset; on failure returns a message naming the bad step.
std::string parseRecipe(llvm::StringRef preset, Recipe &recipe) {
  if (preset.empty())
    return "the preset is empty";
  llvm::SmallVector<llvm::StringRef> steps;
  preset.split(steps, '-');
  for (llvm::StringRef step : steps) {
    auto bad = [&](const llvm::Twine &why) {
      return ("step '" + step + "' of '" + preset + "': " + why).str();
    };
    auto twice = [&](const char *what) {
      return bad(llvm::Twine("a second ") + what + " step");
    };
    if (step.empty())
      return ("empty step in '" + preset + "'").str();
    if (step.contains(':')) {
      auto [n, m] = step.split(':');
      int64_t nv, mv;
      if (!readNumber(n, nv) || !readNumber(m, mv) || nv < 1 || nv >= mv)
        return bad("expected N:M with 0 < N < M, e.g. 2:4");
      if (recipe.prune)
        return twice("sparsity");
      recipe.prune = {nv, mv};
      continue;
    }
    if (llvm::StringRef rest = step; rest.consume_front("w")) {
      auto [b, g] = rest.split('g');
      int64_t bits, group = 0;
      if (!readNumber(b, bits) || bits < 2 || bits > 8)
        return bad("expected w<bits>[g<group>] with 2 <= bits <= 8");
      if (rest.contains('g') && (!readNumber(g, group) || group < 1))
        return bad("expected a positive group size after 'g'");
      if (recipe.quant)
        return twice("quantization");
      recipe.quant = {bits, group};
      continue;
    }
    llvm::StringRef method =
        llvm::StringSwitch<llvm::StringRef>(step.take_while(llvm::isAlpha))
            .Cases({"lr", "svd", "lqer", "eora"}, step.take_while(llvm::isAlpha))
            .Default("");
    if (!method.empty()) {
      int64_t rank;
      if (!readNumber(step.drop_front(method.size()), rank) || rank < 1)
        return bad(llvm::Twine("expected ") + method + "<rank> with rank >= 1");
      if (recipe.lowRank)
        return twice("low-rank");
      recipe.lowRank = {method.str(), rank};
      continue;
    }
    return bad("expected w<bits>[g<group>], <N>:<M>, lr<rank>, svd<rank>, "
               "lqer<rank> or eora<rank>");
  }
  return "";
}
} // namespace

llvm::ArrayRef<llvm::StringRef> qsl::compressPresetNames() {
  static const llvm::StringRef names[] = {
      "w8", "w4g128", "2:4", "2:4-w4g128", "w4g128-lr32", "2:4-w4g128-lr32"};
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
  // auto-<x>bit: qsl-allocate with a budget of x bits per parameter over
  // the selected weights (docs/compression/allocation.md).
  StringRef name = options.preset;
  if (name.consume_front("auto-") && name.consume_back("bit")) {
    double budget = 0;
    if (name.getAsDouble(budget) || !(budget > 0))
      return errorHandler("qsl-compress-pipeline: bad preset '" +
                          options.preset +
                          "': expected auto-<bits>bit with a positive number "
                          "of bits, such as auto-3.5bit");
    QslAllocatePassOptions alloc;
    alloc.budgetBits = budget;
    // Relative errors weighted by size: on MiniLM they lose less cosine
    // than absolute output errors (docs/compression/allocation.md).
    alloc.objective =
        options.dataAware ? "relative-output-error" : "weight-error";
    alloc.refineGenerations = options.refineGenerations;
    copySelection(alloc, options);
    pm.addPass(createQslAllocatePass(alloc));
    return success();
  }
  if (options.refineGenerations)
    return errorHandler("qsl-compress-pipeline: refine applies to the "
                        "auto-<bits>bit presets only, not '" +
                        options.preset + "'");
  Recipe recipe;
  if (std::string error = parseRecipe(options.preset, recipe); !error.empty())
    return errorHandler("qsl-compress-pipeline: " + error +
                        " (presets are '-'-separated steps w<bits>[g<group>], "
                        "<N>:<M>, lr|svd|lqer|eora<rank>, or auto-<bits>bit; "
                        "e.g. " +
                        llvm::join(compressPresetNames(), ", ") + ")");
  if (recipe.prune) {
    QslPrunePassOptions prune;
    prune.pattern =
        std::to_string(recipe.prune->first) + ":" +
        std::to_string(recipe.prune->second);
    prune.method = options.dataAware ? "sparsegpt" : "magnitude";
    copySelection(prune, options);
    pm.addPass(createQslPrunePass(prune));
  }
  if (recipe.quant) {
    QslQuantizePassOptions quant;
    quant.bits = recipe.quant->first;
    quant.group = recipe.quant->second;
    if (quant.bits == 8) {
      // int8 symmetric: the common int8 weight format.
      quant.symmetric = true;
      quant.method = options.dataAware ? "gptq" : "rtn";
    } else {
      // Asymmetric; data-free it searches each group's clip range (mse).
      quant.method = options.dataAware ? "gptq" : "mse";
    }
    // act-order (on by default) is a GPTQ option; the pass rejects it
    // as an explicit setting for the other methods.
    quant.actOrder = quant.method == "gptq";
    copySelection(quant, options);
    pm.addPass(createQslQuantizePass(quant));
  }
  if (recipe.lowRank) {
    // A correction of the error of what came before: lr<R> is EoRA from
    // the calibration statistics, else the plain SVD of the error.
    QslCompensatePassOptions comp;
    comp.rank = recipe.lowRank->second;
    const std::string &m = recipe.lowRank->first;
    comp.method = m != "lr" ? m : options.dataAware ? "eora" : "svd";
    copySelection(comp, options);
    pm.addPass(createQslCompensatePass(comp));
  }
  return success();
}

namespace {
/// The textual options of qsl-compress-pipeline.
struct CompressPipelineCLOptions
    : public PassPipelineOptions<CompressPipelineCLOptions> {
  Option<std::string> preset{
      *this, "preset",
      llvm::cl::desc("Compression recipe: '-'-separated steps w<bits>[g<group>] "
                     "(quantize), <N>:<M> (sparsity), lr|svd|lqer|eora<rank> "
                     "(low-rank correction), e.g. w8, w4g128, 2:4, "
                     "2:4-w4g128, w4g128-lr32, w3g64-lqer16; or auto-<bits>bit "
                     "(qsl-allocate: an encoding per weight within <bits> bits "
                     "per parameter, e.g. auto-3.5bit)")};
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
  Option<unsigned> refine{
      *this, "refine",
      llvm::cl::desc("auto-<bits>bit: generations of qsl-allocate's end-to-end "
                     "search on the calibration inputs (0: none)"),
      llvm::cl::init(0)};
};
} // namespace

static void registerCompressPipeline() {
  registerPassPipeline(
      "qsl-compress-pipeline",
      "Compress the weights of contractions with a preset of "
      "qsl-prune, qsl-quantize and qsl-compensate steps (w8, w4g128, 2:4, "
      "2:4-w4g128, w4g128-lr32, w3g64-2:4-lqer16, ...), or auto-<bits>bit "
      "(qsl-allocate within a bits-per-parameter budget)",
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
        options.refineGenerations = parsed.refine.getValue();
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
