#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the bundled
# example (a two-layer MLP with int4+low-rank and 2:4+int8 weights) through
# qsl-opt: storage report, reference lowering to the CPU, execution, and a
# comparison with numpy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QSL_BUILD_DIR:-$root/build}
example=${1:-$root/examples/tiny-mlp/tiny-mlp.mlir}
expected=$(dirname "$example")/expected.txt
llvm=/usr/lib/llvm-22

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
qsl_opt="$build/bin/qsl-opt"

echo
echo "== Storage of each compressed weight (qsl-storage-report)"
"$qsl_opt" "$example" --qsl-storage-report -mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 \
  | sed -n 's/.*remark: /  /p'

echo
echo "== qsl-lower-to-linalg: the first compressed matmul as dense linalg"
"$qsl_opt" "$example" --qsl-lower-to-linalg --canonicalize -mlir-elide-elementsattrs-if-larger=4 \
  | sed -n '/func.func @mlp/,/linalg.generic/p' | head -40

echo
echo "== Running on the CPU (qsl-cpu-reference-pipeline + mlir-runner)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$qsl_opt" "$example" --qsl-cpu-reference-pipeline \
  | "$llvm/bin/mlir-runner" -e main -entry-point-result=void \
      -shared-libs="$llvm/lib/libmlir_runner_utils.so,$llvm/lib/libmlir_c_runner_utils.so" > "$out"
sed -n '/data =/,$p' "$out"
if [ -f "$expected" ]; then
  python3 "$root/scripts/compare_printed.py" "$out" "$expected"
fi
