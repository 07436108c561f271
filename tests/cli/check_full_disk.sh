#!/usr/bin/env bash
# A full disk: every result file is written checked. On a 256 KiB tmpfs (mounted in a private
# mount namespace: `unshare -m` as root, `unshare -rm` otherwise; skipped with exit 77 if neither
# works), a run whose results do not fit exits 1 naming the file and "No space left on device"
# and leaves no folder; a sweep interrupted on a full disk exits 1 naming the resume file and
# leaves no 0-byte resume file, so that the next run after space is freed works; an earlier
# resume file that cannot be rewritten is left whole.
set -u
here=$(dirname "$(realpath "$0")")
if [ "${1:-}" != --inside ]; then
  lockstage=$(realpath "$1")
  for how in "-m" "-rm"; do
    if unshare $how sh -c 'd=$(mktemp -d) || exit 1; mount -t tmpfs -o size=256k tmpfs "$d" && umount "$d"; r=$?; rmdir "$d"; exit $r' 2>/dev/null; then
      exec unshare $how bash "$here/$(basename "$0")" --inside "$lockstage"
    fi
  done
  echo "SKIP: cannot mount a tmpfs in a private mount namespace (needs root or user namespaces)"
  exit 77
fi
lockstage=$2
work=$(mktemp -d)
trap 'umount "$work/disk" 2>/dev/null; rm -rf "$work"' EXIT
mkdir "$work/disk"
mount -t tmpfs -o size=256k tmpfs "$work/disk" || { echo "SKIP: mount failed"; exit 77; }
cd "$work" || exit 1  # messages name the files relative to it
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
fill() { dd if=/dev/zero of="$work/disk/filler" bs=4k 2>/dev/null; sync; }
unfill() { rm -f "$work/disk/filler"; }

cat >"$work/small.json" <<'JSON'
{"name": "small", "duration_s": 2, "server": {}, "tables": [{"name": "t"}],
 "workload": {"groups": [{"name": "g", "arrivals": {"kind": "open", "rate_tps": 200},
   "pool_size": 8, "transactions": [{"statements": [{"sql": "UPDATE t",
     "exec_ms": {"dist": "exponential", "mean_ms": 1}}]}]}]},
 "data": {"myisam_gb": 0}, "backup": {"strategy": "ftwrl", "start_at_s": 0.5}}
JSON

# 1. A run on a full disk: exit 1, the path and the system's reason, no folder left.
fill
"$lockstage" run "$work/small.json" --out "$work/disk/run" --quiet 2>"$work/stderr"
code=$?
[ "$code" -eq 1 ] && ok || ko "run on a full disk: exit $code, expected 1"
grep -qE "^lockstage: failed: disk/\.run\.partial-[0-9]+/[a-z_]+\.[a-z]+: cannot write: No space left on device$" "$work/stderr" \
  && ok || { ko "run on a full disk: message"; cat "$work/stderr"; }
[ -z "$(ls -A "$work/disk" | grep -v '^filler$')" ] && ok || { ko "run on a full disk left files"; ls -la "$work/disk"; }
unfill
"$lockstage" run "$work/small.json" --out "$work/disk/run" --quiet && [ -f "$work/disk/run/summary.json" ] \
  && ok || ko "run after space was freed"

# 2. A sweep interrupted while the disk is full: the resume file cannot be written. Exit 1 with
# its name; no resume file at all (not a 0-byte one); after space is freed the same command runs.
cp "$here/long.json" "$work/long.json"  # about 3e8 kernel events: a minute or more
cat >"$work/sweep.json" <<JSON
{"name": "long", "base": "long.json",
 "axes": [{"pointer": "/duration_s", "values": [1, 3600]}],
 "strategies": ["ftwrl"], "replications": 1}
JSON
interrupted_on_full_disk() {  # PATTERN: on stderr once the long run is running
  "$lockstage" sweep "$work/sweep.json" --jobs 1 --out "$work/disk/sweep" 2>"$work/stderr" >/dev/null </dev/null &
  local pid=$!
  for _ in $(seq 1 600); do
    grep -q "$1" "$work/stderr" 2>/dev/null && break
    sleep 0.05
  done
  sleep 0.2
  fill
  kill -INT "$pid"
  sleep 0.2
  kill -INT "$pid"
  wait "$pid"
  code=$?
}
interrupted_on_full_disk "1/2 runs"
[ "$code" -eq 1 ] && ok || { ko "interrupted on a full disk: exit $code, expected 1"; cat "$work/stderr"; }
grep -qx "lockstage: failed: disk/.sweep.sweep-resume.json: cannot write: No space left on device" "$work/stderr" \
  && ok || { ko "interrupted on a full disk: message"; cat "$work/stderr"; }
[ ! -e "$work/disk/.sweep.sweep-resume.json" ] && ok || ko "a resume file after a failed write"
[ -z "$(ls -A "$work/disk" | grep -vx 'filler\|run')" ] && ok || { ko "files left on the full disk"; ls -la "$work/disk"; }
unfill
# The next command is not blocked: it starts over (and is interrupted again, keeping run 0).
"$lockstage" sweep "$work/sweep.json" --jobs 1 --out "$work/disk/sweep" 2>"$work/stderr" >/dev/null </dev/null &
pid=$!
for _ in $(seq 1 600); do
  grep -q "1/2 runs" "$work/stderr" 2>/dev/null && break
  sleep 0.05
done
kill -TERM "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] && [ -s "$work/disk/.sweep.sweep-resume.json" ] && ok || { ko "the sweep after space was freed: exit $code"; cat "$work/stderr"; }
cp "$work/disk/.sweep.sweep-resume.json" "$work/resume.saved"

# 3. An existing resume file that cannot be rewritten (full disk) stays whole.
interrupted_on_full_disk "resuming, 1 runs kept"
[ "$code" -eq 1 ] && ok || ko "second interrupt on a full disk: exit $code, expected 1"
cmp -s "$work/disk/.sweep.sweep-resume.json" "$work/resume.saved" && ok || ko "the earlier resume file was damaged"
unfill

echo "full disk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
