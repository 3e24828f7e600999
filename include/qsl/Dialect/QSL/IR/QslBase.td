//===- QslBase.td - QSL dialect definition -----------------*- tablegen -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLBASE_TD
#define QSL_DIALECT_QSL_IR_QSLBASE_TD

include "mlir/IR/OpBase.td"

def Qsl_Dialect : Dialect {
  let name = "qsl";
  let cppNamespace = "::mlir::qsl";
  let summary = "Quantized, sparse and low-rank compressed tensors";
  let description = [{
    The `qsl` dialect describes how a weight tensor is *stored* when it has been
    compressed, without changing what it *means*. A compressed weight keeps its
    logical builtin type (`tensor<768x3072xf16>`) and carries a
    `#qsl.encoding<...>` that composes up to four facets:

    ```
    W  ≈  deq(Q) ⊙ M  +  O  +  U·V
          quant   sparse outliers lowrank
    ```

    The side tensors a facet needs (codes, scales, zero points, codebooks,
    masks, N:M metadata, outlier lists, low-rank factors) are held by
    `qsl.constant` as elements attributes, normally `dense_resource` blobs.
    `qsl.matmul` and `qsl.conv2d` consume an encoded weight directly, so later
    lowerings can fuse decompression into the kernel; `qsl-lower-to-linalg`
    defines their meaning by building the exact dense approximation.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Qsl_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qsl_Dialect, mnemonic, traits>;

#endif // QSL_DIALECT_QSL_IR_QSLBASE_TD
