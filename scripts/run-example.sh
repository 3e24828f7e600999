#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs the bundled
# examples:
#  1. an ONNX image classifier (weights in an external data file), compiled
#     by qslc for the CPU, run by qsl-run, compared with onnxruntime;
#  2. a two-layer MLP with int4+low-rank and 2:4+int8 weights in the qsl
#     dialect through qsl-opt: storage report, reference lowering, execution
#     and a comparison with numpy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QSL_BUILD_DIR:-$root/build}
example=${1:-$root/examples/tiny-mlp/tiny-mlp.mlir}
expected=$(dirname "$example")/expected.txt
llvm=/usr/lib/llvm-22

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
qsl_opt="$build/bin/qsl-opt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cnn="$root/examples/onnx-cnn"
echo
echo "== ONNX: qslc $cnn/cnn.onnx --input-shape image=2x3x32x32 -o cnn.mlir"
"$build/bin/qslc" "$cnn/cnn.onnx" --input-shape image=2x3x32x32 -o "$work/cnn.mlir"
echo "== qsl-run cnn.mlir --input input.npz --output probs.npz"
"$build/bin/qsl-run" "$work/cnn.mlir" --input "$cnn/input.npz" --output "$work/probs.npz" \
  --print --repeat 20
python3 "$root/scripts/compare_with_onnxruntime.py" "$cnn/cnn.onnx" "$cnn/input.npz" "$work/probs.npz"

echo
echo "== The GPU path without a GPU: the classifier with int4 weights, its"
echo "   compressed layers as CUDA kernels run on the SIMT emulator"
echo "   (qslc --target=cuda --gpu-format=emulator, qsl-run --device=emulator),"
echo "   against the same compression built for the CPU"
int4=(--input-shape image=2x3x32x32 --pipeline='qsl-quantize{bits=4 group=16}')
"$build/bin/qslc" "$cnn/cnn.onnx" "${int4[@]}" --target=cuda --gpu-format=emulator \
  -o "$work/cnn-gpu.mlir" 2>/dev/null
"$build/bin/qslc" "$cnn/cnn.onnx" "${int4[@]}" -o "$work/cnn-int4.mlir" 2>/dev/null
"$build/bin/qsl-run" "$work/cnn-gpu.mlir" --device=emulator --input "$cnn/input.npz" \
  --output "$work/gpu.npz"
"$build/bin/qsl-run" "$work/cnn-int4.mlir" --input "$cnn/input.npz" --output "$work/int4.npz"
python3 "$root/test/GPU/Inputs/compare_npz.py" "$work/int4.npz" "$work/gpu.npz" \
  --rtol 1e-3 --atol 1e-5

echo
echo "== The qsl dialect: $(basename "$example")"
echo
echo "== Storage of each compressed weight (qsl-storage-report)"
"$qsl_opt" "$example" --qsl-storage-report -mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 \
  | sed -n 's/.*remark: /  /p'

echo
echo "== qsl-lower-to-linalg: the first compressed matmul as dense linalg"
"$qsl_opt" "$example" --qsl-lower-to-linalg --canonicalize -mlir-elide-elementsattrs-if-larger=4 \
  | sed -n '/func.func @mlp/,/linalg.generic/p' | head -20

echo
echo "== Running on the CPU (qsl-cpu-reference-pipeline + mlir-runner)"
out="$work/mlp.out"
"$qsl_opt" "$example" --qsl-cpu-reference-pipeline \
  | "$llvm/bin/mlir-runner" -e main -entry-point-result=void \
      -shared-libs="$llvm/lib/libmlir_runner_utils.so,$llvm/lib/libmlir_c_runner_utils.so" > "$out"
sed -n '/data =/,$p' "$out"
if [ -f "$expected" ]; then
  python3 "$root/scripts/compare_printed.py" "$out" "$expected"
fi
