//===- QslAttrs.cpp - QSL encoding attributes ------------------------------===//
//
// Verification of the facets on their own, the custom syntax of the sparse
// facet, and the shape-dependent checks of the encoding
// (VerifiableTensorEncoding).
//
//===----------------------------------------------------------------------===//
#include "qsl/Dialect/QSL/IR/QslAttrs.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qsl;

//===----------------------------------------------------------------------===//
// QuantAttr
//===----------------------------------------------------------------------===//

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                unsigned bits, int64_t axis, int64_t group,
                                Type scale, Type zero, int64_t codebook,
                                unsigned statBits, int64_t statGroup) {
  if (bits < 2 || bits > 8)
    return emitError() << "quant bits must be in [2, 8], got " << bits;
  if (axis < 0)
    return emitError() << "quant axis must be non-negative, got " << axis;
  if (group < 0)
    return emitError() << "quant group size must be non-negative (0 means "
                          "per-channel), got "
                       << group;
  if (!llvm::isa<FloatType>(scale))
    return emitError() << "quant scale type must be a float type, got "
                       << scale;
  if (zero && !llvm::isa<FloatType, IntegerType>(zero))
    return emitError() << "quant zero-point type must be an integer or float "
                          "type, got "
                       << zero;
  if (codebook != 0) {
    int64_t maxEntries = int64_t(1) << bits;
    if (codebook < 2 || codebook > maxEntries)
      return emitError() << "quant codebook size must be in [2, 2^bits = "
                         << maxEntries << "], got " << codebook;
    if (zero)
      return emitError()
             << "quant codebook entries are absolute values: a zero-point "
                "type cannot be combined with a codebook";
  }
  if (statBits != 0 || statGroup != 0) {
    if (statBits < 2 || statBits > 8)
      return emitError() << "quant stat_bits must be in [2, 8], got "
                         << statBits;
    if (statGroup < 1)
      return emitError() << "quant stat_group must be positive, got "
                         << statGroup;
    if (group == 0)
      return emitError() << "quantized statistics need group-wise scales "
                            "(group > 0)";
    if (codebook != 0)
      return emitError() << "quantized statistics cannot be combined with a "
                            "codebook";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SparseAttr
//===----------------------------------------------------------------------===//

unsigned SparseAttr::getMetaBits() const {
  return std::max<unsigned>(1, llvm::Log2_64_Ceil(getM()));
}

LogicalResult SparseAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 SparseKind kind, int64_t n, int64_t m,
                                 int64_t axis, int64_t blockRows,
                                 int64_t blockCols, int64_t nnz) {
  switch (kind) {
  case SparseKind::NM:
    if (n < 1 || m < 2 || n >= m)
      return emitError() << "N:M sparsity needs 0 < N < M, got " << n << ":"
                         << m;
    if (m > 256)
      return emitError() << "N:M sparsity supports M <= 256, got " << m;
    if (axis < 0)
      return emitError() << "sparse axis must be non-negative, got " << axis;
    return success();
  case SparseKind::Unstructured:
    if (nnz < 1)
      return emitError() << "unstructured sparsity needs nnz >= 1, got " << nnz;
    return success();
  case SparseKind::Block:
    if (blockRows < 1 || blockCols < 1)
      return emitError() << "sparse block dimensions must be positive, got "
                         << blockRows << "x" << blockCols;
    if (nnz < 1)
      return emitError() << "block sparsity needs nnz >= 1 kept blocks, got "
                         << nnz;
    return success();
  }
  return emitError() << "unknown sparse kind";
}

// <2:4> | <2:4, axis = 1> | <unstructured, nnz = 6> | <block = 2x4, nnz = 3>
Attribute SparseAttr::parse(AsmParser &parser, Type) {
  auto emitError = [&]() { return parser.emitError(parser.getNameLoc()); };
  if (parser.parseLess())
    return {};
  auto parseNnz = [&](StringRef form, int64_t &nnz) -> ParseResult {
    if (parser.parseOptionalComma() || parser.parseOptionalKeyword("nnz"))
      return parser.emitError(parser.getCurrentLocation())
             << "expected ', nnz = <count>' after '" << form
             << "': the number of kept "
             << (form == "unstructured" ? "elements" : "blocks")
             << " fixes the storage shape";
    return failure(parser.parseEqual() || parser.parseInteger(nnz));
  };
  SparseKind kind;
  int64_t n = 0, m = 0, axis = 0, rows = 0, cols = 0, nnz = 0;
  if (succeeded(parser.parseOptionalKeyword("unstructured"))) {
    kind = SparseKind::Unstructured;
    if (parseNnz("unstructured", nnz))
      return {};
  } else if (succeeded(parser.parseOptionalKeyword("block"))) {
    kind = SparseKind::Block;
    SmallVector<int64_t, 2> dims;
    if (parser.parseEqual() ||
        parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                  /*withTrailingX=*/false))
      return {};
    if (dims.size() != 2) {
      parser.emitError(parser.getCurrentLocation(),
                       "expected a block shape RxC");
      return {};
    }
    rows = dims[0];
    cols = dims[1];
    if (parseNnz("block", nnz))
      return {};
  } else {
    kind = SparseKind::NM;
    SMLoc patternLoc = parser.getCurrentLocation();
    auto parseInt = [&](int64_t &v) {
      OptionalParseResult r = parser.parseOptionalInteger(v);
      return r.has_value() && succeeded(*r);
    };
    if (!parseInt(n) || parser.parseOptionalColon() || !parseInt(m)) {
      parser.emitError(patternLoc,
                       "expected a sparsity pattern: 'N:M' (e.g. 2:4), "
                       "'unstructured, nnz = K' or 'block = RxC, nnz = K'");
      return {};
    }
    if (succeeded(parser.parseOptionalComma()) &&
        (parser.parseKeyword("axis") || parser.parseEqual() ||
         parser.parseInteger(axis)))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked(emitError, parser.getContext(), kind, n, m, axis, rows,
                    cols, nnz);
}

void SparseAttr::print(AsmPrinter &printer) const {
  printer << "<";
  switch (getKind()) {
  case SparseKind::NM:
    printer << getN() << ":" << getM();
    if (getAxis() != 0)
      printer << ", axis = " << getAxis();
    break;
  case SparseKind::Unstructured:
    printer << "unstructured, nnz = " << getNnz();
    break;
  case SparseKind::Block:
    printer << "block = " << getBlockRows() << "x" << getBlockCols()
            << ", nnz = " << getNnz();
    break;
  }
  printer << ">";
}

//===----------------------------------------------------------------------===//
// OutliersAttr, LowRankAttr
//===----------------------------------------------------------------------===//

/// Parses `<KEY = integer, type = T>` with the two entries in either order,
/// naming whichever is missing or unknown.
static ParseResult parseSizeAndType(AsmParser &parser, StringRef facet,
                                    StringRef sizeKey, int64_t &size,
                                    Type &type) {
  if (parser.parseLess())
    return failure();
  bool haveSize = false;
  do {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return failure();
    if (key == sizeKey && !haveSize) {
      if (parser.parseInteger(size))
        return failure();
      haveSize = true;
    } else if (key == "type" && !type) {
      if (parser.parseType(type))
        return failure();
    } else {
      return parser.emitError(keyLoc)
             << "unexpected '" << key << "' in " << facet << " facet; expected '"
             << sizeKey << "' and 'type', once each";
    }
  } while (succeeded(parser.parseOptionalComma()));
  SMLoc endLoc = parser.getCurrentLocation();
  if (parser.parseGreater())
    return failure();
  if (!haveSize || !type)
    return parser.emitError(endLoc)
           << facet << " facet is missing '" << (haveSize ? "type" : sizeKey)
           << "'";
  return success();
}

Attribute OutliersAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t count = 0;
  Type type;
  if (parseSizeAndType(parser, "outliers", "count", count, type))
    return {};
  return getChecked([&]() { return parser.emitError(loc); },
                    parser.getContext(), count, type);
}

void OutliersAttr::print(AsmPrinter &printer) const {
  printer << "<count = " << getCount() << ", type = " << getType() << ">";
}

Attribute LowRankAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t rank = 0;
  Type type;
  if (parseSizeAndType(parser, "lowrank", "rank", rank, type))
    return {};
  return getChecked([&]() { return parser.emitError(loc); },
                    parser.getContext(), rank, type);
}

void LowRankAttr::print(AsmPrinter &printer) const {
  printer << "<rank = " << getRank() << ", type = " << getType() << ">";
}

LogicalResult
OutliersAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     int64_t count, Type type) {
  if (count < 1)
    return emitError() << "outliers count must be positive, got " << count;
  if (!llvm::isa<FloatType>(type))
    return emitError() << "outliers type must be a float type, got " << type;
  return success();
}

LogicalResult LowRankAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t rank, Type type) {
  if (rank < 1)
    return emitError() << "lowrank rank must be positive, got " << rank;
  if (!llvm::isa<FloatType>(type))
    return emitError() << "lowrank factor type must be a float type, got "
                       << type;
  return success();
}

//===----------------------------------------------------------------------===//
// EncodingAttr
//===----------------------------------------------------------------------===//

LogicalResult SmoothAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t axis, Type type) {
  if (axis < 0 || axis > 1)
    return emitError() << "smooth axis " << axis
                       << " is out of range: facets see the tensor as a "
                          "matrix, so the axis is 0 or 1";
  if (!llvm::isa<FloatType>(type))
    return emitError() << "smooth type must be a float type, got " << type;
  return success();
}

LogicalResult EncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   QuantAttr quant, SparseAttr sparse,
                                   OutliersAttr outliers, LowRankAttr lowrank,
                                   SmoothAttr smooth) {
  if (!quant && !sparse && !outliers && !lowrank)
    return emitError() << "qsl.encoding needs at least one facet (quant, "
                          "sparse, outliers or lowrank)"
                       << (smooth ? "; smooth only scales the others" : "");
  return success();
}

// <quant = <...>, sparse = <...>, outliers = <...>, lowrank = <...>,
// smooth = <...>>, any subset, in any order.
Attribute EncodingAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  QuantAttr quant;
  SparseAttr sparse;
  OutliersAttr outliers;
  LowRankAttr lowrank;
  SmoothAttr smooth;
  if (parser.parseLess())
    return {};
  if (failed(parser.parseOptionalGreater())) {
    do {
      SMLoc keyLoc = parser.getCurrentLocation();
      StringRef key;
      if (parser.parseKeyword(&key) || parser.parseEqual())
        return {};
      auto parseFacet = [&](auto &slot) -> ParseResult {
        using FacetT = std::decay_t<decltype(slot)>;
        if (slot)
          return parser.emitError(keyLoc)
                 << "qsl.encoding facet '" << key << "' is given twice";
        Attribute facet = FacetT::parse(parser, Type());
        if (!facet)
          return failure();
        slot = llvm::cast<FacetT>(facet);
        return success();
      };
      ParseResult result =
          key == "quant"      ? parseFacet(quant)
          : key == "sparse"   ? parseFacet(sparse)
          : key == "outliers" ? parseFacet(outliers)
          : key == "lowrank"  ? parseFacet(lowrank)
          : key == "smooth"
              ? parseFacet(smooth)
              : ParseResult(parser.emitError(keyLoc)
                            << "unknown qsl.encoding facet '" << key
                            << "'; expected quant, sparse, outliers, lowrank "
                               "or smooth");
      if (failed(result))
        return {};
    } while (succeeded(parser.parseOptionalComma()));
    if (parser.parseGreater())
      return {};
  }
  return getChecked([&]() { return parser.emitError(loc); },
                    parser.getContext(), quant, sparse, outliers, lowrank,
                    smooth);
}

void EncodingAttr::print(AsmPrinter &printer) const {
  printer << "<";
  StringRef sep = "";
  if (getQuant()) {
    printer << sep << "quant = ";
    getQuant().print(printer);
    sep = ", ";
  }
  if (getSparse()) {
    printer << sep << "sparse = ";
    getSparse().print(printer);
    sep = ", ";
  }
  if (getOutliers()) {
    printer << sep << "outliers = ";
    getOutliers().print(printer);
    sep = ", ";
  }
  if (getLowrank()) {
    printer << sep << "lowrank = ";
    getLowrank().print(printer);
    sep = ", ";
  }
  if (getSmooth()) {
    printer << sep << "smooth = ";
    getSmooth().print(printer);
    sep = ", ";
  }
  printer << ">";
}

LogicalResult EncodingAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (!llvm::isa<FloatType>(elementType))
    return emitError() << "qsl.encoding requires a float element type, got "
                       << elementType;
  if (shape.empty())
    return emitError() << "qsl.encoding requires a tensor of rank >= 1";
  if (ShapedType::isDynamicShape(shape))
    return emitError() << "qsl.encoding requires a static shape";
  int64_t rank = shape.size();
  int64_t numElements = ShapedType::getNumElements(shape);
  // Every facet sees the tensor as the matrix [dim0, dim1 * ... * dimN].
  int64_t matrix[2] = {shape[0], numElements / shape[0]};
  auto matrixView = [&]() {
    return llvm::formatv("{0}x{1}", matrix[0], matrix[1]).str();
  };

  if (QuantAttr quant = getQuant()) {
    int64_t axis = quant.getAxis();
    if (axis > 1)
      return emitError() << "quant axis " << axis
                         << " is out of range: facets see the tensor as the "
                            "matrix "
                         << matrixView() << ", so the axis is 0 or 1";
    int64_t group = quant.getGroup();
    if (group != 0 && matrix[axis] % group != 0)
      return emitError() << "quant group size " << group
                         << " does not divide axis " << axis << " of size "
                         << matrix[axis] << " (matrix view " << matrixView()
                         << ")";
    int64_t statGroup = quant.getStatGroup();
    if (quant.hasQuantizedStats() && matrix[1 - axis] % statGroup != 0)
      return emitError() << "quant stat_group " << statGroup
                         << " does not divide axis " << 1 - axis
                         << " of size " << matrix[1 - axis] << " (matrix view "
                         << matrixView() << ")";
  }

  if (SparseAttr sparse = getSparse()) {
    switch (sparse.getKind()) {
    case SparseKind::NM: {
      int64_t axis = sparse.getAxis();
      if (axis > 1)
        return emitError() << "sparse axis " << axis
                           << " is out of range: facets see the tensor as the "
                              "matrix "
                           << matrixView() << ", so the axis is 0 or 1";
      if (matrix[axis] % sparse.getM() != 0)
        return emitError() << sparse.getN() << ":" << sparse.getM()
                           << " sparsity needs axis " << axis << " (size "
                           << matrix[axis] << ", matrix view " << matrixView()
                           << ") to be a multiple of " << sparse.getM();
      QuantAttr quant = getQuant();
      if (quant && quant.getAxis() == axis && quant.getGroup() != 0 &&
          quant.getGroup() % sparse.getM() != 0)
        return emitError() << "quant group size " << quant.getGroup()
                           << " must be a multiple of M = " << sparse.getM()
                           << " so that no N:M run straddles two groups";
      break;
    }
    case SparseKind::Unstructured:
      if (sparse.getNnz() > numElements)
        return emitError() << "unstructured sparsity keeps nnz = "
                           << sparse.getNnz() << " of only " << numElements
                           << " elements";
      break;
    case SparseKind::Block: {
      if (rank < 2)
        return emitError() << "block sparsity requires a tensor of rank >= 2";
      if (matrix[0] % sparse.getBlockRows() != 0 ||
          matrix[1] % sparse.getBlockCols() != 0)
        return emitError() << "sparse block " << sparse.getBlockRows() << "x"
                           << sparse.getBlockCols()
                           << " does not tile the matrix view " << matrixView();
      int64_t blocks = (matrix[0] / sparse.getBlockRows()) *
                       (matrix[1] / sparse.getBlockCols());
      if (sparse.getNnz() > blocks)
        return emitError() << "block sparsity keeps nnz = " << sparse.getNnz()
                           << " of only " << blocks << " blocks";
      break;
    }
    }
  }

  if (OutliersAttr outliers = getOutliers())
    if (outliers.getCount() > numElements)
      return emitError() << "outliers count " << outliers.getCount()
                         << " exceeds the " << numElements
                         << " elements of the tensor";

  if (LowRankAttr lowrank = getLowrank()) {
    if (rank < 2)
      return emitError() << "lowrank requires a tensor of rank >= 2";
    int64_t limit = std::min(matrix[0], matrix[1]);
    if (lowrank.getRank() >= limit)
      return emitError() << "lowrank rank " << lowrank.getRank()
                         << " must be smaller than min(rows, cols) = " << limit
                         << " of the matrix view " << matrixView();
  }
  return success();
}
