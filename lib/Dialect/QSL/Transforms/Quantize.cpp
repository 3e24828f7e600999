//===- Quantize.cpp - qsl-quantize: RTN, MSE and GPTQ weight quantization -===//
#include "CompressWeights.h"

#include "qsl/Compress/Quantize.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

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

/// The scale element type named by the `scale-type` option.
FloatType parseScaleType(MLIRContext *ctx, StringRef name) {
  if (name == "f16")
    return Float16Type::get(ctx);
  if (name == "bf16")
    return BFloat16Type::get(ctx);
  if (name == "f32")
    return Float32Type::get(ctx);
  return {};
}

/// Matrix -> position-wise vectors in the stored orientation.
std::vector<int64_t> storedInts(const WeightUse &use, const cq::IntMatrix &m) {
  std::vector<int32_t> v = toStored<int32_t>(use, m);
  return std::vector<int64_t>(v.begin(), v.end());
}
std::vector<double> storedFloats(const WeightUse &use, const cq::Matrix &m) {
  std::vector<float> v = toStored<float>(use, m);
  return std::vector<double>(v.begin(), v.end());
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
    if (bits < 2 || bits > 8)
      return fail("bits must be between 2 and 8, got " + Twine(bits));
    if (group < 0)
      return fail("group must be >= 0 (0: one scale per output channel), got " +
                  Twine(group));
    if (method != "rtn" && method != "mse" && method != "gptq")
      return fail("unknown method '" + method + "' (expected rtn, mse or gptq)");
    if (actOrder.hasValue() && actOrder && method != "gptq")
      return fail("act-order applies to method=gptq only");
    if (!(outliers >= 0.0 && outliers < 1.0))
      return fail("outliers must be a fraction in [0, 1), got " +
                  llvm::formatv("{0}", double(outliers)).str());
    if (range != "minmax" && range != "mse")
      return fail("unknown range '" + range + "' (expected minmax or mse)");
    WeightFilter filter;
    if (std::string e = checkSharedOptions(damp, blockSize, include, exclude,
                                           minElements, filter);
        !e.empty())
      return fail(e);
    FloatType scaleElem = parseScaleType(ctx, scaleType);
    if (!scaleElem)
      return fail("unknown scale-type '" + scaleType +
                  "' (expected f16, bf16 or f32)");

    cq::QuantSpec spec;
    spec.bits = bits;
    spec.group = group;
    spec.symmetric = symmetric;
    cq::RangeOptions rangeOptions;
    if (method == "mse" || range == "mse")
      rangeOptions.search = cq::RangeSearch::MSE;
    cq::GPTQOptions gptq;
    gptq.damp = damp;
    gptq.blockSize = blockSize;
    gptq.actOrder = actOrder;
    gptq.range = rangeOptions;
    std::string label = llvm::formatv(
        "{0} w{1} {2}{3}{4}{5}{6}", method.getValue(), bits.getValue(),
        group == 0 ? std::string("per-channel") : "g" + std::to_string(group),
        symmetric ? " sym" : " asym",
        actOrder && method == "gptq" ? " act-order" : "",
        range == "mse" && method != "mse" ? " mse-range" : "",
        outliers > 0.0 ? llvm::formatv(" + {0}% f16 outliers",
                                       double(outliers) * 100)
                             .str()
                       : std::string());

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
      if (group > 0 && use.k % group != 0) {
        out.skipped = llvm::formatv("group {0} does not divide its reduction "
                                    "dimension K = {1}",
                                    group.getValue(), use.k);
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
        if (count > 0) {
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
      cq::QuantizedMatrix q;
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
      } else {
        q = cq::quantizeRTN(w, spec, rangeOptions);
      }

      QuantAttr quant = QuantAttr::get(
          ctx, bits, /*axis=*/use.transposed ? 1 : 0, group, scaleElem,
          symmetric ? Type() : IntegerType::get(ctx, bits), /*codebook=*/0);
      OutliersAttr outlierFacet;
      if (!outlierPos.empty()) {
        // Stored: linear indices of the weight as stored, residuals
        // w - deq(q) so that the outlier positions come out exact (to f16).
        cq::Matrix deq = q.dequantize();
        int64_t cols = use.weightType.getDimSize(1);
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
      auto encoding = EncodingAttr::get(
          ctx, quant, prior ? prior.getSparse() : SparseAttr(), outlierFacet,
          {});
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
      return out;
    };
    if (failed(compressWeights(module, filter, quantizeOne)))
      signalPassFailure();
  }
};

} // namespace
