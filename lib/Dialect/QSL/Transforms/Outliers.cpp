//===- Outliers.cpp - qsl-outliers: SpQR-style GPTQ with outliers ---------===//
#include "CompressWeights.h"

#include "qsl/Compress/SpQR.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLOUTLIERSPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

std::string formatDouble(double v) { return llvm::formatv("{0}", v).str(); }

struct QslOutliersPass
    : public mlir::qsl::impl::QslOutliersPassBase<QslOutliersPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-outliers: " << message;
      signalPassFailure();
    };
    if (std::string e = checkGridOptions(bits, group, range); !e.empty())
      return fail(e);
    if (!(maxFraction >= 0.0 && maxFraction < 1.0))
      return fail("max-fraction must be a fraction in [0, 1), got " +
                  formatDouble(maxFraction));
    if (std::isnan(threshold) || threshold < 0.0)
      return fail("threshold must be >= 0 (relative to the mean sensitivity; "
                  "inf: no outliers), got " +
                  formatDouble(threshold));
    if (statBits != 0 && (statBits < 2 || statBits > 8))
      return fail("stat-bits must be 0 (off) or in [2, 8], got " +
                  std::to_string(statBits));
    if (statBits != 0 && statGroup < 1)
      return fail("stat-group must be positive, got " +
                  std::to_string(statGroup));
    if (statBits != 0 && group == 0)
      return fail("stat-bits quantizes group-wise scales: give a group "
                  "(group > 0)");
    WeightFilter filter;
    if (std::string e = checkSharedOptions(damp, /*blockSize=*/128, include,
                                           exclude, opTypes, minElements,
                                           filter);
        !e.empty())
      return fail(e);
    FloatType scaleElem = parseFloatTypeName(ctx, scaleType);
    if (!scaleElem)
      return fail("unknown scale-type '" + scaleType +
                  "' (expected f16, bf16 or f32)");
    FloatType outlierElem = parseFloatTypeName(ctx, outlierType);
    if (!outlierElem)
      return fail("unknown outlier-type '" + outlierType +
                  "' (expected f16, bf16 or f32)");

    cq::QuantSpec spec;
    spec.bits = bits;
    spec.group = group;
    spec.symmetric = symmetric;
    cq::SpQROptions options;
    options.threshold = threshold;
    options.maxFraction = maxFraction;
    options.damp = damp;
    if (range == "mse")
      options.range.search = cq::RangeSearch::MSE;
    options.valueType = outlierElem.isF16()    ? cq::MultiplierType::F16
                        : outlierElem.isBF16() ? cq::MultiplierType::BF16
                                               : cq::MultiplierType::F32;
    options.statBits = statBits;
    options.statGroup = statGroup;
    options.statType = scaleElem.isF16()    ? cq::MultiplierType::F16
                       : scaleElem.isBF16() ? cq::MultiplierType::BF16
                                            : cq::MultiplierType::F32;
    const std::string base = llvm::formatv(
        "spqr w{0} {1}{2}{3}, outliers <= {4}% {5}", bits.getValue(),
        group == 0 ? std::string("per-channel") : "g" + std::to_string(group),
        symmetric ? " sym" : " asym", range == "mse" ? " mse-range" : "",
        formatDouble(maxFraction * 100), outlierType.getValue()).str() +
        (statBits ? llvm::formatv(", {0}-bit stats per {1}", statBits.getValue(),
                                  statGroup.getValue())
                        .str()
                  : std::string());

    auto compressOne = [&](const WeightUse &use) -> CompressedWeight {
      CompressedWeight out;
      if (use.encoded) {
        auto prior = llvm::cast<EncodingAttr>(use.weightType.getEncoding());
        if (prior.getOutliers())
          out.error = "it already has outliers; qsl-outliers runs once, on "
                      "dense weights";
        else if (prior.getQuant() || prior.getLowrank())
          out.error = "it is already quantized or factored; qsl-outliers "
                      "quantizes dense weights itself (run it instead of "
                      "qsl-quantize, or exclude this weight)";
        else
          out.error = "it is sparse; qsl-outliers is not combined with "
                      "sparsity (run it without qsl-prune, or exclude this "
                      "weight)";
        return out;
      }
      if (group > 0 && use.k % group != 0) {
        out.skipped = llvm::formatv("group {0} does not divide its reduction "
                                    "dimension K = {1}",
                                    group.getValue(), use.k);
        return out;
      }
      if (use.isConv() && use.conv->groups > 1) {
        out.skipped = groupedConvSkip(use, "qsl-outliers");
        return out;
      }
      if (statBits && use.n % statGroup != 0) {
        out.skipped = llvm::formatv("stat-group {0} does not divide its {1} "
                                    "output channels",
                                    statGroup.getValue(), use.n);
        return out;
      }
      cq::Matrix w;
      cq::Mask keep;
      if (failed(readCanonicalWeight(use, w, keep)))
        return out; // diagnosed
      std::optional<cq::InputStatistics> stats = readCalibration(use);
      cq::MatrixD hessian;
      std::string label = base;
      if (stats) {
        hessian = stats->gram;
      } else if (dataFree) {
        hessian = cq::MatrixD::Identity(w.cols(), w.cols());
        label += ", data-free";
      } else {
        out.error = "qsl-outliers needs calibration statistics; compile with "
                    "qslc --calibrate=INPUTS.npz (or pass data-free=true)";
        return out;
      }
      cq::SpQRResult r = cq::quantizeSpQR(w, hessian, spec, options);

      QuantAttr quant = QuantAttr::get(
          ctx, bits, /*axis=*/use.transposed ? 1 : 0, group, scaleElem,
          symmetric ? Type() : IntegerType::get(ctx, bits), /*codebook=*/0,
          statBits, statBits ? int64_t(statGroup) : 0);
      OutliersAttr outlierFacet;
      if (!r.outlierIndices.empty()) {
        // Canonical [N, K] linear index -> linear index of the stored weight.
        int64_t cols = use.transposed ? use.k : use.n;
        std::vector<std::pair<int64_t, double>> stored;
        for (auto [i, v] : llvm::zip(r.outlierIndices, r.outlierValues)) {
          int64_t row = i / w.cols(), col = i % w.cols();
          int64_t idx = use.transposed ? row * cols + col : col * cols + row;
          stored.push_back({idx, double(v)});
        }
        llvm::sort(stored);
        for (auto &[idx, v] : stored) {
          out.contents.outlierIndices.push_back(idx);
          out.contents.outlierValues.push_back(v);
        }
        outlierFacet = OutliersAttr::get(ctx, stored.size(), outlierElem);
      }
      auto encoding =
          EncodingAttr::get(ctx, quant, SparseAttr(), outlierFacet, {}, {});
      out.type = RankedTensorType::get(use.weightType.getShape(),
                                       use.weightType.getElementType(),
                                       encoding);
      std::vector<int32_t> codes = toStored<int32_t>(use, r.quantized.codes);
      out.contents.codes.assign(codes.begin(), codes.end());
      std::vector<float> scales = toStored<float>(use, r.quantized.scales);
      out.contents.scales.assign(scales.begin(), scales.end());
      if (statBits) {
        std::vector<int32_t> sc = toStored<int32_t>(use, r.scaleCodes);
        out.contents.scaleCodes.assign(sc.begin(), sc.end());
        std::vector<float> ss = toStored<float>(use, r.statScales);
        out.contents.statScales.assign(ss.begin(), ss.end());
        std::vector<float> sz = toStored<float>(use, r.statZeros);
        out.contents.statZeros.assign(sz.begin(), sz.end());
      }
      if (!symmetric) {
        std::vector<int32_t> zeros = toStored<int32_t>(use, r.quantized.zeros);
        out.contents.zeros.assign(zeros.begin(), zeros.end());
      }
      out.method = label + llvm::formatv(" ({0} kept)",
                                         r.outlierIndices.size())
                               .str();
      return out;
    };
    if (failed(compressWeights(module, filter, compressOne)))
      signalPassFailure();
  }
};

} // namespace
