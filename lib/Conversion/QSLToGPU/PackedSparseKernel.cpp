//===- PackedSparseKernel.cpp - Packed 2:4 GEMM on mma.sp -----------------===//
//
// 2:4 weights along K (float values held as f16, or quantized codes with
// scales and zero points) on the sparse tensor cores, mma.sp m16n8k32 on
// the transposed problem: the weight is the sparse operand A, in the
// fragment order of Compress/GpuLayout.h (packMmaSparseWords), so a lane's
// A registers of a chunk are one 16-byte load; codes decode with the same
// f16x2 arithmetic as the dense packed GEMM (PackedEmitter.h). One row
// block (up to 4 m-tiles of 8 rows): warps split K; several: 8 m-tiles per
// block, warps side by side along N, activations staged in shared memory
// (ActivationStaging.h). docs/codegen/gpu.md describes both.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "PackedEmitter.h"

#include "qsl/Compress/GpuLayout.h"

#include <algorithm>
#include <tuple>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

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
  const int64_t wgWarps = p.tiles >= 8 ? 8 : 4;
  if (rowBlocks > 1 && (p.wgmmaRows = wgmmaRows(s, 2, 32 * wgWarps))) {
    // sm_90a: wgmma.mma_async.sp, one or two warpgroups side by side (64
    // columns each), the activations staged as core matrices one k-step
    // (32 K) per slot: a chunk of 2 to 8 steps at 128 rows would not fit
    // two stages in shared memory.
    p.columns = true;
    p.colWarps = p.warps = wgWarps;
    p.stage = stagePlan(s, p.wgmmaRows, 32, 32 * wgWarps, s.aStages);
    p.stage.coreMatrices = true;
    // One step's wgmma in flight while the next decodes needs a chunk of
    // two steps or more (else the next step's A registers are its own).
    p.stage.lag = p.stage.stages >= 3 && p.steps >= 2 ? 1 : 0;
  } else if (rowBlocks > 1) {
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
  if (p.wgmmaRows)
    return buildWgmmaSparseGemmKernelText(name, c, p);
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
  // the block's tile (split K), or one of colWarps adjacent ones; the tile
  // its loads read (rows %la, %lb of the group tables).
  const std::string loadTile =
      pk.sparseTile(p.columns, p.colWarps, p.tiles);
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
    std::string md = e.metaRegister(loadTile, gs, metaType);
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
  pk.storeSparseTiles(guardM, guardN);

  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
