"""The real-server script's analysis, without a server: write gaps, sysbench report parsing, the
generated lockstage scenario (it must load), and the verdicts.

Run with Debian's python3: test_realserver.py LOCKSTAGE
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realserver  # noqa: E402

lockstage = sys.argv[1]
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


# Longest gap: the interval edges count, completions outside [begin, end] do not.
gap, at = realserver.longest_gap([1.0, 1.5, 4.5, 5.0, 99.0], 0.5, 6.0)
check((round(gap, 9), at) == (3.0, 1.5), f"longest_gap middle: {gap} at {at}")
gap, at = realserver.longest_gap([], 2.0, 3.5)
check((gap, at) == (1.5, 2.0), f"longest_gap without completions: {gap} at {at}")
gap, at = realserver.longest_gap([0.1, 0.2], 0.0, 10.0)
check((round(gap, 9), at) == (9.8, 0.2), f"longest_gap at the end: {gap} at {at}")

# A sysbench 1.0.20 report with --rate, --histogram, --percentile=99 and completion logs.
REPORT = """sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)

Threads started!

[ 1s ] thds: 256 tps: 233.45 qps: 233.45 (r/w/o: 0.00/233.45/0.00) lat (ms,99%): 6.55 err/s: 0.00 reconn/s: 0.00
[ 1s ] queue length: 0, concurrency: 0
[ 2s ] thds: 256 tps: 0.00 qps: 0.00 (r/w/o: 0.00/0.00/0.00) lat (ms,99%): 0.00 err/s: 0.00 reconn/s: 0.00
[ 2s ] queue length: 517, concurrency: 256
Latency histogram (values are in milliseconds)
       value  ------------- distribution ------------- count
       0.241 |*                                        3
       0.520 |****************************************  120
      12.081 |**                                       7
    1401.610 |                                         1

SQL statistics:
    transactions:                        131    (65.50 per sec.)

Latency (ms):
         min:                                    0.23
         avg:                                   11.54
         max:                                 1401.61
         99th percentile:                       12.08
         sum:                                 2588.61
"""
with tempfile.TemporaryDirectory() as d:
    for tid, times in ((0, [1700000000000000, 1700000002000000]), (1, [1700000001000000])):
        with open(os.path.join(d, f"innodb.{tid}"), "w") as f:
            f.write("".join(f"{t}\n" for t in times))
    sb = realserver.Sysbench.__new__(realserver.Sysbench)
    sb.name, sb.logprefix = "innodb", os.path.join(d, "innodb")
    r = sb.report(REPORT)
    try:
        sb.report(REPORT.replace("99th percentile", "95th percentile"))
        check(False, "a report without the 99th percentile is refused")
    except realserver.MeasurementError:
        check(True, "")
check((r["p99_ms"], r["max_ms"], r["avg_ms"]) == (12.08, 1401.61, 11.54), f"report latencies: {r}")
check(r["histogram"] == [(0.241, 3), (0.520, 120), (12.081, 7), (1401.61, 1)],
      f"report histogram: {r['histogram']}")
check(r["peak_client_queue"] == 517 and r["transactions"] == 131 and r["tps"] == 65.5,
      f"report queue and transactions: {r}")
check(r["completions"] == [1700000000.0, 1700000001.0, 1700000002.0],
      f"completion logs merged and sorted: {r['completions']}")

# The generated scenario loads, carries the measured set-up, and lockstage runs it.
args = argparse.Namespace(duration_s=20, innodb_rate=200, innodb_threads=256, myisam_rate=20,
                          myisam_threads=4, lockstage=os.path.abspath(lockstage))
# (the parsed histogram's 1.4 s outlier would delay FTWRL itself: a baseline without it)
baseline = {"innodb": {"histogram": r["histogram"][:3]}, "myisam": {"histogram": [(0.3, 10)]}}
measured = {"backup": [{"sql": "FLUSH TABLES WITH READ LOCK", "sent_s": 6.0012, "returned_s": 6.0015},
                       {"sql": "UNLOCK TABLES", "sent_s": 11.0031, "returned_s": 11.0032}]}
scenario = realserver.scenario_for(args, "ftwrl", measured, baseline)
check(scenario["workload"]["groups"][0]["transactions"][0]["statements"][0]["exec_ms"]
      == {"dist": "empirical", "values_ms": [0.241, 0.520, 12.081], "weights": [3, 120, 7]},
      "service time = the baseline histogram")
check([s["at_s"] for s in scenario["sessions"][0]["statements"]] == [6.0012, 11.0031],
      "backup statements at the measured times")
with tempfile.TemporaryDirectory() as d:
    mean, span = realserver.simulate(args, scenario, d)
    check(4.9 < mean["innodb_gap_s"] < 5.2 and 4.9 < mean["myisam_gap_s"] < 5.3,
          f"simulated FTWRL write gaps: {mean}")
    check(mean["peak_waiting"] == 260 and span["peak_waiting"] == (260, 260),
          f"simulated FTWRL peak waiting = all threads: {mean}, {span}")
    check(all(span[k][0] <= mean[k] <= span[k][1] for k in mean), f"mean inside range: {span}")
    # every compared figure is read from summary.json's metric table, and is a number there
    check(sorted(mean) == sorted(k for k, _, _ in realserver.METRICS)
          and all(isinstance(v, (int, float)) for v in mean.values())
          and 0 < mean["innodb_p99_ms"] <= mean["innodb_max_ms"] and mean["innodb_tps"] > 0,
          f"simulated metrics: {mean}")
    loaded = subprocess.run([lockstage, "check", os.path.join(d, "real-server-ftwrl-seed1.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    check(loaded.returncode == 0, f"generated scenario loads: {loaded.stdout}")

# The exports: a status snapshot as `date +'# %s.%N'; mariadb -B -e 'SHOW GLOBAL STATUS'` prints
# it, the TABLES export as mariadb -B prints the README's query.
check(realserver.status_text(1700000000.5, [("Questions", "10"), ("Uptime", "3")])
      == "# 1700000000.500000\nVariable_name\tValue\nQuestions\t10\nUptime\t3\n\n",
      "status_text: one snapshot, a blank line after it")
check(realserver.tables_text([("lockstage", "orders", "InnoDB", 16384), ("v", "w", None, None)])
      == "TABLE_SCHEMA\tTABLE_NAME\tENGINE\tBYTES\nlockstage\torders\tInnoDB\t16384\nv\tw\tNULL\tNULL\n",
      "tables_text: header, rows, NULL")
# calibrate on the stored exports of a real run, then the calibrated scenario for a measured FTWRL
exports = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "calibrate", "exports")
cmd = realserver.calibrate_command(lockstage, exports, "/tmp/x.json")
check(cmd[cmd.index("--backup-log") + 1] == "mariabackup.log"
      and cmd.count("--sysbench") == 2 and "innodb.sysbench.txt:orders" in cmd,
      f"calibrate_command: {cmd}")
with tempfile.TemporaryDirectory() as d:
    calibrated = realserver.run_calibrate(os.path.abspath(lockstage), exports, d)
    sc = realserver.calibrated_for(calibrated, args, "ftwrl", measured)
    check("backup" not in sc and sc["duration_s"] == 20
          and [s["at_s"] for s in sc["sessions"][0]["statements"]] == [6.0012, 11.0031]
          and sc["workload"] == calibrated["workload"] and sc["data"] == calibrated["data"],
          "calibrated_for: the calibrated workload and data, the measured statements")
    mean, span = realserver.simulate(args, sc, d)
    check(4.9 < mean["innodb_gap_s"] < 5.2 and 4.9 < mean["myisam_gap_s"] < 5.3
          and mean["peak_waiting"] == 260,
          f"calibrated scenario, FTWRL held 5 s: {mean}")

# Verdicts: inside the tolerance is ok, outside fails, unchecked metrics are only reported.
real = {k: 100.0 for k, _, _ in realserver.METRICS}
sim = dict(real, innodb_p99_ms=129.0, peak_client_queue=500.0)
rows, ok = realserver.compare(real, sim, {k: (v, v) for k, v in sim.items()})
check(ok, f"29 % off p99 passes its 30 % tolerance: {rows}")
sim["innodb_gap_s"] = 126.0
rows, ok = realserver.compare(real, sim, {k: (v, v) for k, v in sim.items()})
check(not ok and [r["verdict"].split()[0] for r in rows][:2] == ["FAIL", "ok"],
      f"26 % off a write gap fails its 25 % tolerance: {rows}")

# A real figure of 0 against a simulated 1 (the BACKUP STAGE client queue, sampled once a second
# by sysbench) has no relative error: shown as such, written as JSON null, and fails if checked.
real = {k: 100.0 for k, _, _ in realserver.METRICS}
real["peak_client_queue"] = 0.0
sim = dict(real, peak_client_queue=1.0)
rows, ok = realserver.compare(real, sim, {k: (v, v) for k, v in sim.items()})
queue = next(r for r in rows if r["metric"] == "peak_client_queue")
check(ok and queue["error"] is None and realserver.pct(queue["error"]) == "n/a (real 0)"
      and "Infinity" not in json.dumps(rows), f"real 0, simulated 1: {queue}")
real["innodb_gap_s"] = 0.0
rows, ok = realserver.compare(real, sim, {k: (v, v) for k, v in sim.items()})
check(not ok, f"a checked metric with real 0 and simulated 100 fails: {rows}")

# The catch-up figures: completions per 0.1 s bin; rate 10/s, a block from 1 s to 2 s, then 30/s
# for 1 s (the 10 arrivals of the block and the 10 during the catch-up), then 10/s again.
check(realserver.bins_of([0.05, 0.15, 0.16, 9.0, -1.0], 0.0, 1.0) == [1, 2] + [0] * 8,
      "bins_of counts per bin, ignores times outside the run")
counts = [1] * 10 + [0] * 10 + [3] * 10 + [1] * 20
check(abs(realserver.catchup(counts, 2.0, 10.0) - 30.0) < 1e-9, "catchup: the peak over 1 s")
check(abs(realserver.catchup(counts, 1.95, 10.0) - 30.0) < 1e-9,
      "catchup: the peak's window starts in the first bin after UNLOCK")
# The drain in 10 ms bins: rate 1000/s (10 a bin), a backlog worked off at 100 a bin for 0.5 s;
# the 0.1 s window (limit 150) is quiet only from the first bin after the drain (one drain bin in
# it makes 190).
fine = [10] * 100 + [0] * 100 + [100] * 50 + [10] * 100
check(abs(realserver.drain_time(fine, 2.0, 1000.0) - 0.5) < 1e-9,
      f"drain: 0.5 s, {realserver.drain_time(fine, 2.0, 1000.0)}")
check(abs(realserver.drain_time(fine, 1.995, 1000.0) - 0.505) < 1e-9,
      "drain: from the first bin after UNLOCK")
paused = [10] * 100 + [0] * 100 + [100] * 20 + [5, 5, 5] + [100] * 27 + [10] * 100
check(abs(realserver.drain_time(paused, 2.0, 1000.0) - 0.5) < 1e-9,
      "drain: a 30 ms pause in the middle of the drain does not end it")
check(abs(realserver.drain_time([10] * 100 + [0] * 100 + [100] * 100, 2.0, 1000.0) - 1.0) < 1e-9,
      "drain: never drained = the time left")
# Several blocks in one run: rate 1000/s in 10 ms bins; blocks 1-2 s and 4-5 s; the first
# backlog worked off at 10,000/s for 0.5 s, the second at 20,000/s for 0.3 s. The first block's
# peak window must end before the second block (else it would count the second's 6,700).
fine2 = ([10] * 100 + [0] * 100 + [100] * 50 + [10] * 150 + [0] * 100 + [200] * 30
         + [10] * 170)
counts2 = [sum(fine2[i:i + 10]) for i in range(0, len(fine2), 10)]
peaks, drains = realserver.block_figures(counts2, fine2, [1.0, 4.0], [2.0, 5.0], 1000.0, 7.0)
check([round(p) for p in peaks] == [5500, 6700] and [round(d, 6) for d in drains] == [0.5, 0.3],
      f"block_figures: a peak and a drain per UNLOCK, {peaks} {drains}")
# The runs' blocks pooled: the median peak and drain over all blocks, the mean of the rest.
runs = [dict({k: 10.0 for k, _, _ in realserver.CATCHUP_METRICS}, peaks=[1.0, 5.0],
             drains=[0.1, 0.9]),
        dict({k: 20.0 for k, _, _ in realserver.CATCHUP_METRICS}, peaks=[3.0], drains=[0.5])]
both = realserver.combine_catchup(runs)
check(both["peak_commits_s"] == 3.0 and both["drain_s"] == 0.5 and both["innodb_p99_ms"] == 15.0
      and sorted(both) == sorted(k for k, _, _ in realserver.CATCHUP_METRICS),
      f"combine_catchup: medians over the blocks, means of the rest: {both}")
# CPU per additional transaction between two baselines: 220/s at 0.3 CPU s/s, 1520/s at 0.95.
load = realserver.cpu_load({"t0": 10.0, "t1": 12.0, "c0": 1.0, "c1": 1.6}, 440)
check(abs(load[0] - 220.0) < 1e-9 and abs(load[1] - 0.3) < 1e-9,
      "cpu_load: transactions/s and CPU s/s over the window")
check(realserver.cpu_load({}, 10) is None, "cpu_load without accounting")
check(abs(realserver.marginal_cpu_ms((220.0, 0.3), (1520.0, 0.95)) - 0.5) < 1e-9,
      "marginal CPU: 0.65 s/s more for 1300 tx/s more = 0.5 ms")
check(abs(realserver.marginal_cpu_ms((220.0, 0.3), (1520.0, 0.2)) - 0.2 / 1520 * 1e3) < 1e-9,
      "no positive slope: the mean CPU per transaction of the high baseline")
# Saturated: 2 cores at 4000 tx/s = 0.5 ms of CPU per transaction; nothing measured, none.
check(abs(realserver.saturated_cpu_ms(2, (4000.0, 1.98)) - 0.5) < 1e-9,
      "saturated CPU: 2 cores / 4000 tx/s = 0.5 ms")
check(realserver.saturated_cpu_ms(2, None) is None and realserver.saturated_cpu_ms(2, (0.0, 0.0)) is None,
      "saturated CPU: none without a measured throughput")
# The saturated load is the mean of the runs before and after the catch-up, of those measured.
check(realserver.mean_load((10000.0, 1.5), (12000.0, 1.7)) == (11000.0, 1.6),
      "mean_load: the mean of before and after")
check(realserver.mean_load(None, (12000.0, 1.7)) == (12000.0, 1.7)
      and realserver.mean_load(None, (0.0, 0.0)) is None, "mean_load: only measured loads")
# The capacity: CPU 0.5 ms per transaction of a mean latency of 1 ms.
cu_base = {"innodb": {"histogram": [(0.5, 1), (1.5, 1)]}}
capacity = realserver.capacity_of(cu_base, 2, 0.5)
check(capacity == {"cpu_cores": 2, "cpu_share": 0.5}, f"capacity: {capacity}")
# lockstage on it: 2 cores / 0.5 ms = 4000 commits/s after a 5 s FTWRL at 1500/s, so the 7500
# queued drain in about 7500 / (4000 - 1500) = 3 s.
cu_args = argparse.Namespace(duration_s=20, innodb_rate=1500, innodb_threads=16, myisam_rate=20,
                             myisam_threads=4, lockstage=os.path.abspath(lockstage))
cu_sc = realserver.scenario_for(cu_args, "catchup", measured,
                                {"innodb": {"histogram": [(1.0, 1)]},
                                 "myisam": {"histogram": [(0.3, 10)]}}, capacity)
check(cu_sc["server"]["cpu_cores"] == 2 and cu_sc["server"]["cpu_share"] == 0.5,
      f"catch-up scenario carries the capacity: {cu_sc['server']}")
with tempfile.TemporaryDirectory() as d:
    mean, span = realserver.simulate_catchup(cu_args, [cu_sc], d)
    check(3800 <= mean["peak_commits_s"] <= 4100 and 2.5 <= mean["drain_s"] <= 3.6,
          f"simulated catch-up: {mean}")
    check(sorted(k for k, _, _ in realserver.CATCHUP_METRICS if k in mean)
          == sorted(k for k, _, _ in realserver.CATCHUP_METRICS), f"catch-up metrics: {mean}")

print(f"real-server analysis: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
