//===- EmulatorState.h - The SIMT emulator's threads and launch -*- C++ -*-===//
//
// Internal to lib/Runtime/Emulator (MLIR-free): the state GpuEmulator.cpp's
// scheduler keeps per GPU thread and per launch, and the warp collectives
// WarpCollectives.cpp performs on it once all 32 lanes of a warp arrived.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_RUNTIME_EMULATOR_EMULATORSTATE_H
#define QSL_LIB_RUNTIME_EMULATOR_EMULATORSTATE_H

#include <ucontext.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qsl_emu {

/// Prints "qsl-gpu-emulator: <message>" and exits with status 1.
[[noreturn]] void fatal(const std::string &message);

/// The kernel being run, for messages ("?" outside a launch).
std::string kernelName();

/// What a thread waits on: a warp collective, or the block's barrier.
enum class Wait { None, Shuffle, Mma, MmaSp, LdMatrix, Barrier };


struct Thread {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  bool done = false;
  Wait wait = Wait::None;
  unsigned tid[3] = {0, 0, 0};
  // shfl.sync
  uint32_t shflMode = 0, shflMask = 0, shflValue = 0, shflB = 0, shflC = 0;
  uint64_t shflResult = 0;
  // mma: A, B registers (f16x2), C, metadata, selector, where D goes
  uint32_t a[4] = {}, b[4] = {};
  float c[4] = {};
  uint32_t meta = 0, selector = 0;
  float *d = nullptr;
  // ldmatrix: this lane's row address, the form, where the registers go
  const char *rowAddr = nullptr;
  uint32_t ldmNum = 0, ldmTrans = 0;
  uint32_t *ldmOut = nullptr;
  // cp.async: the open group and the committed ones, oldest first
  struct Copy {
    char *dst;
    const char *src;
    uint32_t bytes, srcBytes;
  };
  std::vector<Copy> openGroup;
  std::deque<std::vector<Copy>> committed;
};

constexpr size_t kStackBytes = 256 * 1024;

struct Launch {
  void (*entry)(void **) = nullptr;
  void **params = nullptr;
  unsigned grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}, ctaid[3] = {0, 0, 0};
  std::vector<Thread> threads;
  // The kernel's shared-memory buffers (start, bytes).
  std::vector<std::pair<char *, size_t>> shared;
  // 16-byte granules of shared memory that a cp.async completed (at its
  // thread's wait_group) since the block last met at a barrier, and the
  // thread: only that thread may read them before the next barrier.
  std::unordered_map<uintptr_t, unsigned> unpublished;
  ucontext_t scheduler;
  Thread *current = nullptr;
};
/// The launch being run (null between launches).
extern Launch *launch;

// Warp collectives on the 32 lanes of a warp that all reached them
// (WarpCollectives.cpp), following the PTX ISA.
void doShuffle(Thread *lanes);
void doMma(Thread *lanes);
void doMmaSp(Thread *lanes);
void doLdMatrix(Thread *lanes);

/// Stops unless [p, p + bytes) lies in one of the kernel's shared-memory
/// buffers and p is a multiple of `align`.
void checkShared(const char *p, size_t bytes, size_t align, const char *what);

/// Stops when [p, p + bytes), read by `reader`, holds a 16-byte granule
/// another thread's cp.async completed since the block last met at a
/// barrier.
void checkPublished(const Thread &reader, const char *p, size_t bytes,
                    const std::string &what);

/// Performs the oldest committed cp.async group of `t`.
void completeOldestGroup(Thread &t);

} // namespace qsl_emu

#endif // QSL_LIB_RUNTIME_EMULATOR_EMULATORSTATE_H
