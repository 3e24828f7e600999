// The tensor-core GEMM in PTX for sm_80 and sm_90 (format=isa needs no CUDA
// toolkit; ptxas.mlir assembles it).
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefixes=PTX,SM80
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t90.ptx
// RUN: FileCheck %s --check-prefixes=PTX,SM90 < %t90.ptx
// RUN: FileCheck %s --check-prefix=OPS < %t90.ptx

// SM80: .target sm_80
// SM90: .target sm_90
// Activations and output: 2 memrefs of 7 params (the code words, scales
// and zeros are .global arrays of the module); no dense weight anywhere.
// PTX-LABEL: .entry qsl_gemm_0(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// One mma per n-tile (LLVM rotates the loop's blocks, so the order of the
// other instructions around them is checked under OPS).
// PTX-COUNT-4: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: st.global.b32
// Symmetric int8 with f16 activations and output.
// PTX-LABEL: .entry qsl_gemm_1(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-4: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: st.global.b16
// N = 1: the n-tiles past column 8 never store, and their mma is dropped.
// PTX-LABEL: .entry qsl_gemm_2(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: ret;

// Code words in 32-bit loads, f32 activations and dequantized weights to
// f16; f16 activations as 16-bit loads.
// OPS-LABEL: .entry qsl_gemm_0(
// OPS-DAG: ld.global.b32
// OPS-DAG: cvt.rn.f16.f32
// OPS-LABEL: .entry qsl_gemm_1(
// OPS-DAG: ld.global.b16
// OPS-DAG: ld.global.b32
