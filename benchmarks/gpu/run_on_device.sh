#!/usr/bin/env bash
# Packs what a GPU machine without LLVM/MLIR needs to run the kernel
# execution checks (test/GPU/gemv-vs-linalg.mlir: the GEMV; test/GPU/
# gemm-vs-linalg.mlir: the mma.sync GEMM; test/GPU/composed-vs-linalg.mlir:
# the composed GEMV; test/GPU/epilogue-vs-linalg.mlir: fused bias and
# activations) and, on the GPU machine, runs them.
#
#   benchmarks/gpu/run_on_device.sh pack [BUILD_DIR] [OUT_DIR]   (here)
#   OUT_DIR/run.sh                                                 (there)
#
# The package: libqsl_cuda_runtime.so, and per check <name>_gpu (host code +
# sm_90 cubin, linked against the runtime only) and <name>_cpu (the
# qsl-lower-to-linalg reference, same program on the CPU), compare_printed.py,
# run.sh. It needs
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_passes=(--one-shot-bufferize="bufferize-function-boundaries" --gpu-async-region
  --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm
  --expand-strided-metadata --finalize-memref-to-llvm --lower-affine
  --convert-math-to-llvm --convert-math-to-libm --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm
  --reconcile-unrealized-casts)
cp "$build/lib/Runtime/libqsl_cuda_runtime.so" "$out/"
checks=(gemv gemm composed epilogue)
for name in "${checks[@]}"; do
  sed 's/func.func @main()/func.func @qsl_main()/' \
    "$root/test/GPU/$name-vs-linalg.mlir" > "$tmp/$name.mlir"
  "$build/bin/qsl-opt" "$tmp/$name.mlir" --qsl-gpu-pipeline="chip=$chip format=bin" \
    "${host_passes[@]}" -o "$tmp/$name-gpu.mlir"
  "$build/bin/qsl-opt" "$tmp/$name.mlir" --qsl-cpu-reference-pipeline -o "$tmp/$name-cpu.mlir"
  for v in gpu cpu; do
    "$llvm/mlir-translate" --mlir-to-llvmir "$tmp/$name-$v.mlir" -o "$tmp/$name-$v.ll"
    "$llvm/llc" -O2 -filetype=obj -relocation-model=pic "$tmp/$name-$v.ll" -o "$tmp/$name-$v.o"
  done
  cc -O2 "$tmp/$name-gpu.o" "$root/benchmarks/gpu/host_support.c" -L"$out" -lqsl_cuda_runtime \
    -lm -Wl,-rpath,'$ORIGIN' -o "$out/${name}_gpu"
  cc -O2 "$tmp/$name-cpu.o" "$root/benchmarks/gpu/host_support.c" -lm -o "$out/${name}_cpu"
done
cp "$root/test/GPU/Inputs/compare_printed.py" "$out/"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Each kernel family on the GPU vs the CPU reference; compare_printed.py
# prints "N passed, M failed" per family.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
status=0
for name in gemv gemm composed epilogue; do
  echo "== $name"
  "$here/${name}_cpu" > "$here/$name-cpu.txt" || status=1
  "$here/${name}_gpu" > "$here/$name-gpu.txt" || status=1
  python3 "$here/compare_printed.py" "$here/$name-cpu.txt" "$here/$name-gpu.txt" \
    --rtol 1e-4 --atol 1e-5 || status=1
done
exit $status
RUN
chmod +x "$out/run.sh"
du -sh "$out"
echo "package in $out; run $out/run.sh on the GPU machine"
