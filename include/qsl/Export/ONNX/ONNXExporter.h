//===- ONNXExporter.h - Write compressed models back as ONNX ----*- C++ -*-===//
//
// The public entry point of the ONNX exporter (qslc --emit=onnx). It
// rewrites the ONNX model a module was imported from: every weight a
// compression pass encoded is replaced, for the node that consumed it, by a
// small subgraph of standard operators (DequantizeLinear on 4/8-bit codes,
// ScatterND for outliers, MatMul for low-rank factors, Mul for smoothing
// multipliers) that computes the same dense tensor the encoding stands for.
// Like ONNXImporter.h it includes no protobuf header: exceptions and
// protobuf stay inside lib/Export/ONNX. See docs/tools/onnx-export.md.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_EXPORT_ONNX_ONNXEXPORTER_H
#define QSL_EXPORT_ONNX_ONNXEXPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
namespace qsl {

struct ONNXExportOptions {
  enum class ExternalData {
    /// External when the input model used external data or the tensors
    /// exceed 1 GiB (protobuf cannot hold 2 GiB), else inline.
    Auto,
    Always,
    Never,
  };
  ExternalData externalData = ExternalData::Auto;
  /// With external data, tensors of at least this many bytes go to
  /// `<output>.data` next to the output (ONNX's convention); smaller ones
  /// stay inline.
  int64_t externalThreshold = 1024;
};

/// Writes to `outputPath` the ONNX model at `modelPath` (which `module` was
/// imported from, then compressed) with every weight a compression pass
/// encoded replaced by an equivalent subgraph. Weights left dense are
/// copied unchanged. Emits an error naming the file, the weight and the
/// reason, and writes nothing, when the module cannot be expressed this
/// way (a structured pruning changed the graph, a codebook, ...).
LogicalResult exportONNXModel(ModuleOp module, llvm::StringRef modelPath,
                              llvm::StringRef outputPath,
                              const ONNXExportOptions &options = {});

} // namespace qsl
} // namespace mlir

#endif // QSL_EXPORT_ONNX_ONNXEXPORTER_H
