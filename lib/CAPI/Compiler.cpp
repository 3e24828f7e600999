//===- Compiler.cpp - C API: ONNX import, pass pipelines, CPU compile ------===//
#include "qsl-c/Compiler.h"

#include "Support.h"
#include "qsl/Dialect/QSL/Transforms/Report.h"
#include "qsl/Execution/CompiledModel.h"
#include "qsl/Import/ONNX/ONNXImporter.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"
#include "qsl/Pipelines/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

/// Appends every dialect and extension QSL uses to `context` (cheap when
/// they are already there).
static void registerOn(MLIRContext *context) {
  DialectRegistry registry;
  mlir::qsl::capi::registerEverything(registry);
  context->appendDialectRegistry(registry);
}

MlirModule mlirQslImportONNXFile(MlirContext ctx, MlirStringRef path,
                                 intptr_t numInputShapes,
                                 const MlirStringRef *inputShapes) {
  MLIRContext *context = unwrap(ctx);
  registerOn(context);
  mlir::qsl::ONNXImportOptions options;
  for (intptr_t i = 0; i < numInputShapes; ++i)
    if (llvm::Error e = mlir::qsl::parseInputShapeSpec(unwrap(inputShapes[i]), options)) {
      emitError(UnknownLoc::get(context))
          << "bad input shape spec: " << llvm::toString(std::move(e));
      return {nullptr};
    }
  OwningOpRef<ModuleOp> module =
      mlir::qsl::importONNXModel(*context, unwrap(path), options);
  if (!module)
    return {nullptr}; // the importer emitted the error
  return wrap(module.release());
}

/// Parses `pipeline` into `pm`, relative to the module or anchored on
/// builtin.module; a diagnostic at `loc` when it does not parse.
static LogicalResult parsePipeline(StringRef pipeline, PassManager &pm,
                                   Location loc) {
  mlir::qsl::capi::registerPassesOnce();
  StringRef text = pipeline.trim();
  std::string errors;
  llvm::raw_string_ostream os(errors);
  LogicalResult parsed = failure();
  if (text.starts_with("builtin.module(")) {
    // An anchored pipeline: it replaces the module pass manager's contents.
    FailureOr<OpPassManager> anchored = parsePassPipeline(text, os);
    if (succeeded(anchored)) {
      static_cast<OpPassManager &>(pm) = std::move(*anchored);
      parsed = success();
    }
  } else {
    parsed = parsePassPipeline(text, pm, os);
  }
  if (failed(parsed))
    emitError(loc) << "invalid pass pipeline '" << text
                   << "': " << StringRef(errors).trim();
  return parsed;
}

MlirLogicalResult mlirQslParsePassPipeline(MlirContext ctx,
                                           MlirStringRef pipeline) {
  MLIRContext *context = unwrap(ctx);
  registerOn(context);
  PassManager pm(context);
  return wrap(parsePipeline(unwrap(pipeline), pm, UnknownLoc::get(context)));
}

MlirLogicalResult mlirQslRunPassPipeline(MlirModule module,
                                         MlirStringRef pipeline) {
  ModuleOp op = unwrap(module);
  MLIRContext *context = op.getContext();
  registerOn(context);
  PassManager pm(context);
  if (failed(parsePipeline(unwrap(pipeline), pm, op.getLoc())))
    return wrap(failure());
  return wrap(pm.run(op));
}

static MlirLogicalResult
compile(MlirModule module, MlirStringRef entry, bool vectorize,
        const char *chip,
        mlir::qsl::GpuBinaryFormat format = mlir::qsl::GpuBinaryFormat::bin) {
  ModuleOp op = unwrap(module);
  mlir::qsl::capi::registerPassesOnce();
  registerOn(op.getContext());
  // What compression passes leave for each other and for the report has
  // no meaning after lowering (and the original weights would be carried).
  mlir::qsl::stripCompressionMetadata(op);
  mlir::qsl::CpuPipelineOptions cpu;
  cpu.vectorize = vectorize;
  mlir::qsl::GpuPipelineOptions gpu;
  gpu.chip = !chip                       ? mlir::qsl::GpuChip::sm_90
             : StringRef(chip) == "sm_80"  ? mlir::qsl::GpuChip::sm_80
             : StringRef(chip) == "sm_90a" ? mlir::qsl::GpuChip::sm_90a
                                           : mlir::qsl::GpuChip::sm_90;
  gpu.format = format;
  return wrap(mlir::qsl::compileForExecution(op, unwrap(entry), cpu,
                                             chip ? &gpu : nullptr));
}

MlirLogicalResult mlirQslCompileForCPU(MlirModule module, MlirStringRef entry,
                                       bool vectorize) {
  return compile(module, entry, vectorize, nullptr);
}

MlirLogicalResult mlirQslCompileForCUDA(MlirModule module, MlirStringRef entry,
                                        MlirStringRef chip) {
  StringRef c = unwrap(chip);
  if (c != "sm_80" && c != "sm_90" && c != "sm_90a") {
    emitError(unwrap(module).getLoc())
        << "unknown CUDA chip '" << c
        << "' (expected sm_80, sm_90 or sm_90a)";
    return wrap(failure());
  }
  return compile(module, entry, /*vectorize=*/true,
                 c == "sm_80" ? "sm_80" : c == "sm_90a" ? "sm_90a" : "sm_90");
}

MlirLogicalResult mlirQslCompileForCUDAEmulator(MlirModule module,
                                                MlirStringRef entry) {
  return compile(module, entry, /*vectorize=*/true, "sm_90",
                 mlir::qsl::GpuBinaryFormat::emulator);
}
