/*===- qsl-c/QSL.h - The QSL C API ---------------------------------*- C -*-===*\
|*                                                                            *|
|* Everything: link libQSLCAPI.so (QSL::QSLCAPI), which also carries the      *|
|* upstream MLIR C API core (mlir-c/IR.h, Pass.h, Diagnostics.h).             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QSL_C_QSL_H
#define QSL_C_QSL_H

#include "qsl-c/Compiler.h"
#include "qsl-c/Compression.h"
#include "qsl-c/Dialect.h"
#include "qsl-c/Runtime.h"

#endif /* QSL_C_QSL_H */
