//===- GpuEmulator.cpp - Runs qsl-gpu-emulate'd kernels on the CPU --------===//
//
// The SIMT half of `qsl-gpu-emulate` (docs/codegen/gpu-emulator.md). That
// pass turns every kernel of a module into a host function whose thread
// registers, warp shuffles, barriers and tensor-core instructions are calls
// into this library; here each GPU thread of a block runs as a fiber
// (ucontext) and a scheduler executes the warp-collective operations once
// all 32 lanes of a warp have reached them (WarpCollectives.cpp; the state
// both files share is EmulatorState.h), following the PTX ISA's
// definitions:
//   * shfl.sync (up/down/bfly/idx, with the clamp and segment mask);
//   * mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32;
//   * mma.sp.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 (metadata as
//     2-bit positions, two lanes per thread group as picked by the sparsity
//     selector);
//   * ldmatrix.sync.aligned.m8n8.{x1,x2,x4}[.trans].shared.b16;
//   * bar.sync 0.
// cp.async copies are per thread: each is queued in the thread's open
// group, commit_group closes it, and wait_group N performs the groups
// older than the N most recent, so shared memory a kernel reads before
// waiting still holds the block's poison; an ldmatrix of what another
// thread's cp.async wrote, with no barrier since that thread's wait, is an
// error.
// A warp whose lanes disagree (one exits or reaches another collective)
// is reported as an error, as is an undefined metadata pattern: such code
// hangs or is undefined on a GPU.
//
// It also provides the host side of MLIR's GPU runtime ABI over host memory,
// as qsl_emu_mgpuMemAlloc, qsl_emu_mgpuMemcpy, ... (the pass renames the
// module's mgpu* calls, so libqsl_cuda_runtime in the same process does not
// take them). Allocations end at a guard page,
// so a kernel reading or writing past the end of a buffer stops with an
// error naming the kernel instead of reading a neighbour (exactly at the
// end unless the size needs padding for alignment); fresh
// allocations are filled with 0xFF bytes (NaN as floats), so an output
// element a kernel never writes shows up in the comparison.
//
// What it does not model: timing, memory coalescing, shared-memory bank
// conflicts, or any concurrency between blocks (they run one after
// another). It checks what a kernel computes, not how fast.
//
//===----------------------------------------------------------------------===//
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "EmulatorState.h"
#include <memory>
#include <string>
#include <vector>

namespace qsl_emu {

void fatal(const std::string &message) {
  std::fprintf(stderr, "qsl-gpu-emulator: %s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

Launch *launch = nullptr;
const char *currentKernel = nullptr;
std::string kernelName() { return currentKernel ? currentKernel : "?"; }

} // namespace qsl_emu

using namespace qsl_emu;

namespace {

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

constexpr size_t kAlign = 256; // cudaMalloc's alignment

struct Allocation {
  char *mapping; // mmap base
  size_t mappingBytes;
  size_t bytes; // requested
};
std::map<char *, Allocation> allocations; // by the pointer handed out
size_t pageSize() {
  static size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void onSegv(int, siginfo_t *info, void *) {
  char *addr = static_cast<char *>(info->si_addr);
  for (auto &[start, a] : allocations) {
    char *guard = a.mapping + a.mappingBytes - pageSize();
    if (addr >= guard && addr < guard + pageSize()) {
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    "qsl-gpu-emulator: kernel %s accessed byte %zu of a "
                    "%zu-byte device buffer (past its end)\n",
                    currentKernel ? currentKernel : "(host)",
                    static_cast<size_t>(addr - start), a.bytes);
      ssize_t ignored = write(2, buf, std::strlen(buf));
      (void)ignored;
      std::_Exit(1);
    }
  }
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "qsl-gpu-emulator: invalid memory access at %p in kernel %s\n",
                static_cast<void *>(addr),
                currentKernel ? currentKernel : "(host)");
  ssize_t ignored = write(2, buf, std::strlen(buf));
  (void)ignored;
  std::_Exit(1);
}

void installSegvHandler() {
  static bool done = false;
  if (done)
    return;
  done = true;
  static std::vector<char> altStack(1 << 16);
  stack_t ss{};
  ss.ss_sp = altStack.data();
  ss.ss_size = altStack.size();
  sigaltstack(&ss, nullptr);
  struct sigaction sa{};
  sa.sa_sigaction = onSegv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

/// The buffer ends where the guard page begins, so the first byte past it
/// faults; its start is aligned to the largest power of two (up to
/// cudaMalloc's 256) that divides its size, a multiple of its element size.
void *allocate(size_t bytes) {
  installSegvHandler();
  size_t page = pageSize();
  size_t align = std::min(kAlign, bytes & (~bytes + 1));
  size_t body = (bytes + align - 1) / align * align;
  size_t mappingBytes = (body + page - 1) / page * page + page;
  void *m = mmap(nullptr, mappingBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    fatal("out of memory allocating " + std::to_string(bytes) + " bytes");
  char *mapping = static_cast<char *>(m);
  char *guard = mapping + mappingBytes - page;
  mprotect(guard, page, PROT_NONE);
  char *start = guard - body;
  std::memset(start, 0xFF, body);
  allocations[start] = {mapping, mappingBytes, bytes};
  return start;
}

void release(void *ptr) {
  auto it = allocations.find(static_cast<char *>(ptr));
  if (it == allocations.end())
    fatal("mgpuMemFree of a pointer mgpuMemAlloc did not return");
  munmap(it->second.mapping, it->second.mappingBytes);
  allocations.erase(it);
}

//===----------------------------------------------------------------------===//
// Threads and warps
//===----------------------------------------------------------------------===//

const char *waitName(Wait w) {
  switch (w) {
  case Wait::None:
    return "running";
  case Wait::Shuffle:
    return "shfl.sync";
  case Wait::Mma:
    return "mma.sync";
  case Wait::MmaSp:
    return "mma.sp.sync";
  case Wait::LdMatrix:
    return "ldmatrix";
  case Wait::Wgmma:
    return "wgmma.mma_async";
  case Wait::Barrier:
    return "bar.sync";
  }
  return "?";
}


Thread &self() {
  if (!launch || !launch->current)
    fatal("a GPU thread intrinsic was called outside a kernel launch");
  return *launch->current;
}

/// Hands control back to the scheduler until the collective `w` is done.
void block(Wait w) {
  Thread &t = self();
  t.wait = w;
  swapcontext(&t.context, &launch->scheduler);
}

void threadEntry() {
  launch->entry(launch->params);
  Thread &t = self();
  t.done = true;
  swapcontext(&t.context, &launch->scheduler);
}

/// Runs one block: every thread until it exits or waits on a collective,
/// then the collectives that all their threads have reached, until all
/// threads have exited.
void runBlock(unsigned count) {
  std::vector<Thread> &threads = launch->threads;
  for (unsigned i = 0; i < count; ++i) {
    Thread &t = threads[i];
    t.done = false;
    t.wait = Wait::None;
    t.openGroup.clear();
    t.committed.clear();
    t.tid[0] = i % launch->block[0];
    t.tid[1] = (i / launch->block[0]) % launch->block[1];
    t.tid[2] = i / (launch->block[0] * launch->block[1]);
    if (!t.stack)
      t.stack.reset(new char[kStackBytes]);
    getcontext(&t.context);
    t.context.uc_stack.ss_sp = t.stack.get();
    t.context.uc_stack.ss_size = kStackBytes;
    t.context.uc_link = nullptr;
    makecontext(&t.context, threadEntry, 0);
  }
  launch->unpublished.clear();
  launch->unfenced.clear();
  launch->wgmmaReads.assign((count + 127) / 128, Launch::WgmmaReads());
  unsigned warps = (count + 31) / 32;
  // Between collectives the threads run one after another: in ascending
  // order in even blocks and descending in odd ones, so that a race between
  // warps (a read of shared memory before another warp's write, or a write
  // before another warp's read, that a barrier should order) shows in one
  // order or the other.
  unsigned linearBlock =
      launch->ctaid[0] +
      launch->grid[0] * (launch->ctaid[1] + launch->grid[1] * launch->ctaid[2]);
  bool descending = linearBlock % 2 == 1;
  for (;;) {
    for (unsigned j = 0; j < count; ++j) {
      Thread &t = threads[descending ? count - 1 - j : j];
      if (t.done || t.wait != Wait::None)
        continue;
      launch->current = &t;
      swapcontext(&launch->scheduler, &t.context);
      launch->current = nullptr;
    }
    unsigned exited = 0, atBarrier = 0;
    for (unsigned i = 0; i < count; ++i) {
      exited += threads[i].done;
      atBarrier += threads[i].wait == Wait::Barrier;
    }
    if (exited == count)
      return;
    bool progress = false;
    if (atBarrier && atBarrier + exited == count) {
      for (unsigned i = 0; i < count; ++i)
        threads[i].wait = Wait::None;
      launch->unpublished.clear();
      continue;
    }
    for (unsigned w = 0; w < warps; ++w) {
      Thread *lanes = &threads[32 * w];
      unsigned n = std::min(32u, count - 32 * w);
      Wait kind = lanes[0].wait;
      if (kind == Wait::None || kind == Wait::Barrier)
        continue;
      bool all = n == 32;
      for (unsigned l = 0; l < n; ++l)
        all = all && lanes[l].wait == kind;
      if (!all) {
        std::map<std::string, unsigned> counts;
        for (unsigned l = 0; l < n; ++l)
          ++counts[lanes[l].done ? "exited" : waitName(lanes[l].wait)];
        std::string states;
        for (auto &[state, lanesIn] : counts)
          states += (states.empty() ? " " : ", ") + std::to_string(lanesIn) +
                    " " + state;
        fatal("kernel " + kernelName() + ": warp " + std::to_string(w) +
              " of block (" + std::to_string(launch->ctaid[0]) + ", " +
              std::to_string(launch->ctaid[1]) + ", " +
              std::to_string(launch->ctaid[2]) +
              ") diverged at a warp-collective operation (lanes:" +
              states + ")");
      }
      if (kind == Wait::Wgmma) {
        // A warpgroup collective: once all four warps have reached it.
        unsigned group = w / 4;
        if (128 * (group + 1) > count)
          fatal("kernel " + kernelName() +
                ": wgmma.mma_async in a block of " + std::to_string(count) +
                " threads (it needs whole warpgroups of 128)");
        bool ready = true;
        for (unsigned i = 0; i < 128; ++i)
          ready = ready && threads[128 * group + i].wait == Wait::Wgmma;
        if (!ready)
          continue;
        doWgmma(&threads[128 * group], group);
        for (unsigned i = 0; i < 128; ++i)
          threads[128 * group + i].wait = Wait::None;
        progress = true;
        continue;
      }
      if (kind == Wait::Shuffle)
        doShuffle(lanes);
      else if (kind == Wait::Mma)
        doMma(lanes);
      else if (kind == Wait::LdMatrix)
        doLdMatrix(lanes);
      else
        doMmaSp(lanes);
      for (unsigned l = 0; l < 32; ++l)
        lanes[l].wait = Wait::None;
      progress = true;
    }
    if (!progress)
      fatal("kernel " + kernelName() +
            ": deadlock (some threads wait at bar.sync while others wait "
            "at a warp collective, or a warpgroup's warps did not all reach "
            "its wgmma.mma_async)");
  }
}

/// An access of `bytes` at p whose address is not a multiple of `align`.
/// The emulator starts a buffer at the largest power of two dividing its
/// size (so that its end meets the guard page); cudaMalloc starts it at 256
/// bytes. So what counts is the offset into the buffer: only an access
/// misaligned there would fault on a GPU.
void reportMisaligned(char *p, int64_t align, int64_t bytes,
                      const char *what) {
  auto it = allocations.upper_bound(p);
  if (it != allocations.begin()) {
    --it;
    size_t offset = static_cast<size_t>(p - it->first);
    if (offset < it->second.bytes) {
      if (offset % static_cast<size_t>(std::min<int64_t>(align, kAlign)) == 0)
        return;
      fatal("kernel " + kernelName() + ": misaligned " +
            std::to_string(bytes) + "-byte " + what + " at byte " +
            std::to_string(offset) + " of a " +
            std::to_string(it->second.bytes) +
            "-byte device buffer (it declares " + std::to_string(align) +
            "-byte alignment; a GPU faults)");
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", static_cast<void *>(p));
  fatal("kernel " + kernelName() + ": misaligned " + std::to_string(bytes) +
        "-byte " + what + " at " + buf + " (it declares " +
        std::to_string(align) + "-byte alignment; a GPU faults)");
}

} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// Called by the code qsl-gpu-emulate generates
//===----------------------------------------------------------------------===//

/// Special registers: 0-2 tid.xyz, 3-5 ntid.xyz, 6-8 ctaid.xyz,
/// 9-11 nctaid.xyz, 12 laneid, 13 warpsize.
int32_t qsl_emu_sreg(int32_t which) {
  Thread &t = self();
  unsigned linear = t.tid[0] + launch->block[0] *
                                   (t.tid[1] + launch->block[1] * t.tid[2]);
  switch (which) {
  case 0:
  case 1:
  case 2:
    return static_cast<int32_t>(t.tid[which]);
  case 3:
  case 4:
  case 5:
    return static_cast<int32_t>(launch->block[which - 3]);
  case 6:
  case 7:
  case 8:
    return static_cast<int32_t>(launch->ctaid[which - 6]);
  case 9:
  case 10:
  case 11:
    return static_cast<int32_t>(launch->grid[which - 9]);
  case 12:
    return static_cast<int32_t>(linear % 32);
  case 13:
    return 32;
  }
  fatal("unknown special register " + std::to_string(which));
}

/// shfl.sync: mode 0 bfly, 1 up, 2 down, 3 idx. Returns the value in the
/// low 32 bits and the predicate in bit 32.
int64_t qsl_emu_shfl(int32_t mode, int32_t mask, int32_t value, int32_t b,
                     int32_t c) {
  Thread &t = self();
  t.shflMode = static_cast<uint32_t>(mode);
  t.shflMask = static_cast<uint32_t>(mask);
  t.shflValue = static_cast<uint32_t>(value);
  t.shflB = static_cast<uint32_t>(b);
  t.shflC = static_cast<uint32_t>(c);
  block(Wait::Shuffle);
  return static_cast<int64_t>(self().shflResult);
}

void qsl_emu_mma_m16n8k16_f16_f32(float *d, int32_t a0, int32_t a1,
                                  int32_t a2, int32_t a3, int32_t b0,
                                  int32_t b1, float c0, float c1, float c2,
                                  float c3) {
  Thread &t = self();
  uint32_t a[4] = {uint32_t(a0), uint32_t(a1), uint32_t(a2), uint32_t(a3)};
  std::memcpy(t.a, a, sizeof(a));
  t.b[0] = uint32_t(b0);
  t.b[1] = uint32_t(b1);
  float c[4] = {c0, c1, c2, c3};
  std::memcpy(t.c, c, sizeof(c));
  t.d = d;
  block(Wait::Mma);
}

void qsl_emu_mma_sp_m16n8k32_f16_f32(float *d, int32_t selector, int32_t a0,
                                     int32_t a1, int32_t a2, int32_t a3,
                                     int32_t b0, int32_t b1, int32_t b2,
                                     int32_t b3, float c0, float c1, float c2,
                                     float c3, int32_t meta) {
  Thread &t = self();
  uint32_t a[4] = {uint32_t(a0), uint32_t(a1), uint32_t(a2), uint32_t(a3)};
  uint32_t b[4] = {uint32_t(b0), uint32_t(b1), uint32_t(b2), uint32_t(b3)};
  std::memcpy(t.a, a, sizeof(a));
  std::memcpy(t.b, b, sizeof(b));
  float c[4] = {c0, c1, c2, c3};
  std::memcpy(t.c, c, sizeof(c));
  t.meta = uint32_t(meta);
  t.selector = uint32_t(selector);
  t.d = d;
  block(Wait::MmaSp);
}

/// A load or store whose address is not a multiple of its alignment
/// (tested inline by qsl-gpu-emulate); see reportMisaligned.
void qsl_emu_misaligned(void *addr, int64_t align, int64_t bytes,
                        int32_t isStore) {
  reportMisaligned(static_cast<char *>(addr), align, bytes,
                   isStore ? "store" : "load");
}

void qsl_emu_barrier(void) { block(Wait::Barrier); }

/// A load of `bytes` from shared memory at `addr` (see checkPublished).
void qsl_emu_shared_read(void *addr, int64_t bytes) {
  checkPublished(self(), static_cast<const char *>(addr), size_t(bytes),
                 "a load");
}

/// ldmatrix.sync.aligned.m8n8.x<num>[.trans].shared.b16: `rowAddr` is this
/// lane's row; register i goes to out[i].
void qsl_emu_ldmatrix(int32_t *out, void *rowAddr, int32_t num,
                      int32_t trans) {
  Thread &t = self();
  t.rowAddr = static_cast<const char *>(rowAddr);
  t.ldmNum = uint32_t(num);
  t.ldmTrans = uint32_t(trans);
  t.ldmOut = reinterpret_cast<uint32_t *>(out);
  block(Wait::LdMatrix);
}

/// The shared-space address of `addr` (a wgmma descriptor's start).
int64_t qsl_emu_shared_address(void *addr) {
  return int64_t(sharedAddress(static_cast<const char *>(addr)));
}

/// A thread's arrival at a wgmma (sparse: .sp with `meta`).
static void wgmmaArrive(float *acc, int32_t n, const int32_t (&a)[4],
                        int64_t desc, int32_t scaleD, bool sparse,
                        int32_t meta) {
  Thread &t = self();
  for (int i = 0; i < 4; ++i)
    t.a[i] = uint32_t(a[i]);
  t.wgN = uint32_t(n);
  t.wgDesc = uint64_t(desc);
  t.wgScale = uint32_t(scaleD);
  t.wgAcc = acc;
  t.wgSparse = sparse;
  t.meta = uint32_t(meta);
  block(Wait::Wgmma);
}

/// wgmma.mma_async.sync.aligned.m64n<n>k16.f32.f16.f16 with A in
/// registers: acc holds this thread's n / 2 accumulators, in and out.
void qsl_emu_wgmma_m64nNk16_f16_f32(float *acc, int32_t n, int32_t a0,
                                    int32_t a1, int32_t a2, int32_t a3,
                                    int64_t desc, int32_t scaleD) {
  wgmmaArrive(acc, n, {a0, a1, a2, a3}, desc, scaleD, false, 0);
}

/// wgmma.mma_async.sp.sync.aligned.m64n<n>k32.f32.f16.f16 with A (the kept
/// values) in registers, `meta` the metadata register, sparsity selector 0.
void qsl_emu_wgmma_sp_m64nNk32_f16_f32(float *acc, int32_t n, int32_t a0,
                                       int32_t a1, int32_t a2, int32_t a3,
                                       int64_t desc, int32_t meta,
                                       int32_t scaleD) {
  wgmmaArrive(acc, n, {a0, a1, a2, a3}, desc, scaleD, true, meta);
}

/// Index of the calling thread's warpgroup, when it is the warpgroup's
/// first thread (which keeps the group's record), else -1.
static int warpgroupLeader() {
  unsigned i = unsigned(&self() - launch->threads.data());
  return i % 128 == 0 ? int(i / 128) : -1;
}

/// wgmma.commit_group: the warpgroup's wgmma since the last one form a
/// group.
void qsl_emu_wgmma_commit(void) {
  int g = warpgroupLeader();
  if (g < 0)
    return;
  Launch::WgmmaReads &r = launch->wgmmaReads[size_t(g)];
  r.committed.push_back(std::move(r.open));
  r.open.clear();
}

/// wgmma.wait_group n: all but the n most recent groups are complete (the
/// emulator computed them at issue; what ends is their reading of shared
/// memory, which a cp.async must not overwrite before).
void qsl_emu_wgmma_wait(int32_t n) {
  int g = warpgroupLeader();
  if (g < 0)
    return;
  Launch::WgmmaReads &r = launch->wgmmaReads[size_t(g)];
  while (r.committed.size() > size_t(std::max(n, 0)))
    r.committed.pop_front();
}

/// fence.proxy.async.shared::cta: this thread's completed cp.async writes
/// become visible to the async proxy (wgmma's reads).
void qsl_emu_fence_proxy_async(void) {
  unsigned i = unsigned(&self() - launch->threads.data());
  for (auto it = launch->unfenced.begin(); it != launch->unfenced.end();)
    it = it->second == i ? launch->unfenced.erase(it) : std::next(it);
}

/// cp.async.{ca,cg}.shared.global [dst], [src], bytes, srcBytes: queued in
/// the thread's open group (see completeOldestGroup).
void qsl_emu_cp_async(void *dst, void *src, int32_t bytes, int32_t srcBytes) {
  Thread &t = self();
  if (bytes != 4 && bytes != 8 && bytes != 16)
    fatal("kernel " + kernelName() + ": cp.async of " +
          std::to_string(bytes) + " bytes (4, 8 or 16)");
  if (srcBytes < 0 || srcBytes > bytes)
    fatal("kernel " + kernelName() + ": cp.async source size " +
          std::to_string(srcBytes) + " outside [0, " + std::to_string(bytes) +
          "]");
  char *d = static_cast<char *>(dst);
  checkShared(d, size_t(bytes), size_t(bytes), "cp.async destination");
  // A GPU may write the destination any time from now on: not while a
  // wgmma that has not been waited for reads it.
  for (size_t g = 0; g < launch->wgmmaReads.size(); ++g) {
    const Launch::WgmmaReads &r = launch->wgmmaReads[g];
    auto overlaps = [&](const std::vector<std::pair<const char *, size_t>> &v) {
      for (auto &[p, n] : v)
        if (d < p + n && p < d + bytes)
          return true;
      return false;
    };
    bool inFlight = overlaps(r.open);
    for (const auto &group : r.committed)
      inFlight = inFlight || overlaps(group);
    if (inFlight)
      fatal("kernel " + kernelName() + ": cp.async of thread " +
            std::to_string(&t - launch->threads.data()) +
            " overwrites shared memory that a wgmma.mma_async of warpgroup " +
            std::to_string(g) +
            " still reads (no wgmma.wait_group has completed it)");
  }
  if (reinterpret_cast<uintptr_t>(src) % uintptr_t(bytes) != 0)
    reportMisaligned(static_cast<char *>(src), bytes, bytes,
                     "cp.async source");
  t.openGroup.push_back(
      {d, static_cast<const char *>(src), uint32_t(bytes), uint32_t(srcBytes)});
}

void qsl_emu_cp_async_commit(void) {
  Thread &t = self();
  t.committed.push_back(std::move(t.openGroup));
  t.openGroup.clear();
}

/// cp.async.wait_group n: every committed group but the n most recent is
/// complete.
void qsl_emu_cp_async_wait(int32_t n) {
  Thread &t = self();
  while (t.committed.size() > size_t(std::max(n, 0)))
    completeOldestGroup(t);
}

} // extern "C"

extern "C" {

/// Runs `entry(params)` for every thread of the grid; params is the CUDA
/// kernel-parameter array (a pointer to each argument). The kernel's
/// `sharedCount` shared-memory buffers (`shared[i]`, `sharedBytes[i]`
/// bytes) are filled with 0xFF before each block.
void qsl_emu_launch(void (*entry)(void **), void **params, const char *name,
                    int64_t gx, int64_t gy, int64_t gz, int64_t bx,
                    int64_t by, int64_t bz, int32_t smem, void * /*stream*/,
                    void **shared, const int64_t *sharedBytes,
                    int32_t sharedCount) {
  if (smem)
    fatal(std::string("kernel ") + name +
          ": dynamic shared memory is not emulated");
  int64_t threads = bx * by * bz;
  if (gx < 1 || gy < 1 || gz < 1 || bx < 1 || by < 1 || bz < 1 ||
      threads > 1024)
    fatal(std::string("kernel ") + name + ": invalid launch (grid " +
          std::to_string(gx) + "x" + std::to_string(gy) + "x" +
          std::to_string(gz) + ", block " + std::to_string(bx) + "x" +
          std::to_string(by) + "x" + std::to_string(bz) + ")");
  if (launch)
    fatal("nested kernel launch");
  Launch l;
  l.entry = entry;
  l.params = params;
  l.grid[0] = unsigned(gx), l.grid[1] = unsigned(gy), l.grid[2] = unsigned(gz);
  l.block[0] = unsigned(bx), l.block[1] = unsigned(by),
  l.block[2] = unsigned(bz);
  l.threads.resize(static_cast<size_t>(threads));
  for (int32_t i = 0; i < sharedCount; ++i)
    l.shared.emplace_back(static_cast<char *>(shared[i]),
                          static_cast<size_t>(sharedBytes[i]));
  launch = &l;
  currentKernel = name;
  for (unsigned z = 0; z < l.grid[2]; ++z)
    for (unsigned y = 0; y < l.grid[1]; ++y)
      for (unsigned x = 0; x < l.grid[0]; ++x) {
        l.ctaid[0] = x, l.ctaid[1] = y, l.ctaid[2] = z;
        // A block's shared memory starts undefined: NaN as floats.
        for (int32_t i = 0; i < sharedCount; ++i)
          std::memset(shared[i], 0xFF, static_cast<size_t>(sharedBytes[i]));
        runBlock(static_cast<unsigned>(threads));
      }
  launch = nullptr;
  currentKernel = nullptr;
}

//===----------------------------------------------------------------------===//
// MLIR's GPU runtime ABI over host memory, as qsl_emu_mgpu* (qsl-gpu-emulate
// renames the module's calls, so that libqsl_cuda_runtime's mgpu* in the
// same process cannot take them)
//===----------------------------------------------------------------------===//

void *qsl_emu_mgpuStreamCreate(void) {
  static int stream;
  return &stream;
}
void qsl_emu_mgpuStreamDestroy(void *) {}
void qsl_emu_mgpuStreamSynchronize(void *) {}

void *qsl_emu_mgpuMemAlloc(uint64_t sizeBytes, void *, bool) {
  return sizeBytes ? allocate(static_cast<size_t>(sizeBytes)) : nullptr;
}
void qsl_emu_mgpuMemFree(void *ptr, void *) {
  if (ptr)
    release(ptr);
}
void qsl_emu_mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *) {
  if (sizeBytes)
    std::memmove(dst, src, sizeBytes);
}
void qsl_emu_mgpuMemset32(void *dst, unsigned int value, size_t count, void *) {
  auto *p = static_cast<uint32_t *>(dst);
  for (size_t i = 0; i < count; ++i)
    p[i] = value;
}
void qsl_emu_mgpuSetDefaultDevice(int32_t) {}

//===----------------------------------------------------------------------===//
// libdevice functions that convert-gpu-to-nvvm calls for math ops
//===----------------------------------------------------------------------===//

#define QSL_EMU_UNARY(name, fn)                                                \
  float __nv_##name##f(float x) { return std::fn(x); }                        \
  double __nv_##name(double x) { return std::fn(x); }
QSL_EMU_UNARY(exp, exp)
QSL_EMU_UNARY(exp2, exp2)
QSL_EMU_UNARY(expm1, expm1)
QSL_EMU_UNARY(log, log)
QSL_EMU_UNARY(log2, log2)
QSL_EMU_UNARY(log1p, log1p)
QSL_EMU_UNARY(log10, log10)
QSL_EMU_UNARY(erf, erf)
QSL_EMU_UNARY(tanh, tanh)
QSL_EMU_UNARY(sqrt, sqrt)
QSL_EMU_UNARY(fabs, fabs)
QSL_EMU_UNARY(floor, floor)
QSL_EMU_UNARY(ceil, ceil)
QSL_EMU_UNARY(round, round)
QSL_EMU_UNARY(trunc, trunc)
QSL_EMU_UNARY(sin, sin)
QSL_EMU_UNARY(cos, cos)
QSL_EMU_UNARY(atan, atan)
#undef QSL_EMU_UNARY
float __nv_rsqrtf(float x) { return 1.0f / std::sqrt(x); }
double __nv_rsqrt(double x) { return 1.0 / std::sqrt(x); }
float __nv_powf(float x, float y) { return std::pow(x, y); }
double __nv_pow(double x, double y) { return std::pow(x, y); }
float __nv_atan2f(float x, float y) { return std::atan2(x, y); }
double __nv_atan2(double x, double y) { return std::atan2(x, y); }

} // extern "C"
