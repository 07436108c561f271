#!/usr/bin/env bash
# Every file in tests/bad-input/ is refused: `check` and `run` exit with code 2, print exactly
# the message in the matching .expected file, and `run` writes no result folder. The same for
# every sweep file in tests/bad-input/sweep/ with `sweep` (no folder, no resume file).
set -u
lockstage=$(realpath "$1")
corpus=$2
cd "$corpus" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
for f in *.json; do
  expected=${f%.json}.expected
  if [ ! -f "$expected" ]; then
    echo "FAIL $f: no $expected"; fail=$((fail + 1)); continue
  fi
  for cmd in check run; do
    out="$work/out-$f"
    if [ "$cmd" = run ]; then
      "$lockstage" run "$f" --out "$out" >"$work/stdout" 2>"$work/stderr" </dev/null
    else
      "$lockstage" check "$f" >"$work/stdout" 2>"$work/stderr" </dev/null
    fi
    code=$?
    problems=""
    [ "$code" -eq 2 ] || problems+=" exit code $code, expected 2;"
    if ! diff -q "$expected" "$work/stderr" >/dev/null; then
      problems+=" message differs:"$'\n'"$(diff "$expected" "$work/stderr")"$'\n'
    fi
    [ ! -s "$work/stdout" ] || problems+=" printed on stdout;"
    if [ "$cmd" = run ] && [ -e "$out" ]; then problems+=" run left $out behind;"; fi
    if compgen -G "$work/.out-*" >/dev/null; then problems+=" run left a partial folder;"; fi
    if [ -n "$problems" ]; then
      echo "FAIL $cmd $f:$problems"; fail=$((fail + 1))
    else
      pass=$((pass + 1))
    fi
  done
done
cd sweep || exit 1
for f in *.json; do
  expected=${f%.json}.expected
  out="$work/sweep-out-$f"
  "$lockstage" sweep "$f" --out "$out" --jobs 1 >"$work/stdout" 2>"$work/stderr" </dev/null
  code=$?
  problems=""
  [ "$code" -eq 2 ] || problems+=" exit code $code, expected 2;"
  if ! diff -q "$expected" "$work/stderr" >/dev/null 2>&1; then
    problems+=" message differs:"$'\n'"$(diff "$expected" "$work/stderr")"$'\n'
  fi
  [ ! -s "$work/stdout" ] || problems+=" printed on stdout;"
  [ ! -e "$out" ] || problems+=" sweep left $out behind;"
  if compgen -G "$work/.sweep-out-*" >/dev/null; then problems+=" sweep left a hidden file;"; fi
  if [ -n "$problems" ]; then
    echo "FAIL sweep $f:$problems"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "bad-input: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
