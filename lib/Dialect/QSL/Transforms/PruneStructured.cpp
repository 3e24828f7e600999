//===- PruneStructured.cpp - qsl-prune-structured: remove channels, heads -===//
//
// target=channels: a group is the activation between one or more producer
// contractions with constant weights (fc1, or SwiGLU's gate and up) and one
// consumer contraction (fc2), connected through ops that treat every
// channel alike (bias adds, GELU, ...). Removing channel j drops output row
// j of every producer weight, element j of every per-channel constant on
// the way, and input column j of the consumer weight; every tensor in
// between becomes narrower.
//
// target=heads: the group is an attention block, from the Q, K and V
// projections (or one fused QKV projection) to the output projection; a
// unit is a head, D consecutive input channels of the output projection.
//
// The subgraph walk and the rewrite are in PrunableGroup.h. With FLAP the
// consumer gets a bias that replaces each removed channel by its
// calibration mean.
//
//===----------------------------------------------------------------------===//
#include "PrunableGroup.h"

#include "qsl/Compress/Structured.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Utils/ElementsAccess.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLPRUNESTRUCTUREDPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

struct QslPruneStructuredPass
    : public mlir::qsl::impl::QslPruneStructuredPassBase<
          QslPruneStructuredPass> {
  using Base::Base;

  bool heads() const { return target == "heads"; }
  /// Heads are whole already; multiple-of rounds channel counts.
  int64_t multiple() const { return heads() ? 1 : int64_t(multipleOf); }
  StringRef unitName() const { return heads() ? "heads" : "channels"; }

  FailureOr<PrunableGroup>
  findGroup(const WeightUse &u,
            const DenseMap<Operation *, const WeightUse *> &usesByOp,
            std::string &why) const {
    int64_t unitSize = 1;
    if (heads()) {
      unitSize = headDimension(u);
      if (unitSize == 0) {
        why = "its input is not attention heads merged from [..., H, D] "
              "into [..., H*D]";
        return failure();
      }
    }
    return findPrunableGroup(u, unitSize, usesByOp, why);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc()) << "qsl-prune-structured: " << message;
      signalPassFailure();
    };
    if (target != "channels" && target != "heads")
      return fail("unknown target '" + target +
                  "' (expected channels or heads)");
    if (!(ratio >= 0.0 && ratio < 1.0))
      return fail("ratio must be in [0, 1), got " +
                  llvm::formatv("{0}", double(ratio)).str());
    if (method != "flap" && method != "magnitude")
      return fail("unknown method '" + method +
                  "' (expected flap or magnitude)");
    if (multipleOf < 1)
      return fail("multiple-of must be >= 1, got " + Twine(multipleOf));
    WeightFilter filter;
    if (std::string e = filter.init(include, exclude, minElements, opTypes);
        !e.empty())
      return fail(e);

    if (structure != "uniform" && structure != "global")
      return fail("unknown structure '" + structure +
                  "' (expected uniform or global)");

    // FLAP's adaptive structure: the kept count of every group from all
    // groups' standardized scores, decided before the graph changes.
    if (structure == "global") {
      SmallVector<WeightUse> uses = collectWeightUses(module);
      llvm::erase_if(uses, [](const WeightUse &u) { return u.isConv(); });
      DenseMap<Operation *, const WeightUse *> usesByOp;
      for (const WeightUse &u : uses)
        usesByOp[u.op] = &u;
      std::vector<cq::VectorD> all;
      SmallVector<Operation *> consumers;
      for (const WeightUse &u : uses) {
        if (u.encoded || !filter.accepts(u))
          continue;
        std::string why;
        FailureOr<PrunableGroup> g = findGroup(u, usesByOp, why);
        if (failed(g))
          continue;
        FailureOr<GroupData> d = readGroup(*g);
        if (failed(d))
          return signalPassFailure();
        all.push_back(std::move(d->scores));
        consumers.push_back(u.op);
      }
      std::vector<int64_t> counts =
          cq::globalKeepCounts(all, ratio, multiple());
      for (auto [op, count] : llvm::zip_equal(consumers, counts))
        keepCounts[op] = count;
    }

    DenseSet<Operation *> attempted;
    int64_t groups = 0;
    while (true) {
      SmallVector<WeightUse> uses = collectWeightUses(module);
      llvm::erase_if(uses, [](const WeightUse &u) { return u.isConv(); });
      DenseMap<Operation *, const WeightUse *> usesByOp;
      for (const WeightUse &u : uses)
        usesByOp[u.op] = &u;
      std::optional<PrunableGroup> next;
      for (const WeightUse &u : uses) {
        if (u.encoded || !filter.accepts(u) || !attempted.insert(u.op).second)
          continue;
        std::string why;
        FailureOr<PrunableGroup> g = findGroup(u, usesByOp, why);
        if (succeeded(g)) {
          next = std::move(*g);
          break;
        }
        if (!include.empty())
          u.op->emitWarning() << "weight '" << u.name
                              << "' left as it is: " << why;
      }
      if (!next)
        break;
      if (failed(prune(*next)))
        return signalPassFailure();
      ++groups;
    }
    if (groups == 0) {
      if (heads())
        mlir::emitWarning(module.getLoc())
            << "qsl-prune-structured: found no attention block to prune (an "
               "output projection with a constant weight whose input merges "
               "heads computed from projections with constant weights)";
      else
        mlir::emitWarning(module.getLoc())
            << "qsl-prune-structured: found no channel group to prune (a "
               "contraction with a constant weight whose input is an "
               "elementwise function of other such contractions)";
    }
  }

  /// The weights of a group in canonical form, its consumer's statistics
  /// and the score of every unit.
  struct GroupData {
    cq::Matrix w2;
    std::vector<cq::Matrix> w1;
    std::optional<cq::InputStatistics> stats;
    cq::VectorD scores;
  };

  FailureOr<GroupData> readGroup(PrunableGroup &g) {
    GroupData d;
    WeightUse &c = g.consumer;
    cq::Mask unusedKeep;
    if (failed(readCanonicalWeight(c, d.w2, unusedKeep)))
      return failure();
    d.w1.resize(g.producers.size());
    std::vector<cq::UnitRows> rows;
    for (auto [p, m] : llvm::zip_equal(g.producers, d.w1)) {
      if (failed(readCanonicalWeight(p, m, unusedKeep)))
        return failure();
      const UnitLayout &l = g.layouts.find(p.op->getResult(0))->second;
      rows.push_back({&m, l.block,
                      std::vector<int64_t>(l.offsets.begin(), l.offsets.end())});
    }
    d.stats = readCalibration(c);
    if (method == "flap" && !d.stats)
      return c.op->emitError()
             << "weight '" << c.name
             << "': method=flap needs calibration statistics; compile with "
                "qslc --calibrate=INPUTS.npz (or use method=magnitude)";
    d.scores = method == "flap"
                   ? cq::unitScores(cq::fluctuationScores(d.w2, *d.stats),
                                    g.unitSize)
                   : cq::magnitudeScores(d.w2, g.unitSize, rows);
    return d;
  }

  LogicalResult prune(PrunableGroup &g) {
    WeightUse &c = g.consumer;
    FailureOr<GroupData> data = readGroup(g);
    if (failed(data))
      return failure();
    std::optional<cq::InputStatistics> &stats = data->stats;
    auto preset = keepCounts.find(c.op);
    int64_t keep = preset != keepCounts.end()
                       ? preset->second
                       : cq::channelsToKeep(g.units, ratio, multiple());
    if (keep == g.units)
      return success();
    std::vector<int64_t> keptUnits = cq::selectChannels(data->scores, keep);
    std::vector<int64_t> kept = cq::unitChannels(keptUnits, g.unitSize);
    if (failed(narrowGroup(g, keptUnits, data->w1, data->w2)))
      return failure();

    if (stats) {
      const int64_t n = kept.size();
      cq::InputStatistics sliced(n);
      for (int64_t i = 0; i < n; ++i) {
        sliced.sum(i) = stats->sum(kept[i]);
        for (int64_t j = 0; j < n; ++j)
          sliced.gram(i, j) = stats->gram(kept[i], kept[j]);
      }
      sliced.tokens = stats->tokens;
      c.op->setAttr(kCalibrationAttr,
                    makeCalibrationAttr(c.op->getContext(), sliced, c.name));
    }
    // FLAP's compensation: removed channels replaced by their means.
    if (compensate && stats) {
      cq::VectorD comp =
          cq::biasCompensation(data->w2, stats->inputMean(), kept);
      addBias(c.op, std::vector<double>(comp.data(), comp.data() + comp.size()),
              c.name + ".compensation");
    } else if (compensate && !stats) {
      c.op->emitWarning() << "weight '" << c.name << "': no calibration "
                          << "statistics, so the removed " << unitName()
                          << " are not compensated";
    }
    return success();
  }

  /// Kept channel counts chosen up front (structure=global), by consumer.
  DenseMap<Operation *, int64_t> keepCounts;

  /// y + bias (broadcast along the last dimension) after `op`.
  void addBias(Operation *op, ArrayRef<double> bias, StringRef name) {
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    Location loc = op->getLoc();
    Value y = op->getResult(0);
    auto yType = llvm::cast<RankedTensorType>(y.getType());
    Value biasV =
        makeDenseConstant(b, loc,
                     RankedTensorType::get({int64_t(bias.size())},
                                           yType.getElementType()),
                     bias, name);
    unsigned rank = yType.getRank();
    MLIRContext *ctx = op->getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap last = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
    Value init = tensor::EmptyOp::create(b, loc, yType.getShape(),
                                         yType.getElementType());
    auto add = linalg::GenericOp::create(
        b, loc, yType, ValueRange{y, biasV}, ValueRange{init},
        ArrayRef<AffineMap>{id, last, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location nl, ValueRange args) {
          Value s = arith::AddFOp::create(nb, nl, args[0], args[1]);
          linalg::YieldOp::create(nb, nl, s);
        });
    y.replaceAllUsesExcept(add.getResult(0), add);
  }
};

} // namespace
