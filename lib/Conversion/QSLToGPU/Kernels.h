//===- Kernels.h - Kernel text builders of qsl-lower-to-gpu -----*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. Each kernel family is MLIR text
// specialised to the shapes of one qsl.matmul and parsed by the pass, so that
// it reads like the kernel it is (docs/codegen/gpu.md). All families take
// the same operands: activations [M, K], the [N, W] i32 code words of
// Compress/GpuLayout.h, [N, G] f32 scales, [N, G] f32 zeros (asymmetric
// only) and the output [M, N].
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H
#define QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// A convolution seen as the GEMM the tensor-core kernels compute
/// (implicit GEMM): row m = (image, oh, ow) of the output, reduction index
/// k = (c, i, j) of the OIHW filter's matrix view [O, C*kh*kw]. The kernels
/// read x[image, c, oh*sh + i*dh - top, ow*sw + j*dw - left] (zero outside
/// the image) and store y[image, o, oh*OW + ow], so no patch matrix exists.
struct ConvGeometry {
  int64_t images, channels, height, width; // input NCHW
  int64_t kh, kw, outH, outW;
  int64_t strideH, strideW, dilH, dilW, padTop, padLeft;
  int64_t groups = 1; // channel groups (depthwise: groups = channels)
};

/// What one kernel is specialised to.
struct KernelShape {
  int64_t m, n, k;  // batch rows, output columns, reduction length
  int64_t groups;   // scale groups along K
  int64_t groupLen; // K elements per group
  unsigned bits;
  bool symmetric;
  /// Codebook entries per group (non-uniform quantization: the weight is
  /// codebook[n, g, q]); 0 for scale (and zero point) decoding.
  int64_t codebook = 0;
  Type inType, outType; // f32 or f16
  int64_t warps;        // warps per block
  /// Chunks of code words each warp of the packed kernels loads ahead of
  /// the one it decodes; 0 picks (packedGemmPlan).
  int64_t prefetch = 0;
  /// Shared-memory stages of the activation tile in the packed GEMMs (dense
  /// and 2:4) over several row blocks (the `mma-a-stages` option; 0: the
  /// activations from global memory). See stagePlan().
  int64_t aStages = 0;
  /// The packed dense GEMM may issue sm_90a's warpgroup MMA (wgmma) over
  /// several row blocks (the `wgmma` option; see WgmmaKernel.cpp).
  bool wgmma = false;
  /// Set for a convolution (implicit GEMM; tensor-core families only).
  const ConvGeometry *conv = nullptr;
  /// The weight is an [N, K] f16 table `%vals` read as it is, not code
  /// words (the tensor-core GEMM's factors of a low-rank weight).
  bool halfValues = false;
};

/// Replaces every `@@NAME@@` in `text` by its value.
std::string substitute(std::string text,
                       const std::map<std::string, std::string> &vars);

/// "f16" or "f32".
std::string typeName(Type t);

/// The placeholders every kernel text uses: NAME, M, N, K, G, WARPS,
/// THREADS, TI (activation type), TO (output type), W (code words per row
/// of K codes), XT and YT (the memref types of x and y: [M, K] and [M, N],
/// or for a convolution [images, C, H, W] and [images, N, OH*OW]); kernels
/// add their own.
std::map<std::string, std::string> shapeVars(llvm::StringRef name,
                                             const KernelShape &s);

/// `module { gpu.module @qsl_kernels { gpu.func @NAME(x, codes, scales,
/// [zeros,] y) kernel ... {` of the weight-only families (GEMV, GEMM), with
/// `%cb: memref<N x (G*E) x f32>` (the codebooks) in place of scales and
/// zeros for a codebook weight, or `%vals: memref<N x K x f16>` in place of
/// all the tables with halfValues; close it with kernelFooter().
std::string plainKernelHeader(const KernelShape &s);
std::string kernelFooter();

/// shapeVars plus the code-decoding placeholders GL, CPW, BITS, SHL, MASK,
/// E (codebook entries) and GE (groups * entries).
std::map<std::string, std::string> decodeVars(llvm::StringRef name,
                                              const KernelShape &s);
/// The constants the decoding texts use: %cCPW, %cGL, %cE, %cBITS, %cSHL,
/// %cMASK.
std::string decodeConstants();
/// Loads the scale (and zero point) of the group of K index `k` of output
/// column %n into %s (%z), or the codebook base %cbase; defines %g.
std::string groupLoadText(const KernelShape &s, const std::string &k);
/// Turns the code %q (i32) into the weight %wv (f32) with %s/%z or the
/// codebook.
std::string decodeText(const KernelShape &s);

/// Code words each GEMV lane loads before decoding any of them.
constexpr int64_t kGemvWordsInFlight = 4;
static_assert(kGemvWordsInFlight >= 2, "wordRounds picks a word by select");

/// A warp's walk over the `words` code words of row %n of `%codes` ([N, W]
/// i32, W = `words`), lane %lane taking words %lane, %lane + 32, ...: per
/// round it loads kGemvWordsInFlight of them (back to back, as SSA values
/// that stay in registers) and then runs `body` for each with %word and its
/// index %w
/// defined; rounds past W are guarded only when W is not a whole number of
/// rounds. Needs %c0, %c1, %c32, %cW, %n, %lane.
std::string wordRounds(int64_t words, const std::string &body);

/// The bandwidth-bound GEMV (batch 1-8): a warp per output column, lanes
/// striding over code words (kGemvWordsInFlight loads at a time), warp
/// shuffle reduction. Grid: ceil(N / warps) blocks of 32 * warps threads.
std::string buildGemvKernelText(llvm::StringRef name, const KernelShape &s);

/// Loads `memref[idx]` (of shape `shape`, elements f16 when `f16`) into the
/// f32 SSA value `dst` (an MLIR text line or two).
std::string loadAsF32(const std::string &dst, const std::string &memref,
                      const std::string &idx, const std::string &shape,
                      bool f16, const std::string &indent);
/// Stores the f32 SSA value `v` at `memref[idx]` (of type `type`), rounded
/// to f16 first when `f16`.
std::string storeFromF32(const std::string &v, const std::string &memref,
                         const std::string &idx, const std::string &type,
                         bool f16, const std::string &indent);

/// Reduces the per-lane accumulators `%acc` (memref<Mxf32, private>) of
/// every batch row across the warp (gpu.shuffle xor butterfly) and lets lane
/// 0 store row m's sum to `y[m, col]` (`yType` the memref's shape and type,
/// truncated when `f16`), only where `guard` (an i1 name, may be empty)
/// holds. With `addend` (an [M, N] f32 memref name), addend[m, col] is
/// added to the sum before the store. Emitted after the accumulation, at
/// the kernel's top level.
std::string warpReduceAndStore(const std::string &y, const std::string &col,
                               const std::string &yType, bool f16,
                               const std::string &guard = "",
                               const std::string &addend = "");

/// The start of a kernel that gives each thread one output element: %tid,
/// %bid, `<out>` = block * THREADS + thread and `%inb` = out < TOTAL. Needs
/// %cTHREADS and %cTOTAL defined before it.
std::string threadPerElementPrologue(const std::string &out);

/// The start of a kernel that gives each warp one output index: `%zero`,
/// `%tid`, `%bid`, `%lane`, `%warp`, `<out>` = block * warps + warp, and the
/// per-lane accumulators `%acc` (memref<Mxf32, private>) zeroed. Needs
/// `%c0`, `%c1`, `%c32`, `%cM`, `%cWARPS` defined before it.
std::string warpPerOutputPrologue(const std::string &out);

/// A weight with more than a plain quant facet, for the composed GEMV.
struct ComposedShape {
  KernelShape base; // m, n, k, warps, types; quant fields when main = Codes
  enum class Main { None, Codes, Floats } main = Main::None;
  int64_t keptK = 0;   // main-term entries per column (K, or K*N/M)
  int64_t sparseN = 0; // N:M along K (0: dense main term)
  int64_t sparseM = 0;
  unsigned metaBits = 0; // bits of a meta entry in the GPU words (1/2/4/8)
  int64_t outliers = 0;  // outlier count
  int64_t rank = 0;      // low-rank rank
  bool lowRankF16 = false; // the factors are f16 (tables in f16, math in f32)
};

/// How the fused low-rank chain splits the rank: `perWarp` components per
/// warp, `perBlock` = warps * perWarp per block, `blocks` blocks; the
/// factor tables are padded with zero rows to blocks * perBlock.
struct LowRankChainSplit {
  int64_t perWarp, perBlock, blocks;
  int64_t paddedRank() const { return blocks * perBlock; }
};
/// About kLowRankChainBlocks blocks (enough to keep every SM of an H100
/// reading factors) unless the rank is smaller than that many warps.
constexpr int64_t kLowRankChainBlocks = 128;
LowRankChainSplit lowRankChainSplit(const ComposedShape &c);

/// The fused low-rank chain y += (x · A_in^T) · B_out^T for batch <=
/// max-batch, one kernel: block b takes rank components [b·P, (b+1)·P)
/// (P = perBlock); its warps compute t[m, j] = x[m, :] · A_in[j, :] (lanes
/// over K, warp reduction) into workgroup memory, the block synchronises,
/// then its threads stride over the N outputs adding t[m, chunk] ·
/// B_out^T[chunk, n] to y[m, n] with atomic f32 adds. t never leaves the
/// chip; A_in and B_out^T ([Rp, K] and [Rp, N], zero-padded, f32 or f16)
/// are each read once. y (f32 [M, N]) must be zeroed before. Grid: blocks.
std::string buildLowRankChainKernelText(llvm::StringRef name,
                                        const ComposedShape &c);

/// The composed GEMV (batch <= max-batch): a warp per output column sums
/// the main term (codes with optional N:M positions, or kept f32 values)
/// and the outliers (CSC), reduces once and, with a low-rank term, adds
/// the column's value of the chain's [M, N] f32 result (argument %pre,
/// just before the output). Grid ceil(N / warps).
std::string buildComposedGemvKernelText(llvm::StringRef name,
                                        const ComposedShape &c);

/// Grouped (e.g. depthwise) convolution on CUDA cores: a thread per output
/// element sums its group's C/groups * kh * kw taps, each weight decoded
/// from the code words of the filter's matrix view [O, C/groups*kh*kw].
/// Grid: ceil(images * O * OH * OW / 128) blocks of 128 threads.
std::string buildGroupedConvKernelText(llvm::StringRef name,
                                       const KernelShape &s);
constexpr int64_t kGroupedConvThreads = 128;

/// Unstructured sparsity and outliers alone, at any batch: a CSC table by
/// output column (colptr [N+1], rows [nnz] i32, values [nnz] f32); one
/// thread per output element y[m, n] sums x[m, rows[p]] * values[p] over
/// column n's entries. Grid: ceil(M * N / kCscThreads) blocks of
/// kCscThreads threads.
std::string buildCscSparseKernelText(llvm::StringRef name,
                                     const KernelShape &s, int64_t nnz);
/// The same for a convolution (groups = 1): a zero main term stored at each
/// output element y[image, n, pixel], consecutive threads on consecutive
/// pixels; the CSC entries are added by applyCorrectionTerms as outliers
/// (x gathered through the implicit im2col). Grid: ceil(images * N * OH *
/// OW / kCscThreads) blocks.
std::string buildCscConvKernelText(llvm::StringRef name, const KernelShape &s);
constexpr int64_t kCscThreads = 128;

/// Output columns one warp of the tensor-core GEMM covers (n-tiles of 8).
constexpr int64_t kMmaTilesN = 4;
constexpr int64_t kMmaColsPerWarp = 8 * kMmaTilesN;

/// The tensor-core GEMM (batch > max-batch): each warp computes a 16-row by
/// kMmaColsPerWarp-column tile with nvgpu.mma.sync m16n8k16 (f16 operands,
/// f32 accumulators). Weight fragments are dequantized from the code words
/// straight into registers inside the K loop; no dense weight exists in any
/// memory. Grid: (ceil(N / (kMmaColsPerWarp * warps)), ceil(M / 16)).
std::string buildMmaGemmKernelText(llvm::StringRef name, const KernelShape &s);

/// How the packed tensor-core GEMM covers the output: a block owns
/// 16 * mTiles rows. Within one row block (M <= 64: the weight is streamed
/// once), a block owns 32 columns (one tile of the fragment-ordered words)
/// and its `warps` warps split the K chunks (warp w takes chunks w,
/// w + warps, ...) and meet in workgroup memory for the sum; grid
/// (tiles, 1). With more rows, its colWarps (= warps) warps take adjacent
/// tiles of the same rows and all of K, sharing A through L1; grid
/// (ceil(tiles / colWarps), ceil(M / (16 * mTiles))). 32 * warps threads.
/// A tile of activations staged in shared memory (ActivationStaging.h); `stages` is 0 when the kernel
/// reads A from global memory.
struct StagePlan {
  int64_t stages = 0;
  int64_t rows = 0;        // activation rows of a block (multiple of 16)
  int64_t chunkK = 0;      // K elements per stage (multiple of 16)
  int64_t granules = 0;    // 16-byte granules per stage, padded to threads
  int64_t threads = 0;     // threads per block
  int64_t elemBytes = 2;   // f16 or f32 activations
  /// A 1x1 convolution's image ([images, C, H*W]: rows are pixels, K is
  /// channels, so a 16-byte granule holds consecutive pixels of one
  /// channel): the tile is stored K-major, [chunkK lines][rows pixels].
  bool kMajor = false;
  int64_t images = 0, channels = 0, pixels = 0;
  /// Any other convolution with f32 activations: the implicit im2col tile,
  /// row-major as for a matrix, gathered one 4-byte element per cp.async
  /// (zero-filled in the padding); `slots` element copies per stage, padded
  /// to whole threads.
  const ConvGeometry *gather = nullptr;
  int64_t slots = 0;
  /// The wgmma kernel's B operand: 8 x 16-byte core matrices (8 rows of one
  /// granule), each 128 contiguous bytes, granule-major: core matrix
  /// (g, r / 8) at g (rows / 8) + r / 8 (sm_90a's no-swizzle K-major
  /// layout, which a matrix descriptor addresses). [M, K] f16 only.
  bool coreMatrices = false;
  /// Chunks the ring refills behind the one it could: with 1, chunk c
  /// refills the slot of c - 2, not c - 1, so the multiplications of chunk
  /// c - 1 (wgmma, asynchronous) may still read theirs; the copies run
  /// stages - 2 chunks ahead.
  int64_t lag = 0;
  int64_t granuleElems() const { return 16 / elemBytes; }
  /// Lines of the stored tile (rows, or K-major the chunk's K) and 16-byte
  /// granules per line.
  int64_t lines() const { return kMajor ? chunkK : rows; }
  int64_t rowGranules() const {
    return (kMajor ? rows : chunkK) / granuleElems();
  }
  int64_t copiesPerThread() const {
    return (gather ? slots : granules) / threads;
  }
  int64_t bytes() const { return stages * granules * 16; }
};

/// Largest static shared memory a staged tile may take.
constexpr int64_t kStageMaxBytes = 40 * 1024;

/// The plan for a block of `rows` rows, `threads` threads and K chunks of
/// `chunkK`, with `wanted` stages (the `mma-a-stages` option): none unless
/// `wanted` >= 2 and the activations (f16 or f32) are an [M, K] matrix whose
/// rows are whole 16-byte granules (K % 8 == 0 for f16, K % 4 == 0 for f32:
/// every granule inside one row, 16-byte aligned) or the image of a 1x1
/// convolution with unit strides, no padding and one group whose channel
/// planes are whole granules (H*W a multiple of 8 or 4; staged K-major), or
/// (f32 only, one group, two warps or more) any other convolution (gathered
/// per element);
/// fewer stages when the ring would pass kStageMaxBytes.
StagePlan stagePlan(const KernelShape &s, int64_t rows, int64_t chunkK,
                    int64_t threads, int64_t wanted);

struct PackedGemmPlan {
  int64_t mTiles, warps;
  int64_t colWarps = 1;         // > 1: warps side by side along N
  int64_t tiles, chunks, steps; // of mmaFragmentShape
  int64_t groupsPad;            // scale rows over the padded K
  int64_t prefetch;             // chunks in flight ahead of the decoded one
  StagePlan stage;              // A through shared memory (column warps)
  /// > 0: the wgmma kernel (one or two warpgroups, 128 columns each) over
  /// blocks of this many rows, the N of its wgmma.m64nNk16.
  int64_t wgmmaRows = 0;
  int64_t rowsPerBlock() const {
    return wgmmaRows ? wgmmaRows : 16 * mTiles;
  }
  int64_t gridX() const { return (tiles + colWarps - 1) / colWarps; }
};
constexpr int64_t kPackedMaxMTiles = 4;
/// Largest row block of the wgmma kernel (its accumulators: 2 x rows / 2
/// f32 registers per thread).
constexpr int64_t kWgmmaMaxRows = 128;
constexpr int64_t kPackedMaxWarps = 16;
/// Warps the packed GEMM's grid should hold at least (about 32 per SM of
/// an H100) before it stops adding warps per block.
constexpr int64_t kPackedTargetWarps = 4096;
/// Chunks of code words each warp has loaded ahead of the one it decodes:
/// with one m-tile (a GEMV; the bytes in flight are all that bounds it, and
/// registers are plentiful) kPackedPrefetchStream, else kPackedPrefetch.
constexpr int64_t kPackedPrefetch = 2;
constexpr int64_t kPackedPrefetchStream = 4;
PackedGemmPlan packedGemmPlan(const KernelShape &s);

/// The wgmma kernel's row block for the packed dense GEMM of `s` over
/// chunks of `steps` k-steps with `threads` threads, or 0 where it does not
/// apply: it needs the `wgmma` option (chip sm_90a), f16 [M, K]
/// activations whose rows are whole 16-byte granules (K % 8 == 0) and a
/// staged ring of at least two stages; min(kWgmmaMaxRows, M rounded up to
/// 16) rows.
int64_t wgmmaRows(const KernelShape &s, int64_t steps, int64_t threads);

/// The packed dense GEMM on sm_90a's warpgroup MMA (WgmmaKernel.cpp), for
/// a plan with wgmmaRows set.
std::string buildWgmmaGemmKernelText(llvm::StringRef name,
                                     const KernelShape &s,
                                     const PackedGemmPlan &p);

/// Why the packed GEMM cannot take a weight of shape `s` ("" when it can):
/// it needs scale (and zero point) decoding of at most 8 bits with scale
/// groups of whole k-steps.
std::string packedGemmUnsupported(const KernelShape &s);

/// The packed kernels' tables: the fragment-ordered code words [tiles,
/// chunks, 128], and by [groupsPad, columns]: asymmetric, one word per
/// scale group and column holding f16 s (bits 0-15) and f16 1024 + z (bits
/// 16-31); symmetric, the f16 scales (held here as f32 values).
struct PackedGemmTables {
  std::vector<uint32_t> words, scaleZero;
  std::vector<float> scales;
};
/// Builds them from the quant facet's codes (storage order: [K, N], or
/// [N, K] when `transposed`) and [N, G] scales and zero points; "" or why
/// the weights are not exactly representable by that f16 decoding (a zero
/// point that is not an integer in [-1024, 1024], a scale that is not 0 or
/// a normal f16, or a weight past the f16 range).
std::string packPackedGemmTables(const KernelShape &s,
                                 const std::vector<int64_t> &codes,
                                 bool transposed,
                                 const std::vector<float> &scales,
                                 const std::vector<float> &zeros,
                                 PackedGemmTables &out);

/// The packed tensor-core GEMM (batch > max-batch, and convolutions): the
/// code words in the fragment order of Compress/GpuLayout.h (one 16-byte
/// load per lane per chunk, the next chunk's prefetched), decoded two codes
/// at a time with f16x2 arithmetic: (0x6400 | q) - (1024 + z), times the
/// scale; s and 1024 + z come as one [groupsPad, 32 * tiles] word each
/// (%sz), symmetric scales as f16 (%sc; the codes stored offset by
/// 2^(bits-1), a constant 1024 + 2^(bits-1)). Each B fragment feeds mTiles mma.sync, every activation
/// pair is one 32-bit load (conv: gathered per element). The warps' partial
/// sums meet in workgroup memory; warp 0 stores.
std::string buildPackedGemmKernelText(llvm::StringRef name,
                                      const KernelShape &s);

/// The packed 2:4 GEMM (mma.sp m16n8k32 on the transposed problem, the
/// weight as operand A): a block owns 16 output columns by 8 * mTiles batch
/// rows; its warps split the chunks of K (C steps of 32) and sum in
/// workgroup memory. Grid: (tiles, ceil(M / (8 * mTiles))).
struct PackedSparsePlan {
  int64_t mTiles, warps;
  int64_t colWarps = 1;         // > 1: warps side by side along N
  bool columns = false;         // every warp over all of K (several row
                                // blocks; the block shares its rows)
  int64_t tiles, chunks, steps; // of mmaSparseShape
  int64_t groupsPad;
  int64_t prefetch; // chunks in flight ahead of the decoded one
  StagePlan stage;  // activations through shared memory (columns)
  /// > 0: on wgmma.mma_async.sp (sm_90a), one or two warpgroups of 64
  /// columns each over blocks of this many rows (WgmmaKernel.cpp).
  int64_t wgmmaRows = 0;
  int64_t rowsPerBlock() const {
    return wgmmaRows ? wgmmaRows : 8 * mTiles;
  }
  int64_t gridX() const { return (tiles + colWarps - 1) / colWarps; }
};
/// m-tiles (of 8 rows) of the packed 2:4 GEMM's warps when several row
/// blocks share the weight: each 16-column weight fragment feeds 8 mma.sp.
constexpr int64_t kPackedSparseColumnMTiles = 8;
PackedSparsePlan packedSparsePlan(const ComposedShape &c);

/// Why the packed 2:4 GEMM cannot take `c` ("" when it can): it needs a
/// 2:4 main term along K, either float values (held as f16, one pair per
/// word, one step per chunk, no group tables) or quantized codes (scales
/// and zero points, at most 8 bits, scale groups of whole steps of 32).
std::string packedSparseUnsupported(const ComposedShape &c);

/// Its tables from the kept codes in row order ([N, K/2]), the [N, G]
/// scales and zero points and the kept entries' positions in row order:
/// fragment-ordered words [tiles, chunks, 128], splats [groupsPad, 16 *
/// tiles] and mma.sp metadata [tiles, chunks * steps, 16] (in `meta`); ""
/// or why the weights do not decode exactly in f16.
std::string packPackedSparseTables(const ComposedShape &c,
                                   const std::vector<int64_t> &keptCodes,
                                   const std::vector<int64_t> &positions,
                                   const std::vector<float> &scales,
                                   const std::vector<float> &zeros,
                                   PackedGemmTables &out,
                                   std::vector<uint32_t> &meta);
/// The same for a float main term: the kept values in row order ([N, K/2],
/// rounded to f16) as fragment-ordered pairs, and the metadata.
void packPackedSparseValues(const ComposedShape &c,
                            const std::vector<double> &keptValues,
                            const std::vector<int64_t> &positions,
                            PackedGemmTables &out,
                            std::vector<uint32_t> &meta);

/// The packed 2:4 GEMM at any batch: per chunk one 16-byte load per lane
/// of fragment-ordered code pairs (prefetched as in the dense kernel),
/// decoded with f16x2 arithmetic into the A fragment (f16 values: taken as
/// they are), the metadata
/// register per step, activation pairs as B, one mma.sp per m-tile of 8
/// batch rows.
std::string buildPackedSparseGemmKernelText(llvm::StringRef name,
                                            const ComposedShape &c);

/// The same on wgmma.mma_async.sp (WgmmaKernel.cpp), for a plan with
/// wgmmaRows set.
std::string buildWgmmaSparseGemmKernelText(llvm::StringRef name,
                                           const ComposedShape &c,
                                           const PackedSparsePlan &p);

/// The sparse tensor-core GEMM's warp tile: 16 output columns by kSpTilesM
/// m-tiles of 8 batch rows.
constexpr int64_t kSpTilesM = 4;
constexpr int64_t kSpRowsPerWarp = 8 * kSpTilesM;

/// Padded extents of the sparse tensor-core GEMM's weight tables.
struct SparseMmaLayout {
  int64_t nPad;      // rows: whole blocks of warps * 16 output columns
  int64_t steps;     // K steps of 32 dense (16 kept) entries
  int64_t keptPad;   // kept entries per row, 16 * steps
  int64_t codeWords; // code words per row (quantized main term)
  int64_t groups;    // scale groups per row over the padded K
};
SparseMmaLayout sparseMmaLayout(const ComposedShape &c);

/// 2:4 sparsity along K above max-batch with codes the packed 2:4 GEMM does
/// not decode: nvgpu.mma.sp.sync m16n8k32 on the
/// transposed problem (the weight is the sparse operand A), f16 operands,
/// f32 accumulators; the kept weights are dequantized from code words
/// into the A fragment, the metadata comes from a table
/// laid out per lane at compile time (Compress/GpuLayout.h). Grid:
/// (nPad / (16 * warps), ceil(M / kSpRowsPerWarp)).
std::string buildSparseMmaGemmKernelText(llvm::StringRef name,
                                         const ComposedShape &c);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H
