// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// All four facets at once, W = select(M, deq(Q), 0) + O + U·V, and the
// single final rounding to f16.

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefF16(tensor<*xf16>) attributes {llvm.emit_c_interface}

#all = #qsl.encoding<quant = <bits = 4, scale = f32>, sparse = <2:4, axis = 1>,
                     outliers = <count = 1, type = f32>, lowrank = <rank = 1, type = f32>>

func.func @main() {
  // Main term: per-column scales [1, 2, 0.5, 1]; 2:4 along each row.
  //   row 0: code 3 at col 0 -> 3,  code -2 at col 2 -> -1  => [3, 0, -1, 0]
  //   row 1: code 1 at col 1 -> 2,  code 4 at col 3 -> 4    => [0, 2, 0, 4]
  // Outlier +0.25 at (0, 2)                                  => [3, 0, -0.75, 0]
  // U·V = [[1], [0.5]] x [[0, 1, 0, -2]] = [[0, 1, 0, -2], [0, 0.5, 0, -1]]
  // Total: [[3, 1, -0.75, -2], [0, 2.5, 0, 3]]
  %a = qsl.constant values(dense<[[3, -2], [1, 4]]> : tensor<2x2xi4>)
                    scales(dense<[[1.0, 2.0, 0.5, 1.0]]> : tensor<1x4xf32>)
                    meta(dense<[[0, 2], [1, 3]]> : tensor<2x2xi2>)
                    outlier_indices(dense<[2]> : tensor<1xi32>)
                    outlier_values(dense<[0.25]> : tensor<1xf32>)
                    u(dense<[[1.0], [0.5]]> : tensor<2x1xf32>)
                    v(dense<[[0.0, 1.0, 0.0, -2.0]]> : tensor<1x4xf32>)
       : tensor<2x4xf32, #all>
  %da = qsl.unpack %a : tensor<2x4xf32, #all> -> tensor<2x4xf32>
  %pa = tensor.cast %da : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[3, 1, -0.75, -2],
  // CHECK-NEXT: [0, 2.5, 0, 3]]

  // Rounded once: the main term 1 + 2^-11 is not an f16, nor is U·V = 2^-11,
  // but their sum 1 + 2^-10 = 1.0009765625 is. Rounding each term to f16
  // first would give 1.
  %b = qsl.constant values(dense<[[1, 1], [0, 1]]> : tensor<2x2xi2>)
                    scales(dense<[[1.00048828125, 1.0]]> : tensor<1x2xf32>)
                    u(dense<[[0.00048828125], [0.0]]> : tensor<2x1xf32>)
                    v(dense<[[1.0, 0.0]]> : tensor<1x2xf32>)
       : tensor<2x2xf16, #qsl.encoding<quant = <bits = 2, scale = f32>, lowrank = <rank = 1, type = f32>>>
  %db = qsl.unpack %b : tensor<2x2xf16, #qsl.encoding<quant = <bits = 2, scale = f32>, lowrank = <rank = 1, type = f32>>> -> tensor<2x2xf16>
  %pb = tensor.cast %db : tensor<2x2xf16> to tensor<*xf16>
  call @printMemrefF16(%pb) : (tensor<*xf16>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[1.00098, 1],
  // CHECK-NEXT: [0, 1]]
  return
}
