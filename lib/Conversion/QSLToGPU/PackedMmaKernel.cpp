//===- PackedMmaKernel.cpp - Tensor-core GEMM on fragment-ordered codes ---===//
//
// The quantized GEMM above max-batch (and the convolutions' implicit GEMM)
// when the weight's codes can be laid out for it (packedGemmUnsupported):
//   * the code words come in the fragment order of Compress/GpuLayout.h, so
//     each lane's B fragments of a chunk (S k-steps of 16, four n-tiles)
//     are one 16-byte load, coalesced over the warp (512 bytes); the next
//     chunk's load is issued before the current one is decoded;
//   * a code pair becomes an f16 pair with integer operations only:
//     (word >> slot*b) & (m | m << 16) | 0x64006400 is (1024 + q0, 1024 + q1);
//     subtracting the splat 1024 + z and multiplying by the splat scale are
//     two f16x2 instructions (q - z is exact in f16; the product is rounded
//     once, from the f16-rounded scale);
//   * each B fragment feeds every m-tile of the block (up to 4, 64 rows),
//     each activation fragment register is one 32-bit load of a pair;
//   * a block's warps split the chunks of K between them, which keeps
//     several warps per 32 output columns reading at mid batch sizes, and
//     add their partial tiles in workgroup memory before warp 0 stores
//     (with the epilogue and correction terms applied to those stores).
// Fragment layouts are those of MmaKernel.cpp (PTX ISA mma.m16n8k16). The
// helpers both packed kernels share are declared in PackedEmitter.h; the
// 2:4 kernel is PackedSparseKernel.cpp.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "PackedEmitter.h"

#include "qsl/Compress/GpuLayout.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// What both packed kernels need of quantized codes: scale (and zero point)
/// decoding of at most 8 bits, scale groups of whole `step`s (`stepName`).
std::string packedCodesUnsupported(const KernelShape &s, int64_t step,
                                   const char *stepName) {
  if (s.codebook)
    return "codebook codes";
  if (s.bits < 1 || s.bits > 8)
    return std::to_string(s.bits) + "-bit codes";
  if (s.groupLen % step != 0)
    return "scale groups of " + std::to_string(s.groupLen) + " (not whole " +
           stepName + ")";
  return "";
}

std::string packedGemmUnsupported(const KernelShape &s) {
  if (s.halfValues)
    return "f16 values";
  return packedCodesUnsupported(s, 16, "k-steps of 16");
}

/// Warps per block: at least `s.warps`, more (up to kPackedMaxWarps) while
/// a grid of `blocks` holds fewer than kPackedTargetWarps (at small batch
/// the kernels stream weights, and the bytes in flight are what they have
/// in warps); at most one per chunk and as many as `partialBytes` each fit
/// in 48 KiB of static shared memory (warps 1.. keep their partial tiles
/// there).
int64_t packedWarps(const KernelShape &s, int64_t blocks, int64_t chunks,
                    int64_t partialBytes) {
  int64_t wanted = std::max<int64_t>(
      s.warps, (kPackedTargetWarps + blocks - 1) / blocks);
  int64_t warps =
      std::clamp<int64_t>(wanted, 1, std::min(kPackedMaxWarps, chunks));
  return std::max<int64_t>(1,
                           std::min(warps, 1 + 48 * 1024 / partialBytes));
}

/// Chunks in flight per warp: the `mma-prefetch` option, else more with one
/// m-tile (a GEMV, bound by the bytes in flight) than with several.
int64_t packedPrefetch(const KernelShape &s, int64_t mTiles) {
  if (s.prefetch > 0)
    return s.prefetch;
  return mTiles == 1 ? kPackedPrefetchStream : kPackedPrefetch;
}

PackedGemmPlan packedGemmPlan(const KernelShape &s) {
  ::qsl::compress::MmaFragmentShape f =
      ::qsl::compress::mmaFragmentShape(s.n, s.k, s.bits);
  PackedGemmPlan p;
  p.tiles = f.tiles;
  p.chunks = f.chunks;
  p.steps = f.steps;
  p.mTiles = std::clamp<int64_t>((s.m + 15) / 16, 1, kPackedMaxMTiles);
  int64_t rowBlocks = (s.m + 16 * p.mTiles - 1) / (16 * p.mTiles);
  const int64_t wgWarps = p.tiles >= 8 ? 8 : 4;
  if (rowBlocks > 1 && (p.wgmmaRows = wgmmaRows(s, p.steps, 32 * wgWarps))) {
    // sm_90a: one or two warpgroups, their warps side by side (128 or 256
    // columns), activations staged as core matrices for wgmma
    // (WgmmaKernel.cpp).
    p.colWarps = p.warps = wgWarps;
    p.stage =
        stagePlan(s, p.wgmmaRows, 16 * p.steps, 32 * wgWarps, s.aStages);
    p.stage.coreMatrices = true;
    // With three stages or more and chunks of two k-steps or more, k-steps
    // stay in flight while the next is decoded (WgmmaKernel.cpp).
    p.stage.lag = p.stage.stages >= 3 && p.steps >= 2 ? 1 : 0;
  } else if (rowBlocks > 1) {
    // More rows than one block holds: the weight is read once per row
    // block, so A is what a block should share: its warps take adjacent
    // tiles of the same rows and all of K (A re-read from L1, not L2).
    p.colWarps = p.warps = std::clamp<int64_t>(s.warps, 1, p.tiles);
    p.stage = stagePlan(s, p.rowsPerBlock(), 16 * p.steps, 32 * p.warps,
                        s.aStages);
  } else {
    p.colWarps = 1;
    p.warps = packedWarps(s, p.tiles, p.chunks, p.mTiles * 16 * 32 * 4);
  }
  p.prefetch = packedPrefetch(s, p.mTiles);
  int64_t kPadded = p.chunks * 16 * p.steps;
  p.groupsPad = (kPadded + s.groupLen - 1) / s.groupLen;
  return p;
}

/// "" when every weight (q - z) * s of the [N, G] tables decodes exactly
/// by the packed kernels' f16 arithmetic, else why not.
std::string halfDecodable(const KernelShape &s,
                          const std::vector<float> &scales,
                          const std::vector<float> &zeros) {
  const int64_t offset = s.symmetric ? int64_t(1) << (s.bits - 1) : 0;
  const double top = double((int64_t(1) << s.bits) - 1);
  for (int64_t i = 0; i < s.n * s.groups; ++i) {
    double sc = std::fabs(double(scales[i]));
    if (!std::isfinite(sc) || (sc != 0 && sc < 0x1p-14))
      return "scale " + std::to_string(scales[i]) + " is not a normal f16";
    double z = s.symmetric ? double(offset) : double(zeros[i]);
    if (!s.symmetric && (z != std::floor(z) || std::fabs(z) > 1024))
      return "zero point " + std::to_string(zeros[i]) +
             " is not an integer in [-1024, 1024]";
    // |q - z| * |s| for the stored codes q in [0, 2^bits - 1].
    if (std::max(std::fabs(z), std::fabs(top - z)) * sc > 65504)
      return "weights past the f16 range";
  }
  return "";
}

/// The group tables, [gPad, nPad]: s and 1024 + z in one word each, or the
/// symmetric scales.
void packSplats(const KernelShape &s, const std::vector<float> &scales,
                const std::vector<float> &zeros, int64_t nPad, int64_t gPad,
                PackedGemmTables &out) {
  if (s.symmetric)
    out.scales = ::qsl::compress::transposeGroupTable(scales, s.n, s.groups,
                                                      nPad, gPad);
  else
    out.scaleZero = ::qsl::compress::packScaleZeroWords(
        scales, zeros, s.n, s.groups, nPad, gPad);
}

int64_t codeOffset(const KernelShape &s) {
  return s.symmetric ? int64_t(1) << (s.bits - 1) : 0;
}

/// An i32 holding two f16 as the vector<2xf16> it is.
std::string halfPair(TextEmitter &e, const std::string &word) {
  std::string v1 = e.fresh("p1_"), v = e.fresh("hp");
  e.line() << v1 << " = vector.broadcast " << word
           << " : i32 to vector<1xi32>\n";
  e.line() << v << " = vector.bitcast " << v1
           << " : vector<1xi32> to vector<2xf16>\n";
  return v;
}

std::string pairWord(TextEmitter &e, const std::string &pair) {
  std::string v = e.fresh("pw"), w = e.fresh("pr");
  e.line() << v << " = vector.bitcast " << pair
           << " : vector<2xf16> to vector<1xi32>\n";
  e.line() << w << " = vector.extract " << v
           << "[0] : i32 from vector<1xi32>\n";
  return w;
}

std::string memrefType(std::initializer_list<int64_t> shape,
                       const char *elem, const char *space) {
  std::string t = "memref<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  t += elem;
  if (space)
    t += std::string(", ") + space;
  return t + ">";
}

std::string packPackedGemmTables(const KernelShape &s,
                                 const std::vector<int64_t> &codes,
                                 bool transposed,
                                 const std::vector<float> &scales,
                                 const std::vector<float> &zeros,
                                 PackedGemmTables &out) {
  if (std::string why = halfDecodable(s, scales, zeros); !why.empty())
    return why;
  const PackedGemmPlan p = packedGemmPlan(s);
  out.words = ::qsl::compress::packMmaFragmentWords(
      codes.data(), s.n, s.k, s.bits, transposed, codeOffset(s));
  packSplats(s, scales, zeros, 32 * p.tiles, p.groupsPad, out);
  return "";
}

std::string buildPackedGemmKernelText(llvm::StringRef name,
                                      const KernelShape &shape) {
  const PackedGemmPlan p = packedGemmPlan(shape);
  if (p.wgmmaRows)
    return buildWgmmaGemmKernelText(name, shape, p);
  KernelShape s = shape;
  s.warps = p.warps; // THREADS and %cWARPS follow the plan
  const int64_t chunkK = 16 * p.steps;
  const int64_t perWord = 2 * p.steps; // pairs per word
  const bool guardM = s.m % p.rowsPerBlock() != 0;
  // Column warps past the last tile (a partial last block) store nothing.
  const bool guardN = s.n % 32 != 0 || p.tiles % p.colWarps != 0;
  const bool guardK = s.k % chunkK != 0;
  // n-tiles that hold a column below N (all but for a narrow weight).
  const int64_t liveTiles = p.tiles == 1 ? std::min<int64_t>(4, (s.n + 7) / 8)
                                         : 4;
  TextEmitter e(s);
  PackedEmitter pk(e, s, p.chunks,
                   memrefType({p.tiles, p.chunks, 128}, "i32"), p.groupsPad,
                   32 * p.tiles, p.prefetch);
  e.fragmentPrologue();
  pk.constants();
  // The warp's tile: the block's (split K), or one of colWarps adjacent
  // ones; its loads' first column %nl.
  std::string loadTile =
      pk.warpTile(p.colWarps > 1, p.colWarps, p.tiles, 32);
  e.line() << "%nl = arith.muli " << loadTile << ", %c32 : index\n";
  const bool staged = p.stage.stages > 0;
  ActivationStager stager(e, p.stage);
  std::string header =
      pk.header("", p.mTiles * 16, staged ? stager.attribution() : "");
  std::string rows = e.cst(p.rowsPerBlock());
  e.line() << "%m0 = arith.muli %by, " << rows << " : index\n";
  if (staged)
    stager.prologue("%m0", ActivationStager::Operand::MmaA, p.mTiles,
                    p.steps);
  e.line() << "%za = arith.constant dense<0.0> : vector<4x2xf16>\n";
  e.line() << "%zb = arith.constant dense<0.0> : vector<2x2xf16>\n";

  // Rows of each m-tile's A fragment and of its accumulators.
  std::vector<std::string> ra(p.mTiles), rb(p.mTiles), inA(p.mTiles),
      inB(p.mTiles);
  for (int64_t mt = 0; mt < p.mTiles; ++mt) {
    std::string base = e.add("%m0", e.cst(16 * mt));
    ra[mt] = e.add(base, "%grp");
    rb[mt] = e.add(ra[mt], "%c8");
    inA[mt] = e.below(ra[mt], "%cM", guardM);
    inB[mt] = e.below(rb[mt], "%cM", guardM);
  }
  // Column of each n-tile's B fragment (for the group tables; padded).
  std::vector<std::string> nc(4);
  for (int64_t t = 0; t < liveTiles; ++t)
    nc[t] = e.add(e.add("%nl", e.cst(8 * t)), "%grp");

  // Accumulator mt * 4 + t: m-tile mt, n-tile t.
  pk.openLoop(p.mTiles * 4);
  if (staged)
    stager.beginChunk("%ch");
  std::string chunkLen = e.cst(chunkK), kb = e.fresh("kb");
  e.line() << kb << " = arith.muli %ch, " << chunkLen << " : index\n";

  // Scales (and 1024 + z) of the four columns for the group of K index
  // `k`, as f16 splat pairs.
  std::vector<std::string> sc(4), zz(4);
  auto loadSplats = [&](const std::string &k) {
    std::string g = pk.group(k);
    for (int64_t t = 0; t < liveTiles; ++t) {
      std::tie(sc[t], zz[t]) = pk.scaleAndZero(g, nc[t]);
    }
  };
  const bool groupPerChunk = s.groupLen % chunkK == 0;
  if (groupPerChunk)
    loadSplats(kb);

  std::vector<std::string> acc(p.mTiles * 4);
  for (size_t i = 0; i < acc.size(); ++i)
    acc[i] = "%acc" + std::to_string(i);
  for (int64_t step = 0; step < p.steps; ++step) {
    std::string k0 = step ? e.add(kb, e.cst(16 * step)) : kb;
    if (!groupPerChunk)
      loadSplats(k0);
    std::string kLo = e.add(k0, "%kc");
    std::string kHi = e.add(kLo, "%c8");
    // A per m-tile: register r holds row (r % 2 ? grp + 8 : grp), columns
    // (r / 2) * 8 + 2 * tig + {0, 1}.
    std::vector<std::string> a(p.mTiles);
    for (int64_t mt = 0; mt < p.mTiles; ++mt) {
      if (staged) {
        a[mt] = stager.fragment(mt, step);
        continue;
      }
      std::string frag = "%za";
      for (int r = 0; r < 4; ++r) {
        // With one row block, rows 16 mt + 8 + grp past M are known: their
        // registers stay zero (at batch 1-8 half of A is never loaded).
        if (r % 2 && s.m <= p.rowsPerBlock() && 16 * mt + 8 >= s.m)
          continue;
        std::string pair = pk.activationPair(
            r % 2 ? rb[mt] : ra[mt], r % 2 ? inB[mt] : inA[mt],
            r / 2 ? kHi : kLo, guardK);
        std::string nextFrag = e.fresh("a");
        e.line() << nextFrag << " = vector.insert " << pair << ", " << frag
                 << " [" << r << "] : vector<2xf16> into vector<4x2xf16>\n";
        frag = nextFrag;
      }
      a[mt] = frag;
    }
    // B per n-tile from its two code pairs (pair (step * 4 + t) * 2 + r),
    // then one mma per m-tile.
    for (int64_t t = 0; t < liveTiles; ++t) {
      std::string frag = "%zb";
      for (int r = 0; r < 2; ++r) {
        int64_t pair = (step * 4 + t) * 2 + r;
        std::string wv =
            pk.decodePair(pk.word[pair / perWord], pair % perWord, zz[t],
                          sc[t]);
        std::string nextFrag = e.fresh("b");
        e.line() << nextFrag << " = vector.insert " << wv << ", " << frag
                 << " [" << r << "] : vector<2xf16> into vector<2x2xf16>\n";
        frag = nextFrag;
      }
      for (int64_t mt = 0; mt < p.mTiles; ++mt) {
        std::string &c = acc[mt * 4 + t];
        std::string d = e.fresh("d");
        e.line() << d << " = nvgpu.mma.sync (" << a[mt] << ", " << frag
                 << ", " << c
                 << ") {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, "
                    "vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>\n";
        c = d;
      }
    }
  }
  pk.closeLoop(acc);

  // Accumulator [r][c] of (mt, t): row (r ? grp + 8 : grp) of m-tile mt,
  // column n0 + 8t + 2 * tig + c; n-tiles past N are never stored.
  pk.sumWarpsAndStore([&](int64_t i, int r, int c, const std::string &v) {
    int64_t mt = i / 4, t = i % 4;
    if (t >= liveTiles)
      return;
    std::string col =
        e.add(e.add(e.add("%n0", e.cst(8 * t)), "%kc"), c ? "%c1" : "%c0");
    e.storeValue(v, r ? rb[mt] : ra[mt], col,
                 e.conj(r ? inB[mt] : inA[mt], e.below(col, "%cN", guardN)));
  });

  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
