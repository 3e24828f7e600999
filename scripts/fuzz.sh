#!/usr/bin/env bash
# Fuzzes the ONNX importer with libFuzzer + AddressSanitizer for a while.
# Usage: scripts/fuzz.sh [SECONDS]   (default 180)
# Builds with clang into build-fuzz/, seeds a corpus with the models the
# tests generate (valid and malformed), and runs qsl-import-fuzzer. Crash
# reproducers land in build-fuzz/fuzz-artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-180}
build="$root/build-fuzz"
llvm=/usr/lib/llvm-22
python=$(python3 -c 'import sys; print(sys.executable)')
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMLIR_DIR="$llvm/lib/cmake/mlir" -DLLVM_EXTERNAL_LIT="$llvm/bin/lit" \
  -DPython3_EXECUTABLE="$python" -DQSL_BUILD_FUZZER=ON >/dev/null
cmake --build "$build" --target qsl-import-fuzzer
corpus="$build/fuzz-corpus"
mkdir -p "$corpus" "$build/fuzz-artifacts"
python3 "$root/test/Import/ONNX/Inputs/make_bad_models.py" "$corpus" >/dev/null
cp "$root/examples/onnx-cnn/cnn.onnx" "$corpus/"
find "$corpus" -type f ! -name '*.onnx' -delete
# Leaks are reported too; a run ends after `seconds` or at the first bug.
"$build/tools/qsl-import-fuzzer/qsl-import-fuzzer" "$corpus" -max_total_time="$seconds" \
  -artifact_prefix="$build/fuzz-artifacts/" -rss_limit_mb=4096 -timeout=20 \
  -print_final_stats=1
