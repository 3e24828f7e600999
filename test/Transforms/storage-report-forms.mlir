// RUN: qsl-opt %s --qsl-storage-report -verify-diagnostics -split-input-file
// Storage of the remaining forms, worked out by hand.

// Codebook: 3-bit indices into one 8-entry f16 table per column of a 64x32 f16
// weight: 64*32*3 + 32*8*16 = 6144 + 4096 = 10240 bits; 10240/2048 = 5 bits;
// 32768/10240 = 3.20x.
// expected-remark @+1 {{argument #0 tensor<64x32xf16>: 10240 bits, 5.000 bits/parameter, 3.20x smaller than dense; values tensor<64x32xi3>, codebook tensor<1x32x8xf16>}}
func.func @codebook(%w: tensor<64x32xf16, #qsl.encoding<quant = <bits = 3, scale = f16, codebook = 8>>>) { return }

// -----
// Unstructured, 100 of 256 f16 kept: 100*16 + 256 (mask) = 1856 bits = 7.25 bits;
// 4096/1856 = 2.21x.
// expected-remark @+1 {{argument #0 tensor<16x16xf16>: 1856 bits, 7.250 bits/parameter, 2.21x smaller than dense; values tensor<100xf16>, mask tensor<16x16xi1>}}
func.func @unstructured(%w: tensor<16x16xf16, #qsl.encoding<sparse = <unstructured, nnz = 100>>>) { return }

// -----
// 2x4 blocks of a 16x16 f32 matrix, 6 kept: 6*8*32 + 8*4 (block mask) = 1568 bits
// = 6.125 bits; 8192/1568 = 5.22x.
// expected-remark @+1 {{argument #0 tensor<16x16xf32>: 1568 bits, 6.125 bits/parameter, 5.22x smaller than dense; values tensor<6x2x4xf32>, mask tensor<8x4xi1>}}
func.func @block(%w: tensor<16x16xf32, #qsl.encoding<sparse = <block = 2x4, nnz = 6>>>) { return }

// -----
// int8 per output channel of a 64x32x3x3 conv filter (matrix 64x288):
// 18432*8 + 64*32 = 149504 bits = 8.111 bits; 589824/149504 = 3.95x.
// expected-remark @+1 {{argument #0 tensor<64x32x3x3xf32>: 149504 bits, 8.111 bits/parameter, 3.95x smaller than dense; values tensor<64x288xi8>, scales tensor<64x1xf32>}}
func.func @conv_filter(%w: tensor<64x32x3x3xf32, #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>>) { return }
