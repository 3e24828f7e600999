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
// The [nPad, K/2] kernel (int4 with groups of 8, int2, int3: 4 m-tiles)
// and the packed 2:4 GEMM (float values; int8 with groups of 32), each with
// 2 memrefs of 7 params.
// PTX-LABEL: .entry qsl_spmma_0(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: st.global.b32
// Float values, 16 rows: one row block of two m-tiles; f16 output.
// PTX-LABEL: .entry qsl_spmma_1(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-2: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sp.sync
// PTX: st.global.b16
// int8, batch 512: 8 m-tiles per warp, two steps per chunk (f32
// activations, not staged).
// PTX-LABEL: .entry qsl_spmma_2(
// PTX-COUNT-16: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sp.sync
// PTX-NOT: ldmatrix
// PTX-LABEL: .entry qsl_spmma_3(
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry qsl_spmma_4(
// PTX-COUNT-4: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// Float values, batch 100, f16: the activations staged in shared memory,
// one ldmatrix.x4 per m-tile for its B fragment.
// PTX-LABEL: .entry qsl_spmma_8(
// PTX: cp.async.cg.shared.global
// PTX: cp.async.wait_group 2;
// PTX-NEXT: bar.sync 0;
// PTX-COUNT-8: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-LABEL: .entry qsl_spmma_9(
// PTX-NOT: ldmatrix
// PTX: ret;
