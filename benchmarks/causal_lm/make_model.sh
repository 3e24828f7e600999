#!/usr/bin/env bash
# Regenerates the causal-LM benchmark's model from nothing: the Jane Austen
# corpus (Debian's r-cran-janeaustenr, via `apt-get download`), its BPE, the
# training of the GPT on CPU with JAX (~25-40 min on 2 cores), and the
# ONNX export checked against JAX in onnxruntime. Everything goes to
# benchmarks/causal_lm/out/ (git-ignored):
#   austen.json  the six novels as text      train.log  the training output
#   bpe1024.json the byte-pair encoding
#   gpt.npz      the trained weights         gpt.json   configuration, vocabulary, loss log
#   gpt.onnx     the model for qslc / onnxruntime
#
#   bash benchmarks/causal_lm/make_model.sh [--deb r-cran-janeaustenr_1.0.0-1_all.deb]
#
# Needs: python3 with numpy, onnx, onnxruntime, and `pip install jax optax`
# (CPU jaxlib); dpkg-deb. Extra arguments go to train.py (e.g. --steps 2 for a smoke run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mkdir -p out
python3 -c "import jax, optax" 2>/dev/null || python3 -m pip install jax optax
nice -n 19 python3 train.py "$@" 2>&1 | tee out/train.log
nice -n 19 python3 export_onnx.py
