"""Sweep metrics name a group, and runs.csv tells each run's real seed.

- `write_blocked_s[app][mariabackup-stages] < 2` holds while the MyISAM log writer, blocked from
  FLUSH to END, fails the same line for its group: the old sweep metric was the largest over the
  groups, so the logger hid the application.
- An axis on /seed sets each point's seed: runs.csv prints it (it used to print the base's).
Run with Debian's python3: check_sweep_metrics.py LOCKSTAGE SCENARIOS_DIR
"""
import csv
import json
import pathlib
import subprocess
import sys
import tempfile

lockstage, scenarios = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
work = pathlib.Path(tempfile.mkdtemp())
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def sweep(name, doc):
    path = work / f"{name}.json"
    doc = {"name": name, "base": str(scenarios / "default.json"), **doc}
    path.write_text(json.dumps(doc))
    out = work / f"{name}-out"
    p = subprocess.run([lockstage, "sweep", str(path), "--out", str(out), "--jobs", "2", "--quiet"],
                       capture_output=True, text=True)
    return p, out


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# Group metrics in expect lines.
axes = [{"pointer": "/data/myisam_gb", "values": [0.5, 1]}]
p, out = sweep("groups", {"axes": axes, "strategies": ["ftwrl", "mariabackup-stages"],
                          "expect": ["write_blocked_s[app][mariabackup-stages] < 2",
                                     "write_blocked_s[mariabackup-stages] < 2",
                                     "write_blocked_s[app][ftwrl] > 1"]})
check(p.returncode == 0, f"group expect lines hold: exit {p.returncode}, {p.stderr}")
runs = rows(out / "runs.csv")
for r in runs:
    if r["strategy"] == "mariabackup-stages":
        app, log, every = (float(r[c]) for c in ("write_blocked_s[app]", "write_blocked_s[log_writer]",
                                                "write_blocked_s"))
        check(app < 2 and log > 2 and every < 2,
              f"point {r['point']}: app {app} s, log writer {log} s, all groups {every} s")
points = rows(out / "points.csv")
check("write_blocked_s[app]_mean" in points[0] and "write_blocked_s[log_writer]_ci95_low" in points[0],
      f"points.csv has per-group columns: {list(points[0])[:12]}")

p, out = sweep("logger", {"axes": axes, "strategies": ["mariabackup-stages"],
                          "expect": ["write_blocked_s[log_writer][mariabackup-stages] < 2"]})
check(p.returncode == 1 and "point 0 (/data/myisam_gb=0.5): write_blocked_s[log_writer][mariabackup-stages] < 2 is false"
      in p.stderr and (out / "runs.csv").exists(),
      f"the log writer's line fails, naming the point: exit {p.returncode}, {p.stderr}")

# The seed column when an axis sets /seed: each point's seed + the replication.
p, out = sweep("seeds", {"axes": [{"pointer": "/seed", "values": [5, 9]}], "strategies": ["ftwrl"],
                         "replications": 2})
check(p.returncode == 0, f"seed sweep: exit {p.returncode}, {p.stderr}")
seeds = [(r["/seed"], r["replication"], r["seed"]) for r in rows(out / "runs.csv")]
check(seeds == [("5", "0", "5"), ("5", "1", "6"), ("9", "0", "9"), ("9", "1", "10")],
      f"runs.csv seeds {seeds}")
# ... and those are the seeds the runs really used: a run of the scenario with that seed gives
# the same write-blocked time.
one = work / "one"
scenario = json.loads((scenarios / "default.json").read_text())
scenario["backup"]["strategy"] = "ftwrl"
(work / "ftwrl.json").write_text(json.dumps(scenario))
subprocess.run([lockstage, "run", str(work / "ftwrl.json"), "--seed", "10", "--out", str(one), "--quiet"],
               check=True)
summary = json.loads((one / "summary.json").read_text())
last = rows(out / "runs.csv")[-1]
check(float(last["write_blocked_s"]) == summary["metrics"]["all_groups"]["write_blocked_s"]
      and float(last["tps_mean"]) == summary["metrics"]["all_groups"]["tps_mean"],
      f"the seed-10 run: sweep {last['write_blocked_s']} / {last['tps_mean']} vs run "
      f"{summary['metrics']['all_groups']['write_blocked_s']} / {summary['metrics']['all_groups']['tps_mean']}")

print(f"sweep metrics: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
