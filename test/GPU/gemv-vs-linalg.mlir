// Every GEMV variant of qsl-lower-to-gpu on the GPU against the
// qsl-lower-to-linalg reference on the CPU (odd K, N = 1, batch 1..8, 3-bit
// codes that leave word padding).
// printMemref prints 6 significant digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5

func.func private @printMemrefF32(tensor<*xf32>)

// K = 37: not a multiple of the 8 int4 codes per word; group 37 = per channel.
#a = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f32, zero = i8>>
func.func @int4_asym(%x: tensor<3x37xf32>) -> tensor<3x5xf32> {
  %w = qsl.constant
         values(dense<[[7,4,11,15,2,0,15,8,7,6,15,15,12,4,7,4,12,0,2,5,1,9,0,8,15,12,13,12,14,4,11,3,1,4,15,6,8],[13,9,13,12,11,13,7,10,0,8,5,10,3,6,8,9,3,2,15,15,2,11,2,13,4,0,9,13,13,3,1,1,12,10,8,7,1],[9,0,2,3,1,6,13,9,8,4,1,10,10,11,4,12,12,14,12,3,8,13,7,9,13,8,9,10,0,13,10,0,12,4,1,10,14],[11,11,8,15,0,1,0,11,8,14,9,10,5,11,5,10,11,8,9,12,3,0,4,9,7,8,7,10,5,13,3,3,10,10,7,14,5],[2,10,6,14,8,7,3,1,6,10,5,8,10,2,11,4,13,9,8,14,11,13,9,13,13,1,13,4,6,0,15,13,7,1,14,9,10]]> : tensor<5x37xi4>)
         scales(dense<[[0.5],[0.25],[1.0],[2.0],[0.125]]> : tensor<5x1xf32>)
         zeros(dense<[[8],[7],[0],[15],[3]]> : tensor<5x1xi8>)
       : tensor<5x37xf32, #a>
  %y = qsl.matmul %x, %w transpose_w : tensor<3x37xf32>, tensor<5x37xf32, #a> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// N = 1, int8 symmetric, [K, N] weight, batch 1 with a leading unit dim.
#s = #qsl.encoding<quant = <bits = 8, axis = 0, scale = f32>>
func.func @int8_sym_n1(%x: tensor<1x1x6xf32>) -> tensor<1x1x1xf32> {
  %w = qsl.constant
         values(dense<[[-128],[127],[3],[-4],[0],[5]]> : tensor<6x1xi8>)
         scales(dense<[[0.01]]> : tensor<1x1xf32>)
       : tensor<6x1xf32, #s>
  %y = qsl.matmul %x, %w : tensor<1x1x6xf32>, tensor<6x1xf32, #s> -> tensor<1x1x1xf32>
  return %y : tensor<1x1x1xf32>
}

// Batch 8, int4 symmetric, group 8 (one scale per word), N = 6 over 4-warp
// blocks (second block half empty).
#h = #qsl.encoding<quant = <bits = 4, axis = 0, group = 8, scale = f32>>
func.func @int4_sym_batch8(%x: tensor<8x16xf32>) -> tensor<8x6xf32> {
  %w = qsl.constant
         values(dense<[[-1,-6,1,-5,-1,-7],[-7,-2,5,-7,-8,7],[-5,-3,1,-1,-8,5],[-7,-5,2,-4,0,7],[-7,3,-1,-2,-5,-5],[-3,-1,0,-4,-8,7],[4,-7,0,-1,0,5],[-7,7,2,-8,-7,-4],[-7,-5,-7,-6,7,-7],[-6,7,2,-3,2,-6],[3,4,4,1,3,0],[-2,2,5,-5,-4,-8],[4,-6,-3,-7,3,6],[4,-7,5,-7,3,7],[2,5,5,6,-8,-1],[-2,0,-6,5,-1,5]]> : tensor<16x6xi4>)
         scales(dense<[[0.5,0.25,1.0,2.0,0.125,4.0],[1.0,2.0,0.5,0.25,3.0,0.75]]> : tensor<2x6xf32>)
       : tensor<16x6xf32, #h>
  %y = qsl.matmul %x, %w : tensor<8x16xf32>, tensor<16x6xf32, #h> -> tensor<8x6xf32>
  return %y : tensor<8x6xf32>
}

// 3-bit symmetric codes (10 per word), per channel, K = 23, batch 2.
#t3 = #qsl.encoding<quant = <bits = 3, axis = 1, scale = f32>>
func.func @int3_sym(%x: tensor<2x23xf32>) -> tensor<2x3xf32> {
  %w = qsl.constant
         values(dense<[[2,-4,-3,-3,-3,2,2,0,-4,-4,-2,-1,0,-1,-2,-3,1,1,-4,-4,-1,-1,3],[0,-1,-1,1,0,-3,1,2,3,2,-2,-2,1,1,1,2,-2,3,-4,-4,3,3,-2],[-3,-2,-4,3,1,0,-3,-1,-3,2,-1,-4,-2,1,0,-2,-2,-4,0,1,0,3,3]]> : tensor<3x23xi3>)
         scales(dense<[[0.5],[0.25],[2.0]]> : tensor<3x1xf32>)
       : tensor<3x23xf32, #t3>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x23xf32>, tensor<3x23xf32, #t3> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func @main() {
  %x2s = arith.constant dense<[[1.0, -2.0, 0.5, 3.0, -1.5, 2.25]]> : tensor<1x6xf32>
  %x1 = arith.constant dense<0.25> : tensor<3x37xf32>
  %x1b = tensor.insert_slice %x2s into %x1[1, 30] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<3x37xf32>
  %y1 = call @int4_asym(%x1b) : (tensor<3x37xf32>) -> tensor<3x5xf32>
  %p1 = tensor.cast %y1 : tensor<3x5xf32> to tensor<*xf32>
  call @printMemrefF32(%p1) : (tensor<*xf32>) -> ()

  %x2 = tensor.expand_shape %x2s [[0, 1], [2]] output_shape [1, 1, 6] : tensor<1x6xf32> into tensor<1x1x6xf32>
  %y2 = call @int8_sym_n1(%x2) : (tensor<1x1x6xf32>) -> tensor<1x1x1xf32>
  %p2 = tensor.cast %y2 : tensor<1x1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%p2) : (tensor<*xf32>) -> ()

  %x3 = arith.constant dense<[[-3.000,-4.625,0.125,0.875,3.875,-0.875,-3.125,2.375,-3.125,3.375,1.000,-3.375,0.000,4.000,3.500,-3.375],[4.375,-5.000,2.500,-2.750,-1.250,1.125,-4.375,3.375,-3.625,4.000,-3.500,1.000,-2.250,-4.625,0.375,-3.125],[-4.625,-3.250,2.625,-0.500,4.250,-0.250,-3.625,-4.500,4.000,3.125,3.375,-1.250,-3.375,3.750,-3.500,3.750],[-4.125,3.750,0.125,4.000,-2.125,-3.875,-1.250,-2.125,-1.125,2.250,4.750,1.250,-1.000,0.875,4.500,1.250],[0.500,3.875,1.625,-3.750,1.000,3.000,-1.250,1.500,-2.500,1.625,4.000,4.250,3.250,2.625,-2.625,1.375],[-2.625,-2.500,-3.500,2.875,2.625,3.250,2.000,4.375,-2.125,-2.875,-0.750,-1.875,-2.750,4.250,3.125,0.000],[-1.375,3.500,-0.375,1.500,4.500,4.250,4.250,-0.750,-1.625,-0.125,-4.750,-0.750,2.625,1.000,-1.875,-2.250],[4.000,0.750,-1.250,0.125,2.625,-2.750,1.625,2.625,4.500,-1.750,2.375,4.250,3.875,-4.625,2.625,-3.875]]> : tensor<8x16xf32>
  %y3 = call @int4_sym_batch8(%x3) : (tensor<8x16xf32>) -> tensor<8x6xf32>
  %p3 = tensor.cast %y3 : tensor<8x6xf32> to tensor<*xf32>
  call @printMemrefF32(%p3) : (tensor<*xf32>) -> ()

  %x4 = arith.constant dense<0.375> : tensor<2x23xf32>
  %x4b = tensor.insert_slice %x2s into %x4[1, 10] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<2x23xf32>
  %y4 = call @int3_sym(%x4b) : (tensor<2x23xf32>) -> tensor<2x3xf32>
  %p4 = tensor.cast %y4 : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%p4) : (tensor<*xf32>) -> ()
  return
}
