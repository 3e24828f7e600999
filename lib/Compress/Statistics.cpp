//===- Statistics.cpp - Calibration statistics of one layer input ---------===//
#include "qsl/Compress/Statistics.h"

#include <cmath>

using namespace qsl::compress;

InputStatistics::InputStatistics(int64_t features)
    : gram(MatrixD::Zero(features, features)), sum(VectorD::Zero(features)) {}

void InputStatistics::accumulate(const Matrix &x) {
  // One batch in float (a symmetric rank-k update, half the products), the
  // running total in double.
  Eigen::MatrixXf batch = Eigen::MatrixXf::Zero(x.cols(), x.cols());
  batch.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  batch.triangularView<Eigen::StrictlyUpper>() = batch.transpose();
  gram += batch.cast<double>();
  sum += x.cast<double>().colwise().sum().transpose();
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

double qsl::compress::relativeOutputError(const Matrix &w, const Matrix &what,
                                          const MatrixD &gram) {
  Eigen::MatrixXf h = gram.cast<float>();
  Eigen::MatrixXf e = (w - what);
  Eigen::MatrixXf wf = w;
  double num = (e * h).cwiseProduct(e).cast<double>().sum();
  double den = (wf * h).cwiseProduct(wf).cast<double>().sum();
  return den > 0 ? std::sqrt(std::max(num, 0.0) / den) : 0.0;
}
