//===- QSLToGPU.cpp - Weight-only quantized matmul as a GPU GEMV ----------===//
//
// qsl-lower-to-gpu: a qsl.matmul on a quantized qsl.constant becomes a
// gpu.func that reads 32-bit words of packed codes and dequantizes them in
// registers inside the K loop (docs/codegen/gpu.md), plus the host code that
// launches it. The kernel is written as MLIR text specialised to the shapes
// and parsed, so that it reads like the kernel it is.
//
//===----------------------------------------------------------------------===//
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

namespace {

/// What one kernel is specialised to.
struct GemvShape {
  int64_t m, n, k;  // batch rows, output columns, reduction length
  int64_t groups;   // scale groups along K
  int64_t groupLen; // K elements per group
  unsigned bits;
  bool symmetric;
  Type inType, outType; // f32 or f16
  int64_t warps;
};

/// Replaces every `@@NAME@@` in `text` by its value.
std::string substitute(std::string text,
                       const std::map<std::string, std::string> &vars) {
  for (const auto &[name, value] : vars) {
    std::string token = "@@" + name + "@@";
    for (size_t pos = text.find(token); pos != std::string::npos;
         pos = text.find(token, pos + value.size()))
      text.replace(pos, token.size(), value);
  }
  return text;
}

std::string typeName(Type t) { return t.isF16() ? "f16" : "f32"; }

/// The MLIR text of the kernel `name` (a gpu.module holding one gpu.func).
std::string buildKernelText(StringRef name, const GemvShape &s) {
  int64_t perWord = 32 / s.bits;
  int64_t words = ::qsl::compress::gpuWordsPerRow(s.k, s.bits);
  std::map<std::string, std::string> v = {
      {"NAME", name.str()},
      {"M", std::to_string(s.m)},
      {"N", std::to_string(s.n)},
      {"K", std::to_string(s.k)},
      {"W", std::to_string(words)},
      {"G", std::to_string(s.groups)},
      {"GL", std::to_string(s.groupLen)},
      {"CPW", std::to_string(perWord)},
      {"BITS", std::to_string(s.bits)},
      {"SHL", std::to_string(32 - s.bits)},
      {"MASK", std::to_string((1u << s.bits) - 1u)},
      {"WARPS", std::to_string(s.warps)},
      {"THREADS", std::to_string(32 * s.warps)},
      {"TI", typeName(s.inType)},
      {"TO", typeName(s.outType)},
  };

  // Scale (and zero) of the group: once per word when a word never straddles
  // two groups, else per element.
  std::string groupLoad = R"(
          %g = arith.divui %@@KE@@, %cGL : index
          %s = memref.load %scales[%n, %g] : memref<@@N@@x@@G@@xf32>)";
  if (!s.symmetric)
    groupLoad += R"(
          %z = memref.load %zeros[%n, %g] : memref<@@N@@x@@G@@xf32>)";
  bool perWordGroup = s.groupLen % perWord == 0;
  std::string wordGroup =
      perWordGroup ? substitute(groupLoad, {{"KE", "k0"}}) : "";
  std::string elemGroup =
      perWordGroup ? "" : substitute(groupLoad, {{"KE", "k"}});

  // Code -> float: symmetric codes are sign-extended from `bits` bits.
  std::string decode =
      s.symmetric ? R"(
              %qs = arith.shli %q, %cSHL : i32
              %qx = arith.shrsi %qs, %cSHL : i32
              %qf = arith.sitofp %qx : i32 to f32
              %wv = arith.mulf %qf, %s : f32)"
                  : R"(
              %qf = arith.uitofp %q : i32 to f32
              %d = arith.subf %qf, %z : f32
              %wv = arith.mulf %d, %s : f32)";
  std::string loadX = s.inType.isF16() ? R"(
                %xh = memref.load %x[%m, %k] : memref<@@M@@x@@K@@xf16>
                %xv = arith.extf %xh : f16 to f32)"
                                       : R"(
                %xv = memref.load %x[%m, %k] : memref<@@M@@x@@K@@xf32>)";
  std::string storeY = s.outType.isF16() ? R"(
          %yh = arith.truncf %a5 : f32 to f16
          memref.store %yh, %y[%m, %n] : memref<@@M@@x@@N@@xf16>)"
                                         : R"(
          memref.store %a5, %y[%m, %n] : memref<@@M@@x@@N@@xf32>)";

  // The element loop of one word, guarded only when K leaves a partial word.
  std::string element = R"(
              %ji = arith.index_cast %j : index to i32
              %sh = arith.muli %ji, %cBITS : i32
              %t = arith.shrui %word, %sh : i32
              %q = arith.andi %t, %cMASK : i32)" +
                        elemGroup + decode + R"(
              scf.for %m = %c0 to %cM step %c1 {)" +
                        loadX + R"(
                %a = memref.load %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
                %xw = arith.mulf %xv, %wv : f32
                %p = arith.addf %a, %xw : f32
                memref.store %p, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
              })";
  if (s.k % perWord != 0)
    element = R"(
            %kin = arith.cmpi ult, %k, %cK : index
            scf.if %kin {)" +
              element + R"(
            })";

  std::string zerosArg =
      s.symmetric ? "" : ", %zeros: memref<@@N@@x@@G@@xf32>";
  std::string text = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: memref<@@M@@x@@K@@x@@TI@@>, %codes: memref<@@N@@x@@W@@xi32>,
        %scales: memref<@@N@@x@@G@@xf32>)" +
                     zerosArg + R"(, %y: memref<@@M@@x@@N@@x@@TO@@>)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %cM = arith.constant @@M@@ : index
      %cN = arith.constant @@N@@ : index
      %cK = arith.constant @@K@@ : index
      %cW = arith.constant @@W@@ : index
      %cCPW = arith.constant @@CPW@@ : index
      %cGL = arith.constant @@GL@@ : index
      %cWARPS = arith.constant @@WARPS@@ : index
      %cBITS = arith.constant @@BITS@@ : i32
      %cSHL = arith.constant @@SHL@@ : i32
      %cMASK = arith.constant @@MASK@@ : i32
      %zero = arith.constant 0.0 : f32
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %lane = arith.remui %tid, %c32 : index
      %warp = arith.divui %tid, %c32 : index
      %nb = arith.muli %bid, %cWARPS : index
      %n = arith.addi %nb, %warp : index
      %acc = memref.alloca() : memref<@@M@@xf32, #gpu.address_space<private>>
      scf.for %m = %c0 to %cM step %c1 {
        memref.store %zero, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
      }
      %inb = arith.cmpi ult, %n, %cN : index
      scf.if %inb {
        scf.for %w = %lane to %cW step %c32 {
          %word = memref.load %codes[%n, %w] : memref<@@N@@x@@W@@xi32>
          %k0 = arith.muli %w, %cCPW : index)" +
                     wordGroup + R"(
          scf.for %j = %c0 to %cCPW step %c1 {
            %k = arith.addi %k0, %j : index)" +
                     element + R"(
          }
        }
      }
      %o16 = arith.constant 16 : i32
      %o8 = arith.constant 8 : i32
      %o4 = arith.constant 4 : i32
      %o2 = arith.constant 2 : i32
      %o1 = arith.constant 1 : i32
      %width = arith.constant 32 : i32
      %lane0 = arith.cmpi eq, %lane, %c0 : index
      %write = arith.andi %lane0, %inb : i1
      scf.for %m = %c0 to %cM step %c1 {
        %a = memref.load %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
        %s1, %v1 = gpu.shuffle xor %a, %o16, %width : f32
        %a1 = arith.addf %a, %s1 : f32
        %s2, %v2 = gpu.shuffle xor %a1, %o8, %width : f32
        %a2 = arith.addf %a1, %s2 : f32
        %s3, %v3 = gpu.shuffle xor %a2, %o4, %width : f32
        %a3 = arith.addf %a2, %s3 : f32
        %s4, %v4 = gpu.shuffle xor %a3, %o2, %width : f32
        %a4 = arith.addf %a3, %s4 : f32
        %s5, %v5 = gpu.shuffle xor %a4, %o1, %width : f32
        %a5 = arith.addf %a4, %s5 : f32
        scf.if %write {)" +
                     storeY + R"(
        }
      }
      gpu.return
    }
  }
}
)";
  return substitute(text, v);
}

/// Why `op` cannot use the GEMV kernel, or "" when it can; fills `shape`.
std::string match(MatmulOp op, int64_t warps, int64_t maxBatch,
                  GemvShape &shape, ConstantOp &weight) {
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
  if (m > maxBatch)
    return "batch " + std::to_string(m) + " exceeds max-batch";
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
                                             const GemvShape &s,
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
      GemvShape shape;
      ConstantOp weight;
      std::string why = match(op, warps, maxBatch, shape, weight);
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

  LogicalResult rewrite(MatmulOp op, ConstantOp weight, const GemvShape &s,
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

    // The kernel.
    std::string name = "qsl_gemv_" + std::to_string(index);
    OwningOpRef<ModuleOp> parsed =
        parseSourceString<ModuleOp>(buildKernelText(name, s), ctx);
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
    gpu::KernelDim3 grid{idx((s.n + s.warps - 1) / s.warps), one, one};
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
