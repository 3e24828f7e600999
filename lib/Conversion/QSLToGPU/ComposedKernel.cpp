//===- ComposedKernel.cpp - One GEMV for W = deq(Q)⊙M + O + U·V ------------===//
//
// Batch 1-8 on weights with more than a plain quant facet. One warp per
// output column n accumulates, in registers, every term of the composed
// encoding before one warp reduction and one store:
//   * main term: the column's kept codes (all K of them, or the K·N/M kept
//     by N:M sparsity along K, whose position within its run of M comes from
//     the meta words), dequantized with the scale group of their dense K
//     position; or kept f32 values when the sparse main term is not
//     quantized;
//   * outliers: the column's (k, value) pairs, CSC-ordered at compile time;
//   * low rank: the column's value of the fused low-rank chain's result
//     (qsl_lrchain, launched just before: t = x · A_in^T stays in
//     workgroup memory there, and B_out is read once for all columns),
//     added after the reduction.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "qsl/Compress/GpuLayout.h"

#include <string>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {

/// The multiply-add of one weight value `wv` (f32) at K position `k` into
/// the per-lane accumulators of every batch row. Its names end in `suffix`
/// and start with %m (the decoding texts own %s, %z, %g).
std::string accumulate(const std::string &k, const std::string &wv,
                       const std::string &suffix, bool f16) {
  std::string m = "%m" + suffix, xv = "%mx" + suffix;
  std::string load =
      f16 ? "%mxh" + suffix + " = memref.load %x[" + m + ", " + k +
                "] : memref<@@M@@x@@K@@xf16>\n"
                "                " + xv + " = arith.extf %mxh" + suffix +
                " : f16 to f32\n"
          : xv + " = memref.load %x[" + m + ", " + k +
                "] : memref<@@M@@x@@K@@xf32>\n";
  const std::string acc = "memref<@@M@@xf32, #gpu.address_space<private>>";
  return "              scf.for " + m + " = %c0 to %cM step %c1 {\n"
         "                " + load +
         "                %ma" + suffix + " = memref.load %acc[" + m + "] : " +
         acc + "\n"
         "                %mp" + suffix + " = arith.mulf " + xv + ", " + wv +
         " : f32\n"
         "                %ms" + suffix + " = arith.addf %ma" + suffix +
         ", %mp" + suffix + " : f32\n"
         "                memref.store %ms" + suffix + ", %acc[" + m + "] : " +
         acc + "\n"
         "              }\n";
}

/// Each lane's share of x[m, :] · A_in[%j, :] for every batch row, into
/// %acc: lanes stride over K, reading A_in (`ainShape`, f32 or f16) once
/// per k.
std::string factorRowDot(const ComposedShape &c, const std::string &ainShape) {
  return "        scf.for %k = %lane to %cK step %c32 {\n" +
         loadAsF32("%av", "%ain", "%j, %k", ainShape, c.lowRankF16,
                   "          ") +
         accumulate("%k", "%av", "", c.base.inType.isF16()) + "        }\n";
}

} // namespace

LowRankChainSplit lowRankChainSplit(const ComposedShape &c) {
  int64_t warps = c.base.warps;
  int64_t perWarp = std::max<int64_t>(
      1, (c.rank + warps * kLowRankChainBlocks - 1) /
             (warps * kLowRankChainBlocks));
  int64_t perBlock = warps * perWarp;
  return {perWarp, perBlock, (c.rank + perBlock - 1) / perBlock};
}

std::string buildLowRankChainKernelText(llvm::StringRef name,
                                        const ComposedShape &c) {
  const KernelShape &s = c.base;
  LowRankChainSplit split = lowRankChainSplit(c);
  std::string text = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: memref<@@M@@x@@K@@x@@TI@@>, %ain: memref<@@RP@@x@@K@@x@@LRT@@>,
        %bout: memref<@@RP@@x@@N@@x@@LRT@@>, %y: memref<@@M@@x@@N@@xf32>)
        workgroup(%ts: memref<@@M@@x@@PB@@xf32, #gpu.address_space<workgroup>>)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %cM = arith.constant @@M@@ : index
      %cK = arith.constant @@K@@ : index
      %cN = arith.constant @@N@@ : index
      %cWARPS = arith.constant @@WARPS@@ : index
      %cPW = arith.constant @@PW@@ : index
      %cPB = arith.constant @@PB@@ : index
      %cTHREADS = arith.constant @@THREADS@@ : index
      %zero = arith.constant 0.0 : f32
      %tid = gpu.thread_id x
      %bid = gpu.block_id x
      %lane = arith.remui %tid, %c32 : index
      %warp = arith.divui %tid, %c32 : index
      %base = arith.muli %bid, %cPB : index
      %acc = memref.alloca() : memref<@@M@@xf32, #gpu.address_space<private>>
      scf.for %i = %c0 to %cPW step %c1 {
        scf.for %m = %c0 to %cM step %c1 {
          memref.store %zero, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
        }
        %wi = arith.muli %i, %cWARPS : index
        %col = arith.addi %wi, %warp : index
        %j = arith.addi %base, %col : index
)" + factorRowDot(c, "@@RP@@x@@K@@") +
                     warpReduceAndStore("%ts", "%col",
                        "@@M@@x@@PB@@xf32, #gpu.address_space<workgroup>",
                        /*f16=*/false) +
                     R"(      }
      gpu.barrier
      scf.for %n = %tid to %cN step %cTHREADS {
        scf.for %m = %c0 to %cM step %c1 {
          memref.store %zero, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
        }
        scf.for %q = %c0 to %cPB step %c1 {
          %jq = arith.addi %base, %q : index
)" + loadAsF32("%bv", "%bout", "%jq, %n", "@@RP@@x@@N@@", c.lowRankF16,
                 "          ") +
                     R"(          scf.for %m = %c0 to %cM step %c1 {
            %tv = memref.load %ts[%m, %q] : memref<@@M@@x@@PB@@xf32, #gpu.address_space<workgroup>>
            %a = memref.load %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
            %p = arith.mulf %tv, %bv : f32
            %s = arith.addf %a, %p : f32
            memref.store %s, %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
          }
        }
        scf.for %m = %c0 to %cM step %c1 {
          %a = memref.load %acc[%m] : memref<@@M@@xf32, #gpu.address_space<private>>
          %old = memref.atomic_rmw addf %a, %y[%m, %n] : (f32, memref<@@M@@x@@N@@xf32>) -> f32
        }
      }
      gpu.return
    }
  }
}
)";
  std::map<std::string, std::string> v = shapeVars(name, s);
  v["RP"] = std::to_string(split.paddedRank());
  v["PW"] = std::to_string(split.perWarp);
  v["PB"] = std::to_string(split.perBlock);
  v["LRT"] = c.lowRankF16 ? "f16" : "f32";
  return substitute(text, v);
}

std::string buildComposedGemvKernelText(llvm::StringRef name,
                                        const ComposedShape &c) {
  const KernelShape &s = c.base;
  const bool f16In = s.inType.isF16();
  std::string args = "%x: memref<@@M@@x@@K@@x@@TI@@>";
  std::string body;

  if (c.main == ComposedShape::Main::Codes) {
    args += ", %codes: memref<@@N@@x@@W@@xi32>";
    if (s.codebook)
      args += ", %cb: memref<@@N@@x@@GE@@xf32>";
    else
      args += ", %scales: memref<@@N@@x@@G@@xf32>";
    if (!s.symmetric && !s.codebook)
      args += ", %zeros: memref<@@N@@x@@G@@xf32>";
  } else if (c.main == ComposedShape::Main::Floats) {
    args += ", %vals: memref<@@N@@x@@KK@@xf32>";
  }
  if (c.sparseM)
    args += ", %meta: memref<@@N@@x@@MW@@xi32>";
  if (c.outliers)
    args += ", %colptr: memref<@@NP1@@xi32>, %rowidx: memref<@@NNZ@@xi32>, "
            "%ovals: memref<@@NNZ@@xf32>";
  if (c.rank)
    args += ", %pre: memref<@@M@@x@@N@@xf32>";
  args += ", %y: memref<@@M@@x@@N@@x@@TO@@>";

  // The dense K position %k of kept element %j of the column.
  std::string position =
      c.sparseM ? R"(
              %run = arith.divui %j, %cNKEEP : index
              %mw = arith.divui %j, %cMPW : index
              %me = arith.remui %j, %cMPW : index
              %mword = memref.load %meta[%n, %mw] : memref<@@N@@x@@MW@@xi32>
              %mei = arith.index_cast %me : index to i32
              %msh = arith.muli %mei, %cMBITS : i32
              %mt = arith.shrui %mword, %msh : i32
              %pos32 = arith.andi %mt, %cMMASK : i32
              %pos = arith.index_cast %pos32 : i32 to index
              %rk = arith.muli %run, %cMRUN : index
              %k = arith.addi %rk, %pos : index)"
                : R"(
              %k = arith.addi %j, %c0 : index)";

  if (c.main == ComposedShape::Main::Codes) {
    // The scale group (or codebook) of the dense K position, then the
    // GEMV's decoding (GemvKernel.cpp).
    std::string element = R"(
              %ei = arith.index_cast %e : index to i32
              %sh = arith.muli %ei, %cBITS : i32
              %tq = arith.shrui %word, %sh : i32
              %q = arith.andi %tq, %cMASK : i32)" +
                          position + groupLoadText(s, "%k") +
                          decodeText(s) + "\n" +
                          accumulate("%k", "%wv", "", f16In);
    if (c.keptK % (32 / s.bits) != 0)
      element = R"(
            %jin = arith.cmpi ult, %j, %cKK : index
            scf.if %jin {)" +
                element + R"(
            })";
    body += wordRounds(::qsl::compress::gpuWordsPerRow(c.keptK, s.bits),
                       R"(
            %j0 = arith.muli %w, %cCPW : index
            scf.for %e = %c0 to %cCPW step %c1 {
              %j = arith.addi %j0, %e : index)" +
                           element + R"(
            })");
  } else if (c.main == ComposedShape::Main::Floats) {
    body += R"(
        scf.for %j = %lane to %cKK step %c32 {)" +
            position + R"(
              %wv = memref.load %vals[%n, %j] : memref<@@N@@x@@KK@@xf32>
)" + accumulate("%k", "%wv", "", f16In) +
            R"(
        })";
  }
  if (c.outliers)
    body += R"(
        %np1 = arith.addi %n, %c1 : index
        %p0i = memref.load %colptr[%n] : memref<@@NP1@@xi32>
        %p1i = memref.load %colptr[%np1] : memref<@@NP1@@xi32>
        %p0 = arith.index_cast %p0i : i32 to index
        %p1 = arith.index_cast %p1i : i32 to index
        %pl = arith.addi %p0, %lane : index
        scf.for %pp = %pl to %p1 step %c32 {
          %oki = memref.load %rowidx[%pp] : memref<@@NNZ@@xi32>
          %ok = arith.index_cast %oki : i32 to index
          %ov = memref.load %ovals[%pp] : memref<@@NNZ@@xf32>
)" + accumulate("%ok", "%ov", "o", f16In) +
            R"(        })";

  int64_t perWord = 32 / s.bits;
  int64_t metaPerWord = c.sparseM ? 32 / c.metaBits : 1;
  std::string text = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@()" + args + R"()
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %cM = arith.constant @@M@@ : index
      %cN = arith.constant @@N@@ : index
      %cKK = arith.constant @@KK@@ : index
      %cW = arith.constant @@W@@ : index
      %cCPW = arith.constant )" +
                     std::to_string(perWord) + R"( : index
      %cGL = arith.constant )" +
                     std::to_string(s.groupLen) + R"( : index
      %cR = arith.constant @@R@@ : index
      %cNKEEP = arith.constant )" +
                     std::to_string(std::max<int64_t>(c.sparseN, 1)) +
                     R"( : index
      %cMRUN = arith.constant )" +
                     std::to_string(std::max<int64_t>(c.sparseM, 1)) +
                     R"( : index
      %cMPW = arith.constant )" +
                     std::to_string(metaPerWord) + R"( : index
      %cMBITS = arith.constant )" +
                     std::to_string(c.metaBits) + R"( : i32
      %cMMASK = arith.constant )" +
                     std::to_string((1u << c.metaBits) - 1u) + R"( : i32
      %cWARPS = arith.constant @@WARPS@@ : index
      %cBITS = arith.constant )" +
                     std::to_string(s.bits) + R"( : i32
      %cSHL = arith.constant )" +
                     std::to_string(32 - s.bits) + R"( : i32
      %cMASK = arith.constant )" +
                     std::to_string((1ull << s.bits) - 1ull) + R"( : i32
      %cE = arith.constant )" +
                     std::to_string(std::max<int64_t>(s.codebook, 1)) +
                     R"( : index
)" + warpPerOutputPrologue("%n") + R"(      %inb = arith.cmpi ult, %n, %cN : index
      scf.if %inb {)" +
                     body + R"(
      }
)" + warpReduceAndStore("%y", "%n", "@@M@@x@@N@@x@@TO@@",
                        s.outType.isF16(), "%inb", c.rank ? "%pre" : "") +
                     R"(      gpu.return
    }
  }
}
)";
  std::map<std::string, std::string> v = decodeVars(name, s);
  v["KK"] = std::to_string(c.keptK);
  v["W"] = std::to_string(c.main == ComposedShape::Main::Codes
                              ? ::qsl::compress::gpuWordsPerRow(c.keptK, s.bits)
                              : 1);
  v["MW"] = std::to_string(
      c.sparseM ? ::qsl::compress::gpuWordsPerRow(c.keptK, c.metaBits) : 1);
  v["R"] = std::to_string(std::max<int64_t>(c.rank, 1));
  v["LRT"] = c.lowRankF16 ? "f16" : "f32";
  v["NP1"] = std::to_string(s.n + 1);
  v["NNZ"] = std::to_string(std::max<int64_t>(c.outliers, 1));
  return substitute(text, v);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
