//===- ONNXImporter.h - Import ONNX models into MLIR ------------*- C++ -*-===//
//
// The public entry point of the ONNX importer. It includes no protobuf
// header, so exception-free code (tools, the C API) can call it; protobuf and
// every exception stay inside lib/Import/ONNX.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_IMPORT_ONNX_ONNXIMPORTER_H
#define QSL_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir {
class DialectRegistry;
namespace qsl {

struct ONNXImportOptions {
  /// Concrete shapes for graph inputs, by input name. Required for every
  /// input whose shape has a symbolic or unknown dimension; a given shape
  /// must agree with the static dimensions the model declares.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// When positive, the size given to symbolic dimensions that no
  /// inputShapes entry covers (used by the fuzzer); 0 makes them an error.
  int64_t symbolicDimension = 0;
  /// Name of the function the graph becomes.
  std::string functionName = "main_graph";
  /// Initializers with at most this many elements become inline dense
  /// attributes (readable, foldable); larger ones become dense_resource
  /// blobs that alias the model's bytes or the memory-mapped external file.
  int64_t inlineElementLimit = 16;
};

/// Parses `name=1x128` (dims separated by 'x') into `options`.
llvm::Error parseInputShapeSpec(llvm::StringRef spec,
                                ONNXImportOptions &options);

/// Imports the model at `path` into a module with one function on tensors.
/// Problems (unreadable or malformed file, missing external data, an
/// unsupported operator, inconsistent shapes or types) are reported as
/// errors through `context`'s diagnostic engine, naming the file and the
/// node; the result is then null.
OwningOpRef<ModuleOp> importONNXModel(MLIRContext &context,
                                      llvm::StringRef path,
                                      const ONNXImportOptions &options);

/// Imports a model from serialized bytes; `name` stands for the file in
/// diagnostics and is the directory external data is looked up from.
OwningOpRef<ModuleOp> importONNXModelFromBuffer(MLIRContext &context,
                                                llvm::StringRef bytes,
                                                llvm::StringRef name,
                                                const ONNXImportOptions &options);

/// Every operator the importer handles, as "domain::OpType" (domain empty
/// for the default ONNX domain) with the lowest opset it is handled from.
std::vector<std::pair<std::string, int64_t>> listSupportedONNXOps();

/// The dialects imported modules use.
void registerONNXImportDialects(DialectRegistry &registry);

} // namespace qsl
} // namespace mlir

#endif // QSL_IMPORT_ONNX_ONNXIMPORTER_H
