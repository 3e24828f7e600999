//===- ExportInternal.h - Pieces of the ONNX exporter -----------*- C++ -*-===//
//
// Model I/O (external data in and out), tensor encoding and the opset
// check, shared by the files of lib/Export/ONNX. Errors are thrown as
// ExportError and turned into diagnostics at the public entry point.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_EXPORT_ONNX_EXPORTINTERNAL_H
#define QSL_LIB_EXPORT_ONNX_EXPORTINTERNAL_H

#include "qsl/Export/ONNX/ONNXExporter.h"

#include "llvm/ADT/ArrayRef.h"

#include "onnx/onnx_pb.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace onnx_export {

struct ExportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// TensorProto data types (ONNX 1.16 numbering; the installed onnx.proto
/// predates INT4/UINT4, but data_type is an int32 field).
enum DataType : int {
  kFloat = 1, kUInt8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kBool = 9,
  kFloat16 = 10,
  kDouble = 11, kBFloat16 = 16, kUInt4 = 21, kInt4 = 22,
};

/// Reads the model at `path`; tensors with external data get their bytes
/// inline (raw_data). Sets `hadExternal` when any tensor had external data.
void loadModel(const std::string &path, onnx::ModelProto &model,
               bool &hadExternal);
/// Writes `model` to `path`, moving large raw tensors into `<path>.data`
/// when `options` (and `hadExternal`) ask for external data.
void writeModel(onnx::ModelProto &model, const std::string &path,
                const mlir::qsl::ONNXExportOptions &options, bool hadExternal);

/// The elements of a float tensor (f32, f16, bf16, f64) as doubles.
std::vector<double> decodeFloats(const onnx::TensorProto &t);
/// Raw little-endian bytes of `values` in a float data type (rounded to
/// nearest even), and of integers in an integer type (4-bit: two per byte,
/// low nibble first).
std::string encodeFloats(llvm::ArrayRef<double> values, int dataType);
std::string encodeInts(llvm::ArrayRef<int64_t> values, int dataType);

/// The default-domain opset the model imports (0 if none).
int64_t defaultOpset(const onnx::ModelProto &model);
/// Raises the model's default opset to `required` when it is lower, after
/// checking that no node changes meaning between the two versions; else
/// throws, naming the nodes and `why` the version is needed. Raises the
/// IR version to what the opset needs.
void raiseOpset(onnx::ModelProto &model, int64_t required,
                const std::string &why, const std::string &file);

} // namespace onnx_export

#endif // QSL_LIB_EXPORT_ONNX_EXPORTINTERNAL_H
