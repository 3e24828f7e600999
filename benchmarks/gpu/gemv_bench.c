/* Times one qsl-lower-to-gpu GEMV kernel on a GPU machine without LLVM/MLIR.
 *
 *   gemv_bench KERNEL.cubin NAME N K BITS GROUP WARPS REPS
 *
 * The kernel comes from qsl-gpu-pipeline{format=bin device-weights=false}
 * on an asymmetric BITS-bit [N, K] weight (transpose_w) with GROUP-wide
 * scale groups along K and one f32 activation row, so it takes x [1, K],
 * codes [N, W], scales [N, G], zeros [N, G], y [1, N] as memref
 * descriptors (7 kernel parameters each). This driver fills them with
 * random codes, scales and zero points in the word layout of
 * Compress/GpuLayout.h, launches REPS times back to back on one stream,
 * and reports the mean time per launch, the bytes the kernel must read
 * (codes + scales + zeros + x, plus y written) per second, and that rate as
 * a fraction of the device-to-device copy bandwidth measured here (cuMemcpy
 * of 1 GiB). It also checks 64 sampled outputs against a CPU evaluation of
 * the same dequantized GEMV (relative error), so a wrong kernel cannot
 * report a speed. Links only libqsl_cuda_runtime.so.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libqsl_cuda_runtime.so */
int qslCudaInit(void);
const char *qslCudaLastError(void);
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra, size_t n);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, _Bool hostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int failed(const char *what) {
  const char *e = qslCudaLastError();
  if (e && *e) {
    fprintf(stderr, "gemv_bench: %s: %s\n", what, e);
    return 1;
  }
  return 0;
}

/* A 2-D memref descriptor as the kernel's 7 scalar parameters. */
typedef struct {
  void *allocated, *aligned;
  int64_t offset, size0, size1, stride0, stride1;
} Desc2D;

static Desc2D desc(void *p, int64_t rows, int64_t cols) {
  Desc2D d = {p, p, 0, rows, cols, cols, 1};
  return d;
}

static void push(void **params, int *n, Desc2D *d) {
  params[(*n)++] = &d->allocated;
  params[(*n)++] = &d->aligned;
  params[(*n)++] = &d->offset;
  params[(*n)++] = &d->size0;
  params[(*n)++] = &d->size1;
  params[(*n)++] = &d->stride0;
  params[(*n)++] = &d->stride1;
}

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)(state >> 11);
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s KERNEL.cubin NAME N K BITS GROUP WARPS REPS\n",
            argv[0]);
    return 2;
  }
  const char *path = argv[1], *name = argv[2];
  int64_t n = atoll(argv[3]), k = atoll(argv[4]);
  int bits = atoi(argv[5]);
  int64_t group = atoll(argv[6]), warps = atoll(argv[7]);
  int reps = atoi(argv[8]);
  int64_t perWord = 32 / bits, w = (k + perWord - 1) / perWord, g = k / group;

  if (qslCudaInit() != 0)
    return failed("no GPU"), 1;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "gemv_bench: cannot open %s\n", path);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *blob = malloc(size);
  if (fread(blob, 1, size, f) != (size_t)size)
    return fprintf(stderr, "gemv_bench: short read\n"), 1;
  fclose(f);
  void *module = mgpuModuleLoad(blob, size);
  void *fn = module ? mgpuModuleGetFunction(module, name) : NULL;
  if (!fn || failed("loading the kernel"))
    return 1;

  /* Host data: codes in the [N, W] word layout, scales, zero points. */
  uint32_t mask = (1u << bits) - 1u;
  uint32_t *codes = calloc(n * w, 4);
  float *scales = malloc(n * g * 4), *zeros = malloc(n * g * 4);
  float *x = malloc(k * 4), *y = malloc(n * 4);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      codes[r * w + c / perWord] |= (rnd() & mask) << ((c % perWord) * bits);
  for (int64_t i = 0; i < n * g; ++i) {
    scales[i] = 0.001f + 0.01f * (rnd() % 1000) / 1000.0f;
    zeros[i] = (float)(rnd() & mask);
  }
  for (int64_t i = 0; i < k; ++i)
    x[i] = ((int)(rnd() % 2001) - 1000) / 1000.0f;

  void *dx = mgpuMemAlloc(k * 4, NULL, 0), *dc = mgpuMemAlloc(n * w * 4, NULL, 0);
  void *ds = mgpuMemAlloc(n * g * 4, NULL, 0), *dz = mgpuMemAlloc(n * g * 4, NULL, 0);
  void *dy = mgpuMemAlloc(n * 4, NULL, 0);
  mgpuMemcpy(dx, x, k * 4, NULL);
  mgpuMemcpy(dc, codes, n * w * 4, NULL);
  mgpuMemcpy(ds, scales, n * g * 4, NULL);
  mgpuMemcpy(dz, zeros, n * g * 4, NULL);
  if (failed("uploading"))
    return 1;

  Desc2D mx = desc(dx, 1, k), mc = desc(dc, n, w), ms = desc(ds, n, g),
         mz = desc(dz, n, g), my = desc(dy, 1, n);
  void *params[35];
  int np = 0;
  push(params, &np, &mx);
  push(params, &np, &mc);
  push(params, &np, &ms);
  push(params, &np, &mz);
  push(params, &np, &my);
  void *stream = mgpuStreamCreate();
  int64_t grid = (n + warps - 1) / warps;
  /* Warm-up, then the timed launches. */
  mgpuLaunchKernel(fn, grid, 1, 1, 32 * warps, 1, 1, 0, stream, params, NULL, np);
  mgpuStreamSynchronize(stream);
  if (failed("launching"))
    return 1;
  double t0 = now();
  for (int i = 0; i < reps; ++i)
    mgpuLaunchKernel(fn, grid, 1, 1, 32 * warps, 1, 1, 0, stream, params, NULL,
                     np);
  mgpuStreamSynchronize(stream);
  double perLaunch = (now() - t0) / reps;
  if (failed("timed launches"))
    return 1;

  /* Sampled outputs against the CPU. */
  mgpuMemcpy(y, dy, n * 4, NULL);
  double worst = 0;
  for (int s = 0; s < 64; ++s) {
    int64_t r = (int64_t)(rnd() % (uint32_t)n);
    double acc = 0, mag = 0;
    for (int64_t c = 0; c < k; ++c) {
      uint32_t q = (codes[r * w + c / perWord] >> ((c % perWord) * bits)) & mask;
      int64_t gi = r * g + c / group;
      double wv = (double)scales[gi] * ((double)q - zeros[gi]);
      acc += wv * x[c];
      mag += fabs(wv * x[c]);
    }
    double err = fabs(y[r] - acc) / (mag > 0 ? mag : 1);
    if (err > worst)
      worst = err;
  }

  /* Device-to-device copy bandwidth: 1 GiB (read + write). */
  size_t big = (size_t)1 << 30;
  void *a = mgpuMemAlloc(big, NULL, 0), *b = mgpuMemAlloc(big, NULL, 0);
  mgpuMemcpy(b, a, big, NULL);
  double c0 = now();
  for (int i = 0; i < 5; ++i)
    mgpuMemcpy(b, a, big, NULL);
  double copy = 2.0 * big * 5 / (now() - c0);
  if (failed("copy bandwidth"))
    return 1;

  double bytes = 4.0 * (n * w + 2 * n * g + k + n);
  double rate = bytes / perLaunch;
  printf("gemv N=%lld K=%lld int%d g%lld: %.2f us/launch, %.1f GB/s, "
         "%.1f%% of device copy bandwidth (%.1f GB/s), sampled max rel. "
         "error %.2e\n",
         (long long)n, (long long)k, bits, (long long)group, perLaunch * 1e6,
         rate / 1e9, 100.0 * rate / copy, copy / 1e9, worst);
  return worst < 1e-4 ? 0 : 3;
}
