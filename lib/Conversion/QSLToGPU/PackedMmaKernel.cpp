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
// Fragment layouts are those of MmaKernel.cpp (PTX ISA mma.m16n8k16).
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "KernelText.h"

#include "qsl/Compress/GpuLayout.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {
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
} // namespace

std::string packedGemmUnsupported(const KernelShape &s) {
  if (s.halfValues)
    return "f16 values";
  return packedCodesUnsupported(s, 16, "k-steps of 16");
}

namespace {
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

} // namespace

PackedGemmPlan packedGemmPlan(const KernelShape &s) {
  ::qsl::compress::MmaFragmentShape f =
      ::qsl::compress::mmaFragmentShape(s.n, s.k, s.bits);
  PackedGemmPlan p;
  p.tiles = f.tiles;
  p.chunks = f.chunks;
  p.steps = f.steps;
  p.mTiles = std::clamp<int64_t>((s.m + 15) / 16, 1, kPackedMaxMTiles);
  int64_t rowBlocks = (s.m + 16 * p.mTiles - 1) / (16 * p.mTiles);
  if (rowBlocks > 1) {
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

namespace {

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

std::string memrefType(std::initializer_list<int64_t> shape,
                       const char *elem, const char *space = nullptr) {
  std::string t = "memref<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  t += elem;
  if (space)
    t += std::string(", ") + space;
  return t + ">";
}

/// What both packed kernels share: the header, the constants, the chunk
/// loop with its prefetched words, the f16x2 decoding of a code pair, the
/// activation pairs, and the warps' sum before warp 0 stores.
class PackedEmitter {
public:
  /// Code words `codesType`; group tables [groupsPad, columns] (none when
  /// groupsPad is 0: the words hold f16 values); `prefetch` chunks in
  /// flight per warp.
  PackedEmitter(TextEmitter &e, const KernelShape &s, int64_t chunks,
                std::string codesType, int64_t groupsPad, int64_t columns,
                int64_t prefetch)
      : e(e), s(s), chunks(chunks), prefetch(prefetch),
        codesType(std::move(codesType)),
        groupType(groupsPad ? memrefType({groupsPad, columns},
                                         s.symmetric ? "f16" : "i32")
                            : "") {}

  /// Column warps instead of a split K: every warp walks all of K for its
  /// own tile `tile` (its words and group tables); nothing is summed.
  void columnWarps(const std::string &tile) {
    tileName = tile;
    kStart = "%c0";
    kStep = "%c1";
    splitK = false;
  }

  /// `gpu.func @NAME(%x, %codes, [%sc | %sz,] <extra>, %y)` with the
  /// workgroup buffer of the warps' partial sums (`partials` f32 per lane)
  /// when there is more than one warp.
  std::string header(const std::string &extra, int64_t partials,
                     const std::string &staged = "") {
    if (splitK && s.warps > 1)
      redType = memrefType({s.warps - 1, partials, 32}, "f32",
                           "#gpu.address_space<workgroup>");
    std::string workgroup = redType.empty() ? staged : "%red: " + redType;
    return "\nmodule {\n  gpu.module @qsl_kernels {\n"
           "    gpu.func @@@NAME@@(%x: @@XT@@, %codes: " +
           codesType +
           (groupType.empty() ? ""
                              : ",\n        " +
                                    std::string(s.symmetric ? "%sc: "
                                                            : "%sz: ") +
                                    groupType) +
           extra +
           ", %y: @@YT@@)\n" +
           (!workgroup.empty() ? "        workgroup(" + workgroup + ")\n"
                               : "") +
           "        kernel attributes {known_block_size = array<i32: "
           "@@THREADS@@, 1, 1>} {\n";
  }

  /// After fragmentPrologue(): %cCH, %cCHL, %l4, %zpair and, for codes,
  /// %magic, %pmask and (symmetric) %zzc.
  void constants() {
    e.line() << "%cCH = arith.constant " << chunks << " : index\n";
    e.line() << "%cCHL = arith.constant " << (chunks - 1) << " : index\n";
    e.line() << "%l4 = arith.muli %lane, %c4 : index\n";
    e.line() << "%zpair = arith.constant dense<0.0> : vector<2xf16>\n";
    if (groupType.empty())
      return;
    const uint32_t mask = (1u << s.bits) - 1u;
    e.line() << "%magic = arith.constant " << int32_t(0x64006400)
             << " : i32\n";
    e.line() << "%pmask = arith.constant " << int32_t(mask | (mask << 16))
             << " : i32\n";
    if (s.symmetric) // codes stored as q + 2^(bits-1)
      e.line() << "%zzc = arith.constant dense<"
               << (1024 + (1 << (s.bits - 1))) << ".0> : vector<2xf16>\n";
  }

  /// Opens the chunk loop: warp w takes chunks w, w + warps, ... of block
  /// tile %bx (with column warps: every chunk of its tile); it carries
  /// `accs` accumulators (%acc<i>, from %zacc) and the words of the next
  /// `prefetch` chunks, decodes the oldest (word[j], its chunk %ch)
  /// and loads the one `prefetch` ahead of it.
  void openLoop(int64_t accs) {
    this->accs = accs;
    std::vector<std::string> inFlight;
    for (int64_t i = 0; i < prefetch; ++i)
      inFlight.push_back(loadWords(i ? ahead(kStart, i) : kStart));
    e.line() << "%res:" << (accs + prefetch) << " = scf.for %ch = "
             << kStart << " to %cCH step " << kStep << " iter_args(";
    for (int64_t i = 0; i < accs; ++i)
      e.raw() << "%acc" << i << " = %zacc, ";
    for (int64_t i = 0; i < prefetch; ++i)
      e.raw() << (i ? ", " : "") << "%wq" << i << " = " << inFlight[i];
    e.raw() << ") -> (" << loopTypes() << ") {\n";
    e.indent += 2;
    next = loadWords(ahead("%ch", prefetch));
    for (int j = 0; j < 4; ++j) {
      word[j] = e.fresh("wd");
      e.line() << word[j] << " = vector.extract %wq0[" << j
               << "] : i32 from vector<4xi32>\n";
    }
  }

  /// Yields the accumulators `acc` and the words in flight; closes the loop.
  void closeLoop(const std::vector<std::string> &acc) {
    e.line() << "scf.yield ";
    for (const std::string &a : acc)
      e.raw() << a << ", ";
    for (int64_t i = 1; i < prefetch; ++i)
      e.raw() << "%wq" << i << ", ";
    e.raw() << next << " : " << loopTypes() << "\n";
    e.indent -= 2;
    e.line() << "}\n";
  }

  /// The f16 weights of the code pair at `slot` of `w`: ((w >> slot*b) &
  /// pmask | magic) - zz, times sc.
  std::string decodePair(std::string w, int64_t slot, const std::string &zz,
                         const std::string &sc) {
    if (slot) {
      std::string sh = e.fresh("sh"), shifted = e.fresh("ws");
      e.line() << sh << " = arith.constant " << slot * s.bits << " : i32\n";
      e.line() << shifted << " = arith.shrui " << w << ", " << sh
               << " : i32\n";
      w = shifted;
    }
    std::string masked = e.fresh("wm"), biased = e.fresh("wb");
    e.line() << masked << " = arith.andi " << w << ", %pmask : i32\n";
    e.line() << biased << " = arith.ori " << masked << ", %magic : i32\n";
    std::string q = halfPair(e, biased);
    std::string d = e.fresh("dq"), wv = e.fresh("wq");
    e.line() << d << " = arith.subf " << q << ", " << zz
             << " : vector<2xf16>\n";
    e.line() << wv << " = arith.mulf " << d << ", " << sc
             << " : vector<2xf16>\n";
    return wv;
  }

  /// The scale and 1024 + z of group `g`, column `col`, as f16 splat
  /// pairs: the two halves of the %sz word, each shuffled into both lanes,
  /// or the %sc scale broadcast and the symmetric constant %zzc.
  std::pair<std::string, std::string> scaleAndZero(const std::string &g,
                                                   const std::string &col) {
    if (s.symmetric) {
      std::string h = e.fresh("sh"), sc = e.fresh("sc");
      e.line() << h << " = memref.load %sc[" << g << ", " << col
               << "] : " << groupType << "\n";
      e.line() << sc << " = vector.broadcast " << h
               << " : f16 to vector<2xf16>\n";
      return {sc, "%zzc"};
    }
    std::string w = e.fresh("szw");
    e.line() << w << " = memref.load %sz[" << g << ", " << col
             << "] : " << groupType << "\n";
    std::string both = halfPair(e, w), sc = e.fresh("sc"), zz = e.fresh("zz");
    e.line() << sc << " = vector.shuffle " << both << ", " << both
             << " [0, 0] : vector<2xf16>, vector<2xf16>\n";
    e.line() << zz << " = vector.shuffle " << both << ", " << both
             << " [1, 1] : vector<2xf16>, vector<2xf16>\n";
    return {sc, zz};
  }
  /// The scale group of K index `k`.
  std::string group(const std::string &k) {
    std::string len = e.cst(s.groupLen), g = e.fresh("grp");
    e.line() << g << " = arith.divui " << k << ", " << len << " : index\n";
    return g;
  }

  /// The activations at `row`, K positions k and k + 1, as an f16 pair:
  /// one 32-bit (f16) or 64-bit (f32, rounded with one conversion) load
  /// where [M, K] rows have even length, else two gathered elements (a
  /// convolution's implicit im2col); zero past M (rowOk) and K (guardK).
  std::string activationPair(const std::string &row, const std::string &rowOk,
                             const std::string &k, bool guardK) {
    if (!s.conv && s.k % 2 == 0) {
      std::string ok = e.conj(rowOk, e.below(k, "%cK", guardK));
      return e.guardedOf(ok, "vector<2xf16>", "%zpair", [&] {
        std::string v = e.fresh("xp");
        e.line() << v << " = vector.load %x[" << row << ", " << k
                 << "] {alignment = " << (s.inType.isF16() ? 4 : 8)
                 << " : i64} : @@XT@@, vector<2x@@TI@@>\n";
        if (s.inType.isF16())
          return v;
        std::string h = e.fresh("xph");
        e.line() << h << " = arith.truncf " << v
                 << " : vector<2xf32> to vector<2xf16>\n";
        return h;
      });
    }
    std::string vals[2];
    for (int c = 0; c < 2; ++c) {
      std::string kc = c ? e.add(k, "%c1") : k;
      std::string ok = e.conj(rowOk, e.below(kc, "%cK", guardK));
      vals[c] = e.guarded(ok, [&] { return e.loadActivation(row, kc); });
    }
    std::string v = e.fresh("xp");
    e.line() << v << " = vector.from_elements " << vals[0] << ", " << vals[1]
             << " : vector<2xf16>\n";
    return v;
  }

  /// Element [r][c] of accumulator `t` of the loop.
  std::string accumulator(int64_t t, int r, int c) {
    std::string v = e.fresh("v");
    e.line() << v << " = vector.extract %res#" << t << "[" << r << ", " << c
             << "] : f32 from vector<2x2xf32>\n";
    return v;
  }

  /// Warps 1.. write their accumulators to workgroup memory, the block
  /// synchronises, warp 0 adds them and calls store(t, r, c, sum) for
  /// every accumulator element (column warps: every warp stores its own).
  template <typename Store> void sumWarpsAndStore(Store store) {
    auto index = [](int64_t t, int r, int c) { return t * 4 + r * 2 + c; };
    auto forEach = [&](auto body) {
      for (int64_t t = 0; t < accs; ++t)
        for (int r = 0; r < 2; ++r)
          for (int c = 0; c < 2; ++c)
            body(t, r, c);
    };
    if (!splitK) {
      forEach([&](int64_t t, int r, int c) {
        store(t, r, c, accumulator(t, r, c));
      });
      return;
    }
    if (s.warps > 1) {
      e.line() << "%notw0 = arith.cmpi ne, %warp, %c0 : index\n";
      e.line() << "scf.if %notw0 {\n";
      e.indent += 2;
      e.line() << "%slot = arith.subi %warp, %c1 : index\n";
      forEach([&](int64_t t, int r, int c) {
        std::string v = accumulator(t, r, c), at = e.cst(index(t, r, c));
        e.line() << "memref.store " << v << ", %red[%slot, " << at
                 << ", %lane] : " << redType << "\n";
      });
      e.indent -= 2;
      e.line() << "}\n";
      e.line() << "gpu.barrier\n";
    }
    e.line() << "%isw0 = arith.cmpi eq, %warp, %c0 : index\n";
    e.line() << "scf.if %isw0 {\n";
    e.indent += 2;
    forEach([&](int64_t t, int r, int c) {
      std::string v = accumulator(t, r, c);
      for (int64_t w = 1; w < s.warps; ++w) {
        std::string from = e.cst(w - 1), at = e.cst(index(t, r, c));
        std::string u = e.fresh("u"), sum = e.fresh("sum");
        e.line() << u << " = memref.load %red[" << from << ", " << at
                 << ", %lane] : " << redType << "\n";
        e.line() << sum << " = arith.addf " << v << ", " << u << " : f32\n";
        v = sum;
      }
      store(t, r, c, v);
    });
    e.indent -= 2;
    e.line() << "}\n";
  }

  std::string word[4]; // the words of chunk %ch, inside the loop

private:
  std::string loadWords(const std::string &chunk) {
    std::string w = e.fresh("words");
    e.line() << w << " = vector.load %codes[" << tileName << ", " << chunk
             << ", %l4] {alignment = 16 : i64} : " << codesType
             << ", vector<4xi32>\n";
    return w;
  }
  /// Chunk `i` chunks of this warp after `from`, clamped to the last one
  /// (loads past the end repeat it, so they need no branch).
  std::string ahead(const std::string &from, int64_t i) {
    std::string times = e.cst(i), step = e.fresh("ah");
    e.line() << step << " = arith.muli " << kStep << ", " << times
             << " : index\n";
    std::string at = e.add(from, step), clamped = e.fresh("nx");
    e.line() << clamped << " = arith.minui " << at << ", %cCHL : index\n";
    return clamped;
  }
  std::string loopTypes() const {
    std::string types;
    for (int64_t i = 0; i < accs; ++i)
      types += "vector<2x2xf32>, ";
    for (int64_t i = 0; i < prefetch; ++i)
      types += std::string(i ? ", " : "") + "vector<4xi32>";
    return types;
  }

  TextEmitter &e;
  const KernelShape &s;
  int64_t chunks, prefetch;
  std::string codesType, groupType, redType, next;
  int64_t accs = 0;
  std::string tileName = "%bx", kStart = "%warp", kStep = "%cWARPS";
  bool splitK = true;
};

} // namespace

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
  // ones, clamped for its loads (%nl: the loads' first column).
  if (p.colWarps > 1) {
    std::string cw = e.cst(p.colWarps), last = e.cst(p.tiles - 1);
    e.line() << "%wtb = arith.muli %bx, " << cw << " : index\n";
    e.line() << "%wt = arith.addi %wtb, %warp : index\n";
    e.line() << "%wtc = arith.minui %wt, " << last << " : index\n";
    e.line() << "%n0 = arith.muli %wt, %c32 : index\n";
    e.line() << "%nl = arith.muli %wtc, %c32 : index\n";
    pk.columnWarps("%wtc");
  } else {
    e.line() << "%n0 = arith.muli %bx, %c32 : index\n";
    e.line() << "%nl = arith.addi %n0, %c0 : index\n";
  }
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

PackedSparsePlan packedSparsePlan(const ComposedShape &c) {
  const KernelShape &s = c.base;
  const bool values = c.main == ComposedShape::Main::Floats;
  ::qsl::compress::MmaSparseShape f =
      ::qsl::compress::mmaSparseShape(s.n, s.k, values ? 16 : s.bits);
  PackedSparsePlan p;
  p.tiles = f.tiles;
  p.chunks = f.chunks;
  p.steps = f.steps;
  p.mTiles = std::clamp<int64_t>((s.m + 7) / 8, 1, kPackedMaxMTiles);
  int64_t rowBlocks = (s.m + 8 * p.mTiles - 1) / (8 * p.mTiles);
  if (rowBlocks > 1) {
    // As the packed GEMM: the weight is read once per row block, so the
    // block's warps share its rows (64 of them), side by side along N, each
    // over all of K; the activations are staged in shared memory where
    // they can be.
    p.columns = true;
    p.mTiles = kPackedSparseColumnMTiles;
    p.colWarps = p.warps = std::clamp<int64_t>(s.warps, 1, p.tiles);
    p.stage = stagePlan(s, p.rowsPerBlock(), 32 * p.steps, 32 * p.warps,
                        s.aStages);
  } else {
    p.warps = packedWarps(s, p.tiles * rowBlocks, p.chunks,
                          p.mTiles * 4 * 32 * 4);
  }
  p.groupsPad = values ? 0
                       : (p.chunks * p.steps * 32 + s.groupLen - 1) /
                             s.groupLen;
  p.prefetch = packedPrefetch(s, p.mTiles);
  return p;
}

std::string packedSparseUnsupported(const ComposedShape &c) {
  if (c.main == ComposedShape::Main::None)
    return "no main term";
  if (c.sparseN != 2 || c.sparseM != 4)
    return "sparsity other than 2:4";
  if (c.main == ComposedShape::Main::Floats)
    return "";
  return packedCodesUnsupported(c.base, 32, "steps of 32");
}

std::string packPackedSparseTables(const ComposedShape &c,
                                   const std::vector<int64_t> &keptCodes,
                                   const std::vector<int64_t> &positions,
                                   const std::vector<float> &scales,
                                   const std::vector<float> &zeros,
                                   PackedGemmTables &out,
                                   std::vector<uint32_t> &meta) {
  const KernelShape &s = c.base;
  if (std::string why = halfDecodable(s, scales, zeros); !why.empty())
    return why;
  const PackedSparsePlan p = packedSparsePlan(c);
  out.words = ::qsl::compress::packMmaSparseWords(keptCodes, s.n, s.k,
                                                  s.bits, codeOffset(s));
  packSplats(s, scales, zeros, 16 * p.tiles, p.groupsPad, out);
  meta = ::qsl::compress::packSparseMmaMeta(positions, s.n, s.k / 2,
                                            16 * p.tiles, p.chunks * p.steps);
  return "";
}

void packPackedSparseValues(const ComposedShape &c,
                            const std::vector<double> &keptValues,
                            const std::vector<int64_t> &positions,
                            PackedGemmTables &out,
                            std::vector<uint32_t> &meta) {
  const KernelShape &s = c.base;
  const PackedSparsePlan p = packedSparsePlan(c);
  std::vector<int64_t> halves(keptValues.size());
  for (size_t i = 0; i < keptValues.size(); ++i)
    halves[i] = ::qsl::compress::toHalfBits(static_cast<float>(keptValues[i]));
  out.words = ::qsl::compress::packMmaSparseWords(halves, s.n, s.k, 16, 0);
  meta = ::qsl::compress::packSparseMmaMeta(positions, s.n, s.k / 2,
                                            16 * p.tiles, p.chunks * p.steps);
}

std::string buildPackedSparseGemmKernelText(llvm::StringRef name,
                                            const ComposedShape &c) {
  const PackedSparsePlan p = packedSparsePlan(c);
  const bool values = c.main == ComposedShape::Main::Floats;
  KernelShape s = c.base;
  s.warps = p.warps;
  if (values)
    s.bits = 16;
  const int64_t chunkK = 32 * p.steps;
  const bool guardM = s.m % p.rowsPerBlock() != 0;
  // Column warps past the last tile (a partial last block) store nothing.
  const bool guardN = s.n % 16 != 0 || p.tiles % p.colWarps != 0;
  const bool guardK = s.k % chunkK != 0;
  const std::string metaType =
      memrefType({p.tiles, p.chunks * p.steps, 16}, "i32");
  TextEmitter e(s);
  PackedEmitter pk(e, s, p.chunks,
                   memrefType({p.tiles, p.chunks, 128}, "i32"), p.groupsPad,
                   16 * p.tiles, p.prefetch);
  const bool staged = p.stage.stages > 0;
  ActivationStager stager(e, p.stage);
  e.fragmentPrologue();
  pk.constants();
  e.line() << "%za = arith.constant dense<0.0> : vector<4x2xf16>\n";
  e.metaSlot();
  // The warp's 16 output columns (A rows grp and grp + 8) and batch rows:
  // the block's tile (split K), or one of colWarps adjacent ones, clamped
  // for its loads (%tl; rows %la, %lb of the group tables).
  if (p.columns) {
    std::string cw = e.cst(p.colWarps), last = e.cst(p.tiles - 1);
    e.line() << "%wtb = arith.muli %bx, " << cw << " : index\n";
    e.line() << "%wt = arith.addi %wtb, %warp : index\n";
    e.line() << "%tl = arith.minui %wt, " << last << " : index\n";
    e.line() << "%n0 = arith.muli %wt, %c16 : index\n";
    pk.columnWarps("%tl");
  } else {
    e.line() << "%tl = arith.addi %bx, %c0 : index\n";
    e.line() << "%n0 = arith.muli %bx, %c16 : index\n";
  }
  e.line() << "%na = arith.addi %n0, %grp : index\n";
  e.line() << "%nb = arith.addi %na, %c8 : index\n";
  e.line() << "%nl0 = arith.muli %tl, %c16 : index\n";
  e.line() << "%la = arith.addi %nl0, %grp : index\n";
  e.line() << "%lb = arith.addi %la, %c8 : index\n";
  std::string header = pk.header(", %meta: " + metaType, p.mTiles * 4,
                                 staged ? stager.attribution() : "");
  std::string rows = e.cst(p.rowsPerBlock());
  e.line() << "%m0 = arith.muli %by, " << rows << " : index\n";
  if (staged)
    stager.prologue("%m0", ActivationStager::Operand::MmaSpB, p.mTiles,
                    p.steps);
  // Batch row of each m-tile's B fragment (column grp) and its guard.
  std::vector<std::string> mRow(p.mTiles), mOk(p.mTiles);
  for (int64_t t = 0; t < p.mTiles; ++t) {
    mRow[t] = e.add(e.add("%m0", e.cst(8 * t)), "%grp");
    mOk[t] = e.below(mRow[t], "%cM", guardM);
  }

  pk.openLoop(p.mTiles);
  if (staged)
    stager.beginChunk("%ch");
  std::string chunkLen = e.cst(chunkK), kb = e.fresh("kb");
  e.line() << kb << " = arith.muli %ch, " << chunkLen << " : index\n";
  std::string stepsPer = e.cst(p.steps), sb = e.fresh("sb");
  e.line() << sb << " = arith.muli %ch, " << stepsPer << " : index\n";
  // Scales (and 1024 + z) of rows na and nb for the group of K index `k`.
  std::string sc[2], zz[2];
  auto loadSplats = [&](const std::string &k) {
    std::string g = pk.group(k);
    for (int h = 0; h < 2; ++h) {
      const char *row = h ? "%lb" : "%la";
      std::tie(sc[h], zz[h]) = pk.scaleAndZero(g, row);
    }
  };
  const bool groupPerChunk = values || s.groupLen % chunkK == 0;
  if (groupPerChunk && !values)
    loadSplats(kb);

  std::vector<std::string> acc(p.mTiles);
  for (int64_t t = 0; t < p.mTiles; ++t)
    acc[t] = "%acc" + std::to_string(t);
  for (int64_t step = 0; step < p.steps; ++step) {
    std::string k0 = step ? e.add(kb, e.cst(32 * step)) : kb;
    if (!groupPerChunk)
      loadSplats(k0);
    // The metadata register of this lane for the step, as vector<2xi16>.
    std::string gs = step ? e.add(sb, e.cst(step)) : sb;
    std::string md = e.metaRegister("%tl", gs, metaType);
    // A: register r is pair 4 * step + r: row (r % 2 ? nb : na), kept
    // entries (r / 2) * 8 + 2 * tig + {0, 1} of the step.
    std::string a = "%za";
    for (int r = 0; r < 4; ++r) {
      int64_t pair = 4 * step + r;
      std::string wv = values ? halfPair(e, pk.word[pair])
                              : pk.decodePair(pk.word[pair / p.steps],
                                              pair % p.steps, zz[r % 2],
                                              sc[r % 2]);
      std::string next = e.fresh("a");
      e.line() << next << " = vector.insert " << wv << ", " << a << " [" << r
               << "] : vector<2xf16> into vector<4x2xf16>\n";
      a = next;
    }
    // B per m-tile: register r holds K rows k0 + 2 * tig + 8r + {0, 1} of
    // batch row mRow[t]; then the sparse mma.
    std::string kLo = e.add(k0, "%kc");
    std::string kAt[4];
    for (int r = 0; r < 4; ++r)
      kAt[r] = r ? e.add(kLo, e.cst(8 * r)) : kLo;
    for (int64_t t = 0; t < p.mTiles; ++t) {
      std::string b = "%za";
      for (int r = 0; r < 4 && !staged; ++r) {
        std::string pair = pk.activationPair(mRow[t], mOk[t], kAt[r], guardK);
        std::string next = e.fresh("b");
        e.line() << next << " = vector.insert " << pair << ", " << b << " ["
                 << r << "] : vector<2xf16> into vector<4x2xf16>\n";
        b = next;
      }
      if (staged)
        b = stager.fragment(t, step);
      std::string d = e.fresh("d");
      e.line() << d << " = nvgpu.mma.sp.sync (" << a << ", " << b << ", "
               << acc[t] << ") metadata (" << md
               << ") {mmaShape = [16, 8, 32]} : (vector<4x2xf16>, "
                  "vector<4x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>\n";
      acc[t] = d;
    }
  }
  pk.closeLoop(acc);

  // Accumulator [r][c] of m-tile t is D[row grp + 8r][col 2 * tig + c]:
  // y[m0 + 8t + 2 * tig + c, (r ? nb : na)].
  std::string nOk[2] = {e.below("%na", "%cN", guardN),
                        e.below("%nb", "%cN", guardN)};
  pk.sumWarpsAndStore([&](int64_t t, int r, int c, const std::string &v) {
    std::string row =
        e.add(e.add(e.add("%m0", e.cst(8 * t)), "%kc"), c ? "%c1" : "%c0");
    e.storeValue(v, row, r ? "%nb" : "%na",
                 e.conj(e.below(row, "%cM", guardM), nOk[r]));
  });

  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
