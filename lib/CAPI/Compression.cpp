//===- Compression.cpp - C API: calibration, reports, save and load -------===//
#include "qsl-c/Compression.h"

#include "Support.h"
#include "qsl/Export/ONNX/ONNXExporter.h"
#include "qsl/Dialect/QSL/Transforms/Report.h"
#include "qsl/Execution/Calibrate.h"
#include "qsl/Runtime/HostTensor.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/CAPI/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>
#include <string>
#include <vector>

using namespace mlir;
using ::qsl::runtime::DType;
using ::qsl::runtime::HostTensor;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Copies one set of caller buffers into host tensors, checking what the
/// compiled model cannot (valid dtype, sizes, data, each name once); the
/// model checks names, dtypes and shapes against its signature.
static llvm::Error readSet(intptr_t count, const MlirQslBuffer *buffers,
                           std::map<std::string, HostTensor> &inputs) {
  if (count < 0 || (count > 0 && !buffers))
    return makeError("no input buffers given");
  for (intptr_t i = 0; i < count; ++i) {
    const MlirQslBuffer &b = buffers[i];
    std::string name = unwrap(b.name).str();
    if (b.dtype < MlirQslDTypeF16 || b.dtype > MlirQslDTypeI64)
      return makeError("input '" + name + "' has an invalid dtype " +
                       llvm::Twine(static_cast<int>(b.dtype)));
    if (b.rank < 0 || (b.rank > 0 && !b.shape))
      return makeError("input '" + name + "' has no shape");
    HostTensor t;
    t.dtype = static_cast<DType>(b.dtype);
    for (intptr_t d = 0; d < b.rank; ++d) {
      if (b.shape[d] < 0)
        return makeError("input '" + name + "' has a negative dimension");
      t.shape.push_back(b.shape[d]);
    }
    size_t bytes = t.numElements() * ::qsl::runtime::byteWidth(t.dtype);
    if (b.sizeInBytes != bytes)
      return makeError("input '" + name + "' has " +
                       llvm::Twine(static_cast<uint64_t>(b.sizeInBytes)) +
                       " bytes, " + t.describe() + " needs " +
                       llvm::Twine(static_cast<uint64_t>(bytes)));
    if (bytes > 0 && !b.data)
      return makeError("input '" + name + "' has no data");
    t.bytes.resize(bytes);
    if (bytes)
      std::memcpy(t.bytes.data(), b.data, bytes);
    if (!inputs.emplace(name, std::move(t)).second)
      return makeError("input '" + name + "' is given twice");
  }
  return llvm::Error::success();
}

static mlir::qsl::CalibrationOptions calibrationOptions(MlirStringRef entry) {
  mlir::qsl::CalibrationOptions options;
  options.funcName = unwrap(entry).str();
  return options;
}

MlirLogicalResult mlirQslCalibrate(MlirModule module, MlirStringRef entry,
                                   intptr_t numSets, const intptr_t *setSizes,
                                   const MlirQslBuffer *buffers) {
  ModuleOp op = unwrap(module);
  if (numSets < 0 || (numSets > 0 && !setSizes)) {
    emitError(op.getLoc()) << "calibration: no input sets given";
    return wrap(failure());
  }
  intptr_t index = 0, offset = 0;
  auto next = [&](mlir::qsl::CalibrationInputSet &set) -> llvm::Expected<bool> {
    if (index == numSets)
      return false;
    set.label = "calibration input set " + std::to_string(index);
    intptr_t count = setSizes[index++];
    if (llvm::Error e = readSet(count, buffers ? buffers + offset : nullptr,
                                set.inputs))
      return makeError(set.label + ": " + llvm::toString(std::move(e)));
    offset += count;
    return true;
  };
  return wrap(mlir::qsl::calibrateModule(op, next, calibrationOptions(entry)));
}

MlirLogicalResult
mlirQslCalibrateWithCallback(MlirModule module, MlirStringRef entry,
                             MlirQslCalibrationInputCallback callback,
                             void *userData) {
  ModuleOp op = unwrap(module);
  if (!callback) {
    emitError(op.getLoc()) << "calibration: no input callback given";
    return wrap(failure());
  }
  intptr_t index = 0;
  auto next = [&](mlir::qsl::CalibrationInputSet &set) -> llvm::Expected<bool> {
    intptr_t count = 0;
    const MlirQslBuffer *buffers = nullptr;
    int given = callback(index, &count, &buffers, userData);
    if (given == 0)
      return false;
    set.label = "calibration input set " + std::to_string(index++);
    if (given < 0)
      return makeError(set.label + ": stopped by the input callback");
    if (llvm::Error e = readSet(count, buffers, set.inputs))
      return makeError(set.label + ": " + llvm::toString(std::move(e)));
    return true;
  };
  return wrap(mlir::qsl::calibrateModule(op, next, calibrationOptions(entry)));
}

MlirLogicalResult mlirQslCalibrateFromFiles(MlirModule module,
                                            MlirStringRef entry,
                                            intptr_t numPaths,
                                            const MlirStringRef *paths) {
  ModuleOp op = unwrap(module);
  std::vector<std::string> given, files;
  for (intptr_t i = 0; i < numPaths && paths; ++i)
    given.push_back(unwrap(paths[i]).str());
  std::string error;
  if (failed(mlir::qsl::expandCalibrationInputs(given, files, error))) {
    emitError(op.getLoc()) << "calibration: " << error;
    return wrap(failure());
  }
  return wrap(mlir::qsl::calibrateModule(op, files, calibrationOptions(entry)));
}

MlirLogicalResult mlirQslModuleGetSignature(MlirModule module,
                                            MlirStringRef entry,
                                            MlirQslSignatureCallback callback,
                                            void *userData) {
  ModuleOp op = unwrap(module);
  auto func = op.lookupSymbol<func::FuncOp>(unwrap(entry));
  if (!callback) {
    emitError(op.getLoc()) << "signature: no callback given";
    return wrap(failure());
  }
  if (!func) {
    emitError(op.getLoc()) << "no function '" << unwrap(entry) << "'";
    return wrap(failure());
  }
  auto report = [&](bool isInput, Type type, DictionaryAttr attrs,
                    std::string fallback) {
    auto nameAttr =
        attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
    std::string name = nameAttr ? nameAttr.str() : fallback;
    std::vector<int64_t> shape;
    MlirQslBuffer sig{};
    sig.name = mlirStringRefCreate(name.data(), name.size());
    sig.dtype = static_cast<MlirQslDType>(-1);
    sig.rank = -1;
    if (auto shaped = llvm::dyn_cast<RankedTensorType>(type)) {
      for (int64_t d : shaped.getShape())
        shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
      sig.rank = shape.size();
      std::string elem;
      llvm::raw_string_ostream os(elem);
      os << shaped.getElementType();
      DType dtype;
      if (::qsl::runtime::parseMlirName(elem, dtype))
        sig.dtype = static_cast<MlirQslDType>(dtype);
    }
    sig.shape = shape.data();
    callback(isInput, sig, userData);
  };
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    report(true, func.getArgumentTypes()[i], func.getArgAttrDict(i),
           "arg" + std::to_string(i));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    report(false, func.getResultTypes()[i], func.getResultAttrDict(i),
           "result" + std::to_string(i));
  return wrap(success());
}

int64_t mlirQslModuleGetConstantBytes(MlirModule module) {
  return mlir::qsl::modelConstantBytes(unwrap(module));
}

MlirLogicalResult mlirQslModuleGetReport(MlirModule module,
                                         int64_t importedBytes,
                                         MlirStringCallback callback,
                                         void *userData) {
  std::optional<int64_t> imported;
  if (importedBytes >= 0)
    imported = importedBytes;
  FailureOr<llvm::json::Value> report =
      mlir::qsl::buildCompressionReport(unwrap(module), imported);
  if (failed(report))
    return wrap(failure()); // diagnostics say why
  mlir::detail::CallbackOstream stream(callback, userData);
  stream << llvm::formatv("{0:2}", *report);
  stream.flush();
  return wrap(success());
}

void mlirQslStripCompressionMetadata(MlirModule module) {
  mlir::qsl::stripCompressionMetadata(unwrap(module));
}

MlirLogicalResult mlirQslModuleSave(MlirModule module, MlirStringRef path) {
  ModuleOp op = unwrap(module);
  // Through a temporary file renamed into place: the module's weights may
  // be mapped from the very file being replaced.
  bool written = false;
  llvm::Error e = llvm::writeToOutput(unwrap(path), [&](llvm::raw_ostream &os) {
    written = succeeded(mlir::writeBytecodeToFile(op, os));
    return llvm::Error::success();
  });
  if (e) {
    emitError(op.getLoc()) << "cannot save the module to '" << unwrap(path)
                           << "': " << llvm::toString(std::move(e));
    return wrap(failure());
  }
  return wrap(success(written)); // the writer emitted its error
}

MlirLogicalResult mlirQslExportONNX(MlirModule module, MlirStringRef modelPath,
                                    MlirStringRef outputPath) {
  return wrap(mlir::qsl::exportONNXModel(unwrap(module), unwrap(modelPath),
                                         unwrap(outputPath)));
}

MlirModule mlirQslModuleLoad(MlirContext ctx, MlirStringRef path) {
  MLIRContext *context = unwrap(ctx);
  DialectRegistry registry;
  mlir::qsl::capi::registerEverything(registry);
  context->appendDialectRegistry(registry);
  std::string error;
  std::string file = unwrap(path).str();
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      mlir::openInputFile(file, &error);
  if (!buffer) {
    emitError(UnknownLoc::get(context))
        << "cannot load a module from '" << file << "': " << error;
    return {nullptr};
  }
  // Weights are copied out of the file (not kept mapped), so that saving
  // over it later is safe.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(context));
  if (!module)
    return {nullptr}; // the parser emitted the error
  return wrap(module.release());
}
