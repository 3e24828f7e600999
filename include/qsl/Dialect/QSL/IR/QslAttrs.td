//===- QslAttrs.td - QSL encoding attributes ----------------*- tablegen -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLATTRS_TD
#define QSL_DIALECT_QSL_IR_QSLATTRS_TD

include "qsl/Dialect/QSL/IR/QslBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"

class Qsl_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qsl_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Facets
//===----------------------------------------------------------------------===//

def Qsl_QuantAttr : Qsl_Attr<"Quant", "quant"> {
  let summary = "Quantization facet: integer codes with scales, zero points or a codebook";
  let description = [{
    Stores each kept element as a `bits`-wide integer code. Like every facet
    it sees the tensor as the matrix `[dim0, dim1*...*dimN]` (a conv filter
    `[O, I, kh, kw]` is `[O, I*kh*kw]`). Elements are split into groups of
    `group` consecutive elements along matrix axis `axis` (0 or 1; the
    reduction axis of the consuming op: 0 for an ONNX MatMul weight `[K, N]`,
    1 for a Gemm `transB` weight `[N, K]` or a conv filter). `group = 0` (the
    default) means one group spans the whole axis: per-output-channel
    quantization.

    * Symmetric (no `zero`): codes are signed two's complement,
      `w = scale[g] * q`.
    * Asymmetric (`zero = <type>`): codes are unsigned,
      `w = scale[g] * (q - zero[g])`; integer zero points are unsigned.
    * Codebook (`codebook = K`, K ≤ 2^bits): codes are unsigned indices into a
      per-group table of K centroids of type `scale`, `w = codebook[g][q]`
      (SqueezeLLM-style non-uniform quantization). No scales or zero points.

    * Quantized statistics (`stat_bits = B2, stat_group = S`, SpQR-style,
      group-wise only): the scales are themselves stored as unsigned
      `B2`-bit codes, dequantized by a second level of asymmetric min-max
      parameters shared by runs of `S` consecutive scales along the other
      matrix axis: `scale[g] = stat_scale[h] * (scode[g] - stat_zero[h])`,
      `h` = g with its other-axis index divided by `S`. Zero points, when
      integer-typed, are already `bits` wide.

    Side tensors: `values` (the codes, `i<bits>`, matrix-shaped), `scales`
    and `zeros` shaped like the matrix with axis `axis` divided by `group`
    (or 1), and `codebook` with that shape plus a trailing `K`. With
    quantized statistics `scales` holds `i<stat_bits>` codes and
    `stat_scales`/`stat_zeros` (of the `scale` type) have the scales' shape
    with the other axis divided by `stat_group`.

    Example: `quant = <bits = 4, axis = 0, group = 128, scale = f16, zero = i4>`,
    `quant = <bits = 3, axis = 1, group = 16, scale = f16, zero = i3,
    stat_bits = 3, stat_group = 16>`
  }];
  let parameters = (ins
    "unsigned":$bits,
    DefaultValuedParameter<"int64_t", "0">:$axis,
    DefaultValuedParameter<"int64_t", "0">:$group,
    "::mlir::Type":$scale,
    OptionalParameter<"::mlir::Type">:$zero,
    DefaultValuedParameter<"int64_t", "0">:$codebook,
    DefaultValuedParameter<"unsigned", "0">:$stat_bits,
    DefaultValuedParameter<"int64_t", "0">:$stat_group
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isSymmetric() const { return !getZero() && getCodebook() == 0; }
    bool hasCodebook() const { return getCodebook() != 0; }
    bool hasQuantizedStats() const { return getStatBits() != 0; }
  }];
}

def Qsl_SparseAttr : Qsl_Attr<"Sparse", "sparse"> {
  let summary = "Sparsity facet: unstructured, N:M or block";
  let description = [{
    Says which elements of the main term are kept; pruned ones are exactly 0.
    Works on the matrix view `[dim0, dim1*...*dimN]`.

    * `<N:M>` / `<N:M, axis = A>`: in every run of M consecutive elements
      along matrix axis A (default 0) at most N are kept (2:4 for sparse
      tensor cores). Side tensors: `values`, the matrix with axis A scaled by
      N/M, and `meta` of the same shape whose unsigned `i<ceil(log2 M)>`
      entries give each kept element's position within its run.
    * `<unstructured, nnz = K>`: any K elements are kept. Side tensors:
      `values` (`[K]`, kept elements in row-major order) and `mask` (`i1`,
      matrix-shaped).
    * `<block = RxC, nnz = K>`: the matrix is tiled by RxC blocks and K blocks
      are kept. Side tensors: `values` (`[K, R, C]`, kept blocks in row-major
      order) and `mask` (`i1`, one per block).

    Example: `sparse = <2:4>`, `sparse = <block = 4x4, nnz = 12>`
  }];
  let parameters = (ins
    "::mlir::qsl::SparseKind":$kind,
    "int64_t":$n,
    "int64_t":$m,
    "int64_t":$axis,
    "int64_t":$blockRows,
    "int64_t":$blockCols,
    "int64_t":$nnz
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "int64_t":$n, "int64_t":$m, "int64_t":$axis), [{
      return $_get($_ctxt, ::mlir::qsl::SparseKind::NM, n, m, axis, 0, 0, 0);
    }]>
  ];
  let extraClassDeclaration = [{
    bool isNM() const { return getKind() == SparseKind::NM; }
    bool isUnstructured() const { return getKind() == SparseKind::Unstructured; }
    bool isBlock() const { return getKind() == SparseKind::Block; }
    /// Bits of one N:M metadata entry: ceil(log2(M)).
    unsigned getMetaBits() const;
  }];
}

def Qsl_OutliersAttr : Qsl_Attr<"Outliers", "outliers"> {
  let summary = "Outlier facet: a sparse list of high-precision residuals";
  let description = [{
    `count` elements receive an additive correction kept in `type`
    (SpQR / EasyQuant style). Side tensors: `outlier_indices` (`[count]`,
    row-major linear indices, `i32` when the tensor has fewer than 2^31
    elements, else `i64`) and `outlier_values` (`[count]` of `type`).
    Indices may repeat; their values add up.

    Example: `outliers = <count = 16, type = f16>`
  }];
  let parameters = (ins "int64_t":$count, "::mlir::Type":$type);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Qsl_LowRankAttr : Qsl_Attr<"LowRank", "lowrank"> {
  let summary = "Low-rank facet: an additive U·V term";
  let description = [{
    Adds `U·V` to the matrix view `[dim0, dim1*...*dimN]` of the tensor, with
    `U : [dim0, rank]` and `V : [rank, dim1*...*dimN]` of `type`. Alone it is a
    truncated factorization (SVD, SVD-LLM); with other facets it is a
    compensation of their error (LQER, EoRA).

    Example: `lowrank = <rank = 32, type = f16>`
  }];
  let parameters = (ins "int64_t":$rank, "::mlir::Type":$type);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Qsl_SmoothAttr : Qsl_Attr<"Smooth", "smooth"> {
  let summary = "Smoothing facet: one multiplier per channel of the reduction axis";
  let description = [{
    Multiplies the sum of all other facets by `smooth[i]`, where `i` is the
    element's index along matrix axis `axis` (the reduction axis of the
    consuming op, as for `quant`). The other facets therefore encode the
    weight with every input channel divided by its multiplier,
    `W' = W ⊙ (1/smooth)`, which is what activation-aware scaling (AWQ,
    SmoothQuant) quantizes: channels that see large activations get larger
    weights and finer steps. A kernel applies the multipliers to the
    activation (`x ⊙ smooth`, K products per row) instead of to the weight.
    Side tensor: `smooth` (`[size of axis]`, of `type`).
    It needs another facet: alone it would scale nothing.

    Example: `smooth = <axis = 0, type = f16>`
  }];
  let parameters = (ins
    DefaultValuedParameter<"int64_t", "0">:$axis,
    "::mlir::Type":$type
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// The encoding
//===----------------------------------------------------------------------===//

def Qsl_EncodingAttr : Qsl_Attr<"Encoding", "encoding",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "How a compressed tensor is stored";
  let description = [{
    A tensor encoding whose facets compose into

    ```
    W = round_T( S ⊙ (select(M, deq(Q), 0) + scatter(O) + U·V) )
    ```

    where every term is computed in f32 (f64 for f64 tensors) and rounded to
    the tensor's element type `T` once, and `S` scales every element by the
    `smooth` multiplier of its channel. Facets that are absent contribute
    nothing (an absent `smooth` multiplies by 1); at least one of the
    other four must be present. The side tensors needed by the
    facets, and their types, follow from the encoding and the tensor's shape
    (see `EncodedTensorType` in C++), in this order: `values`, `scales`,
    `zeros`, `codebook`, `mask`, `meta`, `outlier_indices`, `outlier_values`,
    `u`, `v`, `smooth`.

    Example, all four facets on one weight:

    ```mlir
    tensor<256x512xf16, #qsl.encoding<
        quant = <bits = 4, group = 64, scale = f16, zero = i4>,
        sparse = <2:4>,
        outliers = <count = 128, type = f16>,
        lowrank = <rank = 16, type = f16>>>
    ```
  }];
  let parameters = (ins
    OptionalParameter<"::mlir::qsl::QuantAttr">:$quant,
    OptionalParameter<"::mlir::qsl::SparseAttr">:$sparse,
    OptionalParameter<"::mlir::qsl::OutliersAttr">:$outliers,
    OptionalParameter<"::mlir::qsl::LowRankAttr">:$lowrank,
    OptionalParameter<"::mlir::qsl::SmoothAttr">:$smooth
  );
  // Written by hand so that an error inside a facet is reported once, at the
  // facet, and an unknown or repeated facet name gets its own message.
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // QSL_DIALECT_QSL_IR_QSLATTRS_TD
