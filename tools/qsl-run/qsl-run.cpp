//===- qsl-run.cpp - Run a module compiled by qslc -------------------------===//
//
//   qsl-run MODULE --input in.npz|x.pb [--input ...] [--output out.npz]
//           [--repeat N]
//
// Loads a module from `qslc MODEL.onnx -o MODULE` (LLVM dialect with the
// entry point's ONNX signature in `qsl.entry`/`qsl.inputs`/`qsl.outputs`),
// JIT-compiles it, feeds the arrays of .npz archives (or ONNX TensorProto
// .pb files, named by their tensor name or, unnamed, by input position)
// named like the graph inputs,
// and writes the outputs, named like the graph outputs, to an .npz. With
// --repeat it reports the mean wall time of the entry point per run.
//
//===----------------------------------------------------------------------===//
#include "qsl/Runtime/HostTensor.h"
#include "qsl/Runtime/TensorProtoIO.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <cstdlib>
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

static int failWith(const Twine &message) {
  WithColor::error(errs(), "qsl-run") << message << "\n";
  return 1;
}

namespace {
/// One tensor argument: host storage plus the memref descriptor the
/// compiled code reads ({allocated, aligned, offset, sizes..., strides...}).
struct TensorArg {
  std::string name;
  HostTensor tensor;
  std::vector<int64_t> descriptor;
  void *descriptorPtr = nullptr;

  void bind() {
    int64_t rank = tensor.shape.size();
    descriptor.assign(3 + 2 * rank, 0);
    uint8_t *data = tensor.bytes.empty() ? nullptr : tensor.bytes.data();
    std::memcpy(&descriptor[0], &data, sizeof(void *));
    std::memcpy(&descriptor[1], &data, sizeof(void *));
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      descriptor[3 + d] = tensor.shape[d];
      descriptor[3 + rank + d] = stride;
      stride *= tensor.shape[d];
    }
    descriptorPtr = descriptor.data();
  }
};

/// Name and tensor type of a signature entry.
bool readEntry(mlir::Attribute attr, std::string &name, DType &dtype,
               std::vector<int64_t> &shape, std::string &error) {
  auto dict = llvm::dyn_cast<mlir::DictionaryAttr>(attr);
  auto nameAttr = dict ? dict.getAs<mlir::StringAttr>("name") : nullptr;
  auto typeAttr = dict ? dict.getAs<mlir::TypeAttr>("type") : nullptr;
  auto type = typeAttr ? llvm::dyn_cast<mlir::RankedTensorType>(typeAttr.getValue())
                       : nullptr;
  if (!nameAttr || !type || !type.hasStaticShape()) {
    error = "malformed qsl.inputs/qsl.outputs entry";
    return false;
  }
  name = nameAttr.str();
  std::string elem;
  llvm::raw_string_ostream os(elem);
  os << type.getElementType();
  if (!parseMlirName(elem, dtype)) {
    error = "'" + name + "' has element type " + elem +
            ", which qsl-run cannot exchange through .npz";
    return false;
  }
  shape.assign(type.getShape().begin(), type.getShape().end());
  return true;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Run a module compiled by qslc\n");
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();

  mlir::DialectRegistry registry;
  registry.insert<mlir::LLVM::LLVMDialect>();
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
  auto inputs = (*module)->getAttrOfType<mlir::ArrayAttr>("qsl.inputs");
  auto outputs = (*module)->getAttrOfType<mlir::ArrayAttr>("qsl.outputs");
  if (!entry || !inputs || !outputs)
    return failWith("'" + moduleFile +
                    "' has no qsl.entry signature; compile it with qslc");

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
        std::string ignored;
        DType dtype;
        std::vector<int64_t> shape;
        if (position >= inputs.size() ||
            !readEntry(inputs[position], name, dtype, shape, ignored))
          return failWith("'" + file + "' has no tensor name and no graph input "
                          "is left to bind it to");
      }
      ++position;
      given[name] = std::move(t);
      continue;
    }
    if (!readNpz(file, given, error))
      return failWith(error);
  }

  std::vector<TensorArg> args;
  for (mlir::Attribute attr : inputs) {
    TensorArg a;
    DType dtype;
    std::vector<int64_t> shape;
    if (!readEntry(attr, a.name, dtype, shape, error))
      return failWith(error);
    auto it = given.find(a.name);
    if (it == given.end())
      return failWith("input '" + a.name + "' is missing from '" + inputFile + "'" +
                      (inputFiles.size() > 1 ? " and the other inputs" : ""));
    a.tensor = std::move(it->second);
    given.erase(it);
    HostTensor expected;
    expected.dtype = dtype;
    expected.shape = shape;
    if (a.tensor.dtype != dtype || a.tensor.shape != shape)
      return failWith("input '" + a.name + "' is " + a.tensor.describe() +
                      " but the model was compiled for " + expected.describe());
    args.push_back(std::move(a));
  }
  for (const auto &[name, t] : given)
    return failWith("'" + inputFile + "'" +
                    (inputFiles.size() > 1 ? " (or another input file)" : "") +
                    " has array '" + name + "', which is not a model input");
  size_t numInputs = args.size();
  for (mlir::Attribute attr : outputs) {
    TensorArg a;
    if (!readEntry(attr, a.name, a.tensor.dtype, a.tensor.shape, error))
      return failWith(error);
    a.tensor.bytes.assign(a.tensor.numElements() * byteWidth(a.tensor.dtype), 0);
    args.push_back(std::move(a));
  }
  for (TensorArg &a : args)
    a.bind();

  mlir::ExecutionEngineOptions options;
  SmallVector<StringRef> libs{QSL_C_RUNNER_UTILS};
  options.sharedLibPaths = libs;
  options.transformer = mlir::makeOptimizingTransformer(3, 0, nullptr);
  auto engine = mlir::ExecutionEngine::create(*module, options);
  if (!engine)
    return failWith("cannot JIT-compile '" + moduleFile +
                    "': " + toString(engine.takeError()));

  SmallVector<void *> packed;
  for (TensorArg &a : args)
    packed.push_back(&a.descriptorPtr);
  std::string symbol = "_mlir_ciface_" + entry.str();
  if (Error e = (*engine)->invokePacked(symbol, packed))
    return failWith("running '" + entry.str() + "': " + toString(std::move(e)));
  if (repeat > 0) {
    auto start = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < repeat; ++i)
      if (Error e = (*engine)->invokePacked(symbol, packed))
        return failWith(toString(std::move(e)));
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count() /
                repeat;
    outs() << "time per run: " << format("%.3f", ms) << " ms (" << repeat
           << " runs)\n";
  }

  std::map<std::string, HostTensor> results;
  for (size_t i = numInputs; i < args.size(); ++i) {
    if (printOutputs)
      outs() << args[i].name << ": " << args[i].tensor.describe() << "\n";
    results[args[i].name] = args[i].tensor;
  }
  if (!outputFile.empty() && !writeNpz(outputFile, results, error))
    return failWith(error);
  return 0;
}
