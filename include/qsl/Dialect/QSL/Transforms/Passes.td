//===- Passes.td - QSL dialect passes -----------------------*- tablegen -*-===//
#ifndef QSL_DIALECT_QSL_TRANSFORMS_PASSES_TD
#define QSL_DIALECT_QSL_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QslStorageReportPass : Pass<"qsl-storage-report", "ModuleOp"> {
  let summary = "Report the storage of every encoded tensor as remarks";
  let description = [{
    For every `qsl.constant` and every encoded function argument, emits a
    remark with the total bit-packed size of its side tensors, the bits per
    parameter (all side tensors included: scales, zero points, metadata,
    outliers, factors) and the ratio to the dense tensor, followed by the
    type of every side tensor. The IR is left unchanged.

    ```
    $ qsl-opt --qsl-storage-report model.mlir
    model.mlir:3:8: remark: tensor<256x512xf16>: 636928 bits, 4.859 bits/parameter,
      3.29x smaller than dense; values tensor<128x512xi4>, scales tensor<4x512xf16>, ...
    ```
  }];
}

#endif // QSL_DIALECT_QSL_TRANSFORMS_PASSES_TD
