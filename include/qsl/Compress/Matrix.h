//===- Matrix.h - Matrix types of the compression numerics ------*- C++ -*-===//
//
// Compress/ is QSL's MLIR-free numerics library. Every algorithm sees one
// weight in the orientation of the GPTQ/SparseGPT papers:
//
//   W : [rows = output channels, cols = input features]
//
// so that the layer computes y = W x, the calibration statistics are over
// the columns (H = sum_t x_t x_t^T : [cols, cols]), quantization groups run
// along a row (group g of row r is W[r, g*G : (g+1)*G]) and N:M runs are M
// consecutive elements of a row. Callers with another layout (an ONNX MatMul
// weight is [in, out]) transpose before and after.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_MATRIX_H
#define QSL_COMPRESS_MATRIX_H

#include <Eigen/Dense>

#include <cstdint>

namespace qsl {
namespace compress {

/// Weights, row-major like the tensors they come from.
using Matrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Integer codes and zero points.
using IntMatrix =
    Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Keep masks: true where an element is kept.
using Mask =
    Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Second-order statistics (X^T X, Hessians): accumulated in double.
using MatrixD = Eigen::MatrixXd;
using VectorD = Eigen::VectorXd;
using Vector = Eigen::VectorXf;

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_MATRIX_H
