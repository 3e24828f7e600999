#!/usr/bin/env bash
# Packs what a GPU machine without LLVM/MLIR needs to run the GEMV
# execution check (test/GPU/gemv-vs-linalg.mlir) and, on the GPU machine,
# runs it.
#
#   benchmarks/gpu/run_on_device.sh pack [BUILD_DIR] [OUT_DIR]   (here)
#   OUT_DIR/run.sh                                                 (there)
#
# The package: libqsl_cuda_runtime.so, gemv_gpu (host code + sm_90 cubin,
# linked against the runtime only), gemv_cpu (the qsl-lower-to-linalg
# reference, same program on the CPU), compare_printed.py, run.sh. It needs
# the CUDA driver (libcuda.so.1) and python3 there, nothing else.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-pack}
build=${2:-$root/build}
out=${3:-$root/build/gpu-package}
chip=${QSL_GPU_CHIP:-sm_90}
llvm=/usr/lib/llvm-22/bin

[ "$mode" = pack ] || { echo "usage: $0 pack [BUILD_DIR] [OUT_DIR]" >&2; exit 2; }
mkdir -p "$out"
src=$root/test/GPU/gemv-vs-linalg.mlir
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/func.func @main()/func.func @qsl_main()/' "$src" > "$tmp/prog.mlir"

host_passes=(--one-shot-bufferize="bufferize-function-boundaries" --gpu-async-region
  --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm
  --expand-strided-metadata --finalize-memref-to-llvm --lower-affine
  --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm
  --reconcile-unrealized-casts)
"$build/bin/qsl-opt" "$tmp/prog.mlir" --qsl-gpu-pipeline="chip=$chip format=bin" \
  "${host_passes[@]}" -o "$tmp/gpu.mlir"
"$build/bin/qsl-opt" "$tmp/prog.mlir" --qsl-cpu-reference-pipeline -o "$tmp/cpu.mlir"
for v in gpu cpu; do
  "$llvm/mlir-translate" --mlir-to-llvmir "$tmp/$v.mlir" -o "$tmp/$v.ll"
  "$llvm/llc" -O2 -filetype=obj -relocation-model=pic "$tmp/$v.ll" -o "$tmp/$v.o"
done
cp "$build/lib/Runtime/libqsl_cuda_runtime.so" "$out/"
cc -O2 "$tmp/gpu.o" "$root/benchmarks/gpu/host_support.c" -L"$out" -lqsl_cuda_runtime \
  -Wl,-rpath,'$ORIGIN' -o "$out/gemv_gpu"
cc -O2 "$tmp/cpu.o" "$root/benchmarks/gpu/host_support.c" -lm -o "$out/gemv_cpu"
cp "$root/test/GPU/Inputs/compare_printed.py" "$out/"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# GEMV kernels on the GPU vs the CPU reference; prints "N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/gemv_cpu" > "$here/cpu.txt"
"$here/gemv_gpu" > "$here/gpu.txt"
python3 "$here/compare_printed.py" "$here/cpu.txt" "$here/gpu.txt" --rtol 1e-5 --atol 1e-6
RUN
chmod +x "$out/run.sh"
du -sh "$out"
echo "package in $out; run $out/run.sh on the GPU machine"
