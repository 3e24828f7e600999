//===- Passes.td - QSL conversion passes --------------------*- tablegen -*-===//
#ifndef QSL_CONVERSION_PASSES_TD
#define QSL_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QslLowerToLinalgPass : Pass<"qsl-lower-to-linalg", "ModuleOp"> {
  let summary = "Reference lowering: encoded tensors become their exact dense "
                "approximation, qsl.matmul/qsl.conv2d become linalg";
  let description = [{
    Defines what every `qsl` op means, and is the oracle every fused kernel is
    tested against.

    * An encoded tensor value becomes its side tensors (a 1:N type
      conversion, also applied to function signatures, calls and returns):
      `tensor<64x64xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>>`
      becomes `tensor<64x64xi4>, tensor<1x64xf16>`.
    * `qsl.constant` becomes one `arith.constant` per side tensor (resource
      blobs stay resources).
    * `qsl.unpack` and the weights of `qsl.matmul`/`qsl.conv2d` are rebuilt
      densely with `linalg.generic`, `tensor` and `scf` ops:
      `round_T(select(M, deq(Q), 0) + scatter(O) + U·V)`, computed in f32.
    * `qsl.matmul` becomes a `linalg.generic` contraction over the batch, M,
      N and K dimensions; `qsl.conv2d` becomes `tensor.pad` plus a grouped
      convolution `linalg.generic`; both accumulate in f32.

    `qsl.pack` of a value computed at run time has no reference lowering:
    compression passes replace packs of constants with `qsl.constant`, and
    the pass reports any pack that is left.

    Example:

    ```mlir
    %d = qsl.unpack %w : tensor<2x4xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
                      -> tensor<2x4xf32>
    ```
    becomes a `linalg.generic` that places each kept value at the position
    its metadata names and zero elsewhere.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def QslLowerToGpuPass : Pass<"qsl-lower-to-gpu", "ModuleOp"> {
  let summary = "Compressed qsl.matmul/qsl.conv2d become GPU kernels that "
                "decode weights inside the K loop (GEMV, tensor-core GEMM, "
                "composed GEMV, 2:4 sparse tensor cores)";
  let description = [{
    Rewrites every `qsl.matmul` (and `qsl.conv2d`, below) whose weight is a
    `qsl.constant` and whose input has a static shape into kernels in the
    `gpu.module @qsl_kernels` and `gpu.launch_func`s on the host. The
    kernel families:

    * weight-only quantization (a `quant` facet alone: 2 to 8 bits,
      group-wise or per-channel scales, symmetric or asymmetric, or
      codebooks, groups along the reduction axis: `axis = 0` for `[K, N]`
      weights, `axis = 1` with `transpose_w`): the GEMV for inputs of at most `max-batch` rows, the
      tensor-core GEMM above (unless `tensor-cores=false`, which leaves
      those on the CPU path);
    * the composed encoding `deq(Q)⊙M + O + U·V` (N:M sparsity along K,
      outliers and/or a low-rank term, on a quantized main term, a float
      N:M main term, or none; the main term may also be codebook codes)
      for inputs of at most `max-batch` rows: the composed GEMV, after the
      fused low-rank chain (`qsl_lrchain_<i>`) for a low-rank term;
    * a weight that is low rank alone above `max-batch`: two mma.sync
      GEMMs on f16 factor tables (`qsl_lrgemm_<i>` for `t = x·A_inᵀ`, then
      `qsl_gemm_<i>`);
    * unstructured or block sparsity (float values, or codes dequantized
      into the table at compile time), and outliers alone above
      `max-batch`: the CSC kernel (`qsl_csc_<i>`, a thread per output
      element over its column's entries) at any batch;
    * 2:4 sparsity along K (quantized or float main term, nothing else)
      above `max-batch`: the sparse tensor-core GEMM (`qsl_spmma_<i>`,
      `nvgpu.mma.sp.sync` m16n8k32 on `yᵀ = Wᵀ·xᵀ`, the weight being the
      sparse operand), with the metadata registers laid out per lane at
      compile time and every weight table padded to whole warps and K
      steps (docs/codegen/gpu.md).

    Above `max-batch`, outliers and a low-rank term next to a main term are
    added by the tensor-core kernels to each result before its store (the
    column's outliers; `t[row, :]·B_out[col, :]` with `t = x·A_inᵀ` from
    the tensor-core GEMM `qsl_lrgemm_<i>` on an f16 table of `A_in`).

    `qsl.conv2d` (groups = 1) on an encoded filter runs on the tensor-core
    families as an implicit GEMM over the filter's matrix view
    `[O, C*kh*kw]`: rows are output pixels, activations are read from the
    NCHW image where im2col would put them (zero in the padding) and
    results are stored as `[images, O, OH*OW]`, expanded to NCHW on the
    host; a bias along the channels (ONNX Conv + Add) fuses like a matmul's.

    The GEMV is the bandwidth-bound path for batch 1–8: one warp per
    output column, `warps` columns per block. The codes are repacked at
    compile time into `[N, W]` 32-bit words (`W = ceil(K / (32 / bits))`,
    each row word-aligned, see docs/codegen/gpu.md); each lane loads whole
    words, unpacks and dequantizes `(q - z) * s` in registers, multiplies
    with the activations of all batch rows, and the warp reduces its
    partial sums with `gpu.shuffle xor`. No dense weight exists in global
    memory. K that is not a multiple of the codes per word and N that is
    not a multiple of `warps` are guarded.

    The GEMM (`qsl_gemm_<i>`) is the compute-bound path: `nvgpu.mma.sync`
    m16n8k16 with f16 operands and f32 accumulators (sm_80 and later). Each
    warp owns a 16 x 32 output tile (four 8-column n-tiles) and walks K in
    steps of 16; every lane loads its 8 activation values of the A fragment
    (converted to f16) and dequantizes its 4 values of each B fragment
    straight from the code words into registers, so again no dense weight
    exists in any memory. M, N and K that are not multiples of the tile
    (16, 32 * `warps`, 16) are guarded; fragments are zero outside. The grid
    is `ceil(N / (32 * warps))` x `ceil(M / 16)` blocks.

    The composed GEMV (`qsl_gemv_<i>`) gives each output column one warp
    that sums, in registers, the column's kept codes (with N:M sparsity,
    each kept code's dense K position comes from packed meta words and
    picks the scale group) and the column's outliers (CSC-ordered at
    compile time), reduces once, adds the low-rank chain's value and stores
    once. The chain (`qsl_lrchain_<i>`) splits the rank across blocks: each
    block's warps reduce its components of `t = x·A_inᵀ` into workgroup
    memory, then its threads add `t·B_outᵀ` for every output to a zeroed f32
    buffer with atomics, so `t` never leaves the chip and both factors are
    read once.

    Weight tables (code words, scales, zeros, meta words, outlier lists,
    low-rank factors) are repacked at compile time. With `device-weights`
    (the default) they become initialised globals of the kernel module in
    the global address space: the driver uploads them once, when it loads
    the module, and each kernel reads them through `memref.get_global`, so
    a call moves only activations and results. With `device-weights=false`
    they are host globals copied to the device before every launch.

    Epilogue fusion (`fuse-epilogue`, default on): the f32 elementwise
    `linalg.generic` ops after the matmul that read its result or each
    other's, splat constants, one constant vector along N (the bias, from
    an ONNX Gemm or MatMul + Add), one run-time tensor of the result's
    shape (a residual, which becomes a kernel argument), with bodies of
    `arith` and `math` ops (Relu, Gelu also as exported DAG, Sigmoid,
    SiLU, ...), optionally ending in a cast to f16 (the kernel then stores
    f16), and of which only the last value is used elsewhere, are applied
    to every output value in the kernel just before its store (the bias as
    a module global); those ops disappear from the host code.

    The host side moves the activations in with `bufferization.to_buffer`,
    copies operands to device memory (`gpu.alloc`/`gpu.memcpy`), launches
    the kernel and returns the result as a tensor, so the rest of the
    function stays on the CPU path. Matmuls the kernel does not cover are
    left alone (and keep their `qsl-lower-to-linalg` lowering).

    With `keep-on-device` (default), a kernel's result that a later kernel
    reads as its activation or fused residual is handed over in device
    memory: the copy back in goes, and so does the copy out when nothing on
    the CPU reads the result.

    Example: `qsl-opt --qsl-lower-to-gpu x.mlir`, or
    `--qsl-gpu-pipeline="chip=sm_90 format=isa"` for PTX.
  }];
  let options = [
    Option<"warps", "warps", "int64_t", "4",
           "Warps (output columns) per thread block">,
    Option<"maxBatch", "max-batch", "int64_t", "8",
           "Largest number of activation rows the GEMV kernel takes">,
    Option<"fuseEpilogue", "fuse-epilogue", "bool", "true",
           "Run the elementwise chain after each matmul (bias add, "
           "activations) inside the kernel, before its store">,
    Option<"deviceWeights", "device-weights", "bool", "true",
           "Weight tables live in the kernel module (uploaded once, at module "
           "load); false copies them to the device at every call">,
    Option<"keepOnDevice", "keep-on-device", "bool", "true",
           "A kernel's result that is a later kernel's activation or "
           "residual stays in device memory (no copy out and back in)">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "Inputs of more than max-batch rows use the mma.sync GEMM "
           "(false: they stay on the CPU path)">,
    Option<"mmaGemv", "mma-gemv", "bool", "true",
           "Up to max-batch rows, a quantized weight that the packed "
           "tensor-core GEMM takes uses it (rows padded to a 16-row tile) "
           "instead of the CUDA-core GEMV; needs tensor-cores">,
    Option<"mmaPrefetch", "mma-prefetch", "int64_t", "0",
           "Chunks of code words each warp of the packed tensor-core GEMMs "
           "keeps in flight ahead of the one it decodes, 1 to 8; 0 picks "
           "(4 for up to 16 rows, else 2)">,
    Option<"mmaAStages", "mma-a-stages", "int64_t", "4",
           "Shared-memory stages of the activation tile (cp.async and "
           "ldmatrix) in the packed tensor-core GEMM when its warps share "
           "rows (more rows than one block takes; f16 or f32 [M, K] "
           "activations in whole 16-byte granules per row, a 1x1 "
           "convolution's image, or an f32 image gathered per element), 2 "
           "to 8; 0 reads them from global memory">,
    Option<"wgmma", "wgmma", "bool", "false",
           "The packed dense GEMM over several row blocks multiplies with "
           "sm_90a's warpgroup MMA (wgmma.mma_async, A = the decoded "
           "weight in registers, B = the staged f16 activations); needs a "
           "sm_90a target (qsl-gpu-pipeline chip=sm_90a sets it) and "
           "mma-a-stages >= 2">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::ub::UBDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def QslGpuEmulatePass : Pass<"qsl-gpu-emulate", "ModuleOp"> {
  let summary = "Runs the module's GPU kernels on the CPU through "
                "libqsl_gpu_emulator (testing kernels where no GPU is)";
  let description = [{
    Takes a module whose kernels were lowered to NVVM but not serialized
    (`qsl-gpu-pipeline{format=emulator}`) and whose host side was lowered to
    the LLVM dialect (`gpu-to-llvm` and the usual host passes), and makes it
    a plain host module for `mlir-runner` with `libqsl_gpu_emulator.so`:

    * the kernels and globals of every `gpu.module` move into the host
      module (`__qsl_emu_<module>_<name>`); pointers lose their address
      space;
    * NVVM special registers, `nvvm.shfl.sync`, `nvvm.mma.sync`
      (m16n8k16.row.col, f16 operands, f32 accumulators), the inline-asm
      `mma.sp.sync ... m16n8k32 ... f16 ... f32` that `nvgpu.mma.sp.sync`
      lowers to, and `nvvm.barrier0` become calls into the emulator, which
      runs a block's threads as fibers and performs each warp collective
      once all 32 lanes have reached it (as the PTX ISA defines it);
    * every `gpu.launch_func` becomes `qsl_emu_launch` with CUDA's
      kernel-parameter array.

    Any other NVVM op or inline asm is an error naming it. The emulator
    checks what kernels compute (indexing, guards, decoding, fragment
    layouts, collectives that every lane must reach), not their speed; see
    docs/codegen/gpu-emulator.md.

    ```
    qsl-opt m.mlir --qsl-gpu-pipeline="format=emulator" <host lowering> \
        --qsl-gpu-emulate --reconcile-unrealized-casts \
      | mlir-runner -e main -entry-point-result=void \
          -shared-libs=libqsl_gpu_emulator.so,...
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // QSL_CONVERSION_PASSES_TD
