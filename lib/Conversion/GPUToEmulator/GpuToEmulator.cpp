//===- GpuToEmulator.cpp - qsl-gpu-emulate --------------------------------===//
//
// Makes a module whose kernels were lowered to NVVM (qsl-gpu-pipeline
// format=emulator) and whose host side was lowered to LLVM (gpu-to-llvm and
// the rest) run on the CPU with libqsl_gpu_emulator:
//   * every llvm.func and global of each gpu.module moves into the host
//     module under a `__qsl_emu_<module>_` name; pointers lose their address
//     space (shared, global and local memory are all host memory);
//   * the NVVM special registers, shfl.sync, mma.sync (m16n8k16 f16 -> f32),
//     the inline-asm mma.sp (m16n8k32 f16 -> f32) that nvgpu lowers to,
//     ldmatrix (m8n8 b16), cp.async with its commit and wait, and sm_90a's
//     inline-asm wgmma (m64nNk16 f16 -> f32, A from registers, and its 2:4
//     form m64nNk32; the text of WgmmaAsm.h) with its fence, commit, wait
//     and the async-proxy fence become calls into the emulator, which runs
//     the threads of a block as fibers and performs each warp (or
//     warpgroup) collective once every thread reached it;
//   * a shared-memory address taken as an integer (a wgmma matrix
//     descriptor's) becomes the emulator's shared-space address of it;
//   * each kernel gets a `<name>_packed(void **params)` entry taking CUDA's
//     kernel-parameter array, and each gpu.launch_func becomes a call to
//     qsl_emu_launch with that array.
// Any NVVM op or inline asm the emulator does not model is an error naming
// it, never a silently different kernel.
//
//===----------------------------------------------------------------------===//
#include "qsl/Conversion/Passes.h"
#include "qsl/Conversion/QSLToGPU/WgmmaAsm.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLGPUEMULATEPASS
#include "qsl/Conversion/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kSharedLoad = "qsl.emu.shared_load";
constexpr llvm::StringLiteral kSharedAddress = "qsl.emu.shared_address";
constexpr llvm::StringLiteral kMmaSpAsm =
    "mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 ";

/// The runtime function `name` of type `type`, declared once in `module`.
LLVM::LLVMFuncOp runtimeFunc(ModuleOp module, StringRef name, Type result,
                             ArrayRef<Type> args) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(
      b, module.getLoc(), name, LLVM::LLVMFunctionType::get(result, args));
}

Value i32Const(OpBuilder &b, Location loc, int64_t v) {
  return LLVM::ConstantOp::create(b, loc, b.getI32Type(),
                                  b.getI32IntegerAttr(v));
}

/// `v` (an f16x2 vector, i32 or f32) as the i32 register it occupies.
Value asI32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isInteger(32))
    return v;
  return LLVM::BitcastOp::create(b, loc, b.getI32Type(), v);
}

/// A slot of `count` `element`s at the entry of `func` for a collective's
/// result.
Value resultSlot(OpBuilder &b, LLVM::LLVMFuncOp func, Location loc,
                 Type element, int64_t count) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  Value n = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                     b.getI64IntegerAttr(count));
  return LLVM::AllocaOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext()), element, n);
}

/// Replaces `op` (result: `count` `element`s, a struct of them or, for
/// one, the value) by the call `callee(slot, args...)` and the loads of
/// `slot`.
void replaceWithSlotCall(OpBuilder &b, Operation *op, LLVM::LLVMFuncOp callee,
                         LLVM::LLVMFuncOp func, ArrayRef<Value> args,
                         Type element, int64_t count) {
  Location loc = op->getLoc();
  Value slot = resultSlot(b, func, loc, element, count);
  b.setInsertionPoint(op);
  SmallVector<Value> callArgs{slot};
  callArgs.append(args.begin(), args.end());
  LLVM::CallOp::create(b, loc, callee, callArgs);
  Type resultType = op->getResult(0).getType();
  Value result = LLVM::PoisonOp::create(b, loc, resultType);
  for (int64_t i = 0; i < count; ++i) {
    Value p = LLVM::GEPOp::create(b, loc, slot.getType(), element, slot,
                                  ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    Value v = LLVM::LoadOp::create(b, loc, element, p);
    result = resultType == element
                 ? v
                 : LLVM::InsertValueOp::create(b, loc, result, v,
                                               ArrayRef<int64_t>{i})
                       .getResult();
  }
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
}

/// An mma: its result is a struct of four f32.
void replaceWithMmaCall(OpBuilder &b, Operation *op, LLVM::LLVMFuncOp callee,
                        LLVM::LLVMFuncOp func, ArrayRef<Value> args) {
  replaceWithSlotCall(b, op, callee, func, args, b.getF32Type(), 4);
}

struct QslGpuEmulatePass
    : public qsl::impl::QslGpuEmulatePassBase<QslGpuEmulatePass> {
  void runOnOperation() override;

  LogicalResult moveKernels(gpu::GPUModuleOp gpuModule);
  LogicalResult rewriteDeviceOps(LLVM::LLVMFuncOp func);
  void checkAlignment(LLVM::LLVMFuncOp func);
  void checkSharedReads(LLVM::LLVMFuncOp func);
  LLVM::LLVMFuncOp packedEntry(LLVM::LLVMFuncOp kernel);
  LogicalResult rewriteLaunch(gpu::LaunchFuncOp launch);

  /// "module::kernel" -> the moved kernel.
  llvm::StringMap<LLVM::LLVMFuncOp> kernels;
  /// Moved workgroup (shared-memory) globals -> their size in bytes.
  llvm::StringMap<uint64_t> sharedGlobals;
};

LogicalResult QslGpuEmulatePass::moveKernels(gpu::GPUModuleOp gpuModule) {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  std::string prefix =
      ("__qsl_emu_" + gpuModule.getName() + "_").str();
  SymbolTable hostSymbols(module);

  // Rename the definitions first, so that uses inside the module follow.
  SmallVector<Operation *> ops;
  for (Operation &op : gpuModule.getBody()->getOperations())
    ops.push_back(&op);
  for (Operation *op : ops) {
    if (!isa<LLVM::LLVMFuncOp, LLVM::GlobalOp>(op))
      return op->emitError("qsl-gpu-emulate: the kernel module must be in "
                           "the LLVM dialect (run qsl-gpu-pipeline with "
                           "format=emulator first); found ")
             << op->getName();
    auto func = dyn_cast<LLVM::LLVMFuncOp>(op);
    if (func && func.isExternal())
      continue; // libdevice and the like: the emulator defines them
    StringAttr name = SymbolTable::getSymbolName(op);
    auto newName = StringAttr::get(ctx, prefix + name.getValue());
    if (failed(SymbolTable::replaceAllSymbolUses(op, newName, gpuModule)))
      return op->emitError("qsl-gpu-emulate: cannot rename ") << name;
    SymbolTable::setSymbolName(op, newName);
  }

  // Shared-memory globals: the emulator poisons them before every block.
  DataLayout layout(module);
  for (Operation *op : ops)
    if (auto global = dyn_cast<LLVM::GlobalOp>(op))
      if (global.getAddrSpace() ==
          static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared))
        sharedGlobals[global.getSymName()] =
            layout.getTypeSize(global.getGlobalType()).getFixedValue();

  // Loads from shared memory, marked before their address space goes: the
  // emulator checks that no other thread's cp.async wrote what they read
  // since the block last met at a barrier (checkSharedReads).
  for (Operation *op : ops)
    op->walk([&](LLVM::LoadOp load) {
      auto type = dyn_cast<LLVM::LLVMPointerType>(load.getAddr().getType());
      if (type && type.getAddressSpace() ==
                      static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared))
        load->setAttr(kSharedLoad, UnitAttr::get(ctx));
    });
  // So are shared pointers taken as integers (rewriteDeviceOps).
  for (Operation *op : ops)
    op->walk([&](LLVM::PtrToIntOp cast) {
      auto type = dyn_cast<LLVM::LLVMPointerType>(cast.getArg().getType());
      if (type && type.getAddressSpace() ==
                      static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared))
        cast->setAttr(kSharedAddress, UnitAttr::get(ctx));
    });

  AttrTypeReplacer flatten;
  flatten.addReplacement(
      [&](LLVM::LLVMPointerType t) -> std::optional<Type> {
        if (t.getAddressSpace() == 0)
          return std::nullopt;
        return LLVM::LLVMPointerType::get(ctx);
      });

  for (Operation *op : ops) {
    auto func = dyn_cast<LLVM::LLVMFuncOp>(op);
    if (func && func.isExternal() &&
        hostSymbols.lookup(func.getSymName())) {
      op->erase();
      continue;
    }
    op->moveBefore(module.getBody(), module.getBody()->end());
    flatten.recursivelyReplaceElementsIn(op, /*replaceAttrs=*/true,
                                         /*replaceLocs=*/false,
                                         /*replaceTypes=*/true);
    if (auto global = dyn_cast<LLVM::GlobalOp>(op)) {
      global.setAddrSpace(0);
      global.setLinkage(LLVM::Linkage::Internal);
      continue;
    }
    // Keep only what means the same on the host.
    bool isKernel = func->hasAttr("nvvm.kernel") ||
                    func->hasAttr(gpu::GPUDialect::getKernelFuncAttrName());
    SmallVector<StringAttr> drop;
    for (NamedAttribute a : func->getDiscardableAttrs())
      if (a.getName().getValue().starts_with("nvvm.") ||
          a.getName().getValue().starts_with("gpu."))
        drop.push_back(a.getName());
    for (StringAttr a : drop)
      func->removeAttr(a);
    if (func.isExternal())
      continue; // a libdevice function, defined by the emulator
    func.setVisibility(SymbolTable::Visibility::Private);
    func.setLinkage(LLVM::Linkage::Internal);
    checkAlignment(func);
    checkSharedReads(func);
    if (failed(rewriteDeviceOps(func)))
      return failure();
    if (isKernel) {
      StringRef original =
          func.getSymName().drop_front(prefix.size());
      kernels[(gpuModule.getName() + "::" + original).str()] = func;
    }
  }
  return success();
}

/// A GPU faults on a load or store whose address is not a multiple of the
/// alignment the access declares (its `alignment`, else its type's ABI
/// alignment: an `ld.global.v4.b32` wants 16 bytes); the host does not. So
/// every access of the kernel first tests its address, and where the test
/// fails calls qsl_emu_misaligned, which reports the kernel, the access and
/// the offset into its device buffer (and forgives what is only the
/// emulator's buffers starting less aligned than cudaMalloc's 256 bytes).
/// The host access is then marked unaligned.
void QslGpuEmulatePass::checkAlignment(LLVM::LLVMFuncOp func) {
  ModuleOp module = getOperation();
  OpBuilder b(&getContext());
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(&getContext());
  DataLayout layout(module);
  SmallVector<Operation *> accesses;
  func.walk([&](Operation *op) {
    if (isa<LLVM::LoadOp, LLVM::StoreOp>(op))
      accesses.push_back(op);
  });
  for (Operation *op : accesses) {
    auto load = dyn_cast<LLVM::LoadOp>(op);
    auto store = dyn_cast<LLVM::StoreOp>(op);
    Value addr = load ? load.getAddr() : store.getAddr();
    Type type = load ? load.getResult().getType() : store.getValue().getType();
    std::optional<uint64_t> declared =
        load ? load.getAlignment() : store.getAlignment();
    uint64_t align = declared && *declared ? *declared
                                           : layout.getTypeABIAlignment(type);
    if (align <= 1)
      continue;
    // The test below is the check; the host access itself claims nothing
    // (an x86 aligned vector move would fault on what only the emulator's
    // less aligned buffer starts misalign).
    if (load)
      load.setAlignment(1);
    else
      store.setAlignment(1);
    uint64_t bytes = layout.getTypeSize(type).getFixedValue();
    Location loc = op->getLoc();
    Block *before = op->getBlock();
    Block *rest = before->splitBlock(op);
    Block *report = b.createBlock(rest);
    b.setInsertionPointToEnd(before);
    Value bits = LLVM::PtrToIntOp::create(b, loc, i64, addr);
    Value mask = LLVM::ConstantOp::create(b, loc, i64,
                                          b.getI64IntegerAttr(align - 1));
    Value low = LLVM::AndOp::create(b, loc, bits, mask);
    Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
    Value aligned =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, low, zero);
    LLVM::CondBrOp::create(b, loc, aligned, rest, report);
    b.setInsertionPointToEnd(report);
    auto callee = runtimeFunc(module, "qsl_emu_misaligned",
                              LLVM::LLVMVoidType::get(&getContext()),
                              {ptr, i64, i64, i32});
    LLVM::CallOp::create(
        b, loc, callee,
        ValueRange{addr,
                   LLVM::ConstantOp::create(b, loc, i64,
                                            b.getI64IntegerAttr(align)),
                   LLVM::ConstantOp::create(b, loc, i64,
                                            b.getI64IntegerAttr(bytes)),
                   i32Const(b, loc, store ? 1 : 0)});
    LLVM::BrOp::create(b, loc, rest);
  }
}

/// Before every load that read shared memory (marked kSharedLoad by
/// moveKernels), a call qsl_emu_shared_read(address, bytes).
void QslGpuEmulatePass::checkSharedReads(LLVM::LLVMFuncOp func) {
  ModuleOp module = getOperation();
  OpBuilder b(&getContext());
  Type i64 = b.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(&getContext());
  DataLayout layout(module);
  SmallVector<LLVM::LoadOp> loads;
  func.walk([&](LLVM::LoadOp load) {
    if (load->hasAttr(kSharedLoad))
      loads.push_back(load);
  });
  for (LLVM::LoadOp load : loads) {
    load->removeAttr(kSharedLoad);
    b.setInsertionPoint(load);
    uint64_t bytes =
        layout.getTypeSize(load.getResult().getType()).getFixedValue();
    auto callee = runtimeFunc(module, "qsl_emu_shared_read",
                              LLVM::LLVMVoidType::get(&getContext()),
                              {ptr, i64});
    LLVM::CallOp::create(
        b, load.getLoc(), callee,
        ValueRange{load.getAddr(),
                   LLVM::ConstantOp::create(b, load.getLoc(), i64,
                                            b.getI64IntegerAttr(bytes))});
  }
}

LogicalResult QslGpuEmulatePass::rewriteDeviceOps(LLVM::LLVMFuncOp func) {
  ModuleOp module = getOperation();
  OpBuilder b(&getContext());
  Type i32 = b.getI32Type(), i64 = b.getI64Type(), f32 = b.getF32Type();
  Type ptr = LLVM::LLVMPointerType::get(&getContext());
  Type voidType = LLVM::LLVMVoidType::get(&getContext());

  SmallVector<Operation *> device;
  func.walk([&](Operation *op) {
    if (isa<NVVM::NVVMDialect>(op->getDialect()) ||
        isa<LLVM::InlineAsmOp>(op) || op->hasAttr(kSharedAddress))
      device.push_back(op);
  });

  for (Operation *op : device) {
    Location loc = op->getLoc();
    b.setInsertionPoint(op);
    // Special registers.
    std::optional<int> sreg =
        llvm::TypeSwitch<Operation *, std::optional<int>>(op)
            .Case([](NVVM::ThreadIdXOp) { return 0; })
            .Case([](NVVM::ThreadIdYOp) { return 1; })
            .Case([](NVVM::ThreadIdZOp) { return 2; })
            .Case([](NVVM::BlockDimXOp) { return 3; })
            .Case([](NVVM::BlockDimYOp) { return 4; })
            .Case([](NVVM::BlockDimZOp) { return 5; })
            .Case([](NVVM::BlockIdXOp) { return 6; })
            .Case([](NVVM::BlockIdYOp) { return 7; })
            .Case([](NVVM::BlockIdZOp) { return 8; })
            .Case([](NVVM::GridDimXOp) { return 9; })
            .Case([](NVVM::GridDimYOp) { return 10; })
            .Case([](NVVM::GridDimZOp) { return 11; })
            .Case([](NVVM::LaneIdOp) { return 12; })
            .Case([](NVVM::WarpSizeOp) { return 13; })
            .Default([](Operation *) { return std::nullopt; });
    if (sreg) {
      if (!op->getResult(0).getType().isInteger(32))
        return op->emitError("qsl-gpu-emulate: special register of type ")
               << op->getResult(0).getType();
      auto callee = runtimeFunc(module, "qsl_emu_sreg", i32, {i32});
      Value v = LLVM::CallOp::create(b, loc, callee,
                                     ValueRange{i32Const(b, loc, *sreg)})
                    .getResult();
      op->getResult(0).replaceAllUsesWith(v);
      op->erase();
      continue;
    }
    if (auto shfl = dyn_cast<NVVM::ShflOp>(op)) {
      Type valueType = shfl.getVal().getType();
      if (!valueType.isInteger(32) && !valueType.isF32())
        return op->emitError("qsl-gpu-emulate: shfl.sync of ") << valueType;
      // The emulator numbers the modes as NVVM::ShflKind does: bfly 0,
      // up 1, down 2, idx 3.
      static_assert(static_cast<int>(NVVM::ShflKind::bfly) == 0 &&
                        static_cast<int>(NVVM::ShflKind::up) == 1 &&
                        static_cast<int>(NVVM::ShflKind::down) == 2 &&
                        static_cast<int>(NVVM::ShflKind::idx) == 3,
                    "qsl_emu_shfl's mode numbers");
      int mode = static_cast<int>(shfl.getKind());
      auto callee = runtimeFunc(module, "qsl_emu_shfl", i64,
                                {i32, i32, i32, i32, i32});
      Value packed =
          LLVM::CallOp::create(
              b, loc, callee,
              ValueRange{i32Const(b, loc, mode), shfl.getThreadMask(),
                         asI32(b, loc, shfl.getVal()), shfl.getOffset(),
                         shfl.getMaskAndClamp()})
              .getResult();
      Value low = LLVM::TruncOp::create(b, loc, i32, packed);
      Value value = valueType.isF32()
                        ? LLVM::BitcastOp::create(b, loc, f32, low).getResult()
                        : low;
      Value result = value;
      if (shfl.getReturnValueAndIsValid()) {
        Value shift = LLVM::ConstantOp::create(b, loc, i64,
                                               b.getI64IntegerAttr(32));
        Value hi = LLVM::LShrOp::create(b, loc, packed, shift);
        Value pred = LLVM::TruncOp::create(b, loc, b.getI1Type(), hi);
        Type structType = shfl.getResult().getType();
        result = LLVM::PoisonOp::create(b, loc, structType);
        result = LLVM::InsertValueOp::create(b, loc, result, value,
                                             ArrayRef<int64_t>{0});
        result = LLVM::InsertValueOp::create(b, loc, result, pred,
                                             ArrayRef<int64_t>{1});
      }
      shfl.getResult().replaceAllUsesWith(result);
      op->erase();
      continue;
    }
    if (auto mma = dyn_cast<NVVM::MmaOp>(op)) {
      NVVM::MMAShapeAttr shape = mma.getShape();
      bool supported =
          shape.getM() == 16 && shape.getN() == 8 && shape.getK() == 16 &&
          mma.getLayoutA() == NVVM::MMALayout::row &&
          mma.getLayoutB() == NVVM::MMALayout::col &&
          mma.getOperandA().size() == 4 && mma.getOperandB().size() == 2 &&
          mma.getOperandC().size() == 4 &&
          llvm::all_of(mma.getOperandC(),
                       [](Value v) { return v.getType().isF32(); }) &&
          llvm::all_of(llvm::concat<Value>(mma.getOperandA(),
                                           mma.getOperandB()),
                       [](Value v) {
                         auto vt = dyn_cast<VectorType>(v.getType());
                         return vt && vt.getNumElements() == 2 &&
                                vt.getElementType().isF16();
                       });
      if (!supported)
        return op->emitError("qsl-gpu-emulate: only mma.sync "
                             "m16n8k16.row.col with f16 operands and f32 "
                             "accumulators is emulated");
      SmallVector<Type> args{ptr, i32, i32, i32, i32, i32, i32,
                             f32, f32, f32, f32};
      auto callee = runtimeFunc(module, "qsl_emu_mma_m16n8k16_f16_f32",
                                voidType, args);
      SmallVector<Value> operands;
      for (Value v : llvm::concat<Value>(mma.getOperandA(), mma.getOperandB()))
        operands.push_back(asI32(b, loc, v));
      for (Value v : mma.getOperandC())
        operands.push_back(v);
      replaceWithMmaCall(b, op, callee, func, operands);
      continue;
    }
    if (auto cast = dyn_cast<LLVM::PtrToIntOp>(op)) {
      // A shared address as the GPU numbers it (what a wgmma descriptor
      // holds), not the host address of the emulator's buffer.
      auto callee = runtimeFunc(module, "qsl_emu_shared_address", i64, {ptr});
      Value v = LLVM::CallOp::create(b, loc, callee, ValueRange{cast.getArg()})
                    .getResult();
      if (cast.getType() != i64)
        v = LLVM::TruncOp::create(b, loc, cast.getType(), v);
      cast.getResult().replaceAllUsesWith(v);
      op->erase();
      continue;
    }
    if (auto asmOp = dyn_cast<LLVM::InlineAsmOp>(op);
        asmOp && asmOp.getAsmString().contains("wgmma.mma_async")) {
      // The text must be WgmmaAsm.h's for its N, operand for operand.
      StringRef text = asmOp.getAsmString();
      const bool sparse = text.contains("wgmma.mma_async.sp.");
      const unsigned fixed = sparse ? 7 : 6; // A, descriptor, [meta,] scale
      int64_t n = 0;
      size_t at = text.find(".m64n");
      if (at != StringRef::npos)
        text.substr(at + 5).take_while(llvm::isDigit).getAsInteger(10, n);
      auto resultType =
          asmOp.getNumResults() == 1
              ? dyn_cast<LLVM::LLVMStructType>(asmOp.getResult(0).getType())
              : nullptr;
      bool supported =
          n >= 8 && n <= 256 && n % 8 == 0 &&
          text == qsl::wgmmaAsmText(n, sparse) &&
          asmOp.getConstraints() == qsl::wgmmaAsmConstraints(n, sparse) &&
          asmOp.getOperands().size() == static_cast<size_t>(fixed + n / 2) &&
          resultType && resultType.getBody().size() == size_t(n / 2) &&
          llvm::all_of(resultType.getBody(),
                       [](Type t) { return t.isF32(); });
      if (!supported)
        return op->emitError("qsl-gpu-emulate: inline asm the emulator does "
                             "not model: ")
               << text;
      // Accumulators in and out through one slot.
      Value slot = resultSlot(b, func, loc, f32, n / 2);
      b.setInsertionPoint(op);
      ValueRange in = asmOp.getOperands();
      for (int64_t i = 0; i < n / 2; ++i) {
        Value p = LLVM::GEPOp::create(b, loc, ptr, f32, slot,
                                      ArrayRef<LLVM::GEPArg>{int32_t(i)});
        LLVM::StoreOp::create(b, loc, in[fixed + i], p);
      }
      // Dense: (acc, n, a0..a3, desc, scale); sparse also the metadata
      // before the scale.
      SmallVector<Type> types{ptr, i32, i32, i32, i32, i32, i64, i32};
      if (sparse)
        types.push_back(i32);
      auto callee = runtimeFunc(module,
                                sparse ? "qsl_emu_wgmma_sp_m64nNk32_f16_f32"
                                       : "qsl_emu_wgmma_m64nNk16_f16_f32",
                                voidType, types);
      SmallVector<Value> args{slot, i32Const(b, loc, n)};
      for (unsigned i = 0; i < 4; ++i)
        args.push_back(asI32(b, loc, in[i]));
      args.push_back(in[4]);
      for (unsigned i = 5; i < fixed; ++i)
        args.push_back(asI32(b, loc, in[i]));
      LLVM::CallOp::create(b, loc, callee, args);
      Value result = LLVM::PoisonOp::create(b, loc, resultType);
      for (int64_t i = 0; i < n / 2; ++i) {
        Value p = LLVM::GEPOp::create(b, loc, ptr, f32, slot,
                                      ArrayRef<LLVM::GEPArg>{int32_t(i)});
        Value v = LLVM::LoadOp::create(b, loc, f32, p);
        result = LLVM::InsertValueOp::create(b, loc, result, v,
                                             ArrayRef<int64_t>{i});
      }
      asmOp.getResult(0).replaceAllUsesWith(result);
      op->erase();
      continue;
    }
    if (isa<NVVM::WgmmaFenceAlignedOp>(op)) {
      // Orders register writes before a wgmma: SSA values already are.
      op->erase();
      continue;
    }
    if (isa<NVVM::WgmmaGroupSyncAlignedOp>(op)) {
      auto callee = runtimeFunc(module, "qsl_emu_wgmma_commit", voidType, {});
      LLVM::CallOp::create(b, loc, callee, ValueRange{});
      op->erase();
      continue;
    }
    if (auto wait = dyn_cast<NVVM::WgmmaWaitGroupSyncOp>(op)) {
      auto callee =
          runtimeFunc(module, "qsl_emu_wgmma_wait", voidType, {i32});
      LLVM::CallOp::create(
          b, loc, callee,
          ValueRange{i32Const(b, loc, static_cast<int64_t>(wait.getGroup()))});
      op->erase();
      continue;
    }
    if (auto fence = dyn_cast<NVVM::FenceProxyOp>(op)) {
      if (fence.getKind() != NVVM::ProxyKind::async_shared)
        return op->emitError("qsl-gpu-emulate: only fence.proxy.async."
                             "shared::cta is emulated");
      auto callee =
          runtimeFunc(module, "qsl_emu_fence_proxy_async", voidType, {});
      LLVM::CallOp::create(b, loc, callee, ValueRange{});
      op->erase();
      continue;
    }
    if (auto asmOp = dyn_cast<LLVM::InlineAsmOp>(op)) {
      StringRef text = asmOp.getAsmString();
      // ..., $16,0x<selector>;
      size_t sel = text.rfind(",0x");
      unsigned selector = 0;
      bool supported = text.starts_with(kMmaSpAsm) &&
                       asmOp.getOperands().size() == 13 &&
                       asmOp.getNumResults() == 1 && sel != StringRef::npos &&
                       !text.substr(sel + 3).rtrim(';').getAsInteger(16,
                                                                   selector);
      if (!supported)
        return op->emitError("qsl-gpu-emulate: inline asm the emulator does "
                             "not model: ")
               << text;
      SmallVector<Type> args{ptr, i32, i32, i32, i32, i32, i32, i32,
                             i32, i32, f32, f32, f32, f32, i32};
      auto callee = runtimeFunc(module, "qsl_emu_mma_sp_m16n8k32_f16_f32",
                                voidType, args);
      SmallVector<Value> operands{i32Const(b, loc, selector)};
      ValueRange in = asmOp.getOperands();
      for (unsigned i = 0; i < 8; ++i) // A (4) and B (4) f16x2 registers
        operands.push_back(asI32(b, loc, in[i]));
      for (unsigned i = 8; i < 12; ++i) // C
        operands.push_back(in[i]);
      operands.push_back(asI32(b, loc, in[12])); // metadata
      replaceWithMmaCall(b, op, callee, func, operands);
      continue;
    }
    if (auto ldm = dyn_cast<NVVM::LdMatrixOp>(op)) {
      int64_t num = ldm.getNum();
      Type expected =
          num == 1 ? i32
                   : Type(LLVM::LLVMStructType::getLiteral(
                         &getContext(), SmallVector<Type>(num, i32)));
      if (ldm.getShape().getM() != 8 || ldm.getShape().getN() != 8 ||
          ldm.getEltType() != NVVM::LdStMatrixEltType::B16 ||
          (num != 1 && num != 2 && num != 4) ||
          ldm.getResult().getType() != expected)
        return op->emitError("qsl-gpu-emulate: only ldmatrix m8n8 b16 "
                             "(x1, x2, x4) is emulated");
      auto callee = runtimeFunc(module, "qsl_emu_ldmatrix", voidType,
                                {ptr, ptr, i32, i32});
      bool trans = ldm.getLayout() == NVVM::MMALayout::col;
      replaceWithSlotCall(b, op, callee, func,
                          {ldm.getPtr(), i32Const(b, loc, num),
                           i32Const(b, loc, trans ? 1 : 0)},
                          i32, num);
      continue;
    }
    if (auto copy = dyn_cast<NVVM::CpAsyncOp>(op)) {
      auto callee = runtimeFunc(module, "qsl_emu_cp_async", voidType,
                                {ptr, ptr, i32, i32});
      Value bytes = i32Const(b, loc, copy.getSize());
      Value srcBytes = copy.getCpSize() ? copy.getCpSize() : bytes;
      LLVM::CallOp::create(
          b, loc, callee,
          ValueRange{copy.getDst(), copy.getSrc(), bytes, srcBytes});
      op->erase();
      continue;
    }
    if (isa<NVVM::CpAsyncCommitGroupOp>(op)) {
      auto callee =
          runtimeFunc(module, "qsl_emu_cp_async_commit", voidType, {});
      LLVM::CallOp::create(b, loc, callee, ValueRange{});
      op->erase();
      continue;
    }
    if (auto wait = dyn_cast<NVVM::CpAsyncWaitGroupOp>(op)) {
      auto callee =
          runtimeFunc(module, "qsl_emu_cp_async_wait", voidType, {i32});
      LLVM::CallOp::create(b, loc, callee,
                           ValueRange{i32Const(b, loc, wait.getN())});
      op->erase();
      continue;
    }
    if (isa<NVVM::Barrier0Op>(op) ||
        (isa<NVVM::BarrierOp>(op) && op->getNumOperands() == 0)) {
      auto callee = runtimeFunc(module, "qsl_emu_barrier", voidType, {});
      LLVM::CallOp::create(b, loc, callee, ValueRange{});
      op->erase();
      continue;
    }
    return op->emitError("qsl-gpu-emulate: the emulator does not model ")
           << op->getName();
  }
  return success();
}

/// `void <kernel>_packed(void **params)`: loads argument i from the pointer
/// params[i] (CUDA's kernel-parameter convention) and calls the kernel.
LLVM::LLVMFuncOp QslGpuEmulatePass::packedEntry(LLVM::LLVMFuncOp kernel) {
  ModuleOp module = getOperation();
  std::string name = (kernel.getSymName() + "_packed").str();
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  MLIRContext *ctx = &getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  OpBuilder b(ctx);
  b.setInsertionPointAfter(kernel);
  Location loc = kernel.getLoc();
  auto entry = LLVM::LLVMFuncOp::create(
      b, loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}),
      LLVM::Linkage::Internal);
  Block *body = entry.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  SmallVector<Value> args;
  for (auto [i, type] :
       llvm::enumerate(kernel.getFunctionType().getParams())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    Value argPtr = LLVM::LoadOp::create(b, loc, ptr, slot);
    args.push_back(LLVM::LoadOp::create(b, loc, type, argPtr));
  }
  LLVM::CallOp::create(b, loc, kernel, args);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return entry;
}

LogicalResult QslGpuEmulatePass::rewriteLaunch(gpu::LaunchFuncOp launch) {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  std::string key = (launch.getKernelModuleName().getValue() + "::" +
                     launch.getKernelName().getValue())
                        .str();
  auto it = kernels.find(key);
  if (it == kernels.end())
    return launch.emitError("qsl-gpu-emulate: no kernel ") << key;
  LLVM::LLVMFuncOp kernel = it->second;
  if (launch.hasClusterSize())
    return launch.emitError("qsl-gpu-emulate: clusters are not emulated");
  for (Value v : launch.getKernelOperands())
    if (!LLVM::isCompatibleType(v.getType()))
      return launch.emitError("qsl-gpu-emulate: run gpu-to-llvm first "
                              "(kernel operand of type ")
             << v.getType() << ")";
  if (launch.getKernelOperands().size() !=
      kernel.getFunctionType().getNumParams())
    return launch.emitError("qsl-gpu-emulate: ")
           << launch.getKernelOperands().size() << " operands for kernel "
           << key << " of " << kernel.getFunctionType().getNumParams()
           << " parameters";
  auto hostFunc = launch->getParentOfType<LLVM::LLVMFuncOp>();
  if (!hostFunc)
    return launch.emitError("qsl-gpu-emulate: launch outside an llvm.func");

  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64), i32 = IntegerType::get(ctx, 32);
  Location loc = launch.getLoc();
  OpBuilder b(ctx);

  // Argument slots and the params array, at the host function's entry.
  b.setInsertionPointToStart(&hostFunc.getBody().front());
  Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  int64_t count = launch.getKernelOperands().size();
  Value params = LLVM::AllocaOp::create(
      b, loc, ptr, ptr,
      LLVM::ConstantOp::create(b, loc, i64,
                               b.getI64IntegerAttr(std::max<int64_t>(count, 1))));
  SmallVector<Value> slots;
  for (Value v : launch.getKernelOperands())
    slots.push_back(LLVM::AllocaOp::create(b, loc, ptr, v.getType(), one));

  b.setInsertionPoint(launch);
  for (auto [i, v] : llvm::enumerate(launch.getKernelOperands())) {
    LLVM::StoreOp::create(b, loc, v, slots[i]);
    Value p = LLVM::GEPOp::create(b, loc, ptr, ptr, params,
                                  ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, slots[i], p);
  }
  auto toI64 = [&](Value v) -> Value {
    if (v.getType() == i64)
      return v;
    return LLVM::ZExtOp::create(b, loc, i64, v);
  };
  // The kernel's name, for the emulator's messages.
  std::string nameSym = (kernel.getSymName() + "_name").str();
  auto nameGlobal = module.lookupSymbol<LLVM::GlobalOp>(nameSym);
  if (!nameGlobal) {
    OpBuilder gb(ctx);
    gb.setInsertionPointToStart(module.getBody());
    std::string text = key + '\0';
    nameGlobal = LLVM::GlobalOp::create(
        gb, loc, LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8),
                                          text.size()),
        /*isConstant=*/true, LLVM::Linkage::Internal, nameSym,
        gb.getStringAttr(text));
  }
  Value nameAddr = LLVM::AddressOfOp::create(b, loc, nameGlobal);
  Value entryAddr = LLVM::AddressOfOp::create(b, loc, packedEntry(kernel));

  // The shared-memory globals the kernel uses, as (address, bytes) arrays:
  // the emulator fills them with 0xFF before every block, as a GPU gives a
  // block shared memory whose contents are undefined.
  llvm::SetVector<StringRef> shared;
  kernel.walk([&](LLVM::AddressOfOp a) {
    if (sharedGlobals.count(a.getGlobalName()))
      shared.insert(a.getGlobalName());
  });
  Value sharedPtrs = LLVM::ZeroOp::create(b, loc, ptr);
  Value sharedSizes = sharedPtrs;
  if (!shared.empty()) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&hostFunc.getBody().front());
    Value n = LLVM::ConstantOp::create(b, loc, i64,
                                       b.getI64IntegerAttr(shared.size()));
    sharedPtrs = LLVM::AllocaOp::create(b, loc, ptr, ptr, n);
    sharedSizes = LLVM::AllocaOp::create(b, loc, ptr, i64, n);
  }
  for (auto [i, name] : llvm::enumerate(shared)) {
    auto global = module.lookupSymbol<LLVM::GlobalOp>(name);
    Value addr = LLVM::AddressOfOp::create(b, loc, global);
    Value at = LLVM::GEPOp::create(b, loc, ptr, ptr, sharedPtrs,
                                   ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, addr, at);
    Value size = LLVM::ConstantOp::create(
        b, loc, i64, b.getI64IntegerAttr(sharedGlobals.lookup(name)));
    Value sizeAt = LLVM::GEPOp::create(
        b, loc, ptr, i64, sharedSizes,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, size, sizeAt);
  }
  Value sharedCount = LLVM::ConstantOp::create(
      b, loc, i32, b.getI32IntegerAttr(static_cast<int32_t>(shared.size())));
  Value smem = launch.getDynamicSharedMemorySize()
                   ? launch.getDynamicSharedMemorySize()
                   : LLVM::ConstantOp::create(b, loc, i32,
                                              b.getI32IntegerAttr(0))
                         .getResult();
  Value stream = launch.getAsyncObject()
                     ? launch.getAsyncObject()
                     : LLVM::ZeroOp::create(b, loc, ptr).getResult();
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 blockDims = launch.getBlockSizeOperandValues();
  auto callee = runtimeFunc(module, "qsl_emu_launch",
                            LLVM::LLVMVoidType::get(ctx),
                            {ptr, ptr, ptr, i64, i64, i64, i64, i64, i64, i32,
                             ptr, ptr, ptr, i32});
  LLVM::CallOp::create(
      b, loc, callee,
      ValueRange{entryAddr, params, nameAddr, toI64(grid.x), toI64(grid.y),
                 toI64(grid.z), toI64(blockDims.x), toI64(blockDims.y),
                 toI64(blockDims.z), smem, stream, sharedPtrs, sharedSizes,
                 sharedCount});
  if (launch.getAsyncToken()) {
    if (!launch.getAsyncToken().use_empty())
      return launch.emitError("qsl-gpu-emulate: launches with async tokens "
                              "must be lowered by gpu-to-llvm first");
  }
  launch.erase();
  return success();
}

void QslGpuEmulatePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto binaries = module.getOps<gpu::BinaryOp>();
  if (!binaries.empty()) {
    (*binaries.begin()).emitError("qsl-gpu-emulate: this kernel module is already a GPU "
                     "binary; build it with qsl-gpu-pipeline{format=emulator}");
    return signalPassFailure();
  }
  for (gpu::GPUModuleOp m :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
    if (failed(moveKernels(m)))
      return signalPassFailure();
  }
  SmallVector<gpu::LaunchFuncOp> launches;
  module.walk([&](gpu::LaunchFuncOp l) { launches.push_back(l); });
  for (gpu::LaunchFuncOp l : launches)
    if (failed(rewriteLaunch(l)))
      return signalPassFailure();
  for (gpu::GPUModuleOp m :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
    m.erase();
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());

  // The host ABI calls (mgpuMemAlloc, mgpuMemcpy, streams) go to the
  // emulator's qsl_emu_mgpu* versions: a process that also loaded
  // libqsl_cuda_runtime (whose mgpu* a JIT would find first) still runs
  // this module on the emulator.
  for (auto func : llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>())) {
    if (!func.isExternal() || !func.getSymName().starts_with("mgpu"))
      continue;
    auto renamed =
        StringAttr::get(&getContext(), "qsl_emu_" + func.getSymName().str());
    if (failed(SymbolTable::replaceAllSymbolUses(func, renamed, module))) {
      func.emitError("qsl-gpu-emulate: cannot rename ") << func.getSymName();
      return signalPassFailure();
    }
    SymbolTable::setSymbolName(func, renamed);
  }
}

} // namespace
