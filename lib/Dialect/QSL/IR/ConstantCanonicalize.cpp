//===- ConstantCanonicalize.cpp - Simplify qsl.constant encodings ----------===//
//
// qsl.constant's canonicalization removes what contributes nothing to
//
//   W = round_T( S ⊙ (select(M, deq(Q), 0) + scatter(O) + U·V) )
//
// and spells the rest in its canonical form. Every rewrite leaves the value
// of W bit-for-bit unchanged, because each one removes an exact identity of
// the f32 (f64) computation the encoding defines:
//
//   * outliers whose value is 0 (x + 0 = x); a facet whose values are all 0
//     is dropped;
//   * low-rank components r with U[:, r] = 0 or V[r, :] = 0 while the other
//     factor is finite (the product adds exact zeros); a facet without any
//     nonzero component is dropped;
//   * smooth multipliers that are all 1 (x · 1 = x);
//   * an unstructured or block sparse facet that keeps every position (the
//     kept values become the dense main term, reordered to the matrix view);
//   * a quant group as long as its whole axis, which is group = 0
//     (per-channel): same side tensors, one spelling.
//
// A facet is only dropped when another facet of quant/sparse/outliers/
// lowrank remains (an encoding needs one); an all-zero sole facet keeps one
// entry or component. The constant changes type, so the rewrite only
// applies when every user is a qsl op whose result does not depend on the
// encoding (qsl.matmul, qsl.conv2d, qsl.unpack).
//
//===----------------------------------------------------------------------===//
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl;

namespace {

/// The storage of one constant being rewritten: facets and side tensors.
struct Draft {
  QuantAttr quant;
  SparseAttr sparse;
  OutliersAttr outliers;
  LowRankAttr lowrank;
  SmoothAttr smooth;
  ElementsAttr storage[kNumStorageRoles];

  /// How many of the facets that may stand alone are present.
  int standalone() const {
    return int(bool(quant)) + int(bool(sparse)) + int(bool(outliers)) +
           int(bool(lowrank));
  }
  ElementsAttr &at(StorageRole role) {
    return storage[static_cast<unsigned>(role)];
  }
};

/// A name for a rewritten side tensor: the old blob's key, else the role.
std::string blobName(ElementsAttr old, StorageRole role) {
  StringRef key = resourceName(old);
  return key.empty() ? getStorageRoleName(role).str() : key.str();
}

RankedTensorType withShape(ElementsAttr attr, ArrayRef<int64_t> shape) {
  auto type = llvm::cast<RankedTensorType>(attr.getType());
  return RankedTensorType::get(shape, type.getElementType());
}

/// Quant group spanning its whole axis -> group 0.
bool canonicalizeGroup(Draft &d, const EncodedTensorType &view) {
  if (!d.quant || d.quant.getGroup() == 0 || d.quant.hasQuantizedStats())
    return false;
  int64_t length = d.quant.getAxis() == 0 ? view.getMatrixRows()
                                          : view.getMatrixCols();
  if (d.quant.getGroup() != length)
    return false;
  d.quant = QuantAttr::get(d.quant.getContext(), d.quant.getBits(),
                           d.quant.getAxis(), /*group=*/0, d.quant.getScale(),
                           d.quant.getZero(), d.quant.getCodebook(),
                           /*stat_bits=*/0, /*stat_group=*/0);
  return true;
}

/// Smooth multipliers that are all exactly 1.
bool dropUnitSmooth(Draft &d) {
  if (!d.smooth)
    return false;
  auto values = readFloatElements(d.at(StorageRole::Smooth));
  if (!values || !llvm::all_of(*values, [](double v) { return v == 1.0; }))
    return false;
  d.smooth = {};
  d.at(StorageRole::Smooth) = {};
  return true;
}

/// Outliers whose value is 0.
bool dropZeroOutliers(Draft &d) {
  if (!d.outliers)
    return false;
  ElementsAttr indexAttr = d.at(StorageRole::OutlierIndices);
  ElementsAttr valueAttr = d.at(StorageRole::OutlierValues);
  auto indices = readIntElements(indexAttr);
  auto values = readFloatElements(valueAttr);
  if (!indices || !values)
    return false;
  std::vector<int64_t> keptIndices;
  std::vector<double> keptValues;
  for (size_t i = 0; i < values->size(); ++i)
    if ((*values)[i] != 0.0) {
      keptIndices.push_back((*indices)[i]);
      keptValues.push_back((*values)[i]);
    }
  if (keptValues.size() == values->size())
    return false;
  if (keptValues.empty()) {
    if (d.standalone() > 1) {
      d.outliers = {};
      d.at(StorageRole::OutlierIndices) = {};
      d.at(StorageRole::OutlierValues) = {};
      return true;
    }
    if (values->size() == 1)
      return false; // already the smallest spelling of a zero tensor
    keptIndices.push_back((*indices)[0]);
    keptValues.push_back(0.0);
  }
  int64_t count = keptValues.size();
  d.outliers = OutliersAttr::get(d.outliers.getContext(), count,
                                 d.outliers.getType());
  d.at(StorageRole::OutlierIndices) = makeIntElements(
      withShape(indexAttr, {count}), keptIndices,
      blobName(indexAttr, StorageRole::OutlierIndices));
  d.at(StorageRole::OutlierValues) = makeFloatElements(
      withShape(valueAttr, {count}), keptValues,
      blobName(valueAttr, StorageRole::OutlierValues));
  return true;
}

/// Low-rank components whose contribution is exactly zero.
bool dropZeroComponents(Draft &d, const EncodedTensorType &view) {
  if (!d.lowrank)
    return false;
  ElementsAttr uAttr = d.at(StorageRole::LowRankU);
  ElementsAttr vAttr = d.at(StorageRole::LowRankV);
  auto u = readFloatElements(uAttr);
  auto v = readFloatElements(vAttr);
  if (!u || !v)
    return false;
  int64_t rows = view.getMatrixRows(), cols = view.getMatrixCols();
  int64_t rank = d.lowrank.getRank();
  auto column = [&](int64_t r, auto pred) {
    for (int64_t i = 0; i < rows; ++i)
      if (!pred((*u)[i * rank + r]))
        return false;
    return true;
  };
  auto row = [&](int64_t r, auto pred) {
    for (int64_t j = 0; j < cols; ++j)
      if (!pred((*v)[r * cols + j]))
        return false;
    return true;
  };
  auto isZero = [](double x) { return x == 0.0; };
  auto isFinite = [](double x) { return std::isfinite(x); };
  std::vector<int64_t> kept;
  for (int64_t r = 0; r < rank; ++r) {
    bool zero = (column(r, isZero) && row(r, isFinite)) ||
                (row(r, isZero) && column(r, isFinite));
    if (!zero)
      kept.push_back(r);
  }
  if (int64_t(kept.size()) == rank)
    return false;
  if (kept.empty()) {
    if (d.standalone() > 1) {
      d.lowrank = {};
      d.at(StorageRole::LowRankU) = {};
      d.at(StorageRole::LowRankV) = {};
      return true;
    }
    if (rank == 1)
      return false;
    kept.push_back(0);
  }
  int64_t newRank = kept.size();
  std::vector<double> newU(rows * newRank), newV(newRank * cols);
  for (int64_t k = 0; k < newRank; ++k) {
    for (int64_t i = 0; i < rows; ++i)
      newU[i * newRank + k] = (*u)[i * rank + kept[k]];
    for (int64_t j = 0; j < cols; ++j)
      newV[k * cols + j] = (*v)[kept[k] * cols + j];
  }
  d.lowrank = LowRankAttr::get(d.lowrank.getContext(), newRank,
                               d.lowrank.getType());
  d.at(StorageRole::LowRankU) =
      makeFloatElements(withShape(uAttr, {rows, newRank}), newU,
                        blobName(uAttr, StorageRole::LowRankU));
  d.at(StorageRole::LowRankV) =
      makeFloatElements(withShape(vAttr, {newRank, cols}), newV,
                        blobName(vAttr, StorageRole::LowRankV));
  return true;
}

/// An unstructured or block sparse facet that keeps every position.
bool dropFullSparse(Draft &d, const EncodedTensorType &view) {
  if (!d.sparse || d.sparse.isNM())
    return false;
  int64_t rows = view.getMatrixRows(), cols = view.getMatrixCols();
  int64_t br = d.sparse.getBlockRows(), bc = d.sparse.getBlockCols();
  int64_t positions =
      d.sparse.isBlock() ? (rows / br) * (cols / bc) : rows * cols;
  if (d.sparse.getNnz() != positions)
    return false;
  ElementsAttr valuesAttr = d.at(StorageRole::Values);
  // Kept values in storage order; the dense matrix is their row-major
  // order (unstructured) or the blocks laid out on the block grid.
  auto toMatrix = [&](auto const &stored, auto &dense) {
    if (!d.sparse.isBlock()) {
      dense = stored;
      return;
    }
    dense.resize(rows * cols);
    int64_t blocksPerRow = cols / bc;
    for (int64_t b = 0; b < positions; ++b)
      for (int64_t i = 0; i < br; ++i)
        for (int64_t j = 0; j < bc; ++j)
          dense[(b / blocksPerRow * br + i) * cols + b % blocksPerRow * bc +
                j] = stored[(b * br + i) * bc + j];
  };
  RankedTensorType matrix = withShape(valuesAttr, view.getMatrixShape());
  std::string name = blobName(valuesAttr, StorageRole::Values);
  if (d.quant) {
    auto codes = readIntElements(valuesAttr, !d.quant.isSymmetric());
    if (!codes)
      return false;
    std::vector<int64_t> dense;
    toMatrix(*codes, dense);
    d.at(StorageRole::Values) = makeIntElements(matrix, dense, name);
  } else {
    auto values = readFloatElements(valuesAttr);
    if (!values)
      return false;
    std::vector<double> dense;
    toMatrix(*values, dense);
    d.at(StorageRole::Values) = makeFloatElements(matrix, dense, name);
  }
  d.sparse = {};
  d.at(StorageRole::Mask) = {};
  return true;
}

struct SimplifyEncodedConstant : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    for (Operation *user : op->getUsers())
      if (!isa<MatmulOp, Conv2DOp, UnpackOp>(user))
        return rewriter.notifyMatchFailure(
            op, "a user may depend on the exact encoding");
    EncodedTensorType view = *EncodedTensorType::get(op.getType());
    EncodingAttr enc = view.getEncoding();
    Draft d{enc.getQuant(), enc.getSparse(), enc.getOutliers(),
            enc.getLowrank(), enc.getSmooth(), {}};
    for (unsigned i = 0; i < kNumStorageRoles; ++i)
      d.storage[i] = op.getStorage(static_cast<StorageRole>(i));

    bool changed = canonicalizeGroup(d, view);
    changed |= dropUnitSmooth(d);
    changed |= dropZeroOutliers(d);
    changed |= dropZeroComponents(d, view);
    // Without quant, a sparse facet is the only spelling of a float main
    // term: dropping it would need a dense facet, which does not exist.
    if (d.quant)
      changed |= dropFullSparse(d, view);
    if (!changed)
      return failure();

    auto newEnc = EncodingAttr::get(op.getContext(), d.quant, d.sparse,
                                    d.outliers, d.lowrank, d.smooth);
    auto newType = RankedTensorType::get(view.getShape(),
                                         view.getElementType(), newEnc);
    auto newOp = ConstantOp::create(
        rewriter, op.getLoc(), newType, d.at(StorageRole::Values),
        d.at(StorageRole::Scales), d.at(StorageRole::Zeros),
        d.at(StorageRole::Codebook), d.at(StorageRole::Mask),
        d.at(StorageRole::Meta), d.at(StorageRole::OutlierIndices),
        d.at(StorageRole::OutlierValues), d.at(StorageRole::LowRankU),
        d.at(StorageRole::LowRankV), d.at(StorageRole::Smooth),
        d.at(StorageRole::StatScales), d.at(StorageRole::StatZeros));
    // Keep what passes attached (qsl.weight, qsl.source, qsl.method).
    for (NamedAttribute attr : op->getDiscardableAttrs())
      newOp->setAttr(attr.getName(), attr.getValue());
    rewriter.replaceOp(op, newOp.getResult());
    return success();
  }
};

} // namespace

void ConstantOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<SimplifyEncodedConstant>(context);
}
