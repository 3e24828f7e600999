//===- WgmmaKernel.cpp - The packed GEMMs on sm_90a's warpgroup MMA -------===//
//
// The packed dense GEMM (PackedMmaKernel.cpp) over several row blocks, for
// sm_90a (`wgmma` option, which qsl-gpu-pipeline{chip=sm_90a} sets), and at
// the end of this file the packed 2:4 GEMM (PackedSparseKernel.cpp) on
// wgmma.mma_async.sp the same way; WgmmaEmitter (below) is what both
// write alike. The dense one: the
// same fragment-ordered code words and f16x2 decoding, but multiplied by
// wgmma.mma_async, the warpgroup-wide MMA that the H100's tensor cores run
// at full rate (mma.sync reaches only part of it there).
//
// Roles are swapped: the instruction computes D[64, N] = A[64, 16] B[16, N]
// with A from registers and B from shared memory only, so A is the weight
// (its 64 rows are output columns) and B the staged activations (its N
// columns are rows of x): Y^T = W^T X^T.
//   * A: warp w of the warpgroup holds rows 16w .. 16w + 15 in mma.sync's
//     m16n8k16 A layout (lane 4g + i: rows g and g + 8, K 2i, 2i + 1 and
//     2i + 8, 2i + 9; PTX ISA "register fragment layout for matrix A" of
//     wgmma .m64nNk16). The packed words give each lane exactly the B
//     fragments of four n-tiles (columns 8t + g, the same K), so wgmma h
//     (h = 0, 1) takes n-tiles 2h and 2h + 1 as its rows g and g + 8: A row
//     16w + r is column 32 (tile of warp w) + 16h + r. No data moves.
//   * B: the block's rows x K chunk, staged by cp.async as 8 x 16-byte core
//     matrices (ActivationStaging.cpp), one descriptor per k-step. Where N
//     has 8 warp tiles or more, two warpgroups (256 columns) share it:
//     per chunk a block then copies 8 KiB of activations (128 rows, int4)
//     for 4 KiB of code words and 2^20 multiply-adds, about 85 per byte
//     from L2, against 51 with one warpgroup (an H100's tensor cores need
//     roughly 90 per byte of L2 bandwidth; a ratio, not a measurement).
//   * D: per wgmma N/2 f32 per thread, kept as N/8 vector<2x2xf32>
//     accumulators: [r][c] of j is D row 16w + g + 8r, column 8j + 2i + c
//     (output column and batch row).
// Per k-step: decode, wgmma.fence (A was just written), two wgmma. With
// three stages or more and chunks of two k-steps or more, the ring lags
// one chunk (it refills the slot of
// chunk c - 2 at chunk c) and each k-step's wgmma are a commit group:
// before decoding step s of chunk c the warpgroup waits only for step s of
// chunk c - 1, whose A registers the decoding rewrites, so S - 1 steps
// multiply while one decodes (the wait before step 0 comes before the
// barrier and also finishes chunk c - 2). Otherwise a chunk's wgmma are
// one group, waited for at its end. The first wgmma has scale-d 0, so
// the accumulators start undefined (no zeroing), and the last chunk waits
// for all of them inside the loop.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "PackedEmitter.h"
#include "WgmmaEmitter.h"

#include "qsl/Conversion/QSLToGPU/WgmmaAsm.h"

#include <algorithm>
#include <tuple>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

int64_t wgmmaRows(const KernelShape &s, int64_t steps, int64_t threads) {
  if (!s.wgmma || s.conv || s.halfValues || !s.inType || !s.inType.isF16() ||
      s.k % 8 != 0)
    return 0;
  int64_t rows = std::min<int64_t>(kWgmmaMaxRows, (s.m + 15) / 16 * 16);
  StagePlan st = stagePlan(s, rows, 16 * steps, threads, s.aStages);
  return st.stages >= 2 ? rows : 0;
}

std::string WgmmaEmitter::beforeLoop() {
  e.line() << "%wone = arith.constant 1 : i32\n";
  // The accumulators start undefined: the first k-step's wgmma ignores
  // them (scale-d 0), so no register is zeroed (copies of one zero
  // register, read by movs, make ptxas serialize the wgmma).
  e.line() << "%wundef = ub.poison : vector<2x2xf32>\n";
  return "%wundef";
}

void WgmmaEmitter::wait() {
  if (overlap)
    e.line() << "nvvm.wgmma.wait.group.sync.aligned " << inFlight << "\n";
}

void WgmmaEmitter::chunkScale() {
  // scale-d of the chunk's first k-step: 0 (D = A B) in the first chunk.
  e.line() << "%wnotfirst = arith.cmpi ne, %ch, %c0 : index\n";
  e.line() << "%wfirstsc = arith.extui %wnotfirst : i1 to i32\n";
}


void WgmmaEmitter::call(int64_t step, const std::string (&a)[4],
                        const std::string &desc, const std::string &meta,
                        std::vector<std::string> &acc, int64_t first) {
  const int64_t accs = rows / 2, jTiles = rows / 8;
  std::string structType = "!llvm.struct<(";
  for (int64_t i = 0; i < accs; ++i)
    structType += i ? ", f32" : "f32";
  structType += ")>";
  std::vector<std::string> in;
  for (int64_t j = 0; j < jTiles; ++j)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) {
        std::string v = e.fresh("wa");
        e.line() << v << " = vector.extract " << acc[first + j] << "[" << r
                 << ", " << c << "] : f32 from vector<2x2xf32>\n";
        in.push_back(v);
      }
  std::string d = e.fresh("wg");
  e.line() << d << " = llvm.inline_asm has_side_effects asm_dialect = att "
           << "\"" << wgmmaAsmText(rows, sparse) << "\", \""
           << wgmmaAsmConstraints(rows, sparse) << "\" ";
  for (int i = 0; i < 4; ++i)
    e.raw() << a[i] << ", ";
  e.raw() << desc << ", ";
  if (sparse)
    e.raw() << meta << ", ";
  e.raw() << (step ? "%wone" : "%wfirstsc");
  for (const std::string &v : in)
    e.raw() << ", " << v;
  e.raw() << " : (i32, i32, i32, i32, i64, " << (sparse ? "i32, i32" : "i32");
  for (int64_t i = 0; i < accs; ++i)
    e.raw() << ", f32";
  e.raw() << ") -> " << structType << "\n";
  for (int64_t j = 0; j < jTiles; ++j) {
    std::string el[4];
    for (int i = 0; i < 4; ++i) {
      el[i] = e.fresh("wo");
      e.line() << el[i] << " = llvm.extractvalue " << d << "[" << 4 * j + i
               << "] : " << structType << "\n";
    }
    std::string v = e.fresh("wacc");
    e.line() << v << " = vector.from_elements " << el[0] << ", " << el[1]
             << ", " << el[2] << ", " << el[3] << " : vector<2x2xf32>\n";
    acc[first + j] = v;
  }
}

void WgmmaEmitter::stepEnd() {
  if (overlap)
    e.line() << "nvvm.wgmma.commit.group.sync.aligned\n";
}

void WgmmaEmitter::groupEnd() {
  if (overlap)
    return;
  e.line() << "nvvm.wgmma.commit.group.sync.aligned\n";
  e.line() << "nvvm.wgmma.wait.group.sync.aligned 0\n";
}

void WgmmaEmitter::loopEnd() {
  if (!overlap)
    return;
  // The last chunk waits for everything inside the loop: with the wait
  // after it, where the stores' address arithmetic lands before it, ptxas
  // serializes every wgmma (C7514).
  e.line() << "%wlast = arith.cmpi eq, %ch, %cCHL : index\n";
  e.line() << "scf.if %wlast {\n";
  e.line() << "  nvvm.wgmma.wait.group.sync.aligned 0\n";
  e.line() << "}\n";
}

std::string buildWgmmaGemmKernelText(llvm::StringRef name,
                                     const KernelShape &shape,
                                     const PackedGemmPlan &p) {
  KernelShape s = shape;
  s.warps = p.warps; // one or two warpgroups
  const int64_t rows = p.wgmmaRows, jTiles = rows / 8;
  const int64_t chunkK = 16 * p.steps;
  const int64_t perWord = 2 * p.steps; // pairs per word
  const bool guardM = s.m % rows != 0;
  const bool guardN = s.n % 32 != 0 || p.tiles % p.colWarps != 0;
  TextEmitter e(s);
  PackedEmitter pk(e, s, p.chunks,
                   memrefType({p.tiles, p.chunks, 128}, "i32"), p.groupsPad,
                   32 * p.tiles, p.prefetch);
  e.fragmentPrologue();
  pk.constants();
  std::string loadTile = pk.warpTile(true, p.colWarps, p.tiles, 32);
  e.line() << "%nl = arith.muli " << loadTile << ", %c32 : index\n";
  ActivationStager stager(e, p.stage);
  std::string header = pk.header("", 0, stager.attribution());
  std::string rowsC = e.cst(rows);
  e.line() << "%m0 = arith.muli %by, " << rowsC << " : index\n";
  stager.prologue("%m0", ActivationStager::Operand::WgmmaB, 1, p.steps);
  // Each k-step's wgmma are one commit group. With the ring lagging one
  // chunk (three stages or more), step s of chunk c waits only for step s
  // of chunk c - 1 (whose A registers its decoding rewrites): S - 1 groups
  // stay in flight. The wait before step 0 precedes the barrier and also
  // finishes every chunk before c - 1, whose slot the ring then refills.
  // With two stages, a chunk's groups are all waited for at its end (the
  // ring refills the slot of c - 1).
  WgmmaEmitter wg(e, rows, p.steps - 1, /*sparse=*/false,
                  p.stage.lag == 1);
  std::string init = wg.beforeLoop();
  // Column of each n-tile's fragment (for the group tables; padded).
  std::vector<std::string> nc(4);
  for (int64_t t = 0; t < 4; ++t)
    nc[t] = e.add(e.add("%nl", e.cst(8 * t)), "%grp");

  // Accumulator h * jTiles + j: wgmma h, batch rows 8j .. 8j + 7.
  pk.openLoop(2 * jTiles, init);
  wg.wait();
  stager.beginChunk("%ch");
  std::string chunkLen = e.cst(chunkK), kb = e.fresh("kb");
  e.line() << kb << " = arith.muli %ch, " << chunkLen << " : index\n";
  wg.chunkScale();
  std::vector<std::string> sc(4), zz(4);
  auto loadSplats = [&](const std::string &k) {
    std::string g = pk.group(k);
    for (int64_t t = 0; t < 4; ++t)
      std::tie(sc[t], zz[t]) = pk.scaleAndZero(g, nc[t]);
  };
  const bool groupPerChunk = s.groupLen % chunkK == 0;
  if (groupPerChunk)
    loadSplats(kb);

  std::vector<std::string> acc(2 * jTiles);
  for (size_t i = 0; i < acc.size(); ++i)
    acc[i] = "%acc" + std::to_string(i);
  for (int64_t step = 0; step < p.steps; ++step) {
    if (step)
      wg.wait();
    if (!groupPerChunk) {
      std::string k0 = step ? e.add(kb, e.cst(16 * step)) : kb;
      loadSplats(k0);
    }
    // Tile t's two registers: K 2i + {0, 1} (r = 0) and 2i + 8 + {0, 1}
    // (r = 1) of column 8t + g.
    std::string w[4][2];
    for (int64_t t = 0; t < 4; ++t)
      for (int r = 0; r < 2; ++r) {
        int64_t pair = (step * 4 + t) * 2 + r;
        w[t][r] = pairWord(e, pk.decodePair(pk.word[pair / perWord],
                                            pair % perWord, zz[t], sc[t]));
      }
    std::string desc = stager.descriptor(step);
    e.line() << "nvvm.wgmma.fence.aligned\n";
    for (int h = 0; h < 2; ++h) {
      // A registers: (row g, K lo), (row g + 8, K lo), (g, K hi),
      // (g + 8, K hi); rows g and g + 8 are n-tiles 2h and 2h + 1.
      const std::string regs[4] = {w[2 * h][0], w[2 * h + 1][0],
                                   w[2 * h][1], w[2 * h + 1][1]};
      wg.call(step, regs, desc, "", acc, h * jTiles);
    }
    wg.stepEnd();
  }
  wg.groupEnd();
  wg.loopEnd();
  pk.closeLoop(acc);

  // [r][c] of accumulator h * jTiles + j: column n0 + 16h + 8r + g, row
  // m0 + 8j + 2i + c.
  pk.sumWarpsAndStore([&](int64_t t, int r, int c, const std::string &v) {
    int64_t h = t / jTiles, j = t % jTiles;
    std::string col = e.add(e.add("%n0", e.cst(16 * h + 8 * r)), "%grp");
    std::string row = e.add(e.add("%m0", e.cst(8 * j)), "%kc");
    if (c)
      row = e.add(row, "%c1");
    e.storeValue(v, row, col,
                 e.conj(e.below(row, "%cM", guardM),
                        e.below(col, "%cN", guardN)));
  });
  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

std::string buildWgmmaSparseGemmKernelText(llvm::StringRef name,
                                           const ComposedShape &c,
                                           const PackedSparsePlan &p) {
  const bool values = c.main == ComposedShape::Main::Floats;
  KernelShape s = c.base;
  s.warps = p.warps; // one or two warpgroups
  if (values)
    s.bits = 16;
  const int64_t rows = p.wgmmaRows, jTiles = rows / 8;
  const int64_t chunkK = 32 * p.steps;
  const bool guardM = s.m % rows != 0;
  const bool guardN = s.n % 16 != 0 || p.tiles % p.colWarps != 0;
  const std::string metaType =
      memrefType({p.tiles, p.chunks * p.steps, 16}, "i32");
  TextEmitter e(s);
  PackedEmitter pk(e, s, p.chunks,
                   memrefType({p.tiles, p.chunks, 128}, "i32"), p.groupsPad,
                   16 * p.tiles, p.prefetch);
  e.fragmentPrologue();
  pk.constants();
  e.metaSlot();
  // Warp w's 16 columns are A rows 16 (w % 4) .. + 15 of its warpgroup's
  // wgmma: rows g and g + 8 are columns na and nb, as in mma.sp's A.
  const std::string loadTile = pk.sparseTile(true, p.colWarps, p.tiles);
  ActivationStager stager(e, p.stage);
  std::string header =
      pk.header(", %meta: " + metaType, 0, stager.attribution());
  std::string rowsC = e.cst(rows);
  e.line() << "%m0 = arith.muli %by, " << rowsC << " : index\n";
  stager.prologue("%m0", ActivationStager::Operand::WgmmaB, 1, 2);
  // The ring's slots are k-steps (global step t = S ch + s): with it
  // lagging one (three stages or more) step t refills the slot of t - 2,
  // so one step's wgmma stays in flight while the next decodes (not with
  // one-step chunks, whose prefetched words, the next step's A registers,
  // are rotated at the top of the chunk: ptxas serializes that, C7513);
  // otherwise each step's wgmma are waited for at its end.
  WgmmaEmitter wg(e, rows, 1, /*sparse=*/true, p.stage.lag == 1);
  std::string init = wg.beforeLoop();

  // Accumulator j: batch rows 8j .. 8j + 7.
  pk.openLoop(jTiles, init);
  std::string chunkLen = e.cst(chunkK), kb = e.fresh("kb");
  e.line() << kb << " = arith.muli %ch, " << chunkLen << " : index\n";
  std::string stepsPer = e.cst(p.steps), sb = e.fresh("sb");
  e.line() << sb << " = arith.muli %ch, " << stepsPer << " : index\n";
  wg.chunkScale();
  std::string sc[2], zz[2];
  auto loadSplats = [&](const std::string &k) {
    std::string g = pk.group(k);
    for (int h = 0; h < 2; ++h)
      std::tie(sc[h], zz[h]) = pk.scaleAndZero(g, h ? "%lb" : "%la");
  };
  const bool groupPerChunk = values || s.groupLen % chunkK == 0;
  if (groupPerChunk && !values)
    loadSplats(kb);

  std::vector<std::string> acc(jTiles);
  for (int64_t j = 0; j < jTiles; ++j)
    acc[j] = "%acc" + std::to_string(j);
  for (int64_t step = 0; step < p.steps; ++step) {
    wg.wait();
    stager.beginChunk(step ? e.add(sb, e.cst(step)) : sb);
    std::string k0 = step ? e.add(kb, e.cst(32 * step)) : kb;
    if (!groupPerChunk)
      loadSplats(k0);
    // The metadata register: mma.sp's and wgmma.sp's (selector 0) are the
    // same per warp (lanes 4g and 4g + 1: rows g and g + 8, K halves).
    std::string gs = step ? e.add(sb, e.cst(step)) : sb;
    std::string md = e.metaWord(loadTile, gs, metaType);
    // A register r: pair 4 step + r, row (r % 2 ? nb : na), kept entries
    // (r / 2) 8 + 2 tig + {0, 1} of the step: the dense A layout over the
    // kept values, as wgmma.sp takes it.
    std::string a[4];
    for (int r = 0; r < 4; ++r) {
      int64_t pair = 4 * step + r;
      std::string wv = values ? halfPair(e, pk.word[pair])
                              : pk.decodePair(pk.word[pair / p.steps],
                                              pair % p.steps, zz[r % 2],
                                              sc[r % 2]);
      a[r] = pairWord(e, wv);
    }
    std::string desc = stager.descriptor(0, 4);
    e.line() << "nvvm.wgmma.fence.aligned\n";
    wg.call(step, a, desc, md, acc, 0);
    wg.stepEnd();
    wg.groupEnd();
  }
  wg.loopEnd();
  pk.closeLoop(acc);

  // [r][c] of accumulator j: D row 16 (w % 4) + g + 8r (column na or nb),
  // column 8j + 2i + c (row m0 + 8j + 2i + c): as mma.sp's.
  pk.storeSparseTiles(guardM, guardN);
  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
