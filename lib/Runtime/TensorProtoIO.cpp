//===- TensorProtoIO.cpp - ONNX TensorProto files as host tensors ----------===//
#include "qsl/Runtime/TensorProtoIO.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <fstream>
#include <sstream>

using namespace qsl::runtime;

bool qsl::runtime::readTensorProto(const std::string &path, std::string &name,
                                   HostTensor &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes.str())) {
    error = "'" + path + "' is not a serialized onnx.TensorProto";
    return false;
  }
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT: out.dtype = DType::F32; break;
  case onnx::TensorProto::DOUBLE: out.dtype = DType::F64; break;
  case onnx::TensorProto::FLOAT16: out.dtype = DType::F16; break;
  case onnx::TensorProto::BOOL: out.dtype = DType::I1; break;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8: out.dtype = DType::I8; break;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16: out.dtype = DType::I16; break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32: out.dtype = DType::I32; break;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64: out.dtype = DType::I64; break;
  default:
    error = "'" + path + "' holds element type " + std::to_string(t.data_type()) +
            ", which qsl-run does not read";
    return false;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "'" + path + "' refers to external data, which qsl-run does not read";
    return false;
  }
  name = t.name();
  out.shape.assign(t.dims().begin(), t.dims().end());
  size_t n = size_t(out.numElements()), width = byteWidth(out.dtype);
  out.bytes.assign(n * width, 0);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != out.bytes.size()) {
      error = "'" + path + "' has " + std::to_string(t.raw_data().size()) +
              " bytes of data for " + std::to_string(n) + " elements";
      return false;
    }
    std::memcpy(out.bytes.data(), t.raw_data().data(), out.bytes.size());
    return true;
  }
  // Typed fields: each value is stored little-endian in `width` bytes.
  auto put = [&](size_t i, uint64_t v) { std::memcpy(&out.bytes[i * width], &v, width); };
  auto check = [&](size_t have) {
    if (have != n)
      error = "'" + path + "' has " + std::to_string(have) + " values for " +
              std::to_string(n) + " elements";
    return have == n;
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (!check(t.float_data_size()))
      return false;
    std::memcpy(out.bytes.data(), t.float_data().data(), out.bytes.size());
    return true;
  case onnx::TensorProto::DOUBLE:
    if (!check(t.double_data_size()))
      return false;
    std::memcpy(out.bytes.data(), t.double_data().data(), out.bytes.size());
    return true;
  case onnx::TensorProto::INT64:
    if (!check(t.int64_data_size()))
      return false;
    std::memcpy(out.bytes.data(), t.int64_data().data(), out.bytes.size());
    return true;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    if (!check(t.uint64_data_size()))
      return false;
    for (size_t i = 0; i < n; ++i)
      put(i, t.uint64_data(i));
    return true;
  default: // int32_data carries the narrower types (and f16 bits)
    if (!check(t.int32_data_size()))
      return false;
    for (size_t i = 0; i < n; ++i)
      put(i, static_cast<uint64_t>(static_cast<int64_t>(t.int32_data(i))));
    return true;
  }
}
