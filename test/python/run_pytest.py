"""Runs the qsl package's pytest suite (test_*.py beside this file) for
bindings.test: run_pytest.py TEST_DIR TMP_DIR COUNTS_FILE.

Prints pytest's output, writes "N passed, N failed, N skipped" to
COUNTS_FILE (scripts/test.sh adds it to its total) and exits non-zero when
any test failed or errored, or when none ran."""
import os
import sys
import xml.etree.ElementTree as ET

import pytest

test_dir, tmp, counts_file = sys.argv[1:4]
os.makedirs(tmp, exist_ok=True)
junit = os.path.join(tmp, "junit.xml")
status = pytest.main([test_dir, "-v", "-p", "no:cacheprovider", "-rs",
                      f"--basetemp={tmp}/base", f"--junitxml={junit}"])
passed = failed = skipped = 0
if os.path.exists(junit):
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - bad - skip
        failed += bad
        skipped += skip
if status != 0 and failed == 0:
    failed = 1  # collection errors, no tests, an internal error
with open(counts_file, "w") as f:
    f.write(f"{passed} passed, {failed} failed, {skipped} skipped\n")
print(f"pytest: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
