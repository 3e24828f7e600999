//===- Statistics.cpp - Calibration statistics of one layer input ---------===//
#include "qsl/Compress/Statistics.h"

using namespace qsl::compress;

InputStatistics::InputStatistics(int64_t features)
    : gram(MatrixD::Zero(features, features)), sum(VectorD::Zero(features)) {}

void InputStatistics::accumulate(const Matrix &x) {
  MatrixD xd = x.cast<double>();
  gram.selfadjointView<Eigen::Lower>().rankUpdate(xd.transpose());
  gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
  sum += xd.colwise().sum().transpose();
  tokens += x.rows();
}

void InputStatistics::merge(const MatrixD &g, const VectorD &s, int64_t t) {
  gram += g;
  sum += s;
  tokens += t;
}

VectorD InputStatistics::inputNorms() const {
  return gram.diagonal().cwiseMax(0.0).cwiseSqrt();
}

VectorD InputStatistics::inputMean() const {
  return tokens ? VectorD(sum / double(tokens)) : VectorD::Zero(sum.size());
}
