"""The corpus of the causal-LM benchmark: Jane Austen's six novels as shipped
by Debian's r-cran-janeaustenr (Project Gutenberg texts, public domain; read
without R by benchmarks/data/extract_sentences.py), as subword tokens of a
byte-pair encoding learnt here on the training novels (1024 tokens, about 3
characters each).

Split: five novels train the model (and the BPE) and give the calibration
text; Persuasion, a whole novel the model never trains on, is the held-out
text.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
OUT = os.path.join(here, "out")            # git-ignored: corpus cache, weights, ONNX
sys.path.insert(0, os.path.join(root, "benchmarks", "data"))

TRAIN_BOOKS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey"]
HELDOUT_BOOK = "persuasion"


def paragraphs_text(lines):
    """A novel as running text: the hard-wrapped lines of a paragraph joined by
    one space, paragraphs separated by one newline."""
    paras, cur = [], []
    for line in list(lines) + [""]:
        line = (line or "").strip()
        if line:
            cur.append(" ".join(line.split()))
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    return "\n".join(paras) + "\n"


def load_books(deb=None):
    """{book: text}; cached in out/austen.json after the first call, which
    downloads the .deb with `apt-get download` (or reads `deb`)."""
    cache = os.path.join(OUT, "austen.json")
    if os.path.exists(cache):
        with open(cache) as f:
            return json.load(f)
    from extract_sentences import read_books  # the R lazy-load database reader
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        if deb is None:
            subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=d, check=True)
            deb = next(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".deb"))
        subprocess.run(["dpkg-deb", "-x", os.path.abspath(deb), os.path.join(d, "pkg")], check=True)
        data = os.path.join(d, "pkg", "usr", "lib", "R", "site-library", "janeaustenr", "data")
        books = {name: paragraphs_text(lines) for name, lines in read_books(data).items()}
    assert set(books) == set(TRAIN_BOOKS + [HELDOUT_BOOK]), sorted(books)
    with open(cache, "w") as f:
        json.dump(books, f)
    return books


def vocabulary(books):
    """Every character of the six novels, sorted (the held-out novel has no
    unknown characters)."""
    return "".join(sorted(set("".join(books.values()))))


def train_stream(books, tok):
    return np.concatenate([tok.encode(books[b]) for b in TRAIN_BOOKS])


def heldout_stream(books, tok):
    return tok.encode(books[HELDOUT_BOOK])


def heldout_windows(books, tok, n, seq):
    """n consecutive, non-overlapping windows of seq tokens from the start of
    Persuasion: [n, seq] int64."""
    s = heldout_stream(books, tok)
    assert n * seq <= len(s), f"Persuasion has {len(s)} tokens, asked for {n * seq}"
    return s[:n * seq].reshape(n, seq).astype(np.int64)


def calibration_windows(books, tok, n, seq, seed=1234):
    """n windows of seq tokens of the training novels at sorted random offsets
    (fixed seed): [n, seq] int64."""
    s = train_stream(books, tok)
    starts = np.sort(np.random.default_rng(seed).choice(len(s) - seq, n, replace=False))
    return np.stack([s[i:i + seq] for i in starts]).astype(np.int64)


# --- Subword tokens: byte-pair encoding learnt on the training novels ---------------

PRETOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def learn_bpe(books, vocab_size):
    """GPT-2-style BPE: the texts are cut into pre-tokens (a word with its
    leading space, a run of digits or of punctuation, white space); starting
    from single characters (every character of the six novels), the most
    frequent adjacent pair inside pre-tokens of the *training* novels is merged
    until vocab_size tokens; ties go to the smallest pair. Deterministic."""
    alphabet = vocabulary(books)
    counts = collections.Counter()
    for b in TRAIN_BOOKS:
        counts.update(PRETOKEN.findall(books[b]))
    words = [[tuple(w), n] for w, n in counts.items()]
    merges = []
    pairs = collections.Counter()
    for w, n in words:
        for p in zip(w, w[1:]):
            pairs[p] += n
    while len(alphabet) + len(merges) < vocab_size and pairs:
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for entry in words:
            w, n = entry
            if len(w) < 2 or best[0] not in w:
                continue
            out, i, changed = [], 0, False
            while i < len(w):
                if i + 1 < len(w) and w[i] == best[0] and w[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                    changed = True
                else:
                    out.append(w[i])
                    i += 1
            if changed:
                for p in zip(w, w[1:]):
                    pairs[p] -= n
                for p in zip(out, out[1:]):
                    pairs[p] += n
                entry[0] = tuple(out)
        pairs = +pairs  # drop zero counts
    return {"alphabet": alphabet, "merges": [list(m) for m in merges]}


class Tokenizer:
    def __init__(self, spec):
        self.tokens = list(spec["alphabet"]) + [a + b for a, b in spec["merges"]]
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.rank = {tuple(m): r for r, m in enumerate(spec["merges"])}
        self.cache = {}

    def encode_word(self, w):
        if w in self.cache:
            return self.cache[w]
        parts = list(w)
        while len(parts) > 1:
            ranked = [(self.rank.get((a, b), len(self.rank)), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            r, i = min(ranked)
            if r == len(self.rank):
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        ids = [self.ids[p] for p in parts]
        self.cache[w] = ids
        return ids

    def encode(self, text):
        out = []
        for w in PRETOKEN.findall(text):
            out.extend(self.encode_word(w))
        return np.array(out, np.int32)

    def decode(self, ids):
        return "".join(self.tokens[i] for i in ids)

    def char_lengths(self):
        return np.array([len(t) for t in self.tokens], np.int64)


def tokenizer(books, vocab_size=1024):
    """The BPE of learn_bpe, cached in out/bpe<vocab_size>.json."""
    cache = os.path.join(OUT, f"bpe{vocab_size}.json")
    if not os.path.exists(cache):
        os.makedirs(OUT, exist_ok=True)
        with open(cache, "w") as f:
            json.dump(learn_bpe(books, vocab_size), f)
    with open(cache) as f:
        return Tokenizer(json.load(f))
