"""Writes the object of the first `gpu.binary` in MLIR text (format=bin:
`bin = "..."`) as raw bytes: the cubin a driver loads with cuModuleLoadData.

    extract_binary.py MODULE.mlir OUT.cubin
"""
import re
import sys

text = open(sys.argv[1]).read()
m = re.search(r'\bbin = "((?:[^"\\]|\\.)*)"', text)
if not m:
    sys.exit("extract_binary.py: no gpu.binary with bin = \"...\" (format=bin) found")
out = bytearray()
s, i = m.group(1), 0
while i < len(s):
    if s[i] == "\\":
        nxt = s[i + 1]
        if nxt in '\\"':
            out.append(ord(nxt))
            i += 2
        else:
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
    else:
        out.extend(s[i].encode("latin-1"))
        i += 1
open(sys.argv[2], "wb").write(bytes(out))
