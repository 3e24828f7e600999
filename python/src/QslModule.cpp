//===- QslModule.cpp - nanobind bindings over the QSL C API ---------------===//
//
// The `qsl._qsl` extension. It uses nothing but the C API (qsl-c/QSL.h and
// the upstream MLIR C API core in libQSLCAPI.so): contexts, modules, ONNX
// import, pass pipelines, calibration, reports, save/load, CPU compilation,
// runs on numpy arrays, and the #qsl.encoding queries. Diagnostics are collected per context and raised as
// qsl.QslError with their text; the Python layer (qsl/__init__.py) adds the
// conveniences.
//
//===----------------------------------------------------------------------===//
#include "qsl-c/QSL.h"

#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace nb = nanobind;

namespace {

struct QslError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

MlirStringRef ref(const std::string &s) {
  return mlirStringRefCreate(s.data(), s.size());
}

void append(MlirStringRef text, void *userData) {
  static_cast<std::string *>(userData)->append(text.data, text.length);
}

/// An MlirContext with every QSL dialect and a handler that keeps the
/// diagnostics until the next error is raised, or until the Python layer
/// takes them after a success (warnings and remarks, shown as warnings).
struct Context {
  MlirContext ctx;
  std::vector<std::string> diagnostics;

  Context() {
    ctx = mlirContextCreate();
    MlirDialectRegistry registry = mlirDialectRegistryCreate();
    mlirQslRegisterAllDialects(registry);
    mlirContextAppendDialectRegistry(ctx, registry);
    mlirDialectRegistryDestroy(registry);
    mlirContextAttachDiagnosticHandler(ctx, &Context::onDiagnostic, this,
                                       nullptr);
  }
  ~Context() { mlirContextDestroy(ctx); }
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  static MlirLogicalResult onDiagnostic(MlirDiagnostic d, void *self) {
    std::string text;
    mlirLocationPrint(mlirDiagnosticGetLocation(d), append, &text);
    text += ": ";
    switch (mlirDiagnosticGetSeverity(d)) {
    case MlirDiagnosticWarning:
      text += "warning: ";
      break;
    case MlirDiagnosticRemark:
      text += "remark: ";
      break;
    default:
      break;
    }
    mlirDiagnosticPrint(d, append, &text);
    static_cast<Context *>(self)->diagnostics.push_back(std::move(text));
    return mlirLogicalResultSuccess();
  }

  /// Raises QslError with `what` and the diagnostics reported since.
  [[noreturn]] void fail(const std::string &what) {
    std::string message = what;
    for (const std::string &d : diagnostics)
      message += "\n" + d;
    diagnostics.clear();
    throw QslError(message);
  }
};

struct Module {
  std::shared_ptr<Context> context;
  MlirModule module;
  Module(std::shared_ptr<Context> context, MlirModule module)
      : context(std::move(context)), module(module) {}
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module() {
    if (!mlirModuleIsNull(module))
      mlirModuleDestroy(module);
  }
  std::string str() const {
    std::string text;
    mlirOperationPrint(mlirModuleGetOperation(module), append, &text);
    return text;
  }
};

using Signature = std::tuple<std::string, std::string, std::vector<int64_t>>;

const char *dtypeName(MlirQslDType t) {
  static const char *names[] = {"f16", "f32", "f64", "i1",
                                "i8",  "i16", "i32", "i64"};
  return t >= MlirQslDTypeF16 && t <= MlirQslDTypeI64 ? names[t] : "?";
}

using Array = nb::ndarray<nb::c_contig, nb::device::cpu>;

/// The C API's dtype of a numpy array; invalid (the C API reports it) for
/// types it does not exchange.
MlirQslDType dtypeOf(const Array &a) {
  nb::dlpack::dtype t = a.dtype();
  using Code = nb::dlpack::dtype_code;
  if (t.code == static_cast<uint8_t>(Code::Float))
    return t.bits == 16   ? MlirQslDTypeF16
           : t.bits == 32 ? MlirQslDTypeF32
           : t.bits == 64 ? MlirQslDTypeF64
                          : static_cast<MlirQslDType>(-1);
  if (t.code == static_cast<uint8_t>(Code::Bool))
    return MlirQslDTypeI1;
  if (t.code == static_cast<uint8_t>(Code::Int))
    return t.bits == 8    ? MlirQslDTypeI8
           : t.bits == 16 ? MlirQslDTypeI16
           : t.bits == 32 ? MlirQslDTypeI32
           : t.bits == 64 ? MlirQslDTypeI64
                          : static_cast<MlirQslDType>(-1);
  return static_cast<MlirQslDType>(-1);
}

struct Executable {
  std::shared_ptr<Context> context;
  MlirQslExecutable exe;
  Executable(std::shared_ptr<Context> context, MlirQslExecutable exe)
      : context(std::move(context)), exe(exe) {}
  Executable(const Executable &) = delete;
  Executable &operator=(const Executable &) = delete;
  ~Executable() { mlirQslExecutableDestroy(exe); }

  static std::vector<Signature> describe(MlirQslExecutable exe, bool inputs) {
    std::vector<Signature> out;
    intptr_t n = inputs ? mlirQslExecutableGetNumInputs(exe)
                        : mlirQslExecutableGetNumOutputs(exe);
    for (intptr_t i = 0; i < n; ++i) {
      MlirQslBuffer b = inputs ? mlirQslExecutableGetInput(exe, i)
                               : mlirQslExecutableGetOutput(exe, i);
      out.emplace_back(std::string(b.name.data, b.name.length),
                       dtypeName(b.dtype),
                       std::vector<int64_t>(b.shape, b.shape + b.rank));
    }
    return out;
  }

  /// Runs on caller arrays (outputs are written in place).
  void run(const std::map<std::string, Array> &inputs,
           const std::map<std::string, Array> &outputs) {
    std::vector<std::vector<int64_t>> shapes;
    shapes.reserve(inputs.size() + outputs.size());
    auto buffers = [&](const std::map<std::string, Array> &arrays) {
      std::vector<MlirQslBuffer> out;
      for (const auto &[name, a] : arrays) {
        shapes.emplace_back();
        for (size_t d = 0; d < a.ndim(); ++d)
          shapes.back().push_back(a.shape(d));
        out.push_back({ref(name), dtypeOf(a), static_cast<intptr_t>(a.ndim()),
                       shapes.back().data(), a.data(), a.nbytes()});
      }
      return out;
    };
    std::vector<MlirQslBuffer> in = buffers(inputs), out = buffers(outputs);
    MlirLogicalResult result;
    {
      nb::gil_scoped_release release;
      result = mlirQslExecutableRun(exe, in.size(), in.data(), out.size(),
                                    out.data());
    }
    if (mlirLogicalResultIsFailure(result))
      context->fail("run failed");
  }
};

/// Feeds calibration sets from a Python callable `next(index)` that returns
/// a dict of C-contiguous arrays, or None at the end. A Python exception in
/// it stops calibration and is raised again afterwards.
struct CalibrationFeed {
  nb::callable next;
  std::map<std::string, Array> arrays; // the current set, kept alive
  std::vector<std::vector<int64_t>> shapes;
  std::vector<MlirQslBuffer> buffers;
  std::optional<nb::python_error> error;

  static int call(intptr_t index, intptr_t *numBuffers,
                  const MlirQslBuffer **buffers, void *self) {
    auto *feed = static_cast<CalibrationFeed *>(self);
    try {
      nb::object set = feed->next(index);
      if (set.is_none())
        return 0;
      feed->arrays = nb::cast<std::map<std::string, Array>>(set);
    } catch (nb::python_error &e) {
      feed->error.emplace(std::move(e));
      return -1;
    } catch (const std::exception &e) {
      PyErr_SetString(PyExc_TypeError, e.what());
      feed->error.emplace();
      return -1;
    }
    feed->shapes.clear();
    feed->buffers.clear();
    feed->shapes.reserve(feed->arrays.size());
    for (const auto &[name, a] : feed->arrays) {
      feed->shapes.emplace_back();
      for (size_t d = 0; d < a.ndim(); ++d)
        feed->shapes.back().push_back(a.shape(d));
      feed->buffers.push_back({ref(name), dtypeOf(a),
                               static_cast<intptr_t>(a.ndim()),
                               feed->shapes.back().data(), a.data(),
                               a.nbytes()});
    }
    *numBuffers = feed->buffers.size();
    *buffers = feed->buffers.data();
    return 1;
  }
};

struct SignatureCollector {
  std::vector<Signature> inputs, outputs;
  static void add(bool isInput, MlirQslBuffer b, void *self) {
    auto *c = static_cast<SignatureCollector *>(self);
    (isInput ? c->inputs : c->outputs)
        .emplace_back(std::string(b.name.data, b.name.length),
                      dtypeName(b.dtype),
                      std::vector<int64_t>(b.shape, b.shape + b.rank));
  }
};

} // namespace

NB_MODULE(_qsl, m) {
  m.doc() = "QSL over its C API (see the qsl package)";
  nb::exception<QslError>(m, "QslError");
  mlirQslRegisterPasses();

  nb::class_<Context>(m, "_Context")
      .def(nb::init<>())
      .def("take_diagnostics",
           [](Context &self) {
             std::vector<std::string> taken = std::move(self.diagnostics);
             self.diagnostics.clear();
             return taken;
           })
      .def("parse_module",
           [](std::shared_ptr<Context> self, const std::string &text) {
             MlirModule mod = mlirModuleCreateParse(self->ctx, ref(text));
             if (mlirModuleIsNull(mod))
               self->fail("cannot parse the module");
             return std::make_shared<Module>(self, mod);
           })
      .def("load",
           [](std::shared_ptr<Context> self, const std::string &path) {
             MlirModule mod = mlirQslModuleLoad(self->ctx, ref(path));
             if (mlirModuleIsNull(mod))
               self->fail("cannot load '" + path + "'");
             return std::make_shared<Module>(self, mod);
           })
      .def("check_pipeline",
           [](std::shared_ptr<Context> self, const std::string &pipeline) {
             if (mlirLogicalResultIsFailure(
                     mlirQslParsePassPipeline(self->ctx, ref(pipeline))))
               self->fail("invalid pipeline '" + pipeline + "'");
           })
      .def("import_onnx",
           [](std::shared_ptr<Context> self, const std::string &path,
              const std::vector<std::string> &shapes) {
             std::vector<MlirStringRef> refs;
             for (const std::string &s : shapes)
               refs.push_back(ref(s));
             MlirModule mod = mlirQslImportONNXFile(
                 self->ctx, ref(path), refs.size(), refs.data());
             if (mlirModuleIsNull(mod))
               self->fail("cannot import '" + path + "'");
             return std::make_shared<Module>(self, mod);
           })
      .def("encoding",
           [](std::shared_ptr<Context> self, const std::string &text) {
             MlirAttribute a = mlirQslEncodingAttrParse(self->ctx, ref(text));
             if (mlirAttributeIsNull(a))
               self->fail("invalid encoding '" + text + "'");
             std::map<std::string, int64_t> facets{
                 {"quant_bits", mlirQslEncodingAttrGetQuantBits(a)},
                 {"quant_group", mlirQslEncodingAttrGetQuantGroup(a)},
                 {"sparse_n", mlirQslEncodingAttrGetSparseN(a)},
                 {"sparse_m", mlirQslEncodingAttrGetSparseM(a)},
                 {"lowrank_rank", mlirQslEncodingAttrGetLowRankRank(a)}};
             return facets;
           })
      .def("bits_per_element",
           [](std::shared_ptr<Context> self, const std::string &typeText) {
             MlirType t = mlirTypeParseGet(self->ctx, ref(typeText));
             if (mlirTypeIsNull(t))
               self->fail("invalid type '" + typeText + "'");
             double bits = mlirQslTensorTypeGetBitsPerElement(t);
             if (bits < 0)
               self->fail("'" + typeText + "' is not a statically shaped "
                          "tensor type with a #qsl.encoding");
             return bits;
           });

  nb::class_<Module>(m, "_Module")
      .def("__str__", &Module::str)
      .def("clone",
           [](Module &self) {
             MlirOperation copy =
                 mlirOperationClone(mlirModuleGetOperation(self.module));
             return std::make_shared<Module>(self.context,
                                             mlirModuleFromOperation(copy));
           })
      .def("signature",
           [](Module &self, const std::string &entry) {
             SignatureCollector c;
             if (mlirLogicalResultIsFailure(mlirQslModuleGetSignature(
                     self.module, ref(entry), &SignatureCollector::add, &c)))
               self.context->fail("no signature for '" + entry + "'");
             return std::make_pair(c.inputs, c.outputs);
           })
      .def("calibrate",
           [](Module &self, const std::string &entry, nb::callable next) {
             CalibrationFeed feed{std::move(next), {}, {}, {}, {}};
             MlirLogicalResult result = mlirQslCalibrateWithCallback(
                 self.module, ref(entry), &CalibrationFeed::call, &feed);
             if (feed.error) {
               self.context->diagnostics.clear();
               throw std::move(*feed.error);
             }
             if (mlirLogicalResultIsFailure(result))
               self.context->fail("calibration failed");
           })
      .def("constant_bytes",
           [](Module &self) { return mlirQslModuleGetConstantBytes(self.module); })
      .def("report",
           [](Module &self, int64_t importedBytes) {
             std::string text;
             if (mlirLogicalResultIsFailure(mlirQslModuleGetReport(
                     self.module, importedBytes, append, &text)))
               self.context->fail("cannot build the report");
             return text;
           })
      .def("strip_metadata",
           [](Module &self) { mlirQslStripCompressionMetadata(self.module); })
      .def("save",
           [](Module &self, const std::string &path) {
             if (mlirLogicalResultIsFailure(
                     mlirQslModuleSave(self.module, ref(path))))
               self.context->fail("cannot save to '" + path + "'");
           })
      .def("export_onnx",
           [](Module &self, const std::string &model, const std::string &out) {
             if (mlirLogicalResultIsFailure(
                     mlirQslExportONNX(self.module, ref(model), ref(out))))
               self.context->fail("cannot export to '" + out + "'");
           })
      .def("run_pipeline",
           [](Module &self, const std::string &pipeline) {
             if (mlirLogicalResultIsFailure(
                     mlirQslRunPassPipeline(self.module, ref(pipeline))))
               self.context->fail("pipeline '" + pipeline + "' failed");
           })
      .def("is_compiled",
           [](Module &self) {
             // What mlirQslCompileForCPU (or qslc) leaves: a recorded entry.
             return !mlirAttributeIsNull(mlirOperationGetAttributeByName(
                 mlirModuleGetOperation(self.module),
                 mlirStringRefCreateFromCString("qsl.entry")));
           })
      .def("jit",
           [](Module &self) {
             MlirQslExecutable exe = mlirQslExecutableCreate(self.module);
             if (mlirQslExecutableIsNull(exe))
               self.context->fail("cannot JIT-compile the module");
             return std::make_shared<Executable>(self.context, exe);
           })
      .def("compile",
           [](Module &self, const std::string &entry, bool vectorize) {
             if (mlirLogicalResultIsFailure(mlirQslCompileForCPU(
                     self.module, ref(entry), vectorize)))
               self.context->fail("cannot compile '" + entry + "'");
             MlirQslExecutable exe = mlirQslExecutableCreate(self.module);
             if (mlirQslExecutableIsNull(exe))
               self.context->fail("cannot JIT-compile the module");
             return std::make_shared<Executable>(self.context, exe);
           },
           nb::arg("entry") = "main_graph", nb::arg("vectorize") = true)
      .def("compile_cuda",
           [](Module &self, const std::string &entry, const std::string &chip,
              const std::string &runtime, bool emulate) {
             MlirLogicalResult done =
                 emulate ? mlirQslCompileForCUDAEmulator(self.module, ref(entry))
                         : mlirQslCompileForCUDA(self.module, ref(entry),
                                                 ref(chip));
             if (mlirLogicalResultIsFailure(done))
               self.context->fail("cannot compile '" + entry + "' for CUDA");
             MlirQslExecutable exe =
                 mlirQslExecutableCreateForCUDA(self.module, ref(runtime));
             if (mlirQslExecutableIsNull(exe))
               self.context->fail("cannot load the CUDA module");
             return std::make_shared<Executable>(self.context, exe);
           },
           nb::arg("entry"), nb::arg("chip"), nb::arg("runtime"),
           nb::arg("emulate") = false);

  nb::class_<Executable>(m, "_Executable")
      .def_prop_ro("inputs",
                   [](Executable &e) { return Executable::describe(e.exe, true); })
      .def_prop_ro("outputs",
                   [](Executable &e) { return Executable::describe(e.exe, false); })
      .def("_run", &Executable::run);
}
