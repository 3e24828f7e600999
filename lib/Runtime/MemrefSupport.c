/* MLIR-free implementations of the runner-utils functions that code
 * compiled by QSL's CPU pipeline calls (memrefCopy for strided copies,
 * printMemrefF32 for tests), so that compiled models and programs run on a
 * machine without LLVM/MLIR: linked into qsl-run-aot (exported to the model
 * libraries it loads) and into the GPU device package's executables.
 * Memref descriptors: {allocated, aligned, offset, sizes[rank],
 * strides[rank]}. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  int64_t rank;
  void *descriptor;
} UnrankedMemRef;

typedef struct {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[];
} RankedMemRef;

static int64_t numElements(const RankedMemRef *d, int64_t rank) {
  int64_t n = 1;
  for (int64_t i = 0; i < rank; ++i)
    n *= d->sizesAndStrides[i];
  return n;
}

/* Linear element index -> element offset through the strides. */
static int64_t stridedOffset(const RankedMemRef *d, int64_t rank,
                             int64_t linear) {
  int64_t off = d->offset;
  for (int64_t i = rank - 1; i >= 0; --i) {
    int64_t size = d->sizesAndStrides[i];
    off += (linear % size) * d->sizesAndStrides[rank + i];
    linear /= size;
  }
  return off;
}

void printMemrefF32(int64_t rank, void *descriptor) {
  const RankedMemRef *d = (const RankedMemRef *)descriptor;
  printf("Unranked Memref rank = %lld sizes = [", (long long)rank);
  for (int64_t i = 0; i < rank; ++i)
    printf(i ? ", %lld" : "%lld", (long long)d->sizesAndStrides[i]);
  printf("] data = \n");
  int64_t n = numElements(d, rank);
  const float *base = (const float *)d->aligned;
  for (int64_t i = 0; i < n; ++i)
    printf("%.9g%s", base[stridedOffset(d, rank, i)],
           i + 1 == n ? "\n" : ", ");
}

void memrefCopy(int64_t elemSize, UnrankedMemRef *src, UnrankedMemRef *dst) {
  const RankedMemRef *s = (const RankedMemRef *)src->descriptor;
  const RankedMemRef *t = (const RankedMemRef *)dst->descriptor;
  int64_t rank = src->rank;
  int64_t n = numElements(s, rank);
  for (int64_t i = 0; i < n; ++i)
    memcpy(t->aligned + stridedOffset(t, rank, i) * elemSize,
           s->aligned + stridedOffset(s, rank, i) * elemSize, elemSize);
}
