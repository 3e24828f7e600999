//===- WeightTables.cpp - A weight's tables as the kernels read them ------===//
#include "WeightTables.h"

#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Utils/ElementsAccess.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

CscTable cscByColumn(const std::vector<int64_t> &indices,
                     const std::vector<double> &values, const KernelShape &s,
                     bool transposed) {
  auto column = [&](int64_t i) { return transposed ? i / s.k : i % s.n; };
  auto row = [&](int64_t i) { return transposed ? i % s.k : i / s.n; };
  CscTable t;
  t.colPtr.assign(s.n + 1, 0);
  t.rows.resize(indices.size());
  t.values.resize(indices.size());
  for (int64_t i : indices)
    ++t.colPtr[column(i) + 1];
  for (int64_t n = 0; n < s.n; ++n)
    t.colPtr[n + 1] += t.colPtr[n];
  std::vector<int32_t> next(t.colPtr.begin(), t.colPtr.end() - 1);
  for (size_t p = 0; p < indices.size(); ++p) {
    int32_t at = next[column(indices[p])]++;
    t.rows[at] = static_cast<int32_t>(row(indices[p]));
    t.values[at] = static_cast<float>(values[p]);
  }
  return t;
}

InFlightDiagnostic unavailable(Operation *op, StringRef what) {
  return op->emitError("qsl-lower-to-gpu: weight data unavailable: ") << what;
}

LogicalResult readOutliers(Operation *op, ConstantOp weight,
                           std::vector<int64_t> &indices,
                           std::vector<double> &values) {
  auto oi = readIntElements(weight.getStorage(StorageRole::OutlierIndices),
                            /*isUnsigned=*/false);
  auto ov = readFloatElements(weight.getStorage(StorageRole::OutlierValues));
  if (!oi || !ov)
    return unavailable(op, "outliers");
  indices.insert(indices.end(), oi->begin(), oi->end());
  values.insert(values.end(), ov->begin(), ov->end());
  return success();
}

FailureOr<QuantTables> readQuantTables(Operation *op, ConstantOp weight,
                                       QuantAttr quant, const KernelShape &s,
                                       bool transposed) {
  QuantTables q;
  auto codes = readIntElements(weight.getStorage(StorageRole::Values),
                               /*isUnsigned=*/!s.symmetric || s.codebook);
  if (!codes)
    return unavailable(op, "codes");
  q.codes = std::move(*codes);
  if (s.codebook) {
    auto books = codebookTable(weight.getStorage(StorageRole::Codebook), s,
                               transposed);
    if (!books)
      return unavailable(op, "codebooks");
    q.codebooks = std::move(*books);
    return q;
  }
  auto scales = groupTable(weight.getStorage(StorageRole::Scales), false, s,
                           transposed);
  if (!scales)
    return unavailable(op, "scales");
  q.scales = std::move(*scales);
  if (!s.symmetric) {
    auto zeros = groupTable(weight.getStorage(StorageRole::Zeros),
                            isa<IntegerType>(quant.getZero()), s, transposed);
    if (!zeros)
      return unavailable(op, "zero points");
    q.zeros = std::move(*zeros);
  }
  return q;
}

void addQuantTables(const QuantTables &q, const KernelShape &s, int64_t kept,
                    bool transposed, KernelEmitter &e,
                    SmallVectorImpl<KernelArg> &args) {
  args.push_back(
      e.wordTable("qsl_gpu_codes", q.codes, s.n, kept, s.bits, transposed));
  if (s.codebook) {
    args.push_back(e.table<float>(
        "qsl_gpu_codebook", {s.n, s.groups * s.codebook}, q.codebooks));
    return;
  }
  args.push_back(e.table<float>("qsl_gpu_scales", {s.n, s.groups}, q.scales));
  if (!s.symmetric)
    args.push_back(e.table<float>("qsl_gpu_zeros", {s.n, s.groups}, q.zeros));
}

std::vector<int32_t> asI32(const std::vector<uint32_t> &words) {
  return std::vector<int32_t>(words.begin(), words.end());
}

void addPackedTables(const PackedGemmTables &t, const KernelShape &s,
                     int64_t tiles, int64_t chunks, int64_t groupsPad,
                     int64_t columns, KernelEmitter &e,
                     SmallVectorImpl<KernelArg> &args) {
  args.push_back(e.table<int32_t>("qsl_gpu_mma_codes", {tiles, chunks, 128},
                                  asI32(t.words)));
  if (groupsPad == 0) // f16 values: no group tables
    return;
  if (s.symmetric)
    args.push_back(
        e.halfTable("qsl_gpu_mma_scales", {groupsPad, columns}, t.scales));
  else
    args.push_back(e.table<int32_t>("qsl_gpu_mma_scale_zero",
                                    {groupsPad, columns},
                                    asI32(t.scaleZero)));
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
