//===- consumer-opt.cpp - Another stack's opt tool with QSL's passes -------===//
//
// Registers the upstream dialects this project uses, then QSL's dialect and
// passes (qsl-compress-pipeline, qsl-quantize, ...) from the installed
// package, and runs mlir-opt's driver.
//
//===----------------------------------------------------------------------===//
#include "qsl/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::linalg::LinalgDialect, mlir::tensor::TensorDialect>();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();

  // QSL: the dialect (and what its lowerings create), every pass and
  // pipeline.
  mlir::qsl::registerAllDialects(registry);
  mlir::qsl::registerAllPasses();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "QSL consumer opt\n", registry));
}
