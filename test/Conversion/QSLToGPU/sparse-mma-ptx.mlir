// The sparse tensor-core GEMM (2:4 along K above max-batch) in PTX for
// sm_80 and sm_90: one mma.sp m16n8k32 per 8-row m-tile, weights as module
// globals (only activations and output are parameters). The kernels come
// from the GPU execution test's generator; ptxas.mlir assembles them.
// RUN: %python %S/../../GPU/Inputs/gen_sparse24.py --ptx-only > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefixes=PTX,SM80
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefixes=PTX,SM90

// SM80: .target sm_80
// SM90: .target sm_90
// Five kernels, each with 2 memrefs of 7 params and 4 sparse mmas.
// PTX-LABEL: .entry qsl_spmma_0(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: st.global.b32
// f16 output: 16-bit stores.
// PTX-LABEL: .entry qsl_spmma_1(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX: st.global.b16
// PTX-LABEL: .entry qsl_spmma_2(
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry qsl_spmma_3(
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry qsl_spmma_4(
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sp
// PTX: ret;
