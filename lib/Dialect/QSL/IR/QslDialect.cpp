//===- QslDialect.cpp - QSL dialect registration ---------------------------===//
#include "qsl/Dialect/QSL/IR/QslDialect.h"
#include "qsl/Dialect/QSL/IR/QslAttrs.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qsl;

#include "qsl/Dialect/QSL/IR/QslDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qsl/Dialect/QSL/IR/QslAttrs.cpp.inc"

void QslDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qsl/Dialect/QSL/IR/QslAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "qsl/Dialect/QSL/IR/QslOps.cpp.inc"
      >();
}
