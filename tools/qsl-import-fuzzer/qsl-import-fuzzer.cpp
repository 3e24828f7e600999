//===- qsl-import-fuzzer.cpp - libFuzzer harness for the ONNX importer -----===//
//
// Feeds arbitrary bytes to the importer as an .onnx file. Any input must end
// in a module or in diagnostics; a crash, hang, sanitizer report or leak is
// a bug. Built by scripts/fuzz.sh with clang (-fsanitize=fuzzer,address).
// Symbolic input dimensions default to 2 so that mutated graphs get imported
// past their inputs.
//
//===----------------------------------------------------------------------===//
#include "qsl/Import/ONNX/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  mlir::qsl::registerONNXImportDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::qsl::ONNXImportOptions options;
  options.symbolicDimension = 2;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::qsl::importONNXModelFromBuffer(
      context, llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "fuzz/model.onnx", options);
  (void)module;
  return 0;
}
