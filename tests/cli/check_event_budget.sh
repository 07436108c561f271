#!/usr/bin/env bash
# The event budget. Scenarios estimated above 10^10 kernel events are refused before they start
# (exit 2, the exact message in tests/event-budget/*.expected, no folder), by check, run, compare
# and sweep; a run that exceeds --max-events stops with exit 1, says how many events at what
# simulated time and which flag raises the budget, and writes no folder (an older one stays).
set -u
lockstage=$(realpath "$1")
scenarios=$(realpath "$2")
corpus=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; sed 's/^/  | /' "$work/stdout" "$work/stderr" 2>/dev/null; fail=$((fail + 1)); }
# run_expect CODE STDERR-REGEX -- ARGS...: the exit code and a line of stderr matching the regex.
run_expect() {
  local code=$1 pattern=$2
  shift 3
  "$lockstage" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
  local got=$?
  if [ "$got" -ne "$code" ]; then bad "lockstage $*: exit code $got, expected $code"; return; fi
  if [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$work/stderr"; then bad "lockstage $*: stderr lacks /$pattern/"; return; fi
  ok
}
# no_folder DIR: neither DIR nor a hidden staging folder next to it.
no_folder() {
  if [ -e "$1" ]; then bad "$1 was written"; return; fi
  if compgen -G "$(dirname "$1")/.$(basename "$1").*" >/dev/null; then
    bad "a staging folder of $1 was left behind"; return
  fi
  ok
}

# 1. Refused before running, with the exact message.
cd "$corpus" || exit 1
for f in *.json; do
  "$lockstage" run "$f" --out "$work/refused" >"$work/stdout" 2>"$work/stderr" </dev/null
  code=$?
  if [ "$code" -ne 2 ]; then bad "run $f: exit code $code, expected 2"
  elif ! diff -q "${f%.json}.expected" "$work/stderr" >/dev/null; then
    bad "run $f: message differs: $(diff "${f%.json}.expected" "$work/stderr")"
  else ok; fi
  no_folder "$work/refused"
  # check refuses it too, with the same message: it fails exactly when run (without
  # --max-events) would.
  "$lockstage" check "$f" >"$work/stdout" 2>"$work/stderr" </dev/null
  code=$?
  if [ "$code" -ne 2 ]; then bad "check $f: exit code $code, expected 2"
  elif ! diff -q "${f%.json}.expected" "$work/stderr" >/dev/null; then
    bad "check $f: message differs: $(diff "${f%.json}.expected" "$work/stderr")"
  else ok; fi
done
# compare and sweep need a backup: the same scenario with one.
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s["backup"]={"strategy": "mariabackup-stages", "start_at_s": 1}; json.dump(s, open(sys.argv[2], "w"))' \
  closed-no-think.json "$work/closed-backup.json"
run_expect 2 '^lockstage: error: .*/closed-backup.json: /workload/groups/0/arrivals/clients: expected a run of at most 1e\+10 kernel events; this one is estimated at 4.1e\+12' \
  -- compare "$work/closed-backup.json" --out "$work/refused"
no_folder "$work/refused"
# A sweep is refused when one of its points is too large, naming the point.
cat >"$work/sweep.json" <<EOF
{"name": "budget", "base": "$work/closed-backup.json",
 "axes": [{"pointer": "/workload/groups/0/arrivals/clients", "values": [1000]}]}
EOF
run_expect 2 "^lockstage: error: $work/closed-backup.json at /workload/groups/0/arrivals/clients=1000: /workload/groups/0/arrivals/clients: expected a run of at most 1e\+10 kernel events" \
  -- sweep "$work/sweep.json" --out "$work/refused"
no_folder "$work/refused"
# --max-events below the estimate does not let it through either.
run_expect 2 'estimated at 4.1e\+12' -- run closed-no-think.json --max-events 5e10 --out "$work/refused"
no_folder "$work/refused"
# The lock-queue sampler asked for every nanosecond takes at most 360,000 samples (it widens
# its interval on a long run), and the estimate counts those, not the 6e10 asked for: the run
# is let through and its events are near the estimate.
cp "$here/sampler-every-ns.json" "$work/"
run_expect 0 '' -- run "$work/sampler-every-ns.json" --out "$work/sampler" --quiet
events=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"]["events"])' "$work/sampler/summary.json" 2>/dev/null)
[ -n "$events" ] && [ "$events" -ge 360000 ] && [ "$events" -le 361000 ] && ok ||
  bad "sampler-every-ns ran ${events:-no} kernel events, expected 360,000 samples and a few more"

# 2. Bad values of the flag.
for v in abc 0 1.5 -3 1e30 ''; do
  run_expect 2 "^lockstage: --max-events $v: expected a whole number of events >= 1" \
    -- run "$scenarios/queue-mm1.json" --max-events "$v" --out "$work/bad"
done
no_folder "$work/bad"

# 3. Stopped by a tiny budget: exit 1, the message, no folder.
stop='stopped at its event budget: 1000 kernel events executed by simulated time [0-9.e-]+ s of 60 s .*no result folder was written; raise the budget with --max-events N'
run_expect 1 "^lockstage: failed: $scenarios/oltp-1000tps.json: the run was $stop" \
  -- run "$scenarios/oltp-1000tps.json" --max-events 1000 --out "$work/oltp"
no_folder "$work/oltp"
grep -q 'warning: .*estimated at 234032 kernel events, above --max-events 1000' "$work/stderr" && ok ||
  bad "no warning that the budget is below the estimate"
run_expect 1 'queue-mm1.json: the run was stopped at its event budget: 5000 kernel events executed by simulated time [0-9.e-]+ s of 600 s' \
  -- run "$scenarios/queue-mm1.json" --max-events 5e3 --out "$work/mm1" --quiet
no_folder "$work/mm1"
[ ! -s "$work/stdout" ] && ! grep -q warning "$work/stderr" && ok || bad "--quiet printed more than the error"
run_expect 1 "default.json: the run was $stop" \
  -- compare "$scenarios/default.json" --max-events 1000 --out "$work/cmp"
no_folder "$work/cmp"
run_expect 1 'default.json at /data/myisam_gb=0.5, /backup/log_copy_interval_ms=100.0 \(ftwrl, replication 0\): the run was stopped at its event budget: 1000 kernel events' \
  -- sweep "$scenarios/ci/sweep.json" --jobs 1 --max-events 1000 --out "$work/sweep-out" --quiet
no_folder "$work/sweep-out"

# 4. An older complete folder at --out stays as it was when a run is stopped.
"$lockstage" run "$scenarios/oltp-1000tps.json" --out "$work/keep" --quiet
before=$(cd "$work/keep" && cat ./* | md5sum)
run_expect 1 'stopped at its event budget' -- run "$scenarios/oltp-1000tps.json" --max-events 1000 --out "$work/keep"
[ "$(cd "$work/keep" && cat ./* | md5sum)" = "$before" ] && ok || bad "the older folder changed"
compgen -G "$work/.keep.*" >/dev/null && bad "a staging folder of keep was left behind" || ok

# 5. The default budget lets ordinary runs through (10 x their estimate, at least 1e10).
run_expect 0 '' -- run "$scenarios/oltp-1000tps.json" --out "$work/ordinary" --quiet
[ -f "$work/ordinary/summary.json" ] && ok || bad "an ordinary run wrote no summary.json"

echo "event-budget: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
