//===- InitAll.cpp - Register every QSL dialect and pass -------------------===//
#include "qsl/InitAll.h"
#include "qsl/Codegen/Passes.h"
#include "qsl/Conversion/Passes.h"
#include "qsl/Conversion/QSLToGPU/GpuPipeline.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"
#include "qsl/Pipelines/Pipelines.h"

void mlir::qsl::registerAllDialects(DialectRegistry &registry) {
  registry.insert<QslDialect, arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
  registerGpuLaunchEffects(registry);
}

void mlir::qsl::registerAllPasses() {
  registerQslCodegenPasses();
  registerQslConversionPasses();
  registerQslTransformsPasses();
  registerPipelines();
}
