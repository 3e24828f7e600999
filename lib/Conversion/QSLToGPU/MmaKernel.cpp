//===- MmaKernel.cpp - Tensor-core GEMM on dequantized weight fragments ---===//
//
// Batch > max-batch: nvgpu.mma.sync m16n8k16, f16 operands, f32 accumulators.
// One warp owns a 16 x kMmaColsPerWarp output tile and walks K in steps of
// 16. Per step each lane
//   * loads its 8 activation values of the A fragment (rows grp and grp + 8,
//     columns 2*tig + {0, 1} and + 8, where grp = lane / 4, tig = lane % 4),
//     or, where the block's 16 rows are staged in shared memory
//     (ActivationStaging.h), takes the fragment from there,
//   * for every 8-column n-tile, dequantizes its 4 weight values of the B
//     fragment (column grp, rows 2*tig + {0, 1} and + 8) straight from the
//     code words: shift, mask, (q - z) * s, to f16,
//   * issues one mma.sync per n-tile into loop-carried accumulators.
// The accumulator layout (rows grp and grp + 8, columns 2*tig + {0, 1}) is
// stored with M and N guards. These are the fragment layouts of the PTX ISA
// for mma.m16n8k16 (.row.col), which nvgpu.mma.sync's vector<4x2xf16>,
// vector<2x2xf16> and vector<2x2xf32> operands follow register by register.
//
// Bounds: K is walked up to the next multiple of 16 and both fragments are
// zero past K (the weight side must not read past its row of words or its
// scale groups); rows past M and columns past N load zero and store nothing.
// The guards are emitted only where the static shape needs them.
//
//===----------------------------------------------------------------------===//
#include "ActivationStaging.h"
#include "KernelText.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

std::string buildMmaGemmKernelText(llvm::StringRef name,
                                   const KernelShape &s) {
  const int64_t kPadded = (s.k + 15) / 16 * 16;
  const bool guardM = s.m % 16 != 0;
  const bool guardK = s.k % 16 != 0;
  const bool guardN = s.n % (kMmaColsPerWarp * s.warps) != 0;

  TextEmitter e(s);
  // The block's warps share its 16 rows: staged in shared memory one k-step
  // at a time where they can be (ActivationStaging.h).
  const StagePlan plan = stagePlan(s, 16, 16, 32 * s.warps, s.aStages);
  const bool staged = plan.stages > 0;
  ActivationStager stager(e, plan);
  // Prologue: lane coordinates within the fragments, the warp's tile.
  e.fragmentPrologue();
  e.line() << "%cKP = arith.constant " << kPadded << " : index\n";
  e.line() << "%cCOLS = arith.constant " << kMmaColsPerWarp << " : index\n";
  e.line() << "%m0 = arith.muli %by, %c16 : index\n";
  e.line() << "%ra = arith.addi %m0, %grp : index\n";
  e.line() << "%rb = arith.addi %ra, %c8 : index\n";
  e.line() << "%wb = arith.muli %bx, %cWARPS : index\n";
  e.line() << "%wi = arith.addi %wb, %warp : index\n";
  e.line() << "%n0 = arith.muli %wi, %cCOLS : index\n";
  // Row guards of the A fragment and the epilogue; column of each n-tile's
  // B fragment and its guard.
  std::string inA = e.below("%ra", "%cM", guardM);
  std::string inB = e.below("%rb", "%cM", guardM);
  std::vector<std::string> nCol(kMmaTilesN), nOk(kMmaTilesN);
  for (int64_t t = 0; t < kMmaTilesN; ++t) {
    std::string off = e.fresh("ct");
    e.line() << off << " = arith.constant " << (8 * t) << " : index\n";
    std::string base = e.add("%n0", off);
    nCol[t] = e.add(base, "%grp");
    nOk[t] = e.below(nCol[t], "%cN", guardN);
  }

  if (staged)
    stager.prologue("%m0", ActivationStager::Operand::MmaA, 1, 1);

  // The K loop.
  e.beginAccumulatorLoop(kMmaTilesN, "%k0", "%cKP", "%c16");
  if (staged) {
    e.line() << "%kstep = arith.divui %k0, %c16 : index\n";
    stager.beginChunk("%kstep");
  }
  // K positions of this lane: 2*tig + {0, 1, 8, 9}.
  std::string kBase = e.add("%k0", "%kc");
  std::string kAt[4], kOk[4];
  const int64_t kOffsets[4] = {0, 1, 8, 9};
  for (int i = 0; i < 4; ++i) {
    if (kOffsets[i] == 0) {
      kAt[i] = kBase;
    } else {
      std::string off = e.fresh("ck");
      e.line() << off << " = arith.constant " << kOffsets[i] << " : index\n";
      kAt[i] = e.add(kBase, off);
    }
    kOk[i] = e.below(kAt[i], "%cK", guardK);
  }
  // A: register r holds row (r % 2 ? grp + 8 : grp), columns (r / 2) * 8 +
  // 2*tig + {0, 1}.
  std::string aFrag = "%a";
  if (staged) {
    aFrag = stager.fragment(0, 0);
  } else {
    std::vector<std::string> aVals;
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 2; ++c) {
        const std::string &row =
            r % 2 ? std::string("%rb") : std::string("%ra");
        int ki = (r / 2) * 2 + c;
        std::string cond = e.conj(r % 2 ? inB : inA, kOk[ki]);
        aVals.push_back(e.guarded(
            cond, [&] { return e.loadActivation(row, kAt[ki]); }));
      }
    e.line() << "%a = vector.from_elements ";
    for (size_t i = 0; i < aVals.size(); ++i)
      e.raw() << (i ? ", " : "") << aVals[i];
    e.raw() << " : vector<4x2xf16>\n";
  }

  // B per n-tile: register r holds rows r * 8 + 2*tig + {0, 1} of column
  // grp; then the mma.
  std::vector<std::string> results;
  for (int64_t t = 0; t < kMmaTilesN; ++t) {
    std::vector<std::string> bVals;
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) {
        int ki = r * 2 + c;
        std::string cond = e.conj(nOk[t], kOk[ki]);
        bVals.push_back(
            e.guarded(cond, [&] { return e.dequantize(nCol[t], kAt[ki]); }));
      }
    std::string b = e.fresh("b");
    e.line() << b << " = vector.from_elements " << bVals[0] << ", "
             << bVals[1] << ", " << bVals[2] << ", " << bVals[3]
             << " : vector<2x2xf16>\n";
    std::string d = e.fresh("d");
    e.line() << d << " = nvgpu.mma.sync (" << aFrag << ", " << b << ", %acc" << t
             << ") {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, "
                "vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>\n";
    results.push_back(d);
  }
  e.endAccumulatorLoop(results);

  // Epilogue: accumulator register r holds row (r ? grp + 8 : grp), columns
  // 2*tig + {0, 1} of the n-tile.
  for (int64_t t = 0; t < kMmaTilesN; ++t) {
    std::string off = e.fresh("co");
    e.line() << off << " = arith.constant " << (8 * t) << " : index\n";
    std::string tileCol = e.add("%n0", off);
    std::string col0 = e.add(tileCol, "%kc");
    std::string one = e.fresh("c1_");
    e.line() << one << " = arith.constant 1 : index\n";
    std::string col1 = e.add(col0, one);
    std::string cols[2] = {col0, col1};
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c)
        e.storeAccumulator(
            t, r, c, r ? "%rb" : "%ra", cols[c],
            e.conj(r ? inB : inA, e.below(cols[c], "%cN", guardN)));
  }

  std::string header = plainKernelHeader(s);
  if (staged) {
    const std::string attrs = "        kernel attributes";
    size_t at = header.find(attrs);
    header.insert(at, "        workgroup(" + stager.attribution() + ")\n");
  }
  return substitute(header + e.str() + kernelFooter(), shapeVars(name, s));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
