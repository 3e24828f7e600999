//===- Pack.h - Bit packing of codes and N:M metadata -----------*- C++ -*-===//
//
// The byte layouts compressed weights are stored and read in (documented
// with pictures in docs/formats/packing.md):
//
//  * b-bit codes (b = 1..8): element i occupies bits [i*b, (i+1)*b) of the
//    little-endian bit stream, i.e. byte i*b/8 from its least significant
//    bit upward; 3-bit codes straddle bytes. Signed codes are stored as
//    their low b bits (two's complement) and sign-extended on unpack.
//  * N:M compression along a row: for every run of M, the N kept values in
//    increasing column order, and their positions within the run
//    (0..M-1) as metadata. 2:4 metadata packs as 2-bit fields with the
//    same bit-stream rule (one byte holds the 4 positions of two runs),
//    the order the `mma.sp` metadata register expects for one thread's
//    row: run 0 in bits 0-3, run 1 in bits 4-7, ...
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_PACK_H
#define QSL_COMPRESS_PACK_H

#include "qsl/Compress/Matrix.h"

#include <cstdint>
#include <vector>

namespace qsl {
namespace compress {

/// Packs `count` codes of `bits` bits each (values outside the b-bit range
/// keep their low bits).
std::vector<uint8_t> packBits(const int32_t *codes, int64_t count,
                              unsigned bits);
/// Unpacks `count` b-bit codes; `isSigned` sign-extends them.
std::vector<int32_t> unpackBits(const uint8_t *packed, int64_t count,
                                unsigned bits, bool isSigned);

/// N:M compression of a row-major matrix by a mask with exactly N kept per
/// run of M along each row: `values` [rows, cols*N/M] and `positions` (same
/// shape, 0..M-1). Returns false if a run keeps a number other than N.
template <typename T>
bool compressNM(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic,
                                    Eigen::RowMajor> &dense,
                const Mask &mask, int64_t n, int64_t m,
                Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic,
                              Eigen::RowMajor> &values,
                IntMatrix &positions);

/// The inverse: zeros at pruned positions.
template <typename T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
expandNM(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic,
                             Eigen::RowMajor> &values,
         const IntMatrix &positions, int64_t m);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_PACK_H
