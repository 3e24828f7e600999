//===- CompiledModel.cpp - JIT-run a module compiled for the CPU ----------===//
#include "qsl/Execution/CompiledModel.h"
#include "qsl/Conversion/Passes.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qsl;
using ::qsl::runtime::DType;
using ::qsl::runtime::HostTensor;

LogicalResult mlir::qsl::annotateEntryPoint(ModuleOp module,
                                            StringRef funcName) {
  auto func = module.lookupSymbol<func::FuncOp>(funcName);
  if (!func)
    return module.emitError() << "no function '" << funcName << "' to run";
  Builder b(module.getContext());
  auto describe = [&](Type type, DictionaryAttr attrs, StringRef fallback) {
    Attribute name = attrs ? attrs.get("onnx.name") : Attribute();
    if (!name)
      name = b.getStringAttr(fallback);
    return b.getDictionaryAttr({b.getNamedAttr("name", name),
                                b.getNamedAttr("type", TypeAttr::get(type))});
  };
  SmallVector<Attribute> ins, outs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    ins.push_back(describe(func.getArgumentTypes()[i], func.getArgAttrDict(i),
                           ("arg" + Twine(i)).str()));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    outs.push_back(describe(func.getResultTypes()[i], func.getResultAttrDict(i),
                            ("result" + Twine(i)).str()));
  module->setAttr("qsl.entry", b.getStringAttr(funcName));
  module->setAttr("qsl.inputs", b.getArrayAttr(ins));
  module->setAttr("qsl.outputs", b.getArrayAttr(outs));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return success();
}

LogicalResult mlir::qsl::compileForExecution(ModuleOp module, StringRef entry,
                                             CpuPipelineOptions cpu,
                                             const GpuPipelineOptions *gpu) {
  if (failed(annotateEntryPoint(module, entry)))
    return failure();
  PassManager pm(module.getContext());
  bool emulated = gpu && gpu->format == GpuBinaryFormat::emulator;
  if (gpu) {
    buildGpuPipeline(pm, *gpu);
    module->setAttr("qsl.target",
                    StringAttr::get(module.getContext(),
                                    emulated ? "cuda-emulator" : "cuda"));
  }
  cpu.resultsAsOutParams = true;
  cpu.gpuHost = gpu != nullptr;
  buildCpuPipeline(pm, cpu);
  // The kernels become host code calling libqsl_gpu_emulator.
  if (emulated)
    pm.addPass(createQslGpuEmulatePass());
  if (failed(pm.run(module)))
    return failure();
  // The JIT and --emit=obj translate only the LLVM dialect, the kernels'
  // gpu.binary and their launches (with LLVM operands): anything else left
  // is a gap in the pipeline, reported here rather than at load time.
  WalkResult leftover = module.walk([](Operation *op) {
    StringRef name = op->getName().getStringRef();
    if (name == "gpu.binary")
      return WalkResult::skip();
    Dialect *dialect = op->getDialect();
    if (isa<ModuleOp>(op) || name == "gpu.launch_func" ||
        (dialect && dialect->getNamespace() == "llvm"))
      return WalkResult::advance();
    op->emitError() << "internal error: the CPU pipeline left '"
                    << op->getName() << "' unlowered";
    return WalkResult::interrupt();
  });
  return failure(leftover.wasInterrupted());
}

std::string TensorSignature::describe() const {
  HostTensor t;
  t.dtype = dtype;
  t.shape = shape;
  return t.describe();
}

/// Host storage plus the memref descriptor the compiled code reads
/// ({allocated, aligned, offset, sizes..., strides...}).
struct CompiledModel::Binding {
  HostTensor tensor;
  std::vector<int64_t> descriptor;
  void *descriptorPtr = nullptr;

  void bind() {
    descriptor = ::qsl::runtime::memrefDescriptor(
        tensor.bytes.empty() ? nullptr : tensor.bytes.data(), tensor.shape);
    descriptorPtr = descriptor.data();
  }
};

static llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Name and tensor type of a signature entry.
static llvm::Error readEntry(Attribute attr, TensorSignature &sig) {
  auto dict = llvm::dyn_cast<DictionaryAttr>(attr);
  auto nameAttr = dict ? dict.getAs<StringAttr>("name") : nullptr;
  auto typeAttr = dict ? dict.getAs<TypeAttr>("type") : nullptr;
  auto type = typeAttr ? llvm::dyn_cast<RankedTensorType>(typeAttr.getValue())
                       : nullptr;
  if (!nameAttr || !type || !type.hasStaticShape())
    return makeError("malformed qsl.inputs/qsl.outputs entry (shapes must be "
                     "static: give --input-shape to qslc)");
  sig.name = nameAttr.str();
  std::string elem;
  llvm::raw_string_ostream os(elem);
  os << type.getElementType();
  if (!::qsl::runtime::parseMlirName(elem, sig.dtype))
    return makeError("'" + sig.name + "' has element type " + elem +
                     ", which cannot be exchanged through .npz");
  sig.shape.assign(type.getShape().begin(), type.getShape().end());
  return llvm::Error::success();
}

llvm::Error mlir::qsl::readSignature(ModuleOp module, std::string &entry,
                                     std::vector<TensorSignature> &inputs,
                                     std::vector<TensorSignature> &outputs) {
  auto entryAttr = module->getAttrOfType<StringAttr>("qsl.entry");
  auto ins = module->getAttrOfType<ArrayAttr>("qsl.inputs");
  auto outs = module->getAttrOfType<ArrayAttr>("qsl.outputs");
  if (!entryAttr || !ins || !outs)
    return makeError("the module has no qsl.entry signature; compile it with "
                     "qslc");
  entry = entryAttr.str();
  inputs.clear();
  outputs.clear();
  for (auto [attrs, sigs] :
       {std::make_pair(ins, &inputs), std::make_pair(outs, &outputs)})
    for (Attribute a : attrs) {
      TensorSignature sig;
      if (llvm::Error e = readEntry(a, sig))
        return e;
      sigs->push_back(std::move(sig));
    }
  return llvm::Error::success();
}

CompiledModel::~CompiledModel() = default;

llvm::Error CompiledModel::initDevice() {
  if (cudaInit && cudaInit() != 0)
    return makeError(Twine("no GPU to run on: ") + cudaLastError());
  return llvm::Error::success();
}

llvm::Error CompiledModel::checkDevice() const {
  if (cudaLastError && *cudaLastError())
    return makeError(Twine("run on the GPU: ") + cudaLastError());
  return llvm::Error::success();
}

bool CompiledModel::isCudaModule(ModuleOp module) {
  auto target = module->getAttrOfType<StringAttr>("qsl.target");
  return target &&
         (target.getValue() == "cuda" || target.getValue() == "cuda-emulator");
}

bool CompiledModel::isEmulatedModule(ModuleOp module) {
  auto target = module->getAttrOfType<StringAttr>("qsl.target");
  return target && target.getValue() == "cuda-emulator";
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::create(ModuleOp module, StringRef cudaRuntime) {
  bool cuda = isCudaModule(module);
  bool emulated = isEmulatedModule(module);
  if (emulated && cudaRuntime.empty())
    return makeError("the module was compiled with qslc --target=cuda "
                     "--gpu-format=emulator: run it on the emulator "
                     "(qsl-run --device=emulator)");
  if (cuda && cudaRuntime.empty())
    return makeError("the module was compiled with qslc --target=cuda: run "
                     "it on the GPU (qsl-run --device=cuda)");
  if (!cuda && !cudaRuntime.empty())
    return makeError("the module was compiled for the CPU: compile it with "
                     "qslc --target=cuda to run it on the GPU");
  std::unique_ptr<CompiledModel> model(new CompiledModel());
  std::string entry;
  if (llvm::Error e =
          readSignature(module, entry, model->inputSigs, model->outputSigs))
    return std::move(e);
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions options;
  SmallVector<StringRef> libs{QSL_C_RUNNER_UTILS};
  if (emulated) {
    // Kernels are host code calling libqsl_gpu_emulator; no device to
    // initialise, no GPU binary to translate.
    libs.push_back(cudaRuntime);
  } else if (cuda) {
    // The same library the JIT-ed host code calls: its error state.
    std::string error;
    llvm::sys::DynamicLibrary lib = llvm::sys::DynamicLibrary::
        getPermanentLibrary(cudaRuntime.str().c_str(), &error);
    if (lib.isValid()) {
      model->cudaInit = reinterpret_cast<int (*)()>(
          lib.getAddressOfSymbol("qslCudaInit"));
      model->cudaLastError = reinterpret_cast<const char *(*)()>(
          lib.getAddressOfSymbol("qslCudaLastError"));
    }
    if (!model->cudaInit || !model->cudaLastError)
      return makeError("cannot load the CUDA runtime '" + cudaRuntime + "'" +
                       (error.empty() ? "" : ": " + error));
    // gpu.binary becomes a global blob loaded through mgpuModuleLoad.
    registerGPUDialectTranslation(*module.getContext());
    libs.push_back(cudaRuntime);
  }
  options.sharedLibPaths = libs;
  options.transformer = makeOptimizingTransformer(3, 0, nullptr);
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return engine.takeError();
  model->engine = std::move(*engine);
  model->symbol = "_mlir_ciface_" + entry;
  return model;
}

llvm::Error
CompiledModel::run(const std::map<std::string, HostTensor> &given,
                   std::vector<HostTensor> &results) {
  bindings.clear();
  for (const TensorSignature &sig : inputSigs) {
    auto it = given.find(sig.name);
    if (it == given.end())
      return makeError("input '" + sig.name + "' is missing");
    if (it->second.dtype != sig.dtype || it->second.shape != sig.shape)
      return makeError("input '" + sig.name + "' is " + it->second.describe() +
                       " but the model was compiled for " + sig.describe());
    auto b = std::make_unique<Binding>();
    b->tensor = it->second;
    bindings.push_back(std::move(b));
  }
  for (const auto &[name, t] : given)
    if (llvm::none_of(inputSigs,
                      [&](const TensorSignature &s) { return s.name == name; }))
      return makeError("'" + name + "' is not a model input");
  for (const TensorSignature &sig : outputSigs) {
    auto b = std::make_unique<Binding>();
    b->tensor.dtype = sig.dtype;
    b->tensor.shape = sig.shape;
    b->tensor.bytes.assign(b->tensor.numElements() * byteWidth(sig.dtype), 0);
    bindings.push_back(std::move(b));
  }
  for (auto &b : bindings)
    b->bind();
  if (llvm::Error e = rerun())
    return e;
  results.clear();
  for (size_t i = inputSigs.size(); i < bindings.size(); ++i)
    results.push_back(bindings[i]->tensor);
  return llvm::Error::success();
}

llvm::Error CompiledModel::runOnBuffers(ArrayRef<const void *> inputData,
                                        ArrayRef<void *> outputData) {
  if (inputData.size() != inputSigs.size() ||
      outputData.size() != outputSigs.size())
    return makeError("expected " + Twine(inputSigs.size()) + " inputs and " +
                     Twine(outputSigs.size()) + " outputs, got " +
                     Twine(inputData.size()) + " and " +
                     Twine(outputData.size()));
  SmallVector<std::vector<int64_t>> descriptors;
  auto describe = [&](const void *data, const TensorSignature &sig) {
    descriptors.push_back(::qsl::runtime::memrefDescriptor(data, sig.shape));
  };
  for (size_t i = 0; i < inputData.size(); ++i)
    describe(inputData[i], inputSigs[i]);
  for (size_t i = 0; i < outputData.size(); ++i)
    describe(outputData[i], outputSigs[i]);
  SmallVector<void *> descriptorPtrs, packed;
  for (auto &d : descriptors)
    descriptorPtrs.push_back(d.data());
  for (void *&p : descriptorPtrs)
    packed.push_back(&p);
  if (llvm::Error e = engine->invokePacked(symbol, packed))
    return e;
  return checkDevice();
}

llvm::Error CompiledModel::rerun() {
  SmallVector<void *> packed;
  for (auto &b : bindings)
    packed.push_back(&b->descriptorPtr);
  if (llvm::Error e = engine->invokePacked(symbol, packed))
    return e;
  return checkDevice();
}
