#!/usr/bin/env python3
"""Trains the causal-LM benchmark's GPT on five Jane Austen novels (subword
tokens, see data.py), on CPU with JAX, and saves the weights to out/gpt.npz
(plus out/gpt.json: configuration, tokens, loss log).

    nice -n 19 python3 benchmarks/causal_lm/train.py [--steps N] [--batch B]

Fixed seed: the same command gives the same data order and initialization
(XLA's CPU reductions may still differ in the last bits between machines).
Every --eval-every steps it prints the mean training loss since the last print
and the loss on 32 fixed windows of the held-out novel (Persuasion); the
held-out text is only watched, never used to choose anything.
"""
import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import data
import model

parser = argparse.ArgumentParser()
parser.add_argument("--d-model", type=int, default=384)
parser.add_argument("--layers", type=int, default=6)
parser.add_argument("--heads", type=int, default=6)
parser.add_argument("--ctx", type=int, default=128)
parser.add_argument("--vocab-size", type=int, default=1024)
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--steps", type=int, default=260)
parser.add_argument("--lr", type=float, default=2e-3)
parser.add_argument("--warmup", type=int, default=40)
parser.add_argument("--weight-decay", type=float, default=0.1)
parser.add_argument("--eval-every", type=int, default=20)
parser.add_argument("--max-minutes", type=float, default=38.0,
                    help="stop early (and say so) if training takes longer, e.g. on a busy machine")
parser.add_argument("--stop-after", type=int, default=0,
                    help="stop after this step, the learning-rate schedule still planned for --steps "
                         "(replays a run that --max-minutes stopped)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--deb", help="r-cran-janeaustenr .deb (default: apt-get download)")
parser.add_argument("--out", default=os.path.join(data.OUT, "gpt"))
parser.add_argument("--time-steps", type=int, default=0,
                    help="only time this many steps (after compilation) and exit")
args = parser.parse_args()

books = data.load_books(args.deb)
tok = data.tokenizer(books, args.vocab_size)
vocab = tok.tokens
train = data.train_stream(books, tok)
heldout = data.heldout_windows(books, tok, 32, args.ctx)
print(f"vocabulary {len(vocab)} BPE tokens; train {len(train)} tokens "
      f"({', '.join(data.TRAIN_BOOKS)}); held-out {data.HELDOUT_BOOK} "
      f"{len(data.heldout_stream(books, tok))} tokens", flush=True)

params = model.init_params(jax.random.PRNGKey(args.seed), len(vocab), args.d_model, args.layers, args.ctx)
n_params = sum(int(np.prod(p.shape)) for p in params.values())
n_linear = sum(int(np.prod(p.shape)) for k, p in params.items() if k.endswith("weight"))
print(f"parameters {n_params:,} (linear weights {n_linear:,}); d_model {args.d_model}, "
      f"{args.layers} layers, {args.heads} heads, context {args.ctx}; batch {args.batch}x{args.ctx}, "
      f"{args.steps} steps = {args.steps * args.batch * args.ctx / 1e6:.1f} M tokens "
      f"({args.steps * args.batch * args.ctx / len(train):.2f} epochs)", flush=True)

schedule = optax.warmup_cosine_decay_schedule(0.0, args.lr, args.warmup, args.steps, args.lr / 10)
# AdamW; no weight decay on biases, LayerNorm scales and embeddings.
decay_mask = {k: k.endswith("weight") for k in params}
opt = optax.chain(optax.clip_by_global_norm(1.0),
                  optax.adamw(schedule, b1=0.9, b2=0.99, weight_decay=args.weight_decay, mask=decay_mask))
opt_state = opt.init(params)


def loss_fn(p, ids):
    return model.next_token_nll(model.forward(p, ids, args.layers, args.heads), ids)


@jax.jit
def step(p, state, ids):
    loss, grads = jax.value_and_grad(loss_fn)(p, ids)
    updates, state = opt.update(grads, state, p)
    return optax.apply_updates(p, updates), state, loss


@jax.jit
def eval_loss(p, ids):
    return loss_fn(p, ids)


rng = np.random.default_rng(args.seed)


def batch():
    # windows of ctx tokens; the loss predicts tokens 1..ctx-1
    starts = rng.integers(0, len(train) - args.ctx, args.batch)
    return jnp.asarray(np.stack([train[i:i + args.ctx] for i in starts]))


if args.time_steps:
    params, opt_state, _ = step(params, opt_state, batch())
    t0 = time.perf_counter()
    for _ in range(args.time_steps):
        params, opt_state, loss = step(params, opt_state, batch())
    loss.block_until_ready()
    print(f"{(time.perf_counter() - t0) / args.time_steps:.2f} s/step")
    raise SystemExit

log, running = [], []
t_start = time.perf_counter()
stopped_early = None
for i in range(1, args.steps + 1):
    params, opt_state, loss = step(params, opt_state, batch())
    running.append(loss)
    over_time = i < args.steps and time.perf_counter() - t_start > 60 * args.max_minutes
    if over_time or i == args.stop_after:
        stopped_early = i
    if i % args.eval_every == 0 or i == args.steps or stopped_early:
        train_loss = float(jnp.mean(jnp.stack(running)))
        running = []
        held = float(eval_loss(params, jnp.asarray(heldout)))
        elapsed = time.perf_counter() - t_start
        log.append({"step": i, "train_loss": train_loss, "heldout_loss": held, "seconds": elapsed})
        print(f"step {i:5d}  lr {float(schedule(i)):.2e}  train {train_loss:.4f}  "
              f"held-out {held:.4f} (ppl {np.exp(held):.3f})  {elapsed:.0f} s", flush=True)
    if stopped_early:
        why = f"over --max-minutes {args.max_minutes} (replay: --stop-after {i})" if over_time else "--stop-after"
        print(f"stopped after step {i} of {args.steps}: {why}", flush=True)
        break

os.makedirs(os.path.dirname(args.out), exist_ok=True)
np.savez(args.out + ".npz", **{k: np.asarray(v, np.float32) for k, v in params.items()})
config = {"tokenizer": f"bpe{args.vocab_size}", "vocab": vocab, "d_model": args.d_model, "layers": args.layers, "heads": args.heads,
          "ctx": args.ctx, "parameters": n_params, "train_args": vars(args), "log": log,
          "train_seconds": time.perf_counter() - t_start, "stopped_early_at_step": stopped_early, "jax": jax.__version__}
with open(args.out + ".json", "w") as f:
    json.dump(config, f, indent=1)
print(f"saved {args.out}.npz ({n_params:,} parameters), training {config['train_seconds']:.0f} s", flush=True)
