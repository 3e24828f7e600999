//===- QslOps.h - QSL operations --------------------------------*- C++ -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLOPS_H
#define QSL_DIALECT_QSL_IR_QSLOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslAttrs.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"

#define GET_OP_CLASSES
#include "qsl/Dialect/QSL/IR/QslOps.h.inc"

#endif // QSL_DIALECT_QSL_IR_QSLOPS_H
