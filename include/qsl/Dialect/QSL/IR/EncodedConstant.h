//===- EncodedConstant.h - Contents of encoded constants --------*- C++ -*-===//
//
// The bridge between numbers and IR for compressed weights. Compression
// algorithms produce, for every position of a weight's matrix view
// [rows, cols], a code (or a value) and whether it is kept; qsl.constant
// stores the same in compact side tensors (N:M values and metadata,
// unstructured value lists, kept blocks). buildEncodedConstant packs the
// position-wise form into side tensors, readEncodedConstant unpacks them,
// and denseApproximation evaluates the encoding's definition
//
//   W = round_T( S ⊙ (select(M, deq(Q), 0) + scatter(O) + U·V) )
//
// in C++, the twin of qsl-lower-to-linalg used by reports and tests.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_DIALECT_QSL_IR_ENCODEDCONSTANT_H
#define QSL_DIALECT_QSL_IR_ENCODEDCONSTANT_H

#include "qsl/Dialect/QSL/IR/QslOps.h"

#include <vector>

namespace mlir {
namespace qsl {

/// An encoded tensor position by position, in the row-major matrix view.
/// Only the fields the encoding needs are used.
struct EncodedContents {
  std::vector<int64_t> codes;   // quant: the code of every position
  std::vector<double> values;   // sparse without quant: every position
  std::vector<uint8_t> keep;    // sparse: 1 where kept (rows * cols)
  std::vector<double> scales;   // quant: group shape, row-major (decoded
                                // when the statistics are quantized)
  std::vector<int64_t> scaleCodes;          // quantized statistics: group
  std::vector<double> statScales, statZeros; // shape; stat shape
  std::vector<int64_t> zeros;   // asymmetric quant: group shape
  std::vector<int64_t> outlierIndices;
  std::vector<double> outlierValues;
  std::vector<double> u, v;     // low-rank factors, row-major
  std::vector<double> smooth;   // one multiplier per channel of its axis
  std::vector<double> codebook; // codebook quant: group shape x K entries
};

/// A qsl.constant of `type` (with a #qsl.encoding) holding `contents`;
/// side tensors over 16 elements become resource blobs named
/// `<name>.<role>`. Emits an error at `loc` and fails when the contents
/// do not fit the encoding (wrong sizes, a run with more than N kept, a
/// partially kept block, a code out of range).
FailureOr<ConstantOp> buildEncodedConstant(OpBuilder &b, Location loc,
                                           RankedTensorType type,
                                           const EncodedContents &contents,
                                           StringRef name);

/// The position-wise contents of a qsl.constant; emits an error and fails
/// when its data is unavailable.
FailureOr<EncodedContents> readEncodedConstant(ConstantOp op);

/// The scales quantized statistics stand for: scale[g] = statScales[h] *
/// (scaleCodes[g] - statZeros[h]), h = g with the axis other than the quant
/// axis divided by stat_group (all row-major, in double).
std::vector<double> decodeQuantizedStats(const EncodedTensorType &type,
                                         ArrayRef<int64_t> scaleCodes,
                                         ArrayRef<double> statScales,
                                         ArrayRef<double> statZeros);

/// The dense tensor `contents` stands for, in the matrix view, computed in
/// double and rounded once to the element type.
std::vector<double> denseApproximation(const EncodedTensorType &type,
                                       const EncodedContents &contents);

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_IR_ENCODEDCONSTANT_H
