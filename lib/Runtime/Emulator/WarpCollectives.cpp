//===- WarpCollectives.cpp - The SIMT emulator's warp collectives ---------===//
//
// What the emulator performs once all 32 lanes of a warp reached a
// collective (EmulatorState.h), following the PTX ISA: shfl.sync,
// mma.sync m16n8k16 and mma.sp m16n8k32 (f16 operands, f32 accumulation),
// ldmatrix m8n8 (b16, x1/x2/x4, .trans); once all 128 threads of a
// warpgroup reached it, wgmma m64nNk16; and the checks on shared memory
// that ldmatrix, wgmma, loads and cp.async share.
//
//===----------------------------------------------------------------------===//
#include "EmulatorState.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace qsl_emu {
namespace {

float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

/// Element e (0: low 16 bits) of an f16x2 register.
float halfOf(uint32_t reg, unsigned e) {
  return halfToFloat(static_cast<uint16_t>(reg >> (16 * e)));
}

/// D = A * B + C for the warp: A 16 x kDense (given as its kept values and
/// the dense column of each), B kDense x 8, f32 accumulation.
void storeD(Thread *lanes, const float acc[16][8]) {
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned g = lane >> 2, t = lane & 3;
    for (unsigned i = 0; i < 4; ++i)
      lanes[lane].d[i] = acc[g + 8 * (i >> 1)][2 * t + (i & 1)];
  }
}

void loadC(Thread *lanes, float acc[16][8]) {
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned g = lane >> 2, t = lane & 3;
    for (unsigned i = 0; i < 4; ++i)
      acc[g + 8 * (i >> 1)][2 * t + (i & 1)] = lanes[lane].c[i];
  }
}

/// The 16 x 16 A fragment of m16n8k16 (also the compressed A of the sparse
/// m16n8k32): element i of lane (g, t) is row g + 8 * ((i / 2) % 2),
/// column 2t + i % 2 + 8 * (i / 4).
void loadA(Thread *lanes, float a[16][16]) {
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned g = lane >> 2, t = lane & 3;
    for (unsigned i = 0; i < 8; ++i)
      a[g + 8 * ((i >> 1) & 1)][2 * t + (i & 1) + 8 * (i >> 2)] =
          halfOf(lanes[lane].a[i >> 1], i & 1);
  }
}

/// B (k x 8, k = 8 * regs): element i of lane (g, t) is row
/// 2t + i % 2 + 8 * (i / 2), column g.
void loadB(Thread *lanes, unsigned regs, float b[32][8]) {
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned g = lane >> 2, t = lane & 3;
    for (unsigned i = 0; i < 2 * regs; ++i)
      b[2 * t + (i & 1) + 8 * (i >> 1)][g] =
          halfOf(lanes[lane].b[i >> 1], i & 1);
  }
}

} // namespace

void doShuffle(Thread *lanes) {
  uint32_t mode = lanes[0].shflMode, mask = lanes[0].shflMask;
  if (mask != 0xFFFFFFFFu)
    fatal("kernel " + kernelName() +
          ": shfl.sync with a member mask other than all 32 lanes");
  for (unsigned l = 0; l < 32; ++l)
    if (lanes[l].shflMode != mode || lanes[l].shflMask != mask)
      fatal("kernel " + kernelName() +
            ": the lanes of a warp reached different shfl.sync forms");
  for (unsigned lane = 0; lane < 32; ++lane) {
    Thread &t = lanes[lane];
    uint32_t bval = t.shflB & 0x1F, cval = t.shflC & 0x1F;
    uint32_t segmask = (t.shflC >> 8) & 0x1F;
    uint32_t maxLane = (lane & segmask) | (cval & ~segmask);
    uint32_t minLane = lane & segmask;
    int64_t j = lane;
    bool pval = false;
    switch (mode) {
    case 1: // up
      j = static_cast<int64_t>(lane) - bval;
      pval = j >= static_cast<int64_t>(maxLane);
      break;
    case 2: // down
      j = lane + bval;
      pval = j <= static_cast<int64_t>(maxLane);
      break;
    case 0: // bfly
      j = lane ^ bval;
      pval = j <= static_cast<int64_t>(maxLane);
      break;
    case 3: // idx
      j = minLane | (bval & ~segmask);
      pval = j <= static_cast<int64_t>(maxLane);
      break;
    default:
      fatal("unknown shfl.sync mode " + std::to_string(mode));
    }
    if (!pval)
      j = lane;
    t.shflResult = static_cast<uint64_t>(lanes[j].shflValue) |
                   (static_cast<uint64_t>(pval) << 32);
  }
}

void doMma(Thread *lanes) {
  float a[16][16], b[32][8], acc[16][8];
  loadA(lanes, a);
  loadB(lanes, 2, b);
  loadC(lanes, acc);
  for (unsigned r = 0; r < 16; ++r)
    for (unsigned n = 0; n < 8; ++n) {
      float s = acc[r][n];
      for (unsigned k = 0; k < 16; ++k)
        s += a[r][k] * b[k][n];
      acc[r][n] = s;
    }
  storeD(lanes, acc);
}

/// mma.sp m16n8k32 (f16): A is 16 rows of 16 kept values, two per run of 4
/// dense K; the position (0-3) of kept value c of row r is a 2-bit field
/// of the metadata register of lane 4 (r % 8) + 2 * selector + c / 8, at
/// bit 16 * (r / 8) + 2 * (c % 8).
void doMmaSp(Thread *lanes) {
  uint32_t selector = lanes[0].selector;
  if (selector > 1)
    fatal("kernel " + kernelName() +
          ": mma.sp m16n8k32 f16 takes sparsity selector 0 or 1");
  for (unsigned l = 0; l < 32; ++l)
    if (lanes[l].selector != selector)
      fatal("kernel " + kernelName() +
            ": the lanes of a warp gave different sparsity selectors");
  float a[16][16], b[32][8], acc[16][8];
  loadA(lanes, a);
  loadB(lanes, 4, b);
  loadC(lanes, acc);
  unsigned dense[16][16];
  for (unsigned r = 0; r < 16; ++r)
    for (unsigned c = 0; c < 16; ++c) {
      uint32_t word = lanes[4 * (r % 8) + 2 * selector + c / 8].meta;
      dense[r][c] = 4 * (c / 2) + ((word >> (16 * (r / 8) + 2 * (c % 8))) & 3);
    }
  for (unsigned r = 0; r < 16; ++r)
    for (unsigned c = 0; c < 16; c += 2)
      if (dense[r][c] >= dense[r][c + 1])
        fatal("kernel " + kernelName() + ": mma.sp metadata of row " +
              std::to_string(r) + " gives positions " +
              std::to_string(dense[r][c] % 4) + ", " +
              std::to_string(dense[r][c + 1] % 4) +
              " in one run of 4 (must ascend; other patterns are undefined)");
  for (unsigned r = 0; r < 16; ++r)
    for (unsigned n = 0; n < 8; ++n) {
      float s = acc[r][n];
      for (unsigned c = 0; c < 16; ++c)
        s += a[r][c] * b[dense[r][c]][n];
      acc[r][n] = s;
    }
  storeD(lanes, acc);
}

/// Stops unless [p, p + bytes) lies in one of the kernel's shared-memory
/// buffers and p is a multiple of `align` (a shared address; the emulator
/// places the buffers at their declared alignment).
void checkShared(const char *p, size_t bytes, size_t align, const char *what) {
  char where[32];
  std::snprintf(where, sizeof(where), "%p", static_cast<const void *>(p));
  bool inside = false;
  for (auto &[start, size] : launch->shared)
    inside = inside || (p >= start && p + bytes <= start + size);
  if (!inside)
    fatal("kernel " + kernelName() + ": " + what + " of " +
          std::to_string(bytes) + " bytes at " + where +
          " outside the kernel's shared memory");
  if (reinterpret_cast<uintptr_t>(p) % align != 0)
    fatal("kernel " + kernelName() + ": misaligned " + what + " at " + where +
          " (it needs " + std::to_string(align) +
          "-byte alignment; a GPU faults)");
}

/// Stops when [p, p + bytes), read by thread `reader`, holds a 16-byte
/// granule another thread's cp.async completed since the block last met at
/// a barrier.
void checkPublished(const Thread &reader, const char *p, size_t bytes,
                    const std::string &what) {
  if (launch->unpublished.empty() || !bytes)
    return;
  unsigned self = unsigned(&reader - launch->threads.data());
  uintptr_t first = reinterpret_cast<uintptr_t>(p) / 16;
  uintptr_t last = (reinterpret_cast<uintptr_t>(p) + bytes - 1) / 16;
  for (uintptr_t g = first; g <= last; ++g) {
    auto it = launch->unpublished.find(g);
    if (it != launch->unpublished.end() && it->second != self)
      fatal("kernel " + kernelName() + ": " + what + " (thread " +
            std::to_string(self) + ") reads shared memory that thread " +
            std::to_string(it->second) +
            "'s cp.async wrote with no barrier between its wait_group and "
            "this read");
  }
}

/// ldmatrix m8n8 b16: matrix i's row r starts at lane 8i + r's address;
/// without .trans lane l receives row l / 4, elements 2 (l % 4) and
/// 2 (l % 4) + 1 of every matrix, with .trans column l / 4, rows 2 (l % 4)
/// and 2 (l % 4) + 1.
void doLdMatrix(Thread *lanes) {
  uint32_t num = lanes[0].ldmNum, trans = lanes[0].ldmTrans;
  for (unsigned l = 0; l < 32; ++l)
    if (lanes[l].ldmNum != num || lanes[l].ldmTrans != trans)
      fatal("kernel " + kernelName() +
            ": the lanes of a warp reached different ldmatrix forms");
  if (num != 1 && num != 2 && num != 4)
    fatal("kernel " + kernelName() + ": ldmatrix of " + std::to_string(num) +
          " matrices");
  for (unsigned l = 0; l < 8 * num; ++l) {
    checkShared(lanes[l].rowAddr, 16, 16, "ldmatrix row");
    checkPublished(lanes[l], lanes[l].rowAddr, 16,
                   "ldmatrix of lane " + std::to_string(l));
  }
  auto half = [&](unsigned row, unsigned col) {
    uint16_t h;
    std::memcpy(&h, lanes[row].rowAddr + 2 * col, 2);
    return uint32_t(h);
  };
  for (unsigned l = 0; l < 32; ++l)
    for (unsigned i = 0; i < num; ++i) {
      unsigned a = l / 4, b = 2 * (l % 4);
      lanes[l].ldmOut[i] =
          trans ? half(8 * i + b, a) | half(8 * i + b + 1, a) << 16
                : half(8 * i + a, b) | half(8 * i + a, b + 1) << 16;
    }
}

namespace {
/// Where buffer i starts in the shared space: one after another, each at a
/// multiple of 1024 bytes.
uint64_t sharedBase(size_t i) {
  uint64_t base = 0;
  for (size_t j = 0; j < i; ++j)
    base = (base + launch->shared[j].second + 1023) / 1024 * 1024;
  return base;
}
} // namespace

uint64_t sharedAddress(const char *p) {
  for (size_t i = 0; i < launch->shared.size(); ++i) {
    auto [start, size] = launch->shared[i];
    if (p >= start && p <= start + size)
      return sharedBase(i) + uint64_t(p - start);
  }
  char where[32];
  std::snprintf(where, sizeof(where), "%p", static_cast<const void *>(p));
  fatal("kernel " + kernelName() + ": the shared-space address of " + where +
        ", outside the kernel's shared memory");
}

const char *sharedHost(uint64_t address, size_t bytes, const char *what) {
  for (size_t i = 0; i < launch->shared.size(); ++i) {
    auto [start, size] = launch->shared[i];
    uint64_t base = sharedBase(i);
    if (address >= base && address + bytes <= base + size)
      return start + (address - base);
  }
  fatal("kernel " + kernelName() + ": " + what + " reads " +
        std::to_string(bytes) + " bytes at shared address " +
        std::to_string(address) + ", outside the kernel's shared memory");
}

/// wgmma m64nNk16 f16 -> f32, A from registers: warp w's lane 4g + t holds
/// rows 16w + g (+ 8) of A in mma.sync's m16n8k16 A layout and, for every
/// j < N / 8, D rows 16w + g (+ 8), columns 8j + 2t (+ 1) as accumulators
/// 4j .. 4j + 3 (PTX ISA, wgmma .m64nNk16 register fragments; CUTLASS's
/// ALayout_64x16 and CLayout_64xN say the same). B (16 x N, K-major, no
/// swizzle) is read through the descriptor: element (k, n) at start +
/// (n / 8) SBO + (n % 8) 16 + (k / 8) LBO + (k % 8) 2 bytes, the fields in
/// 16-byte units at bits 0-13 (start), 16-29 (LBO), 32-45 (SBO).
/// The 2:4 form (.sp, k32): A's registers hold each row's 16 kept values in
/// the same layout, placed by the metadata as mma.sp m16n8k32 places them
/// per warp (sparsity selector 0: CUTLASS's ELayout_64x32 says the same);
/// B has 32 rows, four K core matrices LBO apart.
void doWgmma(Thread *threads, unsigned group) {
  const Thread &first = threads[0];
  for (unsigned i = 0; i < 128; ++i)
    if (threads[i].wgN != first.wgN || threads[i].wgDesc != first.wgDesc ||
        threads[i].wgScale != first.wgScale ||
        threads[i].wgSparse != first.wgSparse)
      fatal("kernel " + kernelName() + ": the threads of warpgroup " +
            std::to_string(group) +
            " reached wgmma.mma_async with different shapes, descriptors "
            "or scale-d");
  const unsigned n = first.wgN;
  const uint64_t desc = first.wgDesc;
  if (n < 8 || n > 256 || n % 8)
    fatal("kernel " + kernelName() + ": wgmma m64n" + std::to_string(n) +
          "k16");
  if ((desc >> 62) != 0 || ((desc >> 49) & 7) != 0)
    fatal("kernel " + kernelName() +
          ": only the no-swizzle wgmma descriptor (base offset 0) is "
          "emulated");
  const uint64_t start = (desc & 0x3FFF) << 4;
  const uint64_t lbo = ((desc >> 16) & 0x3FFF) << 4;
  const uint64_t sbo = ((desc >> 32) & 0x3FFF) << 4;
  const unsigned kDense = first.wgSparse ? 32 : 16;
  // B, one 16-byte core-matrix row (8 K of one column) at a time; each
  // core matrix (128 bytes) read is remembered until the wgmma.wait_group
  // that completes it.
  std::vector<float> b(kDense * n);
  Launch::WgmmaReads &reads = launch->wgmmaReads[group];
  for (unsigned cg = 0; cg < n / 8; ++cg)
    for (unsigned kh = 0; kh < kDense / 8; ++kh) {
      uint64_t core = start + cg * sbo + kh * lbo;
      const char *p = sharedHost(core, 128, "wgmma.mma_async's B");
      if (reinterpret_cast<uintptr_t>(p) % 16)
        fatal("kernel " + kernelName() +
              ": misaligned wgmma core matrix (16 bytes needed)");
      for (unsigned g = 0; g < 8; ++g) {
        uintptr_t granule = reinterpret_cast<uintptr_t>(p) / 16 + g;
        auto pub = launch->unpublished.find(granule);
        if (pub != launch->unpublished.end())
          fatal("kernel " + kernelName() + ": wgmma.mma_async of warpgroup " +
                std::to_string(group) + " reads shared memory that thread " +
                std::to_string(pub->second) +
                "'s cp.async wrote with no barrier between its wait_group "
                "and this read");
        auto fen = launch->unfenced.find(granule);
        if (fen != launch->unfenced.end())
          fatal("kernel " + kernelName() + ": wgmma.mma_async of warpgroup " +
                std::to_string(group) + " reads shared memory that thread " +
                std::to_string(fen->second) +
                "'s cp.async wrote, which it did not fence into the async "
                "proxy (fence.proxy.async) before");
        for (unsigned k = 0; k < 8; ++k) {
          uint16_t h;
          std::memcpy(&h, p + 16 * g + 2 * k, 2);
          b[(8 * kh + k) * n + 8 * cg + g] = halfToFloat(h);
        }
      }
      reads.open.emplace_back(p, 128);
    }
  for (unsigned w = 0; w < 4; ++w) {
    Thread *lanes = threads + 32 * w;
    float a[16][16];
    loadA(lanes, a);
    // The dense K of each A value: itself, or (sparse) its metadata place.
    unsigned dense[16][16];
    for (unsigned r = 0; r < 16; ++r)
      for (unsigned c = 0; c < 16; ++c) {
        if (!first.wgSparse) {
          dense[r][c] = c;
          continue;
        }
        uint32_t word = lanes[4 * (r % 8) + c / 8].meta;
        dense[r][c] =
            4 * (c / 2) + ((word >> (16 * (r / 8) + 2 * (c % 8))) & 3);
        if (c % 2 && dense[r][c - 1] >= dense[r][c])
          fatal("kernel " + kernelName() + ": wgmma.mma_async.sp metadata "
                "of warp " + std::to_string(w) + ", row " +
                std::to_string(r) + " gives positions " +
                std::to_string(dense[r][c - 1] % 4) + ", " +
                std::to_string(dense[r][c] % 4) +
                " in one run of 4 (must ascend; other patterns are undefined)");
      }
    for (unsigned l = 0; l < 32; ++l) {
      unsigned g = l / 4, t = l % 4;
      for (unsigned j = 0; j < n / 8; ++j)
        for (unsigned i = 0; i < 4; ++i) {
          unsigned row = g + 8 * (i / 2), col = 8 * j + 2 * t + i % 2;
          float s = first.wgScale ? lanes[l].wgAcc[4 * j + i] : 0.0f;
          for (unsigned k = 0; k < 16; ++k)
            s += a[row][k] * b[dense[row][k] * n + col];
          lanes[l].wgAcc[4 * j + i] = s;
        }
    }
  }
}

/// Performs the oldest committed cp.async group of `t`: srcBytes bytes
/// copied, the rest of each copy zero-filled.
void completeOldestGroup(Thread &t) {
  unsigned owner = unsigned(&t - launch->threads.data());
  for (const Thread::Copy &c : t.committed.front()) {
    std::memcpy(c.dst, c.src, c.srcBytes);
    std::memset(c.dst + c.srcBytes, 0, c.bytes - c.srcBytes);
    launch->unpublished[reinterpret_cast<uintptr_t>(c.dst) / 16] = owner;
    launch->unfenced[reinterpret_cast<uintptr_t>(c.dst) / 16] = owner;
  }
  t.committed.pop_front();
}

} // namespace qsl_emu
