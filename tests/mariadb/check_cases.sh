#!/usr/bin/env bash
# MariaDB's own lock tests, replayed: every tests/mariadb/NAME.json is a scripted scenario ported
# from mysql-test (its "description" cites the .test file), and NAME.expected.csv is the trace
# MariaDB's .result implies: who waits, in which state, who proceeds, which error. The trace
# lockstage writes must be identical.
set -u
lockstage=$(realpath "$1")
cases=$2
# The source the description must cite (an extended regex): MariaDB's mysql-test by default;
# tests/backup-tools cites the backup tools' code.
cites=${3:-mysql-test/}
cd "$cases" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
for f in *.json; do
  name=${f%.json}
  expected=$name.expected.csv
  if [ ! -f "$expected" ]; then
    echo "FAIL $name: no $expected"; fail=$((fail + 1)); continue
  fi
  if ! grep -Eq "\"description\": *\"[^\"]*($cites)" "$f"; then
    echo "FAIL $name: the description must cite the source file it comes from ($cites)"; fail=$((fail + 1)); continue
  fi
  if ! "$lockstage" run "$f" --out "$work/$name" --quiet 2>"$work/stderr"; then
    echo "FAIL $name: lockstage run failed:"; cat "$work/stderr"; fail=$((fail + 1)); continue
  fi
  if diff -u "$expected" "$work/$name/trace.csv" >"$work/diff"; then
    pass=$((pass + 1))
  else
    echo "FAIL $name: trace differs from $expected:"; cat "$work/diff"; fail=$((fail + 1))
  fi
done
echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
