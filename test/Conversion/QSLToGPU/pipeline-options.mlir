// RUN: not qsl-opt %s --qsl-gpu-pipeline="chip=sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not qsl-opt %s --qsl-gpu-pipeline="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT
// CHIP: Cannot find option named 'sm_70'
// FORMAT: Cannot find option named 'elf'
func.func @empty() {
  return
}
