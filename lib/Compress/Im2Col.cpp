//===- Im2Col.cpp - Convolution patches as layer-input tokens -------------===//
#include "qsl/Compress/Im2Col.h"

#include <algorithm>
#include <cassert>
#include <string>

using namespace qsl::compress;

static int64_t outSize(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                       int64_t padBegin, int64_t padEnd) {
  int64_t span = dilation * (k - 1) + 1;
  int64_t padded = in + padBegin + padEnd;
  return padded < span ? 0 : (padded - span) / stride + 1;
}

int64_t ConvShape::outHeight() const {
  return outSize(height, kernelH, strides[0], dilations[0], pads[0], pads[2]);
}

int64_t ConvShape::outWidth() const {
  return outSize(width, kernelW, strides[1], dilations[1], pads[1], pads[3]);
}

std::string ConvShape::validate() const {
  if (batch < 0 || channels < 1 || height < 1 || width < 1 || kernelH < 1 ||
      kernelW < 1)
    return "sizes must be positive";
  if (groups < 1 || channels % groups != 0)
    return "groups must divide the input channels";
  for (int i = 0; i < 2; ++i)
    if (strides[i] < 1 || dilations[i] < 1)
      return "strides and dilations must be positive";
  for (int64_t p : pads)
    if (p < 0)
      return "pads must be non-negative";
  if (outHeight() < 1 || outWidth() < 1)
    return "the dilated kernel does not fit the padded input";
  return "";
}

void qsl::compress::im2colRows(const float *input, const ConvShape &s,
                               int64_t group, int64_t begin, int64_t end,
                               Matrix &out) {
  assert(s.validate().empty() && group >= 0 && group < s.groups);
  int64_t oh = s.outHeight(), ow = s.outWidth();
  int64_t cg = s.channels / s.groups;
  int64_t plane = s.height * s.width;
  out.resize(end - begin, s.features());
  for (int64_t t = begin; t < end; ++t) {
    int64_t n = t / (oh * ow), y = (t / ow) % oh, x = t % ow;
    float *row = out.row(t - begin).data();
    const float *image =
        input + (n * s.channels + group * cg) * plane;
    for (int64_t c = 0; c < cg; ++c) {
      const float *channel = image + c * plane;
      for (int64_t i = 0; i < s.kernelH; ++i) {
        int64_t h = y * s.strides[0] + i * s.dilations[0] - s.pads[0];
        bool rowIn = h >= 0 && h < s.height;
        for (int64_t j = 0; j < s.kernelW; ++j) {
          int64_t w = x * s.strides[1] + j * s.dilations[1] - s.pads[1];
          *row++ = rowIn && w >= 0 && w < s.width ? channel[h * s.width + w]
                                                  : 0.0f;
        }
      }
    }
  }
}

void qsl::compress::accumulatePatches(const float *input, const ConvShape &s,
                                      int64_t group, InputStatistics &stats,
                                      int64_t maxChunkElements) {
  assert(stats.features() == s.features());
  int64_t tokens = s.tokens();
  int64_t chunk =
      std::max<int64_t>(1, maxChunkElements / std::max<int64_t>(1, s.features()));
  Matrix rows;
  for (int64_t begin = 0; begin < tokens; begin += chunk) {
    int64_t end = std::min(tokens, begin + chunk);
    im2colRows(input, s, group, begin, end, rows);
    stats.accumulate(rows);
  }
}
