#!/usr/bin/env bash
# Configures and builds QSL against Debian's LLVM/MLIR 22 (libMLIR.so).
# Usage: scripts/build.sh            (build dir: ./build, or $QSL_BUILD_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QSL_BUILD_DIR:-$root/build}
llvm=/usr/lib/llvm-22
python=$(python3 -c 'import sys; print(sys.executable)')

cmake -G Ninja -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR="$llvm/lib/cmake/mlir" \
  -DLLVM_EXTERNAL_LIT="$llvm/bin/lit" \
  -DPython3_EXECUTABLE="$python" >/dev/null
cmake --build "$build"
