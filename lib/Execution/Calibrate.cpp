//===- Calibrate.cpp - Calibration statistics from real runs --------------===//
#include "qsl/Execution/Calibrate.h"

#include "qsl/Compress/Im2Col.h"
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Execution/CompiledModel.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <map>

using namespace mlir;
using namespace mlir::qsl;
using ::qsl::compress::InputStatistics;
using ::qsl::runtime::HostTensor;

LogicalResult
mlir::qsl::expandCalibrationInputs(ArrayRef<std::string> paths,
                                   std::vector<std::string> &files,
                                   std::string &error) {
  for (const std::string &path : paths) {
    if (!llvm::sys::fs::is_directory(path)) {
      if (!llvm::sys::fs::exists(path)) {
        error = "calibration input '" + path + "' does not exist";
        return failure();
      }
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::sys::path::extension(it->path()) == ".npz")
        found.push_back(it->path());
    if (ec || found.empty()) {
      error = "calibration directory '" + path + "' has no .npz files";
      return failure();
    }
    llvm::sort(found);
    files.insert(files.end(), found.begin(), found.end());
  }
  if (files.empty()) {
    error = "no calibration inputs";
    return failure();
  }
  return success();
}

namespace {
/// One set of statistics: a distinct layer input (for a convolution, a
/// distinct input and geometry) and the result that returns it.
struct Tap {
  int64_t features = 0, tokens = 0;
  unsigned result = 0; // the function result that returns X
  std::string name;
  /// Set for convolutions: the result is the NCHW input, whose patches
  /// are the tokens (im2col on the host, a chunk at a time).
  std::optional<::qsl::compress::ConvShape> conv;
};
} // namespace

/// Use i is not calibrated: inside control flow, or a grouped convolution.
static constexpr int kNestedUse = -1, kGroupedConvUse = -2;

/// The im2col geometry of a convolution use on its static input type.
static ::qsl::compress::ConvShape convShape(const WeightUse &use,
                                            RankedTensorType xType) {
  ::qsl::compress::ConvShape s;
  s.batch = xType.getDimSize(0);
  s.channels = xType.getDimSize(1);
  s.height = xType.getDimSize(2);
  s.width = xType.getDimSize(3);
  s.kernelH = use.weightType.getDimSize(2);
  s.kernelW = use.weightType.getDimSize(3);
  for (int i = 0; i < 2; ++i) {
    s.strides[i] = use.conv->strides[i];
    s.dilations[i] = use.conv->dilations[i];
  }
  for (int i = 0; i < 4; ++i)
    s.pads[i] = use.conv->pads[i];
  s.groups = use.conv->groups;
  return s;
}

/// Makes `func` return the input of every distinct weight input (and
/// nothing else): X [tokens, K] for a contraction, the NCHW input of a
/// convolution. `tapOfUse[i]` is the tap of use i, or kNestedUse /
/// kGroupedConvUse when it cannot be observed.
static LogicalResult instrument(func::FuncOp func, ArrayRef<WeightUse> uses,
                                std::vector<Tap> &taps,
                                std::vector<int> &tapOfUse) {
  Operation *ret = func.getBody().front().getTerminator();
  OpBuilder b(ret);
  MLIRContext *ctx = func.getContext();
  Type f32 = b.getF32Type();
  // Only the statistics are returned: whatever feeds no weight input (the
  // model's own outputs after the last weight, e.g. a classifier head) is
  // dead code for calibration and goes away.
  SmallVector<Value> newResults;
  std::map<std::pair<const void *, std::string>, int> tapOfKey;
  std::map<std::pair<const void *, bool>, unsigned> resultOfValue;
  for (const WeightUse &use : uses) {
    Value x = use.input;
    if (x.getParentRegion() != &func.getBody()) {
      tapOfUse.push_back(kNestedUse);
      continue;
    }
    if (use.isConv() && use.conv->groups > 1) {
      tapOfUse.push_back(kGroupedConvUse);
      continue;
    }
    auto key = std::make_pair(x.getAsOpaquePointer(),
                              use.isConv() ? use.conv->key() : std::string());
    auto it = tapOfKey.find(key);
    if (it != tapOfKey.end()) {
      tapOfUse.push_back(it->second);
      continue;
    }
    auto xType = llvm::cast<RankedTensorType>(x.getType());
    if (!xType.hasStaticShape())
      return use.op->emitError()
             << "calibration needs static shapes, but the input of weight '"
             << use.name << "' is " << xType
             << "; give every graph input a shape (qslc --input-shape)";
    Location loc = use.op->getLoc();
    Tap tap;
    tap.name = use.name;
    if (use.isConv()) {
      tap.conv = convShape(use, xType);
      if (std::string bad = tap.conv->validate();
          !bad.empty() || tap.conv->features() != use.k)
        return use.op->emitError()
               << "internal error: the convolution of weight '" << use.name
               << "' has an inconsistent shape"
               << (bad.empty() ? "" : ": " + bad);
      tap.features = use.k;
      tap.tokens = tap.conv->tokens();
    } else {
      tap.features = xType.getShape().back();
      tap.tokens = xType.getNumElements() / std::max<int64_t>(tap.features, 1);
    }
    auto [res, fresh] = resultOfValue.try_emplace(
        std::make_pair(x.getAsOpaquePointer(), use.isConv()),
        newResults.size());
    if (fresh) {
      Value x2 = x;
      if (!use.isConv() && xType.getRank() != 2) {
        ReassociationIndices lead;
        for (int64_t d = 0; d + 1 < xType.getRank(); ++d)
          lead.push_back(d);
        x2 = tensor::CollapseShapeOp::create(
            b, loc,
            RankedTensorType::get({tap.tokens, tap.features},
                                  xType.getElementType()),
            x, SmallVector<ReassociationIndices>{lead, {xType.getRank() - 1}});
      }
      if (!xType.getElementType().isF32())
        x2 = builders::convertFloatTensor(b, loc, x2,
                                          llvm::cast<FloatType>(f32));
      newResults.push_back(x2);
    }
    tap.result = res->second;
    tapOfKey[key] = taps.size();
    tapOfUse.push_back(taps.size());
    taps.push_back(tap);
  }
  ret->setOperands(newResults);
  func.setType(FunctionType::get(ctx, func.getArgumentTypes(),
                                 ValueRange(newResults).getTypes()));
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
    func.setResultAttrs(i, DictionaryAttr::get(ctx));
  return success();
}

LogicalResult mlir::qsl::calibrateModule(ModuleOp module,
                                         ArrayRef<std::string> files,
                                         const CalibrationOptions &options) {
  size_t nextFile = 0;
  auto readNext = [&](CalibrationInputSet &set) -> llvm::Expected<bool> {
    if (nextFile == files.size())
      return false;
    const std::string &file = files[nextFile++];
    set.label = "calibration input '" + file + "'";
    std::string error;
    if (!::qsl::runtime::readNpz(file, set.inputs, error))
      return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
    return true;
  };
  return calibrateModule(module, readNext, options);
}

LogicalResult mlir::qsl::calibrateModule(ModuleOp module,
                                         CalibrationInputSource next,
                                         const CalibrationOptions &options) {
  OwningOpRef<ModuleOp> copy = module.clone();
  auto func = copy->lookupSymbol<func::FuncOp>(options.funcName);
  if (!func)
    return module.emitError() << "no function '" << options.funcName
                              << "' to calibrate";
  SmallVector<WeightUse> copyUses = collectWeightUses(*copy);
  if (copyUses.empty()) {
    module.emitWarning() << "calibration: the model has no weight to calibrate";
    return success();
  }
  std::vector<Tap> taps;
  std::vector<int> tapOfUse;
  if (failed(instrument(func, copyUses, taps, tapOfUse)) ||
      failed(annotateEntryPoint(*copy, options.funcName)))
    return failure();

  PassManager pm(module.getContext());
  CpuPipelineOptions cpu = options.cpu;
  cpu.resultsAsOutParams = true;
  buildCpuPipeline(pm, cpu);
  if (failed(pm.run(*copy)))
    return module.emitError() << "calibration: compiling the instrumented "
                                 "model failed";
  auto compiled = CompiledModel::create(*copy);
  if (!compiled)
    return module.emitError() << "calibration: "
                              << llvm::toString(compiled.takeError());

  std::vector<InputStatistics> stats;
  for (const Tap &tap : taps)
    stats.emplace_back(tap.features);
  size_t numSets = 0;
  for (;; ++numSets) {
    CalibrationInputSet set;
    llvm::Expected<bool> more = next(set);
    if (!more)
      return module.emitError() << "calibration: "
                                << llvm::toString(more.takeError());
    if (!*more)
      break;
    std::vector<HostTensor> outputs;
    if (llvm::Error e = (*compiled)->run(set.inputs, outputs))
      return module.emitError() << set.label << ": "
                                << llvm::toString(std::move(e));
    // XᵀX on the host: Eigen's symmetric rank-k update is several times
    // faster than the generated code for this transposed contraction.
    for (size_t i = 0; i < taps.size(); ++i) {
      const HostTensor &x = outputs[taps[i].result];
      const float *data = reinterpret_cast<const float *>(x.bytes.data());
      if (taps[i].conv) {
        ::qsl::compress::accumulatePatches(data, *taps[i].conv, /*group=*/0,
                                           stats[i]);
        continue;
      }
      Eigen::Map<const ::qsl::compress::Matrix> rows(data, taps[i].tokens,
                                                     taps[i].features);
      stats[i].accumulate(rows);
    }
  }
  if (numSets == 0)
    return module.emitError() << "calibration: no calibration inputs";

  SmallVector<WeightUse> uses = collectWeightUses(module);
  if (uses.size() != copyUses.size())
    return module.emitError() << "internal error: calibration copy differs";
  std::vector<DictionaryAttr> attrs(taps.size());
  int64_t grouped = 0;
  for (size_t i = 0; i < uses.size(); ++i) {
    int t = tapOfUse[i];
    if (t == kGroupedConvUse) {
      ++grouped;
      continue;
    }
    if (t < 0) {
      uses[i].op->emitWarning() << "weight '" << uses[i].name
                                << "' is inside control flow; not calibrated";
      continue;
    }
    if (!attrs[t])
      attrs[t] = makeCalibrationAttr(module.getContext(), stats[t],
                                     taps[t].name + ".calibration");
    uses[i].op->setAttr(kCalibrationAttr, attrs[t]);
  }
  if (grouped)
    module.emitRemark() << "calibration: " << grouped
                        << " grouped convolution(s) get no statistics (each "
                           "group reads other input channels); data-aware "
                           "methods leave them as they are";
  return success();
}
