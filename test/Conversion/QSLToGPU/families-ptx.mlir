// The newer kernel families in PTX for sm_80 and sm_90, from the GPU
// execution tests' generators: their key instructions, and only
// activations and outputs (2 pointers per memref) as parameters; every
// weight table is a .global array of the module. ptxas.mlir assembles the
// same PTX.
// RUN: %python %S/../../GPU/Inputs/gen_conv.py --ptx-only > %tconv.mlir
// RUN: %python %S/../../GPU/Inputs/gen_codebook.py --ptx-only > %tcb.mlir
// RUN: %python %S/../../GPU/Inputs/gen_corrected.py --ptx-only > %tcr.mlir
// RUN: for chip in sm_80 sm_90; do \
// RUN:   qsl-opt %tconv.mlir --qsl-gpu-pipeline="chip=$chip format=isa" | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=CONV; \
// RUN:   qsl-opt %tcb.mlir --qsl-gpu-pipeline="chip=$chip format=isa" | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=CB; \
// RUN:   qsl-opt %tcr.mlir --qsl-gpu-pipeline="chip=$chip format=isa" | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=CR; \
// RUN: done

// Convolutions: implicit GEMMs on mma.sync / mma.sp (image and output
// only), grouped ones on CUDA cores (no mma).
// CONV: .global .align 16 .b8 qsl_gpu_codes_0
// CONV-LABEL: .entry qsl_gemm_0(
// CONV-COUNT-2: .param .u64 .ptr
// CONV-COUNT-2: .param .u64 .ptr
// CONV-NOT: .param .u64 .ptr
// CONV: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CONV-LABEL: .entry qsl_spmma_1(
// CONV: mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32
// CONV-LABEL: .entry qsl_gemm_2(
// CONV: mma.sync.aligned
// CONV-LABEL: .entry qsl_spmma_3(
// CONV: mma.sp.sync.aligned
// CONV-LABEL: .entry qsl_gconv_4(
// CONV-COUNT-4: .param .u64 .ptr
// CONV-NOT: .param .u64 .ptr
// CONV-NOT: mma
// CONV: ld.global.b32
// CONV: st.global.b32
// CONV-LABEL: .entry qsl_gconv_5(
// CONV-NOT: mma
// CONV: ret;

// Codebooks: the GEMV (warp shuffles) and the GEMM read the [N, G*E] table.
// CB: .global .align 16 .b8 qsl_gpu_codebook_0
// CB-LABEL: .entry qsl_gemv_0(
// CB-COUNT-4: .param .u64 .ptr
// CB-NOT: .param .u64 .ptr
// CB: shfl.sync.bfly.b32
// CB-LABEL: .entry qsl_gemm_1(
// CB: mma.sync.aligned.m16n8k16
// CB-LABEL: .entry qsl_gemm_2(
// CB: mma.sync.aligned.m16n8k16
// CB: st.global.b16

// Correction terms: the GEMMs take x, t and y (t from the qsl_lrgemm
// tensor-core GEMM on the f16 table of A_in).
// CR-LABEL: .entry qsl_gemm_0(
// CR-COUNT-6: .param .u64 .ptr
// CR-NOT: .param .u64 .ptr
// CR: mma.sync.aligned.m16n8k16
// CR-LABEL: .entry qsl_lrgemm_0(
// CR: mma.sync.aligned.m16n8k16
// CR-LABEL: .entry qsl_spmma_1(
// CR-COUNT-6: .param .u64 .ptr
// CR-NOT: .param .u64 .ptr
// CR: mma.sp.sync.aligned.m16n8k32
