//===- Passes.td - QSL conversion passes --------------------*- tablegen -*-===//
#ifndef QSL_CONVERSION_PASSES_TD
#define QSL_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QslLowerToLinalgPass : Pass<"qsl-lower-to-linalg", "ModuleOp"> {
  let summary = "Reference lowering: encoded tensors become their exact dense "
                "approximation, qsl.matmul/qsl.conv2d become linalg";
  let description = [{
    Defines what every `qsl` op means, and is the oracle every fused kernel is
    tested against.

    * An encoded tensor value becomes its side tensors (a 1:N type
      conversion, also applied to function signatures, calls and returns):
      `tensor<64x64xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>>`
      becomes `tensor<64x64xi4>, tensor<1x64xf16>`.
    * `qsl.constant` becomes one `arith.constant` per side tensor (resource
      blobs stay resources).
    * `qsl.unpack` and the weights of `qsl.matmul`/`qsl.conv2d` are rebuilt
      densely with `linalg.generic`, `tensor` and `scf` ops:
      `round_T(select(M, deq(Q), 0) + scatter(O) + U·V)`, computed in f32.
    * `qsl.matmul` becomes a `linalg.generic` contraction over the batch, M,
      N and K dimensions; `qsl.conv2d` becomes `tensor.pad` plus a grouped
      convolution `linalg.generic`; both accumulate in f32.

    `qsl.pack` of a value computed at run time has no reference lowering:
    compression passes replace packs of constants with `qsl.constant`, and
    the pass reports any pack that is left.

    Example:

    ```mlir
    %d = qsl.unpack %w : tensor<2x4xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
                      -> tensor<2x4xf32>
    ```
    becomes a `linalg.generic` that places each kept value at the position
    its metadata names and zero elsewhere.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // QSL_CONVERSION_PASSES_TD
