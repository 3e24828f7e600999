//===- GraphImporter.h - ONNX graph to func.func ----------------*- C++ -*-===//
#ifndef QSL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
#define QSL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

#include "ImportContext.h"

#include "qsl/Import/ONNX/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
namespace qsl {
namespace onnx_import {

class GraphImporter {
public:
  /// Reads `path`, or `bytes` when given (then `path` only names it).
  GraphImporter(MLIRContext &context, llvm::StringRef path,
                const ONNXImportOptions &options,
                std::optional<llvm::StringRef> bytes = std::nullopt);

  /// Loads, parses and imports; null after reporting an error.
  OwningOpRef<ModuleOp> run();

  /// ONNX element type -> MLIR element type (signless integers).
  Type elementType(int32_t onnxType) const;
  /// An initializer or Constant value as an attribute: inline when small,
  /// otherwise a dense_resource blob that takes over the tensor's bytes (or
  /// maps its external data file) without copying where alignment allows.
  ElementsAttr importTensor(const onnx::TensorProto &tensor);
private:
  bool load();
  InFlightDiagnostic error() const;
  bool importGraph(ModuleOp module);
  bool importInputs(SmallVectorImpl<Type> &types,
                    SmallVectorImpl<std::string> &names);
  bool importNode(const onnx::NodeProto &node, size_t index, OpBuilder &b);
  /// Bytes of a tensor stored outside the model file.
  AsmResourceBlob readExternal(const onnx::TensorProto &tensor,
                               int64_t expectedBytes, size_t alignment);

  MLIRContext &context;
  std::string path;
  std::string directory;
  std::optional<llvm::StringRef> bytes;
  const ONNXImportOptions &options;
  Location fileLoc;
  onnx::ModelProto model;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<TensorValue> values;
  std::vector<bool> inputUnsigned;
  OpTable table;
};

} // namespace onnx_import
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
