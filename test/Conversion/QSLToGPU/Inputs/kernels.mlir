// The kernel variants the GPU tests compile: int4 asymmetric with K not a
// multiple of the 8 codes per word, int8 symmetric per-channel [K, N] with
// N = 1, int4 symmetric f16 batch 8 with a group spanning whole words.
#a = #qsl.encoding<quant = <bits = 4, axis = 1, group = 4, scale = f16, zero = i8>>
func.func @int4_asym(%x: tensor<2x12xf32>) -> tensor<2x3xf32> {
  %w = qsl.constant
         values(dense<[[0,1,2,3,4,5,6,7,8,9,10,15],[15,14,13,12,11,10,9,8,7,6,5,0],[1,1,1,1,2,2,2,2,3,3,3,3]]> : tensor<3x12xi4>)
         scales(dense<[[0.5,0.25,1.0],[1.0,2.0,0.5],[0.125,0.5,0.25]]> : tensor<3x3xf16>)
         zeros(dense<[[8,7,1],[0,1,2],[3,4,5]]> : tensor<3x3xi8>)
       : tensor<3x12xf32, #a>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x12xf32>, tensor<3x12xf32, #a> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

#s = #qsl.encoding<quant = <bits = 8, axis = 0, scale = f32>>
func.func @int8_sym_n1(%x: tensor<1x1x6xf32>) -> tensor<1x1x1xf32> {
  %w = qsl.constant
         values(dense<[[-128],[127],[3],[-4],[0],[5]]> : tensor<6x1xi8>)
         scales(dense<[[0.01]]> : tensor<1x1xf32>)
       : tensor<6x1xf32, #s>
  %y = qsl.matmul %x, %w : tensor<1x1x6xf32>, tensor<6x1xf32, #s> -> tensor<1x1x1xf32>
  return %y : tensor<1x1x1xf32>
}

#h = #qsl.encoding<quant = <bits = 4, axis = 0, group = 8, scale = f16>>
func.func @int4_sym_f16_batch8(%x: tensor<8x16xf16>) -> tensor<8x2xf16> {
  %w = qsl.constant
         values(dense<[[-8,7],[1,2],[3,4],[5,6],[-1,-2],[-3,-4],[-5,-6],[-7,0],
                       [1,1],[2,2],[3,3],[4,4],[5,5],[6,6],[7,7],[-8,-8]]> : tensor<16x2xi4>)
         scales(dense<[[0.5,0.25],[1.0,2.0]]> : tensor<2x2xf16>)
       : tensor<16x2xf16, #h>
  %y = qsl.matmul %x, %w : tensor<8x16xf16>, tensor<16x2xf16, #h> -> tensor<8x2xf16>
  return %y : tensor<8x2xf16>
}
