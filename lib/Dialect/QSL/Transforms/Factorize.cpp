//===- Factorize.cpp - qsl-factorize and qsl-compensate: low-rank terms ---===//
//
// Both passes put a `lowrank` facet on contraction weights; the numerics
// are in Compress/LowRank.h. qsl-factorize replaces a dense weight by U·V
// alone; qsl-compensate adds U·V ~ W - What to a weight an earlier pass
// compressed into What.
//
//===----------------------------------------------------------------------===//
#include "CompressWeights.h"

#include "qsl/Compress/LowRank.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"
#include "qsl/Runtime/HostTensor.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLFACTORIZEPASS
#define GEN_PASS_DEF_QSLCOMPENSATEPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;
namespace rt = ::qsl::runtime;

namespace {

cq::FactorType factorTypeOf(FloatType t) {
  if (t.isF16())
    return cq::FactorType::F16;
  if (t.isBF16())
    return cq::FactorType::BF16;
  return cq::FactorType::F32;
}

/// Puts canonical factors (W ~ U V, [N, r] x [r, K]) into `c` in the
/// stored orientation: [N, K] as is, [K, N] as (U V)^T = V^T U^T.
void setStoredFactors(const WeightUse &use, const cq::LowRankFactors &f,
                      EncodedContents &c) {
  cq::Matrix u = use.transposed ? f.u : cq::Matrix(f.v.transpose());
  cq::Matrix v = use.transposed ? f.v : cq::Matrix(f.u.transpose());
  c.u.assign(u.data(), u.data() + u.size());
  c.v.assign(v.data(), v.data() + v.size());
}

/// FWSVD's row importance of `use` ([N], canonical output rows) from its
/// entry in the fisher .npz: [N] importances, or per-element Fisher
/// information in the weight's stored shape, summed per output row. Sets
/// out.skipped / out.error and returns nullopt when there is none.
std::optional<cq::VectorD>
fisherImportance(const WeightUse &use,
                 const std::map<std::string, rt::HostTensor> &info,
                 StringRef file, CompressedWeight &out) {
  auto it = info.find(use.name);
  if (it == info.end()) {
    out.skipped = ("fisher=" + file + " has no array named '" + use.name +
                   "'").str();
    return std::nullopt;
  }
  const rt::HostTensor &t = it->second;
  std::vector<double> values(t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (t.dtype) {
    case rt::DType::F32:
      values[i] = reinterpret_cast<const float *>(t.bytes.data())[i];
      break;
    case rt::DType::F64:
      values[i] = reinterpret_cast<const double *>(t.bytes.data())[i];
      break;
    default:
      out.error = ("fisher=" + file + ": '" + use.name + "' is " +
                   t.describe() + "; expected f32 or f64")
                      .str();
      return std::nullopt;
    }
    if (!(values[i] >= 0.0) || !std::isfinite(values[i])) {
      out.error = ("fisher=" + file + ": '" + use.name +
                   "' has a negative or non-finite entry; Fisher "
                   "information is a sum of squares")
                      .str();
      return std::nullopt;
    }
  }
  ArrayRef<int64_t> shape = use.weightType.getShape();
  cq::VectorD importance(use.n);
  if (t.shape == std::vector<int64_t>{use.n}) {
    for (int64_t i = 0; i < use.n; ++i)
      importance[i] = values[i];
    return importance;
  }
  if (t.shape != std::vector<int64_t>(shape.begin(), shape.end())) {
    std::string want;
    llvm::raw_string_ostream os(want);
    llvm::interleave(shape, os, "x");
    out.error = ("fisher=" + file + ": '" + use.name + "' is " +
                 t.describe() + "; expected the weight's shape [" + want +
                 "] or one importance per output channel [" +
                 std::to_string(use.n) + "]")
                    .str();
    return std::nullopt;
  }
  // Stored as [N, K...] (transposed uses, conv filters) or [K, N].
  importance.setZero();
  int64_t rows = shape[0], cols = t.numElements() / rows;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      importance[use.transposed ? r : c] += values[r * cols + c];
  return importance;
}

/// Element width in bits of a float type.
double bitsOf(Type t) { return t.getIntOrFloatBitWidth(); }

struct QslFactorizePass
    : public mlir::qsl::impl::QslFactorizePassBase<QslFactorizePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-factorize: " << message;
      signalPassFailure();
    };
    if (method != "svd" && method != "whitened" && method != "fisher")
      return fail("unknown method '" + method +
                  "' (expected svd, whitened or fisher)");
    if ((method == "fisher") != !fisher.empty())
      return fail(method == "fisher"
                      ? "method=fisher needs fisher=FILE.npz (the Fisher "
                        "information of each weight, keyed by name)"
                      : "fisher=... is only read by method=fisher");
    std::map<std::string, rt::HostTensor> fisherInfo;
    if (method == "fisher") {
      std::string error;
      if (!rt::readNpz(fisher, fisherInfo, error))
        return fail("cannot read fisher=" + fisher + ": " + error);
    }
    if (rank < 0)
      return fail("rank must be >= 0, got " + Twine(rank));
    if (!(energy >= 0.0 && energy <= 1.0))
      return fail("energy must be in [0, 1], got " +
                  llvm::formatv("{0}", double(energy)).str());
    if ((rank > 0) == (energy > 0))
      return fail("give either rank (> 0) or energy (in (0, 1]), not " +
                  std::string(rank > 0 ? "both" : "neither"));
    FloatType ftype = parseFloatTypeName(ctx, factorType);
    if (!ftype)
      return fail("unknown type '" + factorType +
                  "' (expected f16, bf16 or f32)");
    WeightFilter filter;
    if (std::string e = checkSharedOptions(damp, 1, include, exclude, opTypes,
                                           minElements, filter);
        !e.empty())
      return fail(e);

    cq::LowRankOptions options;
    options.damp = damp;
    options.factorType = factorTypeOf(ftype);
    auto factorizeOne = [&](const WeightUse &use) -> CompressedWeight {
      CompressedWeight out;
      if (use.encoded) {
        out.skipped = "it is already compressed (qsl-factorize replaces "
                      "dense weights; qsl-compensate corrects compressed "
                      "ones)";
        return out;
      }
      const int64_t n = use.n, k = use.k;
      // Conv filters are factorized in their matrix view [O, C*kh*kw].
      int64_t breakEven = cq::breakEvenRank(
          n, k, bitsOf(use.weightType.getElementType()), bitsOf(ftype));
      breakEven = std::min(breakEven, std::min(n, k) - 1);
      if (breakEven < 1) {
        out.skipped = "even rank-1 factors would not be smaller than the "
                      "dense weight";
        return out;
      }
      cq::RankTarget target;
      if (rank > 0) {
        if (std::string bad = cq::validateRank(n, k, rank); !bad.empty()) {
          out.skipped = bad;
          return out;
        }
        if (rank > breakEven) {
          out.skipped = llvm::formatv("rank {0} factors would not be smaller "
                                      "than the dense {1}x{2} weight "
                                      "(break-even rank {3})",
                                      int64_t(rank), n, k, breakEven);
          return out;
        }
        target = cq::RankTarget(rank);
      } else {
        target = cq::RankTarget::forEnergy(energy, breakEven);
      }
      cq::Matrix w;
      cq::Mask keep;
      if (failed(readCanonicalWeight(use, w, keep)))
        return out;
      cq::LowRankFactors f;
      if (method == "whitened") {
        std::optional<cq::InputStatistics> stats = readCalibration(use);
        if (!stats) {
          out.error = "method=whitened needs calibration statistics; compile "
                      "with qslc --calibrate=INPUTS.npz (or use method=svd)";
          return out;
        }
        f = cq::whitenedSVD(w, stats->gram, target, options);
      } else if (method == "fisher") {
        std::optional<cq::VectorD> importance =
            fisherImportance(use, fisherInfo, fisher, out);
        if (!importance)
          return out;
        f = cq::fisherWeightedSVD(w, *importance, target, options);
      } else {
        f = cq::truncatedSVD(w, target, options);
      }
      if (rank == 0 && cq::rankForEnergy(f.singularValues, energy,
                                         f.totalEnergy) > breakEven) {
        out.skipped = llvm::formatv(
            "keeping {0} of the energy needs a rank above {1}, where the "
            "factors stop being smaller than the dense weight",
            double(energy), breakEven);
        return out;
      }
      int64_t r = f.rank();
      auto encoding = EncodingAttr::get(ctx, {}, {}, {},
                                        LowRankAttr::get(ctx, r, ftype), {});
      out.type = RankedTensorType::get(use.weightType.getShape(),
                                       use.weightType.getElementType(),
                                       encoding);
      setStoredFactors(use, f, out.contents);
      out.method = llvm::formatv("{0} r{1}",
                                 method == "svd" ? "svd" : "whitened-svd", r);
      return out;
    };
    if (failed(compressWeights(module, filter, factorizeOne)))
      signalPassFailure();
  }
};

struct QslCompensatePass
    : public mlir::qsl::impl::QslCompensatePassBase<QslCompensatePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-compensate: " << message;
      signalPassFailure();
    };
    if (method != "svd" && method != "lqer" && method != "eora")
      return fail("unknown method '" + method +
                  "' (expected svd, lqer or eora)");
    if (rank < 1)
      return fail("rank must be >= 1, got " + Twine(rank));
    FloatType ftype = parseFloatTypeName(ctx, factorType);
    if (!ftype)
      return fail("unknown type '" + factorType +
                  "' (expected f16, bf16 or f32)");
    WeightFilter filter;
    if (std::string e = checkSharedOptions(0.0, 1, include, exclude, opTypes,
                                           minElements, filter);
        !e.empty())
      return fail(e);

    cq::LowRankOptions options;
    options.factorType = factorTypeOf(ftype);
    auto compensateOne = [&](const WeightUse &use) -> CompressedWeight {
      CompressedWeight out;
      if (!use.encoded) {
        out.skipped = "it is not compressed; run qsl-quantize or qsl-prune "
                      "before qsl-compensate";
        return out;
      }
      auto encoding =
          llvm::cast<EncodingAttr>(use.weightType.getEncoding());
      // A weight with a low-rank facet already gets `rank` more components
      // of its remaining error, merged into that facet (one U·V of the
      // summed rank, in the facet's type).
      LowRankAttr prior = encoding.getLowrank();
      int64_t priorRank = prior ? prior.getRank() : 0;
      Type mergedType = prior ? prior.getType() : ftype;
      if (prior && prior.getType() != ftype) {
        out.skipped = llvm::formatv("its lowrank facet is {0} and type={1} "
                                    "cannot merge into it",
                                    prior.getType(), factorType.getValue());
        return out;
      }
      if (!use.source) {
        out.error = "its original data is unknown (the qsl.constant has no "
                    "qsl.source), so there is no error to compensate";
        return out;
      }
      if (std::string bad =
              cq::validateRank(use.n, use.k, priorRank + int64_t(rank));
          !bad.empty()) {
        out.skipped = prior ? "with its rank-" + std::to_string(priorRank) +
                                  " facet, " + bad
                            : bad;
        return out;
      }
      std::optional<cq::InputStatistics> stats;
      if (method != "svd") {
        stats = readCalibration(use);
        if (!stats) {
          out.error = "method=" + method +
                      " needs calibration statistics; compile with qslc "
                      "--calibrate=INPUTS.npz (or use method=svd)";
          return out;
        }
      }
      cq::Matrix what, w;
      cq::Mask keep, unused;
      EncodedContents contents;
      if (failed(readCanonicalWeight(use, what, keep, &contents)))
        return out;
      RankedTensorType denseType =
          EncodedTensorType::get(use.weightType)->getDenseType();
      WeightUse original = use;
      original.encoded = {};
      original.weightType = denseType;
      if (failed(readCanonicalWeight(original, w, unused)))
        return out;

      // With a smooth facet the low-rank term is scaled too; the factors
      // are divided by the multipliers after rounding, so they are kept in
      // f32 until the encoding rounds them once.
      SmoothAttr smooth = encoding.getSmooth();
      cq::LowRankOptions o = options;
      if (smooth)
        o.factorType = cq::FactorType::F32;
      cq::LowRankFactors f;
      if (method == "eora")
        f = cq::eora(w, what, stats->gram, int64_t(rank), o);
      else if (method == "lqer")
        f = cq::lqer(w, what, stats->gram, int64_t(rank), o);
      else
        f = cq::truncatedSVD(cq::Matrix(w - what), int64_t(rank), o);

      std::vector<double> priorU = std::move(contents.u),
                          priorV = std::move(contents.v);
      setStoredFactors(use, f, contents);
      if (smooth) {
        EncodedTensorType view = *EncodedTensorType::get(use.weightType);
        int64_t rows = view.getMatrixRows(), cols = view.getMatrixCols();
        const std::vector<double> &s = contents.smooth;
        if (smooth.getAxis() == 0)
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < rank; ++j)
              contents.u[i * rank + j] /= s[i];
        else
          for (int64_t i = 0; i < rank; ++i)
            for (int64_t j = 0; j < cols; ++j)
              contents.v[i * cols + j] /= s[j];
      }
      int64_t total = priorRank + int64_t(rank);
      if (prior) {
        // Stored U is [rows, rank] and V [rank, cols]: the prior components
        // come first in both.
        EncodedTensorType view = *EncodedTensorType::get(use.weightType);
        int64_t rows = view.getMatrixRows(), cols = view.getMatrixCols();
        std::vector<double> u(rows * total), v(total * cols);
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < total; ++j)
            u[i * total + j] = j < priorRank
                                   ? priorU[i * priorRank + j]
                                   : contents.u[i * rank + (j - priorRank)];
        std::copy(priorV.begin(), priorV.end(), v.begin());
        std::copy(contents.v.begin(), contents.v.end(),
                  v.begin() + priorRank * cols);
        contents.u = std::move(u);
        contents.v = std::move(v);
      }
      auto withLowRank = EncodingAttr::get(
          ctx, encoding.getQuant(), encoding.getSparse(),
          encoding.getOutliers(), LowRankAttr::get(ctx, total, mergedType),
          smooth);
      out.type = RankedTensorType::get(denseType.getShape(),
                                       denseType.getElementType(), withLowRank);
      out.contents = std::move(contents);
      out.method = llvm::formatv("{0} r{1}", method.getValue(), int64_t(rank));
      return out;
    };
    if (failed(compressWeights(module, filter, compensateOne)))
      signalPassFailure();
  }
};

} // namespace
