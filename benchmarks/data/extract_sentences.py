#!/usr/bin/env python3
"""Regenerates eval.txt and calib.txt in this folder: English sentences from
Jane Austen's six novels, as shipped by Debian's r-cran-janeaustenr package
(the Project Gutenberg texts, public domain; the package itself is MIT).

    python3 benchmarks/data/extract_sentences.py            # downloads the .deb to a temp dir
    python3 benchmarks/data/extract_sentences.py --deb r-cran-janeaustenr_1.0.0-1_all.deb

Needs `apt-get download` (or a .deb given with --deb) and dpkg-deb; R is not
needed: the package's lazy-load database (data/Rdata.rdx, data/Rdata.rdb) is
read here directly. The output depends only on the package contents and the
MiniLM vocabulary (used to keep sentences that fit the benchmark's sequence
length), so it is the same on every machine.
"""
import argparse
import gzip
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(root, "models", "minilm"))
from build_onnx import tokenize  # noqa: E402

N_EVAL, N_CALIB = 384, 160
MIN_WORDS, MAX_WORDS, MAX_TOKENS = 8, 30, 32   # MAX_TOKENS counts [CLS] and [SEP]
ABBREVIATIONS = {"mr", "mrs", "dr", "st", "col", "capt", "rev", "messrs", "esq", "no"}


def unpack_deb(deb, out):
    if deb is None:
        subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=out, check=True)
        deb = next(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".deb"))
    subprocess.run(["dpkg-deb", "-x", deb, os.path.join(out, "pkg")], check=True)
    return os.path.join(out, "pkg", "usr", "lib", "R", "site-library", "janeaustenr", "data")


class RReader:
    """Just enough of R's XDR serialization format (version 2/3) to read the
    index (a named list of integer offset pairs) and character vectors."""

    def __init__(self, data):
        assert data[:2] == b"X\n", "not an XDR-serialized R object"
        self.d, self.p = data, 2
        version = self.int()
        self.int(), self.int()                       # R version, minimal version
        if version == 3:
            n = self.int()                           # native encoding name
            self.p += n
        self.symbols = []

    def int(self):
        v = struct.unpack(">i", self.d[self.p:self.p + 4])[0]
        self.p += 4
        return v

    def read(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == 0xFE:                             # NILVALUE_SXP
            return None
        if kind == 0xFF:                             # REFSXP (back-reference to a symbol)
            return self.symbols[(flags >> 8) - 1]
        if kind == 1:                                # SYMSXP
            name = self.read()
            self.symbols.append(name)
            return name
        if kind == 9:                                # CHARSXP
            n = self.int()
            if n < 0:
                return None
            s = self.d[self.p:self.p + n].decode("utf-8")
            self.p += n
            return s
        if kind == 2:                                # LISTSXP (pairlist, attributes)
            out = {}
            while kind == 2:
                if has_attr:
                    self.read()
                tag = self.read() if has_tag else None
                out[tag] = self.read()
                flags = self.int()
                kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
            assert kind == 0xFE
            return out
        n = self.int()
        if kind in (10, 13):                         # LGLSXP, INTSXP
            value = list(struct.unpack(f">{n}i", self.d[self.p:self.p + 4 * n]))
            self.p += 4 * n
        elif kind in (16, 19):                       # STRSXP, VECSXP
            value = [self.read() for _ in range(n)]
        else:
            raise ValueError(f"unhandled R type {kind}")
        if has_attr:
            attrs = self.read()
            if "names" in attrs:
                value = dict(zip(attrs["names"], value))
        return value


def read_books(data_dir):
    index = RReader(gzip.decompress(open(os.path.join(data_dir, "Rdata.rdx"), "rb").read())).read()
    db = open(os.path.join(data_dir, "Rdata.rdb"), "rb").read()
    books = {}
    for name, (offset, length) in index["variables"].items():
        blob = db[offset:offset + length]          # 4-byte length, then a zlib stream
        books[name] = RReader(zlib.decompress(blob[4:])).read()
    return books


def sentences(lines):
    """Paragraphs (blank-line separated) joined, italics marks dropped, then
    split after . ! ? (and a closing quote) before a capital or an opening
    quote, except after the usual abbreviations (Mr. Mrs. ...)."""
    paragraphs, cur = [], []
    for line in lines + [""]:
        if line and line.strip():
            cur.append(line.strip())
        elif cur:
            paragraphs.append(" ".join(cur))
            cur = []
    for para in paragraphs:
        para = para.replace("_", "")
        if para.isupper() or para.startswith(("CHAPTER", "VOLUME", "Chapter")):
            continue
        start = 0
        for m in re.finditer(r'[.!?]["\')]?\s+(?=["\']?[A-Z])', para):
            word = re.findall(r"(\w+)\.$", para[start:m.start() + 1])
            if word and word[0].lower() in ABBREVIATIONS:
                continue
            yield para[start:m.end()].strip()
            start = m.end()
        yield para[start:].strip()


def keep(s):
    words = s.split()
    return (MIN_WORDS <= len(words) <= MAX_WORDS and s.isascii() and s.count('"') % 2 == 0
            and re.match(r'^["\']?[A-Z]', s) and re.search(r'[.!?]["\')]?$', s)
            and "--" not in s and not re.search(r"\d", s))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb", help="r-cran-janeaustenr .deb (default: apt-get download it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        books = read_books(unpack_deb(os.path.abspath(args.deb) if args.deb else None, d))
    pool = {}
    for name in sorted(books):
        for s in sentences([l or "" for l in books[name]]):
            if keep(s):
                pool.setdefault(s, name)
    # Deterministic, library-independent order: by SHA-256 of the sentence.
    ranked = sorted(pool, key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    lengths = tokenize(ranked, 512)["attention_mask"].sum(1)
    ranked = [s for s, n in zip(ranked, lengths) if n <= MAX_TOKENS]
    chosen = {"eval.txt": ranked[:N_EVAL], "calib.txt": ranked[N_EVAL:N_EVAL + N_CALIB]}
    for fname, rows in chosen.items():
        with open(os.path.join(here, fname), "w") as f:
            f.write("# Jane Austen's novels (public domain), Debian package r-cran-janeaustenr "
                    "1.0.0-1; regenerate with benchmarks/data/extract_sentences.py\n")
            f.write("\n".join(rows) + "\n")
        per_book = {}
        for s in rows:
            per_book[pool[s]] = per_book.get(pool[s], 0) + 1
        print(f"{fname}: {len(rows)} sentences of {len(pool)} candidates, by book {per_book}")


if __name__ == "__main__":
    main()
