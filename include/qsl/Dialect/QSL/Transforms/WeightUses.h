//===- WeightUses.h - The weights compression passes work on ----*- C++ -*-===//
//
// A "weight use" is a contraction of a dense activation with a constant
// 2-D float weight,
//
//   y[b..., m, n] = sum_k x[b..., m, k] * W[k, n]     (or W[n, k])
//
// written as any linalg op with those indexing maps (the importer's MatMul
// and Gemm generics, linalg.matmul from other frontends) on a zero-filled
// accumulator, or a qsl.matmul whose weight is a qsl.constant (a weight a
// previous pass already compressed). The compression passes find them
// here, compute on the weight matrix and put a qsl.matmul on a new
// qsl.constant in place of the contraction.
//
// A 2-D convolution with a constant OIHW filter is a weight use too: the
// importer's ONNX Conv (builders::buildConv2D: tensor.pad, expand_shape,
// grouped linalg.generic, collapse_shape, and a conversion for non-f32
// types) or a qsl.conv2d on a qsl.constant. Its weight is the matrix view
// of the filter, [N = O, K = C/groups * kh * kw] (columns in (c, kh, kw)
// order), stored as is (`transposed`); each output position is a token
// whose features are its input patch (Compress/Im2Col.h). The whole chain
// becomes one qsl.conv2d; a bias add after it stays.
//
// Discardable attributes the passes exchange:
//   qsl.calibration on the contraction (moved to the qsl.matmul):
//       {gram : tensor<KxKxf64>, sum : tensor<Kxf64>, tokens : i64},
//       the layer-input statistics qsl-calibrate recorded.
//   on every qsl.constant a pass creates:
//       qsl.weight (name), qsl.source (the original dense ElementsAttr,
//       shared, never copied), qsl.method (what produced it).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_DIALECT_QSL_TRANSFORMS_WEIGHTUSES_H
#define QSL_DIALECT_QSL_TRANSFORMS_WEIGHTUSES_H

#include "qsl/Compress/Statistics.h"
#include "qsl/Dialect/QSL/IR/EncodedConstant.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Regex.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir {
namespace qsl {
namespace compress = ::qsl::compress;

constexpr llvm::StringLiteral kCalibrationAttr = "qsl.calibration";
constexpr llvm::StringLiteral kWeightNameAttr = "qsl.weight";
constexpr llvm::StringLiteral kSourceAttr = "qsl.source";
constexpr llvm::StringLiteral kMethodAttr = "qsl.method";

/// What a convolution weight use convolves with (qsl.conv2d's attributes).
struct ConvAttrs {
  SmallVector<int64_t, 2> strides{1, 1}, dilations{1, 1};
  SmallVector<int64_t, 4> pads{0, 0, 0, 0}; // top, left, bottom, right
  int64_t groups = 1;
  /// A text naming the attributes: uses with the same input and key see
  /// the same tokens (and share calibration statistics).
  std::string key() const;
};

struct WeightUse {
  /// The contraction: a linalg op, qsl.matmul, the importer's grouped
  /// convolution generic or qsl.conv2d.
  Operation *op = nullptr;
  /// The activation [batch..., M, K] (operand 0 of `op`), or a
  /// convolution's NCHW input (before padding); stale once the op
  /// producing it has been replaced by another pass step.
  Value input;
  bool transposed = false; // the weight is stored [N, K] (always for conv)
  int64_t k = 0, n = 0;
  /// Set for convolutions (weight OIHW, input NCHW); shared by copies.
  std::shared_ptr<const ConvAttrs> conv;
  bool isConv() const { return conv != nullptr; }
  /// The stored weight type (dense, or encoded when `encoded` is set).
  RankedTensorType weightType;
  /// The dense weight's data, or the original data an encoded weight was
  /// made from (its qsl.source), when known.
  ElementsAttr source;
  ConstantOp encoded;      // set when already compressed
  std::string name;        // the resource/initializer name, else the node
  std::string node;        // the node (location name) of the contraction
  /// The ONNX op type of the node (MatMul, Gemm, Conv) for imported
  /// models, else the MLIR op name (linalg.matmul, linalg.generic,
  /// qsl.conv2d).
  std::string opType;
};

/// Every weight use in `module`, in program order.
SmallVector<WeightUse> collectWeightUses(ModuleOp module);

/// Which weights a pass touches: names matching `include` (all when
/// empty) and not `exclude`, of one of `opTypes` (all when empty), with at
/// least `minElements` elements.
struct WeightFilter {
  std::optional<llvm::Regex> include, exclude;
  SmallVector<std::string> opTypes;
  int64_t minElements = 0;
  /// Parses the pass options; on a bad regex or op-type list returns an
  /// error message. `opTypeList` is comma-separated (MatMul,Gemm).
  std::string init(StringRef includeRe, StringRef excludeRe, int64_t minElems,
                   StringRef opTypeList = "");
  bool accepts(const WeightUse &use) const;
};

/// The weight in the orientation of Compress/ ([N = outputs, K = inputs];
/// a convolution filter's matrix view [O, C/groups * kh * kw])
/// with the keep mask of an already sparse encoding (all true when dense).
/// Fails with an error on the op when the data is unavailable.
LogicalResult readCanonicalWeight(const WeightUse &use, compress::Matrix &w,
                                  compress::Mask &keep,
                                  EncodedContents *contents = nullptr);

/// The statistics qsl-calibrate attached to the use, if any.
std::optional<compress::InputStatistics> readCalibration(const WeightUse &use);
/// The attribute form of `stats` (resource blobs named after `name`).
DictionaryAttr makeCalibrationAttr(MLIRContext *ctx,
                                   const compress::InputStatistics &stats,
                                   StringRef name);

/// Replaces the use's contraction with a qsl.matmul (a convolution's whole
/// chain with a qsl.conv2d) on a new qsl.constant of `encodedType` holding
/// `contents` (stored orientation), keeping the calibration statistics and
/// recording name, source and `method`.
LogicalResult replaceWithEncoded(WeightUse &use, RankedTensorType encodedType,
                                 const EncodedContents &contents,
                                 StringRef method);

/// Converts between the canonical [N, K] orientation and the stored one
/// (row-major matrices of the stored weight type's matrix view).
template <typename T>
std::vector<T> toStored(const WeightUse &use,
                        const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic,
                                            Eigen::RowMajor> &canonical) {
  if (use.transposed)
    return std::vector<T>(canonical.data(),
                          canonical.data() + canonical.size());
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> t =
      canonical.transpose();
  return std::vector<T>(t.data(), t.data() + t.size());
}

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_TRANSFORMS_WEIGHTUSES_H
