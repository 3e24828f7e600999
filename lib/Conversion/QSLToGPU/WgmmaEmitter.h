//===- WgmmaEmitter.h - What the wgmma kernels share ------------*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU: the pieces of the dense wgmma GEMM
// (WgmmaKernel.cpp) and the 2:4 one (PackedSparseKernel.cpp) that are the
// same: accumulators that start undefined (the first wgmma has scale-d 0),
// the commit groups and waits that let k-steps stay in flight while the
// next is decoded (see WgmmaKernel.cpp), and the inline-asm call with its
// accumulators unpacked into vector<2x2xf32> values.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_WGMMAEMITTER_H
#define QSL_LIB_CONVERSION_QSLTOGPU_WGMMAEMITTER_H

#include "KernelText.h"

#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

class WgmmaEmitter {
public:
  /// wgmma m64n<rows> (sparse: the 2:4 k32 form); `overlap`: one commit
  /// group per k-step, `inFlight` of them left in flight by wait() (the
  /// ring lags a chunk), else groups waited for whole by groupEnd().
  WgmmaEmitter(TextEmitter &e, int64_t rows, int64_t inFlight, bool sparse,
               bool overlap)
      : e(e), rows(rows), inFlight(inFlight), sparse(sparse),
        overlap(overlap) {}

  /// Before the chunk loop: the undefined accumulator and the constant 1;
  /// returns the loop's initial accumulator value.
  std::string beforeLoop();
  /// With overlap: waits until `inFlight` groups are left (before decoding
  /// a k-step, and before the ring's barrier).
  void wait();
  /// After the barrier: the scale-d of the chunk's first k-step.
  void chunkScale();
  /// The wgmma of k-step `step`: A registers `a` (4 x i32), descriptor
  /// `desc`, `meta` (sparse), over accumulators acc[first ..
  /// first + rows / 8), which it replaces.
  void call(int64_t step, const std::string (&a)[4], const std::string &desc,
            const std::string &meta, std::vector<std::string> &acc,
            int64_t first);
  /// After the k-step's wgmma (with overlap: its commit group).
  void stepEnd();
  /// Without overlap: commits and waits for everything (where the ring is
  /// about to refill the slot just read).
  void groupEnd();
  /// At the end of the chunk body (before the yield): with overlap, the
  /// last chunk waits for every group.
  void loopEnd();

private:
  TextEmitter &e;
  int64_t rows, inFlight;
  bool sparse, overlap;
};

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_WGMMAEMITTER_H
