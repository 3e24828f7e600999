//===- Runtime.cpp - C API: run compiled modules on caller buffers ---------===//
#include "qsl-c/Runtime.h"

#include "qsl/Execution/CompiledModel.h"
#include "qsl/Runtime/HostTensor.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"

#include <memory>
#include <string>
#include <vector>

using namespace mlir;
using ::qsl::runtime::DType;

namespace {
/// What an MlirQslExecutable points to.
struct Executable {
  MLIRContext *context;
  std::unique_ptr<mlir::qsl::CompiledModel> model;
};
} // namespace

static Executable *unwrapExe(MlirQslExecutable exe) {
  return static_cast<Executable *>(exe.ptr);
}

// The C enum and the runtime's enum list the same types in the same order.
static_assert(MlirQslDTypeF16 == static_cast<int>(DType::F16) &&
                  MlirQslDTypeF32 == static_cast<int>(DType::F32) &&
                  MlirQslDTypeF64 == static_cast<int>(DType::F64) &&
                  MlirQslDTypeI1 == static_cast<int>(DType::I1) &&
                  MlirQslDTypeI8 == static_cast<int>(DType::I8) &&
                  MlirQslDTypeI16 == static_cast<int>(DType::I16) &&
                  MlirQslDTypeI32 == static_cast<int>(DType::I32) &&
                  MlirQslDTypeI64 == static_cast<int>(DType::I64),
              "MlirQslDType must mirror mlir::qsl::runtime::DType");

static bool isValidDType(int dtype) {
  return dtype >= MlirQslDTypeF16 && dtype <= MlirQslDTypeI64;
}

size_t mlirQslDTypeGetByteWidth(MlirQslDType dtype) {
  if (!isValidDType(dtype))
    return 0;
  return ::qsl::runtime::byteWidth(static_cast<DType>(dtype));
}

MlirQslExecutable mlirQslExecutableCreate(MlirModule compiled) {
  ModuleOp module = unwrap(compiled);
  auto model = mlir::qsl::CompiledModel::create(module);
  if (!model) {
    emitError(module.getLoc())
        << "cannot JIT-compile the module: " << llvm::toString(model.takeError());
    return {nullptr};
  }
  return {new Executable{module.getContext(), std::move(*model)}};
}

MlirQslExecutable mlirQslExecutableCreateForCUDA(MlirModule compiled,
                                                 MlirStringRef cudaRuntime) {
  ModuleOp module = unwrap(compiled);
  auto model = mlir::qsl::CompiledModel::create(module, unwrap(cudaRuntime));
  if (!model) {
    emitError(module.getLoc())
        << "cannot JIT-compile the module: " << llvm::toString(model.takeError());
    return {nullptr};
  }
  if (llvm::Error e = (*model)->initDevice()) {
    emitError(module.getLoc()) << llvm::toString(std::move(e));
    return {nullptr};
  }
  return {new Executable{module.getContext(), std::move(*model)}};
}

void mlirQslExecutableDestroy(MlirQslExecutable exe) { delete unwrapExe(exe); }

intptr_t mlirQslExecutableGetNumInputs(MlirQslExecutable exe) {
  return unwrapExe(exe)->model->inputs().size();
}

intptr_t mlirQslExecutableGetNumOutputs(MlirQslExecutable exe) {
  return unwrapExe(exe)->model->outputs().size();
}

static MlirQslBuffer describe(const std::vector<mlir::qsl::TensorSignature> &sigs,
                              intptr_t pos) {
  MlirQslBuffer b{};
  if (pos < 0 || pos >= static_cast<intptr_t>(sigs.size())) {
    b.rank = -1;
    return b;
  }
  const mlir::qsl::TensorSignature &sig = sigs[pos];
  b.name = mlirStringRefCreate(sig.name.data(), sig.name.size());
  b.dtype = static_cast<MlirQslDType>(sig.dtype);
  b.rank = sig.shape.size();
  b.shape = sig.shape.data();
  b.data = nullptr;
  size_t elements = 1;
  for (int64_t d : sig.shape)
    elements *= d;
  b.sizeInBytes = elements * ::qsl::runtime::byteWidth(sig.dtype);
  return b;
}

MlirQslBuffer mlirQslExecutableGetInput(MlirQslExecutable exe, intptr_t pos) {
  return describe(unwrapExe(exe)->model->inputs(), pos);
}

MlirQslBuffer mlirQslExecutableGetOutput(MlirQslExecutable exe, intptr_t pos) {
  return describe(unwrapExe(exe)->model->outputs(), pos);
}

/// "f32[3x8]" for a caller's buffer; "?" for an invalid dtype.
static std::string describeBuffer(const MlirQslBuffer &b) {
  std::string out = isValidDType(b.dtype)
                        ? ::qsl::runtime::mlirName(static_cast<DType>(b.dtype))
                        : "?";
  out += "[";
  for (intptr_t i = 0; i < b.rank; ++i)
    out += (i ? "x" : "") + std::to_string(b.shape[i]);
  return out + "]";
}

/// Finds the buffer for every signature entry (by name) and checks it;
/// `kind` is "input" or "output".
static LogicalResult bind(MLIRContext *context, const char *kind,
                          const std::vector<mlir::qsl::TensorSignature> &sigs,
                          intptr_t count, const MlirQslBuffer *buffers,
                          std::vector<void *> &data) {
  auto fail = [&]() { return emitError(UnknownLoc::get(context)) << "run: "; };
  if (count < 0 || (count > 0 && !buffers))
    return fail() << "no " << kind << " buffers given";
  std::vector<bool> used(count, false);
  for (const mlir::qsl::TensorSignature &sig : sigs) {
    intptr_t found = -1;
    for (intptr_t i = 0; i < count; ++i)
      if (unwrap(buffers[i].name) == sig.name) {
        if (found >= 0)
          return fail() << kind << " '" << sig.name << "' is given twice";
        found = i;
      }
    if (found < 0)
      return fail() << kind << " '" << sig.name << "' is missing (expected "
                    << sig.describe() << ")";
    used[found] = true;
    const MlirQslBuffer &b = buffers[found];
    if (b.rank < 0 || (b.rank > 0 && !b.shape))
      return fail() << kind << " '" << sig.name << "' has no shape";
    bool sameShape = b.rank == static_cast<intptr_t>(sig.shape.size());
    for (intptr_t d = 0; sameShape && d < b.rank; ++d)
      sameShape = b.shape[d] == sig.shape[d];
    if (!isValidDType(b.dtype) || static_cast<DType>(b.dtype) != sig.dtype ||
        !sameShape)
      return fail() << kind << " '" << sig.name << "' is " << describeBuffer(b)
                    << " but the model was compiled for " << sig.describe();
    size_t width = ::qsl::runtime::byteWidth(sig.dtype);
    size_t elements = 1;
    for (int64_t d : sig.shape)
      elements *= d;
    if (b.sizeInBytes != elements * width)
      return fail() << kind << " '" << sig.name << "' has " << b.sizeInBytes
                    << " bytes, " << sig.describe() << " needs "
                    << elements * width;
    if (elements > 0 && !b.data)
      return fail() << kind << " '" << sig.name << "' has no data";
    if (reinterpret_cast<uintptr_t>(b.data) % width != 0)
      return fail() << kind << " '" << sig.name << "' is not aligned to "
                    << width << " bytes";
    data.push_back(b.data);
  }
  for (intptr_t i = 0; i < count; ++i)
    if (!used[i])
      return fail() << "'" << unwrap(buffers[i].name) << "' is not a model "
                    << kind;
  return success();
}

MlirLogicalResult mlirQslExecutableRun(MlirQslExecutable exe,
                                       intptr_t numInputs,
                                       const MlirQslBuffer *inputs,
                                       intptr_t numOutputs,
                                       const MlirQslBuffer *outputs) {
  Executable *e = unwrapExe(exe);
  std::vector<void *> in, out;
  if (failed(bind(e->context, "input", e->model->inputs(), numInputs, inputs,
                  in)) ||
      failed(bind(e->context, "output", e->model->outputs(), numOutputs,
                  outputs, out)))
    return wrap(failure());
  std::vector<const void *> constIn(in.begin(), in.end());
  if (llvm::Error err = e->model->runOnBuffers(constIn, out)) {
    emitError(UnknownLoc::get(e->context))
        << "run: " << llvm::toString(std::move(err));
    return wrap(failure());
  }
  return wrap(success());
}
