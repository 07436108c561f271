"""Daily arrival profiles and duration_s left out (issue 16, items 2 and 7).

- scenarios/daily-profile-backup-0300.json: a day whose completions per hour follow
  rate_tps_by_hour (within 5 standard deviations of the Poisson count), the backup at 03:00;
- the same without duration_s: the run lasts until the backup's end + 60 s, the backup ending
  exactly when it did in the day-long run (same seed, same draws), summary.json saying so;
- `check` warns (stderr, exit 0) when duration_s ends before the backup's copy can;
- a CSV profile (relative to the scenario file): no arrivals while its rate is 0.
Run with Debian's python3: check_profile.py LOCKSTAGE SCENARIOS_DIR
"""
import csv
import json
import math
import pathlib
import subprocess
import sys
import tempfile

lockstage, scenarios = sys.argv[1], pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp())
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def run(path, name):
    out = work / name
    subprocess.run([lockstage, "run", str(path), "--out", str(out), "--quiet"], check=True)
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "timeline.csv", newline="") as f:
        timeline = list(csv.DictReader(f))
    return summary, timeline


def completed_per(timeline, group, width_s):
    counts = {}
    for row in timeline:
        if row["group"] == group:
            k = int(float(row["t_start_s"]) // width_s)
            counts[k] = counts.get(k, 0) + int(row["completed"])
    return counts


day_file = scenarios / "daily-profile-backup-0300.json"
day = json.loads(day_file.read_text())
rates = day["workload"]["groups"][0]["arrivals"]["profile"]["rate_tps_by_hour"]
summary, timeline = run(day_file, "day")
per_hour = completed_per(timeline, "app", 3600)
for h in range(24):
    mean = rates[h] * 3600
    got = per_hour.get(h, 0)
    check(abs(got - mean) <= 5 * math.sqrt(mean) + 2,
          f"day: hour {h}: {got} completions, expected about {mean:.0f}")
backup = summary["backup"]
check(backup["began_s"] == 10800 and backup["failure"] == "", f"day: the backup at 03:00: {backup}")
check(summary["duration_s"] == 86400, f"day: duration_s {summary['duration_s']}")

# Without duration_s: until the backup's end + output.drain_after_backup_s (60 s by default).
until = dict(day)
del until["duration_s"]
until_file = work / "until-backup.json"
until_file.write_text(json.dumps(until))
checked = subprocess.run([lockstage, "check", str(until_file)], capture_output=True, text=True)
check(checked.returncode == 0 and "until the backup ends + 60 s" in checked.stdout,
      f"until: check says how long it runs: {checked.stdout}{checked.stderr}")
s2, _ = run(until_file, "until")
b2 = s2["backup"]
check(b2["ended_s"] == backup["ended_s"], f"until: the backup ends as in the day run: {b2['ended_s']} vs {backup['ended_s']}")
check(abs(s2["duration_s"] - (b2["ended_s"] + 60)) < 1e-6,
      f"until: duration_s {s2['duration_s']} = backup end {b2['ended_s']} + 60")

# check warns when the copy cannot end before duration_s.
short = dict(day)
short["duration_s"] = 10810
short_file = work / "short.json"
short_file.write_text(json.dumps(short))
checked = subprocess.run([lockstage, "check", str(short_file)], capture_output=True, text=True)
check(checked.returncode == 0 and "warning" in checked.stderr and "cannot finish within duration_s" in checked.stderr,
      f"short: check warns: {checked.returncode} {checked.stderr}")
checked = subprocess.run([lockstage, "check", str(day_file)], capture_output=True, text=True)
check(checked.returncode == 0 and checked.stderr == "", f"day: no warning: {checked.stderr}")

# A CSV profile, relative to the scenario file: 2/s, nothing from 1,800 s, 4/s from 3,600 s.
(work / "steps.csv").write_text("t_s,rate_tps\n0,2\n1800,0\n3600,4\n")
steps = dict(day)
del steps["backup"]
steps["duration_s"] = 5400
steps["output"] = {"timeline_interval_s": 60}
steps["workload"] = json.loads(json.dumps(day["workload"]))
steps["workload"]["groups"][0]["arrivals"]["profile"] = {"csv": "steps.csv"}
steps_file = work / "steps.json"
steps_file.write_text(json.dumps(steps))
_, timeline = run(steps_file, "steps")
per_half = completed_per(timeline, "app", 1800)
for i, rate in enumerate([2, 0, 4]):
    mean = rate * 1800
    got = per_half.get(i, 0)
    check(abs(got - mean) <= 5 * math.sqrt(mean) + 2, f"csv: half hour {i}: {got}, expected about {mean}")

print(f"profile: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
