//===- ModelIO.cpp - Reading and writing ONNX models with external data ---===//
#include "ExportInternal.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <cstring>
#include <functional>

using namespace onnx_export;

namespace {

/// Calls `f` on every tensor of `graph`: initializers and tensor
/// attributes, in subgraphs too.
void forEachTensor(onnx::GraphProto &graph,
                   const std::function<void(onnx::TensorProto &)> &f) {
  for (onnx::TensorProto &t : *graph.mutable_initializer())
    f(t);
  for (onnx::NodeProto &node : *graph.mutable_node())
    for (onnx::AttributeProto &a : *node.mutable_attribute()) {
      if (a.has_t())
        f(*a.mutable_t());
      for (onnx::TensorProto &t : *a.mutable_tensors())
        f(t);
      if (a.has_g())
        forEachTensor(*a.mutable_g(), f);
      for (onnx::GraphProto &g : *a.mutable_graphs())
        forEachTensor(g, f);
    }
}

void inlineExternal(onnx::TensorProto &t, llvm::StringRef dir,
                    const std::string &file) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &e : t.external_data()) {
    if (e.key() == "location")
      location = e.value();
    else if (e.key() == "offset" || e.key() == "length")
      if (llvm::StringRef(e.value()).getAsInteger(10, e.key() == "offset"
                                                         ? offset
                                                         : length))
        throw ExportError("tensor '" + t.name() + "' has a malformed " +
                          e.key() + " in its external data");
  }
  llvm::SmallString<256> rel(location);
  if (location.empty() || llvm::sys::path::is_absolute(rel) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(rel),
                                    llvm::sys::path::end(rel)),
                   [](llvm::StringRef c) { return c == ".."; }))
    throw ExportError("external data location '" + location + "' of tensor '" +
                      t.name() + "' must be a path inside the model's directory");
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, location);
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    throw ExportError("cannot open external data file '" + path.str().str() +
                      "': " + ec.message());
  if (length < 0)
    length = int64_t(size) - offset;
  if (offset < 0 || uint64_t(offset) + uint64_t(length) > size)
    throw ExportError("external data of tensor '" + t.name() +
                      "' lies outside '" + path.str().str() + "'");
  auto slice = llvm::MemoryBuffer::getFileSlice(path, length, offset);
  if (!slice)
    throw ExportError("cannot read '" + path.str().str() +
                      "': " + slice.getError().message());
  t.set_raw_data((*slice)->getBufferStart(), (*slice)->getBufferSize());
  t.clear_external_data();
  t.set_data_location(onnx::TensorProto::DEFAULT);
}

double fromHalfBits(uint16_t bits, bool bf16) {
  llvm::APFloat f(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                  llvm::APInt(16, bits));
  return f.convertToDouble();
}

uint16_t toHalfBits(double v, bool bf16) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

} // namespace

void onnx_export::loadModel(const std::string &path, onnx::ModelProto &model,
                            bool &hadExternal) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    throw ExportError("cannot read ONNX model: " + file.getError().message());
  llvm::StringRef bytes = (*file)->getBuffer();
  google::protobuf::io::ArrayInputStream array(
      bytes.data(), int(std::min<size_t>(bytes.size(), INT_MAX)));
  google::protobuf::io::CodedInputStream coded(&array);
  coded.SetTotalBytesLimit(INT_MAX);
  if (bytes.size() > size_t(INT_MAX) || !model.ParseFromCodedStream(&coded) ||
      !model.has_graph())
    throw ExportError("not an ONNX model: the protobuf is malformed");
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  hadExternal = false;
  forEachTensor(*model.mutable_graph(), [&](onnx::TensorProto &t) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      hadExternal = true;
      inlineExternal(t, dir, path);
    }
  });
}

void onnx_export::writeModel(onnx::ModelProto &model, const std::string &path,
                             const mlir::qsl::ONNXExportOptions &options,
                             bool hadExternal) {
  using Ext = mlir::qsl::ONNXExportOptions::ExternalData;
  int64_t total = 0;
  forEachTensor(*model.mutable_graph(),
                [&](onnx::TensorProto &t) { total += t.raw_data().size(); });
  bool external = options.externalData == Ext::Always ||
                  (options.externalData == Ext::Auto &&
                   (hadExternal || total > (int64_t(1) << 30)));
  if (external && path == "-")
    throw ExportError("the model needs external data, which cannot go to "
                      "standard output: give -o FILE");
  if (external) {
    std::string dataName = llvm::sys::path::filename(path).str() + ".data";
    llvm::SmallString<256> dataPath(path);
    llvm::sys::path::remove_filename(dataPath);
    llvm::sys::path::append(dataPath, dataName);
    std::error_code ec;
    llvm::raw_fd_ostream data(dataPath, ec);
    if (ec)
      throw ExportError("cannot write '" + dataPath.str().str() +
                        "': " + ec.message());
    uint64_t offset = 0;
    forEachTensor(*model.mutable_graph(), [&](onnx::TensorProto &t) {
      if (!t.has_raw_data() ||
          int64_t(t.raw_data().size()) < options.externalThreshold)
        return;
      // Page-aligned offsets let readers map tensors in place.
      uint64_t aligned = (offset + 4095) / 4096 * 4096;
      data.write_zeros(aligned - offset);
      data.write(t.raw_data().data(), t.raw_data().size());
      auto add = [&](const std::string &k, const std::string &v) {
        onnx::StringStringEntryProto *e = t.add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", dataName);
      add("offset", std::to_string(aligned));
      add("length", std::to_string(t.raw_data().size()));
      offset = aligned + t.raw_data().size();
      t.clear_raw_data();
      t.set_data_location(onnx::TensorProto::EXTERNAL);
    });
    data.close();
    if (data.has_error())
      throw ExportError("cannot write '" + dataPath.str().str() + "'");
  }
  std::string bytes;
  if (model.ByteSizeLong() > size_t(INT_MAX) || !model.SerializeToString(&bytes))
    throw ExportError("the model is too large for one protobuf (2 GiB): "
                      "export it with external data");
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    throw ExportError("cannot write '" + path + "': " + ec.message());
  out << bytes;
  out.close();
  if (out.has_error())
    throw ExportError("cannot write '" + path + "'");
}

std::vector<double> onnx_export::decodeFloats(const onnx::TensorProto &t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  std::vector<double> out;
  out.reserve(n);
  const std::string &raw = t.raw_data();
  bool hasRaw = t.has_raw_data();
  switch (t.data_type()) {
  case kFloat:
    if (hasRaw) {
      for (int64_t i = 0; i < n && size_t(4 * i + 4) <= raw.size(); ++i) {
        float v;
        std::memcpy(&v, raw.data() + 4 * i, 4);
        out.push_back(v);
      }
    } else {
      out.assign(t.float_data().begin(), t.float_data().end());
    }
    break;
  case kDouble:
    if (hasRaw) {
      for (int64_t i = 0; i < n && size_t(8 * i + 8) <= raw.size(); ++i) {
        double v;
        std::memcpy(&v, raw.data() + 8 * i, 8);
        out.push_back(v);
      }
    } else {
      out.assign(t.double_data().begin(), t.double_data().end());
    }
    break;
  case kFloat16:
  case kBFloat16: {
    bool bf16 = t.data_type() == kBFloat16;
    if (hasRaw) {
      for (int64_t i = 0; i < n && size_t(2 * i + 2) <= raw.size(); ++i) {
        uint16_t v;
        std::memcpy(&v, raw.data() + 2 * i, 2);
        out.push_back(fromHalfBits(v, bf16));
      }
    } else {
      for (int32_t v : t.int32_data())
        out.push_back(fromHalfBits(uint16_t(v), bf16));
    }
    break;
  }
  default:
    throw ExportError("tensor '" + t.name() + "' is not a float tensor");
  }
  if (int64_t(out.size()) != n)
    throw ExportError("tensor '" + t.name() + "' has " +
                      std::to_string(out.size()) + " values, its shape " +
                      std::to_string(n));
  return out;
}

std::string onnx_export::encodeFloats(llvm::ArrayRef<double> values,
                                      int dataType) {
  std::string out;
  for (double v : values) {
    if (dataType == kFloat) {
      float f = float(v);
      out.append(reinterpret_cast<const char *>(&f), 4);
    } else if (dataType == kDouble) {
      out.append(reinterpret_cast<const char *>(&v), 8);
    } else {
      uint16_t h = toHalfBits(v, dataType == kBFloat16);
      out.append(reinterpret_cast<const char *>(&h), 2);
    }
  }
  return out;
}

std::string onnx_export::encodeInts(llvm::ArrayRef<int64_t> values,
                                    int dataType) {
  std::string out;
  if (dataType == kInt4 || dataType == kUInt4) {
    out.assign((values.size() + 1) / 2, '\0');
    for (size_t i = 0; i < values.size(); ++i)
      out[i / 2] = char(uint8_t(out[i / 2]) |
                        ((uint8_t(values[i]) & 0xF) << ((i % 2) * 4)));
    return out;
  }
  for (int64_t v : values) {
    if (dataType == kInt8 || dataType == kUInt8 || dataType == kBool) {
      out.push_back(char(uint8_t(v)));
    } else if (dataType == kInt32) {
      int32_t x = int32_t(v);
      out.append(reinterpret_cast<const char *>(&x), 4);
    } else {
      out.append(reinterpret_cast<const char *>(&v), 8);
    }
  }
  return out;
}
