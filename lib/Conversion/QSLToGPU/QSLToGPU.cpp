//===- QSLToGPU.cpp - qsl-lower-to-gpu ------------------------------------===//
//
// qsl-lower-to-gpu: a qsl.matmul or qsl.conv2d on an encoded qsl.constant
// becomes the kernels of its family (Match.h) that read the weight's tables
// (WeightTables.h) and decode them in registers (docs/codegen/gpu.md), plus
// the host code that launches them (HostSide.h). Kernels are written as MLIR
// text specialised to the shapes and parsed (Kernels.h), so that each reads
// like the kernel it is.
//
//===----------------------------------------------------------------------===//
#include "Epilogue.h"
#include "HostSide.h"
#include "Kernels.h"
#include "Match.h"
#include "WeightTables.h"

#include "qsl/Conversion/Passes.h"
#include "qsl/Compress/GpuLayout.h"
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringExtras.h"

#include <map>
#include <string>

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLLOWERTOGPUPASS
#include "qsl/Conversion/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::gpu_kernels;

namespace {
struct QslLowerToGpuPass
    : public mlir::qsl::impl::QslLowerToGpuPassBase<QslLowerToGpuPass> {
  using QslLowerToGpuPassBase::QslLowerToGpuPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mmaPrefetch < 0 || mmaPrefetch > 8) {
      module.emitError("qsl-lower-to-gpu: mma-prefetch must be in [0, 8], "
                       "got ")
          << static_cast<int64_t>(mmaPrefetch);
      return signalPassFailure();
    }
    if (mmaAStages != 0 && (mmaAStages < 2 || mmaAStages > 8)) {
      module.emitError("qsl-lower-to-gpu: mma-a-stages must be 0 or in "
                       "[2, 8], got ")
          << static_cast<int64_t>(mmaAStages);
      return signalPassFailure();
    }
    // A block is 32 * warps threads (at most 1024).
    if (warps < 1 || warps > 32) {
      module.emitError("qsl-lower-to-gpu: warps must be in [1, 32], got ")
          << static_cast<int64_t>(warps);
      return signalPassFailure();
    }
    if (maxBatch < 0) {
      module.emitError("qsl-lower-to-gpu: max-batch must be >= 0, got ")
          << static_cast<int64_t>(maxBatch);
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<MatmulOp, Conv2DOp>(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    gpu::GPUModuleOp kernels;
    unsigned counter = 0;
    for (Operation *op : ops) {
      Target target;
      ComposedShape shape;
      ConstantOp weight;
      Family family = Family::Plain;
      std::string why = match(op, warps, maxBatch, tensorCores, target,
                              shape, family, weight);
      if (!why.empty()) {
        op->emitRemark("qsl-lower-to-gpu: left on the CPU path: ") << why;
        continue;
      }
      shape.base.prefetch = mmaPrefetch;
      shape.base.aStages = mmaAStages;
      shape.base.wgmma = wgmma;
      Epilogue epilogue;
      epilogue.result = op->getResult(0);
      if (fuseEpilogue)
        epilogue = matchEpilogue(op, target.isConv ? 1 : -1);
      if (epilogue.hoist)
        epilogue.hoist->moveBefore(op);
      if (epilogue.toF16)
        shape.base.outType = Float16Type::get(ctx);
      KernelEmitter emitter(op, target.input, target.resultType, module,
                            symbols, kernels, counter++, deviceWeights);
      LogicalResult done = success();
      if (family == Family::Plain) {
        done = rewritePlain(target, weight, shape, emitter, epilogue);
      } else if (family == Family::Composed) {
        // With mma-gemv, 2:4 weights up to max-batch (quantized or f16
        // values) take the packed 2:4 GEMM where it decodes them, else the
        // composed GEMV.
        FailureOr<bool> taken = false;
        if (mmaGemv && tensorCores && shape.sparseM)
          taken = rewriteSparseMma(target, weight, shape, emitter, epilogue,
                                   /*packedOnly=*/true);
        done = failed(taken) ? failure()
               : *taken
                   ? success()
                   : rewriteComposed(target, weight, shape, emitter, epilogue);
      } else if (family == Family::LowRankMma) {
        done = rewriteLowRankMma(target, weight, shape, emitter, epilogue);
      } else if (family == Family::CscSparse) {
        done = rewriteCscSparse(target, weight, shape, emitter, epilogue);
      } else {
        done = failed(rewriteSparseMma(target, weight, shape, emitter,
                                       epilogue))
                   ? failure()
                   : success();
      }
      if (failed(done))
        return signalPassFailure();
      eraseEpilogue(epilogue);
      op->erase();
      if (weight->use_empty())
        weight.erase();
    }
    if (!kernels)
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    if (keepOnDevice)
      for (auto func : module.getOps<func::FuncOp>())
        keepResultsOnDevice(func);
  }

  /// Weight-only quantization: the GEMV up to max-batch rows, the
  /// tensor-core GEMM above.
  LogicalResult rewritePlain(const Target &t, ConstantOp weight,
                             const ComposedShape &c, KernelEmitter &e,
                             const Epilogue &epilogue) {
    const KernelShape &s = c.base;
    bool transposed = t.transposed;
    auto view = *EncodedTensorType::get(t.weight.getType());
    Operation *op = t.op;
    QuantAttr quant = view.getQuant();

    // Weight tables, repacked for the kernel at compile time.
    FailureOr<QuantTables> q =
        readQuantTables(op, weight, quant, s, transposed);
    if (failed(q))
      return failure();

    // Grouped convolutions on CUDA cores; other convolutions and batches
    // above max-batch on the tensor cores; the GEMV below.
    bool grouped = s.conv && s.conv->groups > 1;
    bool gemm = !grouped && (s.m > maxBatch || s.conv);
    // The tensor-core GEMM on fragment-ordered codes where the weight
    // decodes exactly in f16 (PackedMmaKernel.cpp), else on the [N, W]
    // words.
    // With mma-gemv, batches up to max-batch too (rows padded to a
    // 16-row tile: the decode costs a few f16x2 operations per code pair
    // instead of the GEMV's conversions per code).
    PackedGemmTables packedTables;
    bool packed = (gemm || (!grouped && mmaGemv && tensorCores)) &&
                  packedGemmUnsupported(s).empty() &&
                  packPackedGemmTables(s, q->codes, transposed, q->scales,
                                       q->zeros, packedTables)
                      .empty();
    std::string name = (grouped          ? "qsl_gconv_"
                        : gemm || packed ? "qsl_gemm_"
                                         : "qsl_gemv_") +
                       std::to_string(e.getIndex());
    FailureOr<gpu::GPUFuncOp> func = e.addKernel(
        grouped  ? buildGroupedConvKernelText(name, s)
        : packed ? buildPackedGemmKernelText(name, s)
        : gemm   ? buildMmaGemmKernelText(name, s)
                 : buildGemvKernelText(name, s));
    if (failed(func))
      return failure();

    // Host side: operands to device memory, launch, result back.
    SmallVector<KernelArg> args;
    Value x = e.activation(s);
    args.push_back(x);
    if (packed) {
      PackedGemmPlan plan = packedGemmPlan(s);
      addPackedTables(packedTables, s, plan.tiles, plan.chunks,
                      plan.groupsPad, 32 * plan.tiles, e, args);
    } else {
      addQuantTables(*q, s, s.k, transposed, e, args);
    }
    bool corrected = c.outliers || c.rank;
    if (corrected && failed(addCorrectionTerms(t, weight, c, e, x, args)))
      return failure();
    if (grouped) {
      int64_t total = s.m * s.n; // images * OH * OW rows, N channels
      launchAndFinish(*func, c, corrected, e, epilogue, args,
                      (total + kGroupedConvThreads - 1) / kGroupedConvThreads,
                      1, kGroupedConvThreads);
      return success();
    }
    if (packed) {
      PackedGemmPlan plan = packedGemmPlan(s);
      launchAndFinish(*func, c, corrected, e, epilogue, args, plan.gridX(),
                      (s.m + plan.rowsPerBlock() - 1) / plan.rowsPerBlock(),
                      32 * plan.warps);
      return success();
    }
    int64_t colsPerBlock = gemm ? kMmaColsPerWarp * s.warps : s.warps;
    launchAndFinish(*func, c, corrected, e, epilogue, args,
                    (s.n + colsPerBlock - 1) / colsPerBlock,
                    gemm ? (s.m + 15) / 16 : 1);
    return success();
  }

  /// The common end of every family: the correction terms (tensor-core
  /// kernels with outliers or low rank) and the epilogue go into `func`;
  /// the residual and the output join `args`; launch; result back.
  void launchAndFinish(gpu::GPUFuncOp func, const ComposedShape &c,
                       bool addTerms, KernelEmitter &e,
                       const Epilogue &epilogue,
                       SmallVectorImpl<KernelArg> &args, int64_t gridX,
                       int64_t gridY, int64_t threads = 0) {
    const KernelShape &s = c.base;
    if (addTerms)
      applyCorrectionTerms(func, c);
    applyEpilogue(func, e.getKernels(), epilogue,
                  "qsl_gpu_bias_" + std::to_string(e.getIndex()));
    MemRefType yType = outputType(s);
    if (epilogue.residual)
      args.push_back(e.residual(epilogue.residual, yType));
    Value y = e.alloc(yType);
    args.push_back(y);
    e.launch(func, gridX, gridY, threads ? threads : 32 * s.warps, args);
    e.finish(y, yType, epilogue.result);
  }

  /// A low-rank factor table: f16 factors keep their f16 values (half the
  /// bytes to read), f32 ones stay f32.
  static KernelArg factorTable(KernelEmitter &e, const ComposedShape &c,
                               StringRef base, ArrayRef<int64_t> shape,
                               const std::vector<float> &data) {
    return c.lowRankF16 ? e.halfTable(base, shape, data)
                        : e.table<float>(base, shape, data);
  }

  /// The low-rank factors as A_in [rank, K] (t = x A_in^T) and B_out
  /// [N, rank] (y += t B_out^T), row-major f32.
  LogicalResult readLowRank(const Target &t, ConstantOp weight,
                            const ComposedShape &c, std::vector<float> &aIn,
                            std::vector<float> &bOut) {
    const KernelShape &s = c.base;
    auto u = readFloatElements(weight.getStorage(StorageRole::LowRankU));
    auto v = readFloatElements(weight.getStorage(StorageRole::LowRankV));
    if (!u || !v)
      return unavailable(t.op, "low-rank factors");
    // [K, N] weight: U [K, r], V [r, N]: A_in = U^T, B_out = V^T.
    // [N, K] weight: U [N, r], V [r, K]: A_in = V, B_out = U.
    aIn = t.transposed ? toF32(*v, c.rank, s.k, false)
                       : toF32(*u, s.k, c.rank, true);
    bOut = t.transposed ? toF32(*u, s.n, c.rank, false)
                        : toF32(*v, c.rank, s.n, true);
    return success();
  }

  /// The fused low-rank chain for batch <= max-batch (qsl_lrchain): a
  /// zeroed f32 [M, N] device buffer receives (x A_in^T) B_out^T; returns
  /// it.
  FailureOr<Value> launchLowRankChain(const Target &t, ConstantOp weight,
                                      const ComposedShape &c,
                                      KernelEmitter &e, Value x) {
    const KernelShape &s = c.base;
    std::vector<float> aIn, bOut;
    if (failed(readLowRank(t, weight, c, aIn, bOut)))
      return failure();
    LowRankChainSplit split = lowRankChainSplit(c);
    int64_t rp = split.paddedRank();
    // Zero rows past the rank: their t is 0 and so is their contribution.
    std::vector<float> ain(rp * s.k, 0.0f), boutT(rp * s.n, 0.0f);
    std::copy(aIn.begin(), aIn.end(), ain.begin());
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t j = 0; j < c.rank; ++j)
        boutT[j * s.n + n] = bOut[n * c.rank + j];
    FailureOr<gpu::GPUFuncOp> chain = e.addKernel(buildLowRankChainKernelText(
        "qsl_lrchain_" + std::to_string(e.getIndex()), c));
    if (failed(chain))
      return failure();
    Value pre = e.alloc(
        MemRefType::get({s.m, s.n}, Float32Type::get(t.op->getContext())));
    e.zero(pre);
    e.launch(*chain, split.blocks, 1, 32 * s.warps,
             {KernelArg(x),
              factorTable(e, c, "qsl_gpu_lowrank_in", {rp, s.k}, ain),
              factorTable(e, c, "qsl_gpu_lowrank_out_t", {rp, s.n}, boutT),
              KernelArg(pre)});
    return pre;
  }

  /// t = x A_in^T ([M, rank] f32, device memory) on the tensor cores:
  /// the mma.sync GEMM (qsl_lrgemm) on an f16 table of A_in [rank, K]
  /// (f32 factors are rounded to f16 there, like the activations).
  FailureOr<Value> launchFactorGemm(const ComposedShape &c, KernelEmitter &e,
                                    Value x, const std::vector<float> &aIn) {
    const KernelShape &s = c.base;
    KernelShape in = s;
    in.n = c.rank;
    in.outType = Float32Type::get(x.getContext());
    in.halfValues = true;
    FailureOr<gpu::GPUFuncOp> func = e.addKernel(buildMmaGemmKernelText(
        "qsl_lrgemm_" + std::to_string(e.getIndex()), in));
    if (failed(func))
      return failure();
    // [M, rank], or for a convolution (implicit GEMM) [images, rank, OH*OW].
    Value tv = e.alloc(outputType(in));
    int64_t colsPerBlock = kMmaColsPerWarp * s.warps;
    e.launch(*func, (c.rank + colsPerBlock - 1) / colsPerBlock,
             (s.m + 15) / 16, 32 * s.warps,
             {KernelArg(x),
              e.halfTable("qsl_gpu_lowrank_in", {c.rank, s.k}, aIn),
              KernelArg(tv)});
    return tv;
  }

  /// The outlier tables (CSC by output column: colptr [N+1], rows,
  /// values) and the low-rank term (t = x A_in^T from launchFactorGemm,
  /// launched here, then t and B_out) of a composed weight, appended to
  /// `args` in that order.
  LogicalResult addCorrectionTerms(const Target &t, ConstantOp weight,
                                   const ComposedShape &c, KernelEmitter &e,
                                   Value x, SmallVectorImpl<KernelArg> &args,
                                   bool lowRank = true) {
    const KernelShape &s = c.base;
    bool transposed = t.transposed;
    Operation *op = t.op;
    // Outliers: CSC by output column.
    if (c.outliers) {
      std::vector<int64_t> indices;
      std::vector<double> values;
      if (failed(readOutliers(op, weight, indices, values)))
        return failure();
      CscTable csc = cscByColumn(indices, values, s, transposed);
      args.push_back(e.table<int32_t>("qsl_gpu_outlier_colptr", {s.n + 1},
                                      csc.colPtr));
      args.push_back(e.table<int32_t>("qsl_gpu_outlier_rows",
                                      {c.outliers}, csc.rows));
      args.push_back(
          e.table<float>("qsl_gpu_outlier_values", {c.outliers}, csc.values));
    }

    // Low rank (tensor-core kernels): A_in [rank, K] for t = x A_in^T,
    // B_out [N, rank].
    if (c.rank && lowRank) {
      std::vector<float> aIn, bOut;
      if (failed(readLowRank(t, weight, c, aIn, bOut)))
        return failure();
      FailureOr<Value> tv = launchFactorGemm(c, e, x, aIn);
      if (failed(tv))
        return failure();
      args.push_back(*tv);
      args.push_back(
          factorTable(e, c, "qsl_gpu_lowrank_out", {s.n, c.rank}, bOut));
    }

    return success();
  }

  /// Sparse, outlier and low-rank facets (with or without a quantized main
  /// term): the composed GEMV, after the fused low-rank chain (qsl_lrchain)
  /// for a low-rank term.
  LogicalResult rewriteComposed(const Target &t, ConstantOp weight,
                                const ComposedShape &c, KernelEmitter &e,
                                const Epilogue &epilogue) {
    const KernelShape &s = c.base;
    bool transposed = t.transposed;
    auto view = *EncodedTensorType::get(t.weight.getType());
    Operation *op = t.op;
    unsigned index = e.getIndex();

    SmallVector<KernelArg> args;
    Value x = e.activation(s);
    args.push_back(x);

    // Main term.
    if (c.main == ComposedShape::Main::Codes) {
      FailureOr<QuantTables> q =
          readQuantTables(op, weight, view.getQuant(), s, transposed);
      if (failed(q))
        return failure();
      addQuantTables(*q, s, c.keptK, transposed, e, args);
    } else if (c.main == ComposedShape::Main::Floats) {
      auto vals = readFloatElements(weight.getStorage(StorageRole::Values));
      if (!vals)
        return unavailable(op, "kept values");
      // Stored [K', N] (or [N, K'] with transpose_w); the kernel wants
      // [N, K'].
      std::vector<float> table =
          transposed ? toF32(*vals, s.n, c.keptK, false)
                     : toF32(*vals, c.keptK, s.n, true);
      args.push_back(e.table<float>("qsl_gpu_values", {s.n, c.keptK}, table));
    }
    if (c.sparseM) {
      auto meta = readIntElements(weight.getStorage(StorageRole::Meta),
                                  /*isUnsigned=*/true);
      if (!meta)
        return unavailable(op, "N:M metadata");
      args.push_back(e.wordTable("qsl_gpu_meta", *meta, s.n, c.keptK,
                                 c.metaBits, transposed));
    }

    if (failed(addCorrectionTerms(t, weight, c, e, x, args,
                                  /*lowRank=*/false)))
      return failure();

    // Low rank: the fused chain first; the composed GEMV adds its result.
    // A weight that is only low rank, with nothing fused after it and an
    // f32 result, is the chain's result itself.
    if (c.rank) {
      FailureOr<Value> pre = launchLowRankChain(t, weight, c, e, x);
      if (failed(pre))
        return failure();
      if (c.main == ComposedShape::Main::None && !c.outliers &&
          epilogue.steps.empty() && !epilogue.residual &&
          s.outType.isF32()) {
        e.finish(*pre, outputType(s), epilogue.result);
        return success();
      }
      args.push_back(*pre);
    }

    FailureOr<gpu::GPUFuncOp> func = e.addKernel(buildComposedGemvKernelText(
        "qsl_gemv_" + std::to_string(index), c));
    if (failed(func))
      return failure();
    launchAndFinish(*func, c, /*addTerms=*/false, e, epilogue, args,
                    (s.n + s.warps - 1) / s.warps, 1);
    return success();
  }

  /// Unstructured sparsity (and/or outliers) without a main term: the
  /// kept entries (mask order) and the outliers as one CSC table by output
  /// column, a thread per output element (CscSparseKernel.cpp); a low-rank
  /// facet is added to each store from t = x . A_in^T (qsl_lrgemm).
  LogicalResult rewriteCscSparse(const Target &t, ConstantOp weight,
                                 const ComposedShape &c, KernelEmitter &e,
                                 const Epilogue &epilogue) {
    const KernelShape &s = c.base;
    auto view = *EncodedTensorType::get(t.weight.getType());
    std::vector<int64_t> indices;
    std::vector<double> values;
    if (SparseAttr sparse = view.getSparse()) {
      auto mask = readIntElements(weight.getStorage(StorageRole::Mask),
                                  /*isUnsigned=*/true);
      if (!mask)
        return unavailable(t.op, "sparse mask");
      // Float kept values, or codes dequantized here (the CSC table holds
      // f32 either way) with the group of their dense K position.
      std::optional<std::vector<double>> kept;
      std::optional<QuantTables> q;
      if (QuantAttr quant = view.getQuant()) {
        FailureOr<QuantTables> tables =
            readQuantTables(t.op, weight, quant, s, t.transposed);
        if (failed(tables))
          return failure();
        q = std::move(*tables);
        kept.emplace(q->codes.begin(), q->codes.end());
      } else {
        kept = readFloatElements(weight.getStorage(StorageRole::Values));
      }
      if (!kept)
        return unavailable(t.op, "sparse values");
      // The mask has an entry per element (unstructured) or per R x C block
      // of the matrix view; kept values (blocks) follow its row-major order.
      int64_t viewCols = t.transposed ? s.k : s.n;
      int64_t br = sparse.isBlock() ? sparse.getBlockRows() : 1;
      int64_t bc = sparse.isBlock() ? sparse.getBlockCols() : 1;
      int64_t maskCols = viewCols / bc;
      int64_t j = 0;
      for (int64_t i = 0; i < static_cast<int64_t>(mask->size()); ++i) {
        if (!(*mask)[i])
          continue;
        if ((j + 1) * br * bc > static_cast<int64_t>(kept->size()))
          return unavailable(t.op, "as many values as the mask keeps");
        int64_t bi = i / maskCols, bj = i % maskCols;
        for (int64_t r = 0; r < br; ++r)
          for (int64_t c = 0; c < bc; ++c) {
            int64_t index = (bi * br + r) * viewCols + bj * bc + c;
            double v = (*kept)[(j * br + r) * bc + c];
            if (q) {
              // Matrix view [K, N], or [N, K] with transpose_w.
              int64_t k = t.transposed ? index % s.k : index / s.n;
              int64_t n = t.transposed ? index / s.k : index % s.n;
              int64_t g = k / s.groupLen;
              if (s.codebook)
                v = q->codebooks[(n * s.groups + g) * s.codebook +
                                 static_cast<int64_t>(v)];
              else
                v = (v - (s.symmetric ? 0.0 : q->zeros[n * s.groups + g])) *
                    q->scales[n * s.groups + g];
            }
            indices.push_back(index);
            values.push_back(v);
          }
        ++j;
      }
    }
    if (c.outliers && failed(readOutliers(t.op, weight, indices, values)))
      return failure();
    CscTable csc = cscByColumn(indices, values, s, t.transposed);
    int64_t nnz = static_cast<int64_t>(csc.rows.size());
    if (nnz == 0) { // never read (every column is empty), but typed
      csc.rows.push_back(0);
      csc.values.push_back(0.0f);
    }
    std::string name = "qsl_csc_" + std::to_string(e.getIndex());
    FailureOr<gpu::GPUFuncOp> func =
        e.addKernel(s.conv ? buildCscConvKernelText(name, s)
                           : buildCscSparseKernelText(name, s, nnz));
    if (failed(func))
      return failure();
    int64_t entries = std::max<int64_t>(nnz, 1);
    Value x = e.activation(s);
    SmallVector<KernelArg> args{
        KernelArg(x),
        e.table<int32_t>("qsl_gpu_csc_colptr", {s.n + 1}, csc.colPtr),
        e.table<int32_t>("qsl_gpu_csc_rows", {entries}, csc.rows),
        e.table<float>("qsl_gpu_csc_values", {entries}, csc.values)};
    // A low-rank facet: t = x . A_in^T on the tensor cores, t . B_out added
    // to each store as on the tensor-core kernels (the outliers are in the
    // CSC table already).
    ComposedShape terms = c;
    terms.outliers = 0;
    if (c.rank && failed(addCorrectionTerms(t, weight, terms, e, x, args)))
      return failure();
    // A convolution's kernel stores a zero main term: the CSC table is its
    // correction terms' outliers (their parameters come first, as here).
    if (s.conv)
      terms.outliers = entries;
    // M * N output elements (a convolution's M is images * OH * OW).
    launchAndFinish(*func, terms, /*addTerms=*/s.conv || c.rank != 0, e,
                    epilogue, args, (s.m * s.n + kCscThreads - 1) / kCscThreads,
                    1, kCscThreads);
    return success();
  }

  /// A factorized weight W = U·V (low rank alone) above max-batch: the
  /// mma.sync GEMM twice, on f16 factor tables read as they are: t = x A_in^T
  /// ([M, rank], f32, device memory), then y = t B_out^T with the epilogue.
  /// f32 factors become f16 tables: the tensor cores' operands are f16, as
  /// the activations are.
  LogicalResult rewriteLowRankMma(const Target &t, ConstantOp weight,
                                  const ComposedShape &c, KernelEmitter &e,
                                  const Epilogue &epilogue) {
    const KernelShape &s = c.base;
    std::vector<float> aIn, bOut;
    if (failed(readLowRank(t, weight, c, aIn, bOut)))
      return failure();
    std::string index = std::to_string(e.getIndex());
    FailureOr<Value> tv = launchFactorGemm(c, e, e.activation(s), aIn);
    if (failed(tv))
      return failure();

    ComposedShape out = c;
    out.base.k = c.rank;
    out.base.inType = Float32Type::get(t.op->getContext());
    out.base.halfValues = true;
    out.base.groupLen = c.rank;
    out.rank = 0;
    // A convolution's t is [images, rank, OH*OW]: the second product is the
    // 1x1 convolution of that image with B_out, whose output is the
    // convolution's own [images, O, OH*OW].
    ConvGeometry pointwise;
    if (const ConvGeometry *g = s.conv) {
      pointwise = ConvGeometry{g->images, c.rank, g->outH, g->outW,
                               1,         1,      g->outH, g->outW,
                               1,         1,      1,       1,
                               0,         0};
      out.base.conv = &pointwise;
      *tv = e.asImage(*tv, g->outH, g->outW);
    }
    FailureOr<gpu::GPUFuncOp> second =
        e.addKernel(buildMmaGemmKernelText("qsl_gemm_" + index, out.base));
    if (failed(second))
      return failure();
    SmallVector<KernelArg> args{
        KernelArg(*tv),
        e.halfTable("qsl_gpu_lowrank_out", {s.n, c.rank}, bOut)};
    int64_t colsPerBlock = kMmaColsPerWarp * s.warps;
    launchAndFinish(*second, out, /*addTerms=*/false, e, epilogue, args,
                    (s.n + colsPerBlock - 1) / colsPerBlock, (s.m + 15) / 16);
    return success();
  }

  /// 2:4 along K on the sparse tensor cores: the packed 2:4 GEMM where
  /// the weight allows (PackedMmaKernel.cpp), else (above max-batch only;
  /// `packedOnly` reports false instead) the mma.sp GEMM on [N, W] words or
  /// f16 pairs (SparseMmaKernel.cpp). Returns whether it took the op.
  FailureOr<bool> rewriteSparseMma(const Target &t, ConstantOp weight,
                                   const ComposedShape &c, KernelEmitter &e,
                                   const Epilogue &epilogue,
                                   bool packedOnly = false) {
    const KernelShape &s = c.base;
    bool transposed = t.transposed;
    auto view = *EncodedTensorType::get(t.weight.getType());
    Operation *op = t.op;
    if (packedOnly && !packedSparseUnsupported(c).empty())
      return false;
    SparseMmaLayout lay = sparseMmaLayout(c);
    auto meta = readIntElements(weight.getStorage(StorageRole::Meta),
                                /*isUnsigned=*/true);
    if (!meta)
      return unavailable(op, "N:M metadata");
    std::vector<int64_t> order =
        ::qsl::compress::sparseRowOrder(*meta, s.n, c.keptK, 2, transposed);
    if (order.empty()) // match() keeps such weights on the CPU path
      return op->emitError("qsl-lower-to-gpu: internal error: repeated 2:4 "
                          "position reached the sparse GEMM");
    auto inRowOrder = [&](const auto &stored) {
      std::vector<std::decay_t<decltype(stored[0])>> rows(order.size());
      for (size_t i = 0; i < order.size(); ++i)
        rows[i] = stored[order[i]];
      return rows;
    };

    // The packed kernel: quantized codes it decodes and f16 values, at any
    // batch (above one row block with its warps side by side and the
    // activations staged in shared memory).
    std::optional<QuantTables> q;
    PackedGemmTables packed;
    std::vector<uint32_t> packedMeta;
    bool usePacked = false;
    const bool packable = packedSparseUnsupported(c).empty();
    const bool floats = c.main == ComposedShape::Main::Floats;
    if (packable && floats) {
      auto vals = readFloatElements(weight.getStorage(StorageRole::Values));
      if (!vals)
        return unavailable(op, "kept values");
      packPackedSparseValues(c, inRowOrder(*vals), inRowOrder(*meta), packed,
                             packedMeta);
      usePacked = true;
    } else if (packable && !floats) {
      FailureOr<QuantTables> tables =
          readQuantTables(op, weight, view.getQuant(), s, transposed);
      if (failed(tables))
        return failure();
      q = std::move(*tables);
      usePacked = packPackedSparseTables(c, inRowOrder(q->codes),
                                         inRowOrder(*meta), q->scales,
                                         q->zeros, packed, packedMeta)
                      .empty();
    }
    if (usePacked) {
      PackedSparsePlan plan = packedSparsePlan(c);
      SmallVector<KernelArg> args;
      Value x = e.activation(s);
      args.push_back(x);
      addPackedTables(packed, s, plan.tiles, plan.chunks, plan.groupsPad,
                      16 * plan.tiles, e, args);
      args.push_back(e.table<int32_t>(
          "qsl_gpu_mma_meta", {plan.tiles, plan.chunks * plan.steps, 16},
          asI32(packedMeta)));
      bool corrected = c.outliers || c.rank;
      if (corrected && failed(addCorrectionTerms(t, weight, c, e, x, args)))
        return failure();
      FailureOr<gpu::GPUFuncOp> func =
          e.addKernel(buildPackedSparseGemmKernelText(
              "qsl_spmma_" + std::to_string(e.getIndex()), c));
      if (failed(func))
        return failure();
      launchAndFinish(*func, c, corrected, e, epilogue, args, plan.gridX(),
                      (s.m + plan.rowsPerBlock() - 1) / plan.rowsPerBlock(),
                      32 * plan.warps);
      return true;
    }
    if (packedOnly)
      return false;
    // Quantized codes the packed kernel does not decode (float values
    // always take it).
    if (c.main != ComposedShape::Main::Codes)
      return op->emitError("qsl-lower-to-gpu: internal error: a float 2:4 "
                           "weight missed the packed 2:4 GEMM");
    // [N, G] group table padded to [nPad, groups] with zeros.
    auto padGroups = [&](const std::vector<float> &t) {
      std::vector<float> out(lay.nPad * lay.groups, 0.0f);
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t g = 0; g < s.groups; ++g)
          out[n * lay.groups + g] = t[n * s.groups + g];
      return out;
    };

    SmallVector<KernelArg> args;
    Value x = e.activation(s);
    args.push_back(x);
    if (!q) {
      FailureOr<QuantTables> tables =
          readQuantTables(op, weight, view.getQuant(), s, transposed);
      if (failed(tables))
        return failure();
      q = std::move(*tables);
    }
    std::vector<int64_t> rows = inRowOrder(q->codes);
    std::vector<int64_t> padded(lay.nPad * lay.keptPad, 0);
    for (int64_t n = 0; n < s.n; ++n)
      std::copy_n(rows.begin() + n * c.keptK, c.keptK,
                  padded.begin() + n * lay.keptPad);
    args.push_back(e.wordTable("qsl_gpu_codes", padded, lay.nPad,
                               lay.keptPad, s.bits, /*transposed=*/true));
    if (s.codebook) {
      // [N, G*E] codebooks padded to [nPad, groups*E] with zeros.
      int64_t entries = s.codebook;
      std::vector<float> books(lay.nPad * lay.groups * entries, 0.0f);
      for (int64_t n = 0; n < s.n; ++n)
        std::copy_n(q->codebooks.begin() + n * s.groups * entries,
                    s.groups * entries,
                    books.begin() + n * lay.groups * entries);
      args.push_back(e.table<float>("qsl_gpu_codebook",
                                    {lay.nPad, lay.groups * entries},
                                    books));
    } else {
      args.push_back(e.table<float>("qsl_gpu_scales",
                                    {lay.nPad, lay.groups},
                                    padGroups(q->scales)));
    }
    if (!s.symmetric && !s.codebook)
      args.push_back(e.table<float>(
          "qsl_gpu_zeros", {lay.nPad, lay.groups}, padGroups(q->zeros)));
    std::vector<uint32_t> regs = ::qsl::compress::packSparseMmaMeta(
        inRowOrder(*meta), s.n, c.keptK, lay.nPad, lay.steps);
    args.push_back(e.table<int32_t>(
        "qsl_gpu_meta", {lay.nPad / 16, lay.steps, 16},
        asI32(regs)));
    bool corrected = c.outliers || c.rank;
    if (corrected && failed(addCorrectionTerms(t, weight, c, e, x, args)))
      return failure();

    FailureOr<gpu::GPUFuncOp> func = e.addKernel(buildSparseMmaGemmKernelText(
        "qsl_spmma_" + std::to_string(e.getIndex()), c));
    if (failed(func))
      return failure();
    launchAndFinish(*func, c, corrected, e, epilogue, args,
                    lay.nPad / (16 * s.warps),
                    (s.m + kSpRowsPerWarp - 1) / kSpRowsPerWarp);
    return true;
  }
};

} // namespace
