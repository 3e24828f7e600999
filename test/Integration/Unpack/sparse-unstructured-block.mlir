// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Unstructured and block sparsity: kept values are stored in row-major order
// of the mask.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // mask [[1,0,0],[0,1,1],[0,0,1]], values [5, 6, 7, 8].
  %a = qsl.constant values(dense<[5.0, 6.0, 7.0, 8.0]> : tensor<4xf32>)
                    mask(dense<[[true, false, false], [false, true, true], [false, false, true]]> : tensor<3x3xi1>)
       : tensor<3x3xf32, #qsl.encoding<sparse = <unstructured, nnz = 4>>>
  %da = qsl.unpack %a : tensor<3x3xf32, #qsl.encoding<sparse = <unstructured, nnz = 4>>> -> tensor<3x3xf32>
  %pa = tensor.cast %da : tensor<3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 3]
  // CHECK-NEXT: {{\[}}[5, 0, 0],
  // CHECK-NEXT: [0, 6, 7],
  // CHECK-NEXT: [0, 0, 8]]

  // The same mask with asymmetric 8-bit codes, one scale/zero per column:
  // pruned positions stay 0 although deq(0) = -scale * zero.
  //   scales [1, 0.5, 0.25], zeros [1, 2, 4]
  //   kept: (0,0) 1*(11-1) = 10, (1,1) .5*(22-2) = 10, (1,2) .25*(34-4) = 7.5, (2,2) .25*(44-4) = 10
  %b = qsl.constant values(dense<[11, 22, 34, 44]> : tensor<4xi8>)
                    scales(dense<[[1.0, 0.5, 0.25]]> : tensor<1x3xf32>)
                    zeros(dense<[[1, 2, 4]]> : tensor<1x3xi8>)
                    mask(dense<[[true, false, false], [false, true, true], [false, false, true]]> : tensor<3x3xi1>)
       : tensor<3x3xf32, #qsl.encoding<quant = <bits = 8, scale = f32, zero = i8>, sparse = <unstructured, nnz = 4>>>
  %db = qsl.unpack %b : tensor<3x3xf32, #qsl.encoding<quant = <bits = 8, scale = f32, zero = i8>, sparse = <unstructured, nnz = 4>>> -> tensor<3x3xf32>
  %pb = tensor.cast %db : tensor<3x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 3]
  // CHECK-NEXT: {{\[}}[10, 0, 0],
  // CHECK-NEXT: [0, 10, 7.5],
  // CHECK-NEXT: [0, 0, 10]]

  // 2x2 blocks of a 4x4 matrix, block mask [[0,1],[1,0]]:
  // block (0,1) = [[1,2],[3,4]], block (1,0) = [[5,6],[7,8]].
  %c = qsl.constant values(dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>)
                    mask(dense<[[false, true], [true, false]]> : tensor<2x2xi1>)
       : tensor<4x4xf32, #qsl.encoding<sparse = <block = 2x2, nnz = 2>>>
  %dc = qsl.unpack %c : tensor<4x4xf32, #qsl.encoding<sparse = <block = 2x2, nnz = 2>>> -> tensor<4x4xf32>
  %pc = tensor.cast %dc : tensor<4x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4, 4]
  // CHECK-NEXT: {{\[}}[0, 0, 1, 2],
  // CHECK-NEXT: [0, 0, 3, 4],
  // CHECK-NEXT: [5, 6, 0, 0],
  // CHECK-NEXT: [7, 8, 0, 0]]

  // Blocks on the matrix view of a 2x2x2 tensor ([2, 4]), 1x2 blocks, only
  // the last one kept: matrix [[0,0,0,0],[0,0,9,10]].
  %d = qsl.constant values(dense<[[[9.0, 10.0]]]> : tensor<1x1x2xf32>)
                    mask(dense<[[false, false], [false, true]]> : tensor<2x2xi1>)
       : tensor<2x2x2xf32, #qsl.encoding<sparse = <block = 1x2, nnz = 1>>>
  %dd = qsl.unpack %d : tensor<2x2x2xf32, #qsl.encoding<sparse = <block = 1x2, nnz = 1>>> -> tensor<2x2x2xf32>
  %pd = tensor.cast %dd : tensor<2x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[0, 0],
  // CHECK-NEXT: [0, 0]],
  // CHECK-NEXT: {{\[}}[0, 0],
  // CHECK-NEXT: [9, 10]]]
  return
}
