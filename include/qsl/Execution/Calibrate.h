//===- Calibrate.h - Calibration statistics from real runs ------*- C++ -*-===//
//
// qsl-calibrate: a copy of the model is instrumented so that it also
// returns, for the input X [tokens, K] of every weight use (see
// WeightUses.h; for a convolution the im2col patches of its input, one
// token per output position, built on the host a chunk at a time), the
// Gram matrix XᵀX and the column sums; the copy is
// compiled with the CPU pipeline and run over calibration inputs, and the
// statistics, summed in double over all runs, are attached to the weight
// uses of the original module as `qsl.calibration` attributes. Uses that
// share an input share one set of statistics.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_EXECUTION_CALIBRATE_H
#define QSL_EXECUTION_CALIBRATE_H

#include "qsl/Pipelines/Pipelines.h"
#include "qsl/Runtime/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace mlir {
namespace qsl {

struct CalibrationOptions {
  std::string funcName = "main_graph";
  CpuPipelineOptions cpu;
};

/// Expands `paths` (.npz files, or directories whose *.npz files are taken
/// in name order) into the list of calibration files; fails with a message
/// on a missing path or an empty directory.
LogicalResult expandCalibrationInputs(ArrayRef<std::string> paths,
                                      std::vector<std::string> &files,
                                      std::string &error);

/// Runs the model over every file (one set of graph inputs each, arrays
/// named like the graph inputs) and attaches the statistics. Errors are
/// emitted on `module` (or the op concerned).
LogicalResult calibrateModule(ModuleOp module, ArrayRef<std::string> files,
                              const CalibrationOptions &options);

/// One set of calibration inputs in memory: arrays named like the graph
/// inputs, and how errors name the set ("calibration input 'a.npz'").
struct CalibrationInputSet {
  std::map<std::string, ::qsl::runtime::HostTensor> inputs;
  std::string label;
};

/// Fills the next input set; returns true when it did, false when there are
/// no more, or an error (reported on the module, calibration fails). Sets
/// are asked for one at a time, so they can be streamed.
using CalibrationInputSource =
    llvm::function_ref<llvm::Expected<bool>(CalibrationInputSet &)>;

/// What both entries above share: runs the model over every set `next`
/// gives (at least one) and attaches the statistics.
LogicalResult calibrateModule(ModuleOp module, CalibrationInputSource next,
                              const CalibrationOptions &options);

} // namespace qsl
} // namespace mlir

#endif // QSL_EXECUTION_CALIBRATE_H
