// REQUIRES: ptxas
// Invalid PTX fails here: ptxas assembles what qsl-gpu-pipeline emits, and
// format=bin (gpu-module-to-binary calling ptxas itself) gives a cubin.
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin
// RUN: qsl-opt %S/Inputs/kernels.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// The tensor-core GEMM (mma.sync) for both chips.
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tg90.ptx
// RUN: %ptxas -arch=sm_90 %tg90.ptx -o %tg90.cubin
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tg80.ptx
// RUN: %ptxas -arch=sm_80 %tg80.ptx -o %tg80.cubin
// The packed GEMM staging activations in shared memory (cp.async, ldmatrix).
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tst90.ptx
// RUN: %ptxas -arch=sm_90 %tst90.ptx -o %tst90.cubin
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tst80.ptx
// RUN: %ptxas -arch=sm_80 %tst80.ptx -o %tst80.cubin
// The composed GEMV and the low-rank input kernel.
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tc90.ptx
// RUN: %ptxas -arch=sm_90 %tc90.ptx -o %tc90.cubin
// The sparse tensor-core GEMM (mma.sp).
// RUN: %python %S/../../GPU/Inputs/gen_sparse24.py --ptx-only > %tsp.mlir
// RUN: qsl-opt %tsp.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tsp90.ptx
// RUN: %ptxas -arch=sm_90 %tsp90.ptx -o %tsp90.cubin
// RUN: qsl-opt %tsp.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tsp80.ptx
// RUN: %ptxas -arch=sm_80 %tsp80.ptx -o %tsp80.cubin
// Convolutions as implicit GEMMs (mma.sync and mma.sp).
// RUN: %python %S/../../GPU/Inputs/gen_conv.py --ptx-only > %tcv.mlir
// RUN: qsl-opt %tcv.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcv90.ptx
// RUN: %ptxas -arch=sm_90 %tcv90.ptx -o %tcv90.cubin
// RUN: qsl-opt %tcv.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcv80.ptx
// RUN: %ptxas -arch=sm_80 %tcv80.ptx -o %tcv80.cubin
// Codebook weights on the GEMV and the GEMM.
// RUN: %python %S/../../GPU/Inputs/gen_codebook.py --ptx-only > %tcb.mlir
// RUN: qsl-opt %tcb.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcb90.ptx
// RUN: %ptxas -arch=sm_90 %tcb90.ptx -o %tcb90.cubin
// RUN: qsl-opt %tcb.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcb80.ptx
// RUN: %ptxas -arch=sm_80 %tcb80.ptx -o %tcb80.cubin
// Tensor-core kernels with outlier and low-rank correction terms.
// RUN: %python %S/../../GPU/Inputs/gen_corrected.py --ptx-only > %tcr.mlir
// RUN: qsl-opt %tcr.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcr90.ptx
// RUN: %ptxas -arch=sm_90 %tcr90.ptx -o %tcr90.cubin
// RUN: qsl-opt %tcr.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %tcr80.ptx
// RUN: %ptxas -arch=sm_80 %tcr80.ptx -o %tcr80.cubin
// RUN: env PATH=$(dirname %ptxas):%PATH% qsl-opt %S/Inputs/kernels.mlir --qsl-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s
// CHECK: gpu.binary @qsl_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {{.*}}, bin = "
