//===- GpuLayout.h - Weight layouts the GPU kernels read --------*- C++ -*-===//
//
// The GEMV kernels of qsl-lower-to-gpu read a quantized weight as
// [N, K] (one row per output column, K contiguous), each row padded to a
// whole number of 32-bit words so that every row starts word-aligned: code
// k of row n is bits [(k % c)*b, (k % c + 1)*b) of word n*W + k / c, with
// c = floor(32 / b) codes per word and W = ceil(K / c). Codes never straddle
// two words: for b that does not divide 32 (3, 5, 6, 7) the top 32 - c*b
// bits of every word are zero padding (3 bits: 10 codes in 30 bits, 3.2 bits
// per code in memory), so a lane decodes any code with one shift and mask.
// When b divides 32, a row is the little-endian bit stream of
// docs/formats/packing.md. Pure numerics: no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_GPULAYOUT_H
#define QSL_COMPRESS_GPULAYOUT_H

#include <cstdint>
#include <vector>

namespace qsl {
namespace compress {

/// Codes of `bits` bits (1 to 32) in one 32-bit word: floor(32 / bits).
int64_t gpuCodesPerWord(unsigned bits);

/// Words per row of K codes of `bits` bits.
int64_t gpuWordsPerRow(int64_t k, unsigned bits);

/// Packs a row-major code matrix into the word layout above. `codes` is
/// [K, N] when `transposed` is false (the qsl.matmul weight form) and [N, K]
/// when it is true (transpose_w); the result is always [N, W] words. Only
/// the low `bits` bits of each code are kept; padding bits are 0.
std::vector<uint32_t> packGpuCodeWords(const int64_t *codes, int64_t n,
                                       int64_t k, unsigned bits,
                                       bool transposed);

/// Code k of row r, read back from the word layout (sign-extended when
/// `isSigned`): the inverse of packGpuCodeWords.
int32_t readGpuCode(const std::vector<uint32_t> &words, int64_t k,
                    int64_t row, int64_t col, unsigned bits, bool isSigned);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_GPULAYOUT_H
