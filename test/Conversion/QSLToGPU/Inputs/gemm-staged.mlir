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

// 1x1 convolutions (unit strides, no padding): 2 x 64 pixels in two row
// blocks, the image staged K-major (channel planes in 16-byte granules of
// pixels), f16 and f32.
#c = #qsl.encoding<quant = <bits = 4, axis = 1, group = 32, scale = f32, zero = i8>>
func.func @conv1x1_f16(%x: tensor<2x64x8x8xf16>) -> tensor<2x96x8x8xf16> {
  %w = qsl.constant
         values(dense<3> : tensor<96x64xi4>)
         scales(dense<0.5> : tensor<96x2xf32>)
         zeros(dense<8> : tensor<96x2xi8>)
       : tensor<96x64x1x1xf32, #c>
  %y = qsl.conv2d %x, %w : tensor<2x64x8x8xf16>, tensor<96x64x1x1xf32, #c> -> tensor<2x96x8x8xf16>
  return %y : tensor<2x96x8x8xf16>
}

func.func @conv1x1_f32(%x: tensor<2x64x8x8xf32>) -> tensor<2x96x8x8xf32> {
  %w = qsl.constant
         values(dense<3> : tensor<96x64xi4>)
         scales(dense<0.5> : tensor<96x2xf32>)
         zeros(dense<8> : tensor<96x2xi8>)
       : tensor<96x64x1x1xf32, #c>
  %y = qsl.conv2d %x, %w : tensor<2x64x8x8xf32>, tensor<96x64x1x1xf32, #c> -> tensor<2x96x8x8xf32>
  return %y : tensor<2x96x8x8xf32>
}

// A 3x3 convolution with padding, f32 image: the implicit im2col tile
// gathered one element per cp.async.
#g = #qsl.encoding<quant = <bits = 4, axis = 1, group = 16, scale = f32, zero = i8>>
func.func @conv3x3_f32(%x: tensor<2x16x8x8xf32>) -> tensor<2x64x8x8xf32> {
  %w = qsl.constant
         values(dense<3> : tensor<64x144xi4>)
         scales(dense<0.5> : tensor<64x9xf32>)
         zeros(dense<8> : tensor<64x9xi8>)
       : tensor<64x16x3x3xf32, #g>
  %y = qsl.conv2d %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, groups = 1 : i64} : tensor<2x16x8x8xf32>, tensor<64x16x3x3xf32, #g> -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}
