//===- SparseMmaKernel.cpp - 2:4 weights on the sparse tensor cores -------===//
//
// 2:4 sparsity along K with quantized codes that the packed 2:4 GEMM
// (PackedMmaKernel.cpp) does not decode (codebooks, scale groups that are
// not whole steps of 32, zero points or scales outside its f16 decoding),
// batch > max-batch: nvgpu.mma.sp.sync m16n8k32,
// f16 operands, f32 accumulators. The sparse operand of mma.sp is A, so the
// kernel computes y^T = W^T x^T: A is the weight transposed ([N, K], 2:4
// along its rows, which is how the weight is stored), B is x^T (column j of
// B is batch row j of x, K contiguous) and D is a 16-column by 8-row tile of
// y seen transposed. One warp owns 16 output columns by kSpTilesM x 8 batch
// rows and walks K in steps of 32 (16 kept values per row). Per step each
// lane
//   * loads its metadata register, prepared at compile time in the order the
//     instruction distributes it (table `meta[tile, step, grp * 2 + half]`,
//     selector 0: lanes 4g and 4g + 1 hold rows g and g + 8, dense columns
//     0-15 and 16-31 of the step),
//   * builds its 8 kept weights of the A fragment (rows grp and grp + 8,
//     kept columns 2*tig + {0, 1} and + 8: the m16n8k16 layout on the
//     compressed 16 x 16 tile), dequantized from code words,
//   * loads 8 activations per m-tile (B rows 2*tig + {0, 1} + 8r, column
//     grp), or, where the block's rows are staged in shared memory
//     (ActivationStaging.h), takes the fragment from there, and issues one
//     mma.sp per m-tile.
// Weight tables are padded at compile time to whole warps of rows (N) and
// whole steps (K) with zero values and valid metadata, so only activation
// loads and the stores carry guards.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "KernelText.h"

#include "qsl/Compress/GpuLayout.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

SparseMmaLayout sparseMmaLayout(const ComposedShape &c) {
  const KernelShape &s = c.base;
  SparseMmaLayout lay;
  int64_t block = 16 * s.warps;
  lay.nPad = (s.n + block - 1) / block * block;
  lay.steps = (s.k + 31) / 32;
  lay.keptPad = 16 * lay.steps;
  lay.codeWords = ::qsl::compress::gpuWordsPerRow(lay.keptPad, s.bits);
  lay.groups = (32 * lay.steps + s.groupLen - 1) / s.groupLen;
  return lay;
}

std::string buildSparseMmaGemmKernelText(llvm::StringRef name,
                                         const ComposedShape &c) {
  const KernelShape &s = c.base;
  const SparseMmaLayout lay = sparseMmaLayout(c);
  assert(c.main == ComposedShape::Main::Codes &&
         "float 2:4 takes the packed 2:4 GEMM");
  const bool guardM = s.m % kSpRowsPerWarp != 0;
  const bool guardK = s.k % 32 != 0;
  const bool guardN = s.n != lay.nPad;

  std::map<std::string, std::string> vars = shapeVars(name, s);
  vars["NP"] = std::to_string(lay.nPad);
  vars["KS"] = std::to_string(lay.steps);
  vars["NT"] = std::to_string(lay.nPad / 16);
  vars["WK"] = std::to_string(lay.codeWords);
  vars["GP"] = std::to_string(lay.groups);

  std::string args = "%x: @@XT@@";
  // Codebook codes: [nPad, groups * E] f32 codebooks in place of scales.
  const std::string cbType =
      "memref<@@NP@@x" + std::to_string(lay.groups * s.codebook) + "xf32>";
  if (s.codebook) {
    args += ", %codes: memref<@@NP@@x@@WK@@xi32>, %cb: " + cbType;
  } else {
    args += ", %codes: memref<@@NP@@x@@WK@@xi32>, %scales: "
            "memref<@@NP@@x@@GP@@xf32>";
    if (!s.symmetric)
      args += ", %zeros: memref<@@NP@@x@@GP@@xf32>";
  }
  args += ", %meta: memref<@@NT@@x@@KS@@x16xi32>, %y: @@YT@@";
  // The block's warps share its kSpRowsPerWarp rows: staged in shared
  // memory one step of 32 at a time where they can be.
  TextEmitter e(s);
  const StagePlan plan =
      stagePlan(s, kSpRowsPerWarp, 32, 32 * s.warps, s.aStages);
  const bool staged = plan.stages > 0;
  ActivationStager stager(e, plan);
  std::string header = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@()" + args + ")\n" +
                       (staged ? "        workgroup(" + stager.attribution() +
                                     ")\n"
                               : "") +
                       R"(        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
)";

  e.fragmentPrologue();
  e.line() << "%cKS = arith.constant @@KS@@ : index\n";
  e.line() << "%cROWS = arith.constant " << kSpRowsPerWarp << " : index\n";
  e.line() << "%za = arith.constant dense<0.0> : vector<4x2xf16>\n";
  e.metaSlot();
  // The warp's 16 output columns (tile %wi) and batch rows.
  e.line() << "%wb = arith.muli %bx, %cWARPS : index\n";
  e.line() << "%wi = arith.addi %wb, %warp : index\n";
  e.line() << "%n0 = arith.muli %wi, %c16 : index\n";
  e.line() << "%na = arith.addi %n0, %grp : index\n";
  e.line() << "%nb = arith.addi %na, %c8 : index\n";
  e.line() << "%m0 = arith.muli %by, %cROWS : index\n";
  // Batch row of each m-tile's B fragment and its guard.
  std::vector<std::string> mRow(kSpTilesM), mOk(kSpTilesM);
  for (int64_t t = 0; t < kSpTilesM; ++t) {
    std::string base = e.add("%m0", e.cst(8 * t));
    mRow[t] = e.add(base, "%grp");
    mOk[t] = e.below(mRow[t], "%cM", guardM);
  }

  if (staged)
    stager.prologue("%m0", ActivationStager::Operand::MmaSpB, kSpTilesM, 1);

  e.beginAccumulatorLoop(kSpTilesM, "%ks", "%cKS", "%c1");
  if (staged)
    stager.beginChunk("%ks");

  // Metadata register as vector<2xi16> (low half first).
  std::string md =
      e.metaRegister("%wi", "%ks", "memref<@@NT@@x@@KS@@x16xi32>");

  // A: register r holds row (r % 2 ? nb : na), kept columns (r / 2) * 8 +
  // 2*tig + {0, 1} of the step, i.e. kept index j = 16 ks + that.
  e.line() << "%j16 = arith.muli %ks, %c16 : index\n";
  e.line() << "%jb = arith.addi %j16, %kc : index\n";
  e.line() << "%jc = arith.addi %jb, %c8 : index\n";
  std::string a = "%za";
  for (int r = 0; r < 4; ++r) {
    const char *row = r % 2 ? "%nb" : "%na";
    const char *j = r / 2 ? "%jc" : "%jb";
    std::string vals[2];
    for (int i = 0; i < 2; ++i) {
      std::string ji = j;
      if (i)
        ji = e.add(j, "%c1");
      // The dense K position 2j lies in the kept value's run of 4, so in
      // its scale group (groups are whole runs).
      std::string dense = e.fresh("kd");
      e.line() << dense << " = arith.muli " << ji << ", %c2 : index\n";
      vals[i] = e.dequantize(row, ji, dense, "memref<@@NP@@x@@WK@@xi32>",
                             "memref<@@NP@@x@@GP@@xf32>",
                             s.codebook ? cbType : "");
    }
    std::string pair = e.fresh("ap");
    e.line() << pair << " = vector.from_elements " << vals[0] << ", "
             << vals[1] << " : vector<2xf16>\n";
    std::string next = e.fresh("a");
    e.line() << next << " = vector.insert " << pair << ", " << a << " [" << r
             << "] : vector<2xf16> into vector<4x2xf16>\n";
    a = next;
  }

  // B per m-tile: register r holds K rows 32 ks + 2*tig + {0, 1} + 8r of
  // batch row mRow[t]; then the sparse mma.
  e.line() << "%k32 = arith.muli %ks, %c32 : index\n";
  e.line() << "%kb = arith.addi %k32, %kc : index\n";
  std::string kAt[8], kOk[8];
  for (int i = 0; i < 8; ++i) {
    int64_t off = (i / 2) * 8 + (i % 2);
    kAt[i] = off ? e.add("%kb", e.cst(off)) : std::string("%kb");
    kOk[i] = e.below(kAt[i], "%cK", guardK);
  }
  std::vector<std::string> results;
  for (int64_t t = 0; t < kSpTilesM; ++t) {
    std::string b;
    if (staged) {
      b = stager.fragment(t, 0);
    } else {
      std::vector<std::string> bVals;
      for (int i = 0; i < 8; ++i) {
        std::string cond = e.conj(mOk[t], kOk[i]);
        bVals.push_back(e.guarded(
            cond, [&] { return e.loadActivation(mRow[t], kAt[i]); }));
      }
      b = e.fresh("b");
      e.line() << b << " = vector.from_elements ";
      for (int i = 0; i < 8; ++i)
        e.raw() << (i ? ", " : "") << bVals[i];
      e.raw() << " : vector<4x2xf16>\n";
    }
    std::string d = e.fresh("d");
    e.line() << d << " = nvgpu.mma.sp.sync (" << a << ", " << b << ", %acc"
             << t
             << ") metadata (" << md << ") {mmaShape = [16, 8, 32]} : "
                "(vector<4x2xf16>, vector<4x2xf16>, vector<2x2xf32>) -> "
                "vector<2x2xf32>\n";
    results.push_back(d);
  }
  e.endAccumulatorLoop(results);

  // Epilogue: accumulator [r][c] is D[row grp + 8r][col 2*tig + c], i.e.
  // y[m-tile row 2*tig + c, output column n0 + grp + 8r].
  std::string nOk[2] = {e.below("%na", "%cN", guardN),
                        e.below("%nb", "%cN", guardN)};
  for (int64_t t = 0; t < kSpTilesM; ++t) {
    std::string tileRow = e.add("%m0", e.cst(8 * t));
    std::string row0 = e.add(tileRow, "%kc");
    std::string row1 = e.add(row0, "%c1");
    std::string rows[2] = {row0, row1};
    std::string rowOk[2] = {e.below(row0, "%cM", guardM),
                            e.below(row1, "%cM", guardM)};
    for (int r = 0; r < 2; ++r)
      for (int cc = 0; cc < 2; ++cc)
        e.storeAccumulator(t, r, cc, rows[cc], r ? "%nb" : "%na",
                           e.conj(rowOk[cc], nOk[r]));
  }

  return substitute(header + e.str() + kernelFooter(), vars);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
