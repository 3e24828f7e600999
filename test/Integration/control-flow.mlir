// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Encoded values flow through calls and scf.if/scf.for as their side tensors.

func.func private @printMemrefF32(tensor<*xf32>)

#e = #qsl.encoding<quant = <bits = 4, scale = f32>, lowrank = <rank = 1, type = f32>>

// Returns one of two encoded weights.
func.func @pick(%first: i1, %a: tensor<2x2xf32, #e>, %b: tensor<2x2xf32, #e>) -> tensor<2x2xf32, #e> {
  %w = scf.if %first -> tensor<2x2xf32, #e> {
    scf.yield %a : tensor<2x2xf32, #e>
  } else {
    scf.yield %b : tensor<2x2xf32, #e>
  }
  return %w : tensor<2x2xf32, #e>
}

func.func @main() {
  // A = [[1, 2], [3, 4]] * 1 + [[1], [0]] x [[0.5, 0.5]] = [[1.5, 2.5], [3, 4]]
  %a = qsl.constant values(dense<[[1, 2], [3, 4]]> : tensor<2x2xi4>) scales(dense<1.0> : tensor<1x2xf32>)
                    u(dense<[[1.0], [0.0]]> : tensor<2x1xf32>) v(dense<0.5> : tensor<1x2xf32>)
       : tensor<2x2xf32, #e>
  // B = [[-1, 0], [0, -1]] * 2 + 0 = [[-2, 0], [0, -2]]
  %b = qsl.constant values(dense<[[-1, 0], [0, -1]]> : tensor<2x2xi4>) scales(dense<2.0> : tensor<1x2xf32>)
                    u(dense<0.0> : tensor<2x1xf32>) v(dense<0.0> : tensor<1x2xf32>)
       : tensor<2x2xf32, #e>
  %true = arith.constant true
  %false = arith.constant false
  %wa = call @pick(%true, %a, %b) : (i1, tensor<2x2xf32, #e>, tensor<2x2xf32, #e>) -> tensor<2x2xf32, #e>
  %wb = call @pick(%false, %a, %b) : (i1, tensor<2x2xf32, #e>, tensor<2x2xf32, #e>) -> tensor<2x2xf32, #e>

  // Apply the chosen weights twice in a loop: x · A · B with x = [[1, 1]].
  //   [[1, 1]] · A = [[4.5, 6.5]];  · B = [[-9, -13]]
  %x = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r:2 = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %x, %w = %wa) -> (tensor<1x2xf32>, tensor<2x2xf32, #e>) {
    %y = qsl.matmul %acc, %w : tensor<1x2xf32>, tensor<2x2xf32, #e> -> tensor<1x2xf32>
    scf.yield %y, %wb : tensor<1x2xf32>, tensor<2x2xf32, #e>
  }
  %p = tensor.cast %r#0 : tensor<1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%p) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 2]
  // CHECK-NEXT: {{\[}}[-9, -13]]
  return
}
