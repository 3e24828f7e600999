// RUN: qsl-opt %s -split-input-file | qsl-opt -split-input-file | FileCheck %s
// Every facet spelling, printed back in canonical form (defaults elided).

// CHECK-LABEL: @quant_per_channel
// CHECK-SAME: #qsl.encoding<quant = <bits = 8, scale = f32>>
func.func @quant_per_channel(%a: tensor<16x8xf32, #qsl.encoding<quant = <bits = 8, axis = 0, group = 0, scale = f32>>>) { return }

// -----
// CHECK-LABEL: @quant_group_asym
// CHECK-SAME: #qsl.encoding<quant = <bits = 3, axis = 1, group = 32, scale = bf16, zero = i8>>
func.func @quant_group_asym(%a: tensor<4x64xbf16, #qsl.encoding<quant = <bits = 3, axis = 1, group = 32, scale = bf16, zero = i8>>>) { return }

// -----
// CHECK-LABEL: @quant_codebook
// CHECK-SAME: #qsl.encoding<quant = <bits = 3, scale = f16, codebook = 8>>
func.func @quant_codebook(%a: tensor<16x4xf16, #qsl.encoding<quant = <bits = 3, scale = f16, codebook = 8>>>) { return }

// -----
// CHECK-LABEL: @sparse_nm
// CHECK-SAME: #qsl.encoding<sparse = <2:4>>
// CHECK-SAME: #qsl.encoding<sparse = <4:8, axis = 1>>
func.func @sparse_nm(%a: tensor<8x8xf16, #qsl.encoding<sparse = <2:4, axis = 0>>>,
                     %b: tensor<8x8xf16, #qsl.encoding<sparse = <4:8, axis = 1>>>) { return }

// -----
// CHECK-LABEL: @sparse_unstructured_block
// CHECK-SAME: #qsl.encoding<sparse = <unstructured, nnz = 10>>
// CHECK-SAME: #qsl.encoding<sparse = <block = 2x4, nnz = 3>>
func.func @sparse_unstructured_block(%a: tensor<8x8xf32, #qsl.encoding<sparse = <unstructured, nnz = 10>>>,
                                     %b: tensor<8x8xf32, #qsl.encoding<sparse = <block = 2x4, nnz = 3>>>) { return }

// -----
// CHECK-LABEL: @outliers_lowrank
// CHECK-SAME: #qsl.encoding<outliers = <count = 3, type = f32>, lowrank = <rank = 2, type = bf16>>
func.func @outliers_lowrank(%a: tensor<8x8xf32, #qsl.encoding<lowrank = <rank = 2, type = bf16>, outliers = <count = 3, type = f32>>>) { return }

// -----
// The conv-filter matrix view: [O, I*kh*kw].
// CHECK-LABEL: @lowrank_conv_filter
// CHECK-SAME: #qsl.encoding<lowrank = <rank = 7, type = f16>>
func.func @lowrank_conv_filter(%a: tensor<16x4x3x3xf32, #qsl.encoding<lowrank = <rank = 7, type = f16>>>) { return }

// -----
// CHECK-LABEL: @smooth
// CHECK-SAME: #qsl.encoding<quant = <bits = 4, group = 32, scale = f16, zero = i4>, smooth = <type = f16>>
// CHECK-SAME: #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>, sparse = <2:4, axis = 1>, smooth = <axis = 1, type = bf16>>
func.func @smooth(%a: tensor<64x16xf32, #qsl.encoding<smooth = <axis = 0, type = f16>, quant = <bits = 4, group = 32, scale = f16, zero = i4>>>,
                  %b: tensor<16x64xf32, #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>, sparse = <2:4, axis = 1>, smooth = <axis = 1, type = bf16>>>) { return }
