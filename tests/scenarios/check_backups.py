"""Backup actors: each strategy's order of work, what it blocks, its calibration against the
real mariadb-backup (docs/measured.md#stage-times-of-a-real-mariadb-backup), its consistency verdict, and a kill mid-copy.
Run with Debian's python3: check_backups.py LOCKSTAGE SCENARIOS_DIR
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


def run(name, folder=scenarios):
    out = work / name
    subprocess.run([lockstage, "run", str(folder / f"{name}.json"), "--out", str(out), "--quiet"],
                   check=True)
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "trace.csv", newline="") as f:
        backup = [r for r in csv.DictReader(f) if r["session"] == "backup"]
    # each group's metrics (summary["metrics"]["groups"]) with its details from summary["groups"]
    groups = {g["name"]: {**g, **summary["metrics"]["groups"][g["name"]]} for g in summary["groups"]}
    return summary, backup, groups


def finished(summary):
    return summary["metrics"]["run"]["backup_finished"] == 1


def consistent(summary):
    return summary["metrics"]["run"]["consistent"] == 1


def histogram_quantile(name, group, metric, q):
    """The quantile of a histogram of latency_histogram.csv as lockstage computes it: the upper
    edge of the bucket holding the ceil(q * count)-th value (ms)."""
    with open(work / name / "latency_histogram.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["group"] == group and r["metric"] == metric]
    count = sum(int(r["count"]) for r in rows)
    rank, seen = max(1, math.ceil(q * count)), 0
    for r in sorted(rows, key=lambda r: float(r["lower_ms"])):
        seen += int(r["count"])
        if seen >= rank:
            return float(r["upper_ms"])
    raise ValueError(f"{name}: no {metric} histogram for {group}")


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def near(x, target, tol):
    return abs(x - target) <= tol


def row(trace, prefix):
    return next(r for r in trace if r["sql"].startswith(prefix))


def t(r, col):
    return float(r[col])


# The order of lock statements and copy phases, per strategy (docs/backup-tools.md#versions-at-a-glance).
ORDER = {
    "mariabackup-stages": ["SET", "BACKUP STAGE START", "-- copy InnoDB", "BACKUP STAGE FLUSH",
                           "-- copy non-transactional", "BACKUP STAGE BLOCK_DDL", "-- copy .frm",
                           "-- wait for the redo", "BACKUP STAGE BLOCK_COMMIT",
                           "-- copy log and statistics", "-- wait for the redo", "BACKUP STAGE END"],
    # every table's .frm and .opt are copied under the lock (docs/backup-tools.md#files-copied-under-the-lock)
    "mariabackup-legacy": ["SET", "-- copy InnoDB", "BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT",
                           "-- copy .frm", "-- copy non-InnoDB", "-- record the binlog", "-- wait for the redo",
                           "BACKUP STAGE END"],
    "ftwrl": ["SET", "-- copy InnoDB", "FLUSH TABLES WITH READ LOCK", "-- copy .frm", "-- copy non-InnoDB",
              "-- record the binlog", "-- wait for the redo", "UNLOCK TABLES"],
    "no-lock": ["SET", "-- copy InnoDB", "-- copy .frm", "-- copy non-InnoDB", "-- wait for the redo"],
    # XtraBackup 8.0 (docs/backup-tools.md#percona-xtrabackup-80): LOCK INSTANCE at the start, FTWRL
    # after the InnoDB copy when there are MyISAM tables; Percona's LOCK TABLES FOR BACKUP at the start.
    "mysql-lock-instance": ["SET", "LOCK INSTANCE FOR BACKUP", "-- copy InnoDB", "FLUSH TABLES WITH READ LOCK",
                            "-- copy non-InnoDB", "-- read the binlog", "-- wait for the redo", "UNLOCK INSTANCE",
                            "UNLOCK TABLES"],
    "percona-backup-locks": ["SET", "LOCK TABLES FOR BACKUP", "-- copy InnoDB", "-- copy non-InnoDB",
                             "-- read the binlog", "-- wait for the redo", "UNLOCK TABLES"],
}
results = {}
for strategy, order in ORDER.items():
    s, trace, groups = run(f"backup-{strategy}")
    results[strategy] = (s, trace, groups)
    got = [r["sql"] for r in trace]
    check(len(got) == len(order) and all(g.startswith(o) for g, o in zip(got, order)),
          f"{strategy}: order of work {got}")
    check(all(r["error"] == "" for r in trace), f"{strategy}: a statement failed")
    check(finished(s), f"{strategy}: did not finish: {s['backup']['failure']}")
    times = [t(r, "sent_s") for r in trace]
    check(times == sorted(times), f"{strategy}: steps out of time order")

# The stage timeline in summary.json: each lock statement, requested, granted, released.
stages = results["mariabackup-stages"][0]["backup"]["stages"]
check([st["statement"] for st in stages] == ["BACKUP STAGE START", "BACKUP STAGE FLUSH", "BACKUP STAGE BLOCK_DDL",
                                              "BACKUP STAGE BLOCK_COMMIT", "BACKUP STAGE END"], f"stage timeline {stages}")
check(all(st["requested_s"] <= st["granted_s"] <= st["released_s"] for st in stages)
      and all(a["released_s"] == b["requested_s"] for a, b in zip(stages, stages[1:])), "stage timeline times")

# FTWRL blocks InnoDB commits for the whole non-InnoDB copy: from FTWRL to UNLOCK TABLES.
s, trace, groups = results["ftwrl"]
held = t(row(trace, "UNLOCK TABLES"), "sent_s") - t(row(trace, "FLUSH"), "granted_s")
check(held > 4, f"ftwrl: the non-InnoDB copy is long ({held} s)")
check(near(groups["app"]["longest_commit_gap_s"], held, 0.05),
      f"ftwrl: InnoDB commits stopped {groups['app']['longest_commit_gap_s']} s, lock held {held} s")
# Legacy mariabackup: the same, from BLOCK_COMMIT to END.
s, trace, groups = results["mariabackup-legacy"]
held = t(row(trace, "BACKUP STAGE END"), "sent_s") - t(row(trace, "BACKUP STAGE BLOCK_COMMIT"), "granted_s")
check(near(groups["app"]["longest_commit_gap_s"], held, 0.05),
      f"legacy: InnoDB commits stopped {groups['app']['longest_commit_gap_s']} s, BLOCK_COMMIT held {held} s")
# 10.11.8+ stages: InnoDB commits stop only for BLOCK_COMMIT's work; MyISAM from FLUSH to END.
s, trace, groups = results["mariabackup-stages"]
end = t(row(trace, "BACKUP STAGE END"), "sent_s")
block_commit = end - t(row(trace, "BACKUP STAGE BLOCK_COMMIT"), "granted_s")
flush_to_end = end - t(row(trace, "BACKUP STAGE FLUSH"), "granted_s")
check(near(groups["app"]["longest_commit_gap_s"], block_commit, 0.05),
      f"stages: InnoDB commits stopped {groups['app']['longest_commit_gap_s']} s, BLOCK_COMMIT {block_commit} s")
check(near(groups["log_writer"]["longest_commit_gap_s"], flush_to_end, 0.1),
      f"stages: MyISAM writes stopped {groups['log_writer']['longest_commit_gap_s']} s, FLUSH..END {flush_to_end} s")
check(near(groups["log_writer"]["longest_commit_gap_start_s"], t(row(trace, "BACKUP STAGE FLUSH"), "granted_s"), 0.1),
      "stages: MyISAM writes stop at FLUSH")
# XtraBackup 8.0 on MySQL with MyISAM tables: FTWRL stops commits for the non-InnoDB copy.
s, trace, groups = results["mysql-lock-instance"]
held = t(row(trace, "UNLOCK TABLES"), "sent_s") - t(row(trace, "FLUSH"), "granted_s")
check(held > 4 and near(groups["app"]["longest_commit_gap_s"], held, 0.05),
      f"lock instance: InnoDB commits stopped {groups['app']['longest_commit_gap_s']} s, FTWRL held {held} s")
# Strategies that never stop InnoDB commits.
for strategy in ("no-lock", "percona-backup-locks"):
    gap = results[strategy][2]["app"]["longest_commit_gap_s"]
    check(gap < 0.1, f"{strategy}: InnoDB commits stopped {gap} s")

# Consistency verdicts.
b = results["no-lock"][0]["backup"]
check(not consistent(results["no-lock"][0]) and {i["table"] for i in b["inconsistencies"]} == {"app_log", "(binlog)"},
      f"no-lock with MyISAM writes: {b['inconsistencies']}")
for strategy in ("mariabackup-stages", "mariabackup-legacy", "ftwrl", "mysql-lock-instance", "percona-backup-locks"):
    check(consistent(results[strategy][0]), f"{strategy}: should be consistent")
s, _, _ = run("backup-no-lock-innodb-only")
check(consistent(s) and s["backup"]["inconsistencies"] == [],
      f"no-lock on InnoDB only: {s['backup']}")

# Calibration against the real tool (docs/measured.md#stage-times-of-a-real-mariadb-backup).
s, trace, groups = run("backup-calibration-small")
check(near(groups["app"]["longest_commit_gap_s"], 1.0, 0.06), f"small: InnoDB blocked {groups['app']['longest_commit_gap_s']} s, real ~1.0 s")
check(near(groups["log_writer"]["longest_commit_gap_s"], 1.9, 0.1), f"small: MyISAM blocked {groups['log_writer']['longest_commit_gap_s']} s, real ~1.9 s")
start_flush = t(row(trace, "BACKUP STAGE FLUSH"), "sent_s") - t(row(trace, "BACKUP STAGE START"), "sent_s")
check(0.05 <= start_flush <= 0.13, f"small: START->FLUSH {start_flush} s, real 75-120 ms")
s, trace, groups = run("backup-calibration-small-interval100")
check(near(groups["app"]["longest_commit_gap_s"], 0.1, 0.03), f"interval 100: InnoDB blocked {groups['app']['longest_commit_gap_s']} s, real ~0.1 s")
check(near(groups["log_writer"]["longest_commit_gap_s"], 0.13, 0.03), f"interval 100: MyISAM blocked {groups['log_writer']['longest_commit_gap_s']} s, real ~0.13 s")
s, trace, groups = run("backup-calibration-innodb-1.5gb")
start_flush = t(row(trace, "BACKUP STAGE FLUSH"), "sent_s") - t(row(trace, "BACKUP STAGE START"), "sent_s")
check(near(start_flush, 3.4, 0.15), f"1.5 GB: START stage {start_flush} s, real 3.2-3.6 s")
check(groups["app"]["longest_commit_gap_start_s"] >= t(row(trace, "BACKUP STAGE BLOCK_COMMIT"), "sent_s") - 0.01,
      "1.5 GB: InnoDB commits stop only at BLOCK_COMMIT, never during START")

# A backup killed mid-copy releases its lock in the same instant; the writers proceed.
s, trace, groups = run("backup-killed-mid-copy")
check(not finished(s) and "killed" in s["backup"]["failure"], f"kill: {s['backup']}")
for name in ("app", "log_writer"):
    g = groups[name]
    resumed = g["longest_commit_gap_start_s"] + g["longest_commit_gap_s"]
    check(near(resumed, 4.5, 0.005), f"kill: {name} resumed at {resumed} s, killed at 4.5 s")

# io_contention: while the copy takes 450 of the disk's 600 MB/s, a 1 ms fsync takes 4 ms.
# (p90 is not a metric of its own: it is read from the app's latency histogram, every request,
# checked against the metric p99_ms read the same way)
s, trace, groups = run("backup-io-contention")
p90 = histogram_quantile("backup-io-contention", "app", "latency", 0.90)
p99 = histogram_quantile("backup-io-contention", "app", "latency", 0.99)
check(abs(p99 - groups["app"]["p99_ms"]) <= 1e-6,
      f"io_contention: p99 from latency_histogram.csv {p99} ms, p99_ms {groups['app']['p99_ms']} ms")
check(4.0 <= p90 <= 6.5, f"io_contention: p90 latency {p90} ms, expected 0.5 ms exec + 4 ms fsync")

# Options and failures. A failed backup's tool exits: its last trace row says so.
EXIT = "-- exit: the tool failed; its connection closes"
s, trace, _ = run("backup-no-reload")
check(not finished(s) and "BACKUP STAGE START: ER_SPECIFIC_ACCESS_DENIED_ERROR" in s["backup"]["failure"]
      and [r["sql"] for r in trace[-2:]] == ["BACKUP STAGE START", EXIT],
      f"no RELOAD: {s['backup']['failure']}, last {[r['sql'] for r in trace[-2:]]}")
s, trace, _ = run("backup-no-reload-ftwrl-fallback")
check([r["sql"] for r in trace if r["error"]] == ["BACKUP STAGE START", "FLUSH TABLES WITH READ LOCK"]
      and not finished(s), "on_missing_privilege ftwrl: tries FTWRL, which needs RELOAD too")
s, trace, _ = run("backup-ftwrl-wait-timeout")
b = s["backup"]
check(not finished(s) and b["failure"].startswith("Unable to obtain lock") and near(b["ended_s"] - b["began_s"], 11.168, 0.01)
      and not any(r["sql"].startswith("FLUSH") for r in trace),
      f"ftwrl_wait_timeout: {b['failure']} after {b['ended_s'] - b['began_s']} s")
s, trace, _ = run("backup-kill-long-queries")
with open(work / "backup-kill-long-queries" / "trace.csv", newline="") as f:
    batch = next(r for r in csv.DictReader(f) if r["session"] == "batch")
ftwrl = row(trace, "FLUSH")
check(batch["error"] == "ER_CONNECTION_KILLED" and near(t(ftwrl, "wait_s"), 5.0, 0.001)
      and finished(s), f"kill_long_queries_timeout: batch {batch['error']}, FTWRL waited {ftwrl['wait_s']} s")
s, _, _ = run("backup-ddl-during-no-lock")
check([i["table"] for i in s["backup"]["inconsistencies"]] == ["orders", "(binlog)"]
      and "DDL" in s["backup"]["inconsistencies"][0]["reason"], f"DDL during no-lock: {s['backup']['inconsistencies']}")

# A backup that fails part way gives back its locks at the failure: BLOCK_DDL times out behind a
# long TRUNCATE (backup.lock_wait_timeout_s 5), and the FLUSH stage the session still held goes
# with its connection, so the MyISAM writer is blocked from FLUSH to the failure, not to the end.
s, trace, groups = run("backup-fails-at-block-ddl", pathlib.Path(__file__).resolve().parent)
b = s["backup"]
flush = t(row(trace, "BACKUP STAGE FLUSH"), "granted_s")
log = groups["log_writer"]
check(not finished(s) and b["failure"] == "BACKUP STAGE BLOCK_DDL: ER_LOCK_WAIT_TIMEOUT"
      and trace[-1]["sql"] == EXIT and near(t(trace[-1], "sent_s"), b["ended_s"], 1e-6),
      f"failed at BLOCK_DDL: {b['failure']}, last {trace[-1]['sql']}")
check(near(log["write_blocked_s"], b["ended_s"] - flush, 0.1) and near(log["write_blocked_start_s"], flush, 0.1)
      and log["timeouts"] == 0 and log["failed"] == 0,
      f"failed at BLOCK_DDL: MyISAM writes blocked {log['write_blocked_s']} s from {log['write_blocked_start_s']} s "
      f"({log['timeouts']} timeouts), expected FLUSH {flush} s to the failure {b['ended_s']} s")

print(f"backups: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
