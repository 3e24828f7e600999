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

def QslQuantizePass : Pass<"qsl-quantize", "ModuleOp"> {
  let summary = "Quantize the weights of contractions and convolutions (RTN, MSE, GPTQ, AWQ)";
  let description = [{
    Replaces every contraction of an activation with a constant 2-D float
    weight (ONNX MatMul/Gemm as imported, `linalg.matmul`, or a `qsl.matmul`
    on a weight an earlier pass pruned) by a `qsl.matmul` on a `qsl.constant`
    with a `quant` facet: `bits`-bit codes, one scale (and, asymmetric, one
    zero point) per `group` consecutive elements along the reduction axis
    (0 = per output channel). A weight whose K the group does not divide is
    left as it is with a warning.

    2-D convolutions with a constant OIHW filter (ONNX Conv as imported, or
    a `qsl.conv2d` on a pruned filter) become a `qsl.conv2d` on a
    `qsl.constant`; the bias add after them stays. The filter is the matrix
    `[O, K = C/groups·kh·kw]` (the OIHW tensor reshaped), so groups run
    along `(c, kh, kw)` in that order. Calibration statistics of a
    convolution are over its im2col patches; data-aware methods (`gptq`,
    `awq`) leave grouped convolutions (`groups > 1`, e.g. depthwise) as they
    are with a warning, `rtn` and `mse` compress them.

    Methods:
    * `rtn`: round to nearest with the group's min/max range (data-free);
    * `mse`: round to nearest with the clip ratio minimising the group's
      error (a grid search, data-free);
    * `gptq`: GPTQ (Frantar et al., 2022) with the layer-input Hessian
      `XᵀX` that `qslc --calibrate` attached; `act-order` (on by default:
      groups keep their contiguous columns, so it costs no index tensor),
      `damp` and `block-size` as in the paper. A weight without statistics
      is an error naming it;
    * `awq`: activation-aware scaling (Lin et al., 2024), then round to
      nearest: every input channel is scaled by `s`, chosen per group of
      weights reading the same activation (Q, K and V share theirs) by a
      grid search over the AWQ and AutoAWQ-duo families that minimises the
      calibrated output error. The multipliers `1/s` are stored in a
      `smooth` facet (`scale-type`), which kernels apply to the activation.
      Needs `qslc --calibrate` statistics;
    * `squeezellm`: non-uniform codebook quantization (Kim et al., 2023):
      every output channel (or, with an explicit `group`, every group) gets
      a table of `2^bits` centroids of type `scale-type` and the codes index
      it (`quant = <..., codebook = 2^bits>`, no scales or zero points). The
      table is a 1-D k-means weighted by the sensitivity `diag(XᵀX)` of each
      element's input channel (needs `qslc --calibrate` statistics). Tables
      are per channel unless `group` is given (which must be at least
      `2^bits`); `symmetric` and `range` do not apply. With `outliers=f` this
      is SqueezeLLM's dense-and-sparse decomposition;
    * `kmeans`: the same with uniform weights (data-free).

    `range=mse` replaces the min/max range of every group by the clip ratio
    that minimises its error, for `rtn`, `gptq` and `awq` (whose scale
    search itself uses min/max ranges, as AutoAWQ's does). `outliers=f` keeps the
    fraction `f` of each weight's largest-magnitude elements in f16
    (EasyQuant-style, data-free): they are removed before the ranges are
    chosen and stored as an `outliers` facet holding `w - deq(q)` at their
    positions.

    A weight that is already sparse keeps its sparsity: only kept elements
    are quantized (`sparse` + `quant` facets in one encoding). Weights run
    in parallel on MLIR's thread pool. Every new `qsl.constant` records its
    weight name, its original data and the method for `qslc --report`.

    ```
    qsl-opt --qsl-quantize="bits=4 group=128 method=gptq act-order=true" model.mlir
    qslc model.onnx --calibrate=calib.npz --pipeline="qsl-quantize{bits=4 group=128 method=gptq}"
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4", "Bits per code (2-8)">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "Elements per scale along the reduction axis (0: per channel)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Signed codes without zero points">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "rtn | mse | gptq | awq | squeezellm | kmeans">,
    Option<"actOrder", "act-order", "bool", /*default=*/"true",
           "GPTQ: quantize columns in order of decreasing Hessian diagonal "
           "(free in this format: groups stay contiguous)">,
    Option<"range", "range", "std::string", /*default=*/"\"minmax\"",
           "How group ranges are chosen for rtn and gptq: minmax | mse "
           "(method=mse is rtn with range=mse)">,
    Option<"scaleType", "scale-type", "std::string", /*default=*/"\"f16\"",
           "Element type of scales (and AWQ's smooth multipliers): "
           "f16 | bf16 | f32">,
    Option<"outliers", "outliers", "double", /*default=*/"0.0",
           "Fraction of each weight's largest-magnitude elements kept in f16 "
           "as an outlier list (EasyQuant-style; the rest is quantized "
           "without them)">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex "
           "(e.g. 'lm_head|classifier')">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated (MatMul,Gemm,"
           "Conv; the MLIR op name for IR not imported from ONNX)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "GPTQ/SparseGPT dampening: damp * mean(diag(H)) is added to diag(H)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "GPTQ/SparseGPT lazy-update block width (columns)">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

def QslFactorizePass : Pass<"qsl-factorize", "ModuleOp"> {
  let summary = "Replace weights by low-rank factors U·V (SVD, activation-whitened SVD)";
  let description = [{
    Replaces every selected contraction weight `W : [N, K]` (outputs ×
    inputs) by a `qsl.constant` with a `lowrank` facet alone, `W ≈ U·V` with
    `U : [N, r]`, `V : [r, K]`:

    * `method=svd`: the truncated SVD, optimal for `‖W − UV‖_F` (data-free;
      randomized for large matrices);
    * `method=whitened` (SVD-LLM, Wang et al., 2024): optimal for the
      calibrated output error `‖(W − UV)Xᵀ‖_F`, from the Cholesky factor of
      `XᵀX` that `qslc --calibrate` attached (`damp` regularizes it).

    The rank is `rank`, or with `energy` in (0, 1] the smallest rank whose
    singular values keep that share of the (weighted) energy `Σσ²`. A weight
    whose factors would not be smaller than the dense weight (`r·(N+K) ≥
    N·K` elements) is left as it is with a warning. Factors are stored in
    `type`.

    ```
    qslc model.onnx --calibrate=calib/ --pipeline="qsl-factorize{method=whitened energy=0.9}"
    ```
  }];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "Rank of every factorization (0: choose by energy)">,
    Option<"energy", "energy", "double", /*default=*/"0.0",
           "Choose the smallest rank keeping this share of Σσ² (0: use rank)">,
    Option<"method", "method", "std::string", /*default=*/"\"svd\"",
           "svd | whitened">,
    Option<"factorType", "type", "std::string", /*default=*/"\"f16\"",
           "Element type of U and V: f16 | bf16 | f32">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "whitened: damp * mean(diag(XᵀX)) is added to its diagonal">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

def QslCompensatePass : Pass<"qsl-compensate", "ModuleOp"> {
  let summary = "Add a low-rank correction of the compression error (LQER, EoRA)";
  let description = [{
    For every selected weight that an earlier pass compressed (quantized,
    pruned, or both), adds a `lowrank` facet `U·V` that approximates the
    error `E = W − Ŵ` between the original weight and what the encoding
    stands for, so that the weight becomes `Ŵ + U·V`:

    * `method=svd`: the truncated SVD of `E` (data-free, as ZeroQuant-V2's
      LoRC);
    * `method=lqer` (Zhang et al., 2024): the SVD of `E` with its input
      channels scaled by the calibrated activation magnitudes;
    * `method=eora` (Liu et al., 2024): `E` projected onto the eigenspace of
      `XᵀX`, optimal for the calibrated output error `‖E Xᵀ‖_F`.

    With a `smooth` facet (AWQ) the factors are divided by its multipliers,
    so that `S ⊙ (main + U·V)` still adds `U·V` where the error was. Weights
    that already have a `lowrank` facet, or none to correct, are left as
    they are with a warning.

    ```
    qslc model.onnx --calibrate=calib/ --pipeline="qsl-quantize{bits=3 method=gptq},qsl-compensate{rank=32 method=eora}"
    ```
  }];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"32", "Rank of the correction">,
    Option<"method", "method", "std::string", /*default=*/"\"eora\"",
           "svd | lqer | eora">,
    Option<"factorType", "type", "std::string", /*default=*/"\"f16\"",
           "Element type of U and V: f16 | bf16 | f32">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

def QslPrunePass : Pass<"qsl-prune", "ModuleOp"> {
  let summary = "Prune the weights of contractions and convolutions (magnitude, Wanda, SparseGPT)";
  let description = [{
    Replaces every contraction of an activation with a constant 2-D float
    weight by a `qsl.matmul` on a `qsl.constant` with a `sparse` facet, and
    every 2-D convolution with a constant filter by a `qsl.conv2d` on one.
    Patterns along the reduction axis: `unstructured` (with `sparsity`,
    removed per output channel), `N:M` such as `2:4` or `4:8`, and
    `block:RxC` (blocks of the [K, N] weight, with `sparsity`). A
    convolution filter is the matrix `[O, C/groups·kh·kw]`, so N:M runs are
    consecutive `(c, kh, kw)` positions of one output channel and blocks
    tile that matrix. A weight the pattern does not fit is left as it is
    with a warning.

    Methods: `magnitude` (|W|, data-free), `wanda` (|W|·‖X‖, Sun et al.,
    2023) and `sparsegpt` (OBS updates of the kept weights, Frantar &
    Alistarh, 2023); the last two need `qslc --calibrate` statistics
    (im2col patches for a convolution; grouped convolutions have none and
    are left to `magnitude` with a warning).
    `refine=dsnot` then improves the mask without training (Zhang et al.,
    2024). Compose with `qsl-quantize` afterwards for `sparse` + `quant`.

    ```
    qslc model.onnx --calibrate=calib.npz --pipeline="qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=128}"
    ```
  }];
  let options = [
    Option<"pattern", "pattern", "std::string", /*default=*/"\"2:4\"",
           "unstructured | N:M | block:RxC">,
    Option<"sparsity", "sparsity", "double", /*default=*/"0.5",
           "Fraction removed (unstructured and block patterns)">,
    Option<"method", "method", "std::string", /*default=*/"\"magnitude\"",
           "magnitude | wanda | sparsegpt">,
    Option<"refine", "refine", "std::string", /*default=*/"\"\"",
           "Mask refinement after pruning: '' or dsnot">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex "
           "(e.g. 'lm_head|classifier')">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated (MatMul,Gemm,"
           "Conv; the MLIR op name for IR not imported from ONNX)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "GPTQ/SparseGPT dampening: damp * mean(diag(H)) is added to diag(H)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "GPTQ/SparseGPT lazy-update block width (columns)">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

def QslPruneStructuredPass : Pass<"qsl-prune-structured", "ModuleOp"> {
  let summary = "Remove whole MLP channels or attention heads (FLAP), shrinking the graph";
  let description = [{
    Finds every *channel group*: one or more producer contractions with
    constant weights (an MLP's up projection, or SwiGLU's gate and up)
    whose outputs reach a consumer contraction with a constant weight (the
    down projection) only through elementwise ops that treat every channel
    alike (bias adds, activations, products of the producers). It removes
    the fraction `ratio` of the channels in between: the producers lose
    output channels, per-channel constants on the way lose elements, the
    consumer loses input channels, and every tensor in between becomes
    narrower, so the result is smaller dense ops that run faster on any
    backend (and compose with `qsl-quantize` and `qsl-prune` afterwards).

    Scores per channel `j` (the consumer's input feature):
    * `flap` (An et al., 2024): `Var(x_j) · ‖W2[:, j]‖²` from the
      consumer's calibration statistics (`qslc --calibrate`);
    * `magnitude` (data-free): `‖W2[:, j]‖ · ‖W1[j, :]‖`.

    With `compensate` (default) and calibration statistics, every removed
    channel is replaced by its calibration mean, which becomes a bias on the
    consumer's output (FLAP's bias compensation). `structure=global` lets
    the groups lose different shares: the scores of each group are
    standardized and the lowest `ratio` of all channels go (FLAP's adaptive
    structure). The kept count is rounded up to a multiple of `multiple-of`
    so that kernels keep aligned shapes.

    `target=heads` removes whole attention heads instead. A group is then an
    attention block: the output projection (the consumer), whose input
    merges heads `[..., H, D] -> [..., H*D]`, and the Q, K and V
    projections (separate, or one fused QKV projection split into three)
    that feed it through the head split, the transposes, the batched
    `Q·Kᵀ` and `P·V` contractions and the softmax. Every tensor on the way
    loses the removed heads; a mask or scale shared by all heads stays. A
    head's score is the sum of its D channels' scores at the output
    projection's input; compensation is the same as for channels.
    `multiple-of` does not apply to heads.

    ```
    qslc model.onnx --calibrate=calib/ --pipeline="qsl-prune-structured{ratio=0.25},qsl-quantize{bits=4 group=128 method=gptq}"
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"channels\"",
           "What to remove: channels (MLP intermediate channels) or heads "
           "(attention heads)">,
    Option<"ratio", "ratio", "double", /*default=*/"0.25",
           "Fraction of each group's channels removed">,
    Option<"method", "method", "std::string", /*default=*/"\"flap\"",
           "flap | magnitude">,
    Option<"structure", "structure", "std::string", /*default=*/"\"uniform\"",
           "uniform: every group loses `ratio` of its channels; global: "
           "FLAP's adaptive structure, `ratio` of all channels by scores "
           "standardized per group">,
    Option<"compensate", "compensate", "bool", /*default=*/"true",
           "Replace removed channels by their calibration means (a bias)">,
    Option<"multipleOf", "multiple-of", "int64_t", /*default=*/"8",
           "Round the kept channel count up to a multiple of this">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only groups whose consumer weight name or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip groups whose consumer weight name or node matches this regex">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated (MatMul,Gemm; "
           "the MLIR op name for IR not imported from ONNX)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip groups whose consumer weight has fewer elements">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QSL_DIALECT_QSL_TRANSFORMS_PASSES_TD
