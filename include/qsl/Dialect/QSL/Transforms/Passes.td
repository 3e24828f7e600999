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
    positions. `outlier-select=sensitivity` chooses them as SpQR does
    (Dettmers et al., 2023): greedily by how much leaving an element out of
    its group lowers the group's round-to-nearest error (its own error, and
    the range refit when it is the group's minimum or maximum), each error
    weighted by the OBS sensitivity `1/[(XᵀX + λI)⁻¹]_jj` of its input when
    calibration statistics are attached; `outlier-threshold=t` keeps only
    elements gaining more than `t` times the mean weighted error per
    element. `qsl-outliers` is the other route, detecting them inside a
    natural-order GPTQ sweep as the paper does.

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
    Option<"outlierSelect", "outlier-select", "std::string",
           /*default=*/"\"magnitude\"",
           "How outliers= picks elements: magnitude | sensitivity (SpQR)">,
    Option<"outlierThreshold", "outlier-threshold", "double", /*default=*/"0.0",
           "sensitivity: minimum gain, in mean weighted errors per element">,
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
      `XᵀX` that `qslc --calibrate` attached (`damp` regularizes it);
    * `method=fisher` (FWSVD, Hsu et al., 2022): optimal for
      `Σ_i f_i ‖(W − UV)_i‖²` over the output rows, with `f_i` the row's
      Fisher importance read from `fisher=FILE.npz`. Fisher information
      needs gradients of a training loss, which an inference graph does not
      have, so it comes from the framework that trained the model: one
      array per weight, keyed by weight name, either the per-element sums
      of squared gradients in the weight's own shape (summed per output row
      here) or one importance per output channel (`[N]`). Weights without
      an entry are left as they are with a warning.

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
           "svd | whitened | fisher">,
    Option<"factorType", "type", "std::string", /*default=*/"\"f16\"",
           "Element type of U and V: f16 | bf16 | f32">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "whitened: damp * mean(diag(XᵀX)) is added to its diagonal">,
    Option<"fisher", "fisher", "std::string", /*default=*/"\"\"",
           "fisher: .npz of Fisher information per weight name">,
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
    so that `S ⊙ (main + U·V)` still adds `U·V` where the error was.

    A weight that already has a `lowrank` facet (from `qsl-factorize` or an
    earlier `qsl-compensate`) gets `rank` more components, fitted to what
    its whole encoding still misses, and merged into that facet: one `U·V`
    of the summed rank, which must stay below `min(N, K)` and keep the
    facet's `type`. For `method=svd` two steps of rank r equal one of rank
    2r (the residual's leading singular vectors are the next ones of `E`).
    Weights that are not compressed are left as they are with a warning.

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

def QslAllocatePass : Pass<"qsl-allocate", "ModuleOp"> {
  let summary = "Choose an encoding per weight under a model-wide bits-per-parameter budget";
  let description = [{
    Chooses, for every selected weight, one of the `candidates` encodings so
    that the summed error is least while the storage stays within
    `budget-bits` bits per parameter (HAWQ-V2, Dong et al., 2020; BAQ,
    Zhang et al., 2025: a Lagrangian / convex-hull allocation of bits to
    layers), then compresses every weight with its choice.

    Every candidate is evaluated on all selected weights at once: the
    module is cloned, the candidate's passes run on the clone, and each
    weight's storage (bits of every side tensor) and error are read back.
    The error is additive across weights: with `objective=output-error`
    (default) the calibrated output error energy `tr(E H Eᵀ)`,
    `E = W − Ŵ`, `H = XᵀX` from `qslc --calibrate` (a weight without
    statistics is an error); with `objective=relative-output-error` the
    same divided by the layer's output energy `tr(W H Wᵀ)` and multiplied
    by its parameter count (every parameter counts alike, whatever the
    scale of its layer's outputs); with
    `objective=weight-error` the data-free `‖E‖²_F`. The solver (Compress/Allocate.h) keeps the better of a
    convex-hull greedy and a dynamic program over the budget, then spends
    what is left on any upgrade that fits; the result never exceeds the
    budget. The chosen candidates then run on the module, each restricted
    to exactly the weights that chose it; every resulting `qsl.constant`
    records its choice in `qsl.allocation`.

    Candidates are comma-separated; each is `dense` (keep the weight) or
    tokens joined by `-` or `+`: `wB` / `wBgG` (quantize to B bits, per
    channel or G elements per scale), `N:M` or `sP` (2:4-style or P%
    unstructured pruning, applied first), `rtn|mse|gptq|awq` and
    `magnitude|wanda|sparsegpt` (the methods; by default gptq and
    sparsegpt for `output-error`, mse and magnitude for `weight-error`),
    `sym` (symmetric codes), and `eoraR`, `lqerR`, `svdR` (a rank-R
    correction added last). The default set spans 2 to 32 bits:
    `w2g32,w2g64,w3g64,w3g128,w4g64,w4g128,w5g128,w6g128,w8,2:4-w4g128,dense`.

    `scope=selected` (default) counts the budget over the selected weights
    only (what `compressed_bits_per_parameter` of `qslc --report` reports);
    `scope=model` over every constant of the module, the weights not
    selected (embeddings, biases, excluded ones, weights already
    compressed) at their current size. A budget outside what the candidates
    can reach is an error naming the reachable range.

    ```
    qslc model.onnx --calibrate=calib/ --pipeline="qsl-allocate{budget-bits=3.5 report=-}"
    ```

    The summed per-weight error ignores that errors compound through the
    layers after a weight. With `refine-generations=G` the knapsack's
    answer is refined end to end, in the spirit of EvoPress (Sieberling et
    al., 2024; Compress/Refine.h): the model is compiled once with the
    selected weights as inputs and run on calibration inputs
    (`refine-inputs`, by default the files `qslc --calibrate` ran), and
    an allocation's fitness is the mean relative squared error of the
    model's outputs (all f32 outputs, or those `refine-outputs` names)
    against the uncompressed model's. The search starts
    from the fittest of the knapsack's answer and every uniform candidate
    that fits the budget, and for `G` generations makes `refine-offspring`
    children by moving a few weights one step along their candidates
    (sorted by bits, dominated ones dropped), repairing the budget, and
    keeps a child only when it is fitter. Only dense f32 MatMul/Gemm weights
    in the entry function can be refined (not convolutions).

    ```
    qslc model.onnx --calibrate=calib/ --pipeline="qsl-allocate{budget-bits=3.5 refine-generations=20 report=-}"
    ```
  }];
  let options = [
    Option<"budgetBits", "budget-bits", "double", /*default=*/"0.0",
           "Bits per parameter to stay within (side tensors included)">,
    Option<"candidates", "candidates", "std::string", /*default=*/"\"\"",
           "Comma-separated candidate encodings (empty: the default set)">,
    Option<"objective", "objective", "std::string",
           /*default=*/"\"output-error\"",
           "output-error (calibrated tr(E H Eᵀ)) | relative-output-error "
           "(tr(E H Eᵀ) / tr(W H Wᵀ) x parameters) | weight-error (‖E‖²_F)">,
    Option<"scope", "scope", "std::string", /*default=*/"\"selected\"",
           "What the budget is over: selected (the selected weights) | "
           "model (every constant of the module)">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the per-weight choices as a table to this file ('-': "
           "stderr)">,
    Option<"range", "range", "std::string", /*default=*/"\"minmax\"",
           "range of every quantizing candidate (minmax | mse, as qsl-quantize)">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "damp of every GPTQ/SparseGPT candidate (as qsl-quantize)">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
    Option<"refineGenerations", "refine-generations", "unsigned",
           /*default=*/"0",
           "Generations of the end-to-end search after the knapsack (0: none)">,
    Option<"refineOffspring", "refine-offspring", "unsigned", /*default=*/"6",
           "Children per generation of the end-to-end search">,
    Option<"refineInputs", "refine-inputs", "std::string", /*default=*/"\"\"",
           "Comma-separated .npz files or directories the end-to-end search "
           "runs the model on (empty: those qslc --calibrate ran)">,
    Option<"refineSeed", "refine-seed", "unsigned", /*default=*/"0",
           "Random seed of the end-to-end search">,
    Option<"refineOutputs", "refine-outputs", "std::string",
           /*default=*/"\"\"",
           "Comma-separated graph outputs the end-to-end search compares "
           "(empty: every f32 output)">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

def QslOutliersPass : Pass<"qsl-outliers", "ModuleOp"> {
  let summary = "SpQR: GPTQ with sensitivity-selected f16 outliers";
  let description = [{
    SpQR (Dettmers et al., 2023): quantizes every selected dense contraction
    or convolution weight itself, with GPTQ in natural column order and small
    groups (`bits`, `group`, `symmetric`, `range`, `scale-type` as in
    `qsl-quantize`), while the elements whose quantization hurts most under
    the calibrated sensitivity leave the quantization: they take no part in
    their group's range fit, their error is not propagated, and they are
    stored as an `outliers` facet (`w - deq(q)` in `outlier-type`) next to
    the `quant` facet. The sensitivity of an element is the drop of its
    group's error `Σ (w - q(w))² / [U]_jj²` (U the Cholesky factor of the
    damped `H⁻¹`, H = `XᵀX` from `qslc --calibrate`) when it leaves the
    group: its own error, plus for a group's extremes the range they
    stretch. An element is an outlier when its sensitivity exceeds
    `threshold` times the mean sensitivity of the weight (a relative
    threshold; 0: the largest ones up to the cap), at most `max-fraction`
    of the weight's elements (floor), see docs/compression/outliers.md.

    The pass runs on dense weights and replaces `qsl-quantize` for them
    (effectively `method=spqr`), since the outliers change the groups'
    ranges and GPTQ's error propagation; a weight that is already quantized,
    has outliers or low-rank terms, or is sparse is an error naming it
    (select around it with `include`/`exclude`). Without calibration
    statistics the pass fails unless `data-free=true`, which uses H = I
    (sensitivity = plain squared error). Grouped convolutions and weights
    whose K the group does not divide are left as they are with a warning.

    Quantized statistics (`stat-bits`, SpQR's 3-bit statistics): each
    group's scales are quantized when the group comes up, in runs of
    `stat-group` output channels, to `stat-bits`-bit codes with a min-max
    second level stored in `scale-type` (`quant = <..., stat_bits = 3,
    stat_group = 16>`); the group is then quantized with those scales. With
    group 16 this takes the scales from 16 bits to 3 (+ 2×16/16 bits of
    second level) per 16 weights. Weights whose output channels
    `stat-group` does not divide are left as they are with a warning.

    ```
    qslc model.onnx --calibrate=calib.npz --pipeline="qsl-outliers{bits=3 group=16 max-fraction=0.01}"
    qslc model.onnx --calibrate=calib.npz --pipeline="qsl-outliers{bits=3 group=16 stat-bits=3 stat-group=16}"
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"3", "Bits per code (2-8)">,
    Option<"group", "group", "int64_t", /*default=*/"16",
           "Elements per scale along the reduction axis (0: per channel)">,
    Option<"symmetric", "symmetric", "bool", /*default=*/"false",
           "Signed codes without zero points">,
    Option<"range", "range", "std::string", /*default=*/"\"minmax\"",
           "How group ranges are chosen: minmax | mse">,
    Option<"scaleType", "scale-type", "std::string", /*default=*/"\"f16\"",
           "Element type of scales: f16 | bf16 | f32">,
    Option<"threshold", "threshold", "double", /*default=*/"0.0",
           "Outlier when sensitivity > threshold * mean sensitivity "
           "(>= 0; inf: none)">,
    Option<"maxFraction", "max-fraction", "double", /*default=*/"0.01",
           "At most this fraction of each weight's elements are outliers, "
           "in [0, 1)">,
    Option<"statBits", "stat-bits", "unsigned", /*default=*/"0",
           "Quantize the scales to this many bits (2-8; 0: keep them in "
           "scale-type)">,
    Option<"statGroup", "stat-group", "int64_t", /*default=*/"16",
           "Output channels sharing one second-level scale and zero">,
    Option<"outlierType", "outlier-type", "std::string", /*default=*/"\"f16\"",
           "Element type of the outlier values: f16 | bf16 | f32">,
    Option<"dataFree", "data-free", "bool", /*default=*/"false",
           "Without calibration statistics use H = I (plain error ranking) "
           "instead of failing">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "GPTQ dampening: damp * mean(diag(H)) is added to diag(H)">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Only weights whose name (initializer) or node matches this regex">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Skip weights whose name or node matches this regex">,
    Option<"opTypes", "op-types", "std::string", /*default=*/"\"\"",
           "Only weights of these ONNX op types, comma-separated (MatMul,Gemm,"
           "Conv; the MLIR op name for IR not imported from ONNX)">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Skip weights with fewer elements">,
  ];
  let dependentDialects = ["::mlir::qsl::QslDialect"];
}

#endif // QSL_DIALECT_QSL_TRANSFORMS_PASSES_TD
