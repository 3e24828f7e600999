//===- ActivationStaging.cpp - A tiles through shared memory --------------===//
//
// See ActivationStaging.h.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"

#include <algorithm>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

StagePlan stagePlan(const KernelShape &s, int64_t rows, int64_t chunkK,
                    int64_t threads, int64_t wanted) {
  StagePlan p;
  if (wanted < 2 || s.conv || !s.inType ||
      !(s.inType.isF16() || s.inType.isF32()) || rows % 16 || chunkK % 16 ||
      threads % 32)
    return p;
  p.elemBytes = s.inType.isF16() ? 2 : 4;
  if (s.k % p.granuleElems())
    return p;
  p.rows = rows;
  p.chunkK = chunkK;
  p.threads = threads;
  int64_t granules = rows * p.rowGranules();
  p.granules = (granules + threads - 1) / threads * threads;
  p.stages = std::min(wanted, kStageMaxBytes / (p.granules * 16));
  if (p.stages < 2)
    p.stages = 0;
  return p;
}

std::string ActivationStager::type() const {
  return "memref<" + std::to_string(p.stages) + "x" +
         std::to_string(p.granules) + "x" + std::to_string(p.granuleElems()) +
         (p.elemBytes == 2 ? "xf16" : "xf32") +
         ", #gpu.address_space<workgroup>>";
}

std::string ActivationStager::attribution() const {
  return "%as: " + type() + " {llvm.align = 16 : i64}";
}

namespace {
/// The swizzled granule of (row, granule) names, G granules per row.
std::string swizzle(TextEmitter &e, const std::string &row,
                    const std::string &g, int64_t rowGranules) {
  // Rows r and r + 8 / G ... share a 128-byte line: XOR the granule with
  // (r / (8 / G)) mod G (with r mod 8 for G >= 8).
  int64_t shift = 0;
  while (rowGranules < 8 && (int64_t(1) << shift) * rowGranules < 8)
    ++shift;
  int64_t mask = std::min<int64_t>(rowGranules, 8) - 1;
  std::string sh = e.cst(shift), mk = e.cst(mask), gw = e.cst(rowGranules);
  std::string h = e.fresh("swh"), hm = e.fresh("swm"), x = e.fresh("swx"),
              base = e.fresh("swb");
  e.line() << h << " = arith.shrui " << row << ", " << sh << " : index\n";
  e.line() << hm << " = arith.andi " << h << ", " << mk << " : index\n";
  e.line() << x << " = arith.xori " << g << ", " << hm << " : index\n";
  e.line() << base << " = arith.muli " << row << ", " << gw << " : index\n";
  return e.add(base, x);
}
} // namespace

void ActivationStager::prologue(const std::string &rowBase, Operand operand,
                                int64_t tiles, int64_t steps) {
  const int64_t G = p.rowGranules();
  std::string gw = e.cst(G);
  std::string elems = e.cst(p.granuleElems());
  e.line() << "%asKLast = arith.subi %cK, " << elems << " : index\n";
  e.line() << "%asElems = arith.addi " << elems << ", %c0 : index\n";
  e.line() << "%asMLast = arith.subi %cM, %c1 : index\n";
  e.line() << "%asRows = arith.constant " << p.rows << " : index\n";
  e.line() << "%zfrag = arith.constant dense<0.0> : vector<4x2xf16>\n";
  e.line() << "%asChunk = arith.constant " << p.chunkK << " : index\n";
  for (int64_t i = 0; i < p.copiesPerThread(); ++i) {
    Copy c;
    std::string idx = i ? e.add("%tid", e.cst(i * p.threads)) : "%tid";
    std::string r = e.fresh("asr"), g = e.fresh("asg"), k = e.fresh("ask");
    e.line() << r << " = arith.divui " << idx << ", " << gw << " : index\n";
    e.line() << g << " = arith.remui " << idx << ", " << gw << " : index\n";
    e.line() << k << " = arith.muli " << g << ", %asElems : index\n";
    c.granule = swizzle(e, r, g, G);
    c.kOffset = k;
    // Padding granules (r >= rows) and rows past M copy nothing.
    std::string row = e.add(rowBase, r), inTile = e.fresh("asin"),
                inM = e.fresh("asinm"), clamped = e.fresh("asrow");
    e.line() << inTile << " = arith.cmpi ult, " << r << ", %asRows : index\n";
    e.line() << inM << " = arith.cmpi ult, " << row << ", %cM : index\n";
    c.rowOk = e.conj(inTile, inM);
    e.line() << clamped << " = arith.minui " << row << ", %asMLast : index\n";
    c.row = clamped;
    copies.push_back(c);
  }
  const bool isA = operand == Operand::MmaA;
  if (p.elemBytes == 4) {
    // f32: register r of lane (grp, tig) is the f32 pair at row
    // (A) 16 t + grp + 8 (r % 2), K 16 step + 8 (r / 2) + 2 tig, or
    // (B) 8 t + grp, K 32 step + 8 r + 2 tig: granule K / 4, element
    // 2 (tig % 2) of it.
    std::string half = e.fresh("atg"), odd = e.fresh("ato");
    e.line() << half << " = arith.divui %tig, %c2 : index\n";
    e.line() << odd << " = arith.remui %tig, %c2 : index\n";
    regOffset = e.fresh("atoff");
    e.line() << regOffset << " = arith.muli " << odd << ", %c2 : index\n";
    regGranule.assign(tiles, std::vector<std::vector<std::string>>(steps));
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t st = 0; st < steps; ++st)
        for (int r = 0; r < 4; ++r) {
          int64_t row = isA ? 16 * t + 8 * (r % 2) : 8 * t;
          int64_t gran = isA ? 4 * st + 2 * (r / 2) : 8 * st + 2 * r;
          std::string rowIdx = e.add("%grp", e.cst(row));
          std::string granIdx = e.add(half, e.cst(gran));
          regGranule[t][st].push_back(swizzle(e, rowIdx, granIdx, G));
        }
  } else {
    // mma.sync A: lane l reads row l % 16 of its tile, granule
    // 2 step + l / 16; mma.sp B: row l % 8, granule 4 step + l / 8.
    const int64_t tileRows = isA ? 16 : 8, stepGranules = isA ? 2 : 4;
    std::string lr = e.fresh("alr"), lh = e.fresh("alh");
    e.line() << lr << " = arith.remui %lane, " << (isA ? "%c16" : "%c8")
             << " : index\n";
    e.line() << lh << " = arith.divui %lane, " << (isA ? "%c16" : "%c8")
             << " : index\n";
    fragmentGranule.assign(tiles, std::vector<std::string>(steps));
    for (int64_t t = 0; t < tiles; ++t) {
      std::string row = t ? e.add(lr, e.cst(tileRows * t)) : lr;
      for (int64_t st = 0; st < steps; ++st) {
        std::string g = st ? e.add(lh, e.cst(stepGranules * st)) : lh;
        fragmentGranule[t][st] = swizzle(e, row, g, G);
      }
    }
  }
  for (int64_t c = 0; c + 1 < p.stages; ++c) {
    std::string chunk = e.cst(c);
    issue(chunk, chunk);
    if (c == 0)
      firstGroup = lastGroup;
  }
}

void ActivationStager::issue(const std::string &chunk,
                             const std::string &slotName) {
  std::string kb = e.fresh("askb");
  e.line() << kb << " = arith.muli " << chunk << ", %asChunk : index\n";
  std::vector<std::string> tokens;
  for (const Copy &c : copies) {
    std::string k = e.add(kb, c.kOffset), inK = e.fresh("asik"),
                kc = e.fresh("askc"), n = e.fresh("asn"), tok = e.fresh("ast");
    e.line() << inK << " = arith.cmpi ult, " << k << ", %cK : index\n";
    std::string ok = e.conj(c.rowOk, inK);
    e.line() << n << " = arith.select " << ok << ", %asElems, %c0 : index\n";
    e.line() << kc << " = arith.minui " << k << ", %asKLast : index\n";
    e.line() << tok << " = nvgpu.device_async_copy %x[" << c.row << ", " << kc
             << "], %as[" << slotName << ", " << c.granule << ", %c0], "
             << p.granuleElems() << ", " << n << " {bypassL1} : @@XT@@ to "
             << type() << "\n";
    tokens.push_back(tok);
  }
  lastGroup = e.fresh("asgrp");
  e.line() << lastGroup << " = nvgpu.device_async_create_group ";
  for (size_t i = 0; i < tokens.size(); ++i)
    e.raw() << (i ? ", " : "") << tokens[i];
  e.raw() << "\n";
}

void ActivationStager::beginChunk(const std::string &ch) {
  std::string stages = e.cst(p.stages);
  slot = e.fresh("aslot");
  e.line() << slot << " = arith.remui " << ch << ", " << stages << " : index\n";
  e.line() << "nvgpu.device_async_wait " << firstGroup
           << " {numGroups = " << (p.stages - 2) << " : i32}\n";
  e.line() << "gpu.barrier\n";
  std::string ahead = e.add(ch, e.cst(p.stages - 1));
  std::string nextSlot = e.fresh("asns");
  e.line() << nextSlot << " = arith.remui " << ahead << ", " << stages
           << " : index\n";
  issue(ahead, nextSlot);
}

std::string ActivationStager::fragment(int64_t tile, int64_t step) {
  if (p.elemBytes == 4) {
    std::string frag = "%zfrag";
    for (int r = 0; r < 4; ++r) {
      std::string v = e.fresh("asv"), h = e.fresh("ash"), next = e.fresh("asf");
      e.line() << v << " = vector.load %as[" << slot << ", "
               << regGranule[tile][step][r] << ", " << regOffset
               << "] {alignment = 8 : i64} : " << type() << ", vector<2xf32>\n";
      e.line() << h << " = arith.truncf " << v
               << " : vector<2xf32> to vector<2xf16>\n";
      e.line() << next << " = vector.insert " << h << ", " << frag << " [" << r
               << "] : vector<2xf16> into vector<4x2xf16>\n";
      frag = next;
    }
    return frag;
  }
  std::string a = e.fresh("ldm");
  e.line() << a << " = nvgpu.ldmatrix %as[" << slot << ", "
           << fragmentGranule[tile][step]
           << ", %c0] {numTiles = 4 : i32, transpose = false} : " << type()
           << " -> vector<4x2xf16>\n";
  return a;
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
