// Seeded random matmuls (every GEMV and tensor-core family, each facet of
// the composed encoding independently) and convolutions (implicit GEMMs on
// mma.sync / mma.sp, grouped and depthwise on CUDA cores, outliers, low
// rank, scattered entries or no main term, fused bias and ReLU) from
// Inputs/gen_sweep.py; every case runs on a kernel (no CPU fallback), against the qsl-lower-to-linalg
// reference on the CPU. Runs on the GPU where lit finds one, else on the
// SIMT emulator (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// printMemref prints 6 significant digits, hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_sweep.py 1 40 30 > %t.mlir
// No case stays on the CPU path (no remark):
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu=device-weights=false -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --allow-empty --check-prefix=NONE --implicit-check-not=remark
// NONE-NOT: remark
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// Batches up to max-batch on the CUDA-core GEMV instead of the packed GEMM.
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format mma-gemv=false" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.simt
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.simt --rtol 1e-4 --atol 1e-5
// chip=sm_90a on another seed (3), whose staged f16 GEMMs (dense and 2:4)
// take the wgmma kernels; the first module has none.
// RUN: %python %S/Inputs/gen_sweep.py 3 40 30 > %t90a.mlir
// RUN: qsl-opt %t90a.mlir --qsl-lower-to-gpu=wgmma=true | FileCheck %s --check-prefix=WGMMA
// WGMMA: wgmma.mma_async
// RUN: qsl-opt %t90a.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t90a.cpu
// RUN: qsl-opt %t90a.mlir --qsl-gpu-pipeline="chip=sm_90a format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t90a.gpu
// RUN: %python %S/Inputs/compare_printed.py %t90a.cpu %t90a.gpu --rtol 1e-4 --atol 1e-5
