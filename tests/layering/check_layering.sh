#!/usr/bin/env bash
# The layering sim <- models <- app, enforced by the build: builds each compile probe of
# tests/layering/CMakeLists.txt (EXCLUDE_FROM_ALL targets) in BUILD_DIR, one at a time.
#   - a probe named *_must_fail must not compile, and the compiler must say that the header its
#     one #include names is not found ("No such file or directory"; clang: "file not found"),
#     while that header does exist under SOURCE_DIR: so the failure is the layering, nothing else;
#   - every other probe must compile (the positive control).
# Usage: check_layering.sh BUILD_DIR SOURCE_DIR (the main build done: the probes only compile
# their own file, so this can run beside the other tests).
set -u
build=$(realpath "$1")
source=$(realpath "$2")
probes=$source/tests/layering/probes
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
for f in "$probes"/*.cpp; do
  probe=$(basename "$f" .cpp)
  cmake --build "$build" --target "$probe" >"$work/out" 2>&1
  code=$?
  case "$probe" in
    *_must_fail)
      header=$(sed -n 's/^#include "\(.*\)"$/\1/p' "$f" | head -n 1)
      if [ -z "$header" ]; then
        echo "FAIL $probe: names no header"; fail=$((fail + 1)); continue
      fi
      if [ ! -f "$source/$header" ]; then
        echo "FAIL $probe: $header does not exist under $source, so its failure would prove nothing"
        fail=$((fail + 1)); continue
      fi
      if [ "$code" -eq 0 ]; then
        echo "FAIL $probe: compiled, but its library must not see $header"; fail=$((fail + 1))
      elif grep -qF -e "$header: No such file or directory" -e "'$header' file not found" "$work/out"; then
        pass=$((pass + 1))
      else
        echo "FAIL $probe: failed, but not because $header is out of sight:"
        cat "$work/out"; fail=$((fail + 1))
      fi
      ;;
    *)
      if [ "$code" -eq 0 ]; then
        pass=$((pass + 1))
      else
        echo "FAIL $probe: the positive control does not compile:"; cat "$work/out"; fail=$((fail + 1))
      fi
      ;;
  esac
done
echo "layering probes: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
