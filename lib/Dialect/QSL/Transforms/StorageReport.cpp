//===- StorageReport.cpp - Remarks on the storage of encoded tensors -------===//
#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Dialect/QSL/Transforms/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
namespace qsl {
#define GEN_PASS_DEF_QSLSTORAGEREPORTPASS
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"
} // namespace qsl
} // namespace mlir

using namespace mlir;
using namespace mlir::qsl;

static std::string describe(const EncodedTensorType &view) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << view.getDenseType() << ": " << view.getStorageBits() << " bits, "
     << llvm::format("%.3f", view.getBitsPerParameter())
     << " bits/parameter, "
     << llvm::format("%.2f", double(view.getDenseBits()) /
                                 double(view.getStorageBits()))
     << "x smaller than dense;";
  llvm::StringRef sep = " ";
  for (const StorageTensor &s : view.getStorage()) {
    os << sep << getStorageRoleName(s.role) << " " << s.type;
    sep = ", ";
  }
  return text;
}

namespace {
struct QslStorageReportPass
    : public qsl::impl::QslStorageReportPassBase<QslStorageReportPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (auto fn = llvm::dyn_cast<FunctionOpInterface>(op)) {
        for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes()))
          if (std::optional<EncodedTensorType> view =
                  EncodedTensorType::get(type))
            op->emitRemark() << "argument #" << i << " " << describe(*view);
        return;
      }
      if (auto constant = llvm::dyn_cast<ConstantOp>(op))
        constant.emitRemark() << describe(*EncodedTensorType::get(
            constant.getType()));
    });
    markAllAnalysesPreserved();
  }
};
} // namespace
