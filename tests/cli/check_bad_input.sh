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
# refused CMD FILE [ARGS...]: runs `lockstage CMD FILE ARGS --out OUT` (no --out for check) and
# requires exit 2, exactly FILE's .expected on stderr, nothing on stdout, no OUT folder and no
# hidden file (staging folder, resume file) beside it.
refused() {
  local cmd=$1 f=$2
  shift 2
  local expected=${f%.json}.expected out="$work/out-$cmd-$f" problems=""
  if [ ! -f "$expected" ]; then
    echo "FAIL $f: no $expected"; fail=$((fail + 1)); return
  fi
  # A hang guard: every refusal comes at once (exit 124 after 60 s fails the exit-code check).
  if [ "$cmd" = check ]; then
    timeout 60 "$lockstage" check "$f" >"$work/stdout" 2>"$work/stderr" </dev/null
  else
    timeout 60 "$lockstage" "$cmd" "$f" "$@" --out "$out" >"$work/stdout" 2>"$work/stderr" </dev/null
  fi
  local code=$?
  [ "$code" -eq 2 ] || problems+=" exit code $code, expected 2;"
  if ! diff -q "$expected" "$work/stderr" >/dev/null; then
    problems+=" message differs:"$'\n'"$(diff "$expected" "$work/stderr")"$'\n'
  fi
  [ ! -s "$work/stdout" ] || problems+=" printed on stdout;"
  [ ! -e "$out" ] || problems+=" $cmd left $out behind;"
  if compgen -G "$work/.out-*" >/dev/null; then problems+=" $cmd left a hidden file;"; fi
  if [ -n "$problems" ]; then
    echo "FAIL $cmd $f:$problems"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
for f in *.json; do
  refused check "$f"
  refused run "$f"
done
cd sweep || exit 1
for f in *.json; do
  refused sweep "$f" --jobs 1
done
echo "bad-input: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
