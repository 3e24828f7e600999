//===- EncodedConstant.cpp - Contents of encoded constants -----------------===//
#include "qsl/Dialect/QSL/IR/EncodedConstant.h"

#include "qsl/Utils/ElementsAccess.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl;

namespace {

/// Index arithmetic of the matrix view shared by packing and unpacking.
struct Layout {
  int64_t rows, cols;
  QuantAttr quant;
  SparseAttr sparse;

  explicit Layout(const EncodedTensorType &t)
      : rows(t.getMatrixRows()), cols(t.getMatrixCols()), quant(t.getQuant()),
        sparse(t.getSparse()) {}

  /// Linear index of the group side tensors for position (r, c).
  int64_t groupIndex(int64_t r, int64_t c) const {
    int64_t axis = quant.getAxis(), group = quant.getGroup();
    int64_t groupsAlong = group == 0 ? 1 : (axis == 0 ? rows : cols) / group;
    if (axis == 0)
      return (group == 0 ? 0 : r / group) * cols + c;
    return r * groupsAlong + (group == 0 ? 0 : c / group);
  }

  /// N:M: the dense position (r, c) of slot `s` of the compact matrix,
  /// given its metadata (position within the run).
  std::pair<int64_t, int64_t> nmPosition(int64_t r, int64_t c,
                                         int64_t pos) const {
    int64_t n = sparse.getN(), m = sparse.getM();
    if (sparse.getAxis() == 0)
      return {r / n * m + pos, c};
    return {r, c / n * m + pos};
  }
  /// Shape of the N:M compact matrices.
  std::pair<int64_t, int64_t> nmShape() const {
    int64_t n = sparse.getN(), m = sparse.getM();
    return sparse.getAxis() == 0 ? std::make_pair(rows / m * n, cols)
                                 : std::make_pair(rows, cols / m * n);
  }
};

double roundTo(double v, FloatType type) {
  if (type.isF64())
    return v;
  if (type.isF32())
    return double(float(v));
  APFloat f(v);
  bool lost;
  f.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToDouble();
}

} // namespace

FailureOr<ConstantOp>
mlir::qsl::buildEncodedConstant(OpBuilder &b, Location loc,
                                RankedTensorType type,
                                const EncodedContents &in, StringRef name) {
  std::optional<EncodedTensorType> view = EncodedTensorType::get(type);
  if (!view)
    return emitError(loc) << "not an encoded tensor type: " << type;
  Layout l(*view);
  int64_t size = l.rows * l.cols;
  auto bad = [&](const Twine &what) {
    return emitError(loc) << "cannot store weight '" << name << "' as " << type
                          << ": " << what;
  };
  bool codebook = l.quant && l.quant.hasCodebook();
  if (l.quant && int64_t(in.codes.size()) != size)
    return bad("expected " + Twine(size) + " codes");
  if (!l.quant && l.sparse && int64_t(in.values.size()) != size)
    return bad("expected " + Twine(size) + " values");
  if (l.sparse && int64_t(in.keep.size()) != size)
    return bad("expected a keep mask of " + Twine(size) + " positions");

  // Range of a code, and the code that stands for 0 (for padding N:M runs
  // that keep fewer than N).
  int64_t lo = 0, hi = 0;
  if (l.quant) {
    unsigned bits = l.quant.getBits();
    bool isSigned = l.quant.isSymmetric();
    // Codebook codes are unsigned indices into a table of K entries.
    if (codebook)
      hi = l.quant.getCodebook() - 1;
    lo = isSigned ? -(int64_t(1) << (bits - 1)) : 0;
    if (!codebook)
      hi = isSigned ? (int64_t(1) << (bits - 1)) - 1
                    : (int64_t(1) << bits) - 1;
    for (int64_t q : in.codes)
      if (q < lo || q > hi)
        return bad("code " + Twine(q) + " is outside [" + Twine(lo) + ", " +
                   Twine(hi) + "]");
  }
  auto zeroCodeAt = [&](int64_t r, int64_t c) -> int64_t {
    if (!l.quant || l.quant.isSymmetric() || codebook)
      return 0;
    return in.zeros[l.groupIndex(r, c)];
  };

  // The main term in storage form.
  std::vector<int64_t> mainInts;
  std::vector<double> mainFloats;
  std::vector<int64_t> meta, mask;
  auto push = [&](int64_t r, int64_t c, bool zero) {
    int64_t i = r * l.cols + c;
    if (l.quant)
      mainInts.push_back(zero ? zeroCodeAt(r, c) : in.codes[i]);
    else
      mainFloats.push_back(zero ? 0.0 : in.values[i]);
  };
  if (!l.sparse) {
    if (l.quant)
      mainInts = in.codes;
  } else if (l.sparse.isNM()) {
    int64_t n = l.sparse.getN(), m = l.sparse.getM();
    auto [cr, cc] = l.nmShape();
    std::vector<int64_t> slotPos(cr * cc);
    // Per run: the kept positions in order, padded with unkept ones.
    bool alongRows = l.sparse.getAxis() == 0;
    int64_t runs = (alongRows ? l.rows : l.cols) / m;
    int64_t across = alongRows ? l.cols : l.rows;
    for (int64_t a = 0; a < across; ++a)
      for (int64_t run = 0; run < runs; ++run) {
        SmallVector<int64_t> kept, other;
        for (int64_t p = 0; p < m; ++p) {
          int64_t r = alongRows ? run * m + p : a, c = alongRows ? a : run * m + p;
          (in.keep[r * l.cols + c] ? kept : other).push_back(p);
        }
        if (int64_t(kept.size()) > n)
          return bad("a run of " + Twine(m) + " keeps " + Twine(kept.size()) +
                     " elements, more than " + Twine(n));
        for (int64_t s = 0; s < n; ++s) {
          int64_t slotR = alongRows ? run * n + s : a;
          int64_t slotC = alongRows ? a : run * n + s;
          slotPos[slotR * cc + slotC] =
              s < int64_t(kept.size()) ? kept[s] : other[s - kept.size()];
        }
      }
    // Emit in row-major order of the compact matrix.
    for (int64_t r = 0; r < cr; ++r)
      for (int64_t c = 0; c < cc; ++c) {
        int64_t pos = slotPos[r * cc + c];
        auto [dr, dc] = l.nmPosition(r, c, pos);
        push(dr, dc, !in.keep[dr * l.cols + dc]);
        meta.push_back(pos);
      }
  } else if (l.sparse.isUnstructured()) {
    for (int64_t i = 0; i < size; ++i) {
      mask.push_back(in.keep[i]);
      if (in.keep[i])
        push(i / l.cols, i % l.cols, false);
    }
    int64_t nnz = l.quant ? mainInts.size() : mainFloats.size();
    if (nnz != l.sparse.getNnz())
      return bad("the mask keeps " + Twine(nnz) + " elements, the encoding " +
                 Twine(l.sparse.getNnz()));
  } else {
    int64_t br = l.sparse.getBlockRows(), bc = l.sparse.getBlockCols();
    for (int64_t r0 = 0; r0 < l.rows; r0 += br)
      for (int64_t c0 = 0; c0 < l.cols; c0 += bc) {
        int64_t count = 0;
        for (int64_t r = r0; r < r0 + br; ++r)
          for (int64_t c = c0; c < c0 + bc; ++c)
            count += in.keep[r * l.cols + c] != 0;
        if (count != 0 && count != br * bc)
          return bad("a block is partially kept");
        mask.push_back(count != 0);
        if (count)
          for (int64_t r = r0; r < r0 + br; ++r)
            for (int64_t c = c0; c < c0 + bc; ++c)
              push(r, c, false);
      }
    int64_t blocks = (l.quant ? mainInts.size() : mainFloats.size()) / (br * bc);
    if (blocks != l.sparse.getNnz())
      return bad("the mask keeps " + Twine(blocks) + " blocks, the encoding " +
                 Twine(l.sparse.getNnz()));
  }

  ElementsAttr attrs[kNumStorageRoles] = {};
  for (const StorageTensor &s : view->getStorage()) {
    std::string resName = (name + "." + getStorageRoleName(s.role)).str();
    auto ints = [&](ArrayRef<int64_t> v) -> ElementsAttr {
      if (int64_t(v.size()) != s.getNumElements())
        return {};
      return makeIntElements(s.type, v, resName);
    };
    auto floats = [&](ArrayRef<double> v) -> ElementsAttr {
      if (int64_t(v.size()) != s.getNumElements())
        return {};
      return makeFloatElements(s.type, v, resName);
    };
    ElementsAttr a;
    switch (s.role) {
    case StorageRole::Values:
      a = l.quant ? ints(mainInts) : floats(mainFloats);
      break;
    case StorageRole::Scales:
      a = l.quant.hasQuantizedStats() ? ints(in.scaleCodes) : floats(in.scales);
      break;
    case StorageRole::StatScales:
      a = floats(in.statScales);
      break;
    case StorageRole::StatZeros:
      a = floats(in.statZeros);
      break;
    case StorageRole::Zeros:
      a = ints(in.zeros);
      break;
    case StorageRole::Mask:
      a = ints(mask);
      break;
    case StorageRole::Meta:
      a = ints(meta);
      break;
    case StorageRole::OutlierIndices:
      a = ints(in.outlierIndices);
      break;
    case StorageRole::OutlierValues:
      a = floats(in.outlierValues);
      break;
    case StorageRole::LowRankU:
      a = floats(in.u);
      break;
    case StorageRole::LowRankV:
      a = floats(in.v);
      break;
    case StorageRole::Smooth:
      a = floats(in.smooth);
      break;
    case StorageRole::Codebook:
      a = floats(in.codebook);
      break;
    }
    if (!a)
      return bad(Twine(getStorageRoleName(s.role)) + " needs " +
                 Twine(s.getNumElements()) + " elements");
    attrs[static_cast<unsigned>(s.role)] = a;
  }
  auto at = [&](StorageRole r) { return attrs[static_cast<unsigned>(r)]; };
  return ConstantOp::create(
      b, loc, type, at(StorageRole::Values), at(StorageRole::Scales),
      at(StorageRole::Zeros), at(StorageRole::Codebook), at(StorageRole::Mask),
      at(StorageRole::Meta), at(StorageRole::OutlierIndices),
      at(StorageRole::OutlierValues), at(StorageRole::LowRankU),
      at(StorageRole::LowRankV), at(StorageRole::Smooth),
      at(StorageRole::StatScales), at(StorageRole::StatZeros));
}

std::vector<double> mlir::qsl::decodeQuantizedStats(
    const EncodedTensorType &type, ArrayRef<int64_t> scaleCodes,
    ArrayRef<double> statScales, ArrayRef<double> statZeros) {
  QuantAttr quant = type.getQuant();
  SmallVector<int64_t> g = type.getGroupShape(), h = type.getStatShape();
  int64_t other = 1 - quant.getAxis(), statGroup = quant.getStatGroup();
  std::vector<double> out(g[0] * g[1]);
  for (int64_t i = 0; i < g[0]; ++i)
    for (int64_t j = 0; j < g[1]; ++j) {
      int64_t hi = other == 0 ? i / statGroup : i;
      int64_t hj = other == 1 ? j / statGroup : j;
      int64_t at = hi * h[1] + hj;
      out[i * g[1] + j] =
          statScales[at] * (double(scaleCodes[i * g[1] + j]) - statZeros[at]);
    }
  return out;
}

FailureOr<EncodedContents> mlir::qsl::readEncodedConstant(ConstantOp op) {
  EncodedTensorType view = *EncodedTensorType::get(op.getType());
  Layout l(view);
  int64_t size = l.rows * l.cols;
  bool codebook = l.quant && l.quant.hasCodebook();
  auto ints = [&](StorageRole role, bool isUnsigned) {
    return readIntElements(op.getStorage(role), isUnsigned);
  };
  auto floats = [&](StorageRole role) {
    return readFloatElements(op.getStorage(role));
  };
  auto unavailable = [&](StorageRole role) {
    return op.emitError() << "the data of side tensor '"
                          << getStorageRoleName(role) << "' is unavailable";
  };
  EncodedContents out;
  if (codebook) {
    auto table = floats(StorageRole::Codebook);
    if (!table)
      return unavailable(StorageRole::Codebook);
    out.codebook = std::move(*table);
  } else if (l.quant && l.quant.hasQuantizedStats()) {
    auto codes = ints(StorageRole::Scales, true);
    auto ss = floats(StorageRole::StatScales);
    auto sz = floats(StorageRole::StatZeros);
    if (!codes)
      return unavailable(StorageRole::Scales);
    if (!ss)
      return unavailable(StorageRole::StatScales);
    if (!sz)
      return unavailable(StorageRole::StatZeros);
    out.scaleCodes = std::move(*codes);
    out.statScales = std::move(*ss);
    out.statZeros = std::move(*sz);
    out.scales = decodeQuantizedStats(*EncodedTensorType::get(op.getType()),
                                      out.scaleCodes, out.statScales,
                                      out.statZeros);
    if (!l.quant.isSymmetric()) {
      auto zeros = ints(StorageRole::Zeros, true);
      if (!zeros)
        return unavailable(StorageRole::Zeros);
      out.zeros = std::move(*zeros);
    }
  } else if (l.quant) {
    auto scales = floats(StorageRole::Scales);
    if (!scales)
      return unavailable(StorageRole::Scales);
    out.scales = std::move(*scales);
    if (!l.quant.isSymmetric()) {
      auto zeros = ints(StorageRole::Zeros, true);
      if (!zeros)
        return unavailable(StorageRole::Zeros);
      out.zeros = std::move(*zeros);
    }
  }
  std::vector<int64_t> mainInts;
  std::vector<double> mainFloats;
  if (l.quant || l.sparse) {
    if (l.quant) {
      auto v = ints(StorageRole::Values, !l.quant.isSymmetric());
      if (!v)
        return unavailable(StorageRole::Values);
      mainInts = std::move(*v);
    } else {
      auto v = floats(StorageRole::Values);
      if (!v)
        return unavailable(StorageRole::Values);
      mainFloats = std::move(*v);
    }
  }
  auto place = [&](int64_t dense, int64_t slot) {
    if (l.quant)
      out.codes[dense] = mainInts[slot];
    else
      out.values[dense] = mainFloats[slot];
  };
  if (l.quant)
    out.codes.assign(size, 0);
  else if (l.sparse)
    out.values.assign(size, 0.0);
  if (!l.sparse) {
    if (l.quant)
      out.codes = mainInts;
  } else {
    out.keep.assign(size, 0);
    if (l.sparse.isNM()) {
      auto meta = ints(StorageRole::Meta, true);
      if (!meta)
        return unavailable(StorageRole::Meta);
      auto [cr, cc] = l.nmShape();
      for (int64_t r = 0; r < cr; ++r)
        for (int64_t c = 0; c < cc; ++c) {
          auto [dr, dc] = l.nmPosition(r, c, (*meta)[r * cc + c]);
          place(dr * l.cols + dc, r * cc + c);
          out.keep[dr * l.cols + dc] = 1;
        }
    } else {
      auto mask = ints(StorageRole::Mask, true);
      if (!mask)
        return unavailable(StorageRole::Mask);
      int64_t slot = 0;
      if (l.sparse.isUnstructured()) {
        for (int64_t i = 0; i < size; ++i)
          if ((*mask)[i]) {
            out.keep[i] = 1;
            place(i, slot++);
          }
      } else {
        int64_t br = l.sparse.getBlockRows(), bc = l.sparse.getBlockCols();
        int64_t block = 0;
        for (int64_t r0 = 0; r0 < l.rows; r0 += br)
          for (int64_t c0 = 0; c0 < l.cols; c0 += bc, ++block) {
            if (!(*mask)[block])
              continue;
            for (int64_t r = r0; r < r0 + br; ++r)
              for (int64_t c = c0; c < c0 + bc; ++c) {
                out.keep[r * l.cols + c] = 1;
                place(r * l.cols + c, slot++);
              }
          }
      }
    }
  }
  if (view.getOutliers()) {
    auto idx = ints(StorageRole::OutlierIndices, false);
    auto val = floats(StorageRole::OutlierValues);
    if (!idx || !val)
      return unavailable(StorageRole::OutlierValues);
    out.outlierIndices = std::move(*idx);
    out.outlierValues = std::move(*val);
  }
  if (view.getLowRank()) {
    auto u = floats(StorageRole::LowRankU), v = floats(StorageRole::LowRankV);
    if (!u || !v)
      return unavailable(StorageRole::LowRankU);
    out.u = std::move(*u);
    out.v = std::move(*v);
  }
  if (view.getSmooth()) {
    auto smooth = floats(StorageRole::Smooth);
    if (!smooth)
      return unavailable(StorageRole::Smooth);
    out.smooth = std::move(*smooth);
  }
  return out;
}

std::vector<double>
mlir::qsl::denseApproximation(const EncodedTensorType &type,
                              const EncodedContents &in) {
  Layout l(type);
  int64_t size = l.rows * l.cols;
  std::vector<double> w(size, 0.0);
  // Terms are summed in the compute type: f32 unless the tensor is f64.
  bool f32 = type.getComputeType().isF32();
  auto c = [&](double v) { return f32 ? double(float(v)) : v; };
  // Side tensors as stored: rounded to their element types once.
  std::vector<double> scales;
  bool codebook = l.quant && l.quant.hasCodebook();
  if (codebook)
    for (double v : in.codebook)
      scales.push_back(roundTo(v, llvm::cast<FloatType>(l.quant.getScale())));
  else if (l.quant && l.quant.hasQuantizedStats())
    // Decoded from the stored codes and second level, in the compute type
    // like qsl-lower-to-linalg (not rounded to the scale type).
    for (double v : in.scales)
      scales.push_back(c(v));
  else if (l.quant)
    for (double v : in.scales)
      scales.push_back(roundTo(v, llvm::cast<FloatType>(l.quant.getScale())));
  if (type.hasMainTerm())
    for (int64_t r = 0; r < l.rows; ++r)
      for (int64_t col = 0; col < l.cols; ++col) {
        int64_t i = r * l.cols + col;
        if (l.sparse && !in.keep[i])
          continue;
        if (!l.quant) {
          w[i] = c(roundTo(in.values[i], type.getElementType()));
          continue;
        }
        int64_t g = l.groupIndex(r, col);
        if (codebook) {
          w[i] = c(scales[g * l.quant.getCodebook() + in.codes[i]]);
          continue;
        }
        double q = double(in.codes[i]);
        if (!l.quant.isSymmetric())
          q -= double(in.zeros[g]);
        w[i] = c(c(scales[g]) * q);
      }
  if (OutliersAttr o = type.getOutliers()) {
    auto ot = llvm::cast<FloatType>(o.getType());
    for (size_t k = 0; k < in.outlierIndices.size(); ++k)
      w[in.outlierIndices[k]] =
          c(w[in.outlierIndices[k]] + roundTo(in.outlierValues[k], ot));
  }
  if (LowRankAttr lr = type.getLowRank()) {
    // The factors as stored (rounded once here: rounding through APFloat
    // inside the product would dominate a report of large weights).
    auto ft = llvm::cast<FloatType>(lr.getType());
    int64_t rank = lr.getRank();
    std::vector<double> u(in.u.size()), v(in.v.size());
    for (size_t i = 0; i < u.size(); ++i)
      u[i] = roundTo(in.u[i], ft);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = roundTo(in.v[i], ft);
    for (int64_t r = 0; r < l.rows; ++r)
      for (int64_t col = 0; col < l.cols; ++col) {
        double acc = 0;
        for (int64_t k = 0; k < rank; ++k)
          acc = c(acc + c(u[r * rank + k] * v[k * l.cols + col]));
        w[r * l.cols + col] = c(w[r * l.cols + col] + acc);
      }
  }
  if (SmoothAttr sm = type.getSmooth()) {
    auto st = llvm::cast<FloatType>(sm.getType());
    bool alongRows = sm.getAxis() == 0;
    std::vector<double> m(in.smooth.size());
    for (size_t i = 0; i < m.size(); ++i)
      m[i] = c(roundTo(in.smooth[i], st));
    for (int64_t r = 0; r < l.rows; ++r)
      for (int64_t col = 0; col < l.cols; ++col)
        w[r * l.cols + col] =
            c(w[r * l.cols + col] * m[alongRows ? r : col]);
  }
  for (double &v : w)
    v = roundTo(v, type.getElementType());
  return w;
}
