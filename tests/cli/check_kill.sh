#!/usr/bin/env bash
# SIGKILL mid-run and mid-sweep: nothing at --out looks finished (no folder, or the older complete
# one untouched), only a hidden .NAME.partial-PID staging folder is left, and the next command
# writing to the same place removes it (and only staging folders of processes that are gone).
set -u
lockstage=$(realpath "$1")
scenarios=$(realpath "$2")
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
digest() { (cd "$1" && cat ./* | md5sum); }

# A run of about 3e8 kernel events: a minute or more, far longer than the kill comes.
cat >"$work/long.json" <<'EOF'
{"name": "long", "duration_s": 3600, "server": {}, "tables": [{"name": "t"}],
 "workload": {"groups": [{"name": "g", "arrivals": {"kind": "open", "rate_tps": 20000},
   "pool_size": 64, "transactions": [{"statements": [{"sql": "UPDATE t",
     "exec_ms": {"dist": "exponential", "mean_ms": 1}}]}]}]},
 "data": {"myisam_gb": 0}, "backup": {"strategy": "mariabackup-stages", "start_at_s": 1}}
EOF
cat >"$work/sweep.json" <<EOF
{"name": "long", "base": "$work/long.json",
 "axes": [{"pointer": "/data/myisam_gb", "values": [0, 1, 2, 3]}]}
EOF

# start_and_kill OUT ARGS...: starts lockstage ARGS in the background, waits until its staging
# folder next to OUT exists and a little more, then kills it with SIGKILL. Sets $killed_pid.
start_and_kill() {
  local out=$1
  shift
  "$lockstage" "$@" >/dev/null 2>&1 </dev/null &
  killed_pid=$!
  pids+=("$killed_pid")
  local staging
  staging="$(dirname "$out")/.$(basename "$out").partial-$killed_pid"
  for _ in $(seq 1 300); do
    [ -d "$staging" ] && break
    sleep 0.05
  done
  sleep 0.5
  if ! kill -0 "$killed_pid" 2>/dev/null; then
    ko "lockstage $* finished before it could be killed"
  fi
  kill -9 "$killed_pid"
  wait "$killed_pid" 2>/dev/null
  [ -d "$staging" ] && ok || ko "no staging folder $staging while lockstage $* ran"
}

# nothing_finished OUT: no folder at OUT, nothing but hidden staging folders next to it.
nothing_finished() {
  [ ! -e "$1" ] && ok || ko "$1 exists after the kill"
  local visible
  visible=$(find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1")*" | wc -l)
  [ "$visible" -eq 0 ] && ok || ko "a visible entry named like $1 after the kill"
}

# 1. A run killed mid-run: no folder at --out; the next run to it removes the stale staging.
start_and_kill "$work/run-out" run "$work/long.json" --out "$work/run-out"
nothing_finished "$work/run-out"
stale="$work/.run-out.partial-$killed_pid"
[ -d "$stale" ] && ok || ko "the killed run's staging folder is not there to be cleaned"
# A staging folder of a live process (this shell) is left alone.
mkdir "$work/.run-out.partial-$$"
"$lockstage" run "$scenarios/ddl-during-block-ddl.json" --out "$work/run-out" --quiet && ok || ko "the next run failed"
[ -f "$work/run-out/summary.json" ] && ok || ko "the next run wrote no summary.json"
[ ! -e "$stale" ] && ok || ko "the next run left the stale $stale"
[ -d "$work/.run-out.partial-$$" ] && ok || ko "the next run removed a live process's staging folder"
rm -rf "$work/.run-out.partial-$$"

# 2. Killed while an older complete folder is at --out: it stays, byte for byte.
before=$(digest "$work/run-out")
start_and_kill "$work/run-out" run "$work/long.json" --out "$work/run-out"
[ "$(digest "$work/run-out")" = "$before" ] && ok || ko "the older folder changed after the kill"
grep -q '"name": "ddl-during-block-ddl"' "$work/run-out/scenario.json" && ok || ko "the older folder is not the older run"

# 3. compare killed mid-run.
start_and_kill "$work/cmp-out" compare "$work/long.json" --out "$work/cmp-out"
nothing_finished "$work/cmp-out"

# 4. A sweep killed mid-sweep (two jobs running): no folder, no resume file (SIGKILL keeps
# nothing; SIGINT would), and the next sweep to the same place cleans up and finishes.
start_and_kill "$work/sweep-out" sweep "$work/sweep.json" --jobs 2 --out "$work/sweep-out"
nothing_finished "$work/sweep-out"
[ ! -e "$work/.sweep-out.sweep-resume.json" ] && ok || ko "a resume file after SIGKILL"
"$lockstage" sweep "$scenarios/ci/sweep.json" --jobs 2 --out "$work/sweep-out" --quiet && ok || ko "the next sweep failed"
[ -f "$work/sweep-out/points.csv" ] && ok || ko "the next sweep wrote no points.csv"
compgen -G "$work/.sweep-out.partial-*" >/dev/null && ko "the next sweep left a staging folder" || ok

# 5. Killed between commit()'s two renames (simulated): the previous folder sits at
# .NAME.old-PID and nothing at NAME; the next command puts it back before it does anything.
sleep 0 &
dead=$!
wait "$dead"
mkdir "$work/.restored.old-$dead"
echo '{"marker": 1}' >"$work/.restored.old-$dead/summary.json"
"$lockstage" run "$scenarios/oltp-1000tps.json" --out "$work/restored" --max-events 10 >/dev/null 2>&1
[ $? -eq 1 ] && ok || ko "a run with --max-events 10 did not fail"
grep -q marker "$work/restored/summary.json" 2>/dev/null && ok || ko "the previous folder was not put back"
[ ! -e "$work/.restored.old-$dead" ] && ok || ko ".restored.old-$dead is still there"

echo "kill: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
