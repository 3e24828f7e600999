//===- GpuPipeline.cpp - qsl-gpu-pipeline ---------------------------------===//
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"
#include "qsl/Conversion/Passes.h"

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::qsl;

namespace {
/// A kernel launch may read and write every buffer it is given, and (once
/// its operands are LLVM pointers, after gpu-to-llvm) any memory: it is
/// never dead code.
struct LaunchFuncEffects
    : public MemoryEffectOpInterface::ExternalModel<LaunchFuncEffects,
                                                    gpu::LaunchFuncOp> {
  void getEffects(
      Operation *op,
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
          &effects) const {
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<BaseMemRefType>(operand.get().getType()))
        continue;
      effects.emplace_back(MemoryEffects::Read::get(), &operand);
      effects.emplace_back(MemoryEffects::Write::get(), &operand);
    }
  }
};
} // namespace

void mlir::qsl::registerGpuLaunchEffects(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, gpu::GPUDialect *) {
    gpu::LaunchFuncOp::attachInterface<LaunchFuncEffects>(*ctx);
  });
}

/// The CUDA toolkit gpu-module-to-binary uses for libdevice (math functions
/// of fused epilogues) and ptxas: $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, else
/// /usr/local/cuda when it exists. Explicit, so that the result does not
/// depend on whether the calling environment exports those variables.
static std::string cudaToolkitPath() {
  for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *v = std::getenv(var); v && *v)
      return v;
  if (llvm::sys::fs::is_directory("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

const char *mlir::qsl::gpuChipName(GpuChip chip) {
  switch (chip) {
  case GpuChip::sm_80:
    return "sm_80";
  case GpuChip::sm_90:
    return "sm_90";
  case GpuChip::sm_90a:
    return "sm_90a";
  }
  return "sm_90";
}

void mlir::qsl::buildGpuPipeline(OpPassManager &pm,
                                 const GpuPipelineOptions &options) {
  QslLowerToGpuPassOptions lower;
  lower.warps = options.warps;
  lower.maxBatch = options.maxBatch;
  lower.tensorCores = options.tensorCores;
  lower.mmaGemv = options.mmaGemv;
  lower.mmaPrefetch = options.mmaPrefetch;
  lower.mmaAStages = options.mmaAStages;
  lower.deviceWeights = options.deviceWeights;
  lower.fuseEpilogue = options.fuseEpilogue;
  lower.keepOnDevice = options.keepOnDevice;
  lower.wgmma = options.chip == GpuChip::sm_90a;
  pm.addPass(createQslLowerToGpuPass(lower));

  GpuNVVMAttachTargetOptions target;
  target.chip = gpuChipName(options.chip);
  // Debian's NVPTX backend aborts without an explicit PTX version. sm_90a
  // needs 8.2 for wgmma.mma_async.sp with f16 (8.0 has the dense wgmma).
  target.features = options.chip == GpuChip::sm_90a ? "+ptx82" : "+ptx80";
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));

  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  // nvgpu.mma.sync of the tensor-core GEMM -> nvvm.mma.sync.
  kernels.addPass(createConvertNVGPUToNVVMPass());
  // Reshapes inside kernels (a 1x1 convolution's image seen as channel
  // planes) become reinterpret casts that gpu-to-nvvm lowers.
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  if (options.format == GpuBinaryFormat::emulator)
    return;
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = cudaToolkitPath();
  binary.compilationTarget = options.format == GpuBinaryFormat::isa ? "isa"
                             : options.format == GpuBinaryFormat::bin
                                 ? "bin"
                                 : "fatbin";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

namespace {
struct GpuPipelineCLOptions
    : public PassPipelineOptions<GpuPipelineCLOptions> {
  PassOptions::Option<GpuChip> chip{
      *this, "chip", llvm::cl::desc("Target GPU architecture"),
      llvm::cl::init(GpuChip::sm_90),
      llvm::cl::values(clEnumValN(GpuChip::sm_80, "sm_80", "A100"),
                       clEnumValN(GpuChip::sm_90, "sm_90", "H100"),
                       clEnumValN(GpuChip::sm_90a, "sm_90a",
                                  "H100 with wgmma (large-batch GEMMs)"))};
  PassOptions::Option<GpuBinaryFormat> format{
      *this, "format", llvm::cl::desc("What gpu-module-to-binary emits"),
      llvm::cl::init(GpuBinaryFormat::isa),
      llvm::cl::values(
          clEnumValN(GpuBinaryFormat::isa, "isa", "PTX text"),
          clEnumValN(GpuBinaryFormat::bin, "bin", "cubin (runs ptxas)"),
          clEnumValN(GpuBinaryFormat::fatbin, "fatbin", "PTX and cubin"),
          clEnumValN(GpuBinaryFormat::emulator, "emulator",
                     "no binary: the kernels stay in the LLVM dialect for "
                     "qsl-gpu-emulate (CPU execution)"))};
  PassOptions::Option<int64_t> warps{
      *this, "warps", llvm::cl::desc("Warps (output columns) per block"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> maxBatch{
      *this, "max-batch",
      llvm::cl::desc("Largest batch the GEMV kernel takes"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Larger batches use the mma.sync GEMM (false: CPU)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> mmaGemv{
      *this, "mma-gemv",
      llvm::cl::desc("Batches up to max-batch use the packed tensor-core "
                     "GEMM where the weight allows (false: the CUDA-core "
                     "GEMV)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> mmaPrefetch{
      *this, "mma-prefetch",
      llvm::cl::desc("Chunks of code words each warp of the packed GEMMs "
                     "keeps in flight, 1 to 8 (0: 4 for up to 16 rows, "
                     "else 2)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> mmaAStages{
      *this, "mma-a-stages",
      llvm::cl::desc("Shared-memory stages of the activation tile in the "
                     "packed GEMM when its warps share rows, 2 to 8 (0: A "
                     "fragments from global memory)"),
      llvm::cl::init(4)};
  PassOptions::Option<bool> deviceWeights{
      *this, "device-weights",
      llvm::cl::desc("Weight tables in the kernel module (uploaded once); "
                     "false: copied at every call"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseEpilogue{
      *this, "fuse-epilogue",
      llvm::cl::desc("Elementwise ops after a matmul run in its kernel"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> keepOnDevice{
      *this, "keep-on-device",
      llvm::cl::desc("Results a later kernel reads stay in device memory"),
      llvm::cl::init(true)};
};
} // namespace

void mlir::qsl::registerGpuPipeline() {
  PassPipelineRegistration<GpuPipelineCLOptions>(
      "qsl-gpu-pipeline",
      "qsl-lower-to-gpu, then the kernels through NVVM to PTX/cubin "
      "(gpu-module-to-binary); the host side stays gpu.launch_func",
      [](OpPassManager &pm, const GpuPipelineCLOptions &cl) {
        GpuPipelineOptions options;
        options.chip = cl.chip;
        options.format = cl.format;
        options.warps = cl.warps;
        options.maxBatch = cl.maxBatch;
        options.tensorCores = cl.tensorCores;
        options.mmaGemv = cl.mmaGemv;
        options.mmaPrefetch = cl.mmaPrefetch;
        options.mmaAStages = cl.mmaAStages;
        options.deviceWeights = cl.deviceWeights;
        options.fuseEpilogue = cl.fuseEpilogue;
        options.keepOnDevice = cl.keepOnDevice;
        buildGpuPipeline(pm, options);
      });
}
