// qsl-allocate: bad options, impossible budgets and missing statistics give
// one clear error each.
// RUN: not qsl-opt %s --qsl-allocate 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// NOBUDGET: error: qsl-allocate: give budget-bits (> 0), the bits per parameter to stay within
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=kl" 2>&1 | FileCheck %s --check-prefix=OBJECTIVE
// OBJECTIVE: error: qsl-allocate: unknown objective 'kl' (expected output-error, relative-output-error or weight-error)
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 scope=layer" 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: error: qsl-allocate: unknown scope 'layer' (expected selected or model)
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=w4g2,w3q" 2>&1 | FileCheck %s --check-prefix=TOKEN
// TOKEN: error: qsl-allocate: bad candidate 'w3q': unknown part 'w3q' (expected dense, wB or wBgG, N:M, sP, rtn, mse, gptq, awq, magnitude, wanda, sparsegpt, sym, eoraR, lqerR or svdR)
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=w9" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: qsl-allocate: bad candidate 'w9': bits must be between 2 and 8
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=eora8" 2>&1 | FileCheck %s --check-prefix=LONELY
// LONELY: error: qsl-allocate: bad candidate 'eora8': a low-rank correction needs quantization or pruning before it
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=gptq" 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: error: qsl-allocate: bad candidate 'gptq': a quantization method without wB
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=w4g2,,w8" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: qsl-allocate: empty candidate
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 objective=weight-error candidates=w4g2,w4g2" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: qsl-allocate: candidate 'w4g2' is listed twice
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 include=(fc" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: qsl-allocate: invalid include regex '(fc':
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 range=p99" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qsl-allocate: unknown range 'p99' (expected minmax or mse)
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4 damp=-1" 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: qsl-allocate: damp must be >= 0, got -1
// The default objective needs calibration statistics.
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=4" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: error: qsl-allocate: weight 'weight': objective=output-error needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use objective=weight-error)
// Budgets outside the reach of the candidates name the range: for the 4x4
// weight, w2 per channel is 2 + (16 + 2) / 4 = 6.5 bits per parameter and
// f32 dense 32.
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=6 objective=weight-error candidates=w2,w8,dense" 2>&1 | FileCheck %s --check-prefix=LOW
// LOW: error: qsl-allocate: budget-bits=6.00 is below what the candidates reach: 6.500 to 32.000 bits per parameter over 1 selected weight (16 parameters)
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=33 objective=weight-error candidates=w2,w8,dense" 2>&1 | FileCheck %s --check-prefix=HIGH
// HIGH: error: qsl-allocate: budget-bits=33.00 is above what the candidates reach: 6.500 to 32.000 bits per parameter over 1 selected weight (16 parameters); lower budget-bits or add larger candidates
// Over the whole model the 4x4 weight is all there is as well (w8 per
// channel, asymmetric: 8 + (16 + 8) / 4 = 14 bits per parameter).
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=6 scope=model objective=weight-error candidates=w2,w8" 2>&1 | FileCheck %s --check-prefix=MODEL
// MODEL: error: qsl-allocate: budget-bits=6.00 is below what the candidates reach: 6.500 to 14.000 bits per parameter over the whole model (16 parameters)
// qsl-compress-pipeline's auto-<bits>bit presets.
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=auto-xbit" 2>&1 | FileCheck %s --check-prefix=PRESET
// PRESET: error: qsl-compress-pipeline: bad preset 'auto-xbit': expected auto-<bits>bit with a positive number of bits, such as auto-3.5bit
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=auto-0bit" 2>&1 | FileCheck %s --check-prefix=PRESET0
// PRESET0: error: qsl-compress-pipeline: bad preset 'auto-0bit'
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=auto-2bit" 2>&1 | FileCheck %s --check-prefix=PRESETLOW
// PRESETLOW: error: qsl-allocate: budget-bits=2.00 is below what the candidates reach
// The end-to-end refinement: its options, its inputs, and a file that
// does not exist (named; the function here is not main_graph, the inputs
// are checked first).
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=7 objective=weight-error candidates=w2,w8 refine-generations=2 refine-offspring=0" 2>&1 | FileCheck %s --check-prefix=OFFSPRING
// OFFSPRING: error: qsl-allocate: refine-offspring must be >= 1
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=7 objective=weight-error candidates=w2,w8 refine-generations=2" 2>&1 | FileCheck %s --check-prefix=NOINPUTS
// NOINPUTS: error: qsl-allocate: refine-generations needs inputs to run the model on: give refine-inputs=FILE.npz,... or compile with qslc --calibrate=INPUTS
// RUN: not qsl-opt %s --qsl-allocate="budget-bits=7 objective=weight-error candidates=w2,w8 refine-generations=2 refine-inputs=%t-missing.npz" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: qsl-allocate: end-to-end evaluation: {{.*}}-missing.npz
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w4g128 refine=5" 2>&1 | FileCheck %s --check-prefix=REFINEPRESET
// REFINEPRESET: error: qsl-compress-pipeline: refine applies to the auto-<bits>bit presets only, not 'w4g128'
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=auto-7bit refine=5" 2>&1 | FileCheck %s --check-prefix=REFINEAUTO
// REFINEAUTO: error: qsl-allocate: refine-generations needs inputs to run the model on
// Nothing selected: a warning, the module is unchanged.
// RUN: qsl-opt %s --qsl-allocate="budget-bits=4 include=nothing" 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: warning: qsl-allocate: no dense weight matches the selection; nothing was compressed
// NONE: linalg.matmul

func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
