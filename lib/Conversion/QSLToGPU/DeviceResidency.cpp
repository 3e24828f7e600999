//===- DeviceResidency.cpp - GPU results that feed GPU ops stay there -----===//
//
// Each kernel's host code copies its activations in and its result out
// (HostSide.cpp). When one kernel's result is the input (or the fused
// residual) of a later kernel, that round trip is a device-to-host copy
// followed by a host-to-device copy of the same bytes:
//
//   gpu.memcpy %host, %yDev            ; A's result out
//   gpu.dealloc %yDev
//   %t = to_tensor (expand_shape %host)
//   ...
//   %xDev = gpu.alloc
//   gpu.memcpy %xDev, (collapse_shape (to_buffer %t))   ; B's input in
//   ... B reads %xDev ...
//   gpu.dealloc %xDev
//
// keepResultsOnDevice hands %yDev itself (as a view of %xDev's shape) to B,
// moves its dealloc to where %xDev's was, and drops the copy in; the copy
// out goes too when nothing else reads %t.
//
//===----------------------------------------------------------------------===//
#include "HostSide.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {

/// The device buffer whose copy out fills the host buffer behind `src` (a
/// host-to-device copy's source), with the ops of that chain; null when
/// `src` is not such a chain in `block`.
struct RoundTrip {
  gpu::MemcpyOp copyOut;       // gpu.memcpy %host, %yDev
  gpu::DeallocOp deviceFree;   // gpu.dealloc %yDev
  bufferization::ToTensorOp tensor;
  SmallVector<Operation *> hostViews; // expand_shape of %host, then
                                      // to_buffer / collapse_shape of %t
};

std::optional<RoundTrip> traceBack(Value src) {
  RoundTrip r;
  // collapse_shape (optional) of to_buffer of %t.
  Value v = src;
  if (auto collapse = v.getDefiningOp<memref::CollapseShapeOp>()) {
    r.hostViews.push_back(collapse);
    v = collapse.getSrc();
  }
  auto toBuffer = v.getDefiningOp<bufferization::ToBufferOp>();
  if (!toBuffer)
    return std::nullopt;
  r.hostViews.push_back(toBuffer);
  r.tensor = toBuffer.getTensor().getDefiningOp<bufferization::ToTensorOp>();
  if (!r.tensor)
    return std::nullopt;
  Value host = r.tensor.getBuffer();
  if (auto expand = host.getDefiningOp<memref::ExpandShapeOp>()) {
    r.hostViews.push_back(expand);
    host = expand.getSrc();
  }
  if (!host.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  for (Operation *user : host.getUsers())
    if (auto copy = dyn_cast<gpu::MemcpyOp>(user))
      if (copy.getDst() == host)
        r.copyOut = copy;
  if (!r.copyOut)
    return std::nullopt;
  Value dev = r.copyOut.getSrc();
  if (!dev.getDefiningOp<gpu::AllocOp>())
    return std::nullopt;
  for (Operation *user : dev.getUsers())
    if (auto free = dyn_cast<gpu::DeallocOp>(user))
      r.deviceFree = free;
  if (!r.deviceFree || r.deviceFree->getBlock() != r.copyOut->getBlock())
    return std::nullopt;
  return r;
}

/// `dev` seen with `type`'s shape: itself, or an expand_shape of a
/// convolution's [images, O, OH*OW] into NCHW; null when neither fits.
Value viewAs(OpBuilder &b, Location loc, Value dev, MemRefType type) {
  auto devType = cast<MemRefType>(dev.getType());
  if (devType == type)
    return dev;
  if (devType.getElementType() != type.getElementType() ||
      devType.getRank() != 3 || type.getRank() != 4 ||
      devType.getDimSize(0) != type.getDimSize(0) ||
      devType.getDimSize(1) != type.getDimSize(1) ||
      devType.getDimSize(2) != type.getDimSize(2) * type.getDimSize(3))
    return {};
  SmallVector<ReassociationIndices> expand = {{0}, {1}, {2, 3}};
  return memref::ExpandShapeOp::create(b, loc, type, dev, expand);
}

} // namespace

unsigned keepResultsOnDevice(func::FuncOp func) {
  SmallVector<gpu::MemcpyOp> copiesIn;
  func.walk([&](gpu::MemcpyOp copy) {
    if (copy.getDst().getDefiningOp<gpu::AllocOp>())
      copiesIn.push_back(copy);
  });
  unsigned kept = 0;
  for (gpu::MemcpyOp copyIn : copiesIn) {
    Value xDev = copyIn.getDst();
    std::optional<RoundTrip> r = traceBack(copyIn.getSrc());
    if (!r || r->copyOut->getBlock() != copyIn->getBlock() ||
        !r->copyOut->isBeforeInBlock(copyIn))
      continue;
    // %xDev: allocated, filled by this copy, read by launches, freed once.
    gpu::DeallocOp xFree;
    bool plain = true;
    for (Operation *user : xDev.getUsers()) {
      if (auto free = dyn_cast<gpu::DeallocOp>(user))
        xFree = free;
      else if (user != copyIn && !isa<gpu::LaunchFuncOp>(user))
        plain = false;
    }
    if (!plain || !xFree || xFree->getBlock() != copyIn->getBlock())
      continue;
    Value yDev = r->copyOut.getSrc();
    OpBuilder b(copyIn);
    Value view = viewAs(b, copyIn.getLoc(), yDev,
                        cast<MemRefType>(xDev.getType()));
    if (!view)
      continue;
    // The launches read A's result where it is; it is freed where B's copy
    // was.
    Operation *xAlloc = xDev.getDefiningOp();
    xDev.replaceUsesWithIf(view, [&](OpOperand &use) {
      return isa<gpu::LaunchFuncOp>(use.getOwner());
    });
    r->deviceFree->moveBefore(xFree);
    xFree.erase();
    copyIn.erase();
    xAlloc->erase();
    for (Operation *op : r->hostViews)
      if (op->use_empty())
        op->erase();
    // Nothing else reads A's result on the host: no copy out either.
    if (r->tensor->use_empty()) {
      Value host = r->tensor.getBuffer();
      r->tensor->erase();
      if (auto expand = host.getDefiningOp<memref::ExpandShapeOp>()) {
        host = expand.getSrc();
        if (expand->use_empty())
          expand->erase();
      }
      if (llvm::hasSingleElement(host.getUsers())) {
        r->copyOut->erase();
        host.getDefiningOp()->erase();
      }
    }
    ++kept;
  }
  return kept;
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
