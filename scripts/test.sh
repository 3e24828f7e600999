#!/usr/bin/env bash
# README command 2: installs what is missing, builds, and runs every test.
# Ends with one line "total: N passed, N failed, N skipped".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QSL_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh" || exit 1
bash "$root/scripts/build.sh" || exit 1
cmake --build "$build" --target qsl-test-depends || exit 1

passed=0 failed=0 skipped=0
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# lit: dialect, passes, CPU execution, numpy-referenced numerics.
# test/python/bindings.test also runs the Python package's pytest suite and
# leaves its counts in pytest-counts.
pytest_counts="$build/test/python/pytest-counts"
rm -f "$pytest_counts"
/usr/lib/llvm-22/bin/lit -sv "$build/test" | tee "$summary"
count() { sed -nE "s/^ *$1 *: *([0-9]+).*/\1/p" "$summary" | head -1; }
lit_passed=$(( $(count Passed || true) + 0 ))
lit_failed=$(( $(count Failed || true) + $(count Unresolved || true) + $(count 'Timed Out' || true) + $(count 'Unexpectedly Passed' || true) + 0 ))
lit_skipped=$(( $(count Unsupported || true) + $(count 'Expectedly Failed' || true) + 0 ))
if [ "$lit_passed" -eq 0 ] && [ "$lit_failed" -eq 0 ]; then
  echo "lit ran no test" >&2
  lit_failed=1
fi
echo "lit: $lit_passed passed, $lit_failed failed, $lit_skipped skipped"
passed=$((passed + lit_passed)); failed=$((failed + lit_failed)); skipped=$((skipped + lit_skipped))

# pytest (the qsl package, run inside bindings.test): its tests count one by one.
if [ -f "$pytest_counts" ]; then
  read -r py_passed _ py_failed _ py_skipped _ < "$pytest_counts"
  echo "pytest: $py_passed passed, $py_failed failed, $py_skipped skipped"
  passed=$((passed + py_passed)); failed=$((failed + py_failed)); skipped=$((skipped + py_skipped))
fi

# gtest unit tests (C++ APIs), through ctest.
(cd "$build" && ctest --output-on-failure) | tee "$summary"
line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$summary" | tail -1)
if [ -z "$line" ]; then
  echo "ctest ran no test" >&2
  unit_failed=1 unit_total=1
else
  unit_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
  unit_total=$(echo "$line" | sed -E 's/.* tests failed out of ([0-9]+).*/\1/')
fi
echo "unit: $((unit_total - unit_failed)) passed, $unit_failed failed"
passed=$((passed + unit_total - unit_failed)); failed=$((failed + unit_failed))

echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
