"""`lockstage calibrate` on the exports of one real-server harness run (tests/calibrate/exports/,
copied from OUT/exports/ of tests/real-server/run.sh), offline. Each derived figure is computed
again here from the files themselves:

- per sysbench file: rate_tps within 1 % of the mean of its per-second tps figures, pool_size its
  threads, exec_ms its latency histogram (values and counts);
- data: the sizes equal the TABLES export's sums (1 GB = 2^30 bytes), the table counts its rows,
  and its JSON form gives the same;
- backup: the stage times it prints equal the log's timestamps;
- status: redo_kb_per_write = Innodb_os_log_written / writes between the two snapshots;
- the scenario loads (`lockstage check`), printing it without --out gives the same bytes, and a
  run of it with FTWRL blocks InnoDB commits for the length of the backup's lock.

Run with Debian's python3: check_exports.py LOCKSTAGE EXPORTS_DIR
"""
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile

lockstage, exports = os.path.abspath(sys.argv[1]), sys.argv[2]
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def read(name):
    with open(os.path.join(exports, name)) as f:
        return f.read()


ARGS = ["--sysbench", "innodb.sysbench.txt:orders", "--sysbench", "myisam.sysbench.txt:app_log",
        "--status", "status.tsv", "--tables", "tables.tsv", "--backup-log", "mariabackup.log",
        "--name", "calibrated-check"]
work = tempfile.mkdtemp(prefix="lockstage-calibrate-check-")
out_json = os.path.join(work, "c.json")
proc = subprocess.run([lockstage, "calibrate", *ARGS, "--out", out_json], cwd=exports,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
check(proc.returncode == 0, f"calibrate exit {proc.returncode}: {proc.stderr}")
printed = proc.stdout
with open(out_json) as f:
    text = f.read()
sc = json.loads(text)
groups = {g["name"]: g for g in sc["workload"]["groups"]}

# sysbench: rate, threads, histogram
for name, table in (("innodb", "orders"), ("myisam", "app_log")):
    report = read(f"{name}.sysbench.txt")
    tps = [float(m.group(2)) for m in
           re.finditer(r"^\[ *\d+s \] thds: (\d+) tps: ([0-9.]+)", report, re.M)]
    threads = max(int(m.group(1)) for m in re.finditer(r"^\[ *\d+s \] thds: (\d+)", report, re.M))
    mean = sum(tps) / len(tps)
    g = groups[name]
    rate = g["arrivals"]["rate_tps"]
    check(abs(rate - mean) <= 0.01 * mean, f"{name}: rate_tps {rate} vs sysbench mean {mean}")
    check(g["pool_size"] == threads, f"{name}: pool_size {g['pool_size']} vs thds {threads}")
    hist = [(float(v), int(n)) for v, n in
            re.findall(r"^\s*([0-9.]+) \|\**\s+([0-9]+)\s*$", report, re.M) if int(n) > 0]
    for t in g["transactions"]:
        e = t["statements"][0]["exec_ms"]
        check(e["dist"] == "empirical" and e["values_ms"] == [v for v, _ in hist]
              and e["weights"] == [n for _, n in hist],
              f"{name}: exec_ms is not its histogram ({len(hist)} buckets)")
        check(t["statements"][0]["sql"].endswith(" " + table), f"{name}: writes {t['statements']}")
    check("rate_tps" in g["why"] and f"{name}.sysbench.txt" in g["why"], f"{name}: why {g['why']}")

# TABLES: sums and counts
sums = {"innodb": 0, "myisam": 0, "aria": 0}
counts = {"innodb": 0, "myisam": 0, "aria": 0}
bucket = {"InnoDB": "innodb", "MyISAM": "myisam", "CSV": "myisam", "ARCHIVE": "myisam",
          "Aria": "aria"}
rows = read("tables.tsv").splitlines()[1:]
for row in rows:
    _schema, _name, engine, size = row.split("\t")
    if engine in bucket:
        sums[bucket[engine]] += int(size)
        counts[bucket[engine]] += 1
for k in sums:
    gb = sums[k] / 2**30
    check(abs(sc["data"][f"{k}_gb"] - gb) <= 1e-5 * max(gb, 1e-12),
          f"data.{k}_gb {sc['data'][f'{k}_gb']} vs the TABLES sum {gb}")
    check(sc["data"][f"{k}_tables"] == counts[k],
          f"data.{k}_tables {sc['data'][f'{k}_tables']} vs {counts[k]}")
check(len(sc["tables"]) == len(rows), f"tables[]: {len(sc['tables'])} vs {len(rows)} rows")
check({t["name"]: t["engine"] for t in sc["tables"]}.get("app_log") == "MyISAM",
      f"app_log's engine: {sc['tables']}")

# The backup log: the stage times printed equal the log's
stamps = {}
for line in read("mariabackup.log").splitlines():
    m = re.match(r"^\[\d+\] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (.*)$", line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
        stamps.setdefault("begin", t)
        for e in ("START", "FLUSH", "BLOCK_DDL", "BLOCK_COMMIT", "END"):
            if f"BACKUP STAGE {e}" in m.group(2):
                stamps.setdefault(e, t)
        if "completed OK!" in m.group(2):
            stamps["ok"] = t
backup_line = next((line for line in printed.splitlines() if line.startswith("backup:")), "")
for a, z in (("START", "FLUSH"), ("FLUSH", "BLOCK_DDL"), ("BLOCK_DDL", "BLOCK_COMMIT"),
             ("BLOCK_COMMIT", "END")):
    want = f"{a}->{z} {stamps[z] - stamps[a]:g} s"
    check(want in backup_line, f"backup: '{want}' not in '{backup_line}'")
check(f"total {stamps['ok'] - stamps['begin']:g} s" in backup_line, f"backup total: {backup_line}")
check(sc["backup"]["strategy"] == "mariabackup-stages", f"strategy {sc['backup']['strategy']}")

# SHOW GLOBAL STATUS: redo per write
snaps = [dict(line.split("\t", 1) for line in block.splitlines() if "\t" in line)
         for block in read("status.tsv").split("\n\n") if block.strip()]
a, b = snaps[0], snaps[-1]


def delta(key):
    return float(b[key]) - float(a[key])


writes = sum(delta(k) for k in ("Com_insert", "Com_insert_select", "Com_replace", "Com_update",
                                "Com_update_multi", "Com_delete", "Com_delete_multi"))
redo_kb = delta("Innodb_os_log_written") / writes / 1024
check(abs(sc["data"]["redo_kb_per_write"] - redo_kb) <= 1e-3 * redo_kb,
      f"redo_kb_per_write {sc['data']['redo_kb_per_write']} vs {redo_kb}")
check(sc["server"]["max_connections"] == max(151, 256 + 4 + 10, int(b["Max_used_connections"])),
      f"max_connections {sc['server']['max_connections']}")
for key in ("server", "data", "backup"):
    check(len(sc[key].get("why", "")) > 20, f"{key} has no why")

# It loads, prints the same bytes, and runs: FTWRL in the calibrated workload blocks InnoDB
chk = subprocess.run([lockstage, "check", out_json], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     text=True)
check(chk.returncode == 0, f"check: {chk.stdout}")
again = subprocess.run([lockstage, "calibrate", *ARGS], cwd=exports, stdout=subprocess.PIPE, text=True)
check(again.returncode == 0 and again.stdout == text, "calibrate to stdout differs from --out")
sc.pop("backup")
sc["duration_s"] = 12
sc["sessions"] = [{"name": "backup", "statements": [
    {"at_s": 4, "sql": "FLUSH TABLES WITH READ LOCK"}, {"at_s": 7, "sql": "UNLOCK TABLES"}]}]
path = os.path.join(work, "ftwrl.json")
with open(path, "w") as f:
    json.dump(sc, f)
run = subprocess.run([lockstage, "run", path, "--out", os.path.join(work, "r"), "--quiet"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
check(run.returncode == 0, f"run: {run.stdout}")
if run.returncode == 0:
    with open(os.path.join(work, "r", "summary.json")) as f:
        gap = json.load(f)["metrics"]["groups"]["innodb"]["longest_commit_gap_s"]
    check(2.95 <= gap <= 3.2, f"FTWRL held 3 s: InnoDB commit gap {gap}")

# Without the histogram: the lognormal through sysbench's mean and p99 (its 99th percentile
# exp(mu + z sigma) is the p99, its mean the mean).
report = read("innodb.sysbench.txt")
no_hist = re.sub(r"Latency histogram.*?\n\n", "", report, flags=re.S)
avg = float(re.search(r"^\s*avg:\s+([0-9.]+)", report, re.M).group(1))
p99 = float(re.search(r"^\s*99th percentile:\s+([0-9.]+)", report, re.M).group(1))
with open(os.path.join(work, "nohist.txt"), "w") as f:
    f.write(no_hist)
proc = subprocess.run([lockstage, "calibrate", "--sysbench", os.path.join(work, "nohist.txt")],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
check(proc.returncode == 0, f"calibrate without a histogram: {proc.stderr}")
if proc.returncode == 0:
    e = json.loads(proc.stdout)["workload"]["groups"][0]["transactions"][0]["statements"][0]["exec_ms"]
    sigma2 = math.log(1 + (e["sd_ms"] / e["mean_ms"]) ** 2)
    mu = math.log(e["mean_ms"]) - sigma2 / 2
    q99 = math.exp(mu + 2.3263478740408408 * math.sqrt(sigma2))
    check(e["dist"] == "lognormal" and abs(e["mean_ms"] - avg) <= 1e-3 * avg
          and abs(q99 - p99) <= 0.01 * p99,
          f"lognormal fit: {e}, its p99 {q99} vs sysbench's {p99}, mean vs {avg}")

# SHOW GLOBAL STATUS alone: one group at the statements' rate, the mix their shares.
proc = subprocess.run([lockstage, "calibrate", "--status", "status.tsv"], cwd=exports,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
check(proc.returncode == 0, f"calibrate --status alone: {proc.stderr}")
if proc.returncode == 0:
    g = json.loads(proc.stdout)["workload"]["groups"][0]
    t0 = float(re.search(r"^# ([0-9.]+)", read("status.tsv"), re.M).group(1))
    t1 = float(re.findall(r"^# ([0-9.]+)", read("status.tsv"), re.M)[-1])
    kinds = {"read": ("Com_select",), "insert": ("Com_insert", "Com_insert_select", "Com_replace"),
             "update": ("Com_update", "Com_update_multi"),
             "delete": ("Com_delete", "Com_delete_multi")}
    per_s = {k: sum(delta(c) for c in cs) / (t1 - t0) for k, cs in kinds.items()}
    total = sum(per_s.values())
    check(abs(g["arrivals"]["rate_tps"] - total) <= 1e-4 * total,
          f"status rate {g['arrivals']['rate_tps']} vs {total}")
    weights = {t["name"]: t["weight"] for t in g["transactions"]}
    check(all(abs(weights.get(k, 0) - v) <= 1e-3 * v + 1e-9 for k, v in per_s.items() if v > 0),
          f"status mix {weights} vs {per_s}")

# The TABLES export as JSON (an array of objects with the TSV's four columns): the same data.
rows_json = [dict(zip(("TABLE_SCHEMA", "TABLE_NAME", "ENGINE", "BYTES"), r.split("\t")))
             for r in rows]
for r in rows_json:
    r["BYTES"] = int(r["BYTES"])
with open(os.path.join(work, "tables.json"), "w") as f:
    json.dump(rows_json, f)
proc = subprocess.run([lockstage, "calibrate", "--tables", os.path.join(work, "tables.json")],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
check(proc.returncode == 0, f"calibrate --tables JSON: {proc.stderr}")
if proc.returncode == 0:
    from_json = json.loads(proc.stdout)
    check({k: v for k, v in from_json["data"].items() if k != "why"}
          == {k: v for k, v in sc["data"].items() if k not in ("why", "redo_kb_per_write")}
          and from_json["tables"] == sc["tables"], f"JSON export: {from_json['data']}")

# The same snapshots in two files give the same scenario; without their '# TIME' lines the
# interval is the Uptime difference.
blocks = [blk for blk in read("status.tsv").split("\n\n") if blk.strip()]
for i, blk in enumerate(blocks):
    with open(os.path.join(work, f"status{i}.tsv"), "w") as f:
        f.write(blk + "\n")
with open(os.path.join(work, "status-uptime.tsv"), "w") as f:
    f.write("".join(line + "\n" for line in read("status.tsv").splitlines()
                    if not line.startswith("#")))
with open(os.path.join(work, "status.tsv"), "w") as f:
    f.write(read("status.tsv"))
one = subprocess.run([lockstage, "calibrate", "--status", os.path.join(work, "status.tsv")],
                     stdout=subprocess.PIPE, text=True)
two = subprocess.run([lockstage, "calibrate", *sum((["--status", os.path.join(work, f"status{i}.tsv")]
                                                     for i in range(len(blocks))), [])],
                     stdout=subprocess.PIPE, text=True)
rate_of = lambda out: json.loads(out)["workload"]["groups"][0]["arrivals"]["rate_tps"]  # noqa: E731
check(one.returncode == 0 and two.returncode == 0 and rate_of(one.stdout) == rate_of(two.stdout),
      "snapshots in one file or in two give the same rate")
up = subprocess.run([lockstage, "calibrate", "--status", os.path.join(work, "status-uptime.tsv")],
                    stdout=subprocess.PIPE, text=True)
uptime = delta("Uptime")
want = sum(delta(c) for cs in kinds.values() for c in cs) / uptime
check(up.returncode == 0 and abs(rate_of(up.stdout) - want) <= 1e-4 * want
      and "interval from Uptime" in json.loads(up.stdout)["workload"]["groups"][0]["why"],
      f"Uptime interval: {up.stdout[:200]} vs {want}")

subprocess.run(["rm", "-rf", work])
print(f"calibrate exports: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
