//===- EndToEnd.cpp - The JIT-backed end-to-end evaluator -----------------===//
#include "qsl/Execution/EndToEnd.h"

#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Execution/Calibrate.h"
#include "qsl/Execution/CompiledModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qsl;
using ::qsl::runtime::DType;
using ::qsl::runtime::HostTensor;

namespace {

llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "end-to-end evaluation: " + message);
}

/// Diagnostics of the copy's compilation, as text for the error.
struct CapturedDiagnostics {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit CapturedDiagnostics(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          if (d.getSeverity() == DiagnosticSeverity::Error)
            text += (text.empty() ? "" : "; ") + d.str();
          return success();
        }) {}
};

class JitEvaluator : public EndToEndEvaluator {
public:
  static llvm::Expected<std::unique_ptr<EndToEndEvaluator>>
  create(const EndToEndRequest &request, const CpuPipelineOptions &cpu);

  llvm::Expected<double> score(ArrayRef<const float *> weights) override;
  const std::vector<std::vector<float>> &originalWeights() const override {
    return original;
  }

private:
  std::unique_ptr<CompiledModel> model;
  /// Per calibration set: the graph inputs in signature order.
  std::vector<std::vector<HostTensor>> sets;
  /// Per set, per output: the reference (f32 outputs only; others empty).
  std::vector<std::vector<std::vector<float>>> reference;
  std::vector<HostTensor> scratch; // output buffers, reused
  std::vector<std::vector<float>> original;
  std::vector<bool> compared; // per output: part of the score
  size_t numGraphInputs = 0;
  llvm::Expected<double> run(ArrayRef<const float *> weights, bool record);
};

} // namespace

llvm::Expected<std::unique_ptr<EndToEndEvaluator>>
JitEvaluator::create(const EndToEndRequest &request,
                     const CpuPipelineOptions &cpuOptions) {
  ModuleOp module = request.module;
  if (request.varied.empty())
    return makeError("no weight to vary");
  std::vector<std::string> files;
  std::string error;
  if (failed(expandCalibrationInputs(request.inputs, files, error)))
    return makeError(error);

  OwningOpRef<ModuleOp> copy = module.clone();
  // Nested modules (clones a pass is working on) are not part of the model.
  for (Operation &op : llvm::make_early_inc_range(*copy->getBody()))
    if (llvm::isa<ModuleOp>(op))
      op.erase();
  SmallVector<WeightUse> uses = collectWeightUses(*copy);
  auto result = std::unique_ptr<JitEvaluator>(new JitEvaluator());
  func::FuncOp func;
  Builder b(module.getContext());
  for (size_t v = 0; v < request.varied.size(); ++v) {
    size_t i = request.varied[v];
    if (i >= uses.size())
      return makeError("internal error: weight use " + Twine(i) +
                       " does not exist");
    WeightUse &use = uses[i];
    auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(use.op);
    if (use.encoded || use.isConv() || !linalgOp ||
        linalgOp.getDpsInputs().size() != 2)
      return makeError("weight '" + use.name +
                       "' is not a dense MatMul/Gemm weight (convolutions and "
                       "compressed weights cannot be varied)");
    Value weight = linalgOp.getDpsInputs()[1];
    if (weight.getType() != use.weightType ||
        !use.weightType.getElementType().isF32())
      return makeError("weight '" + use.name + "' is " +
                       llvm::formatv("{0}", use.weightType).str() +
                       "; only f32 weights can be varied");
    auto owner = use.op->getParentOfType<func::FuncOp>();
    if (!func)
      func = owner;
    if (owner != func || use.op->getParentRegion() != &func.getBody())
      return makeError("weight '" + use.name +
                       "' is not in the entry function's body (control flow "
                       "or another function)");
    compress::Matrix w;
    compress::Mask keep;
    if (failed(readCanonicalWeight(use, w, keep)))
      return makeError("cannot read weight '" + use.name + "'");
    result->original.push_back(toStored(use, w));
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(
            index, use.weightType,
            b.getDictionaryAttr(b.getNamedAttr(
                "onnx.name", b.getStringAttr("qsl.varied." + use.name))),
            use.op->getLoc())))
      return makeError("cannot add an argument for '" + use.name + "'");
    Operation *producer = weight.getDefiningOp();
    linalgOp.getDpsInputOperand(1)->set(func.getArgument(index));
    if (producer && producer->use_empty())
      producer->erase();
  }
  if (failed(annotateEntryPoint(*copy, func.getName())))
    return makeError("cannot annotate the entry point");
  {
    CapturedDiagnostics diags(module.getContext());
    PassManager pm(module.getContext());
    CpuPipelineOptions cpu = cpuOptions;
    cpu.resultsAsOutParams = true;
    buildCpuPipeline(pm, cpu);
    if (failed(pm.run(*copy)))
      return makeError("compiling the model failed: " + diags.text);
  }
  auto compiled = CompiledModel::create(*copy);
  if (!compiled)
    return compiled.takeError();
  result->model = std::move(*compiled);
  const auto &sigs = result->model->inputs();
  result->numGraphInputs = sigs.size() - request.varied.size();

  for (const std::string &file : files) {
    std::map<std::string, HostTensor> given;
    if (!::qsl::runtime::readNpz(file, given, error))
      return makeError(error);
    std::vector<HostTensor> set;
    for (size_t i = 0; i < result->numGraphInputs; ++i) {
      auto it = given.find(sigs[i].name);
      if (it == given.end())
        return makeError("'" + file + "' has no array '" + sigs[i].name +
                         "' (a graph input)");
      if (it->second.dtype != sigs[i].dtype || it->second.shape != sigs[i].shape)
        return makeError("'" + file + "': input '" + sigs[i].name + "' is " +
                         it->second.describe() +
                         " but the model was compiled for " +
                         sigs[i].describe());
      set.push_back(it->second);
    }
    result->sets.push_back(std::move(set));
  }
  for (const TensorSignature &sig : result->model->outputs()) {
    HostTensor t;
    t.dtype = sig.dtype;
    t.shape = sig.shape;
    t.bytes.assign(t.numElements() * ::qsl::runtime::byteWidth(sig.dtype), 0);
    result->scratch.push_back(std::move(t));
  }
  const auto &outSigs = result->model->outputs();
  for (const std::string &name : request.outputs) {
    auto it = llvm::find_if(outSigs, [&](const TensorSignature &s) {
      return s.name == name;
    });
    if (it == outSigs.end()) {
      std::string names;
      for (const TensorSignature &s : outSigs)
        names += (names.empty() ? "" : ", ") + s.name;
      return makeError("the model has no output '" + name + "' (it has " +
                       names + ")");
    }
    if (it->dtype != DType::F32)
      return makeError("output '" + name + "' is " + it->describe() +
                       ", not f32");
  }
  for (const TensorSignature &s : outSigs)
    result->compared.push_back(
        s.dtype == DType::F32 &&
        (request.outputs.empty() || llvm::is_contained(request.outputs, s.name)));
  if (llvm::none_of(result->compared, [](bool c) { return c; }))
    return makeError("the model has no f32 output to compare");
  std::vector<const float *> originals;
  for (const auto &w : result->original)
    originals.push_back(w.data());
  if (auto e = result->run(originals, /*record=*/true); !e)
    return e.takeError();
  return std::unique_ptr<EndToEndEvaluator>(std::move(result));
}

llvm::Expected<double> JitEvaluator::run(ArrayRef<const float *> weights,
                                         bool record) {
  if (weights.size() != original.size())
    return makeError("expected " + Twine(original.size()) +
                     " weight buffers, got " + Twine(weights.size()));
  double total = 0;
  size_t terms = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    SmallVector<const void *> in;
    for (const HostTensor &t : sets[s])
      in.push_back(t.bytes.data());
    for (const float *w : weights)
      in.push_back(w);
    SmallVector<void *> out;
    for (HostTensor &t : scratch)
      out.push_back(t.bytes.data());
    if (llvm::Error e = model->runOnBuffers(in, out))
      return std::move(e);
    if (record)
      reference.emplace_back();
    for (size_t o = 0; o < scratch.size(); ++o) {
      if (!compared[o]) {
        if (record)
          reference[s].emplace_back();
        continue;
      }
      const float *y = reinterpret_cast<const float *>(scratch[o].bytes.data());
      int64_t count = scratch[o].numElements();
      if (record) {
        reference[s].emplace_back(y, y + count);
        continue;
      }
      const std::vector<float> &ref = reference[s][o];
      double err = 0, energy = 0;
      for (int64_t i = 0; i < count; ++i) {
        double d = double(y[i]) - double(ref[i]);
        err += d * d;
        energy += double(ref[i]) * double(ref[i]);
      }
      if (!std::isfinite(err))
        return std::numeric_limits<double>::infinity();
      total += energy > 0 ? err / energy : err;
      ++terms;
    }
  }
  return terms ? total / double(terms) : 0.0;
}

llvm::Expected<double> JitEvaluator::score(ArrayRef<const float *> weights) {
  return run(weights, /*record=*/false);
}

llvm::Expected<std::unique_ptr<EndToEndEvaluator>>
mlir::qsl::createEndToEndEvaluator(const EndToEndRequest &request,
                                   const CpuPipelineOptions &cpu) {
  return JitEvaluator::create(request, cpu);
}

void mlir::qsl::registerEndToEndEvaluator() {
  setEndToEndEvaluatorFactory([](const EndToEndRequest &request) {
    return createEndToEndEvaluator(request);
  });
}
