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

/// What a thread waits on: a warp collective, a warpgroup's wgmma, or the
/// block's barrier.
enum class Wait { None, Shuffle, Mma, MmaSp, LdMatrix, Wgmma, Barrier };


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
  // wgmma m64nNk16 (sparse: .sp m64nNk32, metadata in meta): A in a[],
  // the B descriptor, N, scale-d, the accumulators (read and written)
  uint64_t wgDesc = 0;
  uint32_t wgN = 0, wgScale = 0;
  bool wgSparse = false;
  float *wgAcc = nullptr;
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
  // Granules a cp.async completed that its thread has not yet fenced into
  // the async proxy (fence.proxy.async), which wgmma reads through.
  std::unordered_map<uintptr_t, unsigned> unfenced;
  // Per warpgroup, the shared memory (start, bytes) its wgmma read: those
  // issued since its last commit, then the committed groups, oldest first;
  // a group leaves at the wgmma.wait_group that completes it.
  struct WgmmaReads {
    std::vector<std::pair<const char *, size_t>> open;
    std::deque<std::vector<std::pair<const char *, size_t>>> committed;
  };
  std::vector<WgmmaReads> wgmmaReads;
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
/// wgmma.mma_async m64nNk16 (f16 x f16 -> f32, A from registers, B from a
/// no-swizzle K-major descriptor), or .sp m64nNk32 (A 2:4 sparse, sparsity
/// selector 0), on the 128 threads of warpgroup `group`.
void doWgmma(Thread *threads, unsigned group);

/// The shared-space address of p (inside one of the kernel's shared
/// buffers, or one past its end), as a GPU numbers it: the buffers laid
/// out one after another from 0, each at a multiple of 1024 bytes.
uint64_t sharedAddress(const char *p);
/// The host memory of `bytes` at shared-space address `address`; stops
/// unless they lie inside one buffer.
const char *sharedHost(uint64_t address, size_t bytes, const char *what);

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
