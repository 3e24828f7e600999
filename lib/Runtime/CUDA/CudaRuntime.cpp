//===- CudaRuntime.cpp - QSL's CUDA runtime over the driver API -----------===//
//
// cuda.h is used for declarations only; every driver entry point is looked
// up with dlsym in the library dlopen'ed at first use.
//
//===----------------------------------------------------------------------===//
#include "qsl/Runtime/CudaRuntime.h"

#include <cuda.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace {

struct Driver {
  void *handle = nullptr;
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuGetErrorName) getErrorName = nullptr;
  decltype(&::cuDeviceGetCount) deviceGetCount = nullptr;
  decltype(&::cuDeviceGet) deviceGet = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) primaryCtxRetain = nullptr;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&::cuModuleLoadData) moduleLoadData = nullptr;
  decltype(&::cuModuleUnload) moduleUnload = nullptr;
  decltype(&::cuModuleGetFunction) moduleGetFunction = nullptr;
  decltype(&::cuLaunchKernel) launchKernel = nullptr;
  decltype(&::cuStreamCreate) streamCreate = nullptr;
  decltype(&::cuStreamDestroy) streamDestroy = nullptr;
  decltype(&::cuStreamSynchronize) streamSynchronize = nullptr;
  decltype(&::cuMemAlloc) memAlloc = nullptr;
  decltype(&::cuMemAllocManaged) memAllocManaged = nullptr;
  decltype(&::cuMemFree) memFree = nullptr;
  decltype(&::cuMemcpyAsync) memcpyAsync = nullptr;
  decltype(&::cuMemsetD32Async) memsetD32Async = nullptr;
};

Driver driver;
std::string lastError;
int defaultDevice = 0;
bool ready = false;
std::mutex mutex;

void fail(const std::string &message) {
  lastError = message;
  std::fprintf(stderr, "qsl-cuda: %s\n", message.c_str());
}

std::string resultName(CUresult r) {
  const char *name = nullptr;
  if (driver.getErrorName && driver.getErrorName(r, &name) == CUDA_SUCCESS &&
      name)
    return name;
  return "CUresult " + std::to_string(static_cast<int>(r));
}

bool check(CUresult r, const char *call) {
  if (r == CUDA_SUCCESS)
    return true;
  fail(std::string(call) + ": " + resultName(r));
  return false;
}

template <typename F> bool lookup(F &fn, const char *symbol) {
  fn = reinterpret_cast<F>(dlsym(driver.handle, symbol));
  if (!fn)
    fail(std::string("CUDA driver lacks ") + symbol);
  return fn != nullptr;
}

/// dlopen + dlsym, once. Errors are not cached: a later call retries.
bool loadDriver() {
  if (driver.handle)
    return true;
  const char *path = std::getenv("QSL_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    fail(std::string("no CUDA driver found: ") + (why ? why : path));
    return false;
  }
  driver.handle = handle;
  // The _v2 names are the ones cuda.h's macros select.
  bool ok = lookup(driver.init, "cuInit") &&
            lookup(driver.getErrorName, "cuGetErrorName") &&
            lookup(driver.deviceGetCount, "cuDeviceGetCount") &&
            lookup(driver.deviceGet, "cuDeviceGet") &&
            lookup(driver.primaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
            lookup(driver.ctxSetCurrent, "cuCtxSetCurrent") &&
            lookup(driver.moduleLoadData, "cuModuleLoadData") &&
            lookup(driver.moduleUnload, "cuModuleUnload") &&
            lookup(driver.moduleGetFunction, "cuModuleGetFunction") &&
            lookup(driver.launchKernel, "cuLaunchKernel") &&
            lookup(driver.streamCreate, "cuStreamCreate") &&
            lookup(driver.streamDestroy, "cuStreamDestroy_v2") &&
            lookup(driver.streamSynchronize, "cuStreamSynchronize") &&
            lookup(driver.memAlloc, "cuMemAlloc_v2") &&
            lookup(driver.memAllocManaged, "cuMemAllocManaged") &&
            lookup(driver.memFree, "cuMemFree_v2") &&
            lookup(driver.memcpyAsync, "cuMemcpyAsync") &&
            lookup(driver.memsetD32Async, "cuMemsetD32Async");
  if (!ok) {
    dlclose(handle);
    driver = Driver();
  }
  return ok;
}

/// Driver loaded, initialised, a device present and its primary context
/// current on this thread.
bool ensureContext() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!loadDriver())
    return false;
  if (!ready) {
    if (!check(driver.init(0), "cuInit"))
      return false;
    int count = 0;
    if (!check(driver.deviceGetCount(&count), "cuDeviceGetCount"))
      return false;
    if (count <= defaultDevice) {
      fail(count == 0 ? "no CUDA device"
                      : "no CUDA device " + std::to_string(defaultDevice));
      return false;
    }
  }
  CUdevice device;
  CUcontext context;
  if (!check(driver.deviceGet(&device, defaultDevice), "cuDeviceGet") ||
      !check(driver.primaryCtxRetain(&context, device),
             "cuDevicePrimaryCtxRetain") ||
      !check(driver.ctxSetCurrent(context), "cuCtxSetCurrent"))
    return false;
  ready = true;
  return true;
}

} // namespace

extern "C" {

int qslCudaInit(void) {
  lastError.clear();
  return ensureContext() ? 0 : -1;
}

const char *qslCudaLastError(void) { return lastError.c_str(); }

int qslCudaDeviceCount(void) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!loadDriver() || !check(driver.init(0), "cuInit"))
    return -1;
  int count = 0;
  if (!check(driver.deviceGetCount(&count), "cuDeviceGetCount"))
    return -1;
  return count;
}

void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  if (!ensureContext())
    return nullptr;
  CUmodule module = nullptr;
  if (!check(driver.moduleLoadData(&module, data), "cuModuleLoadData"))
    return nullptr;
  return module;
}

// cuModuleLoadData JIT-compiles PTX itself; the optimisation level is left
// to the driver's default.
void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  if (module && ensureContext())
    check(driver.moduleUnload(static_cast<CUmodule>(module)),
          "cuModuleUnload");
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !ensureContext())
    return nullptr;
  CUfunction function = nullptr;
  if (!check(driver.moduleGetFunction(&function, static_cast<CUmodule>(module),
                                      name),
             "cuModuleGetFunction"))
    return nullptr;
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (!function || !ensureContext())
    return;
  check(driver.launchKernel(static_cast<CUfunction>(function), gridX, gridY,
                            gridZ, blockX, blockY, blockZ, smem,
                            static_cast<CUstream>(stream), params, extra),
        "cuLaunchKernel");
}

void *mgpuStreamCreate(void) {
  if (!ensureContext())
    return nullptr;
  CUstream stream = nullptr;
  if (!check(driver.streamCreate(&stream, CU_STREAM_NON_BLOCKING),
             "cuStreamCreate"))
    return nullptr;
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && ensureContext())
    check(driver.streamDestroy(static_cast<CUstream>(stream)),
          "cuStreamDestroy");
}

void mgpuStreamSynchronize(void *stream) {
  if (ensureContext())
    check(driver.streamSynchronize(static_cast<CUstream>(stream)),
          "cuStreamSynchronize");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  if (sizeBytes == 0 || !ensureContext())
    return nullptr;
  CUdeviceptr ptr = 0;
  bool ok = isHostShared
                ? check(driver.memAllocManaged(&ptr, sizeBytes,
                                               CU_MEM_ATTACH_GLOBAL),
                        "cuMemAllocManaged")
                : check(driver.memAlloc(&ptr, sizeBytes), "cuMemAlloc");
  return ok ? reinterpret_cast<void *>(ptr) : nullptr;
}

void mgpuMemFree(void *ptr, void * /*stream*/) {
  if (ptr && ensureContext())
    check(driver.memFree(reinterpret_cast<CUdeviceptr>(ptr)), "cuMemFree");
}

// Copies and fills are ordered on `stream` with the launches around them
// (the stream is non-blocking, so the legacy-stream cuMemcpy/cuMemsetD32
// would not wait for a kernel still running on it), then waited for: the
// host code reads or frees the buffers right after. Unified addressing:
// cuMemcpyAsync works out the direction.
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  if (sizeBytes && ensureContext() &&
      check(driver.memcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                               reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                               static_cast<CUstream>(stream)),
            "cuMemcpyAsync"))
    check(driver.streamSynchronize(static_cast<CUstream>(stream)),
          "cuStreamSynchronize");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  if (count && ensureContext() &&
      check(driver.memsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                  count, static_cast<CUstream>(stream)),
            "cuMemsetD32Async"))
    check(driver.streamSynchronize(static_cast<CUstream>(stream)),
          "cuStreamSynchronize");
}

void mgpuSetDefaultDevice(int32_t device) {
  std::lock_guard<std::mutex> lock(mutex);
  defaultDevice = device;
  ready = false;
}

} // extern "C"
