//===- HostSide.cpp - Host code and weight tables of qsl-lower-to-gpu -----===//
//
// See HostSide.h.
//
//===----------------------------------------------------------------------===//
#include "HostSide.h"

#include "qsl/Compress/GpuLayout.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/BitVector.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

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

std::optional<std::vector<float>>
codebookTable(ElementsAttr attr, const KernelShape &s, bool transposed) {
  auto vals = readFloatElements(attr);
  if (!vals)
    return std::nullopt;
  int64_t e = s.codebook;
  std::vector<float> out(s.n * s.groups * e);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t q = 0; q < e; ++q)
        out[(n * s.groups + g) * e + q] = static_cast<float>(
            (*vals)[(transposed ? n * s.groups + g : g * s.n + n) * e + q]);
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

/// Parses `text` (a module holding a gpu.module with one gpu.func) and
/// moves the function into the shared @qsl_kernels module.
FailureOr<gpu::GPUFuncOp> KernelEmitter::addKernel(const std::string &text) {
  OwningOpRef<ModuleOp> parsed =
      parseSourceString<ModuleOp>(text, op->getContext());
  if (!parsed) {
    op->emitError("qsl-lower-to-gpu: internal error: kernel text does not "
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
KernelArg KernelEmitter::table(StringRef base, ArrayRef<int64_t> shape, ArrayRef<T> data) {
  Type el = std::is_same<T, float>::value
                ? Type(Float32Type::get(op->getContext()))
                : Type(IntegerType::get(op->getContext(), 32));
  return tableOf(base,
                 DenseElementsAttr::get(RankedTensorType::get(shape, el), data));
}

KernelArg KernelEmitter::halfTable(StringRef base, ArrayRef<int64_t> shape,
                                   const std::vector<float> &data) {
  SmallVector<APFloat> halves;
  halves.reserve(data.size());
  for (float v : data) {
    APFloat h(v);
    bool lost;
    h.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lost);
    halves.push_back(h);
  }
  auto type = RankedTensorType::get(shape, Float16Type::get(op->getContext()));
  return tableOf(base, DenseElementsAttr::get(type, halves));
}

KernelArg KernelEmitter::tableOf(StringRef base, DenseElementsAttr attr) {
  std::string name = (base + "_" + Twine(index)).str();
  if (resident)
    return KernelArg(attr, name);
  auto tensorType = cast<RankedTensorType>(attr.getType());
  auto type =
      MemRefType::get(tensorType.getShape(), tensorType.getElementType());
  OpBuilder gb = OpBuilder::atBlockBegin(module.getBody());
  auto global = memref::GlobalOp::create(
      gb, loc, name, gb.getStringAttr("private"), type, attr,
      /*constant=*/true, /*alignment=*/gb.getI64IntegerAttr(16));
  symbols.insert(global);
  Value host =
      memref::GetGlobalOp::create(b, loc, type, global.getSymName());
  return KernelArg(upload(host, type));
}

Value KernelEmitter::upload(Value host, MemRefType type) {
  Value dev = alloc(type);
  gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), dev, host);
  return dev;
}

Value KernelEmitter::alloc(MemRefType type) {
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

void KernelEmitter::zero(Value buf) {
  Value zeroF32 = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  gpu::MemsetOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(), buf,
                        zeroF32);
}

/// The activation as a device [M, K] buffer.
/// {{0, ..., rank - 2}, {rank - 1}}: all leading dimensions into one.
static SmallVector<ReassociationIndices> leadingDimsTogether(int64_t rank) {
  SmallVector<ReassociationIndices> r(2);
  for (int64_t d = 0; d + 1 < rank; ++d)
    r[0].push_back(d);
  r[1].push_back(rank - 1);
  return r;
}

Value KernelEmitter::uploadTensor(
    Value t, ArrayRef<int64_t> deviceShape,
    ArrayRef<ReassociationIndices> collapse) {
  auto type = cast<RankedTensorType>(t.getType());
  Type el = type.getElementType();
  Value full = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), el), t, /*read_only=*/true);
  auto deviceType = MemRefType::get(deviceShape, el);
  Value host = full;
  if (!collapse.empty())
    host = memref::CollapseShapeOp::create(b, loc, deviceType, full, collapse);
  return upload(host, deviceType);
}

Value KernelEmitter::asImage(Value buf, int64_t h, int64_t w) {
  auto type = cast<MemRefType>(buf.getType());
  auto image = MemRefType::get({type.getDimSize(0), type.getDimSize(1), h, w},
                               type.getElementType());
  return memref::ExpandShapeOp::create(
      b, loc, image, buf, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value KernelEmitter::activation(const KernelShape &s) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (s.conv) // the kernel reads the NCHW image itself
    return uploadTensor(input, inType.getShape(), {});
  return uploadTensor(input, {s.m, s.k}, leadingDimsTogether(inType.getRank()));
}

Value KernelEmitter::idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

/// Launches `func` with `args` in the order of its parameters; resident
/// tables become globals of the kernel module that the kernel reads
/// directly (the parameter is replaced and dropped).
void KernelEmitter::launch(gpu::GPUFuncOp func, int64_t gridX, int64_t gridY,
            int64_t threads, ArrayRef<KernelArg> args) {
  SmallVector<Value> operands;
  llvm::BitVector dropped(func.getNumArguments());
  Block &entry = func.getBody().front();
  OpBuilder kb = OpBuilder::atBlockBegin(&entry);
  auto globalSpace = gpu::AddressSpaceAttr::get(op->getContext(),
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
SmallVector<ReassociationIndices>
KernelEmitter::outputReassociation(MemRefType yType) const {
  // [M, N] from the result's shape, or a convolution's [images, O, OH*OW]
  // from NCHW.
  if (yType.getRank() == 3)
    return {{0}, {1}, {2, 3}};
  return leadingDimsTogether(resultType.getRank());
}

Value KernelEmitter::residual(Value r, MemRefType yType) {
  return uploadTensor(r, yType.getShape(), outputReassociation(yType));
}

void KernelEmitter::finish(Value yDev, MemRefType yType, Value replaced) {
  // The result's shape; its element type is the last fused step's (f16
  // after a fused cast).
  auto outType = cast<RankedTensorType>(replaced.getType());
  Value yHost = memref::AllocOp::create(b, loc, yType);
  gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), yHost, yDev);
  for (Value dev : toFree)
    gpu::DeallocOp::create(b, loc, TypeRange(), ValueRange(), dev)
        ->setAttr(bufferization::BufferizationDialect::kManualDeallocation,
                  b.getUnitAttr());
  SmallVector<ReassociationIndices> expand = outputReassociation(yType);
  Value yFull = memref::ExpandShapeOp::create(
      b, loc, MemRefType::get(outType.getShape(), yType.getElementType()),
      yHost, expand);
  Value result = bufferization::ToTensorOp::create(
      b, loc, outType, yFull, /*restrict=*/true, /*writable=*/true);
  replaced.replaceAllUsesWith(result);
}


template KernelArg KernelEmitter::table<float>(StringRef, ArrayRef<int64_t>,
                                               ArrayRef<float>);
template KernelArg KernelEmitter::table<int32_t>(StringRef, ArrayRef<int64_t>,
                                                 ArrayRef<int32_t>);

KernelArg KernelEmitter::wordTable(StringRef base,
                                   const std::vector<int64_t> &codes,
                                   int64_t n, int64_t k, unsigned bits,
                                   bool transposed) {
  std::vector<uint32_t> words =
      ::qsl::compress::packGpuCodeWords(codes.data(), n, k, bits, transposed);
  std::vector<int32_t> signedWords(words.begin(), words.end());
  return table<int32_t>(base, {n, ::qsl::compress::gpuWordsPerRow(k, bits)},
                        signedWords);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
