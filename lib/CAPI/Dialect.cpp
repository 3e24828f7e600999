//===- Dialect.cpp - C API: qsl dialect, passes and #qsl.encoding ---------===//
#include "qsl-c/Dialect.h"

#include "Support.h"
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslAttrs.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"
#include "qsl/Execution/EndToEnd.h"
#include "qsl/InitAll.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Parser/Parser.h"

#include <mutex>

using namespace mlir;
using namespace mlir::qsl;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(QSL, qsl, mlir::qsl::QslDialect)

void mlirQslRegisterAllDialects(MlirDialectRegistry registry) {
  capi::registerEverything(*unwrap(registry));
}

void mlirQslRegisterPasses(void) { capi::registerPassesOnce(); }

void capi::registerEverything(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qsl::registerAllDialects(registry);
  // gpu-module-to-binary (compile for CUDA) and gpu.binary (JIT).
  mlir::registerAllGPUToLLVMIRTranslations(registry);
}

void capi::registerPassesOnce() {
  // A pipeline registered twice is a fatal error in MLIR builds with
  // assertions; a pass registered twice is harmless. Register once.
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    mlir::qsl::registerAllPasses();
    mlir::qsl::registerEndToEndEvaluator();
  });
}

//===----------------------------------------------------------------------===//
// #qsl.encoding
//===----------------------------------------------------------------------===//

static EncodingAttr asEncoding(MlirAttribute attr) {
  return attr.ptr ? llvm::dyn_cast<EncodingAttr>(unwrap(attr)) : EncodingAttr();
}

bool mlirAttributeIsAQslEncoding(MlirAttribute attr) {
  return static_cast<bool>(asEncoding(attr));
}

MlirAttribute mlirQslEncodingAttrParse(MlirContext ctx, MlirStringRef text) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<QslDialect>();
  Attribute attr = parseAttribute(unwrap(text), context);
  if (!attr)
    return {nullptr}; // the parser emitted the error
  if (!llvm::isa<EncodingAttr>(attr)) {
    emitError(UnknownLoc::get(context))
        << "expected a #qsl.encoding, got " << attr;
    return {nullptr};
  }
  return wrap(attr);
}

MlirAttribute mlirQslEncodingAttrGet(MlirContext ctx, unsigned quantBits,
                                     int64_t quantGroup, MlirType quantScaleType,
                                     bool quantAsymmetric, int64_t sparseN,
                                     int64_t sparseM, int64_t lowRankRank,
                                     MlirType lowRankType) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<QslDialect>();
  auto emit = [&] { return emitError(UnknownLoc::get(context)); };
  QuantAttr quant;
  if (quantBits != 0) {
    if (!quantScaleType.ptr) {
      emit() << "qsl encoding: a quant facet needs a scale type";
      return {nullptr};
    }
    Type zero = quantAsymmetric ? IntegerType::get(context, quantBits) : Type();
    quant = QuantAttr::getChecked(emit, context, quantBits, /*axis=*/int64_t(0),
                                  quantGroup, unwrap(quantScaleType), zero,
                                  /*codebook=*/int64_t(0),
                                  /*stat_bits=*/0u, /*stat_group=*/int64_t(0));
    if (!quant)
      return {nullptr};
  }
  SparseAttr sparse;
  if (sparseN != 0 || sparseM != 0) {
    int64_t none = 0;
    sparse = SparseAttr::getChecked(emit, context, SparseKind::NM, sparseN,
                                    sparseM, /*axis=*/none, /*blockRows=*/none,
                                    /*blockCols=*/none, /*nnz=*/none);
    if (!sparse)
      return {nullptr};
  }
  LowRankAttr lowRank;
  if (lowRankRank != 0) {
    if (!lowRankType.ptr) {
      emit() << "qsl encoding: a lowrank facet needs a factor type";
      return {nullptr};
    }
    lowRank = LowRankAttr::getChecked(emit, context, lowRankRank,
                                      unwrap(lowRankType));
    if (!lowRank)
      return {nullptr};
  }
  return wrap(EncodingAttr::getChecked(emit, context, quant, sparse,
                                       OutliersAttr(), lowRank, SmoothAttr()));
}

unsigned mlirQslEncodingAttrGetQuantBits(MlirAttribute attr) {
  EncodingAttr e = asEncoding(attr);
  return e && e.getQuant() ? e.getQuant().getBits() : 0;
}

int64_t mlirQslEncodingAttrGetQuantGroup(MlirAttribute attr) {
  EncodingAttr e = asEncoding(attr);
  return e && e.getQuant() ? e.getQuant().getGroup() : 0;
}

int64_t mlirQslEncodingAttrGetSparseN(MlirAttribute attr) {
  EncodingAttr e = asEncoding(attr);
  return e && e.getSparse() ? e.getSparse().getN() : 0;
}

int64_t mlirQslEncodingAttrGetSparseM(MlirAttribute attr) {
  EncodingAttr e = asEncoding(attr);
  return e && e.getSparse() ? e.getSparse().getM() : 0;
}

int64_t mlirQslEncodingAttrGetLowRankRank(MlirAttribute attr) {
  EncodingAttr e = asEncoding(attr);
  return e && e.getLowrank() ? e.getLowrank().getRank() : 0;
}

double mlirQslTensorTypeGetBitsPerElement(MlirType type) {
  if (!type.ptr)
    return -1;
  std::optional<EncodedTensorType> encoded = EncodedTensorType::get(unwrap(type));
  if (!encoded || encoded->getNumElements() == 0)
    return -1;
  return static_cast<double>(encoded->getStorageBits()) /
         static_cast<double>(encoded->getNumElements());
}
