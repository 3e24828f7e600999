// Packed GEMMs with more rows than one block takes (warps side by side
// along N, sharing the block's rows), their activations staged in shared
// memory: f16, f32, and f16 with a 2-bit weight whose 64-wide chunks make
// 8 KiB stages.
#a = #qsl.encoding<quant = <bits = 4, axis = 1, group = 128, scale = f32, zero = i8>>
func.func @int4_f16(%x: tensor<130x256xf16>) -> tensor<130x256xf16> {
  %w = qsl.constant
         values(dense<5> : tensor<256x256xi4>)
         scales(dense<0.5> : tensor<256x2xf32>)
         zeros(dense<8> : tensor<256x2xi8>)
       : tensor<256x256xf32, #a>
  %y = qsl.matmul %x, %w transpose_w : tensor<130x256xf16>, tensor<256x256xf32, #a> -> tensor<130x256xf16>
  return %y : tensor<130x256xf16>
}

func.func @int4_f32(%x: tensor<130x256xf32>) -> tensor<130x256xf32> {
  %w = qsl.constant
         values(dense<5> : tensor<256x256xi4>)
         scales(dense<0.5> : tensor<256x2xf32>)
         zeros(dense<8> : tensor<256x2xi8>)
       : tensor<256x256xf32, #a>
  %y = qsl.matmul %x, %w transpose_w : tensor<130x256xf32>, tensor<256x256xf32, #a> -> tensor<130x256xf32>
  return %y : tensor<130x256xf32>
}

#t = #qsl.encoding<quant = <bits = 2, axis = 1, group = 64, scale = f32>>
func.func @int2_f16(%x: tensor<96x512xf16>) -> tensor<96x128xf16> {
  %w = qsl.constant
         values(dense<1> : tensor<128x512xi2>)
         scales(dense<0.25> : tensor<128x8xf32>)
       : tensor<128x512xf32, #t>
  %y = qsl.matmul %x, %w transpose_w : tensor<96x512xf16>, tensor<128x512xf32, #t> -> tensor<96x128xf16>
  return %y : tensor<96x128xf16>
}
