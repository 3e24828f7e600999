//===- Report.cpp - Per-weight compression report -------------------------===//
#include "qsl/Dialect/QSL/Transforms/Report.h"

#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl;
namespace json = llvm::json;
namespace cq = ::qsl::compress;

static int64_t denseBytes(RankedTensorType t) {
  return t.getNumElements() *
         ((t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

/// Bytes an arith.constant or qsl.constant occupies.
static int64_t constantBytes(Operation *op) {
  if (auto c = llvm::dyn_cast<ConstantOp>(op))
    return EncodedTensorType::get(c.getType())->getStorageBytes();
  auto type = llvm::dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat())
    return 0;
  if (type.getElementType().isInteger(1))
    return (type.getNumElements() + 7) / 8;
  return denseBytes(type);
}

int64_t mlir::qsl::modelConstantBytes(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](Operation *op) {
    if (llvm::isa<arith::ConstantOp, ConstantOp>(op))
      bytes += constantBytes(op);
  });
  return bytes;
}

FailureOr<json::Value>
mlir::qsl::buildCompressionReport(ModuleOp module,
                                  std::optional<int64_t> importedBytes) {
  json::Array weights;
  int64_t params = 0, before = 0, after = 0;
  llvm::DenseSet<Operation *> counted;
  for (WeightUse &use : collectWeightUses(module)) {
    json::Object w;
    w["name"] = use.name;
    if (!use.node.empty())
      w["node"] = use.node;
    RankedTensorType dense = use.weightType;
    std::optional<EncodedTensorType> view =
        EncodedTensorType::get(use.weightType);
    if (view)
      dense = view->getDenseType();
    json::Array shape;
    for (int64_t d : dense.getShape())
      shape.push_back(d);
    w["shape"] = std::move(shape);
    w["op_type"] = use.opType;
    if (use.isConv())
      w["groups"] = use.conv->groups;
    w["k"] = use.k;
    w["n"] = use.n;
    int64_t bytesBefore = denseBytes(dense);
    int64_t bytesAfter = view ? view->getStorageBytes() : bytesBefore;
    w["bytes_before"] = bytesBefore;
    w["bytes_after"] = bytesAfter;
    w["bits_per_parameter"] =
        view ? view->getBitsPerParameter()
             : double(dense.getElementType().getIntOrFloatBitWidth());
    std::string encoding = "dense";
    if (view) {
      llvm::raw_string_ostream os(encoding);
      encoding.clear();
      os << view->getEncoding();
      if (auto m = ConstantOp(use.encoded)->getAttrOfType<StringAttr>(kMethodAttr))
        w["method"] = m.str();
    }
    w["encoding"] = encoding;
    Operation *storage = use.encoded ? use.encoded.getOperation() : nullptr;
    if (storage && counted.insert(storage).second) {
      params += dense.getNumElements();
      before += bytesBefore;
      after += bytesAfter;
    }

    // Errors against the original data.
    if (view && use.source) {
      cq::Matrix approx, original;
      cq::Mask keep;
      if (failed(readCanonicalWeight(use, approx, keep)))
        return failure();
      WeightUse plain = use;
      plain.encoded = {};
      plain.weightType = dense;
      if (failed(readCanonicalWeight(plain, original, keep)))
        return failure();
      double wn = original.cast<double>().norm();
      w["rel_frobenius_error"] =
          wn > 0 ? (original - approx).cast<double>().norm() / wn : 0.0;
      if (std::optional<cq::InputStatistics> stats = readCalibration(use)) {
        w["output_error"] =
            cq::relativeOutputError(original, approx, stats->gram);
        w["calibration_tokens"] = stats->tokens;
      }
    } else if (!view) {
      w["rel_frobenius_error"] = 0.0;
    }
    weights.push_back(std::move(w));
  }

  // Model totals over every constant: compressed ones at their storage size,
  // the rest dense; "before" counts compressed weights at their dense size.
  int64_t modelAfter = modelConstantBytes(module);
  int64_t modelBefore =
      importedBytes ? *importedBytes : modelAfter - after + before;
  json::Object totals;
  totals["compressed_weights"] = int64_t(counted.size());
  totals["compressed_parameters"] = params;
  totals["compressed_bytes_before"] = before;
  totals["compressed_bytes_after"] = after;
  totals["compressed_bits_per_parameter"] =
      params ? 8.0 * double(after) / double(params) : 0.0;
  totals["model_bytes_before"] = modelBefore;
  totals["model_bytes_after"] = modelAfter;
  totals["model_ratio"] =
      modelAfter ? double(modelBefore) / double(modelAfter) : 1.0;
  return json::Value(json::Object{{"weights", std::move(weights)},
                                  {"totals", std::move(totals)}});
}

void mlir::qsl::stripCompressionMetadata(ModuleOp module) {
  module.walk([](Operation *op) {
    op->removeAttr(kCalibrationAttr);
    op->removeAttr(kSourceAttr);
  });
}
