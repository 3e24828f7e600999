//===- Im2Col.h - Convolution patches as layer-input tokens -----*- C++ -*-===//
//
// A 2-D convolution is a contraction of the OIHW filter, seen as the matrix
//
//   W : [O, C/groups * kh * kw]   (row = output channel, columns in
//                                   (c, i, j) order: the filter reshaped)
//
// with one patch of the input per output position (im2col). Each output
// position (n, oh, ow) is one "token" of the layer input, its features
//
//   x[(c * kh + i) * kw + j] = input[n, g*C/groups + c,
//                                    oh*sh + i*dh - pad_top,
//                                    ow*sw + j*dw - pad_left]
//
// (zero where the position falls into the padding) for the channels of
// group g. The statistics of these tokens are what GPTQ, SparseGPT, Wanda
// and AWQ need for a convolution weight; they are accumulated a chunk of
// output positions at a time, so the im2col matrix of a whole input is
// never materialised.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_IM2COL_H
#define QSL_COMPRESS_IM2COL_H

#include "qsl/Compress/Statistics.h"

namespace qsl {
namespace compress {

/// An NCHW input and OIHW filter with ONNX Conv attributes.
struct ConvShape {
  int64_t batch = 1, channels = 1, height = 1, width = 1; // input
  int64_t kernelH = 1, kernelW = 1;
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};
  int64_t pads[4] = {0, 0, 0, 0}; // top, left, bottom, right
  int64_t groups = 1;

  int64_t outHeight() const;
  int64_t outWidth() const;
  /// Output positions of the whole batch: the tokens.
  int64_t tokens() const { return batch * outHeight() * outWidth(); }
  /// Features of one patch: C/groups * kh * kw.
  int64_t features() const { return channels / groups * kernelH * kernelW; }
  /// "" when the shape is consistent, else why not.
  std::string validate() const;
};

/// Rows `begin` .. `end` (flattened (n, oh, ow) output positions) of the
/// im2col matrix of group `group` of `input` (NCHW, row-major):
/// `out` becomes [end - begin, features()].
void im2colRows(const float *input, const ConvShape &shape, int64_t group,
                int64_t begin, int64_t end, Matrix &out);

/// Adds the patches of every output position of group `group` to `stats`
/// (features() features), `maxChunkElements` im2col elements at a time.
void accumulatePatches(const float *input, const ConvShape &shape,
                       int64_t group, InputStatistics &stats,
                       int64_t maxChunkElements = int64_t(1) << 22);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_IM2COL_H
