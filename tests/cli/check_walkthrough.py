#!/usr/bin/env python3
"""The README's walkthrough ("From your server to a ranked plan"), step by step, on the exports
one run of the real-server harness wrote (tests/calibrate/exports/): calibrate the scenario,
check it, compare the strategies on it, plan the backup for the MyISAM writer; each step's
figures are checked, so the README's story cannot drift from what the commands do.

    check_walkthrough.py LOCKSTAGE EXPORTS_DIR
"""
import csv
import os
import subprocess
import sys
import tempfile

lockstage, exports = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


def run(*args, cwd):
    p = subprocess.run([lockstage, *args], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    check(p.returncode == 0, f"lockstage {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory() as work:
    scenario = os.path.join(work, "my-server.json")
    # 1. calibrate: the command the README shows, from the exports' folder.
    out = run("calibrate", "--sysbench", "innodb.sysbench.txt:orders",
              "--sysbench", "myisam.sysbench.txt:app_log", "--status", "status.tsv",
              "--tables", "tables.tsv", "--backup-log", "mariabackup.log",
              "--name", "my-server", "--out", scenario, cwd=exports)
    check("group innodb: 200.712 tps on 256 connections" in out, f"calibrate's InnoDB group: {out}")
    check("backup: mariabackup-stages" in out, "calibrate found BACKUP STAGE in the log")
    # 2. check: the calibrated scenario loads and is small.
    out = run("check", "my-server.json", cwd=work)
    check(out.startswith("my-server.json: ok"), f"check: {out[:200]}")
    # 3. compare: both strategies back up consistently; FTWRL holds every write about the 1 s
    # the log copier takes to see the end of the redo log (log_copy_interval_ms 1000), BACKUP
    # STAGE holds MyISAM writes from FLUSH to END, about 2 s, and InnoDB only in BLOCK_COMMIT.
    run("compare", "my-server.json", "--out", "cmp", "--quiet", cwd=work)
    cmp = {r["strategy"]: r for r in rows(os.path.join(work, "cmp", "compare.csv"))}
    check(set(cmp) == {"ftwrl", "mariabackup-stages"}, f"compare's strategies: {set(cmp)}")
    for s, r in cmp.items():
        check(r["consistent"] == "1" and r["backup_finished"] == "1", f"{s}: finished, consistent")
    ftwrl, stages = cmp["ftwrl"], cmp["mariabackup-stages"]
    check(0.9 < float(ftwrl["write_blocked_s[innodb]"]) < 1.1,
          f"FTWRL blocks InnoDB about 1 s: {ftwrl['write_blocked_s[innodb]']}")
    check(1.8 < float(stages["write_blocked_s[myisam]"]) < 2.2,
          f"BACKUP STAGE blocks MyISAM about 2 s: {stages['write_blocked_s[myisam]']}")
    check(float(stages["write_blocked_s[myisam]"]) > float(ftwrl["write_blocked_s[myisam]"]) + 0.5,
          "BACKUP STAGE holds the MyISAM writer longer than FTWRL here")
    for s in cmp:
        check(os.path.isfile(os.path.join(work, "cmp", "runs", s, "summary.json")),
              f"compare wrote runs/{s}/")
    # 4. plan for the MyISAM writer: the 100 ms log copy interval ranks above every 1000 ms
    # candidate, and under BACKUP STAGE the MyISAM table converted to Aria is blocked less.
    out = run("plan", "my-server.json", "--group", "myisam", "--out", "plan", "--quiet", cwd=work)
    plan = rows(os.path.join(work, "plan", "plan.csv"))
    check(len(plan) == 8, f"8 candidates (2 strategies x 2 intervals x Aria or not): {len(plan)}")
    intervals = [int(r["log_copy_interval_ms"]) for r in plan]
    check(intervals == sorted(intervals), f"the 100 ms candidates rank first: {intervals}")
    stage100 = {r["myisam_to_aria"]: float(r["mean"]) for r in plan
                if r["strategy"] == "mariabackup-stages" and r["log_copy_interval_ms"] == "100"}
    check(stage100.get("1", 9) + 0.05 < stage100.get("0", 0),
          f"BACKUP STAGE: Aria blocks the writer less than MyISAM: {stage100}")
    check(all(r["objective"] == "write_blocked_s[myisam]" for r in plan), "the objective")
    check(all(float(r["ci_low"]) <= float(r["mean"]) <= float(r["ci_high"]) for r in plan),
          "every interval holds its mean")

print(f"walkthrough: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
