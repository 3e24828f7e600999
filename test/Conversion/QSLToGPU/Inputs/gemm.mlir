// The tensor-core GEMM variants the GPU tests compile (batch > max-batch):
// int4 asymmetric with every tile edge (M = 33, K = 40, N = 70), int8
// symmetric f16 with none (M = 16, K = 32, N = 128), int2 with N = 1.
#a = #qsl.encoding<quant = <bits = 4, axis = 1, group = 8, scale = f32, zero = i8>>
func.func @int4_asym_edges(%x: tensor<33x40xf32>) -> tensor<33x70xf32> {
  %w = qsl.constant
         values(dense<5> : tensor<70x40xi4>)
         scales(dense<0.5> : tensor<70x5xf32>)
         zeros(dense<8> : tensor<70x5xi8>)
       : tensor<70x40xf32, #a>
  %y = qsl.matmul %x, %w transpose_w : tensor<33x40xf32>, tensor<70x40xf32, #a> -> tensor<33x70xf32>
  return %y : tensor<33x70xf32>
}

#s = #qsl.encoding<quant = <bits = 8, axis = 0, scale = f32>>
func.func @int8_sym_f16(%x: tensor<16x32xf16>) -> tensor<16x128xf16> {
  %w = qsl.constant
         values(dense<-3> : tensor<32x128xi8>)
         scales(dense<0.25> : tensor<1x128xf32>)
       : tensor<32x128xf32, #s>
  %y = qsl.matmul %x, %w : tensor<16x32xf16>, tensor<32x128xf32, #s> -> tensor<16x128xf16>
  return %y : tensor<16x128xf16>
}

#t = #qsl.encoding<quant = <bits = 2, axis = 1, scale = f32, zero = i8>>
func.func @int2_n1(%x: tensor<2x9x16xf32>) -> tensor<2x9x1xf32> {
  %w = qsl.constant
         values(dense<2> : tensor<1x16xi2>)
         scales(dense<0.5> : tensor<1x1xf32>)
         zeros(dense<1> : tensor<1x1xi8>)
       : tensor<1x16xf32, #t>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x9x16xf32>, tensor<1x16xf32, #t> -> tensor<2x9x1xf32>
  return %y : tensor<2x9x1xf32>
}
