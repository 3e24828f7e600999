// RUN: qsl-opt %s --qsl-lower-to-linalg -split-input-file -verify-diagnostics

func.func @runtime_pack(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{qsl.pack of a run-time value has no reference lowering; compression passes must replace it with qsl.constant first}}
  %e = qsl.pack %x : tensor<4x8xf32> -> tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
  %d = qsl.unpack %e : tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}
