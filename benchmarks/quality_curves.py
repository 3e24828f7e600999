#!/usr/bin/env python3
"""Quality against size for every compression method, on MiniLM-L6 (mean
cosine of the sentence embeddings to fp32) and the trained causal LM
(held-out perplexity), QSL's methods next to NNCF's LoRA correction and
mixed precision in the same run.

    python3 benchmarks/quality_curves.py [--model minilm|causal-lm|both]
                                         [--only KEY...] [--plot-only]

Each model's points come from `minilm_quality.py --curves` and
`causal_lm_quality.py --curves` (the points: benchmarks/curve_points.py);
their rows are kept in benchmarks/results/curves-<model>.json, so `--only`
re-measures some points and merges them in, and `--plot-only` redraws from
the kept rows. Writes benchmarks/results/quality-curves.md (the tables) and
quality-curves-<model>.png (matplotlib). x: bits per parameter of the
compressed weights including every side tensor (scales, zero points,
metadata, outliers, factors); fp32 is 32.

The table ends with the issue's bar for `qsl-allocate`: at each budget it
must beat every uniform QSL setting whose size is at most its own.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
results_dir = os.path.join(root, "benchmarks", "results")
SCRIPTS = {"minilm": "minilm_quality.py", "causal-lm": "causal_lm_quality.py"}
# Sizes within this many bits per parameter count as the same size.
SAME_SIZE = 0.02


def json_path(model):
    return os.path.join(results_dir, f"curves-{model}.json")


def measure(model, only, passthrough):
    """Runs the model's script in --curves mode; it merges every row into the
    kept JSON as soon as it is measured (rows with the same key are
    replaced), so an interrupted run keeps what it measured."""
    cmd = [sys.executable, os.path.join(root, "benchmarks", SCRIPTS[model]), "--curves",
           "--json", json_path(model)] + (["--only", *only] if only else []) + passthrough
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def family_of(r):
    if r["family"] == "fp32":
        return None
    return r["family"]


def plot(model, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5.5))
    families = {}
    for r in data["rows"]:
        if r.get("quality") is None or r.get("bits") is None or family_of(r) is None:
            continue
        families.setdefault((r["tool"], r["family"]), []).append(r)
    markers = "os^vD<>ph*xP"
    for i, ((tool, family), rows) in enumerate(sorted(families.items())):
        rows.sort(key=lambda r: r["bits"])
        peer = tool != "QSL"
        # A family whose points are not one trade-off (e.g. corrections on
        # 2- and 3-bit bases) is drawn as points, not as a curve.
        q = [r["quality"] if data["higher_is_better"] else -r["quality"] for r in rows]
        curve = all(a <= b for a, b in zip(q, q[1:]))
        ax.plot([r["bits"] for r in rows], [r["quality"] for r in rows],
                linestyle=("--" if peer else "-") if curve else "none", marker=markers[i % len(markers)],
                label=f"{family} ({tool})" if peer else family, linewidth=2.2 if "allocate" in family else 1.2)
    fp32 = next((r for r in data["rows"] if r["family"] == "fp32" and r.get("quality")), None)
    if fp32 and not data["higher_is_better"]:
        ax.axhline(fp32["quality"], color="grey", linewidth=0.8)
        ax.annotate("fp32", (ax.get_xlim()[0], fp32["quality"]), fontsize=8, color="grey")
    ax.set_xlabel("bits per parameter (all side tensors included)")
    ax.set_ylabel(data["metric"])
    ax.set_title(f"{data['model']}: quality against size")
    if data["higher_is_better"]:
        ax.set_ylim(max(0.0, min(r["quality"] for rs in families.values() for r in rs
                                 if r["bits"] <= 9) - 0.02), 1.0)
    else:
        ref = fp32["quality"] if fp32 else min(r["quality"] for rs in families.values() for r in rs)
        ax.set_ylim(ref * 0.98, ref * 1.5)
    ax.set_xlim(1.5, 9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path = os.path.join(results_dir, f"quality-curves-{model}.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def better(a, b, higher):
    return a > b if higher else a < b


def allocate_checks(data):
    """The bar: each qsl-allocate point beats every uniform QSL setting of at
    most its size."""
    higher = data["higher_is_better"]
    rows = [r for r in data["rows"] if r.get("quality") is not None and r.get("bits") is not None]
    lines = []
    for a in sorted((r for r in rows if "allocate" in r["family"]), key=lambda r: r["bits"]):
        rivals = [r for r in rows if r["tool"] == "QSL" and "allocate" not in r["family"]
                  and r["family"] != "fp32" and r["bits"] <= a["bits"] + SAME_SIZE]
        if not rivals:
            lines.append(f"- `{a['key']}` ({a['bits']:.3f} bits): no uniform setting of its size or smaller")
            continue
        best = max(rivals, key=lambda r: r["quality"] if higher else -r["quality"])
        ok = better(a["quality"], best["quality"], higher)
        lines.append(f"- `{a['key']}` at {a['bits']:.3f} bits/param: {a['quality']:.5f} vs the best "
                     f"uniform setting of at most that size, `{best['key']}` ({best['bits']:.3f} bits) "
                     f"{best['quality']:.5f}: {'met' if ok else 'NOT met'}")
    return lines


def table(model, data):
    higher = data["higher_is_better"]
    lines = [f"## {data['model']}: {data['metric']}", "",
             f"![{model}](quality-curves-{model}.png)", "",
             "| family | tool | key | bits/param | " + data["metric"] + " | pipeline / method | measured |",
             "|---|---|---|---|---|---|---|"]
    rows = sorted(data["rows"], key=lambda r: (r["tool"] != "QSL", r["family"], r.get("bits") or 99))
    for r in rows:
        method = r["method"].replace("|", "\\|")
        method = f"`{method}`" if r["tool"] == "QSL" and r["family"] != "fp32" else method
        if r.get("quality") is None:
            note = str(r.get("note", "")).replace("|", "\\|").replace("\n", " ")[:300]
            lines.append(f"| {r['family']} | {r['tool']} | {r['key']} | | n/a: {note} | {method} | |")
            continue
        q = f"{r['quality']:.5f}" if higher else f"{r['quality']:.3f}"
        bits = "" if r.get("bits") is None else f"{r['bits']:.3f}"
        lines.append(f"| {r['family']} | {r['tool']} | {r['key']} | {bits} | {q} | {method} | "
                     f"{r.get('date', '')} {r.get('commit', '')} |")
    checks = allocate_checks(data)
    if checks:
        lines += ["", "qsl-allocate against uniform settings of the same size:", ""] + checks
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["minilm", "causal-lm", "both"], default="both")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="re-measure only these points (substrings)")
    parser.add_argument("--plot-only", action="store_true", help="redraw from the kept JSON rows")
    args, passthrough = parser.parse_known_args()
    models = list(SCRIPTS) if args.model == "both" else [args.model]
    os.makedirs(results_dir, exist_ok=True)
    if not args.plot_only:
        for m in models:
            measure(m, args.only, passthrough)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    lines = ["# Quality against size: every method, QSL and NNCF", "",
             f"Command: `python3 benchmarks/quality_curves.py` (points: benchmarks/curve_points.py; "
             f"each row says the date and commit it was measured at; {cpu}, {os.cpu_count()} cores). "
             "Data, calibration and evaluation are those of benchmarks/minilm_quality.py and "
             "benchmarks/causal_lm_quality.py (see their results pages); the causal LM's lm head "
             "stays fp32 and QSL passes get `exclude=lm_head`. Bits/param: the compressed weights' "
             "bytes (QSL: `--report`, every side tensor included; NNCF: the change in OpenVINO "
             "constant bytes, its LoRA adapters and int8 backup layers included) x 8 / their "
             "parameters. NNCF runs in its OpenVINO backend with f32 inference.", ""]
    for m in models if not args.plot_only else [m for m in SCRIPTS if os.path.exists(json_path(m))]:
        with open(json_path(m)) as f:
            data = json.load(f)
        plot(m, data)
        lines += table(m, data) + [""]
    path = os.path.join(results_dir, "quality-curves.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
