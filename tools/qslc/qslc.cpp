//===- qslc.cpp - The QSL compiler driver ----------------------------------===//
//
//   qslc MODEL.onnx [-o OUT] [--emit=mlir|llvm|obj|onnx] [--input-shape NAME=1x128]...
//        [--calibrate=IN.npz|DIR,...] [--pipeline=PASSES] [--report=R.json]
//        [--target=cpu|cuda [--gpu-chip=sm_80|sm_90|sm_90a] [--gpu-format=bin|isa|fatbin]
//                           [--gpu-warps=N] [--gpu-max-batch=N]
//                           [--gpu-mma-gemv=true|false]]
//
// Imports an ONNX model, optionally runs it over calibration inputs to
// attach per-weight statistics, runs a compression pipeline
// (qsl-quantize, qsl-prune, ...), writes a per-weight report, then either
// stops (--emit=mlir), compiles for the CPU (--emit=llvm, for qsl-run; with
// --target=cuda the compressed matmuls become GPU kernels, embedded as
// cubin or PTX, launched through libqsl_cuda_runtime: qsl-run --device=cuda) or
// writes the model back as ONNX with the compressed weights as standard
// operators (--emit=onnx, docs/tools/onnx-export.md).
// Errors name the file and the node and exit with status 1.
//
//===----------------------------------------------------------------------===//
#include "qsl/Dialect/QSL/Transforms/Report.h"
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Runtime/HostTensor.h"
#include "qsl/Execution/Calibrate.h"
#include "qsl/Execution/CompiledModel.h"
#include "qsl/Execution/EndToEnd.h"
#include "qsl/Execution/ObjectFile.h"
#include "qsl/Export/ONNX/ONNXExporter.h"
#include "qsl/Import/ONNX/ONNXImporter.h"
#include "qsl/InitAll.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"
#include "qsl/Pipelines/Pipelines.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <cstring>
#include <map>

using namespace llvm;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"));
static cl::opt<bool> listOps("list-ops",
                             cl::desc("Print the supported ONNX operators "
                                      "(domain::OpType since-opset) and exit"));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));
enum class Emit { MLIR, LLVM, Obj, ONNX };
static cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::LLVM),
    cl::values(clEnumValN(Emit::MLIR, "mlir", "the imported graph (tensors)"),
               clEnumValN(Emit::LLVM, "llvm",
                          "a module for qsl-run: LLVM dialect after the CPU "
                          "reference pipeline (default)"),
               clEnumValN(Emit::Obj, "obj",
                          "the same compiled for the host as a relocatable "
                          "object (ahead of time, for qsl-run-aot)"),
               clEnumValN(Emit::ONNX, "onnx",
                          "the input ONNX model with the compressed weights "
                          "as DequantizeLinear/ScatterND/MatMul subgraphs "
                          "(needs -o FILE with external data)")));
static cl::opt<std::string> onnxExternalData(
    "onnx-external-data",
    cl::desc("--emit=onnx: write tensors of 1 KiB and more to <output>.data: "
             "auto (when the input model had external data or the weights "
             "exceed 1 GiB), always, never"),
    cl::init("auto"));
enum class Format { Default, Text, Bytecode };
static cl::opt<Format> outputFormat(
    "format", cl::desc("Output format (default: bytecode for --emit=llvm, "
                       "text for --emit=mlir)"),
    cl::init(Format::Default),
    cl::values(clEnumValN(Format::Text, "text", "MLIR text"),
               clEnumValN(Format::Bytecode, "bytecode",
                          "MLIR bytecode (weights stored as raw bytes)")));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Concrete shape of a graph input: NAME=D0xD1x..."),
                cl::value_desc("name=shape"));
static cl::opt<bool> referenceLowering(
    "reference-lowering",
    cl::desc("Compile every op to plain loops (qsl-cpu-reference-pipeline) "
             "instead of register-blocked vector code for contractions"),
    cl::init(false));
enum class Target { CPU, CUDA };
static cl::opt<Target> target(
    "target", cl::desc("Where compressed matmuls run (--emit=llvm)"),
    cl::init(Target::CPU),
    cl::values(clEnumValN(Target::CPU, "cpu", "everything on the CPU"),
               clEnumValN(Target::CUDA, "cuda",
                          "compressed matmuls as CUDA kernels "
                          "(qsl-gpu-pipeline), the rest on the CPU; run with "
                          "qsl-run --device=cuda")));
static cl::opt<mlir::qsl::GpuChip> gpuChip(
    "gpu-chip", cl::desc("--target=cuda: GPU architecture"),
    cl::init(mlir::qsl::GpuChip::sm_90),
    cl::values(clEnumValN(mlir::qsl::GpuChip::sm_80, "sm_80", "A100"),
               clEnumValN(mlir::qsl::GpuChip::sm_90, "sm_90", "H100"),
               clEnumValN(mlir::qsl::GpuChip::sm_90a, "sm_90a",
                          "H100 with wgmma (large-batch GEMMs)")));
static cl::opt<mlir::qsl::GpuBinaryFormat> gpuFormat(
    "gpu-format",
    cl::desc("--target=cuda: how kernels are embedded (bin and fatbin run "
             "ptxas from the CUDA toolkit)"),
    cl::init(mlir::qsl::GpuBinaryFormat::bin),
    cl::values(
        clEnumValN(mlir::qsl::GpuBinaryFormat::bin, "bin", "cubin"),
        clEnumValN(mlir::qsl::GpuBinaryFormat::isa, "isa",
                   "PTX, compiled by the driver at load"),
        clEnumValN(mlir::qsl::GpuBinaryFormat::fatbin, "fatbin",
                   "cubin and PTX"),
        clEnumValN(mlir::qsl::GpuBinaryFormat::emulator, "emulator",
                   "host code for the SIMT emulator (tests without a GPU; "
                   "qsl-run --device=emulator)")));
static cl::opt<int64_t> gpuWarps(
    "gpu-warps",
    cl::desc("--target=cuda: warps per thread block (1 to 32)"),
    cl::init(4));
static cl::opt<int64_t> gpuMaxBatch(
    "gpu-max-batch",
    cl::desc("--target=cuda: the largest batch (activation rows) the GEMV "
             "kernels take; larger ones use the tensor-core kernels"),
    cl::init(8));
static cl::opt<bool> gpuMmaGemv(
    "gpu-mma-gemv",
    cl::desc("--target=cuda: batches up to --gpu-max-batch use the packed "
             "tensor-core GEMM where the weight allows (false: the "
             "CUDA-core GEMV)"),
    cl::init(true));
static cl::opt<int64_t> tileM("tile-m",
                              cl::desc("Rows of the register block of vectorized "
                                       "contractions"),
                              cl::init(4));
static cl::opt<int64_t> tileN("tile-n",
                              cl::desc("Columns of the register block of vectorized "
                                       "contractions"),
                              cl::init(16));
static cl::list<std::string> calibrationInputs(
    "calibrate",
    cl::desc("Calibration inputs (.npz with arrays named like the graph "
             "inputs, or directories of them): run the model on them and "
             "attach per-weight statistics for data-aware compression"),
    cl::value_desc("file|dir,..."), cl::CommaSeparated);
static cl::opt<unsigned> calibrationRounds(
    "calibration-rounds",
    cl::desc("Calibrate the compressed model again and recompress from the "
             "original weights with those statistics, this many rounds in all "
             "(2: every layer sees inputs through compressed earlier layers)"),
    cl::init(1));
static cl::opt<std::string> compressionPipeline(
    "pipeline",
    cl::desc("Compression passes to run after import (and calibration), "
             "e.g. 'qsl-prune{pattern=2:4},qsl-quantize{bits=4 group=128}'"),
    cl::value_desc("passes"));
static cl::opt<std::string> reportFile(
    "report",
    cl::desc("Write a per-weight compression report (JSON) to this file"),
    cl::value_desc("file.json"));
static cl::opt<std::string> dumpWeights(
    "dump-weights",
    cl::desc("Write the dense tensor every compressed weight stands for "
             "(evaluated from its stored side tensors) to this .npz, keyed by "
             "weight name: the input of round-trip checks"),
    cl::value_desc("file.npz"));
static cl::opt<std::string> functionName("function",
                                         cl::desc("Name of the imported function"),
                                         cl::init("main_graph"));

/// "model.onnx: error: ..." rather than MLIR's loc("model.onnx":0:0) form;
/// ops keep the node they came from ("model.onnx (node 'mm0'): error: ...").
static void printDiagnostic(mlir::Diagnostic &diag) {
  mlir::Location loc = diag.getLocation();
  std::string node;
  // Imported ops: fused<"OpType">["node"("model.onnx":0:0)].
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc))
    if (fused.getLocations().size() == 1)
      loc = fused.getLocations().front();
  if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc)) {
    node = name.getName().str();
    loc = name.getChildLoc();
  }
  std::string where;
  if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(loc)) {
    where = file.getFilename().str();
    if (file.getLine())
      where += ":" + std::to_string(file.getLine()) + ":" +
               std::to_string(file.getColumn());
  } else {
    llvm::raw_string_ostream os(where);
    loc.print(os);
  }
  if (!node.empty())
    where += " (node '" + node + "')";
  const char *severity = "error";
  switch (diag.getSeverity()) {
  case mlir::DiagnosticSeverity::Warning:
    severity = "warning";
    break;
  case mlir::DiagnosticSeverity::Note:
    severity = "note";
    break;
  case mlir::DiagnosticSeverity::Remark:
    severity = "remark";
    break;
  default:
    break;
  }
  errs() << where << ": " << severity << ": " << diag.str() << "\n";
  for (mlir::Diagnostic &note : diag.getNotes())
    printDiagnostic(note);
}

/// --dump-weights: the dense approximation of every compressed weight.
static mlir::LogicalResult writeDenseWeights(mlir::ModuleOp module,
                                             const std::string &path) {
  std::map<std::string, qsl::runtime::HostTensor> tensors;
  for (mlir::qsl::WeightUse &use : mlir::qsl::collectWeightUses(module)) {
    if (!use.encoded)
      continue;
    qsl::compress::Matrix w;
    qsl::compress::Mask keep;
    if (mlir::failed(mlir::qsl::readCanonicalWeight(use, w, keep)))
      return mlir::failure();
    std::vector<float> stored = mlir::qsl::toStored<float>(use, w);
    qsl::runtime::HostTensor t;
    t.dtype = qsl::runtime::DType::F32;
    t.shape.assign(use.weightType.getShape().begin(),
                   use.weightType.getShape().end()); // OIHW for a Conv
    t.bytes.resize(stored.size() * sizeof(float));
    std::memcpy(t.bytes.data(), stored.data(), t.bytes.size());
    tensors[use.name] = std::move(t);
  }
  std::string error;
  if (!qsl::runtime::writeNpz(path, tensors, error)) {
    WithColor::error(errs(), "qslc") << error << "\n";
    return mlir::failure();
  }
  return mlir::success();
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  mlir::registerAllPasses();
  mlir::qsl::registerAllPasses();
  mlir::qsl::registerEndToEndEvaluator();
  cl::ParseCommandLineOptions(argc, argv, "QSL compiler driver\n");

  if (listOps) {
    for (const auto &[name, since] : mlir::qsl::listSupportedONNXOps())
      outs() << name << " " << since << "\n";
    return 0;
  }
  if (inputFile.empty()) {
    WithColor::error(errs(), "qslc") << "no input model (see --help)\n";
    return 1;
  }

  mlir::qsl::ONNXImportOptions options;
  options.functionName = functionName;
  for (const std::string &spec : inputShapes)
    if (Error e = mlir::qsl::parseInputShapeSpec(spec, options)) {
      WithColor::error(errs(), "qslc") << toString(std::move(e)) << "\n";
      return 1;
    }

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qsl::registerAllDialects(registry);
  // --target=cuda: gpu-module-to-binary translates the kernels to PTX.
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler diagnostics(&context, [](mlir::Diagnostic &d) {
    printDiagnostic(d);
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::qsl::importONNXModel(context, inputFile, options);
  if (!module)
    return 1;

  // Calibration, then the compression pipeline. With more rounds, the
  // compressed model is calibrated again and the pipeline rerun on the
  // original weights with those statistics: every layer then sees inputs
  // that went through compressed earlier layers, the effect of GPTQ's
  // layer-by-layer calibration at the cost of one more run per round.
  std::vector<std::string> files;
  mlir::qsl::CalibrationOptions calib;
  calib.funcName = functionName;
  calib.cpu.tileM = tileM;
  calib.cpu.tileN = tileN;
  if (!calibrationInputs.empty()) {
    std::string error;
    if (mlir::failed(mlir::qsl::expandCalibrationInputs(calibrationInputs,
                                                         files, error))) {
      WithColor::error(errs(), "qslc") << error << "\n";
      return 1;
    }
  }
  if (calibrationRounds < 1 ||
      (calibrationRounds > 1 && (files.empty() || compressionPipeline.empty()))) {
    WithColor::error(errs(), "qslc")
        << "--calibration-rounds=" << calibrationRounds
        << " needs a value >= 1, and above 1 both --calibrate and --pipeline\n";
    return 1;
  }
  mlir::PassManager pm(&context);
  if (!compressionPipeline.empty()) {
    std::string errors;
    llvm::raw_string_ostream os(errors);
    if (mlir::failed(mlir::parsePassPipeline(compressionPipeline, pm, os))) {
      WithColor::error(errs(), "qslc")
          << "invalid --pipeline '" << compressionPipeline << "': " << errors
          << "\n";
      return 1;
    }
  }
  // Passes that run the model again (qsl-allocate's refinement) read the
  // calibration inputs from here; removed after the pipeline.
  if (!files.empty()) {
    mlir::Builder b(&context);
    (*module)->setAttr(mlir::qsl::kCalibrationInputsAttr,
                       b.getStrArrayAttr(llvm::SmallVector<llvm::StringRef>(
                           files.begin(), files.end())));
  }
  mlir::OwningOpRef<mlir::ModuleOp> pristine;
  if (calibrationRounds > 1)
    pristine = module->clone();
  if (!files.empty() &&
      mlir::failed(mlir::qsl::calibrateModule(*module, files, calib)))
    return 1;
  // The size of the model as imported, for the report (a structured
  // pruning changes the dense weights themselves).
  int64_t importedBytes = mlir::qsl::modelConstantBytes(*module);
  if (!compressionPipeline.empty() && mlir::failed(pm.run(*module)))
    return 1;
  for (unsigned round = 2; round <= calibrationRounds; ++round) {
    if (mlir::failed(mlir::qsl::calibrateModule(*module, files, calib)))
      return 1;
    mlir::OwningOpRef<mlir::ModuleOp> fresh = pristine->clone();
    auto compressed = mlir::qsl::collectWeightUses(*module);
    auto original = mlir::qsl::collectWeightUses(*fresh);
    if (compressed.size() != original.size()) {
      WithColor::error(errs(), "qslc")
          << "internal error: the compressed model has " << compressed.size()
          << " weights, the original " << original.size() << "\n";
      return 1;
    }
    // Statistics of a layer whose input a structured pruning made narrower
    // do not fit the original layer; it keeps the first round's.
    for (size_t i = 0; i < original.size(); ++i)
      if (mlir::Attribute stats =
              compressed[i].op->getAttr(mlir::qsl::kCalibrationAttr))
        if (compressed[i].k == original[i].k)
          original[i].op->setAttr(mlir::qsl::kCalibrationAttr, stats);
    if (mlir::failed(pm.run(*fresh)))
      return 1;
    module = std::move(fresh);
  }
  (*module)->removeAttr(mlir::qsl::kCalibrationInputsAttr);
  if (!reportFile.empty()) {
    mlir::FailureOr<llvm::json::Value> report =
        mlir::qsl::buildCompressionReport(*module, importedBytes);
    if (mlir::failed(report))
      return 1;
    std::string error;
    std::unique_ptr<ToolOutputFile> out =
        mlir::openOutputFile(reportFile, &error);
    if (!out) {
      WithColor::error(errs(), "qslc") << error << "\n";
      return 1;
    }
    out->os() << llvm::formatv("{0:2}", *report) << "\n";
    out->keep();
  }
  if (!dumpWeights.empty() && mlir::failed(writeDenseWeights(*module, dumpWeights)))
    return 1;
  if (target == Target::CUDA && emit != Emit::LLVM && emit != Emit::Obj) {
    WithColor::error(errs(), "qslc")
        << "--target=cuda compiles for qsl-run: use it with --emit=llvm "
           "(or --emit=obj)\n";
    return 1;
  }
  if (emit == Emit::ONNX) {
    mlir::qsl::ONNXExportOptions exportOptions;
    using Ext = mlir::qsl::ONNXExportOptions::ExternalData;
    if (onnxExternalData == "always")
      exportOptions.externalData = Ext::Always;
    else if (onnxExternalData == "never")
      exportOptions.externalData = Ext::Never;
    else if (onnxExternalData != "auto") {
      WithColor::error(errs(), "qslc")
          << "--onnx-external-data must be auto, always or never\n";
      return 1;
    }
    return mlir::failed(mlir::qsl::exportONNXModel(*module, inputFile,
                                                   outputFile, exportOptions))
               ? 1
               : 0;
  }
  mlir::qsl::stripCompressionMetadata(*module);

  if (emit == Emit::LLVM || emit == Emit::Obj) {
    // Record the entry point's ONNX signature for qsl-run, then compile
    // with the C interface and results as out-parameters; with
    // --target=cuda the compressed matmuls become kernels (cubin/PTX) whose
    // launches stay in the host code.
    mlir::qsl::CpuPipelineOptions cpu;
    cpu.vectorize = !referenceLowering;
    cpu.tileM = tileM;
    cpu.tileN = tileN;
    mlir::qsl::GpuPipelineOptions gpu;
    gpu.chip = gpuChip;
    gpu.format = gpuFormat;
    gpu.warps = gpuWarps;
    gpu.maxBatch = gpuMaxBatch;
    gpu.mmaGemv = gpuMmaGemv;
    if (mlir::failed(mlir::qsl::compileForExecution(
            *module, functionName, cpu,
            target == Target::CUDA ? &gpu : nullptr)))
      return 1;
  }

  std::string error;
  std::unique_ptr<ToolOutputFile> out = mlir::openOutputFile(outputFile, &error);
  if (!out) {
    WithColor::error(errs(), "qslc") << error << "\n";
    return 1;
  }
  if (emit == Emit::Obj) {
    if (Error e = mlir::qsl::writeObjectFile(*module, out->os())) {
      WithColor::error(errs(), "qslc")
          << "cannot write an object file: " << toString(std::move(e)) << "\n";
      return 1;
    }
    out->keep();
    return 0;
  }
  bool bytecode = outputFormat == Format::Bytecode ||
                  (outputFormat == Format::Default && emit == Emit::LLVM);
  if (bytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(*module, out->os())))
      return 1;
  } else {
    module->print(out->os());
  }
  out->keep();
  return 0;
}
