// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{outliers count must be positive, got 0}}
func.func @zero_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 0, type = f16>>>) { return }

// -----
// expected-error @+1 {{outliers count 65 exceeds the 64 elements of the tensor}}
func.func @too_many_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 65, type = f16>>>) { return }

// -----
// expected-error @+1 {{outliers type must be a float type, got 'i16'}}
func.func @integer_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 4, type = i16>>>) { return }


// -----
// expected-error @+1 {{outliers facet is missing 'type'}}
func.func @outliers_without_type(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 4>>>) { return }
