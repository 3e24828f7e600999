//===- ObjectFile.h - Ahead-of-time objects of compiled models --*- C++ -*-===//
//
// qslc --emit=obj: the LLVM-dialect module qslc compiles for qsl-run (CPU,
// or --target=cuda with its kernels embedded) as a relocatable ELF object
// for the host, so that a machine without LLVM/MLIR can run the model:
// link it into a shared library (`cc -shared model.o -o model.so`, plus
// -lqsl_cuda_runtime for --target=cuda) and run it with qsl-run-aot. The
// object exports the C-interface entry `_mlir_ciface_<entry>` (inputs then
// outputs as memref descriptors) and `qsl_model_signature`, a string of
// lines
//
//   entry <function>
//   input <name> <element type> <d0>x<d1>...
//   output <name> <element type> <d0>x...
//
// that qsl-run-aot reads.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_EXECUTION_OBJECTFILE_H
#define QSL_EXECUTION_OBJECTFILE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
namespace qsl {

/// Translates `module` (annotated by annotateEntryPoint and lowered to the
/// LLVM dialect) to LLVM IR, optimises it at -O3 for the host and writes a
/// position-independent object file to `os`.
llvm::Error writeObjectFile(ModuleOp module, llvm::raw_pwrite_stream &os);

} // namespace qsl
} // namespace mlir

#endif // QSL_EXECUTION_OBJECTFILE_H
