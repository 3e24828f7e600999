//===- Quantize.cpp - qsl-quantize: RTN, MSE, GPTQ and AWQ quantization ---===//
#include "CompressWeights.h"

#include "qsl/Compress/AWQ.h"
#include "qsl/Compress/Outliers.h"
#include "qsl/Compress/Codebook.h"
#include "qsl/Compress/Quantize.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "mlir/IR/Threading.h"
#include "llvm/Support/FormatVariadic.h"

#include <map>
#include <numeric>

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLQUANTIZEPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

/// Matrix -> position-wise vectors in the stored orientation.
std::vector<int64_t> storedInts(const WeightUse &use, const cq::IntMatrix &m) {
  std::vector<int32_t> v = toStored<int32_t>(use, m);
  return std::vector<int64_t>(v.begin(), v.end());
}
std::vector<double> storedFloats(const WeightUse &use, const cq::Matrix &m) {
  std::vector<float> v = toStored<float>(use, m);
  return std::vector<double>(v.begin(), v.end());
}

cq::MultiplierType multiplierTypeOf(FloatType t) {
  if (t.isF16())
    return cq::MultiplierType::F16;
  if (t.isBF16())
    return cq::MultiplierType::BF16;
  return cq::MultiplierType::F32;
}

/// The AWQ multipliers of every accepted weight use, searched jointly for
/// the weights that read the same activation (Q, K and V of one block).
/// Uses without calibration statistics get none (quantizeOne reports
/// them); uses that quantizeOne will skip are left out of their group.
struct AWQPlan {
  DenseMap<Operation *, cq::Vector> multipliers;
  DenseMap<Operation *, std::string> labels;
};

FailureOr<AWQPlan> planAWQ(ModuleOp module, const WeightFilter &filter,
                           const cq::QuantSpec &spec,
                           const cq::AWQOptions &options) {
  // Weights share the scales when they read the same tokens: the same
  // input and, for convolutions, the same patches.
  std::map<std::pair<const void *, std::string>, size_t> groupOf;
  std::vector<SmallVector<WeightUse>> groups;
  for (WeightUse &use : collectWeightUses(module)) {
    if (!filter.accepts(use) || (spec.group != 0 && use.k % spec.group != 0) ||
        (use.isConv() && use.conv->groups > 1))
      continue;
    auto key = std::make_pair(use.input.getAsOpaquePointer(),
                              use.isConv() ? use.conv->key() : std::string());
    auto [it, inserted] = groupOf.try_emplace(key, groups.size());
    if (inserted)
      groups.emplace_back();
    groups[it->second].push_back(std::move(use));
  }
  SmallVector<SmallVector<WeightUse> *> work;
  for (auto &entry : groups)
    work.push_back(&entry);
  std::vector<std::optional<cq::AWQResult>> results(work.size());
  std::atomic<bool> failedRead{false};
  MLIRContext *ctx = module.getContext();
  parallelFor(ctx, 0, work.size(), [&](size_t i) {
    SmallVector<WeightUse> &uses = *work[i];
    std::optional<cq::InputStatistics> stats = readCalibration(uses.front());
    if (!stats)
      return;
    std::vector<cq::Matrix> ws(uses.size());
    std::vector<cq::Mask> keeps(uses.size());
    std::vector<cq::AWQWeight> group;
    for (size_t u = 0; u < uses.size(); ++u) {
      if (failed(readCanonicalWeight(uses[u], ws[u], keeps[u]))) {
        failedRead = true;
        return;
      }
    }
    for (size_t u = 0; u < uses.size(); ++u)
      group.push_back({&ws[u], uses[u].encoded ? &keeps[u] : nullptr});
    cq::AWQOptions o = options;
    o.range = {}; // the final codes are made by quantizeOne
    cq::AWQResult r = cq::searchAWQ(group, stats->gram, stats->tokens, spec, o);
    r.quantized.clear();
    results[i] = std::move(r);
  });
  if (failedRead)
    return failure();
  AWQPlan plan;
  for (auto [i, uses] : llvm::enumerate(work)) {
    if (!results[i])
      continue;
    std::string label = llvm::formatv(
        ", alpha {0:f2}{1}, {2} weights share the scales", results[i]->alpha,
        results[i]->duo ? " duo" : "", uses->size());
    if (uses->size() == 1)
      label = llvm::formatv(", alpha {0:f2}{1}", results[i]->alpha,
                            results[i]->duo ? " duo" : "");
    for (WeightUse &use : *uses) {
      plan.multipliers[use.op] = results[i]->multipliers;
      plan.labels[use.op] = label;
    }
  }
  return plan;
}

struct QslQuantizePass
    : public mlir::qsl::impl::QslQuantizePassBase<QslQuantizePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-quantize: " << message;
      signalPassFailure();
    };
    if (std::string e = checkGridOptions(bits, group, range); !e.empty())
      return fail(e);
    if (method != "rtn" && method != "mse" && method != "gptq" &&
        method != "awq" && method != "squeezellm" && method != "kmeans")
      return fail("unknown method '" + method +
                  "' (expected rtn, mse, gptq, awq, squeezellm or kmeans)");
    // Codebook methods: per-channel tables unless a group is given.
    const bool useCodebook = method == "squeezellm" || method == "kmeans";
    int64_t groupSize = group;
    if (useCodebook) {
      if (!group.hasValue())
        groupSize = 0;
      if (symmetric.hasValue())
        return fail("symmetric=... does not apply to method=" + method +
                    ": codebook entries are absolute values without scales "
                    "or zero points");
      if (range.hasValue())
        return fail("range=... does not apply to method=" + method +
                    ": the table entries are k-means centroids");
      if (groupSize > 0 && groupSize < (int64_t(1) << bits))
        return fail(llvm::formatv("group {0} is smaller than the {1}-entry "
                                  "codebook of bits={2}",
                                  groupSize, int64_t(1) << bits,
                                  bits.getValue())
                        .str());
    }
    if (actOrder.hasValue() && actOrder && method != "gptq")
      return fail("act-order applies to method=gptq only");
    if (!(outliers >= 0.0 && outliers < 1.0))
      return fail("outliers must be a fraction in [0, 1), got " +
                  llvm::formatv("{0}", double(outliers)).str());
    if (method == "awq" && outliers > 0.0)
      return fail("outliers=... is not combined with method=awq yet");
    if (outlierSelect != "magnitude" && outlierSelect != "sensitivity")
      return fail("unknown outlier-select '" + outlierSelect +
                  "' (expected magnitude or sensitivity)");
    if (!(outlierThreshold >= 0.0))
      return fail("outlier-threshold must be >= 0, got " +
                  llvm::formatv("{0}", double(outlierThreshold)).str());
    WeightFilter filter;
    if (std::string e = checkSharedOptions(damp, blockSize, include, exclude,
                                           opTypes, minElements, filter);
        !e.empty())
      return fail(e);
    FloatType scaleElem = parseFloatTypeName(ctx, scaleType);
    if (!scaleElem)
      return fail("unknown scale-type '" + scaleType +
                  "' (expected f16, bf16 or f32)");

    cq::QuantSpec spec;
    spec.bits = bits;
    spec.group = groupSize;
    spec.symmetric = symmetric;
    cq::RangeOptions rangeOptions;
    if (method == "mse" || range == "mse")
      rangeOptions.search = cq::RangeSearch::MSE;
    cq::GPTQOptions gptq;
    gptq.damp = damp;
    gptq.blockSize = blockSize;
    gptq.actOrder = actOrder;
    gptq.range = rangeOptions;
    std::optional<AWQPlan> awq;
    if (method == "awq") {
      cq::AWQOptions o;
      o.multiplierType = multiplierTypeOf(scaleElem);
      FailureOr<AWQPlan> plan = planAWQ(module, filter, spec, o);
      if (failed(plan))
        return signalPassFailure();
      awq = std::move(*plan);
    }
    std::string label = llvm::formatv(
        "{0} w{1} {2}{3}{4}{5}{6}", method.getValue(), bits.getValue(),
        groupSize == 0 ? std::string("per-channel")
                       : "g" + std::to_string(groupSize),
        useCodebook ? llvm::formatv(" {0}-entry tables", 1 << bits).str()
        : symmetric ? " sym"
                    : " asym",
        actOrder && method == "gptq" ? " act-order" : "",
        range == "mse" && method != "mse" ? " mse-range" : "",
        outliers > 0.0
            ? llvm::formatv(" + {0}% f16 outliers{1}", double(outliers) * 100,
                            outlierSelect == "sensitivity" ? " (spqr)" : "")
                  .str()
            : std::string());

    // SqueezeLLM / k-means: one table of 2^bits centroids per row (group),
    // weighted by diag(X^T X) for squeezellm. Outlier positions (and pruned
    // ones) get weight 0 and are restored by the outlier list.
    auto codebookOne = [&](const WeightUse &use, const cq::Matrix &w,
                           const cq::Matrix &original, const cq::Mask &keep,
                           EncodingAttr prior, EncodedContents priorContents,
                           ArrayRef<int64_t> outlierPos) -> CompressedWeight {
      CompressedWeight out;
      std::optional<cq::Vector> sensitivity;
      if (method == "squeezellm") {
        std::optional<cq::InputStatistics> stats = readCalibration(use);
        if (!stats) {
          out.error = "method=squeezellm needs calibration statistics; "
                      "compile with qslc --calibrate=INPUTS.npz (or use "
                      "method=kmeans, its data-free form)";
          return out;
        }
        sensitivity = stats->gram.diagonal().cast<float>();
      }
      cq::Mask mask = prior ? keep : cq::Mask::Constant(w.rows(), w.cols(), true);
      for (int64_t i : outlierPos)
        mask.data()[i] = false;
      cq::CodebookSpec cs;
      cs.bits = bits;
      cs.group = groupSize;
      cq::CodebookMatrix q = cq::quantizeCodebook(
          w, cs, sensitivity ? &*sensitivity : nullptr, &mask);
      int64_t entries = cs.entries(), groups = cs.numGroups(w.cols());
      QuantAttr quant = QuantAttr::get(ctx, bits, /*axis=*/use.transposed ? 1 : 0,
                                       groupSize, scaleElem, Type(), entries,
                                       /*stat_bits=*/0, /*stat_group=*/0);
      OutliersAttr outlierFacet;
      if (!outlierPos.empty()) {
        cq::Matrix deq = q.dequantize();
        int64_t cols = use.transposed ? use.k : use.n;
        std::vector<std::pair<int64_t, double>> stored;
        for (int64_t i : outlierPos) {
          int64_t r = i / w.cols(), c = i % w.cols();
          int64_t idx = use.transposed ? r * cols + c : c * cols + r;
          stored.push_back({idx, double(original.data()[i]) - deq.data()[i]});
        }
        llvm::sort(stored);
        for (auto &[idx, v] : stored) {
          out.contents.outlierIndices.push_back(idx);
          out.contents.outlierValues.push_back(v);
        }
        outlierFacet =
            OutliersAttr::get(ctx, stored.size(), Float16Type::get(ctx));
      }
      auto encoding = EncodingAttr::get(
          ctx, quant, prior ? prior.getSparse() : SparseAttr(), outlierFacet,
          {}, {});
      RankedTensorType dense =
          use.encoded ? EncodedTensorType::get(use.weightType)->getDenseType()
                      : use.weightType;
      out.type = RankedTensorType::get(dense.getShape(),
                                       dense.getElementType(), encoding);
      out.contents.codes = storedInts(use, q.codes);
      // Tables: canonical [N * G, K] -> stored group shape x K ([G, N, K]
      // for a [K, N] weight, [N, G, K] for a transposed one).
      int64_t n = w.rows();
      out.contents.codebook.resize(q.tables.size());
      for (int64_t r = 0; r < n; ++r)
        for (int64_t g = 0; g < groups; ++g)
          for (int64_t j = 0; j < entries; ++j) {
            int64_t at = use.transposed ? (r * groups + g) * entries + j
                                        : (g * n + r) * entries + j;
            out.contents.codebook[at] = q.tables(r * groups + g, j);
          }
      if (prior)
        out.contents.keep = std::move(priorContents.keep);
      out.method = label;
      return out;
    };

    auto quantizeOne = [&](const WeightUse &use) -> CompressedWeight {
      CompressedWeight out;
      EncodingAttr prior;
      if (use.encoded) {
        prior = llvm::cast<EncodingAttr>(use.weightType.getEncoding());
        if (prior.getQuant() || prior.getOutliers() || prior.getLowrank()) {
          out.skipped = "it is already quantized or has outlier/low-rank "
                        "terms; qsl-quantize composes with sparsity only";
          return out;
        }
      }
      if (groupSize > 0 && use.k % groupSize != 0) {
        out.skipped = llvm::formatv("group {0} does not divide its reduction "
                                    "dimension K = {1}{2}",
                                    groupSize, use.k,
                                    use.isConv() ? " (C/groups*kh*kw of the "
                                                   "convolution filter)"
                                                 : "");
        return out;
      }
      if ((method == "gptq" || method == "awq" || method == "squeezellm") &&
          use.isConv() &&
          use.conv->groups > 1) {
        out.skipped = groupedConvSkip(use, "method=" + method.getValue());
        return out;
      }
      cq::Matrix w;
      cq::Mask keep;
      EncodedContents priorContents;
      if (failed(readCanonicalWeight(use, w, keep, &priorContents)))
        return out; // diagnosed
      // Outliers: the largest |w| leave the matrix before quantization.
      std::vector<int64_t> outlierPos; // canonical linear indices
      if (outliers > 0.0) {
        if (prior) {
          out.skipped = "outliers=... is not combined with sparsity yet";
          return out;
        }
        int64_t count = std::llround(outliers * double(w.size()));
        if (count > 0 && outlierSelect == "sensitivity") {
          // SpQR-style: by what leaving an element out of its group gains,
          // weighted by the OBS sensitivity when calibrated.
          cq::VectorD h;
          if (std::optional<cq::InputStatistics> stats = readCalibration(use))
            h = cq::obsSensitivity(stats->gram, damp);
          outlierPos = cq::selectOutliers(w, spec, h, count, outlierThreshold);
        } else if (count > 0) {
          std::vector<int64_t> order(w.size());
          std::iota(order.begin(), order.end(), 0);
          std::nth_element(order.begin(), order.begin() + count - 1,
                           order.end(), [&](int64_t a, int64_t b) {
                             float x = std::abs(w.data()[a]),
                                   y = std::abs(w.data()[b]);
                             return x != y ? x > y : a < b;
                           });
          outlierPos.assign(order.begin(), order.begin() + count);
          std::sort(outlierPos.begin(), outlierPos.end());
        }
      }
      cq::Matrix original = w;
      for (int64_t i : outlierPos)
        w.data()[i] = 0.0f;
      if (useCodebook)
        return codebookOne(use, w, original, keep, prior,
                           std::move(priorContents), outlierPos);
      cq::QuantizedMatrix q;
      cq::Vector multipliers; // AWQ's smooth facet
      if (method == "gptq") {
        std::optional<cq::InputStatistics> stats = readCalibration(use);
        if (!stats) {
          out.error = "method=gptq needs calibration statistics; compile with "
                      "qslc --calibrate=INPUTS.npz (or use method=rtn)";
          return out;
        }
        cq::GPTQOptions o = gptq;
        if (prior)
          o.keep = &keep;
        q = cq::quantizeGPTQ(w, stats->gram, spec, o);
      } else if (awq) {
        auto it = awq->multipliers.find(use.op);
        if (it == awq->multipliers.end()) {
          out.error = "method=awq needs calibration statistics; compile with "
                      "qslc --calibrate=INPUTS.npz (or use method=rtn)";
          return out;
        }
        multipliers = it->second;
        q = cq::quantizeRTN(w * multipliers.cwiseInverse().asDiagonal(), spec,
                            rangeOptions);
      } else {
        q = cq::quantizeRTN(w, spec, rangeOptions);
      }

      QuantAttr quant = QuantAttr::get(
          ctx, bits, /*axis=*/use.transposed ? 1 : 0, group, scaleElem,
          symmetric ? Type() : IntegerType::get(ctx, bits), /*codebook=*/0,
          /*stat_bits=*/0, /*stat_group=*/0);
      OutliersAttr outlierFacet;
      if (!outlierPos.empty()) {
        // Stored: linear indices of the weight as stored, residuals
        // w - deq(q) so that the outlier positions come out exact (to f16).
        cq::Matrix deq = q.dequantize();
        int64_t cols = use.transposed ? use.k : use.n; // stored matrix view
        std::vector<std::pair<int64_t, double>> stored;
        for (int64_t i : outlierPos) {
          int64_t r = i / w.cols(), c = i % w.cols(); // canonical [N, K]
          int64_t idx = use.transposed ? r * cols + c : c * cols + r;
          stored.push_back({idx, double(original.data()[i]) - deq.data()[i]});
        }
        llvm::sort(stored);
        for (auto &[idx, v] : stored) {
          out.contents.outlierIndices.push_back(idx);
          out.contents.outlierValues.push_back(v);
        }
        outlierFacet = OutliersAttr::get(ctx, stored.size(),
                                         Float16Type::get(ctx));
      }
      SmoothAttr smooth;
      if (multipliers.size()) {
        smooth = SmoothAttr::get(ctx, /*axis=*/use.transposed ? 1 : 0,
                                 scaleElem);
        out.contents.smooth.assign(multipliers.data(),
                                   multipliers.data() + multipliers.size());
      }
      auto encoding = EncodingAttr::get(
          ctx, quant, prior ? prior.getSparse() : SparseAttr(), outlierFacet,
          {}, smooth);
      RankedTensorType dense = use.encoded ? EncodedTensorType::get(
                                                 use.weightType)
                                                 ->getDenseType()
                                           : use.weightType;
      out.type = RankedTensorType::get(dense.getShape(),
                                       dense.getElementType(), encoding);
      out.contents.codes = storedInts(use, q.codes);
      out.contents.scales = storedFloats(use, q.scales);
      if (!symmetric)
        out.contents.zeros = storedInts(use, q.zeros);
      if (prior)
        out.contents.keep = std::move(priorContents.keep);
      out.method = label;
      if (awq)
        out.method += awq->labels.lookup(use.op);
      return out;
    };
    if (failed(compressWeights(module, filter, quantizeOne)))
      signalPassFailure();
  }
};

} // namespace
