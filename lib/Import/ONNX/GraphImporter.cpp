//===- GraphImporter.cpp - ONNX graph to func.func -------------------------===//
#include "GraphImporter.h"

#include "qsl/Dialect/QSL/IR/QslDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

void onnx_import::fail(const llvm::Twine &message) {
  throw ImportError{message.str()};
}

GraphImporter::GraphImporter(MLIRContext &context, llvm::StringRef path,
                             const ONNXImportOptions &options,
                             std::optional<llvm::StringRef> bytes)
    : context(context), path(path.str()),
      directory(llvm::sys::path::parent_path(path).str()), bytes(bytes),
      options(options),
      fileLoc(FileLineColLoc::get(&context, path, 0, 0)) {}

InFlightDiagnostic GraphImporter::error() const {
  return mlir::emitError(fileLoc);
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

bool GraphImporter::load() {
  std::unique_ptr<llvm::MemoryBuffer> file;
  if (!this->bytes) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> read =
        llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!read) {
      error() << "cannot read ONNX model: " << read.getError().message();
      return false;
    }
    file = std::move(*read);
  }
  llvm::StringRef bytes = file ? file->getBuffer() : *this->bytes;
  if (bytes.empty()) {
    error() << "not an ONNX model: the file is empty";
    return false;
  }
  google::protobuf::io::ArrayInputStream array(bytes.data(),
                                               static_cast<int>(std::min<size_t>(
                                                   bytes.size(), INT_MAX)));
  google::protobuf::io::CodedInputStream coded(&array);
  coded.SetTotalBytesLimit(INT_MAX);
  if (bytes.size() > size_t(INT_MAX) || !model.ParseFromCodedStream(&coded) ||
      !coded.ConsumedEntireMessage()) {
    error() << "not an ONNX model: the protobuf is malformed or truncated ("
            << bytes.size() << " bytes)";
    return false;
  }
  if (!model.has_graph() || model.ir_version() <= 0) {
    error() << "not an ONNX model: "
            << (model.has_graph() ? "no IR version" : "no graph");
    return false;
  }
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    std::string domain = opset.domain();
    if (domain == "ai.onnx")
      domain.clear();
    opsets[domain] = opset.version();
  }
  if (!opsets.count("")) {
    // IR version 2 models without opset_import use opset 1; we need >= 13.
    error() << "the model imports no version of the default ONNX opset";
    return false;
  }
  int64_t opset = opsets.lookup("");
  if (opset < 13 || opset > 21) {
    error() << "ONNX opset " << opset
            << " is not supported: QSL imports opsets 13 to 21";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

Type GraphImporter::elementType(int32_t onnxType) const {
  Builder b(&context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getI64Type();
  case 21: // UINT4
  case 22: // INT4
    return b.getIntegerType(4);
  default:
    break;
  }
  std::string name = onnx::TensorProto::DataType_IsValid(onnxType)
                         ? onnx::TensorProto::DataType_Name(
                               static_cast<onnx::TensorProto::DataType>(onnxType))
                         : "type " + std::to_string(onnxType);
  fail("element type " + name + " is not supported");
}

bool onnx_import::isUnsignedType(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
  case 21: // UINT4
    return true;
  default:
    return false;
  }
}

static int64_t byteWidth(Type type) {
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

/// A blob over `data`, released by `release`, when `data` is aligned to
/// `alignment`; otherwise an aligned copy (and `data` is released now).
static AsmResourceBlob makeBlob(ArrayRef<char> data, size_t alignment,
                                std::function<void()> release) {
  if (reinterpret_cast<uintptr_t>(data.data()) % alignment == 0)
    return AsmResourceBlob(
        data, alignment,
        [release = std::move(release)](void *, size_t, size_t) { release(); },
        /*dataIsMutable=*/false);
  AsmResourceBlob copy =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(data, alignment);
  release();
  return copy;
}

AsmResourceBlob GraphImporter::readExternal(const onnx::TensorProto &tensor,
                                            int64_t expectedBytes,
                                            size_t alignment) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t &field = entry.key() == "offset" ? offset : length;
      if (llvm::StringRef(entry.value()).getAsInteger(10, field) || field < 0)
        fail("external data of tensor '" + tensor.name() + "' has a malformed " +
             entry.key() + " '" + entry.value() + "'");
    }
  }
  if (location.empty())
    fail("tensor '" + tensor.name() + "' has external data without a location");
  llvm::SmallString<256> relative(location);
  if (llvm::sys::path::is_absolute(relative) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(relative),
                                    llvm::sys::path::end(relative)),
                   [](llvm::StringRef c) { return c == ".."; }))
    fail("external data location '" + location + "' of tensor '" +
         tensor.name() + "' must be a path inside the model's directory");
  llvm::SmallString<256> file(directory);
  llvm::sys::path::append(file, location);
  if (length < 0)
    length = expectedBytes;
  if (length != expectedBytes)
    fail("external data of tensor '" + tensor.name() + "' has " +
         llvm::Twine(length) + " bytes but its shape and type need " +
         llvm::Twine(expectedBytes));
  uint64_t fileSize = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(file, fileSize))
    fail("cannot open external data file '" + file.str() + "' of tensor '" +
         tensor.name() + "': " + ec.message());
  if (offset < 0 || uint64_t(offset) + uint64_t(length) > fileSize)
    fail("external data of tensor '" + tensor.name() + "' (offset " +
         llvm::Twine(offset) + ", " + llvm::Twine(length) +
         " bytes) lies outside '" + file.str() + "' (" +
         llvm::Twine(fileSize) + " bytes)");
  // Map the slice; the blob owns the mapping, so nothing is copied.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> slice =
      llvm::MemoryBuffer::getFileSlice(file, length, offset);
  if (!slice)
    fail("cannot map external data file '" + file.str() +
         "': " + slice.getError().message());
  std::shared_ptr<llvm::MemoryBuffer> owner(std::move(*slice));
  ArrayRef<char> data(owner->getBufferStart(), owner->getBufferSize());
  return makeBlob(data, alignment, [owner]() mutable { owner.reset(); });
}

ElementsAttr GraphImporter::importTensor(const onnx::TensorProto &tensor) {
  Type elem = elementType(tensor.data_type());
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  for (int64_t d : shape)
    if (d < 0)
      fail("tensor '" + tensor.name() + "' has a negative dimension");
  auto type = RankedTensorType::get(shape, elem);
  int64_t n = type.getNumElements();
  bool external =
      tensor.data_location() == onnx::TensorProto::EXTERNAL;
  bool packed4 = elem.getIntOrFloatBitWidth() == 4;
  int64_t rawBytes = packed4 ? (n + 1) / 2 : n * byteWidth(elem);

  // Raw bytes: external file, raw_data, or none (typed fields).
  size_t align = packed4 ? 1 : byteWidth(elem);
  std::optional<AsmResourceBlob> raw;
  if (external) {
    raw = readExternal(tensor, rawBytes, align);
  } else if (tensor.has_raw_data()) {
    if (int64_t(tensor.raw_data().size()) != rawBytes)
      fail("tensor '" + tensor.name() + "' has " +
           llvm::Twine(tensor.raw_data().size()) +
           " bytes of raw data but its shape and type need " +
           llvm::Twine(rawBytes));
    // Take over the protobuf's string instead of copying it.
    auto *owned = new std::string(
        std::move(*const_cast<onnx::TensorProto &>(tensor).mutable_raw_data()));
    raw = makeBlob(ArrayRef<char>(owned->data(), owned->size()), align,
                   [owned]() { delete owned; });
  }

  if (raw) {
    if (packed4) {
      // ONNX packs two 4-bit values per byte (low nibble first); QSL keeps
      // one per byte, sign-extended for INT4.
      bool isSigned = tensor.data_type() == 22;
      std::vector<char> bytes(n);
      ArrayRef<char> src = raw->getData();
      for (int64_t i = 0; i < n; ++i) {
        int v = (static_cast<unsigned char>(src[i / 2]) >> ((i % 2) * 4)) & 0xF;
        if (isSigned && v >= 8)
          v -= 16;
        bytes[i] = static_cast<char>(v);
      }
      raw = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 1);
    }
    if (elem.isInteger(1)) {
      // Booleans take one byte each; build an inline attribute.
      SmallVector<bool> bits;
      for (int64_t i = 0; i < n; ++i)
        bits.push_back(raw->getData()[i] != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    }
    if (n <= options.inlineElementLimit && !packed4) {
      bool splat = false;
      if (DenseElementsAttr::isValidRawBuffer(type, raw->getData(), splat))
        return DenseElementsAttr::getFromRawBuffer(type, raw->getData());
    }
    std::string name = tensor.name().empty() ? "tensor" : tensor.name();
    return DenseResourceElementsAttr::get(type, name, std::move(*raw));
  }

  // Typed fields.
  auto count = [&](int size) {
    if (size != n)
      fail("tensor '" + tensor.name() + "' has " + llvm::Twine(size) +
           " values but its shape " + llvm::Twine(n) + " elements");
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    count(tensor.float_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<float>(tensor.float_data().data(), n));
  case onnx::TensorProto::DOUBLE:
    count(tensor.double_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<double>(tensor.double_data().data(), n));
  case onnx::TensorProto::INT64:
    count(tensor.int64_data_size());
    return DenseElementsAttr::get(
        type, ArrayRef<int64_t>(tensor.int64_data().data(), n));
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64: {
    count(tensor.uint64_data_size());
    SmallVector<APInt> v;
    for (uint64_t x : tensor.uint64_data())
      v.emplace_back(elem.getIntOrFloatBitWidth(), x);
    return DenseElementsAttr::get(type, v);
  }
  case onnx::TensorProto::BOOL: {
    count(tensor.int32_data_size());
    SmallVector<bool> bits;
    for (int32_t x : tensor.int32_data())
      bits.push_back(x != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    count(tensor.int32_data_size());
    SmallVector<APFloat> v;
    const llvm::fltSemantics &sem =
        llvm::cast<FloatType>(elem).getFloatSemantics();
    for (int32_t x : tensor.int32_data())
      v.emplace_back(sem, APInt(16, static_cast<uint16_t>(x)));
    return DenseElementsAttr::get(type, v);
  }
  case 21: // UINT4: two values per int32_data entry, low nibble first.
  case 22: { // INT4
    if (tensor.int32_data_size() != (n + 1) / 2)
      fail("tensor '" + tensor.name() + "' has " +
           llvm::Twine(tensor.int32_data_size()) +
           " packed 4-bit pairs but its shape needs " + llvm::Twine((n + 1) / 2));
    SmallVector<APInt> v;
    for (int64_t i = 0; i < n; ++i) {
      int64_t nibble = (tensor.int32_data(i / 2) >> ((i % 2) * 4)) & 0xF;
      if (tensor.data_type() == 22 && nibble >= 8)
        nibble -= 16;
      v.emplace_back(4, nibble, /*isSigned=*/true, /*implicitTrunc=*/true);
    }
    return DenseElementsAttr::get(type, v);
  }
  default: {
    // INT8/UINT8/INT16/UINT16/INT32: one value per int32_data entry.
    count(tensor.int32_data_size());
    SmallVector<APInt> v;
    for (int32_t x : tensor.int32_data())
      v.emplace_back(elem.getIntOrFloatBitWidth(), static_cast<int64_t>(x),
                     /*isSigned=*/true, /*implicitTrunc=*/true);
    return DenseElementsAttr::get(type, v);
  }
  }
}

std::optional<IntConst> onnx_import::knownIntegers(ElementsAttr attr) {
  auto dense = llvm::dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense || dense.getNumElements() > 4096)
    return std::nullopt;
  // Booleans are 0/1 (they feed Where/Cast in shape computations).
  bool isBool = dense.getElementType().isInteger(1);
  IntConst c;
  c.shape.assign(dense.getType().getShape().begin(),
                 dense.getType().getShape().end());
  for (const APInt &v : dense.getValues<APInt>())
    c.data.push_back(isBool ? int64_t(v.getZExtValue()) : v.getSExtValue());
  return c;
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + (ShapedType::isDynamic(d) ? std::string("?")
                                                     : std::to_string(d));
  return s.empty() ? "scalar" : s;
}

bool GraphImporter::importInputs(SmallVectorImpl<Type> &types,
                                 SmallVectorImpl<std::string> &names) {
  const onnx::GraphProto &graph = model.graph();
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers.insert(t.name());
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.contains(input.name()))
      continue; // IR < 4 lists initializers as inputs too.
    inputNames.insert(input.name());
    if (!input.type().has_tensor_type()) {
      error() << "graph input '" << input.name() << "' is not a tensor";
      return false;
    }
    const onnx::TypeProto::Tensor &tt = input.type().tensor_type();
    Type elem;
    try {
      elem = elementType(tt.elem_type());
    } catch (const ImportError &e) {
      error() << "graph input '" << input.name() << "': " << e.message;
      return false;
    }
    if (!tt.has_shape()) {
      error() << "graph input '" << input.name()
              << "' has no shape; its rank must be known";
      return false;
    }
    SmallVector<int64_t> shape;
    std::string symbolic;
    for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() >= 0) {
        shape.push_back(d.dim_value());
      } else {
        shape.push_back(ShapedType::kDynamic);
        if (symbolic.empty())
          symbolic = d.has_dim_param() ? "'" + d.dim_param() + "'" : "?";
      }
    }
    auto given = options.inputShapes.find(input.name());
    if (given != options.inputShapes.end()) {
      ArrayRef<int64_t> concrete = given->second;
      bool ok = concrete.size() == shape.size();
      for (size_t i = 0; ok && i < shape.size(); ++i)
        ok = ShapedType::isDynamic(shape[i]) || shape[i] == concrete[i];
      if (!ok) {
        error() << "--input-shape " << input.name() << "="
                << shapeString(concrete)
                << " does not match the model's declared shape "
                << shapeString(shape);
        return false;
      }
      shape.assign(concrete.begin(), concrete.end());
    } else if (!symbolic.empty() && options.symbolicDimension > 0) {
      for (int64_t &d : shape)
        if (ShapedType::isDynamic(d))
          d = options.symbolicDimension;
    } else if (!symbolic.empty()) {
      error() << "graph input '" << input.name() << "' has symbolic dimension "
              << symbolic << " (shape " << shapeString(shape)
              << "); give a concrete shape with --input-shape "
              << input.name() << "=" << shapeString(shape);
      return false;
    }
    types.push_back(RankedTensorType::get(shape, elem));
    names.push_back(input.name());
    inputUnsigned.push_back(isUnsignedType(tt.elem_type()));
  }
  for (const auto &entry : options.inputShapes)
    if (!inputNames.contains(entry.getKey())) {
      std::string known;
      for (const std::string &n : names)
        known += (known.empty() ? "" : ", ") + n;
      error() << "--input-shape names '" << entry.getKey()
              << "', which is not a graph input (inputs: " << known << ")";
      return false;
    }
  return true;
}

bool GraphImporter::importNode(const onnx::NodeProto &node, size_t index,
                               OpBuilder &b) {
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  auto describe = [&]() {
    auto it = opsets.find(domain);
    return "node '" + name + "' (" + node.op_type() + ", domain '" +
           (domain.empty() ? std::string("ai.onnx") : domain) + "', opset " +
           (it == opsets.end() ? std::string("not imported")
                               : std::to_string(it->second)) +
           ")";
  };
  auto it = opsets.find(domain);
  if (it == opsets.end()) {
    error() << describe() << ": the model does not import domain '" << domain
            << "'";
    return false;
  }
  const OpHandler *handler = table.lookup(domain, node.op_type(), it->second);
  if (!handler) {
    error() << describe() << ": unsupported operator";
    return false;
  }
  SmallVector<TensorValue> inputs;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      inputs.push_back({});
      continue;
    }
    auto v = values.find(in);
    if (v == values.end()) {
      error() << describe() << ": input '" << in
              << "' is not a graph input, an initializer or an output of an "
                 "earlier node";
      return false;
    }
    inputs.push_back(v->second);
  }
  // The node's name, and its op type as metadata (compression passes select
  // weights by it: op-types=MatMul,Gemm).
  Location loc = FusedLoc::get(
      &context, {NameLoc::get(StringAttr::get(&context, name), fileLoc)},
      StringAttr::get(&context, node.op_type()));
  NodeContext ctx(*this, node, b, loc, it->second, std::move(inputs));
  try {
    (*handler)(ctx);
  } catch (const ImportError &e) {
    error() << describe() << ": " << e.message;
    return false;
  } catch (const std::exception &e) {
    error() << describe() << ": " << e.what();
    return false;
  }
  SmallVector<TensorValue> &results = ctx.getResults();
  for (int i = 0; i < node.output_size(); ++i) {
    if (node.output(i).empty())
      continue;
    if (i >= int(results.size()) || !results[i].value) {
      error() << describe() << ": output #" << i << " ('" << node.output(i)
              << "') is not supported";
      return false;
    }
    values[node.output(i)] = results[i];
  }
  return true;
}

bool GraphImporter::importGraph(ModuleOp module) {
  const onnx::GraphProto &graph = model.graph();
  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  if (!importInputs(inputTypes, inputNames))
    return false;

  OpBuilder b(module.getBodyRegion());
  auto func = func::FuncOp::create(b, fileLoc, options.functionName,
                                   b.getFunctionType(inputTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  for (auto [i, arg] : llvm::enumerate(entry->getArguments()))
    values[inputNames[i]] = TensorValue{arg, std::nullopt, inputUnsigned[i]};

  for (const onnx::TensorProto &t : graph.initializer()) {
    try {
      ElementsAttr attr = importTensor(t);
      Location loc = NameLoc::get(StringAttr::get(&context, t.name()), fileLoc);
      Value v = arith::ConstantOp::create(b, loc, llvm::cast<TypedAttr>(attr));
      values[t.name()] = TensorValue{v, knownIntegers(attr),
                                     isUnsignedType(t.data_type())};
    } catch (const ImportError &e) {
      error() << "initializer '" << t.name() << "': " << e.message;
      return false;
    } catch (const std::exception &e) {
      error() << "initializer '" << t.name() << "': " << e.what();
      return false;
    }
  }

  for (int i = 0; i < graph.node_size(); ++i)
    if (!importNode(graph.node(i), i, b))
      return false;

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<Attribute> resultNames;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto v = values.find(out.name());
    if (v == values.end()) {
      error() << "graph output '" << out.name() << "' is never produced";
      return false;
    }
    Value value = v->second.value;
    auto type = llvm::cast<RankedTensorType>(value.getType());
    if (out.type().has_tensor_type()) {
      const onnx::TypeProto::Tensor &tt = out.type().tensor_type();
      Type declared;
      try {
        declared = tt.elem_type() ? elementType(tt.elem_type()) : Type();
      } catch (const ImportError &e) {
        error() << "graph output '" << out.name() << "': " << e.message;
        return false;
      }
      if (declared && declared != type.getElementType()) {
        error() << "graph output '" << out.name() << "' is declared "
                << declared << " but computed as " << type.getElementType();
        return false;
      }
      if (tt.has_shape()) {
        bool ok = tt.shape().dim_size() == type.getRank();
        for (int d = 0; ok && d < tt.shape().dim_size(); ++d)
          ok = !tt.shape().dim(d).has_dim_value() ||
               tt.shape().dim(d).dim_value() == type.getDimSize(d);
        if (!ok) {
          error() << "graph output '" << out.name()
                  << "' has a declared shape that differs from the computed "
                  << shapeString(type.getShape());
          return false;
        }
      }
    }
    results.push_back(value);
    resultTypes.push_back(type);
    resultNames.push_back(b.getDictionaryAttr(
        b.getNamedAttr("onnx.name", b.getStringAttr(out.name()))));
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setFunctionType(b.getFunctionType(inputTypes, resultTypes));
  // Drop what no output needs (initializers folded into encodings, unused
  // shape computations, the dense side of fused qsl.matmul weights).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  // Keep the ONNX names of inputs and outputs for runners and reports.
  for (auto [i, name] : llvm::enumerate(inputNames))
    func.setArgAttr(i, "onnx.name", b.getStringAttr(name));
  func.setAllResultAttrs(resultNames);
  return true;
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (!load())
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  if (!model.graph().name().empty())
    (*module)->setAttr("onnx.graph_name",
                       StringAttr::get(&context, model.graph().name()));
  if (!importGraph(*module))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

llvm::Error mlir::qsl::parseInputShapeSpec(llvm::StringRef spec,
                                           ONNXImportOptions &options) {
  auto [name, dims] = spec.split('=');
  if (name.empty() || dims.empty())
    return llvm::createStringError(
        "--input-shape expects NAME=D0xD1x..., got '" + spec.str() + "'");
  SmallVector<int64_t> shape;
  if (dims == "scalar") {
    options.inputShapes[name] = shape;
    return llvm::Error::success();
  }
  SmallVector<llvm::StringRef> parts;
  dims.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return llvm::createStringError("--input-shape " + spec.str() +
                                     ": '" + p.str() +
                                     "' is not a non-negative dimension");
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return llvm::Error::success();
}

static void loadImportDialects(MLIRContext &context) {
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      scf::SCFDialect, tensor::TensorDialect, QslDialect>();
}

OwningOpRef<ModuleOp> mlir::qsl::importONNXModel(
    MLIRContext &context, llvm::StringRef path,
    const ONNXImportOptions &options) {
  loadImportDialects(context);
  GraphImporter importer(context, path, options);
  return importer.run();
}

std::vector<std::pair<std::string, int64_t>> mlir::qsl::listSupportedONNXOps() {
  return OpTable().list();
}

OwningOpRef<ModuleOp> mlir::qsl::importONNXModelFromBuffer(
    MLIRContext &context, llvm::StringRef bytes, llvm::StringRef name,
    const ONNXImportOptions &options) {
  loadImportDialects(context);
  GraphImporter importer(context, name, options, bytes);
  return importer.run();
}

void mlir::qsl::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, scf::SCFDialect, tensor::TensorDialect,
                  QslDialect>();
}
