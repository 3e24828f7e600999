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

//===----------------------------------------------------------------------===//
// 2:4 weights for the sparse tensor cores (mma.sp m16n8k32, f16)
//===----------------------------------------------------------------------===//
//
// The sparse GEMM reads the weight as rows of kept entries ([N, K/2], K
// order, the two entries of each run of 4 with ascending positions): kept
// entry e of a row lies in run e / 2, dense K 4 (e / 2) + its position.
// Tables are padded to `nPad` rows and `steps` K steps of 32 (16 kept
// entries).

/// For N:M positions stored as [kept, n] (or [n, kept] when `transposed`),
/// the storage index of row r's kept entry e, in row order ([n, kept]),
/// with the entries of each run of `keep` ordered by ascending position.
/// Empty when a run repeats a position.
std::vector<int64_t> sparseRowOrder(const std::vector<int64_t> &positions,
                                    int64_t n, int64_t kept, int64_t keep,
                                    bool transposed);

/// The metadata registers of mma.sp m16n8k32 with sparsity selector 0, as
/// a [nPad / 16, steps, 16] table: entry [t, s, 2g + h] is the register of
/// lanes 4g + h: the 2-bit positions of kept entries 16s + 8h ... + 7 of
/// row 16t + g in bits 0-15 (entry i at bits 2i) and of row 16t + g + 8 in
/// bits 16-31. Runs past the weight (padding rows or K) get positions
/// (0, 1), a valid pattern. `positions` is [n, kept] in row order.
std::vector<uint32_t> packSparseMmaMeta(const std::vector<int64_t> &positions,
                                        int64_t n, int64_t kept,
                                        int64_t nPad, int64_t steps);

/// IEEE binary16 bits of `v`, rounded to nearest even.
uint16_t toHalfBits(float v);

//===----------------------------------------------------------------------===//
// Fragment-ordered code words for the packed tensor-core GEMM
//===----------------------------------------------------------------------===//
//
// The packed GEMM (mma.sync m16n8k16, docs/codegen/gpu.md) gives each warp
// 32 output columns (four n-tiles of 8) and walks K in chunks of S k-steps
// of 16 (S = mmaChunkSteps(bits)). Per k-step and n-tile t, lane l = 4 g + i
// holds the B fragment of column 8 t + g: K rows 2 i + {0, 1} (register
// r = 0) and 2 i + 8 + {0, 1} (r = 1), two codes per register. That code
// pair is pair p = (step * 4 + t) * 2 + r of the lane's chunk; a chunk's
// 8 S pairs fill exactly four 32-bit words, one 16-byte load per lane:
// pair p lies in word p / U at slot p % U (U = 2 S pairs per word), its
// even-row code at bits [slot b, slot b + b) and its odd-row code at
// [16 + slot b, 16 + slot b + b). So (word >> slot b) & (m | m << 16), with
// 0x64006400 or'ed in, is the f16 pair (1024 + q0, 1024 + q1) that the
// kernel turns into weights with two f16x2 operations.
// Table: [ceil(N / 32) tiles][chunks][32 lanes][4 words]; codes are stored
// unsigned, as (code + offset) & m; positions past N and K hold 0.

/// K steps of 16 per chunk for `bits`-bit codes (1 to 8): 4 up to 2 bits,
/// 2 up to 4 bits, else 1.
int64_t mmaChunkSteps(unsigned bits);

/// The extents of the fragment-ordered table of an [N, K] weight.
struct MmaFragmentShape {
  int64_t tiles;  // ceil(N / 32)
  int64_t chunks; // ceil(K / (16 * steps))
  int64_t steps;  // mmaChunkSteps(bits)
  int64_t words() const { return tiles * chunks * 32 * 4; }
};
MmaFragmentShape mmaFragmentShape(int64_t n, int64_t k, unsigned bits);

/// Packs codes ([K, N], or [N, K] when `transposed`) into the
/// fragment-ordered words above, each stored as (code + offset) & m.
std::vector<uint32_t> packMmaFragmentWords(const int64_t *codes, int64_t n,
                                           int64_t k, unsigned bits,
                                           bool transposed, int64_t offset);

/// The stored (unsigned, offset) code of weight row `kk`, column `col`:
/// the inverse of packMmaFragmentWords.
uint32_t readMmaFragmentCode(const std::vector<uint32_t> &words, int64_t n,
                             int64_t k, unsigned bits, int64_t col,
                             int64_t kk);

/// The same for the packed 2:4 GEMM (mma.sp m16n8k32, the weight as the
/// sparse operand A): a warp covers 16 weight rows and walks K in chunks of
/// C = 2 * mmaChunkSteps(bits) steps of 32 dense (16 kept) entries, or one
/// step for bits = 16 (f16 values: a word is one pair, bits 0-15 and
/// 16-31). Lane
/// l = 4 g + i holds, per step s of the chunk, A registers r = 0..3: row
/// g + 8 (r % 2), kept entries 16 s + 8 (r / 2) + 2 i + {0, 1}; that pair is
/// p = 4 s + r, in word p / C at slot p % C (halves 16 bits apart as above).
/// Table: [ceil(N / 16) tiles][chunks][32 lanes][4 words]; kept entries in
/// row order ([N, K / 2], each run's two entries by ascending position).
int64_t mmaSparseChunkSteps(unsigned bits);
struct MmaSparseShape {
  int64_t tiles;  // ceil(N / 16)
  int64_t chunks; // ceil(ceil(K / 32) / steps)
  int64_t steps;  // mmaSparseChunkSteps(bits)
  int64_t words() const { return tiles * chunks * 32 * 4; }
};
MmaSparseShape mmaSparseShape(int64_t n, int64_t k, unsigned bits);
/// Packs `kept` ([n, k / 2] codes in row order) as above, each stored as
/// (code + offset) & m; 0 past the weight.
std::vector<uint32_t> packMmaSparseWords(const std::vector<int64_t> &kept,
                                         int64_t n, int64_t k, unsigned bits,
                                         int64_t offset);
/// The stored code of kept entry `e` of row `row`: the inverse.
uint32_t readMmaSparseCode(const std::vector<uint32_t> &words, int64_t n,
                           int64_t k, unsigned bits, int64_t row, int64_t e);

/// The packed kernels' group tables, transposed to [gPad, nPad] so that a
/// warp's columns are contiguous; `scales` and `zeros` are [n, groups].
/// Asymmetric: word [g, c] holds half(scales[c, g]) in bits 0-15 and
/// half(1024 + zeros[c, g]) in bits 16-31 (0 past the tables).
std::vector<uint32_t> packScaleZeroWords(const std::vector<float> &scales,
                                         const std::vector<float> &zeros,
                                         int64_t n, int64_t groups,
                                         int64_t nPad, int64_t gPad);
/// Symmetric: the scales alone, [gPad, nPad] (as f32 values for an f16
/// table; 0 past the table).
std::vector<float> transposeGroupTable(const std::vector<float> &scales,
                                       int64_t n, int64_t groups,
                                       int64_t nPad, int64_t gPad);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_GPULAYOUT_H
