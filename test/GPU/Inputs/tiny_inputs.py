"""Inputs of the tiny transformer (models/minilm/build_onnx.py --tiny): two
sequences of 32 seeded random token ids, the second padded after 20."""
import sys

import numpy as np

rng = np.random.default_rng(1)
ids = rng.integers(1, 512, (2, 32)).astype(np.int64)
mask = np.ones((2, 32), np.int64)
mask[1, 20:] = 0
np.savez(sys.argv[1], input_ids=ids, attention_mask=mask,
         token_type_ids=np.zeros_like(ids))
