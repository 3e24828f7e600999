//===- Allocate.cpp - qsl-allocate: per-weight encodings under a budget ---===//
//
// Evaluates every candidate encoding on all selected weights (on a clone of
// the module, nested in it while the candidate's passes run), solves the
// multiple-choice knapsack of Compress/Allocate.h and runs each candidate
// on the weights that chose it.
//
//===----------------------------------------------------------------------===//
#include "CompressWeights.h"

#include "qsl/Compress/Allocate.h"
#include "qsl/Compress/Refine.h"
#include "qsl/Dialect/QSL/Transforms/EndToEnd.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"
#include "qsl/Dialect/QSL/Transforms/Report.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLALLOCATEPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
namespace cq = ::qsl::compress;

namespace {

constexpr llvm::StringLiteral kAllocationAttr = "qsl.allocation";
constexpr llvm::StringLiteral kDefaultCandidates =
    "w2g32,w2g64,w3g64,w3g128,w4g64,w4g128,w5g128,w6g128,w8,2:4-w4g128,dense";

/// One candidate encoding: optional pruning, quantization and low-rank
/// correction steps, in that order (or none: dense).
struct Candidate {
  std::string text;
  std::string prunePattern, pruneMethod;
  double sparsity = 0.5;
  int64_t bits = 0, group = 0;
  std::string quantMethod;
  bool symmetric = false;
  int64_t rank = 0;
  std::string compMethod;
  bool isDense() const {
    return prunePattern.empty() && bits == 0 && rank == 0;
  }
};

/// A decimal number of at most 6 digits (-1 otherwise).
int64_t smallNumber(StringRef digits) {
  int64_t v = -1;
  if (digits.size() > 6 || digits.getAsInteger(10, v))
    return -1;
  return v;
}

/// Parses one candidate (grammar in the pass description); returns an
/// error message or "".
std::string parseCandidate(StringRef text, bool dataAware, Candidate &c) {
  c = Candidate();
  c.text = text.trim().str();
  if (c.text == "dense")
    return "";
  if (c.text.empty())
    return "empty candidate";
  auto bad = [&](const Twine &why) {
    return ("bad candidate '" + c.text + "': " + why).str();
  };
  SmallVector<StringRef> tokens;
  SplitString(c.text, tokens, "-+");
  llvm::Regex quant("^w([0-9]+)(g([0-9]+))?$"), nm("^([0-9]+):([0-9]+)$"),
      unstructured("^s([0-9]+)$"), comp("^(eora|lqer|svd)([0-9]+)$");
  for (StringRef t : tokens) {
    SmallVector<StringRef> m;
    if (quant.match(t, &m)) {
      if (c.bits)
        return bad("two quantization steps");
      c.bits = smallNumber(m[1]);
      c.group = m[3].empty() ? 0 : smallNumber(m[3]);
      if (c.bits < 2 || c.bits > 8)
        return bad("bits must be between 2 and 8");
    } else if (nm.match(t, &m) || unstructured.match(t, &m)) {
      if (!c.prunePattern.empty())
        return bad("two pruning steps");
      if (t.starts_with("s")) {
        c.prunePattern = "unstructured";
        c.sparsity = smallNumber(m[1]) / 100.0;
        if (c.sparsity <= 0 || c.sparsity >= 1)
          return bad("sparsity must be a percentage in (0, 100)");
      } else {
        c.prunePattern = t.str();
      }
    } else if (comp.match(t, &m)) {
      c.compMethod = m[1].str();
      c.rank = smallNumber(m[2]);
      if (c.rank < 1)
        return bad("rank must be >= 1");
    } else if (t == "rtn" || t == "mse" || t == "gptq" || t == "awq") {
      c.quantMethod = t.str();
    } else if (t == "magnitude" || t == "wanda" || t == "sparsegpt") {
      c.pruneMethod = t.str();
    } else if (t == "sym") {
      c.symmetric = true;
    } else {
      return bad("unknown part '" + t +
                 "' (expected dense, wB or wBgG, N:M, sP, rtn, mse, gptq, "
                 "awq, magnitude, wanda, sparsegpt, sym, eoraR, lqerR or "
                 "svdR)");
    }
  }
  if (!c.quantMethod.empty() && !c.bits)
    return bad("a quantization method without wB");
  if ((c.symmetric) && !c.bits)
    return bad("sym without wB");
  if (!c.pruneMethod.empty() && c.prunePattern.empty())
    return bad("a pruning method without a pattern");
  if (c.rank && !c.bits && c.prunePattern.empty())
    return bad("a low-rank correction needs quantization or pruning before "
               "it");
  if (c.bits && c.quantMethod.empty())
    c.quantMethod = dataAware ? "gptq" : "mse";
  if (!c.prunePattern.empty() && c.pruneMethod.empty())
    c.pruneMethod = dataAware ? "sparsegpt" : "magnitude";
  return "";
}

/// Settings every candidate shares.
struct Shared {
  std::string range = "minmax";
  double damp = 0.01;
};

/// The candidate's passes on the weights `include` selects.
void addCandidatePasses(OpPassManager &pm, const Candidate &c,
                        const std::string &include, const Shared &shared) {
  if (!c.prunePattern.empty()) {
    QslPrunePassOptions o;
    o.pattern = c.prunePattern;
    o.sparsity = c.sparsity;
    o.method = c.pruneMethod;
    o.damp = shared.damp;
    o.include = include;
    pm.addPass(createQslPrunePass(o));
  }
  if (c.bits) {
    QslQuantizePassOptions o;
    o.bits = c.bits;
    o.group = c.group;
    o.method = c.quantMethod;
    o.symmetric = c.symmetric;
    o.actOrder = c.quantMethod == "gptq";
    o.range = shared.range;
    o.damp = shared.damp;
    o.include = include;
    pm.addPass(createQslQuantizePass(o));
  }
  if (c.rank) {
    QslCompensatePassOptions o;
    o.rank = c.rank;
    o.method = c.compMethod;
    o.include = include;
    pm.addPass(createQslCompensatePass(o));
  }
}

/// A regex matching exactly the names in `names`.
std::string exactNames(ArrayRef<std::string> names) {
  std::string re = "^(";
  for (size_t i = 0; i < names.size(); ++i)
    re += (i ? "|" : "") + llvm::Regex::escape(names[i]);
  return re + ")$";
}

int64_t denseBits(RankedTensorType t) {
  return t.getNumElements() * 8 *
         ((t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

/// Storage (bits) and error of one weight use as the module has it now.
struct Measured {
  double bits = 0, error = 0, reference = 0;
};

FailureOr<Measured> measure(const WeightUse &use, bool outputError) {
  Measured m;
  std::optional<EncodedTensorType> view = EncodedTensorType::get(use.weightType);
  if (!view) {
    m.bits = double(denseBits(use.weightType));
  } else {
    m.bits = 8.0 * double(view->getStorageBytes());
  }
  cq::Matrix original, approx;
  cq::Mask keep;
  WeightUse plain = use;
  plain.encoded = {};
  plain.weightType = view ? view->getDenseType() : use.weightType;
  if (failed(readCanonicalWeight(plain, original, keep)))
    return failure();
  if (view) {
    if (failed(readCanonicalWeight(use, approx, keep)))
      return failure();
  } else {
    approx = original;
  }
  Eigen::MatrixXf e = original - approx;
  if (!outputError) {
    m.error = e.cast<double>().squaredNorm();
    m.reference = original.cast<double>().squaredNorm();
    return m;
  }
  std::optional<cq::InputStatistics> stats = readCalibration(use);
  if (!stats)
    return failure();
  Eigen::MatrixXf h = stats->gram.cast<float>();
  Eigen::MatrixXf w = original;
  m.error = (e * h).cwiseProduct(e).cast<double>().sum();
  m.reference = (w * h).cwiseProduct(w).cast<double>().sum();
  m.error = std::max(m.error, 0.0);
  return m;
}

/// Parameters of every constant tensor of `module` (encoded ones at their
/// dense size).
int64_t modelParameters(ModuleOp module) {
  int64_t params = 0;
  module.walk([&](Operation *op) {
    if (!llvm::isa<arith::ConstantOp, ConstantOp>(op))
      return;
    auto t = llvm::dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (t && t.hasStaticShape() && t.getElementType().isIntOrFloat())
      params += t.getNumElements();
  });
  return params;
}

struct QslAllocatePass
    : public mlir::qsl::impl::QslAllocatePassBase<QslAllocatePass> {
  using Base::Base;

  void runOnOperation() override;
};

} // namespace

void QslAllocatePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto fail = [&](const Twine &message) {
    mlir::emitError(module.getLoc()) << "qsl-allocate: " << message;
    signalPassFailure();
  };
  if (!(budgetBits > 0))
    return fail("give budget-bits (> 0), the bits per parameter to stay "
                "within");
  if (objective != "output-error" && objective != "relative-output-error" &&
      objective != "weight-error")
    return fail("unknown objective '" + objective +
                "' (expected output-error, relative-output-error or "
                "weight-error)");
  if (scope != "selected" && scope != "model")
    return fail("unknown scope '" + scope + "' (expected selected or model)");
  bool outputError = objective != "weight-error";
  // relative-output-error: every weight's error energy over its output
  // energy tr(W H Wᵀ), times its parameters: every parameter counts alike
  // whatever the scale of its layer's outputs.
  bool relative = objective == "relative-output-error";
  if (range != "minmax" && range != "mse")
    return fail("unknown range '" + range + "' (expected minmax or mse)");
  if (damp < 0)
    return fail(llvm::formatv("damp must be >= 0, got {0}", damp.getValue()));
  Shared shared{range, damp};
  bool refine = refineGenerations > 0;
  std::vector<std::string> refineFiles;
  if (refine) {
    if (refineOffspring < 1)
      return fail("refine-offspring must be >= 1");
    if (!getEndToEndEvaluatorFactory())
      return fail("refine-generations needs to run the model, which this "
                  "tool cannot (use qslc or qsl-opt)");
    SmallVector<StringRef> parts;
    StringRef(refineInputs).split(parts, ',', -1, /*KeepEmpty=*/false);
    for (StringRef p : parts)
      refineFiles.push_back(p.trim().str());
    if (refineFiles.empty())
      if (auto recorded =
              module->getAttrOfType<ArrayAttr>(kCalibrationInputsAttr))
        for (auto f : recorded.getAsRange<StringAttr>())
          refineFiles.push_back(f.str());
    if (refineFiles.empty())
      return fail("refine-generations needs inputs to run the model on: give "
                  "refine-inputs=FILE.npz,... or compile with qslc "
                  "--calibrate=INPUTS");
  }
  WeightFilter filter;
  if (std::string e = checkSharedOptions(0.0, 1, include, exclude, opTypes,
                                         minElements, filter);
      !e.empty())
    return fail(e);

  std::vector<Candidate> cands;
  SmallVector<StringRef> texts;
  StringRef list = candidates.empty() ? StringRef(kDefaultCandidates)
                                      : StringRef(candidates);
  list.split(texts, ',');
  for (StringRef t : texts) {
    Candidate c;
    if (std::string e = parseCandidate(t, outputError, c); !e.empty())
      return fail(e);
    if (llvm::any_of(cands, [&](const Candidate &o) { return o.text == c.text; }))
      return fail("candidate '" + c.text + "' is listed twice");
    cands.push_back(std::move(c));
  }

  // The weights to allocate: selected, dense, with statistics if needed.
  SmallVector<WeightUse> uses = collectWeightUses(module);
  std::vector<size_t> selected;
  std::vector<std::string> names;
  for (size_t i = 0; i < uses.size(); ++i) {
    const WeightUse &use = uses[i];
    if (!filter.accepts(use) || use.encoded)
      continue;
    if (llvm::is_contained(names, use.name))
      return fail("weight '" + use.name +
                  "' is used by more than one contraction; exclude it or "
                  "compress it separately");
    if (outputError && !readCalibration(use))
      return fail("weight '" + use.name +
                  "': objective=" + objective +
                  " needs calibration statistics; "
                  "compile with qslc --calibrate=INPUTS.npz (or use "
                  "objective=weight-error)");
    selected.push_back(i);
    names.push_back(use.name);
  }
  if (selected.empty()) {
    mlir::emitWarning(module.getLoc())
        << "qsl-allocate: no dense weight matches the selection; nothing "
           "was compressed";
    return;
  }
  std::string onlySelected = exactNames(names);
  int64_t selectedParams = 0, selectedDenseBits = 0;
  std::vector<int64_t> params;
  for (size_t i : selected) {
    params.push_back(uses[i].k * uses[i].n);
    selectedParams += params.back();
    selectedDenseBits += denseBits(uses[i].weightType);
  }

  // Evaluate every candidate on a clone of the module.
  size_t n = selected.size();
  std::vector<std::vector<cq::AllocationOption>> table(n);
  std::vector<std::vector<Measured>> measured(n);
  // With refinement: every weight's stored data under every candidate.
  std::vector<std::vector<std::vector<float>>> approx(refine ? n : 0);
  for (const Candidate &c : cands) {
    ModuleOp clone = module.clone();
    module.getBody()->push_back(clone);
    LogicalResult ran = success();
    {
      // Candidates' warnings (weights a pattern does not fit, ...) would
      // repeat once per candidate; the weights they leave dense are
      // measured as such.
      ScopedDiagnosticHandler quiet(&getContext(), [](Diagnostic &d) {
        return success(d.getSeverity() != DiagnosticSeverity::Error);
      });
      OpPassManager pm(ModuleOp::getOperationName());
      addCandidatePasses(pm, c, onlySelected, shared);
      if (!c.isDense())
        ran = runPipeline(pm, clone);
    }
    if (failed(ran)) {
      clone.erase();
      return fail("candidate '" + c.text + "' failed on the selected weights");
    }
    SmallVector<WeightUse> cloneUses = collectWeightUses(clone);
    if (cloneUses.size() != uses.size()) {
      clone.erase();
      return fail("candidate '" + c.text +
                  "' changed the number of weight uses");
    }
    for (size_t j = 0; j < n; ++j) {
      const WeightUse &use = cloneUses[selected[j]];
      FailureOr<Measured> m = measure(use, outputError);
      if (use.name != names[j] || failed(m)) {
        clone.erase();
        return fail("could not measure weight '" + names[j] +
                    "' under candidate '" + c.text + "'");
      }
      double error = m->error;
      if (relative)
        error = m->reference > 0
                    ? m->error / m->reference * double(params[j])
                    : 0.0;
      table[j].push_back({m->bits, error});
      measured[j].push_back(*m);
      if (refine) {
        cq::Matrix w;
        cq::Mask keep;
        if (failed(readCanonicalWeight(use, w, keep))) {
          clone.erase();
          return fail("could not read weight '" + names[j] +
                      "' under candidate '" + c.text + "'");
        }
        approx[j].push_back(toStored(use, w));
      }
    }
    clone.erase();
  }

  // The budget in bits over the selected weights.
  double fixedBits = 0, totalParams = double(selectedParams);
  if (scope == "model") {
    totalParams = double(modelParameters(module));
    fixedBits = 8.0 * double(modelConstantBytes(module)) -
                double(selectedDenseBits);
  }
  double budget = budgetBits * totalParams - fixedBits;
  double lo = cq::minimumBits(table), hi = cq::maximumBits(table);
  auto perParam = [&](double bits) { return (bits + fixedBits) / totalParams; };
  std::string range = llvm::formatv(
      "{0:F3} to {1:F3} bits per parameter over {2} ({3} parameters)",
      perParam(lo), perParam(hi),
      scope == "model" ? "the whole model"
                       : llvm::formatv("{0} selected weight{1}", n, n == 1 ? "" : "s").str(),
      int64_t(totalParams));
  if (budget < lo)
    return fail(llvm::formatv("budget-bits={0} is below what the candidates "
                              "reach: {1}",
                              budgetBits.getValue(), range));
  if (perParam(hi) < budgetBits)
    return fail(llvm::formatv("budget-bits={0} is above what the candidates "
                              "reach: {1}; lower budget-bits or add larger "
                              "candidates",
                              budgetBits.getValue(), range));
  cq::Allocation alloc = cq::allocateBits(table, budget);
  cq::RefineTrace trace;
  std::vector<std::string> seedNames;
  if (refine) {
    EndToEndRequest request;
    request.module = module;
    request.varied = selected;
    request.inputs = refineFiles;
    SmallVector<StringRef> outputNames;
    StringRef(refineOutputs).split(outputNames, ',', -1, /*KeepEmpty=*/false);
    for (StringRef o : outputNames)
      request.outputs.push_back(o.trim().str());
    auto evaluator = (*getEndToEndEvaluatorFactory())(request);
    if (!evaluator)
      return fail(llvm::toString(evaluator.takeError()));
    // Seeds: the knapsack's answer and the most expensive uniform
    // candidates that fit (a cheaper uniform one is rarely fitter).
    std::vector<std::vector<int>> seeds = {alloc.choice};
    seedNames.push_back("knapsack");
    std::vector<std::pair<double, int>> fitting;
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      double bits = 0;
      for (size_t j = 0; j < n; ++j)
        bits += table[j][ci].bits;
      if (bits <= budget)
        fitting.push_back({-bits, int(ci)});
    }
    llvm::sort(fitting);
    for (size_t f = 0; f < fitting.size() && f < 3; ++f) {
      seeds.push_back(std::vector<int>(n, fitting[f].second));
      seedNames.push_back("uniform " + cands[fitting[f].second].text);
    }
    std::string scoreError;
    auto fitness = [&](const std::vector<int> &choice) -> std::optional<double> {
      std::vector<const float *> weights;
      for (size_t j = 0; j < n; ++j)
        weights.push_back(approx[j][choice[j]].data());
      llvm::Expected<double> f = (*evaluator)->score(weights);
      if (!f) {
        scoreError = llvm::toString(f.takeError());
        return std::nullopt;
      }
      return *f;
    };
    cq::RefineOptions opts;
    opts.generations = int(refineGenerations);
    opts.offspring = int(refineOffspring);
    opts.seed = refineSeed;
    std::optional<cq::Allocation> refined =
        cq::refineAllocation(table, budget, seeds, fitness, opts, &trace);
    if (!refined)
      return fail(scoreError.empty() ? "the end-to-end search found no "
                                       "allocation within the budget"
                                     : scoreError);
    alloc = cq::evaluateAllocation(table, refined->choice);
  }

  // Apply: each candidate on exactly the weights that chose it.
  std::map<int, std::vector<std::string>> chosenBy;
  for (size_t j = 0; j < n; ++j)
    chosenBy[alloc.choice[j]].push_back(names[j]);
  for (auto &[ci, members] : chosenBy) {
    if (cands[ci].isDense())
      continue;
    OpPassManager pm(ModuleOp::getOperationName());
    addCandidatePasses(pm, cands[ci], exactNames(members), shared);
    if (failed(runPipeline(pm, module)))
      return fail("candidate '" + cands[ci].text + "' failed");
  }
  SmallVector<WeightUse> after = collectWeightUses(module);
  for (size_t j = 0; j < n && after.size() == uses.size(); ++j) {
    const WeightUse &use = after[selected[j]];
    const Candidate &c = cands[alloc.choice[j]];
    if (use.encoded)
      use.encoded->setAttr(
          kAllocationAttr,
          StringAttr::get(&getContext(),
                          llvm::formatv("{0} (budget {1} bits/parameter)",
                                        c.text, budgetBits.getValue())
                              .str()));
    FailureOr<Measured> m = measure(use, outputError);
    if (use.name != names[j] || failed(m) ||
        m->bits != table[j][alloc.choice[j]].bits)
      use.op->emitWarning() << "qsl-allocate: weight '" << names[j]
                            << "' did not get the storage its candidate '"
                            << c.text << "' had when evaluated";
  }

  if (report.empty())
    return;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("qsl-allocate: budget {0} bits/parameter (scope={1}, "
                      "objective={2}); the candidates reach {3}\n",
                      budgetBits.getValue(), scope.getValue(),
                      objective.getValue(), range);
  os << llvm::formatv("allocated: {0:F4} bits/parameter, error sum {1:E4}\n",
                      perParam(alloc.bits), alloc.error);
  if (refine) {
    for (size_t s = 0; s < seedNames.size(); ++s)
      os << llvm::formatv("refine seed {0}: end-to-end error {1:E4}\n",
                          seedNames[s], trace.seedFitness[s]);
    os << llvm::formatv("refined from seed {0} over {1} generations ({2} "
                        "evaluations, {3} improvements): end-to-end error "
                        "{4:E4} -> {5:E4}\n",
                        seedNames[trace.bestSeed], refineGenerations.getValue(),
                        trace.evaluations, trace.improvements,
                        trace.startFitness, trace.finalFitness);
  }
  for (size_t ci = 0; ci < cands.size(); ++ci) {
    double bits = 0, error = 0;
    for (size_t j = 0; j < n; ++j) {
      bits += table[j][ci].bits;
      error += table[j][ci].error;
    }
    os << llvm::formatv("uniform {0}: {1:F4} bits/parameter, error sum "
                        "{2:E4}{3}\n",
                        cands[ci].text, perParam(bits), error,
                        bits <= budget ? " (fits)" : "");
  }
  os << "weight\tparameters\tcandidate\tbits/parameter\trelative error\n";
  for (size_t j = 0; j < n; ++j) {
    const Measured &m = measured[j][alloc.choice[j]];
    os << llvm::formatv("{0}\t{1}\t{2}\t{3:F4}\t{4:F5}\n", names[j],
                        params[j], cands[alloc.choice[j]].text,
                        m.bits / double(params[j]),
                        m.reference > 0 ? std::sqrt(m.error / m.reference)
                                        : 0.0);
  }
  os.flush();
  if (report == "-") {
    llvm::errs() << text;
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(report, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail("cannot write report '" + report + "': " + ec.message());
  file << text;
}
