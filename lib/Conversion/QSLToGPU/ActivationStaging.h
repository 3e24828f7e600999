//===- ActivationStaging.h - Activation tiles in shared memory --*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. A tensor-core kernel whose warps share
// the activation rows of their block (the packed GEMMs' column warps) can
// stage those rows in shared memory instead of having every warp gather its
// fragments from global memory:
//
//   * the block copies the [rows, chunkK] tile of each K chunk with
//     cp.async (16 bytes per copy, through L2 only: `cp.async.cg`), a
//     multistage ring of `stages` tiles, `stages - 1` chunks ahead of the one
//     the warps multiply;
//   * f16: each warp then reads a fragment with one ldmatrix.x4, whose four
//     registers are exactly the operand the mma takes: mma.sync's 16 x 16 A
//     (lane l gives the address of row l % 16 at column 8 (l / 16): rows
//     0-7 and 8-15 at columns 0-7, then at 8-15), or mma.sp m16n8k32's
//     32 x 8 B, whose column j is activation row j (lane l gives row l % 8
//     at column 8 (l / 8): register r holds K 8r + 2 (l % 4) + {0, 1} of
//     row l / 4);
//   * f32 (ldmatrix moves 16-bit elements): each register is read back as
//     f32 and rounded to an f16 pair, as the unstaged kernels do;
//   * a 1x1 convolution's image (rows are pixels, K is channels) is stored
//     K-major, [chunkK channels][rows pixels], as its granules hold pixels
//     of one channel; f16 fragments then come from ldmatrix.x4.trans;
//   * any other convolution with f32 activations: the implicit im2col tile
//     is gathered one 4-byte element per cp.async (zero-filled in the
//     padding), row-major, and read back as f32 pairs.
//
// Shared layout [stages, granules, 16 bytes]: granule g of line r (a row,
// or K-major a channel; G granules per line) sits at
// r G + (g xor ((r / (8 / G)) mod G)), so the 8 lines an ldmatrix phase reads
// fall in 8 different 16-byte bank groups, and so do the 8 consecutive
// granules a quarter-warp of cp.async writes.
//
// wgmma (sm_90a) reads its B operand from shared memory itself, through a
// matrix descriptor: the tile is then stored as 8-row x 16-byte core
// matrices (StagePlan::coreMatrices), each quarter-warp of cp.async writing
// one whole core matrix (conflict-free); before the barrier every thread
// also fences its copies into the async proxy that wgmma reads through
// (fence.proxy.async.shared::cta). The wgmma of a chunk may still be
// reading its slot while the next chunk is decoded: with StagePlan::lag 1
// the ring then refills the slot of chunk c - 2 at chunk c, copying
// stages - 2 chunks ahead.
//
// Ordering (one barrier per chunk): at chunk c every thread waits for its
// own copies of c (cp.async.wait_group stages - 2), the block meets at a
// barrier (now every copy of c is visible, and every warp is done with chunk
// c - 1), and only then are the copies of chunk c + stages - 1 issued into
// c - 1's slot. Rows past M and K past its end are zero-filled (a source
// size of 0 bytes; the address is clamped into the tensor, to a whole
// granule).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_ACTIVATIONSTAGING_H
#define QSL_LIB_CONVERSION_QSLTOGPU_ACTIVATIONSTAGING_H

#include "KernelText.h"

#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// Writes the staging into a kernel text (see the file comment).
class ActivationStager {
public:
  ActivationStager(TextEmitter &e, const StagePlan &p) : e(e), p(p) {}

  /// The workgroup attribution of the ring, `%as: memref<...>` with its
  /// 16-byte alignment.
  std::string attribution() const;

  /// Which fragments fragment() reads.
  enum class Operand {
    MmaA,   // mma.sync m16n8k16 A: 16 rows per tile, k-steps of 16
    MmaSpB, // mma.sp m16n8k32 B: 8 rows per tile, k-steps of 32
    WgmmaB, // wgmma m64nNk16 B: all rows, k-steps of 16 (core matrices)
  };

  /// Before the chunk loop: this thread's copies (rows from `rowBase`)
  /// and the lane's ldmatrix addresses for `tiles` row tiles of `steps`
  /// k-steps of `operand`; issues chunks 0 .. stages - 2.
  void prologue(const std::string &rowBase, Operand operand, int64_t tiles,
                int64_t steps);

  /// At the top of the body of chunk `ch`: waits for it, meets the block,
  /// issues chunk ch + stages - 1.
  void beginChunk(const std::string &ch);

  /// The fragment of row tile `tile`, k-step `step` of the current chunk.
  std::string fragment(int64_t tile, int64_t step);

  /// WgmmaB: the i64 matrix descriptor of k-step `step` of the current
  /// chunk, whose `kGranules` K core matrices (2 for k16, 4 for the sparse
  /// k32) of every row it reads.
  std::string descriptor(int64_t step, int64_t kGranules = 2);

private:
  void issue(const std::string &chunk, const std::string &slot);
  std::string type() const;

  TextEmitter &e;
  StagePlan p;
  /// One 16-byte copy of this thread: its swizzled granule; the source
  /// row and the granule's K offset in the chunk, or (K-major) the image,
  /// the pixel and the line; whether it copies at all, past the chunk.
  /// (Gathered: the element's offset in its granule, and the corner of
  /// its pixel's receptive field.)
  struct Copy {
    std::string granule, row, kOffset, rowOk, pixel;
    std::string offset, ih0, iw0;
  };
  void granuleCopies(const std::string &rowBase);
  void gatherCopies(const std::string &rowBase);
  void fragmentAddresses(Operand operand, int64_t tiles, int64_t steps);
  std::string gatherCopy(const Copy &c, const std::string &kb,
                         const std::string &slotName);
  std::vector<Copy> copies;
  std::vector<std::vector<std::string>> fragmentGranule; // [tile][step]
  // f32: per register, its granule; the element offset in it.
  std::vector<std::vector<std::vector<std::string>>> regGranule;
  std::string regOffset;
  std::string firstGroup, lastGroup, slot;
  std::string source = "%x", sourceType = "@@XT@@";
  std::string elems; // the granule's element count, an index constant
};

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_ACTIVATIONSTAGING_H
