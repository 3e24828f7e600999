// Bad options and missing statistics give one clear error each.
// RUN: not qsl-opt %s --qsl-quantize="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: qsl-quantize: bits must be between 2 and 8, got 9
// RUN: not qsl-opt %s --qsl-quantize="method=awq2" 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: error: qsl-quantize: unknown method 'awq2' (expected rtn, mse, gptq, awq, squeezellm or kmeans)
// RUN: not qsl-opt %s --qsl-quantize="group=-4" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: qsl-quantize: group must be >= 0 (0: one scale per output channel), got -4
// RUN: not qsl-opt %s --qsl-quantize="scale-type=f8" 2>&1 | FileCheck %s --check-prefix=SCALE
// SCALE: error: qsl-quantize: unknown scale-type 'f8' (expected f16, bf16 or f32)
// RUN: not qsl-opt %s --qsl-quantize="method=rtn act-order=true" 2>&1 | FileCheck %s --check-prefix=ACTORDER
// ACTORDER: error: qsl-quantize: act-order applies to method=gptq only
// RUN: not qsl-opt %s --qsl-quantize="outliers=1.5" 2>&1 | FileCheck %s --check-prefix=OUTLIERS
// OUTLIERS: error: qsl-quantize: outliers must be a fraction in [0, 1), got 1.5
// RUN: not qsl-opt %s --qsl-quantize="outliers=0.01 outlier-select=largest" 2>&1 | FileCheck %s --check-prefix=OSELECT
// OSELECT: error: qsl-quantize: unknown outlier-select 'largest' (expected magnitude or sensitivity)
// RUN: not qsl-opt %s --qsl-quantize="outliers=0.01 outlier-select=sensitivity outlier-threshold=-1" 2>&1 | FileCheck %s --check-prefix=OTHRESH
// OTHRESH: error: qsl-quantize: outlier-threshold must be >= 0, got -1
// A data-free sensitivity choice (no calibration: uniform weights) on this
// 4x4 weight with one group per row keeps 2 of 16 elements.
// RUN: qsl-opt %s --qsl-quantize="outliers=0.125 outlier-select=sensitivity method=rtn group=0" | FileCheck %s --check-prefix=ORTN
// ORTN: outliers = <count = 2, type = f16>
// RUN: not qsl-opt %s --qsl-quantize="range=p99" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qsl-quantize: unknown range 'p99' (expected minmax or mse)
// RUN: not qsl-opt %s --qsl-quantize="include=(fc" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: qsl-quantize: invalid include regex '(fc':
// RUN: not qsl-opt %s --qsl-quantize="group=2 method=gptq" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: error: weight 'weight': method=gptq needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=rtn)
// RUN: not qsl-opt %s --qsl-quantize="group=2 method=awq" 2>&1 | FileCheck %s --check-prefix=AWQSTATS
// AWQSTATS: error: weight 'weight': method=awq needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=rtn)
// RUN: not qsl-opt %s --qsl-quantize="method=awq outliers=0.01" 2>&1 | FileCheck %s --check-prefix=AWQOUT
// AWQOUT: error: qsl-quantize: outliers=... is not combined with method=awq yet
// RUN: not qsl-opt %s --qsl-prune="pattern=3:2" 2>&1 | FileCheck %s --check-prefix=NM
// NM: error: qsl-prune: bad pattern '3:2': N:M needs 0 < N < M
// RUN: not qsl-opt %s --qsl-prune="pattern=block:0x4" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: qsl-prune: bad pattern 'block:0x4': expected block:RxC with positive R and C
// RUN: not qsl-opt %s --qsl-prune="pattern=dense" 2>&1 | FileCheck %s --check-prefix=PATTERN
// PATTERN: error: qsl-prune: bad pattern 'dense': expected unstructured, N:M (such as 2:4) or block:RxC
// RUN: not qsl-opt %s --qsl-prune="pattern=unstructured sparsity=1.0" 2>&1 | FileCheck %s --check-prefix=SPARSITY
// SPARSITY: error: qsl-prune: sparsity must be in [0, 1), got 1
// RUN: not qsl-opt %s --qsl-prune="method=obs" 2>&1 | FileCheck %s --check-prefix=PMETHOD
// PMETHOD: error: qsl-prune: unknown method 'obs' (expected magnitude, wanda or sparsegpt)
// RUN: not qsl-opt %s --qsl-prune="refine=swap" 2>&1 | FileCheck %s --check-prefix=REFINE
// REFINE: error: qsl-prune: unknown refine 'swap' (expected dsnot)
// RUN: not qsl-opt %s --qsl-prune="damp=-1" 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: qsl-prune: damp must be >= 0, got -1
// RUN: not qsl-opt %s --qsl-quantize="block-size=0" 2>&1 | FileCheck %s --check-prefix=BLOCKSIZE
// BLOCKSIZE: error: qsl-quantize: block-size must be >= 1, got 0
// RUN: not qsl-opt %s --qsl-prune="method=wanda" 2>&1 | FileCheck %s --check-prefix=WANDA
// WANDA: error: weight 'weight': method=wanda needs calibration statistics
// RUN: not qsl-opt %s --qsl-factorize="rank=2 energy=0.9" 2>&1 | FileCheck %s --check-prefix=FBOTH
// FBOTH: error: qsl-factorize: give either rank (> 0) or energy (in (0, 1]), not both
// RUN: not qsl-opt %s --qsl-factorize 2>&1 | FileCheck %s --check-prefix=FNONE
// FNONE: error: qsl-factorize: give either rank (> 0) or energy (in (0, 1]), not neither
// RUN: not qsl-opt %s --qsl-factorize="rank=1 method=eigen" 2>&1 | FileCheck %s --check-prefix=FMETHOD
// FMETHOD: error: qsl-factorize: unknown method 'eigen' (expected svd, whitened or fisher)
// RUN: not qsl-opt %s --qsl-factorize="rank=1 method=fisher" 2>&1 | FileCheck %s --check-prefix=FFISHER
// FFISHER: error: qsl-factorize: method=fisher needs fisher=FILE.npz (the Fisher information of each weight, keyed by name)
// RUN: not qsl-opt %s --qsl-factorize="energy=1.5" 2>&1 | FileCheck %s --check-prefix=FENERGY
// FENERGY: error: qsl-factorize: energy must be in [0, 1], got 1.5
// RUN: not qsl-opt %s --qsl-factorize="rank=1 type=f8" 2>&1 | FileCheck %s --check-prefix=FTYPE
// FTYPE: error: qsl-factorize: unknown type 'f8' (expected f16, bf16 or f32)
// RUN: not qsl-opt %s --qsl-factorize="rank=1 method=whitened" 2>&1 | FileCheck %s --check-prefix=FSTATS
// FSTATS: error: weight 'weight': method=whitened needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=svd)
// A rank whose factors are not smaller than the weight skips it.
// RUN: qsl-opt %s --qsl-factorize="rank=2 type=f32" 2>&1 | FileCheck %s --check-prefix=FLARGE
// FLARGE: warning: weight 'weight' left as it is: rank 2 factors would not be smaller than the dense 4x4 weight (break-even rank 1)
// RUN: not qsl-opt %s --qsl-compensate="rank=0" 2>&1 | FileCheck %s --check-prefix=CRANK
// CRANK: error: qsl-compensate: rank must be >= 1, got 0
// RUN: not qsl-opt %s --qsl-compensate="method=lora" 2>&1 | FileCheck %s --check-prefix=CMETHOD
// CMETHOD: error: qsl-compensate: unknown method 'lora' (expected svd, lqer or eora)
// RUN: qsl-opt %s --qsl-compensate="rank=1" 2>&1 | FileCheck %s --check-prefix=CDENSE
// CDENSE: warning: weight 'weight' left as it is: it is not compressed; run qsl-quantize or qsl-prune before qsl-compensate
// RUN: not qsl-opt %s --qsl-quantize="bits=4 group=0" --qsl-compensate="rank=1 method=eora" 2>&1 | FileCheck %s --check-prefix=CSTATS
// CSTATS: error: weight 'weight': method=eora needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=svd)
// RUN: qsl-opt %s --qsl-quantize="bits=4 group=0" --qsl-compensate="rank=1 method=svd" --qsl-compensate="rank=1 method=svd" 2>&1 | FileCheck %s --check-prefix=CTWICE
// CTWICE-NOT: warning
// CTWICE: lowrank = <rank = 2, type = f16>
// A second correction must keep the facet's type.
// RUN: qsl-opt %s --qsl-quantize="bits=4 group=0" --qsl-compensate="rank=1 method=svd" --qsl-compensate="rank=1 method=svd type=f32" 2>&1 | FileCheck %s --check-prefix=CTYPE
// CTYPE: warning: weight 'weight' left as it is: its lowrank facet is f16 and type=f32 cannot merge into it
// A pattern that does not fit a weight skips it with a warning naming it.
// RUN: qsl-opt %s --qsl-prune="pattern=4:8" 2>&1 | FileCheck %s --check-prefix=SKIP
// SKIP: warning: weight 'weight' left as it is:
// SKIP: linalg.matmul
func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
