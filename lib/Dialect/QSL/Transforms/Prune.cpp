//===- Prune.cpp - qsl-prune: magnitude, Wanda and SparseGPT pruning ------===//
#include "CompressWeights.h"

#include "qsl/Compress/Prune.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLPRUNEPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

/// Parses `unstructured`, `N:M` or `block:RxC`; "" on success, else why not.
/// Block dimensions are those of the weight as stored ([K, N] for MatMul).
std::string parsePattern(StringRef text, double sparsity,
                         cq::SparsityPattern &out, int64_t &blockR,
                         int64_t &blockC) {
  if (text == "unstructured") {
    out = cq::SparsityPattern::unstructured(sparsity);
    return "";
  }
  if (text.consume_front("block:")) {
    auto [r, c] = text.split('x');
    if (r.getAsInteger(10, blockR) || c.getAsInteger(10, blockC) ||
        blockR < 1 || blockC < 1)
      return "expected block:RxC with positive R and C";
    out = cq::SparsityPattern::block(blockR, blockC, sparsity);
    return "";
  }
  auto [n, m] = text.split(':');
  int64_t nv, mv;
  if (n.getAsInteger(10, nv) || m.getAsInteger(10, mv))
    return "expected unstructured, N:M (such as 2:4) or block:RxC";
  if (nv < 1 || nv >= mv)
    return "N:M needs 0 < N < M";
  out = cq::SparsityPattern::nm(nv, mv);
  return "";
}

struct QslPrunePass : public mlir::qsl::impl::QslPrunePassBase<QslPrunePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-prune: " << message;
      signalPassFailure();
    };
    if (!(sparsity >= 0.0 && sparsity < 1.0))
      return fail("sparsity must be in [0, 1), got " + llvm::formatv("{0}", double(sparsity)).str());
    cq::SparsityPattern pattern;
    int64_t blockR = 0, blockC = 0;
    if (std::string e =
            parsePattern(this->pattern, sparsity, pattern, blockR, blockC);
        !e.empty())
      return fail("bad pattern '" + this->pattern + "': " + e);
    if (method != "magnitude" && method != "wanda" && method != "sparsegpt")
      return fail("unknown method '" + method +
                  "' (expected magnitude, wanda or sparsegpt)");
    if (!refine.empty() && refine != "dsnot")
      return fail("unknown refine '" + refine + "' (expected dsnot)");
    if (refine == "dsnot" &&
        pattern.kind == cq::SparsityPattern::Kind::Block)
      return fail("refine=dsnot does not apply to block patterns");
    WeightFilter filter;
    if (std::string e = checkSharedOptions(damp, blockSize, include, exclude,
                                           opTypes, minElements, filter);
        !e.empty())
      return fail(e);
    bool needsStats = method != "magnitude" || !refine.empty();
    std::string label = llvm::formatv("{0} {1}{2}{3}", method.getValue(),
                                      this->pattern.getValue(),
                                      pattern.kind ==
                                              cq::SparsityPattern::Kind::NM
                                          ? std::string()
                                          : llvm::formatv(" {0}%", sparsity * 100).str(),
                                      refine.empty() ? "" : " + " + refine);

    auto pruneOne = [&](const WeightUse &use) -> CompressedWeight {
      CompressedWeight out;
      if (use.encoded) {
        out.skipped = "it is already compressed; run qsl-prune before "
                      "qsl-quantize";
        return out;
      }
      // The pattern on the canonical [N, K] matrix: N:M and unstructured run
      // along K; stored blocks RxC of a [K, N] weight are CxR blocks here.
      cq::SparsityPattern p = pattern;
      if (p.kind == cq::SparsityPattern::Kind::Block && !use.transposed)
        std::swap(p.blockRows, p.blockCols);
      std::string bad = p.validate(use.n, use.k);
      if (!bad.empty()) {
        out.skipped = bad;
        return out;
      }
      if (needsStats && use.isConv() && use.conv->groups > 1) {
        out.skipped = groupedConvSkip(
            use, "method=" + method.getValue() +
                     (refine.empty() ? "" : " refine=" + refine.getValue()));
        return out;
      }
      cq::Matrix w;
      cq::Mask keep;
      if (failed(readCanonicalWeight(use, w, keep)))
        return out;
      std::optional<cq::InputStatistics> stats;
      if (needsStats) {
        stats = readCalibration(use);
        if (!stats) {
          out.error = "method=" + method + (refine.empty() ? "" : " refine=" + refine) +
                      " needs calibration statistics; compile with qslc "
                      "--calibrate=INPUTS.npz (or use method=magnitude)";
          return out;
        }
      }
      cq::PruneResult pruned;
      if (method == "sparsegpt") {
        cq::SparseGPTOptions o;
        o.damp = damp;
        o.blockSize = blockSize;
        pruned = cq::pruneSparseGPT(w, stats->gram, p, o);
      } else {
        cq::Matrix scores = method == "wanda"
                                ? cq::wandaScores(w, stats->inputNorms())
                                : cq::magnitudeScores(w);
        pruned.mask = cq::selectMask(scores, p);
        pruned.weights = w;
      }
      if (refine == "dsnot") {
        cq::DSnoTOptions o;
        o.gram = &stats->gram;
        pruned.mask = cq::refineDSnoT(pruned.weights, pruned.mask,
                                      stats->inputMean(), stats->inputNorms(),
                                      p, o);
      }
      pruned.weights = cq::applyMask(pruned.weights, pruned.mask);

      int64_t kept = pruned.mask.count();
      SparseAttr sparse;
      int64_t axis = use.transposed ? 1 : 0;
      switch (p.kind) {
      case cq::SparsityPattern::Kind::NM:
        sparse = SparseAttr::get(ctx, p.n, p.m, axis);
        break;
      case cq::SparsityPattern::Kind::Unstructured:
        sparse = SparseAttr::get(ctx, SparseKind::Unstructured, 0, 0, 0, 0, 0,
                                 kept);
        break;
      case cq::SparsityPattern::Kind::Block:
        sparse = SparseAttr::get(ctx, SparseKind::Block, 0, 0, 0, blockR,
                                 blockC, kept / (blockR * blockC));
        break;
      }
      if (kept == 0) {
        out.skipped = "the pattern removes every element";
        return out;
      }
      auto encoding = EncodingAttr::get(ctx, {}, sparse, {}, {}, {});
      out.type = RankedTensorType::get(use.weightType.getShape(),
                                       use.weightType.getElementType(), encoding);
      std::vector<float> values = toStored<float>(use, pruned.weights);
      out.contents.values.assign(values.begin(), values.end());
      out.contents.keep = storedKeep(use, pruned.mask);
      out.method = label;
      return out;
    };
    if (failed(compressWeights(module, filter, pruneOne)))
      signalPassFailure();
  }
};

} // namespace
