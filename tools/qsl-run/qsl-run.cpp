//===- qsl-run.cpp - Run a module compiled by qslc -------------------------===//
//
//   qsl-run MODULE --input in.npz|x.pb [--input ...] [--output out.npz]
//           [--repeat N] [--device=cpu|cuda]
//
// Loads a module from `qslc MODEL.onnx -o MODULE` (LLVM dialect with the
// entry point's ONNX signature in `qsl.entry`/`qsl.inputs`/`qsl.outputs`),
// JIT-compiles it, feeds the arrays of .npz archives (or ONNX TensorProto
// .pb files, named by their tensor name or, unnamed, by input position)
// named like the graph inputs,
// and writes the outputs, named like the graph outputs, to an .npz. With
// --repeat it reports the mean wall time of the entry point per run. A
// module from qslc --target=cuda runs with --device=cuda: its host code
// calls libqsl_cuda_runtime.so ($QSL_CUDA_RUNTIME, else ../lib next to
// qsl-run, else the build tree's), and any CUDA error fails the run.
//
//===----------------------------------------------------------------------===//
#include "qsl/Execution/CompiledModel.h"
#include "qsl/Runtime/HostTensor.h"
#include "qsl/Runtime/TensorProtoIO.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <cstdlib>
#include <map>
#include <cstring>

using namespace llvm;
using namespace qsl::runtime;

static cl::opt<std::string> moduleFile(cl::Positional, cl::desc("<module>"),
                                       cl::Required);
static cl::list<std::string> inputFiles(
    "input", cl::desc("Inputs: .npz archives or ONNX TensorProto .pb files"),
    cl::value_desc("file"));
static cl::opt<std::string> outputFile("output", cl::desc("Outputs (.npz)"),
                                       cl::value_desc("file"));
static cl::opt<unsigned> repeat("repeat",
                                cl::desc("Run N more times and report the "
                                         "mean time per run"),
                                cl::init(0));
static cl::opt<bool> printOutputs("print", cl::desc("Print output summaries"));
static cl::opt<std::string> device(
    "device",
    cl::desc("cpu, cuda for modules from qslc --target=cuda, or emulator "
             "for those built with --gpu-format=emulator (default: what the "
             "module was compiled for)"),
    cl::init(""));

static int failWith(const Twine &message) {
  WithColor::error(errs(), "qsl-run") << message << "\n";
  return 1;
}

/// A runtime library: $<envVar>, next to the installed tools (../lib/<file>),
/// or the build tree's (`buildPath`). "" when none exists.
static std::string findRuntime(const char *argv0, const char *envVar,
                               const char *file, const char *buildPath) {
  if (const char *env = std::getenv(envVar))
    return env;
  std::string exe = sys::fs::getMainExecutable(argv0, (void *)&findRuntime);
  SmallString<256> path(sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(path, "lib", file);
  if (sys::fs::exists(path))
    return std::string(path);
  if (buildPath && sys::fs::exists(buildPath))
    return buildPath;
  return "";
}

#ifndef QSL_CUDA_RUNTIME_PATH
#define QSL_CUDA_RUNTIME_PATH nullptr
#endif
#ifndef QSL_GPU_EMULATOR_PATH
#define QSL_GPU_EMULATOR_PATH nullptr
#endif

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Run a module compiled by qslc\n");

  mlir::DialectRegistry registry;
  registry.insert<mlir::LLVM::LLVMDialect, mlir::gpu::GPUDialect,
                  mlir::NVVM::NVVMDialect>();
  mlir::registerGPUDialectTranslation(registry);
  mlir::gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::MLIRContext context(registry);
  context.allowUnregisteredDialects(false);

  llvm::SourceMgr sources;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(moduleFile, sources, &context);
  if (!module)
    return failWith("cannot load module '" + moduleFile +
                    "' (compile it with qslc without --emit=mlir)");
  auto entry = (*module)->getAttrOfType<mlir::StringAttr>("qsl.entry");
  if (!entry || !(*module)->hasAttr("qsl.inputs") ||
      !(*module)->hasAttr("qsl.outputs"))
    return failWith("'" + moduleFile +
                    "' has no qsl.entry signature; compile it with qslc");

  bool cudaModule = mlir::qsl::CompiledModel::isCudaModule(*module);
  bool emulatedModule = mlir::qsl::CompiledModel::isEmulatedModule(*module);
  std::string built = emulatedModule ? "emulator" : cudaModule ? "cuda" : "cpu";
  if (device.empty())
    device = built;
  if (device != "cpu" && device != "cuda" && device != "emulator")
    return failWith("--device must be cpu, cuda or emulator, got '" + device +
                    "'");
  if (device != built) {
    static const std::map<std::string, std::string> how = {
        {"cpu", "qslc without --target"},
        {"cuda", "qslc --target=cuda"},
        {"emulator", "qslc --target=cuda --gpu-format=emulator"}};
    return failWith("'" + moduleFile + "' was compiled with " + how.at(built) +
                    ": it runs only with --device=" + built + " (compile it "
                    "with " + how.at(device) + " for --device=" + device + ")");
  }
  std::string cudaRuntime;
  if (device == "cuda") {
    cudaRuntime = findRuntime(argv[0], "QSL_CUDA_RUNTIME",
                              "libqsl_cuda_runtime.so", QSL_CUDA_RUNTIME_PATH);
    if (cudaRuntime.empty())
      return failWith("libqsl_cuda_runtime.so not found (set "
                      "QSL_CUDA_RUNTIME to its path)");
  } else if (device == "emulator") {
    cudaRuntime = findRuntime(argv[0], "QSL_GPU_EMULATOR",
                              "libqsl_gpu_emulator.so", QSL_GPU_EMULATOR_PATH);
    if (cudaRuntime.empty())
      return failWith("libqsl_gpu_emulator.so not found (set "
                      "QSL_GPU_EMULATOR to its path)");
  }
  auto compiled = mlir::qsl::CompiledModel::create(*module, cudaRuntime);
  if (!compiled)
    return failWith("cannot JIT-compile '" + moduleFile +
                    "': " + toString(compiled.takeError()));
  // The host code compiled; now the GPU it needs (the kernels are loaded at
  // the first launch).
  if (Error e = (*compiled)->initDevice())
    return failWith(toString(std::move(e)));
  mlir::qsl::CompiledModel &model = **compiled;
  const auto &inputs = model.inputs();

  std::map<std::string, HostTensor> given;
  std::string error;
  if (!inputs.empty() && inputFiles.empty())
    return failWith("the model has inputs; give them with --input FILE.npz");
  std::string inputFile = inputFiles.empty() ? "" : inputFiles.front();
  size_t position = 0;
  for (const std::string &file : inputFiles) {
    if (StringRef(file).ends_with(".pb")) {
      std::string name;
      HostTensor t;
      if (!readTensorProto(file, name, t, error))
        return failWith(error);
      if (name.empty()) {
        // Unnamed tensors bind to graph inputs in order.
        if (position >= inputs.size())
          return failWith("'" + file + "' has no tensor name and no graph input "
                          "is left to bind it to");
        name = inputs[position].name;
      }
      ++position;
      given[name] = std::move(t);
      continue;
    }
    if (!readNpz(file, given, error))
      return failWith(error);
  }
  for (const mlir::qsl::TensorSignature &sig : inputs) {
    auto it = given.find(sig.name);
    if (it == given.end())
      return failWith("input '" + sig.name + "' is missing from '" + inputFile +
                      "'" + (inputFiles.size() > 1 ? " and the other inputs" : ""));
    if (it->second.dtype != sig.dtype || it->second.shape != sig.shape)
      return failWith("input '" + sig.name + "' is " + it->second.describe() +
                      " but the model was compiled for " + sig.describe());
  }
  for (const auto &[name, t] : given)
    if (llvm::none_of(inputs, [&, &name = name](const auto &s) {
          return s.name == name;
        }))
      return failWith("'" + inputFile + "'" +
                      (inputFiles.size() > 1 ? " (or another input file)" : "") +
                      " has array '" + name + "', which is not a model input");

  std::vector<HostTensor> outputs;
  if (Error e = model.run(given, outputs))
    return failWith("running '" + entry.str() + "': " + toString(std::move(e)));
  if (repeat > 0) {
    auto start = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < repeat; ++i)
      if (Error e = model.rerun())
        return failWith(toString(std::move(e)));
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count() /
                repeat;
    outs() << "time per run: " << format("%.3f", ms) << " ms (" << repeat
           << " runs)\n";
  }

  std::map<std::string, HostTensor> results;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string &name = model.outputs()[i].name;
    if (printOutputs)
      outs() << name << ": " << outputs[i].describe() << "\n";
    results[name] = std::move(outputs[i]);
  }
  if (!outputFile.empty() && !writeNpz(outputFile, results, error))
    return failWith(error);
  return 0;
}
