//===- WeightTables.h - A weight's tables as the kernels read them -*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. Reads the storage of a qsl.constant
// (codes, scales, zero points, codebooks, outliers) into the [N, ...] rows
// the kernels read, and turns them into kernel arguments.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_WEIGHTTABLES_H
#define QSL_LIB_CONVERSION_QSLTOGPU_WEIGHTTABLES_H

#include "HostSide.h"
#include "Kernels.h"

#include "qsl/Dialect/QSL/IR/QslAttrs.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// Entries of a weight's matrix view, compressed by output column.
struct CscTable {
  std::vector<int32_t> colPtr, rows; // [N + 1], [nnz]
  std::vector<float> values;         // [nnz]
};

/// The entries (linear indices into the [rows, cols] matrix view: k * N + n,
/// or n * K + k with transpose_w) as CSC by output column n, each column's
/// entries in the given order; repeated indices stay separate entries.
CscTable cscByColumn(const std::vector<int64_t> &indices,
                     const std::vector<double> &values, const KernelShape &s,
                     bool transposed);

/// The error for weight data `what` that cannot be read (e.g. a resource
/// blob that is not loaded).
InFlightDiagnostic unavailable(Operation *op, StringRef what);

/// Appends the outlier facet's linear indices (into the [rows, cols] matrix
/// view) and values to `indices` and `values`.
LogicalResult readOutliers(Operation *op, ConstantOp weight,
                           std::vector<int64_t> &indices,
                           std::vector<double> &values);

/// The tables of a quant facet as the kernels read them (before any
/// padding): codes in storage order, [N, G] scales and zero points, or
/// [N, G*E] codebooks.
struct QuantTables {
  std::vector<int64_t> codes;
  std::vector<float> scales, zeros, codebooks;
};

/// Reads `quant`'s tables of `weight` (shaped by `s`, [N, K] storage when
/// `transposed`); an error on `op` when they cannot be read.
FailureOr<QuantTables> readQuantTables(Operation *op, ConstantOp weight,
                                       QuantAttr quant, const KernelShape &s,
                                       bool transposed);

/// The quant facet's kernel arguments, in the order every family takes
/// them: the code words of `codes` [N, kept] (kept = K, or the kept codes of
/// N:M), then the [N, G*E] codebooks, or the [N, G] scales and (asymmetric)
/// zero points.
void addQuantTables(const QuantTables &q, const KernelShape &s, int64_t kept,
                    bool transposed, KernelEmitter &e,
                    SmallVectorImpl<KernelArg> &args);

/// 32-bit words as the i32 table elements they are stored as.
std::vector<int32_t> asI32(const std::vector<uint32_t> &words);

/// The packed kernels' tables as kernel arguments: the fragment-ordered
/// code words [tiles, chunks, 128], then the [groupsPad, columns] words of
/// s and 1024 + z (asymmetric) or f16 scales (symmetric); none when
/// groupsPad is 0 (the words hold f16 values).
void addPackedTables(const PackedGemmTables &t, const KernelShape &s,
                     int64_t tiles, int64_t chunks, int64_t groupsPad,
                     int64_t columns, KernelEmitter &e,
                     SmallVectorImpl<KernelArg> &args);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_WEIGHTTABLES_H
