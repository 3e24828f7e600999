//===- ObjectFile.cpp - Ahead-of-time objects of compiled models ----------===//
#include "qsl/Execution/ObjectFile.h"
#include "qsl/Execution/CompiledModel.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error mlir::qsl::writeObjectFile(ModuleOp module,
                                       llvm::raw_pwrite_stream &os) {
  std::vector<TensorSignature> inputs, outputs;
  std::string entry;
  if (llvm::Error e = readSignature(module, entry, inputs, outputs))
    return e;
  MLIRContext *ctx = module.getContext();
  registerBuiltinDialectTranslation(*ctx);
  registerLLVMDialectTranslation(*ctx);
  registerGPUDialectTranslation(*ctx);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "qsl_model");
  if (!llvmModule)
    return makeError("cannot translate the module to LLVM IR");
  llvmModule->setDataLayout((*tm)->createDataLayout());
  llvmModule->setTargetTriple((*tm)->getTargetTriple());

  // The signature qsl-run-aot reads.
  std::string text = "entry " + entry + "\n";
  for (auto [kind, sigs] : {std::make_pair("input", &inputs),
                            std::make_pair("output", &outputs)})
    for (const TensorSignature &s : *sigs) {
      text += std::string(kind) + " " + s.name + " " +
              ::qsl::runtime::mlirName(s.dtype) + " ";
      for (size_t i = 0; i < s.shape.size(); ++i)
        text += (i ? "x" : "") + std::to_string(s.shape[i]);
      text += "\n";
    }
  llvm::Constant *init =
      llvm::ConstantDataArray::getString(llvmContext, text, /*AddNull=*/true);
  new llvm::GlobalVariable(*llvmModule, init->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, init,
                           "qsl_model_signature");

  if (llvm::Error e =
          makeOptimizingTransformer(3, 0, tm->get())(llvmModule.get()))
    return e;
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, os, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return makeError("the host target cannot emit object files");
  pm.run(*llvmModule);
  return llvm::Error::success();
}
