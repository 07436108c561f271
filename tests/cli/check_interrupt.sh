#!/usr/bin/env bash
# Ctrl-C during a sweep: the first SIGINT starts no new run, says it waits for the running ones
# ("press Ctrl-C again to stop now") and, once they finish, keeps every finished run in the
# resume file (exit 130); a second SIGINT stops at once, keeping every run finished so far; so
# does a SIGTERM. `--out DIR/` (trailing slash) keeps the resume file beside DIR like `--out DIR`.
set -u
here=$(dirname "$(realpath "$0")")
lockstage=$(realpath "$1")
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }

# long.json: an hour at 20,000 tps, about 3e8 kernel events. Runs 0 and 1 (1 s and 2 s of it)
# take well under a second; run 2 takes a minute or more: it is running when the signals come.
cp "$here/long.json" long.json
cat >sweep.json <<'JSON'
{"name": "long", "base": "long.json",
 "axes": [{"pointer": "/duration_s", "values": [1, 2, 3600]}],
 "strategies": ["ftwrl"], "replications": 1}
JSON

# start SWEEP OUT PATTERN: a sweep to OUT on one job in the background, until PATTERN is on
# its stderr (the run to interrupt is running).
start() {
  "$lockstage" sweep "$1" --jobs 1 --out "$2" 2>"$work/stderr" >/dev/null </dev/null &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do
    grep -q "$3" "$work/stderr" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "$3" "$work/stderr" && ok || ko "the sweep did not reach \"$3\""
  sleep 0.3
}
# stopped_within PID SECONDS: waits for PID; sets $code; fails if it took longer.
stopped_within() {
  local t0 t1
  t0=$(date +%s.%N)
  wait "$1"
  code=$?
  t1=$(date +%s.%N)
  elapsed=$(/usr/bin/python3 -c "print(f'{$t1 - $t0:.2f}')")
  /usr/bin/python3 -c "import sys; sys.exit(0 if $t1 - $t0 < $2 else 1)" && ok ||
    ko "took ${elapsed} s to stop, expected under $2 s"
}
# kept RESUME N: the resume file holds runs 0..N-1.
kept() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "lockstage-sweep-resume", d["format"]
assert sorted(d["values"], key=int) == [str(i) for i in range(int(sys.argv[2]))], list(d["values"])
PY
}

# 1. Two Ctrl-C, --out with a trailing slash: the second stops at once; runs 0 and 1 are kept
# beside the folder (not inside a folder named "DIR/").
start sweep.json "$work/out/" "2/3 runs"
kill -INT "$pid"
sleep 0.5
grep -q "lockstage: interrupted: starting no new run; waiting for the 1 running run to finish (press Ctrl-C again to stop now, keeping the finished runs)" "$work/stderr" \
  && ok || { ko "no message after the first Ctrl-C"; cat "$work/stderr"; }
kill -0 "$pid" 2>/dev/null && ok || ko "the first Ctrl-C did not wait for the running run"
kill -INT "$pid"
stopped_within "$pid" 3
echo "two Ctrl-C: stopped ${elapsed} s after the second"
[ "$code" -eq 130 ] && ok || { ko "exit $code after two Ctrl-C, expected 130"; cat "$work/stderr"; }
grep -q "lockstage: sweep interrupted: 2 of 3 runs kept in .out.sweep-resume.json; run the same command again to finish" "$work/stderr" \
  && ok || { ko "the interrupt message"; cat "$work/stderr"; }
kept "$work/.out.sweep-resume.json" 2 && ok || ko "the resume file does not hold runs 0 and 1"
[ ! -e "$work/out" ] && ok || ko "a result folder after the interrupt"
compgen -G "$work/.out.partial-*" >/dev/null && ko "a staging folder left behind" || ok
compgen -G "$work/.out.sweep-resume.json.tmp-*" >/dev/null && ko "a temporary file left behind" || ok

# 2. Resumed, then stopped by SIGTERM: the kept runs are not run again and stay kept.
start sweep.json "$work/out" "resuming, 2 runs kept from an interrupted run"
kill -TERM "$pid"
stopped_within "$pid" 3
[ "$code" -eq 130 ] && ok || ko "exit $code after SIGTERM, expected 130"
kept "$work/.out.sweep-resume.json" 2 && ok || ko "the resume file lost runs after SIGTERM"

# 3. One Ctrl-C while run 1 (a few seconds: 100 s simulated) is running: it finishes, run 2 never starts, and
# the sweep stops with runs 0 and 1 kept.
cat >short.json <<'JSON'
{"name": "short", "base": "long.json",
 "axes": [{"pointer": "/duration_s", "values": [1, 100, 2]}],
 "strategies": ["ftwrl"], "replications": 1}
JSON
start short.json "$work/short" "1/3 runs"
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] && ok || ko "exit $code after one Ctrl-C, expected 130"
grep -q "waiting for the 1 running run" "$work/stderr" && ok || { ko "no waiting message"; cat "$work/stderr"; }
kept "$work/.short.sweep-resume.json" 2 && ok || { ko "the run waited for was not kept"; cat "$work/stderr"; }

echo "interrupt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
