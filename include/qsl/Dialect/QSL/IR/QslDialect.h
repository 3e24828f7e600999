//===- QslDialect.h - QSL dialect -------------------------------*- C++ -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLDIALECT_H
#define QSL_DIALECT_QSL_IR_QSLDIALECT_H

#include "mlir/IR/Dialect.h"

#include "qsl/Dialect/QSL/IR/QslDialect.h.inc"

#endif // QSL_DIALECT_QSL_IR_QSLDIALECT_H
