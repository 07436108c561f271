"""lockstage plan on tests/cli/plan/trough.json (from 00:00 for two hours, the application at 20/s
but for a trough at 01:00, 0.05/s; a MyISAM log writer):

- `auto` start times are the quietest hours inside the run plus the scenario's own start, and the
  top candidate starts in the trough (01:00);
- every interval holds its mean; a candidate's mean and interval are those of `lockstage run` with
  seeds seed, seed + 1, ... and scipy's Student t (the plan reads the metric table, it does not
  compute its own figure);
- intervals shrink with more replications;
- plan.csv: every row as wide as its header, the same ranking and figures as plan.json;
- --jobs 1 and --jobs 2 write byte-identical plan.json;
- --kill-long-queries-timeout is tried only with long queries, Aria only with MyISAM tables;
- bad input: each message exact, exit code 2, no result folder; a candidate above the event
  limit is refused before anything runs, naming it.
Run with Debian's python3: check_plan.py LOCKSTAGE PLAN_SCENARIO_DIR
"""
import copy
import csv
import json
import pathlib
import subprocess
import sys
import tempfile

from scipy import stats

lockstage, folder = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
scenario = folder / "trough.json"
work = pathlib.Path(tempfile.mkdtemp())
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def plan(out, *args, path=scenario):
    p = subprocess.run([lockstage, "plan", str(path), "--out", str(work / out), *args],
                       capture_output=True, text=True)
    return p


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --- The ranking -----------------------------------------------------------------------------
base = ["--strategies", "mariabackup-stages,ftwrl", "--replications", "3"]
p = plan("main", *base, "--jobs", "2")
check(p.returncode == 0, f"plan exits 0 (got {p.returncode}: {p.stderr})")
doc = json.loads((work / "main" / "plan.json").read_text())
cands = doc["candidates"]
starts = sorted({c["start_time"] for c in cands})
# The run (00:00 to 02:00) holds two hours: 01:00 (the trough) and 00:00; the scenario's own
# start is 1800 s = 00:30.
check(starts == ["00:00", "00:30", "01:00"], f"auto start times: {starts}")
# 3 start times x 2 log-copy intervals (the scenario's 1000 and 100) x 2 engines x 2 strategies
check(len(cands) == 24, f"24 candidates, got {len(cands)}")
check([c["rank"] for c in cands] == list(range(1, 25)), "ranks 1..24 in order")
top = cands[0]
check(top["start_time"] == "01:00", f"the top candidate starts in the trough: {top['candidate']}")
check(top["start_at_s"] == 3600, f"01:00 is 3600 s into the run: {top}")
means = [c["objective"]["mean"] for c in cands if c["backups_not_finished"] == 0]
check(means == sorted(means), f"ranked by the objective's mean: {means}")
busy = [c["objective"]["mean"] for c in cands if c["start_time"] != "01:00"]
check(top["objective"]["mean"] < min(busy), f"the trough beats every busy candidate: {busy}")
for c in cands:
    o = c["objective"]
    check(o["low"] <= o["mean"] <= o["high"], f"interval holds its mean: {c['candidate']} {o}")
    check(c["reason"].startswith(c["candidate"] + ": app blocked "), f"reason: {c['reason']}")
    check(", log_writer " in c["reason"], f"the reason names the other group: {c['reason']}")
    check(o == c["groups"]["app"], f"objective is the app group's figure: {c['candidate']}")
    for r in c["ties"]:
        other = cands[r - 1]["objective"]
        check(other["low"] <= o["high"] and o["low"] <= other["high"],
              f"tie #{c['rank']} with #{r}: intervals overlap")
    if c["ties"]:
        check("intervals overlap" in c["reason"], f"a tie is said: {c['reason']}")
text = p.stdout.splitlines()
check(any(line.split()[:1] == ["1"] and "01:00" in line for line in text),
      f"printed table's first row is the 01:00 candidate:\n{p.stdout}")
check(sum(1 for line in text if line.strip().startswith("why: app blocked")) == 10,
      "ten printed candidates (--top 10), each with its reason")

# --- The figures are the metric table's, over seeds seed .. seed + R - 1 ------------------------
def run_candidate(c, seed, name):
    s = json.loads(scenario.read_text())
    s["backup"].update({"strategy": c["strategy"], "start_at_s": c["start_at_s"],
                        "log_copy_interval_ms": c["log_copy_interval_ms"]})
    if c["myisam_to_aria"]:
        for t in s["tables"]:
            if t.get("engine", "").lower() == "myisam":
                t.update({"engine": "Aria", "transactional": True})
        d = s["data"]
        d.update({"aria_gb": d.get("aria_gb", 0) + d["myisam_gb"],
                  "aria_tables": d.get("aria_tables", 0) + d["myisam_tables"],
                  "myisam_gb": 0, "myisam_tables": 0})
    path = work / f"{name}.json"
    path.write_text(json.dumps(s))
    out = work / f"{name}-run"
    r = subprocess.run([lockstage, "run", str(path), "--seed", str(seed), "--out", str(out),
                        "--quiet"], capture_output=True, text=True)
    check(r.returncode == 0, f"run {name}: {r.stderr}")
    return json.loads((out / "summary.json").read_text())["metrics"]["groups"]


varied = [c for c in cands if c["objective"]["low"] < c["objective"]["high"]]
check(len(varied) >= 2, "some candidates vary between replications")
for k, c in enumerate([varied[0], next(c for c in varied if c["myisam_to_aria"])]):
    groups = [run_candidate(c, 1 + r, f"c{k}r{r}") for r in range(3)]
    for g in ("app", "log_writer"):
        xs = [m[g]["write_blocked_s"] for m in groups]
        mean = sum(xs) / 3
        sd = (sum((x - mean) ** 2 for x in xs) / 2) ** 0.5
        h = stats.t.ppf(0.975, 2) * sd / 3 ** 0.5
        got = c["groups"][g]
        check(close(got["mean"], mean) and close(got["low"], mean - h)
              and close(got["high"], mean + h),
              f"{c['candidate']} {g}: plan {got}, runs {xs} -> {mean} +- {h}")

# --- plan.csv ----------------------------------------------------------------------------------
with open(work / "main" / "plan.csv", newline="") as f:
    table = list(csv.reader(f))
header, body = table[0], table[1:]
check(all(len(row) == len(header) for row in body), "every plan.csv row as wide as its header")
check(len(body) == 24, f"plan.csv has a row per candidate ({len(body)})")
for row, c in zip(body, cands):
    r = dict(zip(header, row))
    check(int(r["rank"]) == c["rank"] and r["candidate"] == c["candidate"]
          and close(float(r["mean"]), c["objective"]["mean"])
          and close(float(r["ci_low"]), c["objective"]["low"])
          and close(float(r["write_blocked_s[log_writer]_mean"]), c["groups"]["log_writer"]["mean"])
          and r["reason"] == c["reason"], f"plan.csv row {row} agrees with plan.json")

# --- Determinism -------------------------------------------------------------------------------
small = ["--strategies", "ftwrl,mariabackup-stages", "--start-times", "00:00,01:00",
         "--replications", "2", "--quiet"]
p1 = plan("j1", *small, "--jobs", "1")
p2 = plan("j2", *small, "--jobs", "2")
check(p1.returncode == p2.returncode == 0 and p2.stdout == "" and p2.stderr == "",
      f"--quiet plan: {p2.stdout} {p2.stderr}")
check((work / "j1" / "plan.json").read_bytes() == (work / "j2" / "plan.json").read_bytes(),
      "--jobs 1 and --jobs 2: byte-identical plan.json")

# --- More replications, narrower intervals -----------------------------------------------------
# The width is 2 t s / sqrt(n), and s from 3 runs is itself a noisy estimate: FTWRL's app figure
# at 00:00 happens to vary less over seeds 1..3 than over 1..12, so its interval widens. Each
# BACKUP STAGE interval narrows, and so does the sum of every candidate's and group's widths.
def widths(reps):
    q = plan(f"r{reps}", "--strategies", "mariabackup-stages,ftwrl", "--start-times", "00:00",
             "--replications", str(reps), "--quiet")
    check(q.returncode == 0, f"plan --replications {reps}: {q.stderr}")
    d = json.loads((work / f"r{reps}" / "plan.json").read_text())
    return {(c["candidate"], g): ci["high"] - ci["low"]
            for c in d["candidates"] for g, ci in c["groups"].items()}


w3, w12 = widths(3), widths(12)
check(w3.keys() == w12.keys() and len(w3) == 16, f"the same 8 candidates x 2 groups: {list(w3)}")
for k in w3:
    if k[0].startswith("BACKUP STAGE") and w3[k] > 0:
        check(w12[k] < w3[k], f"{k}: interval {w3[k]} with 3 replications, {w12[k]} with 12")
check(sum(w12.values()) < 0.5 * sum(w3.values()),
      f"widths summed: {sum(w3.values())} with 3 replications, {sum(w12.values())} with 12")

# --- Which options are tried --------------------------------------------------------------------
def variant(name, edit):
    s = json.loads(scenario.read_text())
    edit(s)
    path = work / f"{name}.json"
    path.write_text(json.dumps(s))
    return path


def candidates(path, *args):
    out = path.stem + "-plan"
    q = plan(out, "--strategies", "ftwrl", "--start-times", "00:00", "--replications", "2",
             "--quiet", *args, path=path)
    check(q.returncode == 0, f"plan {path.name}: {q.stderr}")
    return json.loads((work / out / "plan.json").read_text())["candidates"]


def long_queries(s):
    s["workload"]["groups"][0].update({"long_query_rate_per_h": 2, "long_queries": [
        {"sql": "SELECT * FROM orders", "exec_ms": {"dist": "constant", "value_ms": 60000}}]})


def innodb_only(s):
    s["tables"][1]["engine"] = "InnoDB"
    s["data"].update({"myisam_gb": 0, "myisam_tables": 0})


c = candidates(variant("long", long_queries))
kills = sorted({x["kill_long_queries_timeout_s"] for x in c})
check(kills == [0, 10] and len(c) == 8, f"long queries: kill off and 10 s, 8 candidates: {kills}")
check(any("--kill-long-queries-timeout=10" in x["candidate"] for x in c), "kill said in words")
c = candidates(variant("innodb", innodb_only))
check(len(c) == 2 and not any(x["myisam_to_aria"] for x in c), f"no MyISAM, no Aria: {len(c)}")
check(all(x["kill_long_queries_timeout_s"] == 0 for x in c), "no long queries, no kill option")
c = candidates(scenario, "--objective", "p99", "--group", "log_writer")
check(all(x["reason"].startswith(x["candidate"] + ": log_writer p99 ") for x in c),
      f"--objective p99 --group log_writer: {c[0]['reason']}")
check(all(x["objective"] == x["groups"]["log_writer"] for x in c), "p99 of log_writer ranked")
def flat(s):
    arrivals = s["workload"]["groups"][0]["arrivals"]
    arrivals.pop("profile")
    arrivals["rate_tps"] = 2


no_profile = variant("flat", flat)
q = plan("flat-out", "--strategies", "ftwrl", "--replications", "2", path=no_profile)
d = json.loads((work / "flat-out" / "plan.json").read_text())
check(q.returncode == 0 and {x["start_at_s"] for x in d["candidates"]} == {1800}
      and all(x["start_time"] is None for x in d["candidates"]),
      f"no profile: auto is the scenario's own start: {q.stderr}")

# A profile from a CSV file next to the scenario: each candidate (named "FILE at /backup/...")
# reads it from the scenario's folder, not from a folder made of the name (it once looked in
# "FILE at /backup/start_at_s=1800, /backup/log_copy_interval_ms=100, /backup/").
def csv_profile(s):
    s["workload"]["groups"][0]["arrivals"]["profile"] = {"csv": "rates.csv"}


(work / "rates.csv").write_text("t_s,rate_tps\n0,20\n3600,0.05\n")
q = plan("csv-out", "--strategies", "ftwrl", "--replications", "2", "--quiet",
         path=variant("csv", csv_profile))
d = json.loads((work / "csv-out" / "plan.json").read_text()) if q.returncode == 0 else {}
check(q.returncode == 0 and len(d["candidates"]) == 4, f"plan of a CSV profile: {q.stderr}")

# --- Bad input ---------------------------------------------------------------------------------
no_backup = variant("no-backup", lambda s: s.pop("backup"))


def big(s):
    s["duration_s"] = 86400
    s["workload"]["groups"][1]["arrivals"]["rate_tps"] = 50000
    s["workload"]["groups"][1]["pool_size"] = 100


too_big = variant("big", big)
usage = "\nTry 'lockstage --help'.\n"
cases = [
    ([], no_backup, f"lockstage: error: {no_backup}: /backup: plan varies the backup's start, "
                    "strategy and options: the scenario needs a \"backup\"\n"),
    (["--group", "nope"], scenario,
     f"lockstage: --group nope: expected a client group of {scenario} (app, log_writer)" + usage),
    (["--objective", "p50"], scenario, "lockstage: --objective p50: expected p99 or write-blocked"
     + usage),
    (["--start-times", "00:00,25:00"], scenario, "lockstage: --start-times 25:00: expected auto "
     "or times of day HH:MM (00:00 to 23:59), comma-separated" + usage),
    (["--start-times", "3"], scenario, "lockstage: --start-times 3: expected auto or times of day "
     "HH:MM (00:00 to 23:59), comma-separated" + usage),
    (["--start-times", "07:00"], scenario, "lockstage: --start-times 07:00: the backup would "
     f"start 25200 s into the run, at or after its end (duration_s 7200 in {scenario})" + usage),
    (["--replications", "1"], scenario,
     "lockstage: --replications 1: expected a whole number from 2 to 1000" + usage),
    (["--confidence", "1.5"], scenario, "lockstage: --confidence 1.5: expected a number between "
     "0 and 1 (exclusive), e.g. 0.95" + usage),
    (["--confidence", "0"], scenario, "lockstage: --confidence 0: expected a number between 0 and "
     "1 (exclusive), e.g. 0.95" + usage),
    (["--strategies", "ftwrl,xtrabackup"], scenario, "lockstage: --strategies: unknown strategy "
     "'xtrabackup' (known: mariabackup-stages, mariabackup-legacy, ftwrl, no-lock, "
     "mysql-lock-instance, percona-backup-locks)" + usage),
]
# Every candidate is estimated before anything runs; the message names the largest one.
cases.append(([], too_big, f"lockstage: error: {too_big} at /backup/start_at_s=3600, "
              "/backup/log_copy_interval_ms=100, /backup/kill_long_queries_timeout_s=0: "
              "/workload/groups/1/arrivals/rate_tps: expected a run of at most 1e+10 kernel "
              "events; this one is estimated at 1.7e+10 (mostly group log_writer: 50000/s x 86400 "
              "s x 4.0 events); to run it anyway, give --max-events N with N above the estimate, "
              "e.g. --max-events 3.5e+10\n"))
# --set changes the scenario as read: the same plan as of an edited copy, recorded in plan.json.
def slower_writer(s):
    s["workload"]["groups"][1]["arrivals"]["rate_tps"] = 5


edited = variant("edited-writer", slower_writer)
a = candidates(scenario, "--set", "/workload/groups/1/arrivals/rate_tps=5")
b = candidates(edited)
check([c["objective"] for c in a] == [c["objective"] for c in b],
      "plan --set ranks as the plan of an edited copy")
set_doc = json.loads((work / "trough-plan" / "plan.json").read_text())
check(set_doc.get("overrides") == ["/workload/groups/1/arrivals/rate_tps=5"],
      f"plan.json records the overrides: {set_doc.get('overrides')}")
cases.append((["--set", "/backup/strategy=ftwrl"], scenario,
              "lockstage: --set /backup/strategy=ftwrl: this command runs each strategy of "
              "--strategies (default ftwrl,mariabackup-stages); choose them there" + usage))
cases.append((["--set", "/workload/groups/1/arrivals/rate_tps=-1"], scenario,
              f"lockstage: error: {scenario} (with --set /workload/groups/1/arrivals/rate_tps=-1): "
              "/workload/groups/1/arrivals/rate_tps: expected a number > 0, got -1\n"))
for k, (args, path, message) in enumerate(cases):
    out = f"bad{k}"
    q = plan(out, *args, path=path)
    check(q.returncode == 2 and q.stderr == message and q.stdout == "",
          f"plan {' '.join(args)}: exit {q.returncode}, stderr {q.stderr!r}, expected {message!r}")
    check(not (work / out).exists(), f"plan {' '.join(args)}: no result folder")

print(f"check_plan: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
