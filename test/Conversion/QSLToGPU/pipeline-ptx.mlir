// PTX for sm_80 and sm_90 (format=isa needs no CUDA toolkit).
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" -o %t80.mlir
// RUN: FileCheck %s --check-prefix=HOST < %t80.mlir
// RUN: %python %S/Inputs/extract_ptx.py %t80.mlir | FileCheck %s --check-prefixes=PTX,SM80
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefixes=PTX,SM90

// HOST: module attributes {gpu.container_module}
// HOST: gpu.launch_func @qsl_kernels::@qsl_gemv_0
// HOST: gpu.binary @qsl_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">

// SM80: .target sm_80
// SM90: .target sm_90
// The weight tables (packed i32 code words, f32 scales and zeros) are
// initialised .global arrays of the module, uploaded once when the driver
// loads it; each kernel takes only the activations and the output: 2
// memrefs of 7 params each.
// PTX-DAG: .visible .global .align 16 .b8 qsl_gpu_codes_0[24] = {16, 50, 84, 118,
// PTX-DAG: .visible .global .align 16 .b8 qsl_gpu_scales_0[36]
// PTX-LABEL: .entry qsl_gemv_0(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX: ld.global.b32
// PTX: bfe.u32
// PTX: cvt.rn.f32.u32
// PTX: sub.rn.f32
// PTX: shfl.sync.bfly.b32
// PTX: st.global.b32
// PTX-LABEL: .entry qsl_gemv_1(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX: ld.global.b32
// PTX: cvt.rn.f32.s32
// PTX: shfl.sync.bfly.b32
// PTX-LABEL: .entry qsl_gemv_2(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX: ld.global.b32
// PTX: ld.global.b16
// PTX: cvt.f32.f16
// PTX: shfl.sync.bfly.b32
// PTX: cvt.rn.f16.f32
// PTX: st.global.b16
