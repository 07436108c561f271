"""Extreme but legal scenarios (tests/extreme/): each runs to the end (exit 0, within a time
limit), writes valid JSON with no NaN or infinity, and gives the numbers it should.

Usage: check_extreme.py LOCKSTAGE EXTREME_DIR
"""
import csv
import functools
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

lockstage, folder = sys.argv[1], Path(sys.argv[2])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def strict_json(path):
    def refuse(token):
        raise ValueError(f"{path}: {token} in JSON")
    return json.loads(Path(path).read_text(), parse_constant=refuse)


def run(name, *extra):
    out = Path(work) / name
    try:
        p = subprocess.run([lockstage, *extra, str(folder / f"{name}.json"), "--out", str(out),
                            "--quiet"], capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        check(False, f"{name}: did not finish within 240 s")
        return None
    if not check(p.returncode == 0, f"{name}: exit code {p.returncode}: {p.stderr.strip()}"):
        return None
    return out


@functools.lru_cache(maxsize=None)
def summary(name):
    out = run(name, "run")
    if out is None:
        return None, None
    s = strict_json(out / "summary.json")
    strict_json(out / "scenario.json")
    rows = (out / "trace.csv").read_text().splitlines() if (out / "trace.csv").exists() else []
    return s, tuple(rows)


def groups(s):
    """Each group's metrics (summary.json's metrics.groups) with its details from "groups", in
    scenario order."""
    return [{**g, **s["metrics"]["groups"][g["name"]]} for g in s["groups"]]


def run_metric(s, name):
    return s["metrics"]["run"][name]


def phase_seconds(rows, prefix):
    """Duration of the backup's trace row whose sql starts with `prefix` (None if unfinished)."""
    for line in rows[1:]:
        cells = next(csv.reader([line]))
        if cells[0] == "backup" and cells[2].startswith(prefix):
            return float(cells[5]) - float(cells[3]) if cells[5] else None
    raise KeyError(prefix)


def near(got, want, rel, what):
    check(got is not None and abs(got - want) <= rel * abs(want),
          f"{what}: got {got}, expected {want} within {rel:.0%}")


with tempfile.TemporaryDirectory() as work:
    # 1 ns: nothing can finish; every figure is a plain 0 (or null where it does not apply, as
    # latency without a request), not NaN.
    s, rows = summary("one-nanosecond")
    if s:
        for g in groups(s):
            check(g["completed"] == 0 and g["throughput_tps"] == 0,
                  f"one-nanosecond: group {g['name']} completed {g['completed']}")
        b = s["backup"]
        check(run_metric(s, "backup_finished") == 0 and b["failure"].startswith("still running"),
              f"one-nanosecond: backup {b}")
        check(b["began_s"] == 0 and b["ended_s"] == 1e-9, f"one-nanosecond: backup window {b}")
        check(0 < s["kernel"]["events"] < 100, f"one-nanosecond: {s['kernel']['events']} events")
        timeline = (Path(work) / "one-nanosecond" / "timeline.csv").read_text().splitlines()
        check(len(timeline) == 1 + len(s["groups"]), f"one-nanosecond: timeline {timeline}")

    # 1 TB at 1 MB/s: the copy (11.6 days) outlives the 60 s run; the backup is reported as
    # still copying, from its start to the end of the run, and the application is unharmed.
    s, rows = summary("terabyte-at-1mbs")
    if s:
        b, r = s["backup"], s["metrics"]["run"]
        check(r["backup_finished"] == 0 and r["consistent"] == 0, f"terabyte: backup {b}, {r}")
        check("still running when the simulation ended, in: copy InnoDB files" in b["failure"],
              f"terabyte: failure {b['failure']!r}")
        check((b["began_s"], b["ended_s"], r["backup_s"]) == (1.0, 60.0, 59.0),
              f"terabyte: window {b['began_s']}..{b['ended_s']} ({r['backup_s']} s)")
        check(phase_seconds(rows, "-- copy InnoDB files") is None, "terabyte: the copy finished")
        near(groups(s)[0]["throughput_tps"], 100, 0.05, "terabyte: app throughput")
    out = run("terabyte-at-1mbs", "compare")
    if out:
        for row in strict_json(out / "compare.json")["strategies"]:
            r = row["metrics"]["run"]
            check(r["backup_s"] == 59.0 and r["backup_finished"] == 0,
                  f"terabyte compare: {row['strategy']} backup_s {r['backup_s']}, finished {r['backup_finished']}")

    # 0 tables of one engine: a copy costs its size / throughput; 0 GB costs per-table time.
    gb_450 = 4.5 * 1024 / 450  # 10.24 s
    for name, prefix, want in [
        ("myisam-tables-zero", "-- copy non-InnoDB tables", gb_450),
        ("myisam-gb-zero", "-- copy non-InnoDB tables", 50 * 0.0005),
        ("innodb-tables-zero", "-- copy InnoDB files", gb_450),
        ("innodb-gb-zero", "-- copy InnoDB files", 500 * 0.0005),
        ("no-data", "-- copy InnoDB files", 0.0),
        ("no-data", "-- copy non-transactional tables", 0.0),
    ]:
        s, rows = summary(name)
        if s:
            check(run_metric(s, "backup_finished") == 1 and run_metric(s, "consistent") == 1,
                  f"{name}: {s['backup']}")
            got = phase_seconds(rows, prefix)
            check(got is not None and abs(got - want) < 1e-6, f"{name}: {prefix} took {got}, expected {want}")
    s, _ = summary("myisam-tables-zero")
    if s:  # FTWRL is held for the whole 10.24 s copy
        check(groups(s)[0]["write_blocked_s"] > gb_450, f"myisam-tables-zero: {groups(s)[0]['write_blocked_s']}")

    # 10,000 closed clients, pool 10,000: throughput = clients / (think + service).
    s, _ = summary("closed-10000-clients")
    if s:
        g = groups(s)[0]
        near(g["throughput_tps"], 10000 / (1.0 + 0.001 + 0.0001), 0.02, "10,000 clients: throughput")
        check(g["timeouts"] == 0 and g["pool_wait_max_ms"] == 0,
              f"10,000 clients: timeouts {g['timeouts']}, pool wait {g['pool_wait_max_ms']} ms")
    # A pool of 100,000 on 16 cores: the cores cap it at 16,000/s from the first arrivals (0.5 s).
    s, _ = summary("pool-100000")
    if s:
        near(groups(s)[0]["throughput_tps"], 16000 * 9.5 / 10, 0.02, "pool of 100,000: throughput")
    # Requests that take no time: a millisecond retry each, not a loop at one instant.
    s, _ = summary("closed-zero-time")
    if s:
        near(groups(s)[0]["throughput_tps"], 10 * 1000, 0.01, "zero-time clients: throughput")
        check(s["kernel"]["events"] < 1e6, f"zero-time clients: {s['kernel']['events']} events")

    # Values past the end of 64-bit time: a copy that never ends, rates whose mean gap does not
    # fit, an infinite lock_wait_timeout. They used to stop the run ("time value out of range")
    # or overflow; now the copy runs on to the end, nothing arrives, the wait lasts the run.
    for name in ("copy-never-ends", "copy-tables-overflow"):
        s, _ = summary(name)
        if s:
            b = s["backup"]
            check(run_metric(s, "backup_finished") == 0 and "in: copy InnoDB files" in b["failure"]
                  and b["ended_s"] == 5.0, f"{name}: backup {b}")
    s, rows = summary("lock-wait-timeout-huge")
    if s:
        check(s["statements"]["unfinished"] == 1, f"lock-wait-timeout-huge: {s['statements']}")
        check(any(r.startswith("app,2,UPDATE t,2.000000,,,") for r in rows),
              f"lock-wait-timeout-huge: the UPDATE did not wait to the end: {rows}")
    s, _ = summary("rates-tiny")
    if s:
        g = groups(s)[0]
        check((g["arrived"], g["ddl_sent"], g["long_queries_sent"], s["replica"]["received"])
              == (0, 0, 0, 0), f"rates-tiny: something arrived: {g['arrived']}, {s['replica']}")
    s, _ = summary("queue-rate-tiny")
    if s:
        check(s["requests"]["arrived"] == 0, f"queue-rate-tiny: {s['requests']}")

    s, rows = summary("deadlock-prone")
    if s:
        check(s["statements"]["errors"] == {"ER_LOCK_DEADLOCK": 1}
              and s["statements"]["unfinished"] == 0, f"deadlock-prone: {s['statements']}")
        check("con1,3,UPDATE t1 SET a = 1,2.000000,2.000000,2.000000,0.000000,,ER_LOCK_DEADLOCK"
              in rows, f"deadlock-prone: the UPDATE is not the victim: {rows}")
        check(any(r.startswith("con2,1,ALTER TABLE t1 ADD COLUMN c INT,1.000000,3.000000,3.100000,2.000000")
                  for r in rows), f"deadlock-prone: ALTER did not run after the COMMIT: {rows}")

    # Two hours of writes queueing behind a DDL a second, each wait with a day-long timeout that
    # is cancelled when the lock is granted: it runs to the end with every write served (the
    # unit tests check that the cancelled timeouts do not pile up in the event queue).
    s, _ = summary("ddl-heavy-2h")
    if s:
        g = groups(s)[0]
        check(g["completed"] == g["arrived"] > 2_000_000 and g["failed"] == 0 and g["timeouts"] == 0,
              f"ddl-heavy-2h: arrived {g['arrived']}, completed {g['completed']}, failed {g['failed']}")
        check(g["ddl_sent"] > 5000, f"ddl-heavy-2h: {g['ddl_sent']} DDL sent")
        check(g["p99_ms"] > 100, f"ddl-heavy-2h: writes did not wait: p99 {g['p99_ms']} ms")
        near(s["kernel"]["events"], 9.5e6, 0.1, "ddl-heavy-2h: kernel events")

for f in failures:
    print("FAIL", f)
print(f"extreme: {len(failures)} failed")
sys.exit(1 if failures else 0)
