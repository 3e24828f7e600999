//===- qsl-opt.cpp - QSL optimizer driver ----------------------------------===//
//
// mlir-opt with every upstream dialect, extension and pass, plus QSL's.
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "qsl/Execution/EndToEnd.h"
#include "qsl/InitAll.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qsl::registerAllPasses();
  // qsl-allocate{refine-generations=...} runs the model (JIT).
  mlir::qsl::registerEndToEndEvaluator();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qsl::registerAllDialects(registry);
  // gpu-module-to-binary (qsl-gpu-pipeline) translates gpu.module to LLVM IR.
  mlir::registerAllGPUToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "QSL optimizer: quantized, sparse and low-rank tensors\n",
      registry));
}
