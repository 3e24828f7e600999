//===- TensorProtoIO.h - ONNX TensorProto files as host tensors -*- C++ -*-===//
//
// MLIR-free. Reads the serialized onnx.TensorProto files that ONNX test data
// sets use (input_0.pb, ...). Built with exceptions, like the importer.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_RUNTIME_TENSORPROTOIO_H
#define QSL_RUNTIME_TENSORPROTOIO_H

#include "qsl/Runtime/HostTensor.h"

#include <string>

namespace qsl {
namespace runtime {

/// Reads one TensorProto; `name` receives the tensor's name (may be empty).
bool readTensorProto(const std::string &path, std::string &name,
                     HostTensor &out, std::string &error);

} // namespace runtime
} // namespace qsl

#endif // QSL_RUNTIME_TENSORPROTOIO_H
