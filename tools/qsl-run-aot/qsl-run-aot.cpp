//===- qsl-run-aot.cpp - Run an ahead-of-time compiled model ---------------===//
//
//   qsl-run-aot MODEL.so --input in.npz [--input ...] [--output out.npz]
//               [--repeat N] [--print] [--compare REF.npz [--rtol R] [--atol A]]
//
// Runs a model that `qslc --emit=obj` compiled and `cc -shared` linked
// (docs/tools/qsl-run.md), without LLVM or MLIR: it reads the model's
// `qsl_model_signature`, binds the .npz arrays named like the graph inputs
// to memref descriptors, calls `_mlir_ciface_<entry>` and writes the
// outputs. The runner-utils functions compiled code may call (memrefCopy)
// come from this executable (lib/Runtime/MemrefSupport.c, exported). For a
// --target=cuda model the library links libqsl_cuda_runtime.so; a CUDA
// error during the run fails it. --compare checks every f32/f64 output
// against the same-named array of REF.npz (|a - b| <= atol + rtol |b|;
// other types exactly) and fails on a mismatch.
//
//===----------------------------------------------------------------------===//
#include "qsl/Runtime/HostTensor.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using qsl::runtime::DType;
using qsl::runtime::HostTensor;

namespace {

struct Signature {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

int fail(const std::string &message) {
  std::fprintf(stderr, "qsl-run-aot: error: %s\n", message.c_str());
  return 1;
}

std::string describe(DType d, const std::vector<int64_t> &shape) {
  HostTensor t;
  t.dtype = d;
  t.shape = shape;
  return t.describe();
}

/// Parses `qsl_model_signature` (see include/qsl/Execution/ObjectFile.h).
bool parseSignature(const char *text, std::string &entry,
                    std::vector<Signature> &inputs,
                    std::vector<Signature> &outputs, std::string &error) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, name, type, dims;
    fields >> kind >> name;
    if (kind == "entry") {
      entry = name;
      continue;
    }
    fields >> type >> dims;
    Signature s;
    s.name = name;
    if ((kind != "input" && kind != "output") ||
        !qsl::runtime::parseMlirName(type, s.dtype)) {
      error = "malformed signature line '" + line + "'";
      return false;
    }
    std::istringstream ds(dims);
    std::string d;
    while (std::getline(ds, d, 'x'))
      s.shape.push_back(std::stoll(d));
    (kind == "input" ? inputs : outputs).push_back(std::move(s));
  }
  if (entry.empty()) {
    error = "the signature names no entry point";
    return false;
  }
  return true;
}

/// Calls the C-interface entry with one descriptor pointer per argument.
bool call(void *fn, std::vector<void *> &a) {
  using P = void *;
  switch (a.size()) {
  case 1: reinterpret_cast<void (*)(P)>(fn)(a[0]); return true;
  case 2: reinterpret_cast<void (*)(P, P)>(fn)(a[0], a[1]); return true;
  case 3: reinterpret_cast<void (*)(P, P, P)>(fn)(a[0], a[1], a[2]); return true;
  case 4: reinterpret_cast<void (*)(P, P, P, P)>(fn)(a[0], a[1], a[2], a[3]); return true;
  case 5: reinterpret_cast<void (*)(P, P, P, P, P)>(fn)(a[0], a[1], a[2], a[3], a[4]); return true;
  case 6: reinterpret_cast<void (*)(P, P, P, P, P, P)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5]); return true;
  case 7: reinterpret_cast<void (*)(P, P, P, P, P, P, P)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]); return true;
  case 8: reinterpret_cast<void (*)(P, P, P, P, P, P, P, P)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]); return true;
  default:
    return false;
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, outputPath;
  std::vector<std::string> inputPaths;
  unsigned repeat = 0;
  bool print = false;
  std::string comparePath;
  double rtol = 1e-5, atol = 1e-6;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string &flag) -> std::string {
      if (a.rfind(flag + "=", 0) == 0)
        return a.substr(flag.size() + 1);
      if (a == flag && i + 1 < argc)
        return argv[++i];
      return "";
    };
    if (a.rfind("--input", 0) == 0)
      inputPaths.push_back(value("--input"));
    else if (a.rfind("--output", 0) == 0)
      outputPath = value("--output");
    else if (a.rfind("--repeat", 0) == 0)
      repeat = std::stoul(value("--repeat"));
    else if (a == "--print")
      print = true;
    else if (a.rfind("--compare", 0) == 0)
      comparePath = value("--compare");
    else if (a.rfind("--rtol", 0) == 0)
      rtol = std::stod(value("--rtol"));
    else if (a.rfind("--atol", 0) == 0)
      atol = std::stod(value("--atol"));
    else if (!a.empty() && a[0] != '-' && modelPath.empty())
      modelPath = a;
    else
      return fail("unknown argument '" + a +
                  "' (usage: qsl-run-aot MODEL.so --input in.npz "
                  "[--output out.npz] [--repeat N] [--print])");
  }
  if (modelPath.empty())
    return fail("no model library (qslc --emit=obj, then cc -shared)");

  void *lib = dlopen(modelPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return fail("cannot load '" + modelPath + "': " + dlerror());
  auto *text = static_cast<const char *>(dlsym(lib, "qsl_model_signature"));
  if (!text)
    return fail("'" + modelPath + "' has no qsl_model_signature: compile it "
                "with qslc --emit=obj");
  std::string entry, error;
  std::vector<Signature> inputs, outputs;
  if (!parseSignature(text, entry, inputs, outputs, error))
    return fail("'" + modelPath + "': " + error);
  void *fn = dlsym(lib, ("_mlir_ciface_" + entry).c_str());
  if (!fn)
    return fail("'" + modelPath + "' lacks _mlir_ciface_" + entry);
  // A --target=cuda model: the GPU it needs, and its runtime's error state.
  auto lastCudaError = reinterpret_cast<const char *(*)()>(
      dlsym(lib, "qslCudaLastError"));
  auto cudaInit = reinterpret_cast<int (*)()>(dlsym(lib, "qslCudaInit"));
  if (cudaInit && cudaInit() != 0)
    return fail(std::string("no GPU to run on: ") + lastCudaError());

  std::map<std::string, HostTensor> given;
  for (const std::string &path : inputPaths)
    if (!qsl::runtime::readNpz(path, given, error))
      return fail(error);
  std::vector<HostTensor> bound;
  for (const Signature &s : inputs) {
    auto it = given.find(s.name);
    if (it == given.end())
      return fail("input '" + s.name + "' is missing");
    if (it->second.dtype != s.dtype || it->second.shape != s.shape)
      return fail("input '" + s.name + "' is " + it->second.describe() +
                  " but the model was compiled for " +
                  describe(s.dtype, s.shape));
    bound.push_back(it->second);
  }
  for (const auto &[name, t] : given) {
    bool known = false;
    for (const Signature &s : inputs)
      known |= s.name == name;
    if (!known)
      return fail("'" + name + "' is not a model input");
  }
  for (const Signature &s : outputs) {
    HostTensor t;
    t.dtype = s.dtype;
    t.shape = s.shape;
    t.bytes.assign(t.numElements() * qsl::runtime::byteWidth(s.dtype), 0);
    bound.push_back(std::move(t));
  }
  std::vector<std::vector<int64_t>> descriptors;
  for (HostTensor &t : bound)
    descriptors.push_back(qsl::runtime::memrefDescriptor(
        t.bytes.empty() ? nullptr : t.bytes.data(), t.shape));
  std::vector<void *> args;
  for (auto &d : descriptors)
    args.push_back(d.data());
  if (!call(fn, args))
    return fail("models with more than 8 inputs and outputs are not "
                "supported yet");
  if (lastCudaError && *lastCudaError())
    return fail(std::string("running on the GPU: ") + lastCudaError());
  if (repeat) {
    auto start = std::chrono::steady_clock::now();
    for (unsigned i = 0; i < repeat; ++i)
      call(fn, args);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count() /
                repeat;
    std::printf("time per run: %.3f ms (%u runs)\n", ms, repeat);
  }
  std::map<std::string, HostTensor> results;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (print)
      std::printf("%s: %s\n", outputs[i].name.c_str(),
                  bound[inputs.size() + i].describe().c_str());
    results[outputs[i].name] = bound[inputs.size() + i];
  }
  if (!outputPath.empty() &&
      !qsl::runtime::writeNpz(outputPath, results, error))
    return fail(error);
  if (!comparePath.empty()) {
    std::map<std::string, HostTensor> ref;
    if (!qsl::runtime::readNpz(comparePath, ref, error))
      return fail(error);
    bool ok = true;
    for (const auto &[name, got] : results) {
      auto it = ref.find(name);
      if (it == ref.end() || it->second.dtype != got.dtype ||
          it->second.shape != got.shape)
        return fail("'" + comparePath + "' has no array '" + name + "' of " +
                    got.describe());
      double worst = 0;
      bool within = true;
      int64_t n = got.numElements();
      for (int64_t i = 0; i < n; ++i) {
        double a, b;
        if (got.dtype == DType::F32) {
          a = reinterpret_cast<const float *>(got.bytes.data())[i];
          b = reinterpret_cast<const float *>(it->second.bytes.data())[i];
        } else if (got.dtype == DType::F64) {
          a = reinterpret_cast<const double *>(got.bytes.data())[i];
          b = reinterpret_cast<const double *>(it->second.bytes.data())[i];
        } else {
          size_t w = qsl::runtime::byteWidth(got.dtype);
          a = b = 0;
          if (std::memcmp(got.bytes.data() + i * w,
                          it->second.bytes.data() + i * w, w) != 0)
            within = false;
          continue;
        }
        double d = a > b ? a - b : b - a;
        worst = d > worst ? d : worst;
        if (!(d <= atol + rtol * (b < 0 ? -b : b)))
          within = false;
      }
      std::printf("%s: max |difference| %.3g, %s (rtol %g, atol %g)\n",
                  name.c_str(), worst, within ? "matches" : "MISMATCH", rtol,
                  atol);
      ok &= within;
    }
    if (!ok)
      return 1;
  }
  return 0;
}
