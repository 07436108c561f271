#!/usr/bin/env bash
# `lockstage calibrate` refuses every file in tests/bad-input/calibrate/ with exit code 2 and
# exactly the message in its .expected file (FILE:LINE: expected ..., got ...), prints nothing on
# stdout and writes no --out file. The file's prefix names the option it is given to (sysbench-
# --sysbench, status- --status, tables- --tables, backup- --backup-log). Then the command-line
# mistakes: no input, a bad --name, an --out file that exists without --force.
set -u
lockstage=$(realpath "$1")
cd "$2" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
# expect_refusal NAME EXPECTED_STDERR ARGS...
expect_refusal() {
  local name=$1 expected=$2 problems=""
  shift 2
  timeout 60 "$lockstage" calibrate "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
  local code=$?
  [ "$code" -eq 2 ] || problems+=" exit code $code, expected 2;"
  if [ "$(cat "$work/stderr")" != "$expected" ]; then
    problems+=" message differs:"$'\n'"expected: $expected"$'\n'"got:      $(cat "$work/stderr")"$'\n'
  fi
  [ ! -s "$work/stdout" ] || problems+=" printed on stdout;"
  [ ! -e "$work/out.json" ] || problems+=" wrote --out;"
  rm -f "$work/out.json"
  if [ -n "$problems" ]; then
    echo "FAIL $name:$problems"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
for f in sysbench-* status-* tables-* backup-*; do
  case $f in
    *.expected) continue ;;
    sysbench-*) opt=--sysbench ;;
    status-*) opt=--status ;;
    tables-*) opt=--tables ;;
    backup-*) opt=--backup-log ;;
  esac
  expected="${f%.*}.expected"
  if [ ! -f "$expected" ]; then
    echo "FAIL $f: no $expected"; fail=$((fail + 1)); continue
  fi
  expect_refusal "$f" "$(cat "$expected")" "$opt" "$f" --out "$work/out.json"
done
expect_refusal "no input" "lockstage: calibrate: expected at least one of --sysbench, --status, --tables, --backup-log
Try 'lockstage --help'." --name x
expect_refusal "bad --name" "lockstage: --name my server: expected 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit
Try 'lockstage --help'." --tables tables-bad-header.tsv --name "my server"
echo '{}' >"$work/exists.json"
expect_refusal "--out exists" "lockstage: --out $work/exists.json: exists; give --force to replace it
Try 'lockstage --help'." --tables tables-bad-header.tsv --out "$work/exists.json"
expect_refusal "--out in a missing folder" "lockstage: --out $work/no-such-folder/out.json: expected a file in an existing folder; $work/no-such-folder is not one
Try 'lockstage --help'." --tables tables-bad-header.tsv --out "$work/no-such-folder/out.json"
expect_refusal "missing file" "lockstage: error: no-such-file.txt: expected a readable file, got: cannot open the file for reading" \
  --sysbench no-such-file.txt
echo "calibrate bad input: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
