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

#include <optional>
#include <string>

namespace mlir {
namespace qsl {
namespace compress = ::qsl::compress;

constexpr llvm::StringLiteral kCalibrationAttr = "qsl.calibration";
constexpr llvm::StringLiteral kWeightNameAttr = "qsl.weight";
constexpr llvm::StringLiteral kSourceAttr = "qsl.source";
constexpr llvm::StringLiteral kMethodAttr = "qsl.method";

struct WeightUse {
  Operation *op = nullptr; // the contraction (linalg op or qsl.matmul)
  /// The activation [batch..., M, K] (operand 0 of `op`); stale once the
  /// contraction producing it has been replaced by another pass step.
  Value input;
  bool transposed = false; // the weight is stored [N, K]
  int64_t k = 0, n = 0;
  /// The stored weight type (dense, or encoded when `encoded` is set).
  RankedTensorType weightType;
  /// The dense weight's data, or the original data an encoded weight was
  /// made from (its qsl.source), when known.
  ElementsAttr source;
  ConstantOp encoded;      // set when already compressed
  std::string name;        // the resource/initializer name, else the node
  std::string node;        // the node (location name) of the contraction
  /// The ONNX op type of the node (MatMul, Gemm) for imported models, else
  /// the MLIR op name (linalg.matmul, linalg.generic).
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

/// The weight in the orientation of Compress/ ([N = outputs, K = inputs])
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

/// Replaces the use's contraction with a qsl.matmul on a new qsl.constant
/// of `encodedType` holding `contents` (stored orientation), keeping the
/// calibration statistics and recording name, source and `method`.
LogicalResult replaceWithEncoded(WeightUse &use, RankedTensorType encodedType,
                                 const EncodedContents &contents,
                                 StringRef method);

/// Converts between the canonical [N, K] orientation and the stored one
/// (row-major matrices of the stored weight type's shape).
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
