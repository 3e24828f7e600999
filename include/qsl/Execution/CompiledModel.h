//===- CompiledModel.h - JIT-run a module compiled for the CPU --*- C++ -*-===//
//
// The calling convention between qslc and the code it generates: the
// entry function takes every graph input and then every output as a
// memref (results as caller-allocated out-parameters, C interface), and the
// module records the ONNX signature in `qsl.entry`, `qsl.inputs` and
// `qsl.outputs` ([{name, type}]). annotateEntryPoint writes that record on
// the tensor-level module; CompiledModel JIT-compiles the LLVM-dialect
// module and runs it on host tensors. qsl-run and qsl-calibrate use it.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_EXECUTION_COMPILEDMODEL_H
#define QSL_EXECUTION_COMPILEDMODEL_H

#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"
#include "qsl/Pipelines/Pipelines.h"
#include "qsl/Runtime/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
namespace qsl {

/// Records the signature of `funcName` (graph input/output names from the
/// `onnx.name` argument/result attributes, else argN/resultN) on `module`
/// and requests the C interface for it. Fails if there is no such function.
LogicalResult annotateEntryPoint(ModuleOp module, StringRef funcName);

/// Compiles `module` for qsl-run and CompiledModel: annotateEntryPoint on
/// `entry`, then, with `gpu`, qsl-gpu-pipeline (compressed matmuls as
/// kernels; the module is marked `qsl.target = "cuda"`), then the CPU
/// pipeline with results as out-parameters (and, with `gpu`, its host-side
/// lowering). Fails, with a diagnostic, if anything but the LLVM dialect
/// (and the kernels' gpu.binary and launches) is left.
LogicalResult compileForExecution(ModuleOp module, StringRef entry,
                                  CpuPipelineOptions cpu,
                                  const GpuPipelineOptions *gpu = nullptr);

/// One input or output of the entry point.
struct TensorSignature {
  std::string name;
  ::qsl::runtime::DType dtype;
  std::vector<int64_t> shape;
  std::string describe() const;
};

/// The entry point and its inputs and outputs as annotateEntryPoint
/// recorded them on `module`.
llvm::Error readSignature(ModuleOp module, std::string &entry,
                          std::vector<TensorSignature> &inputs,
                          std::vector<TensorSignature> &outputs);

class CompiledModel {
public:
  /// JIT-compiles an LLVM-dialect module that annotateEntryPoint and the
  /// CPU pipeline produced. A module compiled with `qslc --target=cuda`
  /// (module attribute `qsl.target = "cuda"`, kernels in `gpu.binary` ops)
  /// needs `cudaRuntime`, the path of libqsl_cuda_runtime.so that its host
  /// code calls; a CPU module must not be given one.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  create(ModuleOp module, llvm::StringRef cudaRuntime = {});

  /// For a CUDA module: makes the runtime find its GPU, else fails with "no
  /// GPU to run on: <reason>". Nothing for a CPU module. Runs of a CUDA
  /// module fail with "run on the GPU: <reason>" when the runtime reports
  /// an error.
  llvm::Error initDevice();

  /// Whether `module` was compiled with qslc --target=cuda (for a GPU or,
  /// with --gpu-format=emulator, for the SIMT emulator).
  static bool isCudaModule(ModuleOp module);
  /// Whether its kernels run on libqsl_gpu_emulator (qsl.target =
  /// "cuda-emulator"); `create` then takes that library's path in place of
  /// the CUDA runtime's.
  static bool isEmulatedModule(ModuleOp module);
  ~CompiledModel();

  const std::vector<TensorSignature> &inputs() const { return inputSigs; }
  const std::vector<TensorSignature> &outputs() const { return outputSigs; }

  /// Runs the entry point; every input must be given with its exact type.
  /// `outputs` receives one tensor per output, in signature order.
  llvm::Error run(const std::map<std::string, ::qsl::runtime::HostTensor> &inputs,
                  std::vector<::qsl::runtime::HostTensor> &outputs);

  /// Runs the entry point on caller-owned dense row-major buffers, one per
  /// input and then one per output in signature order, without copying.
  /// The caller has checked their types and sizes against inputs()/outputs().
  llvm::Error runOnBuffers(llvm::ArrayRef<const void *> inputData,
                           llvm::ArrayRef<void *> outputData);

  /// Runs on pre-bound buffers again (for timing): the buffers of the last
  /// run() are reused.
  llvm::Error rerun();

private:
  CompiledModel() = default;
  struct Binding;
  std::unique_ptr<ExecutionEngine> engine;
  std::string symbol;
  std::vector<TensorSignature> inputSigs, outputSigs;
  std::vector<std::unique_ptr<Binding>> bindings;
  /// A CUDA module's runtime (libqsl_cuda_runtime.so), null for the CPU.
  int (*cudaInit)() = nullptr;
  const char *(*cudaLastError)() = nullptr;
  llvm::Error checkDevice() const;
};

} // namespace qsl
} // namespace mlir

#endif // QSL_EXECUTION_COMPILEDMODEL_H
