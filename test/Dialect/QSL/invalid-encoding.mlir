// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{qsl.encoding needs at least one facet (quant, sparse, outliers or lowrank)}}
func.func @no_facet(%a: tensor<8x8xf32, #qsl.encoding<>>) { return }

// -----
// expected-error @+1 {{qsl.encoding requires a float element type, got 'i8'}}
func.func @integer_tensor(%a: tensor<8x8xi8, #qsl.encoding<sparse = <2:4>>>) { return }

// -----
// expected-error @+1 {{qsl.encoding requires a static shape}}
func.func @dynamic_shape(%a: tensor<?x8xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>) { return }

// -----
// expected-error @+1 {{qsl.encoding requires a tensor of rank >= 1}}
func.func @scalar(%a: tensor<f32, #qsl.encoding<outliers = <count = 1, type = f16>>>) { return }

// -----
// expected-error @+1 {{duplicate or unknown struct parameter name: rank}}
func.func @unknown_facet_param(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, scale = f16, rank = 2>>>) { return }

// -----
// expected-error @+1 {{unknown qsl.encoding facet 'quantize'; expected quant, sparse, outliers, lowrank or smooth}}
func.func @unknown_facet(%a: tensor<8x8xf32, #qsl.encoding<quantize = <bits = 4, scale = f16>>>) { return }

// -----
// expected-error @+1 {{qsl.encoding facet 'sparse' is given twice}}
func.func @repeated_facet(%a: tensor<8x8xf32, #qsl.encoding<sparse = <2:4>, sparse = <1:4>>>) { return }
