"""max_statement_time and retries end to end (docs/statement-timeout.md): FTWRL holds writes for
6 s; with max_statement_time_s 1 and one retry after 100 ms, statements time out and are
retried, and no request lasts longer than two attempts and the backoff, where the same traffic
without the limit waits the lock out. The printed table's --percentiles read the same histogram
as summary.json's p50_ms, p99_ms and p999_ms.
Run with Debian's python3: check_statement_timeout.py LOCKSTAGE SCENARIO.json
"""
import json
import pathlib
import subprocess
import sys
import tempfile

lockstage, scenario = sys.argv[1], pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp())
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def run(doc, name, *options):
    path = work / f"{name}.json"
    path.write_text(json.dumps(doc))
    out = work / name
    printed = subprocess.run([lockstage, "run", str(path), "--out", str(out), *options],
                             check=True, capture_output=True, text=True).stdout
    summary = json.loads((out / "summary.json").read_text())
    return summary["metrics"]["groups"]["app"], printed


doc = json.loads(scenario.read_text())
app, printed = run(doc, "limited", "--percentiles", "50,99,99.9,95")
# Requests arriving in [2, 8) s find the lock: 40/s x 6 s, about 240, each timing out once at
# least; those whose retry (1.1 s later) still finds the lock time out again and fail.
check(app["statement_timeouts"] > 150, f"statement_timeouts {app['statement_timeouts']}, expected > 150")
check(app["retries"] > 150, f"retries {app['retries']}, expected > 150")
check(app["retries"] <= app["statement_timeouts"], "a retry without a timeout before it")
check(app["failed"] > 0, f"failed {app['failed']}: the retries inside the 6 s also time out")
check(app["failed"] == app["statement_timeouts"] - app["retries"],
      f"failed {app['failed']} != timeouts {app['statement_timeouts']} - retries {app['retries']}: "
      "a request fails when its last attempt times out")
# Two attempts of at most 1 s each, 100 ms apart, plus the UPDATE's 2 ms and its commit.
bound_ms = 1000 + 100 + 1000 + 2 + 1
check(app["max_ms"] <= bound_ms, f"max_ms {app['max_ms']} above {bound_ms}")
check(1000 <= app["p99_ms"] <= bound_ms, f"p99_ms {app['p99_ms']} not in [1000, {bound_ms}]")

# The printed table: the chosen percentiles as columns, the table's own values for 50, 99, 99.9.
lines = printed.splitlines()
header = next((l.split() for l in lines if l.strip().startswith("group ")), None)
row = next((l.split() for l in lines if l.strip().startswith("app ")), None)
check(header is not None and row is not None, "no group table in the printed summary")
if header and row:
    for column in ("p50_ms", "p99_ms", "p999_ms", "p95_ms"):
        check(column in header, f"column {column} missing from {header}")
    for column, metric in (("p50_ms", "p50_ms"), ("p99_ms", "p99_ms"), ("p999_ms", "p999_ms")):
        if column in header:
            shown = float(row[header.index(column)])
            check(abs(shown - app[metric]) < 0.006, f"printed {column} {shown} != summary {app[metric]}")
    if "p95_ms" in header:
        p95 = float(row[header.index("p95_ms")])
        check(app["p50_ms"] <= p95 <= app["p99_ms"], f"p95_ms {p95} not between p50 and p99")

# The same traffic without the limit: the first requests wait out the lock (6 s).
del doc["workload"]["groups"][0]["max_statement_time_s"]
plain, _ = run(doc, "unlimited", "--quiet")
check(plain["statement_timeouts"] == 0 and plain["retries"] == 0,
      f"without max_statement_time: {plain['statement_timeouts']} timeouts, {plain['retries']} retries")
check(plain["max_ms"] > 5900, f"without the limit max_ms {plain['max_ms']}, expected about 6000")
check(plain["p99_ms"] > 3 * app["p99_ms"] / 2,
      f"without the limit p99_ms {plain['p99_ms']}, with it {app['p99_ms']}")

print(f"statement timeout scenario: {passed} checks passed, {failed} failed")
sys.exit(1 if failed else 0)
