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
// Symmetric int8 with f16 activations and output: the packed GEMM
// (fragment-ordered codes, PackedMmaKernel.cpp). K = 32 is two chunks, so
// two warps each take one; the loop is gone. One mma per n-tile.
// PTX-LABEL: .entry qsl_gemm_1(
// PTX-COUNT-14: .param .
// PTX-NOT: .param .
// PTX-COUNT-4: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// The second warp's partial tile meets the first's in shared memory.
// PTX: st.shared.b32
// PTX: bar.sync 0
// PTX: ld.shared.b32
// PTX: st.global.b16
// N = 1 (int2, 18 rows: two m-tiles): only n-tile 0 exists; a chunk is
// four k-steps, so 4 x 2 mma.
// PTX-LABEL: .entry qsl_gemm_2(
// PTX-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: ret;

// Scale groups of 8 (not whole k-steps): the GEMM on [N, W] code words,
// in 32-bit loads; f32 activations and dequantized weights to f16.
// OPS-LABEL: .entry qsl_gemm_0(
// OPS-DAG: ld.global.b32
// OPS-DAG: cvt.rn.f16.f32
// The packed GEMM: the lane's code words of a chunk in one 16-byte load;
// a code pair is masked, or'ed into the f16 exponent of 1024 and turned
// into weights by two f16x2 operations (symmetric: the constant 1024 + 128
// is added negated); f16 activation pairs as 32-bit loads.
// OPS-LABEL: .entry qsl_gemm_1(
// OPS-DAG: ld.global.v4.b32
// OPS-DAG: and.b32 {{.*}}, 16711935;
// OPS-DAG: or.b32 {{.*}}, 1677747200;
// OPS-DAG: add.rn.f16x2
// OPS-DAG: mul.rn.f16x2
// OPS-DAG: ld.global.b32
// OPS-NOT: cvt.rn.f16.f32
// OPS-LABEL: .entry qsl_gemm_2(
// f32 activation pairs as 64-bit loads, rounded to f16 in pairs; 2-bit
// pairs masked with 0x00030003.
// OPS-DAG: ld.global.v2.b32
// OPS-DAG: cvt.rn.f16x2.f32
// OPS-DAG: and.b32 {{.*}}, 196611;
// OPS-DAG: sub.rn.f16x2
