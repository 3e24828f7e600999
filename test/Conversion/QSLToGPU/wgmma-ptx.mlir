// REQUIRES: ptxas
// chip=sm_90a: the packed GEMMs over several row blocks with f16
// activations run on the warpgroup MMA (WgmmaKernel.cpp); f32 activations
// and convolutions keep the mma.sync kernels. The PTX targets sm_90a
// (wgmma is arch-specific), ptxas assembles it, and does so without
// serializing the wgmma (what it does, with warning C7514, when it cannot
// prove the accumulator and A registers untouched while one is in flight:
// a zeroed accumulator copied from another, or the last wait after the
// loop with the stores' address arithmetic scheduled before it, did).
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-gpu-pipeline="chip=sm_90a format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS
// The same for every case of the execution test (row edges guarded or not,
// 2 to 8 bits, one group per chunk or several, two stages or more).
// RUN: %python %S/../../GPU/Inputs/gen_wgmma.py > %tgen.mlir
// RUN: qsl-opt %tgen.mlir --qsl-gpu-pipeline="chip=sm_90a format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tgen.ptx
// RUN: %ptxas -arch=sm_90a -v %tgen.ptx -o %tgen.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS
// RUN: FileCheck %s --check-prefix=GEN < %tgen.ptx
// GEN: .version 8.2
// GEN: .target sm_90a
// GEN-LABEL: .entry qsl_spmma_7(
// GEN: wgmma.mma_async.sp.sync.aligned.m64n128k32.f32.f16.f16
// chip=sm_90 keeps mma.sync everywhere.
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=SM90

// CHECK: .target sm_90a
// int4, 130 rows of f16: blocks of 128 rows, wgmma n128.
// CHECK-LABEL: .entry qsl_gemm_0(
// CHECK: cp.async.cg.shared.global
// CHECK: wgmma.wait_group.sync.aligned 1;
// CHECK: cp.async.wait_group 1;
// CHECK: fence.proxy.async.shared::cta;
// CHECK: bar.sync 0;
// CHECK: wgmma.fence.sync.aligned;
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// CHECK: wgmma.commit_group.sync.aligned;
// CHECK: wgmma.wait_group.sync.aligned 1;
// CHECK: wgmma.wait_group.sync.aligned 0;
// CHECK-NOT: mma.sync
// CHECK: ret;
// f32 activations: mma.sync with ldmatrix-free f32 pairs.
// CHECK-LABEL: .entry qsl_gemm_1(
// CHECK-NOT: wgmma
// CHECK: mma.sync.aligned.m16n8k16
// CHECK: ret;
// int2, 96 rows: wgmma n96, chunks of 4 k-steps (3 stages of 12 KiB:
// three k-steps' wgmma in flight while the fourth is decoded).
// CHECK-LABEL: .entry qsl_gemm_2(
// CHECK: wgmma.wait_group.sync.aligned 3;
// CHECK-COUNT-8: wgmma.mma_async.sync.aligned.m64n96k16.f32.f16.f16
// CHECK: ret;

// PTXAS-NOT: serialized
// PTXAS-NOT: {{[1-9][0-9]*}} bytes spill stores
// PTXAS: Compiling entry function 'qsl_gemm_0' for 'sm_90a'

// SM90: .target sm_90
// SM90-NOT: wgmma
