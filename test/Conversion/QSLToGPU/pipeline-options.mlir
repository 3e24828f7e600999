// RUN: not qsl-opt %s --qsl-gpu-pipeline="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not qsl-opt %s --qsl-gpu-pipeline="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT
// CHIP: Cannot find option named 'sm_70'
// FORMAT: Cannot find option named 'elf'
func.func @empty() {
  return
}
// Bad kernel options are errors, not crashes.
// RUN: not qsl-opt %s --qsl-lower-to-gpu="warps=0" 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: not qsl-opt %s --qsl-gpu-pipeline="warps=33" 2>&1 | FileCheck %s --check-prefix=WARPS33
// RUN: not qsl-opt %s --qsl-lower-to-gpu="max-batch=-1" 2>&1 | FileCheck %s --check-prefix=BATCH
// WARPS: error: qsl-lower-to-gpu: warps must be in [1, 32], got 0
// WARPS33: error: qsl-lower-to-gpu: warps must be in [1, 32], got 33
// RUN: not qsl-opt %s --qsl-gpu-pipeline="mma-prefetch=9" 2>&1 | FileCheck %s --check-prefix=PREFETCH
// PREFETCH: error: qsl-lower-to-gpu: mma-prefetch must be in [0, 8], got 9
// BATCH: error: qsl-lower-to-gpu: max-batch must be >= 0, got -1
// RUN: not qsl-opt %s --qsl-gpu-pipeline="mma-a-stages=1" 2>&1 | FileCheck %s --check-prefix=STAGES1
// RUN: not qsl-opt %s --qsl-lower-to-gpu="mma-a-stages=9" 2>&1 | FileCheck %s --check-prefix=STAGES9
// STAGES1: error: qsl-lower-to-gpu: mma-a-stages must be 0 or in [2, 8], got 1
// STAGES9: error: qsl-lower-to-gpu: mma-a-stages must be 0 or in [2, 8], got 9
