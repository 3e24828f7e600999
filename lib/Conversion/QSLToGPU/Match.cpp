//===- Match.cpp - Which kernel family takes an op -----------------------===//
#include "Match.h"

#include "qsl/Compress/GpuLayout.h"
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Utils/ElementsAccess.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {

/// f32 or f16 in and out, or why not.
std::string matchTypes(Type inEl, Type outEl, KernelShape &shape) {
  if (!(inEl.isF32() || inEl.isF16()) || !(outEl.isF32() || outEl.isF16()))
    return "element types other than f32/f16";
  shape.inType = inEl;
  shape.outType = outEl;
  return "";
}

/// The statically shaped activation of `op` as (M, K, types), or why not.
std::string matchActivation(MatmulOp op, Target &t, KernelShape &shape) {
  t = Target{op, op.getInput(), op.getWeight(),
             cast<RankedTensorType>(op.getType()), op.getTransposeW()};
  auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
  if (!inType || !inType.hasStaticShape() || inType.getRank() < 2)
    return "input is not a statically shaped tensor of rank >= 2";
  shape.k = inType.getShape().back();
  shape.m = inType.getNumElements() / shape.k;
  return matchTypes(inType.getElementType(),
                    t.resultType.getElementType(), shape);
}

/// The convolution as an implicit GEMM: M = images * OH * OW,
/// K = C * kh * kw, N = O; or why not.
std::string matchActivation(Conv2DOp op, Target &t, KernelShape &shape) {
  t = Target{op, op.getInput(), op.getFilter(),
             cast<RankedTensorType>(op.getType()), /*transposed=*/true,
             /*isConv=*/true};
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto filter = cast<RankedTensorType>(op.getFilter().getType());
  if (!inType.hasStaticShape() || !t.resultType.hasStaticShape())
    return "convolution with dynamic shapes";
  ConvGeometry &g = t.conv;
  g.groups = op.getGroups();
  g.images = inType.getDimSize(0);
  g.channels = inType.getDimSize(1);
  g.height = inType.getDimSize(2);
  g.width = inType.getDimSize(3);
  g.kh = filter.getDimSize(2);
  g.kw = filter.getDimSize(3);
  g.outH = t.resultType.getDimSize(2);
  g.outW = t.resultType.getDimSize(3);
  g.strideH = op.getStrides()[0];
  g.strideW = op.getStrides()[1];
  g.dilH = op.getDilations()[0];
  g.dilW = op.getDilations()[1];
  g.padTop = op.getPads()[0];
  g.padLeft = op.getPads()[1];
  shape.m = g.images * g.outH * g.outW;
  shape.k = g.channels / g.groups * g.kh * g.kw;
  return matchTypes(inType.getElementType(),
                    t.resultType.getElementType(), shape);
}

/// Fills the quantization fields of `shape` from `quant`, or says why the
/// kernels cannot decode it.
std::string matchQuant(QuantAttr quant, int64_t reductionAxis,
                       KernelShape &shape) {
  if (quant.hasQuantizedStats())
    return "quantized statistics have no GPU kernel yet";
  unsigned bits = quant.getBits();
  if (quant.getAxis() != reductionAxis)
    return "quantization groups do not run along K";
  shape.groupLen = quant.getGroup() == 0 ? shape.k : quant.getGroup();
  shape.groups = shape.k / shape.groupLen;
  shape.bits = bits;
  shape.symmetric = quant.isSymmetric();
  if (quant.hasCodebook()) {
    shape.codebook = quant.getCodebook();
    shape.symmetric = true; // no zero points; the codes are unsigned
  }
  return "";
}

/// Which kernel family takes `op` ("" and `family`), else why the op
/// stays on the CPU path. A convolution has only the tensor-core families.
template <typename OpT>
std::string matchOp(OpT op, int64_t warps, int64_t maxBatch, bool tensorCores,
                  Target &t, ComposedShape &c, Family &family,
                  ConstantOp &weight) {
  KernelShape &s = c.base;
  if (std::string why = matchActivation(op, t, s); !why.empty())
    return why;
  weight = t.weight.template getDefiningOp<ConstantOp>();
  if (!weight)
    return "weight is not a qsl.constant";
  auto view = EncodedTensorType::get(t.weight.getType());
  if (!view || (view->getRank() != 2 && !t.isConv))
    return "weight is not a 2-D encoded tensor";
  if (t.isConv) {
    s.conv = &t.conv;
    // Every convolution row count goes to the tensor-core kernels.
    maxBatch = 0;
  }
  bool transposed = t.transposed;
  int64_t reductionAxis = transposed ? 1 : 0;
  s.n = t.isConv ? view->getMatrixRows()
                 : view->getDimSize(transposed ? 0 : 1);
  s.warps = warps;
  // Defaults that keep the kernel text well-formed when a facet is absent.
  s.bits = 8;
  s.groupLen = s.k;
  s.groups = 1;
  s.symmetric = true;
  if (view->getSmooth())
    return "the smooth facet has no GPU kernel yet";

  QuantAttr quant = view->getQuant();
  SparseAttr sparse = view->getSparse();
  bool composed = sparse || view->getOutliers() || view->getLowRank();
  family = composed ? Family::Composed : Family::Plain;
  if (quant)
    if (std::string why = matchQuant(quant, reductionAxis, s); !why.empty())
      return why;
  // What sends the op to the tensor-core kernels, for the remarks.
  std::string batch =
      t.isConv ? "a convolution (implicit GEMM of " + std::to_string(s.m) +
                     " rows: tensor-core kernels only)"
               : "batch " + std::to_string(s.m) + " exceeds max-batch";
  if (!composed) {
    if (!quant)
      return "encoding has no facet";
    bool grouped = t.isConv && t.conv.groups > 1; // on CUDA cores
    if (s.m > maxBatch && !tensorCores && !grouped)
      return batch + " and tensor-cores=false";
    return "";
  }

  // A grouped convolution's outliers and scattered entries gather their
  // group's channels; its low rank (a t per group) has no kernel.
  if (t.isConv && t.conv.groups > 1 && view->getLowRank())
    return "grouped convolution (groups = " + std::to_string(t.conv.groups) +
           ") with a low-rank facet has no GPU kernel yet";
  if (sparse && (sparse.isUnstructured() || sparse.isBlock())) {
    family = Family::CscSparse;
    if (OutliersAttr outliers = view->getOutliers())
      c.outliers = outliers.getCount();
    if (LowRankAttr lowrank = view->getLowRank()) {
      // The CSC kernel adds t . B_out with t from the tensor-core GEMM.
      if (!tensorCores)
        return "a low-rank facet next to unstructured or block sparsity "
               "needs tensor-cores (for t = x . A_in^T)";
      c.rank = lowrank.getRank();
      c.lowRankF16 = lowrank.getType().isF16();
    }
    return "";
  }
  if (t.isConv && t.conv.groups > 1 && sparse)
    return "grouped convolution (groups = " + std::to_string(t.conv.groups) +
           ") with N:M sparsity has no GPU kernel yet";
  if (s.m > maxBatch) {
    // The tensor-core kernels take the main term; outliers and low rank
    // are added to each result before its store.
    if (!tensorCores)
      return batch + " and tensor-cores=false";
    if (!quant && !sparse) {
      // Outliers (with or without low rank) on the CSC kernel, which adds
      // the low-rank term to its stores; low rank alone as two GEMMs.
      family = view->getOutliers() ? Family::CscSparse : Family::LowRankMma;
    } else if (sparse) {
      if (!sparse.isNM() || sparse.getN() != 2 || sparse.getM() != 4 ||
          sparse.getAxis() != reductionAxis)
        return batch + " (above it, sparsity has a kernel only as 2:4 "
                       "along K, on the sparse tensor cores)";
      family = Family::SparseMma;
    } else {
      family = Family::Plain;
    }
  }
  c.keptK = s.k;
  if (sparse) {
    if (!sparse.isNM() || sparse.getAxis() != reductionAxis)
      return "sparsity other than N:M along K has no GPU kernel yet";
    c.sparseN = sparse.getN();
    c.sparseM = sparse.getM();
    c.keptK = s.k / c.sparseM * c.sparseN;
    unsigned bits = sparse.getMetaBits();
    c.metaBits = bits <= 1 ? 1 : bits <= 2 ? 2 : bits <= 4 ? 4 : 8;
  }
  c.main = quant ? ComposedShape::Main::Codes
           : sparse ? ComposedShape::Main::Floats
                    : ComposedShape::Main::None;
  if (OutliersAttr outliers = view->getOutliers())
    c.outliers = outliers.getCount();
  if (LowRankAttr lowrank = view->getLowRank()) {
    c.rank = lowrank.getRank();
    c.lowRankF16 = lowrank.getType().isF16();
  }
  if (c.sparseM) {
    // The kernels add every kept value at its position; a run that keeps a
    // position twice (which the format does not forbid, and whose later
    // value the reference lowering keeps) stays on the CPU path.
    auto meta = readIntElements(weight.getStorage(StorageRole::Meta),
                                /*isUnsigned=*/true);
    if (meta && ::qsl::compress::sparseRowOrder(*meta, s.n, c.keptK,
                                                c.sparseN, transposed)
                    .empty())
      return "the N:M metadata repeats a position inside a run";
  }
  return "";
}

} // namespace

/// The kernel's output buffer: [M, N], or [images, N, OH*OW] for a
/// convolution (NCHW once expanded).
MemRefType outputType(const KernelShape &s) {
  if (s.conv)
    return MemRefType::get(
        {s.conv->images, s.n, s.conv->outH * s.conv->outW}, s.outType);
  return MemRefType::get({s.m, s.n}, s.outType);
}

std::string match(Operation *op, int64_t warps, int64_t maxBatch,
                  bool tensorCores, Target &t, ComposedShape &c,
                  Family &family, ConstantOp &weight) {
  if (auto matmul = dyn_cast<MatmulOp>(op))
    return matchOp(matmul, warps, maxBatch, tensorCores, t, c, family,
                   weight);
  return matchOp(cast<Conv2DOp>(op), warps, maxBatch, tensorCores, t, c,
                 family, weight);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
