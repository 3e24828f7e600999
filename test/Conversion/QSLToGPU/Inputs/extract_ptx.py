"""Prints the PTX of every `gpu.binary` object in MLIR text (format=isa):
the assembly string with MLIR's \\XX, \\\\ and \\" escapes undone."""
import re
import sys

text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
found = False
for m in re.finditer(r'assembly = "((?:[^"\\]|\\.)*)"', text):
    found = True
    s = re.sub(r'\\([0-9A-Fa-f]{2}|\\|")',
               lambda g: g.group(1) if g.group(1) in ('\\', '"')
               else chr(int(g.group(1), 16)), m.group(1))
    sys.stdout.write(s)
if not found:
    sys.exit("extract_ptx.py: no gpu.binary assembly found")
