// qsl-outliers: bad options and unsupported weights give one clear error each.
// RUN: not qsl-opt %s --qsl-outliers="max-fraction=1.0" 2>&1 | FileCheck %s --check-prefix=FRAC
// FRAC: error: qsl-outliers: max-fraction must be a fraction in [0, 1), got 1
// RUN: not qsl-opt %s --qsl-outliers="max-fraction=-0.1" 2>&1 | FileCheck %s --check-prefix=FRACNEG
// FRACNEG: error: qsl-outliers: max-fraction must be a fraction in [0, 1), got -0.1
// RUN: not qsl-opt %s --qsl-outliers="threshold=-1" 2>&1 | FileCheck %s --check-prefix=THRESH
// THRESH: error: qsl-outliers: threshold must be >= 0 (relative to the mean sensitivity; inf: no outliers), got -1
// RUN: not qsl-opt %s --qsl-outliers="stat-bits=9" 2>&1 | FileCheck %s --check-prefix=STATBITS
// STATBITS: error: qsl-outliers: stat-bits must be 0 (off) or in [2, 8], got 9
// RUN: not qsl-opt %s --qsl-outliers="stat-bits=3 stat-group=0" 2>&1 | FileCheck %s --check-prefix=STATGROUP
// STATGROUP: error: qsl-outliers: stat-group must be positive, got 0
// RUN: not qsl-opt %s --qsl-outliers="stat-bits=3 group=0" 2>&1 | FileCheck %s --check-prefix=STATPC
// STATPC: error: qsl-outliers: stat-bits quantizes group-wise scales: give a group (group > 0)
// RUN: not qsl-opt %s --qsl-outliers="bits=1" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: qsl-outliers: bits must be between 2 and 8, got 1
// RUN: not qsl-opt %s --qsl-outliers="group=-2" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: qsl-outliers: group must be >= 0 (0: one scale per output channel), got -2
// RUN: not qsl-opt %s --qsl-outliers="range=p99" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qsl-outliers: unknown range 'p99' (expected minmax or mse)
// RUN: not qsl-opt %s --qsl-outliers="outlier-type=f8" 2>&1 | FileCheck %s --check-prefix=OTYPE
// OTYPE: error: qsl-outliers: unknown outlier-type 'f8' (expected f16, bf16 or f32)
// RUN: not qsl-opt %s --qsl-outliers="scale-type=i8" 2>&1 | FileCheck %s --check-prefix=STYPE
// STYPE: error: qsl-outliers: unknown scale-type 'i8' (expected f16, bf16 or f32)
// RUN: not qsl-opt %s --qsl-outliers="damp=-1" 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: qsl-outliers: damp must be >= 0, got -1
// RUN: not qsl-opt %s --qsl-outliers="include=(fc" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: qsl-outliers: invalid include regex '(fc':
// RUN: not qsl-opt %s --qsl-outliers="group=2" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: error: weight 'weight': qsl-outliers needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or pass data-free=true)
// RUN: not qsl-opt %s --qsl-quantize="bits=4 group=2 outliers=0.1" --qsl-outliers="group=2 data-free=true" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: weight 'weight': it already has outliers; qsl-outliers runs once, on dense weights
// RUN: not qsl-opt %s --qsl-quantize="bits=4 group=2" --qsl-outliers="group=2 data-free=true" 2>&1 | FileCheck %s --check-prefix=QUANT
// QUANT: error: weight 'weight': it is already quantized or factored; qsl-outliers quantizes dense weights itself (run it instead of qsl-quantize, or exclude this weight)
// RUN: not qsl-opt %s --qsl-prune="pattern=2:4" --qsl-outliers="group=2 data-free=true" 2>&1 | FileCheck %s --check-prefix=SPARSE
// SPARSE: error: weight 'weight': it is sparse; qsl-outliers is not combined with sparsity (run it without qsl-prune, or exclude this weight)
// A group that does not divide K leaves the weight with a warning.
// RUN: qsl-opt %s --qsl-outliers="group=3 data-free=true" 2>&1 | FileCheck %s --check-prefix=NODIV
// NODIV: warning: {{.*}}group 3 does not divide its reduction dimension K = 4
// NODIV: linalg.matmul
func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
