//===- KernelText.h - Writing kernel bodies as MLIR text --------*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. The tensor-core families unroll their
// fragments into straight-line MLIR; TextEmitter hands out fresh SSA names,
// keeps the indentation and writes the recurring pieces (guards, activation
// loads, dequantization from the code words of Compress/GpuLayout.h). The
// text still holds @@NAME@@ placeholders of shapeVars() for substitute().
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_KERNELTEXT_H
#define QSL_LIB_CONVERSION_QSLTOGPU_KERNELTEXT_H

#include "Kernels.h"

#include <sstream>
#include <string>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// Writes one kernel body with fresh SSA names.
class TextEmitter {
public:
  explicit TextEmitter(const KernelShape &s) : s(s) {}

  std::string fresh(const char *stem) {
    return "%" + std::string(stem) + std::to_string(counter++);
  }
  std::ostringstream &line() {
    os << std::string(indent, ' ');
    return os;
  }
  /// Continues the current line.
  std::ostringstream &raw() { return os; }
  std::string str() const { return os.str(); }

  /// The start of both tensor-core kernels: index constants %c0 ... %c32,
  /// %cM, %cN, %cK, %cWARPS; the code-decoding constants %cCPW, %cGL,
  /// %cBITS, %cSHL, %cMASK; zeros %zh (f16) and %zacc (an accumulator); and
  /// each lane's place in the mma fragments: %tid, %bx, %by, %lane, %warp,
  /// %grp = lane / 4, %tig = lane % 4, %kc = 2 * tig.
  void fragmentPrologue() {
    for (int v : {0, 1, 2, 4, 8, 16, 32})
      line() << "%c" << v << " = arith.constant " << v << " : index\n";
    line() << "%cM = arith.constant @@M@@ : index\n";
    line() << "%cN = arith.constant @@N@@ : index\n";
    line() << "%cK = arith.constant @@K@@ : index\n";
    line() << "%cWARPS = arith.constant @@WARPS@@ : index\n";
    line() << "%cCPW = arith.constant " << 32 / s.bits << " : index\n";
    line() << "%cGL = arith.constant " << s.groupLen << " : index\n";
    line() << "%cBITS = arith.constant " << s.bits << " : i32\n";
    line() << "%cSHL = arith.constant " << (32 - s.bits) << " : i32\n";
    line() << "%cMASK = arith.constant " << ((1u << s.bits) - 1u)
           << " : i32\n";
    line() << "%zh = arith.constant 0.0 : f16\n";
    line() << "%zacc = arith.constant dense<0.0> : vector<2x2xf32>\n";
    line() << "%tid = gpu.thread_id x\n";
    line() << "%bx = gpu.block_id x\n";
    line() << "%by = gpu.block_id y\n";
    line() << "%lane = arith.remui %tid, %c32 : index\n";
    line() << "%warp = arith.divui %tid, %c32 : index\n";
    line() << "%grp = arith.divui %lane, %c4 : index\n";
    line() << "%tig = arith.remui %lane, %c4 : index\n";
    line() << "%kc = arith.muli %tig, %c2 : index\n";
  }

  /// The lane's slot in an mma.sp metadata table [tiles, steps, 16]
  /// (Compress/GpuLayout.h, packSparseMmaMeta): %mslot = 2 * grp + tig % 2,
  /// as the instruction (sparsity selector 0) takes the register from
  /// lanes 4g and 4g + 1 of each thread group. Needs fragmentPrologue().
  void metaSlot() {
    line() << "%half = arith.remui %tig, %c2 : index\n";
    line() << "%mg = arith.muli %grp, %c2 : index\n";
    line() << "%mslot = arith.addi %mg, %half : index\n";
  }
  /// The lane's metadata word for `tile` and `step` of `%meta` (of type
  /// `metaType`), as the i32 wgmma.sp takes.
  std::string metaWord(const std::string &tile, const std::string &step,
                       const std::string &metaType) {
    std::string mw = fresh("mw");
    line() << mw << " = memref.load %meta[" << tile << ", " << step
           << ", %mslot] : " << metaType << "\n";
    return mw;
  }
  /// The same as the vector<2xi16> nvgpu.mma.sp.sync takes.
  std::string metaRegister(const std::string &tile, const std::string &step,
                           const std::string &metaType) {
    std::string mw = metaWord(tile, step, metaType), mv = fresh("mv"),
                md = fresh("md");
    line() << mv << " = vector.broadcast " << mw << " : i32 to vector<1xi32>\n";
    line() << md << " = vector.bitcast " << mv
           << " : vector<1xi32> to vector<2xi16>\n";
    return md;
  }

  /// Opens `%res:<tiles> = scf.for <iv> = %c0 to <ub> step <step>` carrying
  /// one vector<2x2xf32> accumulator per tile (%acc0 ... from %zacc).
  void beginAccumulatorLoop(int64_t tiles, const char *iv, const char *ub,
                            const char *step) {
    line() << "%res:" << tiles << " = scf.for " << iv << " = %c0 to " << ub
           << " step " << step << " iter_args(";
    for (int64_t t = 0; t < tiles; ++t)
      raw() << (t ? ", " : "") << "%acc" << t << " = %zacc";
    raw() << ") -> (" << accumulatorTypes(tiles) << ") {\n";
    indent += 2;
  }

  /// Yields the tiles' new accumulators and closes the loop.
  void endAccumulatorLoop(const std::vector<std::string> &results) {
    line() << "scf.yield ";
    for (size_t i = 0; i < results.size(); ++i)
      raw() << (i ? ", " : "") << results[i];
    raw() << " : " << accumulatorTypes(results.size()) << "\n";
    indent -= 2;
    line() << "}\n";
  }

  /// Stores accumulator element [r][c] of tile `t` (%res#t) at GEMM row
  /// `row`, column `col` when `cond` (may be empty) holds, rounded to the
  /// output type.
  void storeAccumulator(int64_t t, int r, int c, const std::string &row,
                        const std::string &col, const std::string &cond) {
    std::string v = fresh("v");
    line() << v << " = vector.extract %res#" << t << "[" << r << ", " << c
           << "] : f32 from vector<2x2xf32>\n";
    storeValue(v, row, col, cond);
  }

  /// Stores the f32 value `v` at GEMM row `row`, column `col` when `cond`
  /// (may be empty) holds, rounded to the output type.
  void storeValue(const std::string &v, const std::string &row,
                  const std::string &col, const std::string &cond) {
    auto store = [&]() {
      std::string stored = v;
      if (s.outType.isF16()) {
        stored = fresh("vh");
        line() << stored << " = arith.truncf " << v << " : f32 to f16\n";
      }
      storeOutput(stored, row, col);
    };
    if (cond.empty())
      return store();
    line() << "scf.if " << cond << " {\n";
    indent += 2;
    store();
    indent -= 2;
    line() << "}\n";
  }

  /// `a && b` over i1 SSA names where either may be empty (= true).
  std::string conj(const std::string &a, const std::string &b) {
    if (a.empty())
      return b;
    if (b.empty())
      return a;
    std::string r = fresh("ok");
    line() << r << " = arith.andi " << a << ", " << b << " : i1\n";
    return r;
  }
  /// `i < bound` when the guard is needed, else "".
  std::string below(const std::string &i, const char *bound, bool needed) {
    if (!needed)
      return "";
    std::string r = fresh("in");
    line() << r << " = arith.cmpi ult, " << i << ", " << bound << " : index\n";
    return r;
  }
  /// A fresh index constant.
  std::string cst(int64_t v) {
    std::string r = fresh("cx");
    line() << r << " = arith.constant " << v << " : index\n";
    return r;
  }
  std::string add(const std::string &a, const std::string &b) {
    std::string r = fresh("i");
    line() << r << " = arith.addi " << a << ", " << b << " : index\n";
    return r;
  }

  /// An f16 value computed by `body` (which appends lines and returns its
  /// result name) when `cond` holds, else 0.
  template <typename Body>
  std::string guarded(const std::string &cond, Body body) {
    return guardedOf(cond, "f16", "%zh", body);
  }
  /// The same for a value of type `type`, `zero` (an SSA name) otherwise.
  template <typename Body>
  std::string guardedOf(const std::string &cond, const std::string &type,
                        const std::string &zero, Body body) {
    if (cond.empty())
      return body();
    std::string r = fresh("g");
    line() << r << " = scf.if " << cond << " -> (" << type << ") {\n";
    indent += 2;
    std::string v = body();
    line() << "scf.yield " << v << " : " << type << "\n";
    indent -= 2;
    line() << "} else {\n";
    line() << "  scf.yield " << zero << " : " << type << "\n";
    line() << "}\n";
    return r;
  }

  /// The activation at GEMM row `row` and reduction index `k` as f16:
  /// x[row, k], or for a convolution the input pixel the implicit im2col
  /// puts there (zero in the padding).
  std::string loadActivation(const std::string &row, const std::string &k) {
    if (s.conv)
      return loadConvActivation(row, k);
    std::string v = fresh("x");
    line() << v << " = memref.load %x[" << row << ", " << k
           << "] : @@XT@@\n";
    return toHalf(v);
  }

  /// Stores `v` (of the output type) at GEMM row `row`, column `col`:
  /// y[row, col], or y[image, col, oh*OW + ow] for a convolution.
  void storeOutput(const std::string &v, const std::string &row,
                   const std::string &col) {
    if (!s.conv) {
      line() << "memref.store " << v << ", %y[" << row << ", " << col
             << "] : @@YT@@\n";
      return;
    }
    std::string pixels = cst(s.conv->outH * s.conv->outW);
    std::string img = fresh("img"), p = fresh("pix");
    line() << img << " = arith.divui " << row << ", " << pixels
           << " : index\n";
    line() << p << " = arith.remui " << row << ", " << pixels << " : index\n";
    line() << "memref.store " << v << ", %y[" << img << ", " << col << ", "
           << p << "] : @@YT@@\n";
  }

  /// The dequantized weight W[k, n] as f16, from the code words: code `k`
  /// of row `n` of `%codes`, scaled with the group of K position `groupK`
  /// (`k` itself when empty; the dense position of a kept code under N:M
  /// sparsity). `%codes`, `%scales` and `%zeros` have the types of
  /// `codesType` and `groupType`, the codebooks `%cb` that of
  /// `codebookType` (default [N, G*E]).
  std::string dequantize(const std::string &n, const std::string &k,
                         const std::string &groupK = "",
                         const char *codesType = "memref<@@N@@x@@W@@xi32>",
                         const char *groupType = "memref<@@N@@x@@G@@xf32>",
                         const std::string &codebookType = "") {
    if (s.halfValues) {
      std::string h = fresh("wh");
      line() << h << " = memref.load %vals[" << n << ", " << k
             << "] : memref<@@N@@x@@K@@xf16>\n";
      return h;
    }
    std::string w = fresh("w"), j = fresh("j"), word = fresh("word"),
                ji = fresh("ji"), sh = fresh("sh"), t = fresh("t"),
                q = fresh("q"), g = fresh("grp"), sc = fresh("s"),
                qf = fresh("qf"), v = fresh("wv"), h = fresh("wh");
    line() << w << " = arith.divui " << k << ", %cCPW : index\n";
    line() << j << " = arith.remui " << k << ", %cCPW : index\n";
    line() << word << " = memref.load %codes[" << n << ", " << w
           << "] : " << codesType << "\n";
    line() << ji << " = arith.index_cast " << j << " : index to i32\n";
    line() << sh << " = arith.muli " << ji << ", %cBITS : i32\n";
    line() << t << " = arith.shrui " << word << ", " << sh << " : i32\n";
    line() << q << " = arith.andi " << t << ", %cMASK : i32\n";
    line() << g << " = arith.divui " << (groupK.empty() ? k : groupK)
           << ", %cGL : index\n";
    if (s.codebook) {
      // codebook[n, g * E + q]
      std::string e = cst(s.codebook), base = fresh("cbb"),
                  qi = fresh("qi"), ci = fresh("ci");
      line() << base << " = arith.muli " << g << ", " << e << " : index\n";
      line() << qi << " = arith.index_cast " << q << " : i32 to index\n";
      line() << ci << " = arith.addi " << base << ", " << qi << " : index\n";
      line() << v << " = memref.load %cb[" << n << ", " << ci << "] : "
             << (codebookType.empty()
                     ? "memref<@@N@@x" + std::to_string(s.groups * s.codebook) +
                           "xf32>"
                     : codebookType)
             << "\n";
      line() << h << " = arith.truncf " << v << " : f32 to f16\n";
      return h;
    }
    line() << sc << " = memref.load %scales[" << n << ", " << g
           << "] : " << groupType << "\n";
    if (s.symmetric) {
      std::string qs = fresh("qs"), qx = fresh("qx");
      line() << qs << " = arith.shli " << q << ", %cSHL : i32\n";
      line() << qx << " = arith.shrsi " << qs << ", %cSHL : i32\n";
      line() << qf << " = arith.sitofp " << qx << " : i32 to f32\n";
      line() << v << " = arith.mulf " << qf << ", " << sc << " : f32\n";
    } else {
      std::string z = fresh("z"), d = fresh("d");
      line() << z << " = memref.load %zeros[" << n << ", " << g
             << "] : " << groupType << "\n";
      line() << qf << " = arith.uitofp " << q << " : i32 to f32\n";
      line() << d << " = arith.subf " << qf << ", " << z << " : f32\n";
      line() << v << " = arith.mulf " << d << ", " << sc << " : f32\n";
    }
    line() << h << " = arith.truncf " << v << " : f32 to f16\n";
    return h;
  }

  int indent = 6;

private:
  static std::string accumulatorTypes(size_t tiles) {
    std::string types;
    for (size_t t = 0; t < tiles; ++t)
      types += std::string(t ? ", " : "") + "vector<2x2xf32>";
    return types;
  }

  std::string toHalf(const std::string &v) {
    if (s.inType.isF16())
      return v;
    std::string h = fresh("xh");
    line() << h << " = arith.truncf " << v << " : f32 to f16\n";
    return h;
  }

  std::string binop(const char *op, const std::string &a,
                    const std::string &b) {
    std::string r = fresh("ci");
    line() << r << " = arith." << op << " " << a << ", " << b
           << " : index\n";
    return r;
  }

  /// row = (image * OH + oh) * OW + ow, k = (c * kh + i) * kw + j; the
  /// pixel (oh*sh + i*dh - top, ow*sw + j*dw - left), guarded only on the
  /// sides where the padding can be reached.
  std::string loadConvActivation(const std::string &row,
                                 const std::string &k) {
    const ConvGeometry &g = *s.conv;
    std::string pixels = cst(g.outH * g.outW), taps = cst(g.kh * g.kw);
    std::string img = binop("divui", row, pixels);
    std::string p = binop("remui", row, pixels);
    std::string ow = cst(g.outW), kw = cst(g.kw);
    std::string oh = binop("divui", p, ow), owi = binop("remui", p, ow);
    std::string c = binop("divui", k, taps), r = binop("remui", k, taps);
    std::string i = binop("divui", r, kw), j = binop("remui", r, kw);
    auto coord = [&](const std::string &o, int64_t stride,
                     const std::string &t, int64_t dil, int64_t pad) {
      std::string a = binop("muli", o, cst(stride));
      std::string b2 = binop("muli", t, cst(dil));
      std::string sum = binop("addi", a, b2);
      return pad ? binop("subi", sum, cst(pad)) : sum;
    };
    std::string h = coord(oh, g.strideH, i, g.dilH, g.padTop);
    std::string w = coord(owi, g.strideW, j, g.dilW, g.padLeft);
    std::string inside;
    auto check = [&](const std::string &v, int64_t pad, int64_t lastOut,
                     int64_t stride, int64_t taps1, int64_t dil,
                     int64_t size) {
      if (pad > 0) {
        std::string zero = cst(0), ge = fresh("ge");
        line() << ge << " = arith.cmpi sge, " << v << ", " << zero
               << " : index\n";
        inside = conj(inside, ge);
      }
      if (lastOut * stride + (taps1 - 1) * dil - pad > size - 1) {
        std::string bound = cst(size), lt = fresh("lt");
        line() << lt << " = arith.cmpi slt, " << v << ", " << bound
               << " : index\n";
        inside = conj(inside, lt);
      }
    };
    check(h, g.padTop, g.outH - 1, g.strideH, g.kh, g.dilH, g.height);
    check(w, g.padLeft, g.outW - 1, g.strideW, g.kw, g.dilW, g.width);
    return guarded(inside, [&] {
      std::string v = fresh("x");
      line() << v << " = memref.load %x[" << img << ", " << c << ", " << h
             << ", " << w << "] : @@XT@@\n";
      return toHalf(v);
    });
  }

  const KernelShape &s;
  std::ostringstream os;
  unsigned counter = 0;
};

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_KERNELTEXT_H
