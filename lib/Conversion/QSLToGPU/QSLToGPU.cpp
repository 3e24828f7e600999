//===- QSLToGPU.cpp - Weight-only quantized matmul as a GPU GEMV ----------===//
//
// qsl-lower-to-gpu: a qsl.matmul on a quantized qsl.constant becomes a
// gpu.func that reads 32-bit words of packed codes and dequantizes them in
// registers inside the K loop (docs/codegen/gpu.md), plus the host code that
// launches it. The kernel is written as MLIR text specialised to the shapes
// and parsed, so that it reads like the kernel it is.
//
//===----------------------------------------------------------------------===//
#include "Epilogue.h"
#include "Kernels.h"

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

/// The statically shaped activation of `op` as (M, K, types), or why not.
std::string matchActivation(MatmulOp op, KernelShape &shape) {
  auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
  auto outType = dyn_cast<RankedTensorType>(op.getType());
  if (!inType || !inType.hasStaticShape() || inType.getRank() < 2)
    return "input is not a statically shaped tensor of rank >= 2";
  Type inEl = inType.getElementType(), outEl = outType.getElementType();
  if (!(inEl.isF32() || inEl.isF16()) || !(outEl.isF32() || outEl.isF16()))
    return "element types other than f32/f16";
  shape.k = inType.getShape().back();
  shape.m = inType.getNumElements() / shape.k;
  shape.inType = inEl;
  shape.outType = outEl;
  return "";
}

/// Fills the quantization fields of `shape` from `quant`, or says why the
/// kernels cannot decode it.
std::string matchQuant(QuantAttr quant, int64_t reductionAxis,
                       KernelShape &shape) {
  if (quant.hasCodebook())
    return "codebook quantization has no GPU kernel yet";
  if (quant.hasQuantizedStats())
    return "quantized statistics have no GPU kernel yet";
  unsigned bits = quant.getBits();
  if (quant.getAxis() != reductionAxis)
    return "quantization groups do not run along K";
  shape.groupLen = quant.getGroup() == 0 ? shape.k : quant.getGroup();
  shape.groups = shape.k / shape.groupLen;
  shape.bits = bits;
  shape.symmetric = quant.isSymmetric();
  return "";
}

/// Which kernel family takes `op`: "" and `composed` false for the plain
/// weight-only GEMV/GEMM, "" and `composed` true for the composed GEMV, else
/// why the matmul stays on the CPU path.
std::string match(MatmulOp op, int64_t warps, int64_t maxBatch,
                  bool tensorCores, ComposedShape &c, bool &composed,
                  ConstantOp &weight) {
  weight = op.getWeight().getDefiningOp<ConstantOp>();
  if (!weight)
    return "weight is not a qsl.constant";
  auto view = EncodedTensorType::get(op.getWeight().getType());
  if (!view || view->getRank() != 2)
    return "weight is not a 2-D encoded tensor";
  KernelShape &s = c.base;
  if (std::string why = matchActivation(op, s); !why.empty())
    return why;
  bool transposed = op.getTransposeW();
  int64_t reductionAxis = transposed ? 1 : 0;
  s.n = view->getDimSize(transposed ? 0 : 1);
  s.warps = warps;
  // Defaults that keep the kernel text well-formed when a facet is absent.
  s.bits = 8;
  s.groupLen = s.k;
  s.groups = 1;
  s.symmetric = true;
  if (view->getSmooth())
    return "the smooth facet has no GPU kernel yet";

  QuantAttr quant = view->getQuant();
  SparseAttr sparse = view->getSparse();
  composed = sparse || view->getOutliers() || view->getLowRank();
  if (quant)
    if (std::string why = matchQuant(quant, reductionAxis, s); !why.empty())
      return why;
  if (!composed) {
    if (!quant)
      return "encoding has no facet";
    if (s.m > maxBatch && !tensorCores)
      return "batch " + std::to_string(s.m) +
             " exceeds max-batch and tensor-cores=false";
    return "";
  }

  if (s.m > maxBatch)
    return "batch " + std::to_string(s.m) +
           " exceeds max-batch (sparse, outlier and low-rank facets have only "
           "the GEMV kernel)";
  c.keptK = s.k;
  if (sparse) {
    if (!sparse.isNM() || sparse.getAxis() != reductionAxis)
      return "sparsity other than N:M along K has no GPU kernel yet";
    c.sparseN = sparse.getN();
    c.sparseM = sparse.getM();
    c.keptK = s.k / c.sparseM * c.sparseN;
    unsigned bits = sparse.getMetaBits();
    c.metaBits = bits <= 1 ? 1 : bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
  }
  c.main = quant ? ComposedShape::Main::Codes
           : sparse ? ComposedShape::Main::Floats
                    : ComposedShape::Main::None;
  if (OutliersAttr outliers = view->getOutliers())
    c.outliers = outliers.getCount();
  if (LowRankAttr lowrank = view->getLowRank())
    c.rank = lowrank.getRank();
  return "";
}

/// [N, G] f32 values of a group-shaped side tensor ([G, N] when not
/// transposed).
std::optional<std::vector<float>> groupTable(ElementsAttr attr, bool isInt,
                                             const KernelShape &s,
                                             bool transposed) {
  std::vector<double> vals;
  if (isInt) {
    auto ints = readIntElements(attr, /*isUnsigned=*/true);
    if (!ints)
      return std::nullopt;
    vals.assign(ints->begin(), ints->end());
  } else {
    auto floats = readFloatElements(attr);
    if (!floats)
      return std::nullopt;
    vals = std::move(*floats);
  }
  std::vector<float> out(s.n * s.groups);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < s.groups; ++g)
      out[n * s.groups + g] = static_cast<float>(
          transposed ? vals[n * s.groups + g] : vals[g * s.n + n]);
  return out;
}

/// A [rows, cols] row-major table as f32 [cols, rows] when `transpose`,
/// else as is.
std::vector<float> toF32(const std::vector<double> &v, int64_t rows,
                         int64_t cols, bool transpose) {
  std::vector<float> out(v.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[transpose ? c * rows + r : r * cols + c] =
          static_cast<float>(v[r * cols + c]);
  return out;
}

/// One kernel operand: a host-side device buffer, or a constant weight table
/// that lives in the kernel module (device-weights).
struct KernelArg {
  Value value;                 // a device memref, or null for a table
  DenseElementsAttr data;      // the table's contents
  std::string name;            // the table's symbol
  KernelArg(Value v) : value(v) {}
  KernelArg(DenseElementsAttr d, std::string n) : data(d), name(std::move(n)) {}
};

/// Builds the device side of one matmul: kernels, constant tables, uploads
/// and launches, then the result as a tensor.
class KernelEmitter {
public:
  KernelEmitter(MatmulOp op, ModuleOp module, SymbolTable &symbols,
                gpu::GPUModuleOp &kernels, unsigned index, bool resident)
      : op(op), module(module), symbols(symbols), kernels(kernels),
        index(index), resident(resident), b(op), loc(op.getLoc()) {}

  /// Parses `text` (a module holding a gpu.module with one gpu.func) and
  /// moves the function into the shared @qsl_kernels module.
  FailureOr<gpu::GPUFuncOp> addKernel(const std::string &text) {
    OwningOpRef<ModuleOp> parsed =
        parseSourceString<ModuleOp>(text, op.getContext());
    if (!parsed) {
      op.emitError("qsl-lower-to-gpu: internal error: kernel text does not "
                   "parse");
      return failure();
    }
    auto parsedGpu = *parsed->getOps<gpu::GPUModuleOp>().begin();
    auto func = *parsedGpu.getOps<gpu::GPUFuncOp>().begin();
    if (!kernels) {
      // The first kernel brings its gpu.module along.
      parsedGpu->remove();
      module.getBody()->push_back(parsedGpu);
      kernels = parsedGpu;
      symbols.insert(kernels);
    } else {
      func->remove();
      Block *body = kernels.getBody();
      if (!body->empty() && body->back().hasTrait<OpTrait::IsTerminator>())
        body->getOperations().insert(Block::iterator(&body->back()), func);
      else
        body->push_back(func);
      SymbolTable(kernels).insert(func);
    }
    return func;
  }

  /// A constant weight table. Resident (device-weights): a global of the
  /// kernel module, bound inside the kernel at launch() and uploaded once,
  /// when the driver loads the module. Otherwise a private host global
  /// copied to device memory before every launch.
  template <typename T>
  KernelArg table(StringRef base, ArrayRef<int64_t> shape, ArrayRef<T> data) {
    Type el = std::is_same<T, float>::value
                  ? Type(Float32Type::get(op.getContext()))
                  : Type(IntegerType::get(op.getContext(), 32));
    auto attr = DenseElementsAttr::get(RankedTensorType::get(shape, el), data);
    std::string name = (base + "_" + Twine(index)).str();
    if (resident)
      return KernelArg(attr, name);
    auto type = MemRefType::get(shape, el);
    OpBuilder gb = OpBuilder::atBlockBegin(module.getBody());
    auto global = memref::GlobalOp::create(
        gb, loc, name, gb.getStringAttr("private"), type, attr,
        /*constant=*/true, /*alignment=*/gb.getI64IntegerAttr(16));
    symbols.insert(global);
    Value host =
        memref::GetGlobalOp::create(b, loc, type, global.getSymName());
    return KernelArg(upload(host, type));
  }

  Value upload(Value host, MemRefType type) {
    Value dev = alloc(type);
    gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), dev, host);
    return dev;
  }

  Value alloc(MemRefType type) {
    auto allocOp = gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                                        ValueRange(), ValueRange(),
                                        ValueRange(), /*hostShared=*/false);
    // Freed by the gpu.dealloc below: buffer deallocation must leave it.
    allocOp->setAttr(
        bufferization::BufferizationDialect::kManualDeallocation,
        b.getUnitAttr());
    toFree.push_back(allocOp.getMemref());
    return allocOp.getMemref();
  }

  /// The activation as a device [M, K] buffer.
  Value activation(const KernelShape &s) {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto xType = MemRefType::get({s.m, s.k}, s.inType);
    Value xFull = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(inType.getShape(), s.inType), op.getInput(),
        /*read_only=*/true);
    SmallVector<ReassociationIndices> collapse(2);
    for (int64_t d = 0; d + 1 < inType.getRank(); ++d)
      collapse[0].push_back(d);
    collapse[1].push_back(inType.getRank() - 1);
    Value xHost =
        memref::CollapseShapeOp::create(b, loc, xType, xFull, collapse);
    return upload(xHost, xType);
  }

  unsigned getIndex() const { return index; }

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// Launches `func` with `args` in the order of its parameters; resident
  /// tables become globals of the kernel module that the kernel reads
  /// directly (the parameter is replaced and dropped).
  void launch(gpu::GPUFuncOp func, int64_t gridX, int64_t gridY,
              int64_t threads, ArrayRef<KernelArg> args) {
    SmallVector<Value> operands;
    llvm::BitVector dropped(func.getNumArguments());
    Block &entry = func.getBody().front();
    OpBuilder kb = OpBuilder::atBlockBegin(&entry);
    auto globalSpace = gpu::AddressSpaceAttr::get(op.getContext(),
                                                  gpu::AddressSpace::Global);
    for (auto [i, arg] : llvm::enumerate(args)) {
      if (arg.value) {
        operands.push_back(arg.value);
        continue;
      }
      BlockArgument param = entry.getArgument(i);
      auto paramType = cast<MemRefType>(param.getType());
      auto globalType =
          MemRefType::get(paramType.getShape(), paramType.getElementType(),
                          MemRefLayoutAttrInterface(), globalSpace);
      OpBuilder gb = OpBuilder::atBlockBegin(kernels.getBody());
      // Public and not `constant`: LLVM would otherwise fold loads of known
      // indices (a private global that is never stored to counts as
      // constant) into immediates; the kernels must read the tables, not
      // embed them.
      auto global = memref::GlobalOp::create(
          gb, loc, arg.name, /*sym_visibility=*/StringAttr(), globalType,
          arg.data, /*constant=*/false,
          /*alignment=*/gb.getI64IntegerAttr(16));
      SymbolTable(kernels).insert(global);
      Value g = memref::GetGlobalOp::create(kb, loc, globalType,
                                            global.getSymName());
      Value generic =
          memref::MemorySpaceCastOp::create(kb, loc, paramType, g);
      param.replaceAllUsesWith(generic);
      dropped.set(i);
    }
    if (dropped.any())
      (void)func.eraseArguments(dropped);
    Value one = idx(1);
    gpu::KernelDim3 grid{idx(gridX), gridY == 1 ? one : idx(gridY), one};
    gpu::KernelDim3 block{idx(threads), one, one};
    gpu::LaunchFuncOp::create(b, loc, func, grid, block,
                              /*dynamicSharedMemorySize=*/Value(), operands);
  }

  /// Copies the device result back, frees device memory, and replaces
  /// `replaced` (the matmul's result, or the last fused epilogue op's) with
  /// the result tensor.
  void finish(Value yDev, MemRefType yType, Value replaced) {
    auto outType = cast<RankedTensorType>(op.getType());
    Value yHost = memref::AllocOp::create(b, loc, yType);
    gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), yHost, yDev);
    for (Value dev : toFree)
      gpu::DeallocOp::create(b, loc, TypeRange(), ValueRange(), dev)
          ->setAttr(bufferization::BufferizationDialect::kManualDeallocation,
                    b.getUnitAttr());
    SmallVector<ReassociationIndices> expand(2);
    for (int64_t d = 0; d + 1 < outType.getRank(); ++d)
      expand[0].push_back(d);
    expand[1].push_back(outType.getRank() - 1);
    Value yFull = memref::ExpandShapeOp::create(
        b, loc, MemRefType::get(outType.getShape(), yType.getElementType()),
        yHost, expand);
    Value result = bufferization::ToTensorOp::create(
        b, loc, outType, yFull, /*restrict=*/true, /*writable=*/true);
    replaced.replaceAllUsesWith(result);
  }

  gpu::GPUModuleOp getKernels() const { return kernels; }

private:
  MatmulOp op;
  ModuleOp module;
  SymbolTable &symbols;
  gpu::GPUModuleOp &kernels;
  unsigned index;
  bool resident;
  OpBuilder b;
  Location loc;
  SmallVector<Value> toFree;
};

struct QslLowerToGpuPass
    : public mlir::qsl::impl::QslLowerToGpuPassBase<QslLowerToGpuPass> {
  using QslLowerToGpuPassBase::QslLowerToGpuPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    if (matmuls.empty())
      return;
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    gpu::GPUModuleOp kernels;
    unsigned counter = 0;
    for (MatmulOp op : matmuls) {
      ComposedShape shape;
      ConstantOp weight;
      bool composed = false;
      std::string why = match(op, warps, maxBatch, tensorCores, shape,
                              composed, weight);
      if (!why.empty()) {
        op.emitRemark("qsl-lower-to-gpu: left on the CPU path: ") << why;
        continue;
      }
      Epilogue epilogue;
      epilogue.result = op.getResult();
      if (fuseEpilogue)
        epilogue = matchEpilogue(op.getResult());
      KernelEmitter emitter(op, module, symbols, kernels, counter++,
                            deviceWeights);
      LogicalResult done =
          composed ? rewriteComposed(op, weight, shape, emitter, epilogue)
                   : rewritePlain(op, weight, shape.base, emitter, epilogue);
      if (failed(done))
        return signalPassFailure();
      eraseEpilogue(epilogue);
      op.erase();
      if (weight->use_empty())
        weight.erase();
    }
    if (kernels)
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(ctx));
  }

  /// Weight-only quantization: the GEMV up to max-batch rows, the
  /// tensor-core GEMM above.
  LogicalResult rewritePlain(MatmulOp op, ConstantOp weight,
                             const KernelShape &s, KernelEmitter &e,
                             const Epilogue &epilogue) {
    bool transposed = op.getTransposeW();
    auto view = *EncodedTensorType::get(op.getWeight().getType());
    QuantAttr quant = view.getQuant();

    // Weight tables, repacked for the kernel at compile time.
    auto codes = readIntElements(weight.getStorage(StorageRole::Values),
                                 /*isUnsigned=*/!s.symmetric);
    auto scales = groupTable(weight.getStorage(StorageRole::Scales), false,
                             s, transposed);
    std::optional<std::vector<float>> zeros;
    if (!s.symmetric)
      zeros = groupTable(weight.getStorage(StorageRole::Zeros),
                         isa<IntegerType>(quant.getZero()), s, transposed);
    if (!codes || !scales || (!s.symmetric && !zeros))
      return op.emitError("qsl-lower-to-gpu: weight data unavailable");
    std::vector<uint32_t> words = ::qsl::compress::packGpuCodeWords(
        codes->data(), s.n, s.k, s.bits, transposed);
    int64_t wordsPerRow = ::qsl::compress::gpuWordsPerRow(s.k, s.bits);

    bool gemm = s.m > maxBatch;
    std::string name =
        (gemm ? "qsl_gemm_" : "qsl_gemv_") + std::to_string(e.getIndex());
    FailureOr<gpu::GPUFuncOp> func = e.addKernel(
        gemm ? buildMmaGemmKernelText(name, s) : buildGemvKernelText(name, s));
    if (failed(func))
      return failure();
    applyEpilogue(*func, e.getKernels(), epilogue,
                  "qsl_gpu_bias_" + std::to_string(e.getIndex()));

    // Host side: operands to device memory, launch, result back.
    SmallVector<KernelArg> args;
    args.push_back(e.activation(s));
    std::vector<int32_t> signedWords(words.begin(), words.end());
    args.push_back(e.table<int32_t>("qsl_gpu_codes", {s.n, wordsPerRow},
                                    signedWords));
    args.push_back(e.table<float>("qsl_gpu_scales", {s.n, s.groups},
                                  *scales));
    if (zeros)
      args.push_back(
          e.table<float>("qsl_gpu_zeros", {s.n, s.groups}, *zeros));
    auto yType = MemRefType::get({s.m, s.n}, s.outType);
    Value y = e.alloc(yType);
    args.push_back(y);
    int64_t colsPerBlock = gemm ? kMmaColsPerWarp * s.warps : s.warps;
    e.launch(*func, (s.n + colsPerBlock - 1) / colsPerBlock,
             gemm ? (s.m + 15) / 16 : 1, 32 * s.warps, args);
    e.finish(y, yType, epilogue.result);
    return success();
  }

  /// Sparse, outlier and low-rank facets (with or without a quantized main
  /// term): the composed GEMV, after the qsl_lrin kernel for a low-rank
  /// term.
  LogicalResult rewriteComposed(MatmulOp op, ConstantOp weight,
                                const ComposedShape &c, KernelEmitter &e,
                                const Epilogue &epilogue) {
    const KernelShape &s = c.base;
    bool transposed = op.getTransposeW();
    auto view = *EncodedTensorType::get(op.getWeight().getType());
    auto unavailable = [&](StringRef what) {
      return op.emitError("qsl-lower-to-gpu: weight data unavailable: ")
             << what;
    };
    unsigned index = e.getIndex();

    SmallVector<KernelArg> args;
    Value x = e.activation(s);
    args.push_back(x);

    // Main term.
    if (c.main == ComposedShape::Main::Codes) {
      QuantAttr quant = view.getQuant();
      auto codes = readIntElements(weight.getStorage(StorageRole::Values),
                                   /*isUnsigned=*/!s.symmetric);
      auto scales = groupTable(weight.getStorage(StorageRole::Scales), false,
                               s, transposed);
      if (!codes || !scales)
        return unavailable("codes or scales");
      std::vector<uint32_t> words = ::qsl::compress::packGpuCodeWords(
          codes->data(), s.n, c.keptK, s.bits, transposed);
      std::vector<int32_t> signedWords(words.begin(), words.end());
      args.push_back(e.table<int32_t>(
          "qsl_gpu_codes",
          {s.n, ::qsl::compress::gpuWordsPerRow(c.keptK, s.bits)},
          signedWords));
      args.push_back(
          e.table<float>("qsl_gpu_scales", {s.n, s.groups}, *scales));
      if (!s.symmetric) {
        auto zeros = groupTable(weight.getStorage(StorageRole::Zeros),
                                isa<IntegerType>(quant.getZero()), s,
                                transposed);
        if (!zeros)
          return unavailable("zero points");
        args.push_back(
            e.table<float>("qsl_gpu_zeros", {s.n, s.groups}, *zeros));
      }
    } else if (c.main == ComposedShape::Main::Floats) {
      auto vals = readFloatElements(weight.getStorage(StorageRole::Values));
      if (!vals)
        return unavailable("kept values");
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
        return unavailable("N:M metadata");
      std::vector<uint32_t> words = ::qsl::compress::packGpuCodeWords(
          meta->data(), s.n, c.keptK, c.metaBits, transposed);
      std::vector<int32_t> signedWords(words.begin(), words.end());
      args.push_back(e.table<int32_t>(
          "qsl_gpu_meta",
          {s.n, ::qsl::compress::gpuWordsPerRow(c.keptK, c.metaBits)},
          signedWords));
    }

    // Outliers: CSC by output column.
    if (c.outliers) {
      auto indices = readIntElements(
          weight.getStorage(StorageRole::OutlierIndices), false);
      auto values =
          readFloatElements(weight.getStorage(StorageRole::OutlierValues));
      if (!indices || !values)
        return unavailable("outliers");
      // Linear index into the [rows, cols] matrix view: k * N + n, or
      // n * K + k with transpose_w.
      std::vector<int32_t> colPtr(s.n + 1, 0), rowIdx(c.outliers);
      std::vector<float> vals(c.outliers);
      auto column = [&](int64_t i) {
        return transposed ? i / s.k : i % s.n;
      };
      auto row = [&](int64_t i) { return transposed ? i % s.k : i / s.n; };
      for (int64_t i : *indices)
        ++colPtr[column(i) + 1];
      for (int64_t n = 0; n < s.n; ++n)
        colPtr[n + 1] += colPtr[n];
      std::vector<int32_t> next(colPtr.begin(), colPtr.end() - 1);
      for (int64_t p = 0; p < c.outliers; ++p) {
        int64_t i = (*indices)[p];
        int32_t at = next[column(i)]++;
        rowIdx[at] = static_cast<int32_t>(row(i));
        vals[at] = static_cast<float>((*values)[p]);
      }
      args.push_back(e.table<int32_t>("qsl_gpu_outlier_colptr", {s.n + 1},
                                      colPtr));
      args.push_back(e.table<int32_t>("qsl_gpu_outlier_rows",
                                      {c.outliers}, rowIdx));
      args.push_back(
          e.table<float>("qsl_gpu_outlier_values", {c.outliers}, vals));
    }

    // Low rank: A_in [rank, K] for t = x A_in^T, B_out [N, rank].
    if (c.rank) {
      auto u = readFloatElements(weight.getStorage(StorageRole::LowRankU));
      auto v = readFloatElements(weight.getStorage(StorageRole::LowRankV));
      if (!u || !v)
        return unavailable("low-rank factors");
      // [K, N] weight: U [K, r], V [r, N]: A_in = U^T, B_out = V^T.
      // [N, K] weight: U [N, r], V [r, K]: A_in = V, B_out = U.
      std::vector<float> aIn = transposed ? toF32(*v, c.rank, s.k, false)
                                          : toF32(*u, s.k, c.rank, true);
      std::vector<float> bOut = transposed ? toF32(*u, s.n, c.rank, false)
                                           : toF32(*v, c.rank, s.n, true);
      FailureOr<gpu::GPUFuncOp> lrin = e.addKernel(buildLowRankInKernelText(
          "qsl_lrin_" + std::to_string(index), c));
      if (failed(lrin))
        return failure();
      KernelArg ain =
          e.table<float>("qsl_gpu_lowrank_in", {c.rank, s.k}, aIn);
      Value t = e.alloc(
          MemRefType::get({s.m, c.rank}, Float32Type::get(op.getContext())));
      e.launch(*lrin, (c.rank + s.warps - 1) / s.warps, 1, 32 * s.warps,
               {KernelArg(x), ain, KernelArg(t)});
      args.push_back(t);
      args.push_back(
          e.table<float>("qsl_gpu_lowrank_out", {s.n, c.rank}, bOut));
    }

    FailureOr<gpu::GPUFuncOp> func = e.addKernel(buildComposedGemvKernelText(
        "qsl_gemv_" + std::to_string(index), c));
    if (failed(func))
      return failure();
    applyEpilogue(*func, e.getKernels(), epilogue,
                  "qsl_gpu_bias_" + std::to_string(index));
    auto yType = MemRefType::get({s.m, s.n}, s.outType);
    Value y = e.alloc(yType);
    args.push_back(y);
    e.launch(*func, (s.n + s.warps - 1) / s.warps, 1, 32 * s.warps, args);
    e.finish(y, yType, epilogue.result);
    return success();
  }

};

} // namespace
