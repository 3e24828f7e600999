//===- CompressWeights.cpp - The loop shared by compression passes --------===//
#include "CompressWeights.h"

#include "mlir/IR/Threading.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::qsl;

LogicalResult mlir::qsl::compressWeights(ModuleOp module,
                                         const WeightFilter &filter,
                                         const CompressFn &fn) {
  SmallVector<WeightUse> uses;
  SmallVector<WeightUse> all = collectWeightUses(module);
  for (WeightUse &use : all)
    if (filter.accepts(use))
      uses.push_back(std::move(use));
  if (uses.empty() && !all.empty())
    mlir::emitWarning(module.getLoc())
        << "none of the " << all.size()
        << " weights matches the selection (include, exclude, op-types, "
           "min-elements); nothing was compressed";
  MLIRContext *ctx = module.getContext();
  size_t batch = std::max<size_t>(
      1, ctx->isMultithreadingEnabled() ? ctx->getNumThreads() : 1);
  bool failedAny = false;
  for (size_t begin = 0; begin < uses.size(); begin += batch) {
    size_t end = std::min(uses.size(), begin + batch);
    std::vector<CompressedWeight> results(end - begin);
    parallelFor(ctx, begin, end,
                [&](size_t i) { results[i - begin] = fn(uses[i]); });
    for (size_t i = begin; i < end; ++i) {
      CompressedWeight &r = results[i - begin];
      WeightUse &use = uses[i];
      if (!r.error.empty()) {
        use.op->emitError() << "weight '" << use.name << "': " << r.error;
        failedAny = true;
        continue;
      }
      if (!r.skipped.empty()) {
        use.op->emitWarning()
            << "weight '" << use.name << "' left as it is: " << r.skipped;
        continue;
      }
      if (!r.type) // failed with a diagnostic already emitted
        failedAny = true;
      else if (failed(replaceWithEncoded(use, r.type, r.contents, r.method)))
        failedAny = true;
    }
  }
  return failure(failedAny);
}

std::string mlir::qsl::checkGridOptions(unsigned bits, int64_t group,
                                         StringRef range) {
  if (bits < 2 || bits > 8)
    return "bits must be between 2 and 8, got " + std::to_string(bits);
  if (group < 0)
    return "group must be >= 0 (0: one scale per output channel), got " +
           std::to_string(group);
  if (range != "minmax" && range != "mse")
    return ("unknown range '" + range + "' (expected minmax or mse)").str();
  return "";
}

std::string mlir::qsl::checkSharedOptions(double damp, int64_t blockSize,
                                          StringRef include, StringRef exclude,
                                          StringRef opTypes,
                                          int64_t minElements,
                                          WeightFilter &filter) {
  if (damp < 0)
    return llvm::formatv("damp must be >= 0, got {0}", damp).str();
  if (blockSize < 1)
    return llvm::formatv("block-size must be >= 1, got {0}", blockSize).str();
  return filter.init(include, exclude, minElements, opTypes);
}

std::vector<uint8_t> mlir::qsl::storedKeep(const WeightUse &use,
                                           const compress::Mask &canonical) {
  std::vector<bool> stored = toStored<bool>(use, canonical);
  return std::vector<uint8_t>(stored.begin(), stored.end());
}

std::string mlir::qsl::groupedConvSkip(const WeightUse &use, StringRef what) {
  return llvm::formatv(
             "{0} needs calibration statistics, which are not collected for "
             "grouped convolutions (groups = {1}: each group reads other "
             "input channels); data-free methods (rtn, mse, magnitude) "
             "compress it",
             what, use.conv ? use.conv->groups : 1)
      .str();
}

FloatType mlir::qsl::parseFloatTypeName(MLIRContext *ctx, StringRef name) {
  if (name == "f16")
    return Float16Type::get(ctx);
  if (name == "bf16")
    return BFloat16Type::get(ctx);
  if (name == "f32")
    return Float32Type::get(ctx);
  return {};
}
