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
  if (wanted < 2 || !s.inType || !(s.inType.isF16() || s.inType.isF32()) ||
      rows % 16 || chunkK % 16 || threads % 32)
    return p;
  p.elemBytes = s.inType.isF16() ? 2 : 4;
  if (const ConvGeometry *g = s.conv) {
    bool pointwise = g->kh == 1 && g->kw == 1 && g->strideH == 1 &&
                     g->strideW == 1 && g->padTop == 0 && g->padLeft == 0 &&
                     g->outH == g->height && g->outW == g->width &&
                     g->groups == 1;
    if (pointwise && (g->height * g->width) % p.granuleElems() == 0) {
      p.kMajor = true;
      p.images = g->images;
      p.channels = g->channels;
      p.pixels = g->height * g->width;
    } else if (p.elemBytes == 4 && g->groups == 1 && threads >= 64) {
      // cp.async copies 4 bytes at least: not f16 elements. With one warp
      // a gathered tile is not shared, and costs as many gathers as the
      // warp's own.
      p.gather = g;
    } else {
      return p;
    }
  } else if (s.k % p.granuleElems()) {
    return p;
  }
  p.rows = rows;
  p.chunkK = chunkK;
  p.threads = threads;
  int64_t granules = p.lines() * p.rowGranules();
  if (p.gather) {
    // The padding slots (when the threads do not divide the tile) zero-fill
    // granules past it: a copy of 0 source bytes still writes.
    p.slots = (rows * chunkK + threads - 1) / threads * threads;
    p.granules = p.slots / 4;
  } else {
    p.granules = (granules + threads - 1) / threads * threads;
  }
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
  elems = e.cst(p.granuleElems());
  e.line() << "%asKLast = arith.subi %cK, " << elems << " : index\n";
  e.line() << "%asCLast = arith.subi %cK, %c1 : index\n";
  e.line() << "%asMLast = arith.subi %cM, %c1 : index\n";
  e.line() << "%asRows = arith.constant " << p.rows << " : index\n";
  e.line() << "%zfrag = arith.constant dense<0.0> : vector<4x2xf16>\n";
  e.line() << "%asChunk = arith.constant " << p.chunkK << " : index\n";
  if (p.gather)
    gatherCopies(rowBase);
  else
    granuleCopies(rowBase);
  fragmentAddresses(operand, tiles, steps);
  for (int64_t c = 0; c + 1 + p.lag < p.stages; ++c) {
    std::string chunk = e.cst(c);
    issue(chunk, chunk);
    if (c == 0)
      firstGroup = lastGroup;
  }
}

void ActivationStager::granuleCopies(const std::string &rowBase) {
  const int64_t G = p.rowGranules();
  std::string gw = e.cst(G);
  if (p.kMajor) {
    // The image's channel planes as [images, C, H*W].
    const char *t = p.elemBytes == 2 ? "f16" : "f32";
    source = "%asx";
    sourceType = "memref<" + std::to_string(p.images) + "x" +
                 std::to_string(p.channels) + "x" + std::to_string(p.pixels) +
                 "x" + t + ">";
    e.line() << source << " = memref.collapse_shape %x [[0], [1], [2, 3]] : "
             << "@@XT@@ into " << sourceType << "\n";
    e.line() << "%asHW = arith.constant " << p.pixels << " : index\n";
    e.line() << "%asMGran = arith.subi %cM, " << elems << " : index\n";
  }
  for (int64_t i = 0; i < p.copiesPerThread(); ++i) {
    Copy c;
    std::string idx = i ? e.add("%tid", e.cst(i * p.threads)) : "%tid";
    std::string r = e.fresh("asr"), g = e.fresh("asg"), k = e.fresh("ask");
    if (p.coreMatrices) {
      // Copy idx: row 8 (idx / 8G) + idx % 8, granule (idx / 8) % G, so
      // the 8 threads of a quarter-warp write one core matrix; padding
      // copies (idx >= rows G) zero-fill granule idx, past the tile.
      std::string q = e.fresh("asq"), rr = e.fresh("asrr"),
                  rb = e.fresh("asrb"), g8 = e.cst(8 * G);
      e.line() << rr << " = arith.remui " << idx << ", %c8 : index\n";
      e.line() << q << " = arith.divui " << idx << ", %c8 : index\n";
      e.line() << g << " = arith.remui " << q << ", " << gw << " : index\n";
      e.line() << rb << " = arith.divui " << idx << ", " << g8
               << " : index\n";
      std::string r8 = e.fresh("asr8"), core = e.fresh("ascm"),
                  cm8 = e.fresh("ascm8"), inT = e.fresh("asct"),
                  sel = e.fresh("ascg");
      e.line() << r8 << " = arith.muli " << rb << ", %c8 : index\n";
      e.line() << r << " = arith.addi " << r8 << ", " << rr << " : index\n";
      // Core matrix g (rows / 8) + rb, row rr of it.
      std::string perG = e.cst(p.rows / 8), tileG = e.cst(p.rows * G);
      std::string gr = e.fresh("asgr");
      e.line() << gr << " = arith.muli " << g << ", " << perG << " : index\n";
      e.line() << core << " = arith.addi " << gr << ", " << rb << " : index\n";
      e.line() << cm8 << " = arith.muli " << core << ", %c8 : index\n";
      std::string at = e.add(cm8, rr);
      e.line() << inT << " = arith.cmpi ult, " << idx << ", " << tileG
               << " : index\n";
      e.line() << sel << " = arith.select " << inT << ", " << at << ", "
               << idx << " : index\n";
      c.granule = sel;
    } else {
      e.line() << r << " = arith.divui " << idx << ", " << gw << " : index\n";
      e.line() << g << " = arith.remui " << idx << ", " << gw << " : index\n";
      c.granule = swizzle(e, r, g, G);
    }
    e.line() << k << " = arith.muli " << g << ", " << elems << " : index\n";
    std::string inTile = e.fresh("asin"), inM = e.fresh("asinm");
    if (p.kMajor) {
      // Line r is channel chunk * chunkK + r; granule g holds pixels
      // rowBase + E g ... of image m / HW, plane offset m % HW (a granule
      // never straddles two images: HW % E == 0).
      std::string m = e.add(rowBase, k), mc = e.fresh("asmc"),
                  img = e.fresh("asimg"), px = e.fresh("aspx");
      e.line() << inTile << " = arith.cmpi ult, " << r
               << ", %asChunk : index\n";
      e.line() << inM << " = arith.cmpi ult, " << m << ", %cM : index\n";
      // Clamped to the last granule (M % E == 0), so still 16-byte aligned.
      e.line() << mc << " = arith.minui " << m << ", %asMGran : index\n";
      e.line() << img << " = arith.divui " << mc << ", %asHW : index\n";
      e.line() << px << " = arith.remui " << mc << ", %asHW : index\n";
      c.row = img;
      c.pixel = px;
      c.kOffset = r;
    } else {
      // Padding granules (r >= rows) and rows past M copy nothing.
      std::string row = e.add(rowBase, r), clamped = e.fresh("asrow");
      e.line() << inTile << " = arith.cmpi ult, " << r << ", %asRows : index\n";
      e.line() << inM << " = arith.cmpi ult, " << row << ", %cM : index\n";
      e.line() << clamped << " = arith.minui " << row << ", %asMLast : index\n";
      c.row = clamped;
      c.kOffset = k;
    }
    c.rowOk = e.conj(inTile, inM);
    copies.push_back(c);
  }
}

void ActivationStager::fragmentAddresses(Operand operand, int64_t tiles,
                                         int64_t steps) {
  const int64_t G = p.rowGranules();
  const bool isA = operand == Operand::MmaA;
  if (operand == Operand::WgmmaB) {
    // The ring's shared-space address (a descriptor holds bits 4-17).
    std::string at = e.fresh("asptr");
    e.line() << at << " = memref.extract_aligned_pointer_as_index %as : "
             << type() << " -> index\n";
    e.line() << "%asaddr = arith.index_cast " << at << " : index to i64\n";
    return;
  }
  if (p.kMajor && p.elemBytes == 4) {
    // K-major f32: element (m, k) of register r is at line k, granule
    // m / 4, element m % 4; m = (A) 16 t + 8 (r % 2) + grp, k = 16 step +
    // 8 (r / 2) + 2 tig + {0, 1}, or (B) m = 8 t + grp, k = 32 step + 8 r +
    // 2 tig + {0, 1}.
    std::string q = e.fresh("atq"), k2 = e.fresh("atk");
    e.line() << q << " = arith.divui %grp, %c4 : index\n";
    regOffset = e.fresh("atoff");
    e.line() << regOffset << " = arith.remui %grp, %c4 : index\n";
    e.line() << k2 << " = arith.muli %tig, %c2 : index\n";
    regGranule.assign(tiles, std::vector<std::vector<std::string>>(steps));
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t st = 0; st < steps; ++st)
        for (int r = 0; r < 4; ++r)
          for (int h = 0; h < 2; ++h) {
            int64_t gran = isA ? 4 * t + 2 * (r % 2) : 2 * t;
            int64_t line = (isA ? 16 * st + 8 * (r / 2) : 32 * st + 8 * r) + h;
            std::string lineIdx = e.add(k2, e.cst(line));
            std::string granIdx = e.add(q, e.cst(gran));
            regGranule[t][st].push_back(swizzle(e, lineIdx, granIdx, G));
          }
  } else if (p.kMajor) {
    // K-major f16: ldmatrix.trans of 8 x 8 matrices whose rows are 8
    // consecutive K and columns 8 pixels; lane l gives line (matrix j =
    // l / 8) (A) 16 step + 8 (j / 2) + l % 8 at granule 2 t + j % 2, or
    // (B) 32 step + 8 j + l % 8 at granule t. Transposed, lane l receives
    // pixel l / 4 at K 2 (l % 4) and 2 (l % 4) + 1: the mma operand.
    std::string l8 = e.fresh("alr"), j = e.fresh("alj");
    e.line() << l8 << " = arith.remui %lane, %c8 : index\n";
    e.line() << j << " = arith.divui %lane, %c8 : index\n";
    std::string lineBase = l8, granBase = "%c0";
    if (isA) {
      std::string jh = e.fresh("aljh"), jl = e.fresh("aljl"),
                  off = e.fresh("aloff");
      e.line() << jh << " = arith.divui " << j << ", %c2 : index\n";
      e.line() << jl << " = arith.remui " << j << ", %c2 : index\n";
      e.line() << off << " = arith.muli " << jh << ", %c8 : index\n";
      lineBase = e.add(l8, off);
      granBase = jl;
    } else {
      std::string off = e.fresh("aloff");
      e.line() << off << " = arith.muli " << j << ", %c8 : index\n";
      lineBase = e.add(l8, off);
    }
    fragmentGranule.assign(tiles, std::vector<std::string>(steps));
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t st = 0; st < steps; ++st) {
        std::string line = e.add(lineBase, e.cst((isA ? 16 : 32) * st));
        std::string gran = e.add(granBase, e.cst(isA ? 2 * t : t));
        fragmentGranule[t][st] = swizzle(e, line, gran, G);
      }
  } else if (p.elemBytes == 4) {
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
}

void ActivationStager::gatherCopies(const std::string &rowBase) {
  // Copy slot i of thread t is element (r, kk) = ((t + i T) mod rows,
  // (t + i T) / rows) of the tile, so consecutive threads read consecutive
  // output pixels at the same tap; its pixel's image and the corner of its
  // receptive field are known before the loop, the tap (c, i, j) per chunk.
  const ConvGeometry &g = *p.gather;
  const int64_t G = p.rowGranules();
  e.line() << "%agOHW = arith.constant " << g.outH * g.outW << " : index\n";
  e.line() << "%agOW = arith.constant " << g.outW << " : index\n";
  std::string sh = e.cst(g.strideH), sw = e.cst(g.strideW),
              top = e.cst(g.padTop), left = e.cst(g.padLeft);
  for (int64_t i = 0; i < p.copiesPerThread(); ++i) {
    Copy c;
    std::string idx = i ? e.add("%tid", e.cst(i * p.threads)) : "%tid";
    std::string r = e.fresh("agr"), kk = e.fresh("agk"), q = e.fresh("agq");
    e.line() << r << " = arith.remui " << idx << ", %asRows : index\n";
    e.line() << kk << " = arith.divui " << idx << ", %asRows : index\n";
    e.line() << q << " = arith.divui " << kk << ", %c4 : index\n";
    c.granule = swizzle(e, r, q, G);
    c.offset = e.fresh("ago");
    e.line() << c.offset << " = arith.remui " << kk << ", %c4 : index\n";
    if (p.slots > p.rows * p.chunkK) {
      // A padding slot (kk >= chunkK) writes element idx of the padding.
      std::string inChunk = e.fresh("agpc"), padG = e.fresh("agpg"),
                  padO = e.fresh("agpo"), gSel = e.fresh("ags"),
                  oSel = e.fresh("agso");
      e.line() << inChunk << " = arith.cmpi ult, " << kk
               << ", %asChunk : index\n";
      e.line() << padG << " = arith.divui " << idx << ", %c4 : index\n";
      e.line() << padO << " = arith.remui " << idx << ", %c4 : index\n";
      e.line() << gSel << " = arith.select " << inChunk << ", " << c.granule
               << ", " << padG << " : index\n";
      e.line() << oSel << " = arith.select " << inChunk << ", " << c.offset
               << ", " << padO << " : index\n";
      c.granule = gSel;
      c.offset = oSel;
    }
    c.kOffset = kk;
    std::string m = e.add(rowBase, r), inTile = e.fresh("agin"),
                inM = e.fresh("aginm"), mc = e.fresh("agmc"),
                img = e.fresh("agimg"), rem = e.fresh("agrem"),
                oh = e.fresh("agoh"), ow = e.fresh("agow");
    e.line() << inTile << " = arith.cmpi ult, " << kk << ", %asChunk : index\n";
    e.line() << inM << " = arith.cmpi ult, " << m << ", %cM : index\n";
    c.rowOk = e.conj(inTile, inM);
    e.line() << mc << " = arith.minui " << m << ", %asMLast : index\n";
    e.line() << img << " = arith.divui " << mc << ", %agOHW : index\n";
    e.line() << rem << " = arith.remui " << mc << ", %agOHW : index\n";
    e.line() << oh << " = arith.divui " << rem << ", %agOW : index\n";
    e.line() << ow << " = arith.remui " << rem << ", %agOW : index\n";
    c.row = img;
    // The receptive field's corner: oh sh - top, ow sw - left (signed).
    std::string hs = e.fresh("aghs"), ws = e.fresh("agws");
    e.line() << hs << " = arith.muli " << oh << ", " << sh << " : index\n";
    e.line() << ws << " = arith.muli " << ow << ", " << sw << " : index\n";
    c.ih0 = e.fresh("agih0");
    c.iw0 = e.fresh("agiw0");
    e.line() << c.ih0 << " = arith.subi " << hs << ", " << top << " : index\n";
    e.line() << c.iw0 << " = arith.subi " << ws << ", " << left << " : index\n";
    copies.push_back(c);
  }
}

/// The gathered copy of one element: tap k = (c, i, j) of the chunk, the
/// input pixel (ih0 + i dh, iw0 + j dw), zero outside the image or past K.
std::string ActivationStager::gatherCopy(const Copy &c, const std::string &kb,
                                         const std::string &slotName) {
  const ConvGeometry &g = *p.gather;
  const int64_t taps = g.kh * g.kw;
  std::string k = e.add(kb, c.kOffset), inK = e.fresh("agik"),
              kc = e.fresh("agkc"), ch = e.fresh("agc"), tr = e.fresh("agt"),
              ti = e.fresh("agti"), tj = e.fresh("agtj");
  e.line() << inK << " = arith.cmpi ult, " << k << ", %cK : index\n";
  e.line() << kc << " = arith.minui " << k << ", %asCLast : index\n";
  std::string tapsC = e.cst(taps), kwC = e.cst(g.kw);
  e.line() << ch << " = arith.divui " << kc << ", " << tapsC << " : index\n";
  e.line() << tr << " = arith.remui " << kc << ", " << tapsC << " : index\n";
  e.line() << ti << " = arith.divui " << tr << ", " << kwC << " : index\n";
  e.line() << tj << " = arith.remui " << tr << ", " << kwC << " : index\n";
  auto coordinate = [&](const std::string &base, const std::string &tap,
                        int64_t dil, int64_t extent, std::string &clamped) {
    std::string off = e.fresh("agd"), at = e.fresh("aga"), lo = e.fresh("aglo"),
                hi = e.fresh("aghi");
    std::string dilC = e.cst(dil);
    e.line() << off << " = arith.muli " << tap << ", " << dilC << " : index\n";
    e.line() << at << " = arith.addi " << base << ", " << off << " : index\n";
    e.line() << lo << " = arith.cmpi sge, " << at << ", %c0 : index\n";
    std::string last = e.cst(extent - 1);
    e.line() << hi << " = arith.cmpi sle, " << at << ", " << last
             << " : index\n";
    std::string up = e.fresh("agup");
    clamped = e.fresh("agcl");
    e.line() << up << " = arith.maxsi " << at << ", %c0 : index\n";
    e.line() << clamped << " = arith.minsi " << up << ", " << last
             << " : index\n";
    return e.conj(lo, hi);
  };
  std::string ih, iw;
  std::string inH = coordinate(c.ih0, ti, g.dilH, g.height, ih);
  std::string inW = coordinate(c.iw0, tj, g.dilW, g.width, iw);
  std::string ok = e.conj(e.conj(c.rowOk, inK), e.conj(inH, inW));
  std::string n = e.fresh("agn"), tok = e.fresh("agt");
  e.line() << n << " = arith.select " << ok << ", %c1, %c0 : index\n";
  e.line() << tok << " = nvgpu.device_async_copy %x[" << c.row << ", " << ch
           << ", " << ih << ", " << iw << "], %as[" << slotName << ", "
           << c.granule << ", " << c.offset << "], 1, " << n << " : @@XT@@ to "
           << type() << "\n";
  return tok;
}

void ActivationStager::issue(const std::string &chunk,
                             const std::string &slotName) {
  std::string kb = e.fresh("askb");
  e.line() << kb << " = arith.muli " << chunk << ", %asChunk : index\n";
  std::vector<std::string> tokens;
  for (const Copy &c : copies) {
    if (p.gather) {
      tokens.push_back(gatherCopy(c, kb, slotName));
      continue;
    }
    // Granule K offset (a matrix) or channel (K-major) of this chunk,
    // clamped into the tensor; nothing copied past K.
    std::string k = e.add(kb, c.kOffset), inK = e.fresh("asik"),
                kc = e.fresh("askc"), n = e.fresh("asn"), tok = e.fresh("ast");
    e.line() << inK << " = arith.cmpi ult, " << k << ", %cK : index\n";
    std::string ok = e.conj(c.rowOk, inK);
    e.line() << n << " = arith.select " << ok << ", " << elems
             << ", %c0 : index\n";
    e.line() << kc << " = arith.minui " << k << ", "
             << (p.kMajor ? "%asCLast" : "%asKLast") << " : index\n";
    std::string at =
        p.kMajor ? c.row + ", " + kc + ", " + c.pixel : c.row + ", " + kc;
    e.line() << tok << " = nvgpu.device_async_copy " << source << "[" << at
             << "], %as[" << slotName << ", " << c.granule << ", %c0], "
             << p.granuleElems() << ", " << n << " {bypassL1} : " << sourceType
             << " to " << type() << "\n";
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
           << " {numGroups = " << (p.stages - 2 - p.lag) << " : i32}\n";
  if (p.coreMatrices) {
    // wgmma reads through the async proxy, which this thread's copies must
    // be fenced into. (The kernel has waited for the wgmma that read the
    // slot refilled below.)
    e.line() << "nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, "
                "space = #nvvm.shared_space<cta>}\n";
  }
  e.line() << "gpu.barrier\n";
  std::string ahead = e.add(ch, e.cst(p.stages - 1 - p.lag));
  std::string nextSlot = e.fresh("asns");
  e.line() << nextSlot << " = arith.remui " << ahead << ", " << stages
           << " : index\n";
  issue(ahead, nextSlot);
}

std::string ActivationStager::descriptor(int64_t step, int64_t kGranules) {
  // Core matrices 8 rows x 16 bytes: K-adjacent ones (LBO) rows / 8 core
  // matrices apart, row-adjacent ones (SBO) 128 bytes; k-step `step`
  // starts at granule kGranules step of every row. Fields in 16-byte
  // units: start address bits 0-13, LBO bits 16-29, SBO bits 32-45; no
  // swizzle (bits 62-63 0).
  const int64_t lbo = p.rows / 8 * 128, sbo = 128;
  const int64_t fixed = (lbo >> 4) << 16 | (sbo >> 4) << 32;
  std::string stageBytes = e.cst(p.granules * 16),
              stepBytes = e.cst(step * lbo * kGranules);
  std::string so = e.fresh("wds"), off = e.fresh("wdo"), off64 = e.fresh("wdq"),
              at = e.fresh("wda"), sh = e.fresh("wdh"), fld = e.fresh("wdf"),
              d = e.fresh("wdesc");
  e.line() << so << " = arith.muli " << slot << ", " << stageBytes
           << " : index\n";
  e.line() << off << " = arith.addi " << so << ", " << stepBytes
           << " : index\n";
  e.line() << off64 << " = arith.index_cast " << off << " : index to i64\n";
  e.line() << at << " = arith.addi %asaddr, " << off64 << " : i64\n";
  std::string four = e.fresh("wd4"), mask = e.fresh("wdm"),
              hi = e.fresh("wdhi");
  e.line() << four << " = arith.constant 4 : i64\n";
  e.line() << mask << " = arith.constant " << 0x3FFF << " : i64\n";
  e.line() << hi << " = arith.constant " << fixed << " : i64\n";
  e.line() << sh << " = arith.shrui " << at << ", " << four << " : i64\n";
  e.line() << fld << " = arith.andi " << sh << ", " << mask << " : i64\n";
  e.line() << d << " = arith.ori " << fld << ", " << hi << " : i64\n";
  return d;
}

std::string ActivationStager::fragment(int64_t tile, int64_t step) {
  if (p.elemBytes == 4) {
    // Register r: an f32 pair, one load (a matrix: K adjacent) or two
    // (K-major: lines k and k + 1), rounded to an f16 pair.
    std::string frag = "%zfrag";
    const std::vector<std::string> &at = regGranule[tile][step];
    for (int r = 0; r < 4; ++r) {
      std::string pair = e.fresh("asp");
      if (p.kMajor) {
        std::string v[2];
        for (int h = 0; h < 2; ++h) {
          v[h] = e.fresh("asv");
          e.line() << v[h] << " = memref.load %as[" << slot << ", "
                   << at[2 * r + h] << ", " << regOffset << "] : " << type()
                   << "\n";
        }
        e.line() << pair << " = vector.from_elements " << v[0] << ", " << v[1]
                 << " : vector<2xf32>\n";
      } else {
        e.line() << pair << " = vector.load %as[" << slot << ", " << at[r]
                 << ", " << regOffset << "] {alignment = 8 : i64} : " << type()
                 << ", vector<2xf32>\n";
      }
      std::string h = e.fresh("ash"), next = e.fresh("asf");
      e.line() << h << " = arith.truncf " << pair
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
           << ", %c0] {numTiles = 4 : i32, transpose = "
           << (p.kMajor ? "true" : "false") << "} : " << type()
           << " -> vector<4x2xf16>\n";
  return a;
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
