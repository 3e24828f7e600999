//===- EndToEnd.cpp - The registered end-to-end evaluator -----------------===//
#include "qsl/Dialect/QSL/Transforms/EndToEnd.h"

using namespace mlir::qsl;

static EndToEndEvaluatorFactory &registered() {
  static EndToEndEvaluatorFactory factory;
  return factory;
}

void mlir::qsl::setEndToEndEvaluatorFactory(EndToEndEvaluatorFactory factory) {
  registered() = std::move(factory);
}

const EndToEndEvaluatorFactory *mlir::qsl::getEndToEndEvaluatorFactory() {
  return registered() ? &registered() : nullptr;
}
