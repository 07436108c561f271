#!/usr/bin/env bash
# lockstage sweep: the CI sweep passes its expect lines; --jobs 1 and --jobs 2 give
# byte-identical files; a false expect line exits 1 naming the point; bad sweeps exit 2.
set -u
lockstage=$(realpath "$1")
scenarios=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }

"$lockstage" sweep "$scenarios/ci/sweep.json" --out "$work/j1" --jobs 1 --quiet && ok || ko "ci sweep (jobs 1) did not pass"
"$lockstage" sweep "$scenarios/ci/sweep.json" --out "$work/j2" --jobs 2 --quiet && ok || ko "ci sweep (jobs 2) did not pass"
diff -r "$work/j1" "$work/j2" >/dev/null && ok || ko "--jobs 1 and --jobs 2 differ"
[ "$(wc -l < "$work/j1/runs.csv")" -eq 25 ] && ok || ko "runs.csv: expected 24 runs + header"
[ "$(wc -l < "$work/j1/points.csv")" -eq 9 ] && ok || ko "points.csv: expected 8 point x strategy rows + header"

# Two shards and a merge give the same files as one unsharded run, byte for byte.
"$lockstage" sweep "$scenarios/ci/sweep.json" --shard 1/2 --out "$work/s1" --quiet && ok || ko "shard 1/2"
"$lockstage" sweep "$scenarios/ci/sweep.json" --shard 2/2 --out "$work/s2" --quiet && ok || ko "shard 2/2"
"$lockstage" merge "$work/s1" "$work/s2" --out "$work/merged" --quiet && ok || ko "merge"
diff -r "$work/merged" "$work/j1" >/dev/null && ok || ko "merged shards differ from the unsharded run"
"$lockstage" merge "$work/s1" --out "$work/half" --quiet 2>"$work/stderr"
[ $? -eq 2 ] && grep -q "12 of 24 runs are in none of the shard folders" "$work/stderr" && [ ! -e "$work/half" ] && ok || ko "merge of one shard of two"
"$lockstage" sweep "$scenarios/ci/sweep.json" --shard 3/2 --out "$work/s3" --quiet 2>"$work/stderr"
[ $? -eq 2 ] && grep -q -- "--shard 3/2: expected I/N with 1 <= I <= N" "$work/stderr" && ok || ko "--shard 3/2"

# Interrupted (SIGINT) and resumed equals uninterrupted. A slower copy of the CI sweep
# (6 replications) is stopped after 0.5 s on one job.
mkdir -p "$work/slow"
sed 's#"base": "../default.json"#"base": "'"$scenarios"'/default.json"#; s#"replications": 3#"replications": 6#' \
  "$scenarios/ci/sweep.json" > "$work/slow/sweep.json"
"$lockstage" sweep "$work/slow/sweep.json" --out "$work/slow-full" --jobs 1 --quiet && ok || ko "slow sweep"
"$lockstage" sweep "$work/slow/sweep.json" --out "$work/slow-out" --jobs 1 --quiet 2>"$work/stderr" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
code=$?
if [ "$code" -eq 130 ]; then
  grep -q "sweep interrupted: [0-9]* of 48 runs kept" "$work/stderr" && ok || { ko "interrupt message"; cat "$work/stderr"; }
  [ ! -e "$work/slow-out" ] && [ -f "$work/.slow-out.sweep-resume.json" ] && ok || ko "interrupted: no result folder, a resume file"
  "$lockstage" sweep "$work/slow/sweep.json" --out "$work/slow-out" --jobs 1 2>"$work/stderr" >/dev/null && ok || ko "resume"
  grep -q "resuming, [0-9]* runs kept" "$work/stderr" && ok || ko "resume message"
  diff -r "$work/slow-out" "$work/slow-full" >/dev/null && ok || ko "interrupted + resumed differs from uninterrupted"
  [ ! -e "$work/.slow-out.sweep-resume.json" ] && ok || ko "resume file left behind"
else
  echo "note: the sweep finished (exit $code) before the interrupt; resume not exercised"
  ko "interrupt came too late"
fi

# The least-squares fit: FTWRL's write-blocked time grows by about 1024 / 450 s per GB of MyISAM.
/usr/bin/python3 - "$work/j1/fits.csv" <<'PY' && ok || ko "fits.csv"
import csv, sys
rows = {(r["strategy"], r["metric"]): r for r in csv.DictReader(open(sys.argv[1]))}
f = rows[("ftwrl", "write_blocked_s")]
assert 1.9 <= float(f["coef /data/myisam_gb"]) <= 2.4, f
assert float(f["r2"]) > 0.95, f
PY

mkdir -p "$work/false"
sed 's#"base": "../default.json"#"base": "'"$scenarios"'/default.json"#; s#"backup_p99_ms\[app\]\[mariabackup-stages\] < backup_p99_ms\[app\]\[ftwrl\]"#"backup_p99_ms[app][ftwrl] < backup_p99_ms[app][mariabackup-stages]"#' \
  "$scenarios/ci/sweep.json" > "$work/false/sweep.json"
"$lockstage" sweep "$work/false/sweep.json" --out "$work/false-out" --quiet 2>"$work/stderr"
code=$?
[ "$code" -eq 1 ] && ok || ko "a false expect line: exit $code, expected 1"
grep -q 'expectation failed at point 0 (/data/myisam_gb=0.5, /backup/log_copy_interval_ms=100.0): backup_p99_ms\[app\]\[ftwrl\] < backup_p99_ms\[app\]\[mariabackup-stages\] is false' "$work/stderr" && ok || { ko "the failure does not name the point"; cat "$work/stderr"; }

bad() {  # bad NAME EXPECTED-MESSAGE-REGEX SED-EXPR
  sed "$3" "$work/false/sweep.json" > "$work/$1.json"
  "$lockstage" sweep "$work/$1.json" --out "$work/$1-out" --quiet 2>"$work/stderr"
  local code=$?
  if [ "$code" -eq 2 ] && grep -qE -- "$2" "$work/stderr" && [ ! -e "$work/$1-out" ]; then ok; else ko "$1: exit $code"; cat "$work/stderr"; fi
}
bad unknown-metric '/expect/0: unknown metric "blocked_s"' 's#"write_blocked_s\[mariabackup-stages\] > 0"#"blocked_s[mariabackup-stages] > 0"#'
bad pointer-to-nothing '/axes/0/pointer: /dat/myisam_gb names nothing in the base scenario' 's#"/data/myisam_gb"#"/dat/myisam_gb"#'
bad bad-axis-value 'expected a number >= 0, got -1' 's#\[0.5, 2\]#[-1, 2]#'
bad strategy-not-swept 'strategy "no-lock" is not in /strategies' 's#"timeouts\[mariabackup-stages\] == 0"#"timeouts[no-lock] == 0"#'
bad unknown-key '/replicatons: unknown key "replicatons"' 's#"replications"#"replicatons"#'
echo "sweep: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
