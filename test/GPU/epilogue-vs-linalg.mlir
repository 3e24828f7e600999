// Epilogue fusion: bias adds, activations, residual adds and a final cast
// to f16 after a matmul run inside the GPU kernels (GEMV, mma.sync GEMM,
// composed GEMV, and with chip=sm_90a the wgmma GEMM); results against the
// qsl-lower-to-linalg reference on the CPU. The activations' math (erf, exp)
// is libdevice on the GPU and libm on the CPU; printMemref prints 6 digits,
// hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// chip=sm_90a: the 100-row f16 case runs on the wgmma kernel (its
// epilogue on the same stores).
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90a format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu90a
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu90a --rtol 1e-4 --atol 1e-5

func.func private @printMemrefF32(tensor<*xf32>)

#map = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

// GEMV (batch 3), then a bias add and a ReLU whose zero is captured from
// outside the body: both run in the kernel.
#a = #qsl.encoding<quant = <bits = 4, axis = 0, group = 8, scale = f32>>
func.func @gemv_bias_relu(%x: tensor<3x16xf32>) -> tensor<3x5xf32> {
  %w = qsl.constant values(dense<[[-4,4,-2,1,-1],[3,-3,-7,-4,2],[1,7,-5,-2,7],[-7,3,7,6,2],[6,-5,4,2,0],[7,5,-5,7,5],[-3,3,4,-5,-4],[-6,-1,7,-2,-3],[6,-1,-8,2,4],[-1,7,-8,5,-4],[4,-1,2,4,6],[1,2,-2,-8,-5],[-7,4,-7,-6,-5],[3,-4,-1,2,0],[-1,-2,7,-5,4],[-6,-1,2,-4,-4]]> : tensor<16x5xi4>)
         scales(dense<[[0.0625,0.0625,0.125,0.0625,0.25],[0.5,0.0625,0.25,0.125,0.25]]> : tensor<2x5xf32>) : tensor<16x5xf32, #a>
  %y = qsl.matmul %x, %w : tensor<3x16xf32>, tensor<16x5xf32, #a> -> tensor<3x5xf32>
  %b = arith.constant dense<[-0.25,0.625,-0.5,0.25,-1.0]> : tensor<5xf32>
  %e0 = tensor.empty() : tensor<3x5xf32>
  %yb = linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b : tensor<3x5xf32>, tensor<5xf32>) outs(%e0 : tensor<3x5xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %s = arith.addf %in, %bi : f32
    linalg.yield %s : f32
  } -> tensor<3x5xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<3x5xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%yb : tensor<3x5xf32>) outs(%e1 : tensor<3x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// Tensor-core GEMM (M = 20), then bias and GELU 0.5 x (1 + erf(x / sqrt 2)).
#s = #qsl.encoding<quant = <bits = 8, axis = 0, scale = f32>>
func.func @gemm_bias_gelu(%x: tensor<20x32xf32>) -> tensor<20x24xf32> {
  %w = qsl.constant values(dense<[[-123,37,30,120,25,53,-9,-109,-42,23,48,-47,-96,107,-70,-124,-24,-125,40,-104,-49,-42,56,97],[45,16,-70,41,61,-117,20,-84,-106,-31,75,32,100,64,-42,19,-53,-57,39,-83,-22,-21,1,-63],[-69,66,-1,100,-6,77,76,-98,80,73,31,-125,90,-94,102,51,-38,-46,13,83,-47,48,-28,35],[40,25,-73,105,18,85,-25,-121,116,124,61,-18,32,-53,-70,94,-71,107,27,69,-84,56,55,-126],[118,-58,59,79,-54,127,-32,-57,29,66,107,-100,-117,63,111,-37,-122,-109,-106,-83,-60,17,-82,-8],[122,47,-121,-39,51,24,-49,-32,-50,68,87,-127,76,22,7,22,-54,-114,-60,67,77,34,19,115],[51,-81,47,-20,-21,93,125,113,-38,47,-11,-38,49,62,-6,-12,40,8,67,45,-119,110,101,-126],[-32,51,-113,106,-61,-33,-123,-68,-115,17,123,-121,27,78,72,-4,-76,41,-27,71,8,-123,79,-80],[15,-22,-99,28,105,-35,6,-57,-35,-122,63,-19,-21,112,-27,-121,55,25,-3,-76,61,120,-45,78],[-15,-73,-54,120,-90,-49,-90,48,-25,-61,-98,-54,-44,-112,-87,-53,32,-23,78,-122,-52,-125,-107,-126],[23,97,33,-22,-55,106,49,-6,72,15,-107,-33,102,71,-105,-41,105,78,-107,-28,-97,-96,-70,-22],[-32,-121,35,-29,-41,-29,-71,53,0,127,112,-89,-76,27,-2,86,34,46,-29,-69,-64,-21,10,110],[70,5,53,45,-98,-49,48,74,-92,15,40,73,116,-57,-84,-69,120,-82,-43,24,-37,-108,-88,-40],[98,42,-79,-57,114,-62,-61,-69,-100,-7,103,65,37,-61,59,8,33,125,105,0,32,-59,34,86],[-89,103,-127,63,-62,-45,-31,0,31,-46,0,108,43,-126,23,95,31,-62,-54,-91,38,86,-20,74],[5,-118,-127,-53,32,-104,0,63,105,103,-80,-54,-120,-37,-25,-120,93,-103,-8,-112,-125,57,-58,-75],[-68,-9,-105,-59,110,5,115,13,-65,-40,44,-61,-102,104,-108,111,90,-9,-113,-27,-77,4,-38,10],[-82,117,-72,-18,-123,-41,51,115,-42,38,-36,-94,58,12,57,81,-77,16,-26,-61,-4,-36,82,58],[99,14,-63,-124,-32,-46,0,61,6,-113,-51,-26,59,14,83,-51,-105,47,76,-112,27,111,73,65],[-14,96,-81,5,-17,-9,-90,-49,112,-103,62,4,75,-49,-111,93,5,-87,-58,-118,19,73,10,122],[43,-18,76,94,-67,55,43,73,34,22,-19,1,82,33,124,75,127,115,-19,99,106,59,91,110],[72,-122,-67,-126,73,-63,106,-127,44,15,31,-78,86,96,126,-104,50,69,70,-113,-96,112,-97,-35],[-11,-57,52,-46,96,52,-57,93,19,43,-51,-92,-4,-33,-127,-4,-82,-59,-114,111,20,53,-81,51],[13,-65,-4,7,63,-69,98,-46,40,70,73,-65,-38,46,-48,-67,94,75,-82,-88,-27,98,-44,-115],[34,-74,-18,40,-40,-37,-23,-87,-85,-90,105,5,-27,-50,23,103,85,63,119,-3,112,38,60,-71],[-26,-18,-113,78,-49,103,-83,-90,43,-46,47,70,-72,-55,-122,-42,-13,-103,82,86,-106,-100,-14,44],[-40,-105,-22,-61,71,108,85,-98,10,72,-66,-73,109,82,-127,-43,-103,10,-121,80,-5,-106,124,-31],[85,103,-24,-61,115,17,-80,105,-64,52,-112,106,81,13,17,43,-21,-112,-73,113,37,-21,-118,8],[97,8,-113,-48,-119,117,-91,40,-107,7,101,-89,34,59,-123,36,-95,114,32,17,-120,-44,-27,32],[-3,-90,-90,-70,-126,18,-72,36,16,119,38,-119,-122,96,-120,-25,-89,-121,-21,-27,105,25,18,-34],[31,-39,38,80,18,-20,-29,117,-102,-62,-66,-103,97,-5,-116,58,-65,-39,60,-66,85,15,77,82],[70,19,-128,25,56,-27,-34,39,2,66,-53,-108,12,122,106,-18,15,-11,52,-2,51,59,-115,-8]]> : tensor<32x24xi8>)
         scales(dense<[[0.00390625,0.015625,0.00390625,0.0078125,0.03125,0.0078125,0.03125,0.015625,0.00390625,0.00390625,0.0078125,0.00390625,0.03125,0.015625,0.03125,0.00390625,0.015625,0.015625,0.00390625,0.03125,0.00390625,0.03125,0.00390625,0.00390625]]> : tensor<1x24xf32>) : tensor<32x24xf32, #s>
  %y = qsl.matmul %x, %w : tensor<20x32xf32>, tensor<32x24xf32, #s> -> tensor<20x24xf32>
  %b = arith.constant dense<[-0.125,0.125,-0.25,-0.25,0.875,-0.625,0.75,0.625,-0.625,-0.25,0.0,0.75,-1.0,0.75,-0.875,-0.375,-1.0,1.0,0.875,-0.125,0.375,-0.875,0.125,-0.25]> : tensor<24xf32>
  %e0 = tensor.empty() : tensor<20x24xf32>
  %yb = linalg.generic {indexing_maps = [#bias, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%b, %y : tensor<24xf32>, tensor<20x24xf32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%bi: f32, %in: f32, %out: f32):
    %s = arith.addf %bi, %in : f32
    linalg.yield %s : f32
  } -> tensor<20x24xf32>
  %e1 = tensor.empty() : tensor<20x24xf32>
  %g = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%yb : tensor<20x24xf32>) outs(%e1 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %out: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rsqrt2 = arith.constant 0.707106769 : f32
    %t = arith.mulf %in, %rsqrt2 : f32
    %e = math.erf %t : f32
    %p = arith.addf %e, %one : f32
    %h = arith.mulf %in, %half : f32
    %o = arith.mulf %h, %p : f32
    linalg.yield %o : f32
  } -> tensor<20x24xf32>
  return %g : tensor<20x24xf32>
}

// Composed GEMV (low rank alone), then SiLU x / (1 + exp(-x)) and a
// residual add of (a slice of) the input, all in the kernel.
#l = #qsl.encoding<lowrank = <rank = 2, type = f32>>
func.func @lowrank_silu_residual(%x: tensor<2x8xf32>) -> tensor<2x6xf32> {
  %w = qsl.constant u(dense<[[0.125,-0.375],[0.375,-0.0],[-0.0,-0.0],[-0.25,0.0],[0.375,0.25],[-0.75,0.375]]> : tensor<6x2xf32>) v(dense<[[-0.625,0.25,0.5,0.25,0.625,-0.125,1.0,0.75],[0.0,-0.375,0.875,0.125,-0.75,-0.125,-0.75,-0.0]]> : tensor<2x8xf32>) : tensor<6x8xf32, #l>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x8xf32>, tensor<6x8xf32, #l> -> tensor<2x6xf32>
  %e1 = tensor.empty() : tensor<2x6xf32>
  %a = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<2x6xf32>) outs(%e1 : tensor<2x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %in : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %o = arith.divf %in, %d : f32
    linalg.yield %o : f32
  } -> tensor<2x6xf32>
  %x6 = tensor.extract_slice %x[0, 0] [2, 6] [1, 1] : tensor<2x8xf32> to tensor<2x6xf32>
  %e2 = tensor.empty() : tensor<2x6xf32>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%a, %x6 : tensor<2x6xf32>, tensor<2x6xf32>) outs(%e2 : tensor<2x6xf32>) {
  ^bb0(%in: f32, %res: f32, %out: f32):
    %s = arith.addf %in, %res : f32
    linalg.yield %s : f32
  } -> tensor<2x6xf32>
  return %r : tensor<2x6xf32>
}

// Tensor-core GEMM, bias, ReLU, then the result rounded to f16 (as an ONNX
// Cast would): the kernel stores f16.
#g = #qsl.encoding<quant = <bits = 4, axis = 1, group = 8, scale = f32, zero = i8>>
func.func @gemm_bias_relu_f16(%x: tensor<20x32xf32>) -> tensor<20x24xf16> {
  %w = qsl.constant values(dense<3> : tensor<24x32xi4>) scales(dense<0.0625> : tensor<24x4xf32>) zeros(dense<5> : tensor<24x4xi8>) : tensor<24x32xf32, #g>
  %y = qsl.matmul %x, %w transpose_w : tensor<20x32xf32>, tensor<24x32xf32, #g> -> tensor<20x24xf32>
  %bias = arith.constant dense<[0.5,-0.25,0.125,1.0,-1.0,0.0,0.75,-0.5,0.25,0.5,-0.125,0.375,0.0,0.5,-0.75,1.0,0.25,-0.25,0.625,-0.5,0.125,0.0,-0.375,0.5]> : tensor<24xf32>
  %e1 = tensor.empty() : tensor<20x24xf32>
  %b = linalg.generic {indexing_maps = [#map, affine_map<(d0, d1) -> (d1)>, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<20x24xf32>, tensor<24xf32>) outs(%e1 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %bv: f32, %out: f32):
    %s = arith.addf %in, %bv : f32
    linalg.yield %s : f32
  } -> tensor<20x24xf32>
  %e2 = tensor.empty() : tensor<20x24xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<20x24xf32>) outs(%e2 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<20x24xf32>
  %e3 = tensor.empty() : tensor<20x24xf16>
  %h = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<20x24xf32>) outs(%e3 : tensor<20x24xf16>) {
  ^bb0(%in: f32, %out: f16):
    %t = arith.truncf %in : f32 to f16
    linalg.yield %t : f16
  } -> tensor<20x24xf16>
  return %h : tensor<20x24xf16>
}

// GELU as PyTorch exports it: Div(x, sqrt 2), Erf, Add 1, Mul(x, .),
// Mul 0.5, with 0-D constant operands; x is read twice, so the fused ops
// form a DAG, not a chain. All of it, with the bias before it, runs in the
// tensor-core GEMM.
#b3 = affine_map<(d0, d1) -> ()>
func.func @gemm_bias_gelu_dag(%x: tensor<20x32xf32>) -> tensor<20x24xf32> {
  %w = qsl.constant values(dense<5> : tensor<24x32xi4>) scales(dense<0.125> : tensor<24x4xf32>) zeros(dense<7> : tensor<24x4xi8>) : tensor<24x32xf32, #g>
  %y = qsl.matmul %x, %w transpose_w : tensor<20x32xf32>, tensor<24x32xf32, #g> -> tensor<20x24xf32>
  %bias = arith.constant dense<[0.5,-0.25,0.125,1.0,-1.0,0.0,0.75,-0.5,0.25,0.5,-0.125,0.375,0.0,0.5,-0.75,1.0,0.25,-0.25,0.625,-0.5,0.125,0.0,-0.375,0.5]> : tensor<24xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %e0 = tensor.empty() : tensor<20x24xf32>
  %yb = linalg.generic {indexing_maps = [#map, affine_map<(d0, d1) -> (d1)>, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<20x24xf32>, tensor<24xf32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %bv: f32, %out: f32):
    %s = arith.addf %in, %bv : f32
    linalg.yield %s : f32
  } -> tensor<20x24xf32>
  %d = linalg.generic {indexing_maps = [#map, #b3, #map], iterator_types = ["parallel", "parallel"]}
      ins(%yb, %sqrt2 : tensor<20x24xf32>, tensor<f32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %r = arith.divf %in, %c : f32
    linalg.yield %r : f32
  } -> tensor<20x24xf32>
  %er = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<20x24xf32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.erf %in : f32
    linalg.yield %r : f32
  } -> tensor<20x24xf32>
  %a = linalg.generic {indexing_maps = [#map, #b3, #map], iterator_types = ["parallel", "parallel"]}
      ins(%er, %one : tensor<20x24xf32>, tensor<f32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %r = arith.addf %in, %c : f32
    linalg.yield %r : f32
  } -> tensor<20x24xf32>
  %m = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%yb, %a : tensor<20x24xf32>, tensor<20x24xf32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %r = arith.mulf %in, %in2 : f32
    linalg.yield %r : f32
  } -> tensor<20x24xf32>
  %h = linalg.generic {indexing_maps = [#map, #b3, #map], iterator_types = ["parallel", "parallel"]}
      ins(%m, %half : tensor<20x24xf32>, tensor<f32>) outs(%e0 : tensor<20x24xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %r = arith.mulf %in, %c : f32
    linalg.yield %r : f32
  } -> tensor<20x24xf32>
  return %h : tensor<20x24xf32>
}

// An f16 model: the GEMM's result is f16, and so are the bias, the ReLU
// and the residual add after it; the kernel rounds its f32 sum to f16 once
// and runs the ops in f16, as the CPU path does.
#mapb = affine_map<(d0, d1) -> (d1)>
func.func @gemm_f16_bias_relu_residual(%x: tensor<20x32xf16>, %res: tensor<20x24xf16>) -> tensor<20x24xf16> {
  %w = qsl.constant values(dense<6> : tensor<24x32xi4>) scales(dense<0.0625> : tensor<24x4xf32>) zeros(dense<8> : tensor<24x4xi8>) : tensor<24x32xf32, #g>
  %y = qsl.matmul %x, %w transpose_w : tensor<20x32xf16>, tensor<24x32xf32, #g> -> tensor<20x24xf16>
  %bias = arith.constant dense<[0.5,-0.25,0.125,1.0,-1.0,0.0,0.75,-0.5,0.25,0.5,-0.125,0.375,0.0,0.5,-0.75,1.0,0.25,-0.25,0.625,-0.5,0.125,0.0,-0.375,0.5]> : tensor<24xf16>
  %e = tensor.empty() : tensor<20x24xf16>
  %b = linalg.generic {indexing_maps = [#map, #mapb, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<20x24xf16>, tensor<24xf16>) outs(%e : tensor<20x24xf16>) {
  ^bb0(%in: f16, %bv: f16, %out: f16):
    %s = arith.addf %in, %bv : f16
    linalg.yield %s : f16
  } -> tensor<20x24xf16>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<20x24xf16>) outs(%e : tensor<20x24xf16>) {
  ^bb0(%in: f16, %out: f16):
    %z = arith.constant 0.0 : f16
    %m = arith.maximumf %in, %z : f16
    linalg.yield %m : f16
  } -> tensor<20x24xf16>
  %o = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%r, %res : tensor<20x24xf16>, tensor<20x24xf16>) outs(%e : tensor<20x24xf16>) {
  ^bb0(%in: f16, %rv: f16, %out: f16):
    %s = arith.addf %in, %rv : f16
    linalg.yield %s : f16
  } -> tensor<20x24xf16>
  return %o : tensor<20x24xf16>
}

// The same over 100 rows with groups of 16 (whole k-steps, which the
// packed GEMMs need): with chip=sm_90a, the wgmma kernel.
#g16 = #qsl.encoding<quant = <bits = 4, axis = 1, group = 16, scale = f32, zero = i8>>
func.func @wgmma_f16_bias_relu_residual(%x: tensor<100x32xf16>, %res: tensor<100x24xf16>) -> tensor<100x24xf16> {
  %w = qsl.constant values(dense<6> : tensor<24x32xi4>) scales(dense<0.0625> : tensor<24x2xf32>) zeros(dense<8> : tensor<24x2xi8>) : tensor<24x32xf32, #g16>
  %y = qsl.matmul %x, %w transpose_w : tensor<100x32xf16>, tensor<24x32xf32, #g16> -> tensor<100x24xf16>
  %bias = arith.constant dense<[0.5,-0.25,0.125,1.0,-1.0,0.0,0.75,-0.5,0.25,0.5,-0.125,0.375,0.0,0.5,-0.75,1.0,0.25,-0.25,0.625,-0.5,0.125,0.0,-0.375,0.5]> : tensor<24xf16>
  %e = tensor.empty() : tensor<100x24xf16>
  %b = linalg.generic {indexing_maps = [#map, #mapb, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<100x24xf16>, tensor<24xf16>) outs(%e : tensor<100x24xf16>) {
  ^bb0(%in: f16, %bv: f16, %out: f16):
    %s = arith.addf %in, %bv : f16
    linalg.yield %s : f16
  } -> tensor<100x24xf16>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<100x24xf16>) outs(%e : tensor<100x24xf16>) {
  ^bb0(%in: f16, %out: f16):
    %z = arith.constant 0.0 : f16
    %m = arith.maximumf %in, %z : f16
    linalg.yield %m : f16
  } -> tensor<100x24xf16>
  %o = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%r, %res : tensor<100x24xf16>, tensor<100x24xf16>) outs(%e : tensor<100x24xf16>) {
  ^bb0(%in: f16, %rv: f16, %out: f16):
    %s = arith.addf %in, %rv : f16
    linalg.yield %s : f16
  } -> tensor<100x24xf16>
  return %o : tensor<100x24xf16>
}

func.func @main() {
  %c3 = arith.constant 3 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c17 = arith.constant 17 : index
  %eighth = arith.constant 0.125 : f32
  %x0 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x0m0 = arith.muli %i0, %c7 : index
    %x0m1 = arith.muli %i1, %c3 : index
    %x0a = arith.addi %x0m0, %x0m1 : index
    %x0r = arith.remui %x0a, %c17 : index
    %x0s = arith.subi %x0r, %c8 : index
    %x0n = arith.index_cast %x0s : index to i32
    %x0f = arith.sitofp %x0n : i32 to f32
    %x0v = arith.mulf %x0f, %eighth : f32
    tensor.yield %x0v : f32
  } : tensor<3x16xf32>
  %y0 = call @gemv_bias_relu(%x0) : (tensor<3x16xf32>) -> tensor<3x5xf32>
  %p0 = tensor.cast %y0 : tensor<3x5xf32> to tensor<*xf32>
  call @printMemrefF32(%p0) : (tensor<*xf32>) -> ()
  %x1 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x1m0 = arith.muli %i0, %c7 : index
    %x1m1 = arith.muli %i1, %c3 : index
    %x1a = arith.addi %x1m0, %x1m1 : index
    %x1r = arith.remui %x1a, %c17 : index
    %x1s = arith.subi %x1r, %c8 : index
    %x1n = arith.index_cast %x1s : index to i32
    %x1f = arith.sitofp %x1n : i32 to f32
    %x1v = arith.mulf %x1f, %eighth : f32
    tensor.yield %x1v : f32
  } : tensor<20x32xf32>
  %y1 = call @gemm_bias_gelu(%x1) : (tensor<20x32xf32>) -> tensor<20x24xf32>
  %p1 = tensor.cast %y1 : tensor<20x24xf32> to tensor<*xf32>
  call @printMemrefF32(%p1) : (tensor<*xf32>) -> ()
  %x2 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x2m0 = arith.muli %i0, %c7 : index
    %x2m1 = arith.muli %i1, %c3 : index
    %x2a = arith.addi %x2m0, %x2m1 : index
    %x2r = arith.remui %x2a, %c17 : index
    %x2s = arith.subi %x2r, %c8 : index
    %x2n = arith.index_cast %x2s : index to i32
    %x2f = arith.sitofp %x2n : i32 to f32
    %x2v = arith.mulf %x2f, %eighth : f32
    tensor.yield %x2v : f32
  } : tensor<2x8xf32>
  %y2 = call @lowrank_silu_residual(%x2) : (tensor<2x8xf32>) -> tensor<2x6xf32>
  %p2 = tensor.cast %y2 : tensor<2x6xf32> to tensor<*xf32>
  call @printMemrefF32(%p2) : (tensor<*xf32>) -> ()
  %y3 = call @gemm_bias_relu_f16(%x1) : (tensor<20x32xf32>) -> tensor<20x24xf16>
  %e3 = tensor.empty() : tensor<20x24xf32>
  %y3f = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y3 : tensor<20x24xf16>) outs(%e3 : tensor<20x24xf32>) {
  ^bb0(%in: f16, %out: f32):
    %ext = arith.extf %in : f16 to f32
    linalg.yield %ext : f32
  } -> tensor<20x24xf32>
  %p3 = tensor.cast %y3f : tensor<20x24xf32> to tensor<*xf32>
  call @printMemrefF32(%p3) : (tensor<*xf32>) -> ()
  %y4 = call @gemm_bias_gelu_dag(%x1) : (tensor<20x32xf32>) -> tensor<20x24xf32>
  %p4 = tensor.cast %y4 : tensor<20x24xf32> to tensor<*xf32>
  call @printMemrefF32(%p4) : (tensor<*xf32>) -> ()
  %e5 = tensor.empty() : tensor<20x32xf16>
  %x5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x1 : tensor<20x32xf32>) outs(%e5 : tensor<20x32xf16>) {
  ^bb0(%in: f32, %out: f16):
    %t = arith.truncf %in : f32 to f16
    linalg.yield %t : f16
  } -> tensor<20x32xf16>
  %r5 = tensor.extract_slice %x5[0, 0] [20, 24] [1, 1] : tensor<20x32xf16> to tensor<20x24xf16>
  %y5 = call @gemm_f16_bias_relu_residual(%x5, %r5) : (tensor<20x32xf16>, tensor<20x24xf16>) -> tensor<20x24xf16>
  %e6 = tensor.empty() : tensor<20x24xf32>
  %y5f = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y5 : tensor<20x24xf16>) outs(%e6 : tensor<20x24xf32>) {
  ^bb0(%in: f16, %out: f32):
    %ext = arith.extf %in : f16 to f32
    linalg.yield %ext : f32
  } -> tensor<20x24xf32>
  %p5 = tensor.cast %y5f : tensor<20x24xf32> to tensor<*xf32>
  call @printMemrefF32(%p5) : (tensor<*xf32>) -> ()
  %x6 = tensor.generate {
  ^bb0(%i0: index, %i1: index):
    %x6m0 = arith.muli %i0, %c7 : index
    %x6m1 = arith.muli %i1, %c3 : index
    %x6a = arith.addi %x6m0, %x6m1 : index
    %x6r = arith.remui %x6a, %c17 : index
    %x6s = arith.subi %x6r, %c8 : index
    %x6n = arith.index_cast %x6s : index to i32
    %x6f = arith.sitofp %x6n : i32 to f16
    %x6e = arith.constant 0.125 : f16
    %x6v = arith.mulf %x6f, %x6e : f16
    tensor.yield %x6v : f16
  } : tensor<100x32xf16>
  %r6 = tensor.extract_slice %x6[0, 0] [100, 24] [1, 1] : tensor<100x32xf16> to tensor<100x24xf16>
  %y6 = call @wgmma_f16_bias_relu_residual(%x6, %r6) : (tensor<100x32xf16>, tensor<100x24xf16>) -> tensor<100x24xf16>
  %e7 = tensor.empty() : tensor<100x24xf32>
  %y6f = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y6 : tensor<100x24xf16>) outs(%e7 : tensor<100x24xf32>) {
  ^bb0(%in: f16, %out: f32):
    %ext = arith.extf %in : f16 to f32
    linalg.yield %ext : f32
  } -> tensor<100x24xf32>
  %p6 = tensor.cast %y6f : tensor<100x24xf32> to tensor<*xf32>
  call @printMemrefF32(%p6) : (tensor<*xf32>) -> ()
  return
}
