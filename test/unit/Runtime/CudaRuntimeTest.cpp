//===- CudaRuntimeTest.cpp - CUDA runtime paths that need no GPU ----------===//
#include "qsl/Runtime/CudaRuntime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

// With the driver pointed at a library that does not exist, every entry
// point fails cleanly with a message naming the problem.
TEST(CudaRuntime, NoDriverFound) {
  setenv("QSL_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  EXPECT_EQ(qslCudaInit(), -1);
  std::string error = qslCudaLastError();
  EXPECT_EQ(error.rfind("no CUDA driver found", 0), 0u) << error;
  EXPECT_EQ(qslCudaDeviceCount(), -1);
  int blob = 0;
  EXPECT_EQ(mgpuModuleLoad(&blob, sizeof(blob)), nullptr);
  EXPECT_EQ(mgpuMemAlloc(64, nullptr, false), nullptr);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  // Null handles are ignored rather than dereferenced.
  mgpuLaunchKernel(nullptr, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
  mgpuMemFree(nullptr, nullptr);
  unsetenv("QSL_CUDA_DRIVER");
}

// A library that exists but is not the CUDA driver: the missing entry point
// is named.
TEST(CudaRuntime, NotADriver) {
  setenv("QSL_CUDA_DRIVER", "libc.so.6", 1);
  EXPECT_EQ(qslCudaInit(), -1);
  std::string error = qslCudaLastError();
  EXPECT_NE(error.find("CUDA driver lacks cuInit"), std::string::npos)
      << error;
  unsetenv("QSL_CUDA_DRIVER");
}

// The real driver, where there is one: either it works or it says why.
TEST(CudaRuntime, SystemDriverAnswers) {
  int rc = qslCudaInit();
  if (rc == 0) {
    EXPECT_GT(qslCudaDeviceCount(), 0);
    void *p = mgpuMemAlloc(256, nullptr, false);
    ASSERT_NE(p, nullptr);
    mgpuMemset32(p, 0x3f800000u, 64, nullptr);
    float host[64] = {};
    mgpuMemcpy(host, p, sizeof(host), nullptr);
    EXPECT_EQ(host[63], 1.0f);
    mgpuMemFree(p, nullptr);
  } else {
    std::string error = qslCudaLastError();
    EXPECT_TRUE(error.rfind("no CUDA driver found", 0) == 0 ||
                error.rfind("no CUDA device", 0) == 0 ||
                error.find("CUDA_ERROR") != std::string::npos)
        << error;
  }
}

} // namespace
