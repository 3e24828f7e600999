//===- QSLToGPU.cpp - Weight-only quantized matmul as a GPU GEMV ----------===//
//
// qsl-lower-to-gpu: a qsl.matmul on a quantized qsl.constant becomes a
// gpu.func that reads 32-bit words of packed codes and dequantizes them in
// registers inside the K loop (docs/codegen/gpu.md), plus the host code that
// launches it. The kernel is written as MLIR text specialised to the shapes
// and parsed, so that it reads like the kernel it is.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "qsl/Conversion/Passes.h"
#include "qsl/Compress/GpuLayout.h"
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"

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

/// Why `op` cannot use the GEMV kernel, or "" when it can; fills `shape`.
std::string match(MatmulOp op, int64_t warps, int64_t maxBatch,
                  bool tensorCores, KernelShape &shape, ConstantOp &weight) {
  weight = op.getWeight().getDefiningOp<ConstantOp>();
  if (!weight)
    return "weight is not a qsl.constant";
  auto view = EncodedTensorType::get(op.getWeight().getType());
  if (!view || view->getRank() != 2)
    return "weight is not a 2-D encoded tensor";
  QuantAttr quant = view->getQuant();
  if (!quant || view->getSparse() || view->getOutliers() ||
      view->getLowRank() || view->getSmooth() || quant.hasCodebook())
    return "encoding is not weight-only uniform quantization";
  unsigned bits = quant.getBits();
  if (32 % bits != 0)
    return "codes of " + std::to_string(bits) + " bits do not tile a word";
  bool transposed = op.getTransposeW();
  int64_t reductionAxis = transposed ? 1 : 0;
  if (quant.getAxis() != reductionAxis)
    return "quantization groups do not run along K";
  auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
  auto outType = dyn_cast<RankedTensorType>(op.getType());
  if (!inType || !inType.hasStaticShape() || inType.getRank() < 2)
    return "input is not a statically shaped tensor of rank >= 2";
  Type inEl = inType.getElementType(), outEl = outType.getElementType();
  if (!(inEl.isF32() || inEl.isF16()) || !(outEl.isF32() || outEl.isF16()))
    return "element types other than f32/f16";
  int64_t k = inType.getShape().back();
  int64_t m = inType.getNumElements() / k;
  if (m > maxBatch && !tensorCores)
    return "batch " + std::to_string(m) +
           " exceeds max-batch and tensor-cores=false";
  shape.m = m;
  shape.k = k;
  shape.n = view->getDimSize(transposed ? 0 : 1);
  shape.groupLen = quant.getGroup() == 0 ? k : quant.getGroup();
  shape.groups = k / shape.groupLen;
  shape.bits = bits;
  shape.symmetric = quant.isSymmetric();
  shape.inType = inEl;
  shape.outType = outEl;
  shape.warps = warps;
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
      KernelShape shape;
      ConstantOp weight;
      std::string why =
          match(op, warps, maxBatch, tensorCores, shape, weight);
      if (!why.empty()) {
        op.emitRemark("qsl-lower-to-gpu: left on the CPU path: ") << why;
        continue;
      }
      if (failed(rewrite(op, weight, shape, symbols, kernels, counter++)))
        return signalPassFailure();
    }
    if (kernels)
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(ctx));
  }

  LogicalResult rewrite(MatmulOp op, ConstantOp weight, const KernelShape &s,
                        SymbolTable &symbols, gpu::GPUModuleOp &kernels,
                        unsigned index) {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
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

    // The kernel: the GEMV up to max-batch rows, the tensor-core GEMM above.
    bool gemm = s.m > maxBatch;
    std::string name =
        (gemm ? "qsl_gemm_" : "qsl_gemv_") + std::to_string(index);
    OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(
        gemm ? buildMmaGemmKernelText(name, s) : buildGemvKernelText(name, s),
        ctx);
    if (!parsed)
      return op.emitError("qsl-lower-to-gpu: internal error: kernel text "
                          "does not parse");
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

    // Device-side constants as private memref.globals.
    OpBuilder gb = OpBuilder::atBlockBegin(module.getBody());
    auto makeGlobal = [&](StringRef base, MemRefType type,
                          DenseElementsAttr init) {
      auto global = memref::GlobalOp::create(
          gb, op.getLoc(), (base + "_" + Twine(index)).str(),
          gb.getStringAttr("private"), type, init, /*constant=*/true,
          /*alignment=*/gb.getI64IntegerAttr(16));
      symbols.insert(global);
      return global;
    };
    Type i32 = IntegerType::get(ctx, 32), f32 = Float32Type::get(ctx);
    auto codesType = MemRefType::get({s.n, wordsPerRow}, i32);
    std::vector<int32_t> signedWords(words.begin(), words.end());
    auto codesGlobal = makeGlobal(
        "qsl_gpu_codes", codesType,
        DenseElementsAttr::get(RankedTensorType::get(codesType.getShape(), i32),
                               ArrayRef<int32_t>(signedWords)));
    auto tableType = MemRefType::get({s.n, s.groups}, f32);
    auto tableAttr = [&](const std::vector<float> &t) {
      return DenseElementsAttr::get(
          RankedTensorType::get(tableType.getShape(), f32), ArrayRef<float>(t));
    };
    auto scalesGlobal =
        makeGlobal("qsl_gpu_scales", tableType, tableAttr(*scales));
    memref::GlobalOp zerosGlobal;
    if (!s.symmetric)
      zerosGlobal = makeGlobal("qsl_gpu_zeros", tableType, tableAttr(*zeros));

    // Host side: operands to device memory, launch, result back.
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    auto xType = MemRefType::get({s.m, s.k}, s.inType);
    auto yType = MemRefType::get({s.m, s.n}, s.outType);
    Value xFull = bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(inType.getShape(), s.inType), op.getInput(),
        /*read_only=*/true);
    SmallVector<ReassociationIndices> collapse(2);
    for (int64_t d = 0; d + 1 < inType.getRank(); ++d)
      collapse[0].push_back(d);
    collapse[1].push_back(inType.getRank() - 1);
    Value xHost = memref::CollapseShapeOp::create(b, loc, xType, xFull,
                                                  collapse);

    SmallVector<Value> toFree;
    auto upload = [&](Value host, MemRefType type) -> Value {
      Value dev = gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                                       ValueRange(), ValueRange(), ValueRange(),
                                       /*hostShared=*/false)
                      .getMemref();
      gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), dev, host);
      toFree.push_back(dev);
      return dev;
    };
    auto getGlobal = [&](memref::GlobalOp g) -> Value {
      return memref::GetGlobalOp::create(b, loc, g.getType(), g.getSymName());
    };
    SmallVector<Value> args;
    args.push_back(upload(xHost, xType));
    args.push_back(upload(getGlobal(codesGlobal), codesType));
    args.push_back(upload(getGlobal(scalesGlobal), tableType));
    if (zerosGlobal)
      args.push_back(upload(getGlobal(zerosGlobal), tableType));
    Value yDev = gpu::AllocOp::create(b, loc, yType, Type(), ValueRange(),
                                      ValueRange(), ValueRange(), false)
                     .getMemref();
    toFree.push_back(yDev);
    args.push_back(yDev);

    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value one = idx(1);
    int64_t colsPerBlock = gemm ? kMmaColsPerWarp * s.warps : s.warps;
    gpu::KernelDim3 grid{idx((s.n + colsPerBlock - 1) / colsPerBlock),
                         gemm ? idx((s.m + 15) / 16) : one, one};
    gpu::KernelDim3 block{idx(32 * s.warps), one, one};
    gpu::LaunchFuncOp::create(b, loc, cast<gpu::GPUFuncOp>(func), grid, block,
                              /*dynamicSharedMemorySize=*/Value(), args);

    Value yHost = memref::AllocOp::create(b, loc, yType);
    gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), yHost, yDev);
    for (Value dev : toFree)
      gpu::DeallocOp::create(b, loc, TypeRange(), ValueRange(), dev);
    SmallVector<ReassociationIndices> expand(2);
    for (int64_t d = 0; d + 1 < outType.getRank(); ++d)
      expand[0].push_back(d);
    expand[1].push_back(outType.getRank() - 1);
    Value yFull = memref::ExpandShapeOp::create(
        b, loc, MemRefType::get(outType.getShape(), s.outType), yHost, expand);
    Value result = bufferization::ToTensorOp::create(
        b, loc, outType, yFull, /*restrict=*/true, /*writable=*/true);
    op.replaceAllUsesWith(result);
    op.erase();
    if (weight->use_empty())
      weight.erase();
    return success();
  }
};

} // namespace
