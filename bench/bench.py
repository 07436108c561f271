"""lockstage's benchmark: prints, in one run on this machine, the figures of issue 8 and writes
bench/results.json and bench/results.md (which the README quotes).

usage: bench.py LOCKSTAGE SCENARIOS_DIR OUT_DIR   (bench/run builds and calls it)
"""
import datetime
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile

lockstage, scenarios, out_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
here = pathlib.Path(__file__).resolve().parent
work = pathlib.Path(tempfile.mkdtemp())
results = {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores"}


def run(args, rss=False):
    """Runs a command; returns (stdout, peak RSS in MB or None)."""
    cmd = (["/usr/bin/time", "-f", "%M"] if rss else []) + args
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    peak = int(p.stderr.strip().splitlines()[-1]) / 1024 if rss else None
    return p.stdout, peak


def wall_of(stdout):
    return float(re.search(r"in ([0-9.]+) s of wall time", stdout).group(1))


def scenario(name, doc):
    path = work / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


# 1. M/M/16 at rho = 0.7, 10^6 customers: lockstage vs SimPy 2, median of 5.
mm16 = scenario("mm16", {"name": "mm16", "seed": 1, "duration_s": 1000,
                         "server": {"model": "queue", "connections": 16},
                         "workload": {"rate_tps": 1000, "service": {"dist": "exponential", "mean_ms": 11.2}}})
ls_walls, ls_events = [], 0
for i in range(5):
    o, _ = run([lockstage, "run", str(mm16), "--out", str(work / "mm16-out"), "--seed", str(i + 1)])
    ls_walls.append(wall_of(o))
    ls_events = int(re.search(r"\(([0-9]+) events", o).group(1))
served = json.loads((work / "mm16-out" / "summary.json").read_text())["requests"]["served"]
simpy_walls = []
for i in range(5):
    o, _ = run(["/usr/bin/python3", str(here / "mm16_simpy.py"), "1000000", str(i + 1)])
    simpy_walls.append(float(o.split()[1]))
ls_rate = 1e6 / statistics.median(ls_walls)
simpy_rate = 1e6 / statistics.median(simpy_walls)
results["mm16"] = {"customers": 1000000, "lockstage_wall_s": statistics.median(ls_walls),
                   "lockstage_customers_per_s": ls_rate,
                   "lockstage_ns_per_event": statistics.median(ls_walls) * 1e9 / ls_events,
                   "simpy_wall_s": statistics.median(simpy_walls), "simpy_customers_per_s": simpy_rate,
                   "ratio": ls_rate / simpy_rate, "served_last_run": served}

# 2. The OLTP T2 scenario (8 simulated minutes, 1000 tps), FTWRL and BACKUP STAGE.
t2 = json.loads((scenarios / "tutorial" / "t2.json").read_text())
results["t2"] = {}
for strategy in ("ftwrl", "mariabackup-stages"):
    doc = dict(t2, name=f"t2-{strategy}")
    doc["backup"] = dict(t2["backup"], strategy=strategy)
    o, _ = run([lockstage, "run", str(scenario(f"t2-{strategy}", doc)), "--out", str(work / "t2-out")])
    s = json.loads((work / "t2-out" / "summary.json").read_text())
    wall = wall_of(o)
    tx = sum(g["completed"] + g["failed"] for g in s["metrics"]["groups"].values())
    results["t2"][strategy] = {"wall_s": wall, "transactions": tx, "tx_per_wall_s": tx / wall,
                               "events": s["kernel"]["events"], "events_per_wall_s": s["kernel"]["events"] / wall}
o, _ = run([lockstage, "compare", str(scenarios / "tutorial" / "t2.json"), "--out", str(work / "t2-compare")])
results["t2"]["compare_wall_s"] = float(re.search(r"\(([0-9.]+) s of wall time", o).group(1))

# 3. Growth: the OLTP scenario at 1, 10 and 60 simulated minutes; and 10, 100, 1000 clients.
oltp = json.loads((scenarios / "oltp-1000tps.json").read_text())
results["growth_minutes"] = []
for minutes in (1, 10, 60):
    doc = dict(oltp, name=f"oltp-{minutes}min", duration_s=minutes * 60)
    o, rss = run([lockstage, "run", str(scenario(f"oltp-{minutes}", doc)), "--out", str(work / "g-out")], rss=True)
    results["growth_minutes"].append({"minutes": minutes, "wall_s": wall_of(o), "peak_rss_mb": rss})
results["growth_clients"] = []
for clients in (10, 100, 1000):
    doc = json.loads(json.dumps(oltp))
    doc["name"] = f"oltp-{clients}-clients"
    g = doc["workload"]["groups"][0]
    g["arrivals"] = {"kind": "closed", "clients": clients, "think_ms": {"dist": "exponential", "mean_ms": clients}}
    g["pool_size"] = min(clients, 100)
    doc["server"]["max_connections"] = 200
    o, rss = run([lockstage, "run", str(scenario(f"clients-{clients}", doc)), "--out", str(work / "c-out")], rss=True)
    s = json.loads((work / "c-out" / "summary.json").read_text())
    results["growth_clients"].append({"clients": clients, "wall_s": wall_of(o), "peak_rss_mb": rss,
                                      "tps": s["metrics"]["groups"][g["name"]]["throughput_tps"]})

# 4. A sweep of 16 points at --jobs 1 and --jobs 2 (median of 5 each).
sweep = work / "sweep16.json"
sweep.write_text(json.dumps({"name": "bench16", "base": str((scenarios / "default.json").resolve()),
                             "axes": [{"pointer": "/data/myisam_gb", "values": [0.5, 1, 2, 4]},
                                      {"pointer": "/backup/log_copy_interval_ms", "values": [100, 300, 600, 1000]}],
                             "strategies": ["mariabackup-stages"], "replications": 1}))
walls = {}
for jobs in (1, 2):  # median of 5: one sweep is a fraction of a second
    tries = []
    for _ in range(5):
        o, _ = run([lockstage, "sweep", str(sweep), "--jobs", str(jobs), "--out", str(work / f"sw{jobs}")])
        tries.append(float(re.search(r"in ([0-9.]+) s;", o).group(1)))
    walls[jobs] = sorted(tries)[2]
results["sweep16"] = {"jobs1_s": walls[1], "jobs2_s": walls[2], "speedup": walls[1] / walls[2]}

out_dir.mkdir(parents=True, exist_ok=True)
(out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
m, t = results["mm16"], results["t2"]
gm, gc = results["growth_minutes"], results["growth_clients"]
md = f"""Measured {results['date']} on {results['machine']} (`bench/run`):

| benchmark | figure | target |
|---|---|---|
| M/M/16, ρ = 0.7, 10^6 customers, median of 5 | lockstage {m['lockstage_customers_per_s'] / 1e6:.2f} M customers/s ({m['lockstage_ns_per_event']:.0f} ns/event); SimPy 2 {m['simpy_customers_per_s'] / 1e3:.0f} k/s; ratio {m['ratio']:.0f}× | ≥ 3.5 M/s, ≥ 30× |
| T2 (8 min, 1000 tps), FTWRL | {t['ftwrl']['tx_per_wall_s'] / 1e3:.0f} k transactions per wall second, {t['ftwrl']['events_per_wall_s'] / 1e6:.2f} M events/s | ≥ 500 k/s |
| T2, BACKUP STAGE | {t['mariabackup-stages']['tx_per_wall_s'] / 1e3:.0f} k transactions per wall second, {t['mariabackup-stages']['events_per_wall_s'] / 1e6:.2f} M events/s | ≥ 500 k/s |
| `lockstage compare` of T2 (both strategies) | {t['compare_wall_s']:.2f} s | < 2 s |
| OLTP 1000 tps for 1 / 10 / 60 simulated minutes | {gm[0]['wall_s']:.2f} / {gm[1]['wall_s']:.2f} / {gm[2]['wall_s']:.2f} s wall; peak RSS {gm[0]['peak_rss_mb']:.1f} / {gm[1]['peak_rss_mb']:.1f} / {gm[2]['peak_rss_mb']:.1f} MB | 1 h < 10 s; RSS at 60 min within 20 % of 1 min |
| OLTP with 10 / 100 / 1000 closed clients (60 s) | {gc[0]['wall_s']:.2f} / {gc[1]['wall_s']:.2f} / {gc[2]['wall_s']:.2f} s wall; peak RSS {gc[0]['peak_rss_mb']:.1f} / {gc[1]['peak_rss_mb']:.1f} / {gc[2]['peak_rss_mb']:.1f} MB | |
| sweep of 16 points, --jobs 1 / 2 | {results['sweep16']['jobs1_s']:.2f} / {results['sweep16']['jobs2_s']:.2f} s, speed-up {results['sweep16']['speedup']:.2f}× | ≥ 1.8× |
"""
(out_dir / "results.md").write_text(md)
print(md)
