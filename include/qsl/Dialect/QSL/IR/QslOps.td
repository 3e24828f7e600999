//===- QslOps.td - QSL operations ---------------------------*- tablegen -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLOPS_TD
#define QSL_DIALECT_QSL_IR_QSLOPS_TD

include "qsl/Dialect/QSL/IR/QslAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Qsl_EncodedTensor : Type<
    CPred<"::mlir::qsl::EncodedTensorType::get($_self).has_value()">,
    "ranked tensor of floats with a #qsl.encoding", "::mlir::RankedTensorType">;

def Qsl_DenseFloatTensor : Type<
    And<[CPred<"::llvm::isa<::mlir::RankedTensorType>($_self)">,
         CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">,
         CPred<"::llvm::isa<::mlir::FloatType>("
               "::llvm::cast<::mlir::RankedTensorType>($_self).getElementType())">]>,
    "ranked tensor of floats without encoding", "::mlir::RankedTensorType">;

def Qsl_ConstantOp : Qsl_Op<"constant", [Pure]> {
  let summary = "An encoded constant: the side tensors of a compressed weight";
  let description = [{
    Materializes a compressed tensor from its storage. Exactly the side
    tensors that the result's encoding requires must be given, each with the
    type the encoding implies (see `#qsl.encoding`); real models keep them as
    `dense_resource` blobs so that weights are never copied into the IR text.

    ```mlir
    %w = qsl.constant
           values(dense_resource<w0_codes> : tensor<768x3072xi4>)
           scales(dense_resource<w0_scales> : tensor<6x3072xf16>)
         : tensor<768x3072xf16, #qsl.encoding<quant = <bits = 4, group = 128, scale = f16>>>
    ```

    Canonicalization drops what adds nothing to the value and leaves it
    bit-for-bit unchanged: zero-valued outliers, low-rank components with a
    zero factor (the other finite), all-one smooth multipliers, a sparse
    facet that keeps every position of a quantized main term, and spells a
    quant group spanning its whole axis as `group = 0`. A facet is dropped
    only when another remains; the rewrite changes the constant's type, so
    it applies only when every user is `qsl.matmul`, `qsl.conv2d` or
    `qsl.unpack`.
  }];
  let arguments = (ins
    OptionalAttr<ElementsAttr>:$values,
    OptionalAttr<ElementsAttr>:$scales,
    OptionalAttr<ElementsAttr>:$zeros,
    OptionalAttr<ElementsAttr>:$codebook,
    OptionalAttr<ElementsAttr>:$mask,
    OptionalAttr<ElementsAttr>:$meta,
    OptionalAttr<ElementsAttr>:$outlier_indices,
    OptionalAttr<ElementsAttr>:$outlier_values,
    OptionalAttr<ElementsAttr>:$u,
    OptionalAttr<ElementsAttr>:$v,
    OptionalAttr<ElementsAttr>:$smooth,
    OptionalAttr<ElementsAttr>:$stat_scales,
    OptionalAttr<ElementsAttr>:$stat_zeros
  );
  let results = (outs Qsl_EncodedTensor:$result);
  let assemblyFormat = [{
    (`values` `(` $values^ `)`)?
    (`scales` `(` $scales^ `)`)?
    (`zeros` `(` $zeros^ `)`)?
    (`codebook` `(` $codebook^ `)`)?
    (`mask` `(` $mask^ `)`)?
    (`meta` `(` $meta^ `)`)?
    (`outlier_indices` `(` $outlier_indices^ `)`)?
    (`outlier_values` `(` $outlier_values^ `)`)?
    (`u` `(` $u^ `)`)?
    (`v` `(` $v^ `)`)?
    (`smooth` `(` $smooth^ `)`)?
    (`stat_scales` `(` $stat_scales^ `)`)?
    (`stat_zeros` `(` $stat_zeros^ `)`)?
    attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The storage attribute for `role`, or null when absent.
    ::mlir::ElementsAttr getStorage(::mlir::qsl::StorageRole role);
  }];
}

def Qsl_PackOp : Qsl_Op<"pack", [Pure]> {
  let summary = "Compress a dense tensor into an encoding";
  let description = [{
    Converts a dense tensor into the encoded form given by the result type.
    Packing is lossy; which approximation is chosen is up to the compression
    passes, which replace `qsl.pack` of constants with `qsl.constant`.
    `qsl.pack(qsl.unpack(%x))` folds to `%x` when the types agree.

    ```mlir
    %e = qsl.pack %d : tensor<64x64xf32> -> tensor<64x64xf32, #qsl.encoding<sparse = <2:4>>>
    ```
  }];
  let arguments = (ins Qsl_DenseFloatTensor:$source);
  let results = (outs Qsl_EncodedTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qsl_UnpackOp : Qsl_Op<"unpack", [Pure]> {
  let summary = "The dense approximation an encoded tensor stands for";
  let description = [{
    Returns the dense tensor that the encoded operand represents, exactly as
    defined by `#qsl.encoding` (computed in f32, rounded once).

    ```mlir
    %d = qsl.unpack %w : tensor<64x64xf32, #qsl.encoding<sparse = <2:4>>> -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Qsl_EncodedTensor:$source);
  let results = (outs Qsl_DenseFloatTensor:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
}

def Qsl_MatmulOp : Qsl_Op<"matmul", [Pure]> {
  let summary = "Dense activation times encoded weight";
  let description = [{
    `result[b..., m, n] = sum_k input[b..., m, k] * W[k, n]` where `W` is the
    encoded 2-D `weight` (`[K, N]`), or its transpose when `transpose_w` is
    set (`weight : [N, K]`, the ONNX Gemm `transB` form). The input may carry
    any number of leading batch dimensions (ONNX MatMul broadcasting of a 2-D
    weight) and they may be dynamic. Products and sums are computed in f32
    and rounded to the result type once.

    ```mlir
    %y = qsl.matmul %x, %w : tensor<8x128x768xf32>, tensor<768x3072xf16, #enc> -> tensor<8x128x3072xf32>
    %z = qsl.matmul %x, %wt transpose_w : tensor<4x768xf32>, tensor<3072x768xf16, #enc> -> tensor<4x3072xf32>
    ```
  }];
  let arguments = (ins Qsl_DenseFloatTensor:$input, Qsl_EncodedTensor:$weight,
                       UnitAttr:$transpose_w);
  let results = (outs Qsl_DenseFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`transpose_w` $transpose_w^)? attr-dict `:`
    type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qsl_Conv2DOp : Qsl_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution of a dense NCHW input with an encoded OIHW filter";
  let description = [{
    ONNX `Conv` semantics on `input : [N, C, H, W]` and an encoded
    `filter : [O, C/groups, kh, kw]`. `pads` is `[top, left, bottom, right]`
    (zero padding); `strides` and `dilations` are `[h, w]`. Products and sums
    are computed in f32 and rounded to the result type once.

    ```mlir
    %y = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
         : tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32, #enc> -> tensor<1x16x16x16xf32>
    ```
  }];
  let arguments = (ins
    Qsl_DenseFloatTensor:$input, Qsl_EncodedTensor:$filter,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<I64Attr, "1">:$groups
  );
  let results = (outs Qsl_DenseFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QSL_DIALECT_QSL_IR_QSLOPS_TD
