//===- PackedEmitter.h - What the packed tensor-core GEMMs share -*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU: the pieces of the packed dense GEMM
// (PackedMmaKernel.cpp) and the packed 2:4 GEMM (PackedSparseKernel.cpp)
// that are the same: plan helpers, the exact-f16 check of the group tables,
// and PackedEmitter, which writes the header, the constants, the chunk loop
// with its prefetched code words, the f16x2 decoding and the warps' sum.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_PACKEDEMITTER_H
#define QSL_LIB_CONVERSION_QSLTOGPU_PACKEDEMITTER_H

#include "KernelText.h"

#include <initializer_list>
#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// What both packed kernels need of quantized codes: scale (and zero point)
/// decoding of at most 8 bits, scale groups of whole `step`s (`stepName`).
std::string packedCodesUnsupported(const KernelShape &s, int64_t step,
                                   const char *stepName);

/// Warps per block of a split-K plan over `blocks` blocks and `chunks`
/// chunks whose warps keep `partialBytes` of partial sums each.
int64_t packedWarps(const KernelShape &s, int64_t blocks, int64_t chunks,
                    int64_t partialBytes);

/// Chunks of code words in flight per warp with `mTiles` m-tiles.
int64_t packedPrefetch(const KernelShape &s, int64_t mTiles);

/// "" when every weight (q - z) * s of the [N, G] tables decodes exactly
/// by the packed kernels' f16 arithmetic, else why not.
std::string halfDecodable(const KernelShape &s,
                          const std::vector<float> &scales,
                          const std::vector<float> &zeros);

/// The group tables, [gPad, nPad]: s and 1024 + z in one word each, or the
/// symmetric scales.
void packSplats(const KernelShape &s, const std::vector<float> &scales,
                const std::vector<float> &zeros, int64_t nPad, int64_t gPad,
                PackedGemmTables &out);

/// The offset symmetric codes are stored with (2^(bits-1)), else 0.
int64_t codeOffset(const KernelShape &s);

/// An i32 holding two f16 as the vector<2xf16> it is.
std::string halfPair(TextEmitter &e, const std::string &word);

/// An f16 pair as the 32-bit register it is (halfPair's inverse).
std::string pairWord(TextEmitter &e, const std::string &pair);

/// `memref<d0 x d1 x ... x elem[, space]>`.
std::string memrefType(std::initializer_list<int64_t> shape,
                       const char *elem, const char *space = nullptr);

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

  /// The warp's tile of `width` output columns: the block's (split K), or
  /// with `columns` one of `colWarps` adjacent ones, each over all of K
  /// (column warps; nothing is summed). Defines %n0, the tile's first
  /// column (past N for a warp past the last of `tiles`, whose stores the
  /// N guard drops), and returns the tile its loads read: clamped to the
  /// last one.
  std::string warpTile(bool columns, int64_t colWarps, int64_t tiles,
                       int64_t width) {
    std::string w = e.cst(width);
    if (!columns) {
      e.line() << "%n0 = arith.muli %bx, " << w << " : index\n";
      return "%bx";
    }
    std::string cw = e.cst(colWarps), last = e.cst(tiles - 1);
    e.line() << "%wtb = arith.muli %bx, " << cw << " : index\n";
    e.line() << "%wt = arith.addi %wtb, %warp : index\n";
    e.line() << "%wtc = arith.minui %wt, " << last << " : index\n";
    e.line() << "%n0 = arith.muli %wt, " << w << " : index\n";
    tileName = "%wtc";
    kStart = "%c0";
    kStep = "%c1";
    splitK = false;
    return tileName;
  }

  /// The 2:4 kernels' warp tile of 16 columns (warpTile): %na and %nb,
  /// its output columns grp and grp + 8 (the A rows of mma.sp and
  /// wgmma.sp), and %la and %lb, the same rows of the tile its loads read.
  std::string sparseTile(bool columns, int64_t colWarps, int64_t tiles) {
    std::string loadTile = warpTile(columns, colWarps, tiles, 16);
    e.line() << "%na = arith.addi %n0, %grp : index\n";
    e.line() << "%nb = arith.addi %na, %c8 : index\n";
    e.line() << "%nl0 = arith.muli " << loadTile << ", %c16 : index\n";
    e.line() << "%la = arith.addi %nl0, %grp : index\n";
    e.line() << "%lb = arith.addi %la, %c8 : index\n";
    return loadTile;
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
  /// `accs` accumulators (%acc<i>, from `init`) and the words of the next
  /// `prefetch` chunks, decodes the oldest (word[j], its chunk %ch)
  /// and loads the one `prefetch` ahead of it.
  void openLoop(int64_t accs, const std::string &init = "%zacc") {
    this->accs = accs;
    std::vector<std::string> inFlight;
    for (int64_t i = 0; i < prefetch; ++i)
      inFlight.push_back(loadWords(i ? ahead(kStart, i) : kStart));
    e.line() << "%res:" << (accs + prefetch) << " = scf.for %ch = "
             << kStart << " to %cCH step " << kStep << " iter_args(";
    for (int64_t i = 0; i < accs; ++i)
      e.raw() << "%acc" << i << " = " << init << ", ";
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

  /// The 2:4 kernels' stores (mma.sp and wgmma.sp lay their accumulators
  /// out alike): [r][c] of accumulator t is y[m0 + 8t + 2 tig + c, (r ?
  /// %nb : %na)], rows guarded past M and columns past N where needed.
  void storeSparseTiles(bool guardM, bool guardN) {
    std::string nOk[2] = {e.below("%na", "%cN", guardN),
                          e.below("%nb", "%cN", guardN)};
    sumWarpsAndStore([&](int64_t t, int r, int c, const std::string &v) {
      std::string row =
          e.add(e.add(e.add("%m0", e.cst(8 * t)), "%kc"), c ? "%c1" : "%c0");
      e.storeValue(v, row, r ? "%nb" : "%na",
                   e.conj(e.below(row, "%cM", guardM), nOk[r]));
    });
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

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_PACKEDEMITTER_H
