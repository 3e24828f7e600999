// The composed GEMV of qsl-lower-to-gpu (quantized or float main term with
// N:M sparsity, outliers, low rank, in any combination) on the GPU against
// the qsl-lower-to-linalg reference on the CPU. Both sides compute in f32
// (the kernel sums the terms per lane, the reference densifies W first);
// printMemref prints 6 significant digits, hence rtol 1e-4. With mma-gemv
// (the default) the float 2:4 weight (@f32_24_t) runs on the packed 2:4
// tensor-core GEMM instead (its values are exact in f16); the second run,
// mma-gemv=false, keeps every weight on the composed GEMV.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format mma-gemv=false" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.simt
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.simt --rtol 1e-4 --atol 1e-5

func.func private @printMemrefF32(tensor<*xf32>)

// int4 asymmetric, group 8, 2:4 along K on a [K, N] weight, batch 3.
#a = #qsl.encoding<quant = <bits = 4, axis = 0, group = 8, scale = f32, zero = i8>, sparse = <2:4, axis = 0>>
func.func @int4_24_asym(%x: tensor<3x32xf32>) -> tensor<3x5xf32> {
  %w = qsl.constant values(dense<[[2,2,12,7,9],[9,11,0,7,2],[6,14,8,1,8],[2,12,15,15,9],[13,5,2,8,7],[10,15,4,13,2],[5,12,3,10,7],[8,15,13,13,8],[15,15,2,3,4],[8,13,7,15,5],[14,9,11,3,9],[12,14,13,15,2],[12,7,10,4,0],[1,15,14,4,6],[3,2,13,10,1],[3,9,14,15,3]]> : tensor<16x5xi4>)
         scales(dense<[[0.5,0.0625,0.0625,0.125,0.25],[0.125,0.5,0.25,0.125,1.0],[0.5,0.5,0.5,0.125,1.0],[0.0625,0.125,0.0625,0.0625,1.0]]> : tensor<4x5xf32>)
         zeros(dense<[[1,7,13,11,13],[0,7,0,3,13],[1,9,0,4,14],[5,4,1,12,2]]> : tensor<4x5xi8>)
         meta(dense<[[0,0,1,2,1],[1,2,2,3,3],[0,0,0,1,0],[2,1,3,2,3],[0,2,0,1,1],[1,3,2,2,2],[2,1,0,0,0],[3,3,2,2,2],[0,0,0,1,1],[2,2,2,3,2],[1,0,1,0,0],[3,1,2,2,3],[0,1,0,0,0],[2,3,2,1,1],[2,2,1,1,1],[3,3,3,2,3]]> : tensor<16x5xi2>)
       : tensor<32x5xf32, #a>
  %y = qsl.matmul %x, %w : tensor<3x32xf32>, tensor<32x5xf32, #a> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// A factorized weight (low rank alone), [N, K] with transpose_w, batch 2.
#l = #qsl.encoding<lowrank = <rank = 3, type = f32>>
func.func @lowrank_t(%x: tensor<2x20xf32>) -> tensor<2x7xf32> {
  %w = qsl.constant u(dense<[[-0.875,-0.75,0.125],[0.25,-0.375,0.25],[-0.25,-0.75,-0.375],[-0.25,0.875,-0.75],[-0.875,0.125,0.875],[0.875,0.375,-0.875],[0.625,0.375,-0.75]]> : tensor<7x3xf32>)
         v(dense<[[-0.125,-0.875,0.625,0.375,0.625,0.5,-0.5,0.625,-0.5,-0.75,-0.25,-0.0,-0.375,0.25,0.25,-0.5,0.25,-0.25,0.5,-0.375],[0.625,-0.125,0.125,0.375,0.0,-0.5,1.0,-0.75,-0.375,0.125,-1.0,-0.75,0.625,0.625,0.25,0.75,0.5,-0.375,0.25,-0.375],[0.5,-0.25,-0.75,0.75,0.375,0.5,0.125,0.625,-0.125,0.125,-0.875,0.125,0.625,0.375,0.625,-0.0,0.75,-0.75,0.75,-0.25]]> : tensor<3x20xf32>)
       : tensor<7x20xf32, #l>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x20xf32>, tensor<7x20xf32, #l> -> tensor<2x7xf32>
  return %y : tensor<2x7xf32>
}

// int8 symmetric per channel + outliers (index 17 twice: they add up) +
// rank-2 correction on a [K, N] weight, input [1, 1, K].
#c = #qsl.encoding<quant = <bits = 8, axis = 0, scale = f32>, outliers = <count = 4, type = f32>, lowrank = <rank = 2, type = f32>>
func.func @int8_outl_lr(%x: tensor<1x1x12xf32>) -> tensor<1x1x3xf32> {
  %w = qsl.constant values(dense<[[97,-105,63],[30,-126,-12],[-31,-19,-62],[90,83,-93],[67,29,-81],[-23,-57,7],[-95,-1,-99],[-94,89,3],[-55,92,-43],[-85,102,-126],[113,-111,78],[-11,-96,121]]> : tensor<12x3xi8>)
         scales(dense<[[0.015625,0.00390625,0.03125]]> : tensor<1x3xf32>)
         outlier_indices(dense<[0,17,35,17]> : tensor<4xi32>)
         outlier_values(dense<[0.125,-0.75,-0.125,-0.625]> : tensor<4xf32>)
         u(dense<[[0.375,0.125],[-0.375,-0.5],[0.75,0.5],[-0.125,-0.25],[0.5,1.0],[-0.875,-0.625],[-0.25,0.0],[-0.875,-0.875],[-0.5,-0.25],[0.5,0.25],[-1.0,-0.875],[-0.125,0.75]]> : tensor<12x2xf32>)
         v(dense<[[0.875,-0.25,0.75],[0.875,-0.125,0.5]]> : tensor<2x3xf32>)
       : tensor<12x3xf32, #c>
  %y = qsl.matmul %x, %w : tensor<1x1x12xf32>, tensor<12x3xf32, #c> -> tensor<1x1x3xf32>
  return %y : tensor<1x1x3xf32>
}

// 2:4 along K with f32 kept values (no quantization) + outliers, [N, K]
// with transpose_w, batch 4.
#f = #qsl.encoding<sparse = <2:4, axis = 1>, outliers = <count = 2, type = f32>>
func.func @f32_24_t(%x: tensor<4x8xf32>) -> tensor<4x6xf32> {
  %w = qsl.constant values(dense<[[-0.25,-0.75,0.125,-0.875],[0.375,0.625,0.875,-0.125],[-0.75,0.75,0.75,0.875],[0.25,0.375,-0.25,-0.625],[-0.375,0.5,-0.375,0.375],[0.0,-0.125,0.875,-0.625]]> : tensor<6x4xf32>)
         meta(dense<[[0,2,0,3],[2,3,1,3],[0,3,1,3],[0,3,1,3],[0,1,1,3],[1,2,2,3]]> : tensor<6x4xi2>)
         outlier_indices(dense<[5,40]> : tensor<2xi32>)
         outlier_values(dense<[0.0,-0.25]> : tensor<2xf32>)
       : tensor<6x8xf32, #f>
  %y = qsl.matmul %x, %w transpose_w : tensor<4x8xf32>, tensor<6x8xf32, #f> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// Every facet at once: int2 asymmetric group 4, 2:4 along K, 9 outliers,
// rank 4; [N = 40, K = 24] with transpose_w (10 blocks of 4 warps), batch 8.
#e = #qsl.encoding<quant = <bits = 2, axis = 1, group = 4, scale = f32, zero = i8>, sparse = <2:4, axis = 1>, outliers = <count = 9, type = f32>, lowrank = <rank = 4, type = f32>>
func.func @full_t(%x: tensor<8x24xf32>) -> tensor<8x40xf32> {
  %w = qsl.constant values(dense<[[1,2,1,2,0,0,3,3,0,0,0,3],[1,1,2,2,1,0,1,3,2,1,0,2],[0,3,2,2,2,1,3,0,1,2,3,0],[0,3,0,3,2,0,0,0,0,2,0,1],[1,0,1,2,2,2,3,0,1,2,0,1],[2,2,0,1,1,1,1,3,1,2,0,3],[2,1,2,3,2,3,3,3,1,3,2,1],[1,0,0,0,3,3,2,1,3,0,3,3],[3,2,0,0,0,3,0,3,1,3,2,0],[1,2,2,0,3,2,0,0,2,0,0,1],[0,1,2,0,2,2,1,0,1,1,3,0],[1,2,0,2,0,1,0,0,3,3,0,3],[3,2,0,2,1,1,2,0,1,3,1,2],[0,2,1,2,0,0,0,0,3,2,1,0],[1,0,2,2,3,3,1,1,1,3,2,1],[3,2,2,2,0,2,0,0,3,0,2,0],[3,0,3,3,1,3,0,3,3,0,2,2],[2,0,2,0,1,1,1,3,2,1,1,2],[2,3,3,3,3,2,1,1,1,1,3,2],[1,3,3,0,0,1,1,0,2,2,3,2],[3,1,0,2,2,1,2,0,0,1,3,3],[2,1,3,3,0,2,2,3,1,1,2,2],[2,1,2,3,1,0,2,1,1,3,3,0],[1,2,1,3,1,3,1,3,3,1,1,0],[3,0,2,1,3,2,0,3,3,2,3,2],[2,3,2,0,2,2,1,2,2,0,0,3],[0,0,2,0,1,3,3,3,1,1,3,3],[3,2,3,1,3,1,0,2,0,0,0,1],[1,0,0,0,0,3,0,1,3,1,1,2],[2,0,1,1,2,1,3,1,1,1,2,1],[0,1,1,1,0,3,1,2,1,2,2,1],[1,2,1,1,3,0,0,1,0,2,0,0],[3,2,2,0,2,0,3,0,0,3,3,0],[0,3,2,2,2,2,3,0,0,0,1,0],[0,1,1,3,3,1,3,3,2,2,3,0],[3,0,1,3,3,0,1,3,0,1,2,0],[2,1,2,3,2,3,0,3,2,3,3,2],[2,2,3,0,2,3,3,1,0,1,3,1],[1,0,3,1,1,0,2,1,3,3,2,0],[2,3,3,1,0,0,0,2,2,1,3,0]]> : tensor<40x12xi2>)
         scales(dense<[[0.5,1.0,0.125,0.25,0.0625,0.125],[0.25,0.5,0.25,0.5,0.25,0.0625],[0.5,0.0625,0.125,1.0,1.0,1.0],[0.125,0.5,0.0625,0.5,0.125,0.0625],[1.0,0.25,0.0625,0.5,0.125,0.5],[1.0,0.125,0.125,0.0625,1.0,0.125],[0.0625,0.25,1.0,0.0625,0.125,1.0],[0.0625,0.0625,0.5,0.0625,1.0,1.0],[1.0,0.5,0.5,0.0625,1.0,1.0],[1.0,0.5,0.25,0.0625,0.0625,0.5],[1.0,0.5,0.125,0.5,0.125,0.0625],[0.25,1.0,0.0625,0.125,0.0625,0.125],[0.125,0.0625,0.25,1.0,0.5,1.0],[1.0,1.0,1.0,0.0625,1.0,0.0625],[0.5,1.0,0.5,0.5,0.25,0.125],[0.0625,0.5,0.0625,0.25,0.5,0.0625],[0.125,1.0,0.5,0.5,0.25,1.0],[0.0625,0.125,0.25,0.0625,0.25,0.25],[0.0625,0.0625,0.125,1.0,0.125,0.5],[0.125,0.125,0.5,1.0,0.0625,0.0625],[0.25,0.25,0.5,0.5,1.0,1.0],[0.0625,0.125,0.0625,1.0,0.0625,0.5],[0.125,0.125,0.0625,1.0,0.0625,1.0],[0.125,0.0625,0.125,0.125,0.25,0.25],[0.5,0.25,0.125,0.125,0.0625,0.25],[0.0625,0.25,0.125,0.5,0.0625,0.25],[0.25,0.25,1.0,0.25,0.5,0.0625],[0.125,0.25,0.0625,1.0,0.0625,0.5],[0.25,0.5,0.125,1.0,0.5,0.0625],[0.0625,0.125,0.125,1.0,0.5,0.5],[0.25,0.0625,0.25,0.5,1.0,0.125],[0.0625,0.125,0.0625,0.125,0.25,0.5],[0.25,0.0625,1.0,0.125,1.0,0.0625],[0.25,0.5,0.5,1.0,0.5,0.125],[0.0625,0.5,0.5,0.25,0.125,0.0625],[0.125,0.125,0.0625,0.0625,0.0625,0.5],[1.0,0.5,0.5,0.125,0.5,0.5],[0.125,0.0625,0.25,1.0,0.0625,0.125],[0.5,0.125,1.0,0.25,0.5,0.0625],[1.0,0.125,0.125,0.25,0.5,0.125]]> : tensor<40x6xf32>)
         zeros(dense<[[0,3,2,3,0,3],[2,3,2,0,1,1],[1,1,2,0,1,3],[1,0,0,3,1,1],[3,0,3,0,1,1],[3,2,3,3,0,2],[1,3,2,2,1,2],[3,0,1,3,2,2],[2,1,0,1,3,0],[1,0,0,2,0,3],[1,2,2,3,1,1],[3,2,1,0,3,0],[0,3,1,0,0,1],[1,1,1,2,1,1],[3,2,2,1,2,2],[1,1,3,1,2,0],[2,0,3,1,2,2],[1,0,1,2,3,3],[3,3,3,1,0,3],[1,2,3,3,0,3],[3,0,2,0,0,2],[1,2,0,0,2,0],[2,0,0,0,1,0],[3,0,0,2,2,2],[3,2,2,1,0,3],[3,2,2,1,2,2],[1,1,2,3,1,0],[0,0,0,3,0,2],[0,0,0,2,2,2],[2,0,2,0,3,0],[0,0,1,3,0,0],[1,0,0,2,0,2],[0,1,1,3,3,1],[1,3,2,1,0,3],[1,0,1,2,0,3],[1,2,2,3,3,1],[0,2,3,3,2,2],[2,0,0,1,3,1],[1,3,2,0,2,0],[3,3,2,3,3,1]]> : tensor<40x6xi8>)
         meta(dense<[[0,1,0,2,1,3,1,2,1,3,0,1],[1,3,0,1,1,2,0,2,0,2,0,2],[0,3,1,2,1,3,1,3,0,3,0,3],[1,3,0,1,0,1,2,3,2,3,0,3],[0,2,1,2,1,3,0,2,0,1,1,2],[2,3,0,1,1,3,0,3,0,2,1,2],[0,1,2,3,0,3,2,3,0,1,1,2],[2,3,1,3,1,3,2,3,1,3,1,2],[0,1,2,3,0,1,0,1,1,2,0,1],[2,3,1,3,0,1,2,3,2,3,0,3],[2,3,0,2,0,2,2,3,0,2,0,3],[0,2,0,1,0,1,2,3,2,3,0,3],[0,1,2,3,1,3,0,3,0,3,1,3],[0,1,0,3,1,3,0,2,0,3,0,1],[0,3,0,2,1,2,2,3,2,3,1,3],[0,3,1,2,0,1,1,3,0,3,2,3],[1,2,0,1,1,2,2,3,0,2,0,3],[2,3,1,2,1,3,0,1,2,3,1,3],[0,1,0,1,0,2,0,3,0,2,1,3],[0,1,0,3,1,3,1,3,0,2,0,3],[0,2,1,2,1,3,0,2,0,1,1,3],[0,2,0,3,2,3,0,3,0,2,0,1],[0,3,1,2,0,2,1,2,1,2,1,2],[1,2,0,2,0,2,0,3,0,1,1,3],[0,3,1,3,2,3,1,2,1,2,0,2],[1,2,2,3,0,2,2,3,0,3,2,3],[2,3,1,2,1,3,1,2,0,1,0,1],[0,1,2,3,1,3,1,3,0,3,1,3],[0,1,1,2,1,2,2,3,0,2,0,3],[2,3,0,1,1,2,1,2,2,3,1,3],[1,3,0,1,0,3,1,3,2,3,1,3],[0,2,0,2,2,3,1,3,2,3,0,2],[0,2,1,2,0,2,0,3,0,3,0,3],[1,2,2,3,0,2,0,3,0,3,1,2],[0,2,2,3,0,1,1,2,1,3,1,2],[0,1,0,1,0,3,1,2,0,3,2,3],[1,2,1,3,1,2,2,3,2,3,2,3],[0,2,0,3,0,2,0,3,1,3,2,3],[0,2,0,1,0,1,0,2,0,2,0,1],[0,2,0,2,0,2,0,2,2,3,0,1]]> : tensor<40x12xi2>)
         outlier_indices(dense<[400,689,149,551,678,740,867,422,905]> : tensor<9xi32>)
         outlier_values(dense<[0.25,0.375,0.25,-0.75,-0.875,-0.25,0.75,0.25,0.625]> : tensor<9xf32>)
         u(dense<[[0.25,0.625,1.0,0.375],[0.75,1.0,0.5,0.625],[-0.875,-0.875,0.875,-0.5],[-0.375,-0.75,0.25,-1.0],[0.625,-0.375,0.5,0.875],[0.375,-0.125,0.25,0.75],[0.375,-0.5,-1.0,0.75],[0.25,-0.875,0.125,0.125],[-0.375,0.75,-0.5,-0.75],[-0.375,-0.375,0.75,0.375],[-0.75,-0.25,-0.75,0.375],[0.75,-0.875,-0.0,-0.5],[-0.375,0.5,1.0,-0.5],[0.125,-0.375,-0.875,0.25],[-0.75,0.375,0.5,-0.75],[0.25,-0.625,0.5,-0.375],[0.375,0.25,0.125,-0.625],[0.625,-0.25,0.5,-0.0],[-0.125,0.375,-0.375,0.5],[-0.125,0.5,0.375,0.875],[-0.125,-0.25,1.0,0.0],[-0.125,0.375,-0.5,0.875],[0.5,0.25,-0.375,0.625],[0.875,0.625,0.875,-0.875],[0.5,0.75,-0.0,-0.875],[0.125,-0.5,-0.875,0.875],[0.625,0.25,0.5,0.375],[-0.125,-0.75,-0.375,0.0],[0.125,-0.375,-0.75,-0.375],[-0.625,0.875,-0.5,-0.25],[0.125,-0.5,-0.0,0.125],[-0.875,0.875,0.125,-0.75],[1.0,-0.625,0.5,-0.0],[-0.5,-0.25,-0.0,-0.25],[-0.5,-0.125,-0.125,0.375],[-0.625,-0.875,0.625,-0.875],[0.25,0.125,1.0,-0.625],[0.75,-0.75,-0.625,0.25],[-0.625,0.125,0.375,-0.75],[0.625,-0.125,0.875,-1.0]]> : tensor<40x4xf32>)
         v(dense<[[-0.875,0.25,-0.5,-0.25,0.875,-0.25,-0.875,-0.75,0.125,0.5,0.5,-0.0,-0.5,-0.75,-0.5,-0.625,0.875,-0.125,-0.75,0.25,-0.125,-1.0,1.0,0.875],[-0.5,0.625,-0.125,0.375,0.25,0.5,-0.125,-0.75,0.625,-0.125,-0.125,0.5,0.375,1.0,-0.25,0.25,-0.875,-0.75,-0.5,-0.5,-0.125,-0.5,0.875,-0.125],[-0.25,0.75,0.625,0.5,0.875,0.5,-0.375,0.875,-1.0,0.75,-0.125,-0.375,-0.0,-0.25,0.75,0.625,0.5,-0.5,-0.125,-0.875,0.5,-0.875,-0.25,-0.75],[0.75,0.875,-0.375,0.75,-0.625,0.375,-0.5,-0.125,0.25,-0.25,-0.625,0.125,0.625,1.0,-0.375,-0.5,-0.875,-0.625,-1.0,-0.5,0.5,-0.75,0.25,-0.375]]> : tensor<4x24xf32>)
       : tensor<40x24xf32, #e>
  %y = qsl.matmul %x, %w transpose_w : tensor<8x24xf32>, tensor<40x24xf32, #e> -> tensor<8x40xf32>
  return %y : tensor<8x40xf32>
}

func.func @main() {
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c17 = arith.constant 17 : index
  %eighth = arith.constant 0.125 : f32
  %x0 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x0m0 = arith.muli %i0, %c5 : index
    %x0m1 = arith.muli %i1, %c3 : index
    %x0a1 = arith.addi %x0m0, %x0m1 : index
    %x0r = arith.remui %x0a1, %c17 : index
    %x0s = arith.subi %x0r, %c8 : index
    %x0n = arith.index_cast %x0s : index to i32
    %x0f = arith.sitofp %x0n : i32 to f32
    %x0v = arith.mulf %x0f, %eighth : f32
    tensor.yield %x0v : f32
  } : tensor<3x32xf32>
  %y0 = call @int4_24_asym(%x0) : (tensor<3x32xf32>) -> tensor<3x5xf32>
  %p0 = tensor.cast %y0 : tensor<3x5xf32> to tensor<*xf32>
  call @printMemrefF32(%p0) : (tensor<*xf32>) -> ()
  %x1 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x1m0 = arith.muli %i0, %c5 : index
    %x1m1 = arith.muli %i1, %c3 : index
    %x1a1 = arith.addi %x1m0, %x1m1 : index
    %x1r = arith.remui %x1a1, %c17 : index
    %x1s = arith.subi %x1r, %c8 : index
    %x1n = arith.index_cast %x1s : index to i32
    %x1f = arith.sitofp %x1n : i32 to f32
    %x1v = arith.mulf %x1f, %eighth : f32
    tensor.yield %x1v : f32
  } : tensor<2x20xf32>
  %y1 = call @lowrank_t(%x1) : (tensor<2x20xf32>) -> tensor<2x7xf32>
  %p1 = tensor.cast %y1 : tensor<2x7xf32> to tensor<*xf32>
  call @printMemrefF32(%p1) : (tensor<*xf32>) -> ()
  %x2 = tensor.generate {
  ^bb0(%i0: index, %i1: index, %i2: index):
    %x2m0 = arith.muli %i0, %c7 : index
    %x2m1 = arith.muli %i1, %c5 : index
    %x2a1 = arith.addi %x2m0, %x2m1 : index
    %x2m2 = arith.muli %i2, %c3 : index
    %x2a2 = arith.addi %x2a1, %x2m2 : index
    %x2r = arith.remui %x2a2, %c17 : index
    %x2s = arith.subi %x2r, %c8 : index
    %x2n = arith.index_cast %x2s : index to i32
    %x2f = arith.sitofp %x2n : i32 to f32
    %x2v = arith.mulf %x2f, %eighth : f32
    tensor.yield %x2v : f32
  } : tensor<1x1x12xf32>
  %y2 = call @int8_outl_lr(%x2) : (tensor<1x1x12xf32>) -> tensor<1x1x3xf32>
  %p2 = tensor.cast %y2 : tensor<1x1x3xf32> to tensor<*xf32>
  call @printMemrefF32(%p2) : (tensor<*xf32>) -> ()
  %x3 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x3m0 = arith.muli %i0, %c5 : index
    %x3m1 = arith.muli %i1, %c3 : index
    %x3a1 = arith.addi %x3m0, %x3m1 : index
    %x3r = arith.remui %x3a1, %c17 : index
    %x3s = arith.subi %x3r, %c8 : index
    %x3n = arith.index_cast %x3s : index to i32
    %x3f = arith.sitofp %x3n : i32 to f32
    %x3v = arith.mulf %x3f, %eighth : f32
    tensor.yield %x3v : f32
  } : tensor<4x8xf32>
  %y3 = call @f32_24_t(%x3) : (tensor<4x8xf32>) -> tensor<4x6xf32>
  %p3 = tensor.cast %y3 : tensor<4x6xf32> to tensor<*xf32>
  call @printMemrefF32(%p3) : (tensor<*xf32>) -> ()
  %x4 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x4m0 = arith.muli %i0, %c5 : index
    %x4m1 = arith.muli %i1, %c3 : index
    %x4a1 = arith.addi %x4m0, %x4m1 : index
    %x4r = arith.remui %x4a1, %c17 : index
    %x4s = arith.subi %x4r, %c8 : index
    %x4n = arith.index_cast %x4s : index to i32
    %x4f = arith.sitofp %x4n : i32 to f32
    %x4v = arith.mulf %x4f, %eighth : f32
    tensor.yield %x4v : f32
  } : tensor<8x24xf32>
  %y4 = call @full_t(%x4) : (tensor<8x24xf32>) -> tensor<8x40xf32>
  %p4 = tensor.cast %y4 : tensor<8x40xf32> to tensor<*xf32>
  call @printMemrefF32(%p4) : (tensor<*xf32>) -> ()
  return
}
