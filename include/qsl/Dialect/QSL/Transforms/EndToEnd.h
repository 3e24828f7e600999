//===- EndToEnd.h - Scoring weights by the model's own outputs --*- C++ -*-===//
//
// A pass that wants to know how a choice of weights changes the model's
// outputs (qsl-allocate's refinement) cannot run the model itself: running
// needs the CPU pipeline and the JIT (lib/Execution), which depend on the
// passes. The execution library registers a factory here
// (registerEndToEndEvaluator in qsl/Execution/EndToEnd.h; qslc, qsl-opt and
// the C API do it at start-up) and passes ask for it.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_DIALECT_QSL_TRANSFORMS_ENDTOEND_H
#define QSL_DIALECT_QSL_TRANSFORMS_ENDTOEND_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
namespace qsl {

/// The model compiled once with some weights as inputs, run on a fixed set
/// of calibration inputs.
class EndToEndEvaluator {
public:
  virtual ~EndToEndEvaluator() = default;
  /// The mean, over calibration input sets and compared f32 outputs, of
  /// ‖y − y_ref‖² / ‖y_ref‖², where y_ref are the outputs of the model as
  /// it was given and y those with the varied weights set to `weights`
  /// (one f32 buffer per varied weight, in the stored layout and shape of
  /// the weight).
  virtual llvm::Expected<double> score(ArrayRef<const float *> weights) = 0;
  /// The stored data of every varied weight in the model as given (what
  /// y_ref was computed with), in the same layout.
  virtual const std::vector<std::vector<float>> &originalWeights() const = 0;
};

struct EndToEndRequest {
  /// The model, its weights dense (it is cloned, not changed).
  ModuleOp module;
  /// Positions in collectWeightUses(module) of the weights to vary: dense
  /// f32 constants of a MatMul/Gemm-like contraction (not convolutions).
  std::vector<size_t> varied;
  /// .npz files (or directories of them), one set of graph inputs each.
  std::vector<std::string> inputs;
  /// The graph outputs the score compares (all f32 outputs when empty).
  std::vector<std::string> outputs;
};

using EndToEndEvaluatorFactory =
    std::function<llvm::Expected<std::unique_ptr<EndToEndEvaluator>>(
        const EndToEndRequest &)>;

void setEndToEndEvaluatorFactory(EndToEndEvaluatorFactory factory);
/// Null when no execution library registered one.
const EndToEndEvaluatorFactory *getEndToEndEvaluatorFactory();

/// Where qslc records the calibration inputs it ran (an array of file
/// paths on the module), for passes that run the model again.
constexpr llvm::StringLiteral kCalibrationInputsAttr = "qsl.calibration_inputs";

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_TRANSFORMS_ENDTOEND_H
