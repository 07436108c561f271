#!/usr/bin/python3
"""A real MariaDB server and lockstage, side by side.

Starts a private MariaDB instance (its own datadir and socket, no TCP), drives it with sysbench
at a fixed rate (an InnoDB UPDATE load and a small MyISAM INSERT load, each with its own
`writes.lua`), and measures three phases:

  baseline      no backup: the latency distributions lockstage's scenario is fitted from;
  ftwrl         FLUSH TABLES WITH READ LOCK held for --ftwrl-hold-s, then UNLOCK TABLES;
  backup-stage  BACKUP STAGE START, FLUSH, BLOCK_DDL, hold --block-ddl-hold-s, BLOCK_COMMIT,
                hold --block-commit-hold-s, END.

Then the catch-up: InnoDB at a rate where the cores are saturated once a backlog exists, in
--catchup-runs runs of --catchup-blocks FTWRL blocks each, with runs without a rate limit before,
between and after them (the capacity lockstage's scenario is given); the peak commits/s and the
drain time after each UNLOCK, their medians compared.

It also saves the exports a DBA would have of the baseline in OUT/exports/ (each sysbench
process's output, SHOW GLOBAL STATUS 1 s after its start and 1 s before its end, the
information_schema.TABLES export, and the log of a real mariadb-backup of the server run after
it), runs `lockstage calibrate` on them, and checks the calibrated scenario against the FTWRL and
BACKUP STAGE phases too (phases calibrated-ftwrl, calibrated-backup-stage).

For each backup phase it writes the lockstage scenario of the same set-up (same rates, pool
sizes, the backup's statements at the times they were really sent, the service time taken from
the baseline's latency histogram), runs lockstage on it and prints real against simulated:
longest write gap (InnoDB, MyISAM), InnoDB p99 and max latency (from each transaction's scheduled
arrival, as sysbench --rate counts it), peak sessions waiting for a lock (the processlist,
sampled every 10 ms), peak client queue (sysbench's queue, reported once a second).

Exit status: 0 when every checked metric is within its tolerance, 1 when one is not, 2 when the
measurement itself could not be made (the server did not start, sysbench failed ...). The server
is shut down and its files removed whatever happens.
"""

import argparse
import csv
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

try:
    import pymysql
except ImportError:  # the analysis functions work without it (tests/real-server/test_realserver.py)
    pymysql = None

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "writes.lua")

# metric -> (label, tolerance as a share of the real value, or None: reported, not checked)
METRICS = [
    ("innodb_gap_s", "longest write gap, InnoDB (s)", 0.25),
    ("myisam_gap_s", "longest write gap, MyISAM (s)", 0.25),
    ("innodb_p99_ms", "InnoDB p99 latency (ms)", 0.30),
    ("innodb_max_ms", "InnoDB max latency (ms)", 0.30),
    ("peak_waiting", "peak sessions waiting for a lock", 0.30),
    ("peak_client_queue", "peak client queue (1 s samples real)", None),
    ("innodb_tps", "InnoDB throughput (tps)", None),
]

# The catch-up phase (a CPU-bound rate, FTWRL blocks, each followed by UNLOCK): how fast the
# backlog drains. Peak and drain are the medians over every block of the catch-up runs (one
# drain lasts half a second, and this machine's throughput over half a second moves by 15 %
# (sd) within a run and by up to 40 % between runs a minute apart: README, "A real server");
# the other figures are the runs' means.
CATCHUP_METRICS = [
    ("peak_commits_s", "peak InnoDB commits/s after UNLOCK (median of the blocks)", 0.20),
    ("drain_s", "time from UNLOCK until the client queue drained (s, median of the blocks)", 0.20),
    ("innodb_p99_ms", "InnoDB p99 latency (ms)", None),
    ("innodb_max_ms", "InnoDB max latency (ms)", None),
    ("peak_client_queue", "peak client queue (1 s samples real)", None),
    ("innodb_tps", "InnoDB throughput (tps)", None),
]
BIN_S = 0.1  # completions are counted in bins this wide on both sides (lockstage's timeline)
DRAIN_BIN_S = 0.01  # the catch-up's drain time is measured in bins this wide on both sides


class MeasurementError(Exception):
    """The measurement could not be made: exit 2, with this message."""


def log(msg):
    print(f"real-server: {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# The private server


class Server:
    def __init__(self, workdir):
        self.workdir = workdir
        self.datadir = os.path.join(workdir, "data")
        self.socket = os.path.join(workdir, "mysqld.sock")
        self.errlog = os.path.join(workdir, "mysqld.err")
        self.proc = None

    def _base_args(self):
        args = ["--no-defaults", f"--datadir={self.datadir}"]
        if os.geteuid() == 0:
            args.append("--user=root")
        return args

    def start(self, attempts=3):
        for attempt in range(1, attempts + 1):
            shutil.rmtree(self.datadir, ignore_errors=True)
            inst = subprocess.run(
                ["mariadb-install-db", *self._base_args(), "--auth-root-authentication-method=normal",
                 "--skip-test-db"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if inst.returncode != 0:
                log(f"mariadb-install-db failed (attempt {attempt}/{attempts}):\n{inst.stdout[-2000:]}")
                continue
            self.proc = subprocess.Popen(
                ["mariadbd", *self._base_args(), f"--socket={self.socket}", "--skip-networking",
                 f"--pid-file={os.path.join(self.workdir, 'mysqld.pid')}",
                 f"--log-error={self.errlog}", "--innodb-buffer-pool-size=256M",
                 "--max-connections=1000", "--skip-name-resolve", "--performance-schema=OFF"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    self.connect().close()
                    return
                except pymysql.err.OperationalError:
                    time.sleep(0.2)
            log(f"mariadbd did not accept connections (attempt {attempt}/{attempts}); "
                f"its error log ends with:\n{self.tail_errlog()}")
            self.stop()
        raise MeasurementError("the MariaDB server did not start; see the error log above")

    def tail_errlog(self, lines=15):
        try:
            with open(self.errlog, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no error log)"

    def connect(self, **kw):
        return pymysql.connect(unix_socket=self.socket, user="root", autocommit=True, **kw)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            subprocess.run(["mariadb-admin", f"--socket={self.socket}", "-uroot", "shutdown"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
                           check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


# ----------------------------------------------------------------------------------------------
# One measured phase


class Sysbench:
    """One sysbench process running writes.lua at a fixed rate."""

    def __init__(self, server, name, kind, table, threads, rate, duration_s, logdir):
        self.name = name
        self.logprefix = os.path.join(logdir, name)
        env = dict(os.environ, LOCKSTAGE_LOG=self.logprefix, LOCKSTAGE_KIND=kind,
                   LOCKSTAGE_TABLE=table)
        self.proc = subprocess.Popen(
            ["sysbench", LUA, f"--mysql-socket={server.socket}", "--mysql-user=root",
             "--mysql-db=lockstage", f"--threads={threads}", f"--rate={rate}",
             f"--time={duration_s}", "--percentile=99", "--report-interval=1", "--histogram",
             "--rand-seed=1", "run"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            start_new_session=True)
        self.lines = []
        self.started = threading.Event()
        self.origin = None  # wall time (time.time()) when its threads started
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if self.origin is None and line.startswith("Threads started!"):
                self.origin = time.time()
                self.started.set()
            self.lines.append(line)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def finish(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise MeasurementError(f"sysbench {self.name} did not finish in time") from exc
        self.reader.join(timeout=10)
        out = "".join(self.lines)
        if self.proc.returncode != 0:
            raise MeasurementError(f"sysbench {self.name} failed:\n{out[-3000:]}")
        report = self.report(out)
        report["output"] = out
        return report

    def report(self, out):
        def number(label):
            m = re.search(rf"^\s*{label}:\s+([0-9.]+)", out, re.M)
            if not m:
                raise MeasurementError(f"sysbench {self.name}: no '{label}' in its report")
            return float(m.group(1))

        hist = []
        in_hist = False
        for line in out.splitlines():
            if line.startswith("Latency histogram"):
                in_hist = True
                continue
            if in_hist:
                m = re.match(r"^\s*([0-9.]+)\s+\|\s*\**\s+([0-9]+)\s*$", line)
                if m:
                    hist.append((float(m.group(1)), int(m.group(2))))
                elif line.startswith("SQL statistics"):
                    in_hist = False
        queue = [int(m.group(1)) for m in re.finditer(r"queue length: ([0-9]+)", out)]
        tx = re.search(r"transactions:\s+([0-9]+)\s+\(([0-9.]+) per sec", out)
        completions = []
        for fname in sorted(os.listdir(os.path.dirname(self.logprefix))):
            if fname.startswith(os.path.basename(self.logprefix) + "."):
                with open(os.path.join(os.path.dirname(self.logprefix), fname)) as f:
                    completions.extend(int(x) / 1e6 for x in f if x.strip())
        completions.sort()
        return {
            "transactions": int(tx.group(1)) if tx else 0,
            "tps": float(tx.group(2)) if tx else 0.0,
            "avg_ms": number("avg"),
            "p99_ms": number("99th percentile"),
            "max_ms": number("max"),
            "histogram": hist,
            "peak_client_queue": max(queue) if queue else 0,
            "completions": completions,
        }


def longest_gap(times, begin, end):
    """Longest interval without a completion inside [begin, end] (wall times, s)."""
    points = [begin] + [t for t in times if begin <= t <= end] + [end]
    best, at = 0.0, begin
    for a, b in zip(points, points[1:]):
        if b - a > best:
            best, at = b - a, a
    return best, at


def bins_of(times, origin, duration_s, bin_s=BIN_S):
    """Completions counted per bin of `bin_s` from `origin`: a list of counts."""
    n = int(round(duration_s / bin_s))
    counts = [0] * n
    for t in times:
        i = int((t - origin) / bin_s)
        if 0 <= i < n:
            counts[i] += 1
    return counts


def catchup(counts, unlock_s, rate, bin_s=BIN_S, window_s=1.0, after_s=10.0):
    """From completions per bin (from the run's start): the peak completions/s over a sliding
    window of `window_s` starting in the `after_s` after UNLOCK. The same estimate on both
    sides."""
    w = int(round(window_s / bin_s))
    first = math.ceil(unlock_s / bin_s - 1e-9)
    last = min(len(counts) - w, int((unlock_s + after_s) / bin_s))
    return max((sum(counts[i:i + w]) / window_s for i in range(first, last + 1)), default=0.0)


def drain_time(counts, unlock_s, rate, bin_s=DRAIN_BIN_S, window_s=BIN_S):
    """From completions per fine bin (from the run's start): the time from UNLOCK to the first
    bin that starts a window of `window_s` completing fewer than 1.5 x `rate` x `window_s` (the
    backlog is worked off at the full rate until it is gone, then completions follow the
    arrivals: at 1500/s a 0.1 s window holds 150 +- 12 completions, against 400 or more while
    the backlog drains on any server that can drain it in under 5 s). The window slides in steps
    of 10 ms: a drain of under a second measured in 0.1 s steps was off by up to 12 % from the
    rounding alone. The window ends the drain slightly early (by 0.05 x rate / (drain rate -
    rate) s, 9 ms at 10,000/s), on both sides alike: the same estimate on both sides. If the
    queue did not drain before the run ended, the time until the end (a lower bound)."""
    w = int(round(window_s / bin_s))
    first = math.ceil(unlock_s / bin_s - 1e-9)
    limit = 1.5 * rate * window_s
    for i in range(first, len(counts) - w + 1):
        if sum(counts[i:i + w]) < limit:
            return i * bin_s - unlock_s
    return len(counts) * bin_s - unlock_s


def block_figures(counts, fine, locks_s, unlocks_s, rate, end_s):
    """The peak commits/s and the drain time after each UNLOCK of a run (lists, in order), from
    its completions per BIN_S bin (`counts`) and per DRAIN_BIN_S bin (`fine`). The peak's window
    ends before the next block starts (a 1 s window must not count the next block's backlog)."""
    peaks, drains = [], []
    for u in unlocks_s:
        nxt = min([t for t in locks_s if t > u], default=end_s)
        peaks.append(catchup(counts, u, rate, after_s=max(0.0, min(10.0, nxt - u - 1.0))))
        drains.append(drain_time(fine, u, rate))
    return peaks, drains


def combine_catchup(runs):
    """The catch-up figures of several runs, each a dict with the lists `peaks` and `drains` and
    the run's other CATCHUP_METRICS: the median peak and drain over all their blocks, the mean of
    the others."""
    out = {"peak_commits_s": statistics.median(p for r in runs for p in r["peaks"]),
           "drain_s": statistics.median(d for r in runs for d in r["drains"])}
    for key, _, _ in CATCHUP_METRICS:
        if key not in out:
            out[key] = sum(r[key] for r in runs) / len(runs)
    return out


def cpu_seconds(pid):
    """User + system CPU time of a process and its threads so far (s), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fsync_ms(folder, n=200):
    """Mean time of a 512-byte append and fsync on the filesystem of `folder` (ms): the redo
    log's flush, as a commit with innodb_flush_log_at_trx_commit=1 waits for it."""
    path = os.path.join(folder, "lockstage-fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(fd, b"x" * 512)
            os.fsync(fd)
        return (time.perf_counter() - t0) / n * 1e3
    finally:
        os.close(fd)
        os.unlink(path)


class Sampler(threading.Thread):
    """Counts the sessions in a 'Waiting for ...' state every `interval_s`, but the backup's."""

    def __init__(self, server, exclude, interval_s=0.01):
        super().__init__(daemon=True)
        self.conn = server.connect()
        self.exclude = set(exclude)
        with self.conn.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            self.exclude.add(cur.fetchone()[0])
        self.interval_s = interval_s
        self.stop_flag = threading.Event()
        self.peak = 0
        self.peak_at = None
        self.peak_by_state = {}
        self.samples = 0
        self.error = None

    def run(self):
        ids = ",".join(str(i) for i in sorted(self.exclude))
        query = ("SELECT STATE, COUNT(*) FROM information_schema.PROCESSLIST "
                 f"WHERE STATE LIKE 'Waiting for%' AND ID NOT IN ({ids}) GROUP BY STATE")
        try:
            with self.conn.cursor() as cur:
                next_at = time.monotonic()
                while not self.stop_flag.is_set():
                    cur.execute(query)
                    by_state = {state: int(n) for state, n in cur.fetchall()}
                    total = sum(by_state.values())
                    self.samples += 1
                    if total > self.peak:
                        self.peak, self.peak_at, self.peak_by_state = total, time.time(), by_state
                    next_at += self.interval_s
                    time.sleep(max(0.0, next_at - time.monotonic()))
        except Exception as exc:  # reported by the phase, which then fails
            self.error = exc
        finally:
            self.conn.close()


def run_backup(conn, script, origin, record):
    """Runs (delay_after_previous_s, sql) steps; records each statement's sent/returned time."""
    with conn.cursor() as cur:
        for pause_s, sql in script:
            time.sleep(pause_s)
            sent = time.time()
            cur.execute(sql)
            record.append({"sql": sql, "sent_s": sent - origin, "returned_s": time.time() - origin})


def status_snapshot(conn):
    """SHOW GLOBAL STATUS as `date +'# %s.%N'; mariadb -B -e 'SHOW GLOBAL STATUS'` prints it,
    with a blank line after: one snapshot of a file `lockstage calibrate --status` reads."""
    with conn.cursor() as cur:
        t = time.time()
        cur.execute("SHOW GLOBAL STATUS")
        rows = cur.fetchall()
    return status_text(t, rows)


def status_text(t, rows):
    return (f"# {t:.6f}\nVariable_name\tValue\n"
            + "".join(f"{k}\t{v}\n" for k, v in rows) + "\n")


# The query the README gives a DBA for `lockstage calibrate --tables` (run with mariadb -B).
TABLES_QUERY = ("SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, DATA_LENGTH + INDEX_LENGTH AS BYTES "
                "FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA "
                "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') "
                "ORDER BY TABLE_SCHEMA, TABLE_NAME")


def tables_text(rows):
    """The TABLES export as `mariadb -B` prints it: a header, tab-separated rows, NULL as NULL."""
    return "TABLE_SCHEMA\tTABLE_NAME\tENGINE\tBYTES\n" + "".join(
        "\t".join("NULL" if v is None else str(v) for v in row) + "\n" for row in rows)


def measure(server, args, phase, script, workdir, status=None):
    logdir = os.path.join(workdir, f"logs-{phase}")
    os.makedirs(logdir, exist_ok=True)
    with server.connect(database="lockstage") as c, c.cursor() as cur:
        cur.execute("TRUNCATE TABLE app_log")
    log(f"{phase}: {args.duration_s} s of load"
        + (f", backup from {args.backup_at_s} s" if script else ""))
    inno = Sysbench(server, "innodb", "update", "orders", args.innodb_threads, args.innodb_rate,
                    args.duration_s, logdir)
    myi = Sysbench(server, "myisam", "insert", "app_log", args.myisam_threads, args.myisam_rate,
                   args.duration_s, logdir)
    procs = [inno, myi]
    try:
        for p in procs:
            if not p.started.wait(timeout=60):
                raise MeasurementError(f"sysbench {p.name} did not start:\n{''.join(p.lines)[-2000:]}")
        origin = inno.origin
        backup_conn = server.connect()
        with backup_conn.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            backup_id = cur.fetchone()[0]
        sampler = Sampler(server, [backup_id])
        sampler.start()
        cpu = {}
        status_conn = server.connect() if status is not None else None

        def account():
            # the CPU the server and the clients used in the middle of the run (they share the
            # machine's cores), and the transactions they completed meanwhile
            pids = [server.proc.pid] + [p.proc.pid for p in procs]
            time.sleep(max(0.0, origin + 1.0 - time.time()))
            cpu["t0"], cpu["c0"] = time.time(), sum(cpu_seconds(x) for x in pids)
            if status is not None:
                status.append(status_snapshot(status_conn))
            time.sleep(max(0.0, origin + args.duration_s - 1.0 - time.time()))
            cpu["t1"], cpu["c1"] = time.time(), sum(cpu_seconds(x) for x in pids)
            if status is not None:
                status.append(status_snapshot(status_conn))

        accountant = threading.Thread(target=account, daemon=True)
        accountant.start()
        record = []
        backup_error = []
        if script:
            delay = origin + args.backup_at_s - time.time()
            steps = [(max(0.0, delay) + script[0][0], script[0][1])] + script[1:]

            def target():
                try:
                    run_backup(backup_conn, steps, origin, record)
                except Exception as exc:
                    backup_error.append(exc)

            backup = threading.Thread(target=target, daemon=True)
            backup.start()
            backup.join(timeout=args.duration_s + 60)
            if backup.is_alive() or backup_error:
                raise MeasurementError(f"{phase}: the backup script failed: {backup_error or 'hung'}")
        accountant.join(timeout=args.duration_s + 10)
        results = [p.finish(timeout=args.duration_s + 120) for p in procs]
        sampler.stop_flag.set()
        sampler.join(timeout=10)
        backup_conn.close()
        if status_conn is not None:
            status_conn.close()
        if sampler.error:
            raise MeasurementError(f"{phase}: processlist sampling failed: {sampler.error}")
    finally:
        for p in procs:
            p.kill()
    r_inno, r_myi = results
    end = origin + args.duration_s
    gap_i, gap_i_at = longest_gap(r_inno["completions"], origin + 1.0, end - 0.5)
    gap_m, gap_m_at = longest_gap(r_myi["completions"], myi.origin + 1.0, end - 0.5)
    in_window = sum(1 for r in (r_inno, r_myi) for x in r["completions"]
                    if cpu.get("t0", 0) <= x <= cpu.get("t1", 0))
    inno_bins = bins_of(r_inno["completions"], origin, args.duration_s)
    inno_fine = bins_of(r_inno["completions"], origin, args.duration_s, DRAIN_BIN_S)
    return {
        "phase": phase,
        "backup": record,
        "cpu_ms_per_tx": (cpu["c1"] - cpu["c0"]) * 1e3 / in_window if in_window else None,
        "cpu_load": cpu_load(cpu, in_window),
        "innodb_bins": inno_bins,
        "innodb_fine_bins": inno_fine,
        "myisam_origin_offset_s": myi.origin - origin,
        "innodb": {k: v for k, v in r_inno.items() if k not in ("completions", "output")},
        "myisam": {k: v for k, v in r_myi.items() if k not in ("completions", "output")},
        "outputs": {"innodb": r_inno["output"], "myisam": r_myi["output"]},
        "metrics": {
            "innodb_gap_s": gap_i,
            "innodb_gap_start_s": gap_i_at - origin,
            "myisam_gap_s": gap_m,
            "myisam_gap_start_s": gap_m_at - origin,
            "innodb_p99_ms": r_inno["p99_ms"],
            "innodb_max_ms": r_inno["max_ms"],
            "peak_waiting": sampler.peak,
            "peak_waiting_at_s": (sampler.peak_at - origin) if sampler.peak_at else None,
            "peak_waiting_by_state": sampler.peak_by_state,
            "peak_client_queue": r_inno["peak_client_queue"],
            "innodb_tps": r_inno["tps"],
            "processlist_samples": sampler.samples,
        },
    }


# ----------------------------------------------------------------------------------------------
# The lockstage side


def empirical(histogram):
    """sysbench's latency histogram (bucket value in ms, count) as a lockstage distribution."""
    pairs = [(v, n) for v, n in histogram if n > 0]
    if not pairs:
        raise MeasurementError("the baseline run recorded no latency histogram")
    return {"dist": "empirical", "values_ms": [v for v, _ in pairs], "weights": [n for _, n in pairs]}


def cpu_load(cpu, completed):
    """(transactions/s, CPU s/s) of the server and the clients over the accounted window."""
    if "t1" not in cpu or cpu["t1"] <= cpu["t0"]:
        return None
    span = cpu["t1"] - cpu["t0"]
    return (completed / span, (cpu["c1"] - cpu["c0"]) / span)


def marginal_cpu_ms(low, high):
    """CPU per additional transaction (ms) between two baselines' (tps, CPU s/s): what a
    transaction costs once the constant part (background threads, the clients' idle polling)
    is paid, which is what bounds the rate at which a backlog drains. The high baseline's mean
    CPU per transaction if the two do not give a positive slope."""
    if low and high and high[0] > low[0] and high[1] > low[1]:
        return (high[1] - low[1]) / (high[0] - low[0]) * 1e3
    return high[1] / high[0] * 1e3 if high and high[0] > 0 else None


def saturated_cpu_ms(cores, load):
    """CPU per transaction (ms) from a run without a rate limit: the server and the clients keep
    every core busy, so each transaction costs cores / throughput. Steadier than the slope
    between two rate-limited baselines (a difference of two noisy CPU readings), which stays in
    the report only."""
    if load and load[0] > 0:
        return cores / load[0] * 1e3
    return None


def mean_load(*loads):
    """The mean (transactions/s, CPU s/s) of the measured loads (None when none was measured)."""
    got = [x for x in loads if x and x[0] > 0]
    if not got:
        return None
    return (sum(x[0] for x in got) / len(got), sum(x[1] for x in got) / len(got))


def capacity_of(baseline, cores, cpu_ms):
    """The server's capacity: its cores and the share of the baseline's mean service time that
    is CPU demand (`cpu_ms` per transaction, the server's and the clients', which share the
    cores). The fsync stays inside the baseline's latency (no fsync_ms): the probe's fsync is
    not InnoDB's redo write, so it is reported only."""
    hist = [(v, n) for v, n in baseline["innodb"]["histogram"] if n > 0]
    mean_ms = sum(v * n for v, n in hist) / sum(n for _, n in hist)
    return {"cpu_cores": cores, "cpu_share": round(min(1.0, cpu_ms / mean_ms), 4)}


def scenario_for(args, phase, measured, baseline, capacity=None):
    statements = [{"at_s": round(s["sent_s"], 6), "sql": s["sql"], "exec_ms": 0.1}
                  for s in measured["backup"]]
    sessions = [{"name": "backup", "statements": statements}] if statements else []
    server = {"flavor": "mariadb-10.11", "cpu_cores": 4096, "max_connections": 1000,
              "commit_ms": {"dist": "constant", "value_ms": 0}}
    if capacity:
        server.update(capacity)
    return {
        "name": f"real-server-{phase}",
        "description": ("Generated by tests/real-server/realserver.py: the set-up that was just "
                        "measured on a real MariaDB server, for lockstage to predict."),
        "why": ("Rates and pool sizes are sysbench's --rate and --threads; a statement's service "
                "time is the baseline run's latency histogram (so commit_ms is 0); "
                + ("the server has the machine's cores and cpu_share is the CPU per transaction "
                   "(server and clients) over that mean; " if capacity else
                   "CPU is not a bottleneck; ")
                + "the backup's statements are sent when the real ones were."),
        "seed": 1,
        "duration_s": args.duration_s,
        "server": server,
        "tables": [{"name": "orders", "engine": "InnoDB"},
                   {"name": "app_log", "engine": "MyISAM"}],
        "sessions": sessions,
        "output": {"queue_sample_ms": 10,
                   "timeline_interval_s": DRAIN_BIN_S if phase.startswith("catchup") else BIN_S},
        "workload": {"groups": [
            {"name": "innodb", "arrivals": {"kind": "open", "rate_tps": args.innodb_rate},
             "pool_size": args.innodb_threads, "client_timeout_s": 3600,
             "transactions": [{"statements": [
                 {"sql": "UPDATE orders", "exec_ms": empirical(baseline["innodb"]["histogram"])}]}]},
            {"name": "myisam", "arrivals": {"kind": "open", "rate_tps": args.myisam_rate},
             "pool_size": args.myisam_threads, "client_timeout_s": 3600,
             "transactions": [{"statements": [
                 {"sql": "INSERT INTO app_log",
                  "exec_ms": empirical(baseline["myisam"]["histogram"])}]}]},
        ]},
    }


SIM_SEEDS = (1, 2, 3, 4, 5)

# The exports a DBA would have of the baseline (OUT/exports/, README "Calibrate from your server")
SYSBENCH_EXPORTS = (("innodb", "orders"), ("myisam", "app_log"))


def save_exports(folder, server, baseline, status):
    """The baseline's sysbench output per process, the SHOW GLOBAL STATUS snapshots taken 1 s
    after its start and 1 s before its end, and the TABLES export, as files in `folder`."""
    os.makedirs(folder, exist_ok=True)
    for name, _table in SYSBENCH_EXPORTS:
        with open(os.path.join(folder, f"{name}.sysbench.txt"), "w") as f:
            f.write(baseline["outputs"][name])
    with open(os.path.join(folder, "status.tsv"), "w") as f:
        f.write("".join(status))
    with server.connect() as c, c.cursor() as cur:
        cur.execute(TABLES_QUERY)
        rows = cur.fetchall()
    with open(os.path.join(folder, "tables.tsv"), "w") as f:
        f.write(tables_text(rows))


def run_mariabackup(server, workdir, folder):
    """A real `mariadb-backup --backup` of the server (no load), its log saved in `folder`; the
    log's path, or None when the tool is not installed."""
    tool = shutil.which("mariadb-backup") or shutil.which("mariabackup")
    if not tool:
        log("mariadb-backup is not installed: the calibration has no backup log")
        return None
    target = os.path.join(workdir, "backup")
    proc = subprocess.run([tool, "--no-defaults", "--backup", f"--target-dir={target}",
                           f"--datadir={server.datadir}", f"--socket={server.socket}", "--user=root"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
    path = os.path.join(folder, "mariabackup.log")
    with open(path, "w") as f:
        f.write(proc.stderr)
    shutil.rmtree(target, ignore_errors=True)
    if proc.returncode != 0:
        raise MeasurementError(f"mariadb-backup failed:\n{proc.stderr[-2000:]}")
    return path


def calibrate_command(lockstage, exports, out_json):
    """`lockstage calibrate` on the exports (relative names: run it in `exports`)."""
    cmd = [lockstage, "calibrate"]
    for name, table in SYSBENCH_EXPORTS:
        cmd += ["--sysbench", f"{name}.sysbench.txt:{table}"]
    cmd += ["--status", "status.tsv", "--tables", "tables.tsv"]
    if os.path.exists(os.path.join(exports, "mariabackup.log")):
        cmd += ["--backup-log", "mariabackup.log"]
    return cmd + ["--name", "real-server-calibrated", "--out", out_json, "--force"]


def run_calibrate(lockstage, exports, outdir):
    out_json = os.path.join(outdir, "real-server-calibrated.json")
    proc = subprocess.run(calibrate_command(lockstage, exports, out_json), cwd=exports,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise MeasurementError(f"lockstage calibrate failed:\n{proc.stdout}")
    with open(out_json) as f:
        return json.load(f)


def calibrated_for(calibrated, args, phase, measured):
    """The calibrated scenario for a measured backup phase: its workload, data and server as
    calibrate wrote them, the measured phase's statements instead of its backup."""
    sc = json.loads(json.dumps(calibrated))
    sc.pop("backup", None)
    sc["name"] = f"real-server-calibrated-{phase}"
    sc["duration_s"] = args.duration_s
    sc["sessions"] = [{"name": "backup", "statements": [
        {"at_s": round(s["sent_s"], 6), "sql": s["sql"], "exec_ms": 0.1}
        for s in measured["backup"]]}]
    sc["output"] = {"queue_sample_ms": 10, "timeline_interval_s": BIN_S}
    sc["why"] = (calibrated.get("why", "") + " tests/real-server/realserver.py replaced the "
                 "calibrated backup by the statements of its measured phase, sent when the real "
                 "ones were.")
    return sc


def simulate_one(args, scenario, outdir, catchup=False):
    path = os.path.join(outdir, f"{scenario['name']}.json")
    with open(path, "w") as f:
        json.dump(scenario, f, indent=2)
    folder = os.path.join(outdir, scenario["name"])
    proc = subprocess.run([args.lockstage, "run", path, "--out", folder, "--quiet"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise MeasurementError(f"lockstage failed on {path}:\n{proc.stdout}")
    with open(os.path.join(folder, "summary.json")) as f:
        s = json.load(f)
    # lockstage's metric table (`lockstage metrics`): per group, and for the run. Its latency
    # counts every request, those still running at the end too (with their time so far); with
    # client_timeout_s 3600 none times out, and at the end only the last few are in flight.
    g, run = s["metrics"]["groups"], s["metrics"]["run"]
    return {
        "innodb_gap_s": g["innodb"]["longest_commit_gap_s"],
        "myisam_gap_s": g["myisam"]["longest_commit_gap_s"],
        "innodb_p99_ms": g["innodb"]["p99_ms"],
        "innodb_max_ms": g["innodb"]["max_ms"],
        "peak_waiting": run["peak_queue"],
        "peak_client_queue": g["innodb"]["max_pool_queue"],
        "innodb_tps": g["innodb"]["throughput_tps"],
        **(sim_catchup(folder, scenario) if catchup else {}),
    }


def sim_catchup(folder, scenario):
    """The catch-up figures of a lockstage run after each UNLOCK of its backup session, from its
    timeline (DRAIN_BIN_S rows, summed into BIN_S bins for the peak): lists `peaks`, `drains`."""
    fine = [0] * int(round(scenario["duration_s"] / DRAIN_BIN_S))
    with open(os.path.join(folder, "timeline.csv")) as f:
        for row in csv.DictReader(f):
            i = int(round(float(row["t_start_s"]) / DRAIN_BIN_S))
            if row["group"] == "innodb" and i < len(fine):
                fine[i] += int(row["completed"])
    per = int(round(BIN_S / DRAIN_BIN_S))
    counts = [sum(fine[i:i + per]) for i in range(0, len(fine), per)]
    rate = scenario["workload"]["groups"][0]["arrivals"]["rate_tps"]
    statements = scenario["sessions"][0]["statements"]
    locks = [x["at_s"] for x in statements if x["sql"].startswith("FLUSH TABLES")]
    unlocks = [x["at_s"] for x in statements if x["sql"] == "UNLOCK TABLES"]
    peaks, drains = block_figures(counts, fine, locks, unlocks, rate, scenario["duration_s"])
    return {"peaks": peaks, "drains": drains}


def mean_and_span(runs):
    mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
    span = {k: (min(r[k] for r in runs), max(r[k] for r in runs)) for k in runs[0]}
    return mean, span


def simulate(args, scenario, outdir):
    """lockstage on the scenario with each of SIM_SEEDS: the mean of each metric, and its range
    (the real run is one draw of the arrivals; the seeds show the spread of that draw)."""
    runs = []
    for seed in SIM_SEEDS:
        sc = dict(scenario, seed=seed, name=f"{scenario['name']}-seed{seed}")
        runs.append(simulate_one(args, sc, outdir))
    return mean_and_span(runs)


def simulate_catchup(args, scenarios, outdir):
    """lockstage on each catch-up run's scenario with each of SIM_SEEDS; per seed, the runs'
    figures combined as the real ones are (combine_catchup); then the mean and range over the
    seeds."""
    per_seed = []
    for seed in SIM_SEEDS:
        runs = [simulate_one(args, dict(sc, seed=seed, name=f"{sc['name']}-seed{seed}"), outdir,
                             catchup=True) for sc in scenarios]
        per_seed.append(combine_catchup(runs))
    return mean_and_span(per_seed)


# ----------------------------------------------------------------------------------------------


def compare(real, sim, span, metrics=METRICS):
    rows, ok = [], True
    for key, label, tol in metrics:
        r, s = real[key], sim[key]
        # relative error; none when the real figure is 0 and the simulated one is not (a
        # relative error is undefined there, and JSON has no infinity): such a checked metric fails
        err = (s - r) / r if r else (0.0 if s == r else None)
        verdict = "reported"
        if tol is not None:
            passed = err is not None and abs(err) <= tol
            ok &= passed
            verdict = f"{'ok' if passed else 'FAIL'} (±{tol:.0%})"
        rows.append({"metric": key, "label": label, "real": r, "simulated": s,
                     "simulated_range": span[key], "error": err, "tolerance": tol,
                     "verdict": verdict})
    return rows, ok


def pct(err):
    return "n/a (real 0)" if err is None else f"{err:+.1%}"


def fmt(v):
    return f"{v:.3f}" if isinstance(v, float) and abs(v) < 100 else (
        f"{v:.1f}" if isinstance(v, float) else str(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lockstage", required=True, help="the lockstage program")
    ap.add_argument("--out", required=True, help="folder for the results (replaced)")
    ap.add_argument("--duration-s", type=int, default=20)
    ap.add_argument("--baseline-s", type=int, default=15)
    ap.add_argument("--backup-at-s", type=float, default=6.0)
    ap.add_argument("--innodb-rate", type=int, default=200)
    ap.add_argument("--innodb-threads", type=int, default=256)
    ap.add_argument("--myisam-rate", type=int, default=20)
    ap.add_argument("--myisam-threads", type=int, default=4)
    ap.add_argument("--ftwrl-hold-s", type=float, default=5.0)
    ap.add_argument("--block-ddl-hold-s", type=float, default=3.0)
    ap.add_argument("--block-commit-hold-s", type=float, default=1.0)
    ap.add_argument("--catchup-rate", type=int, default=1500,
                    help="catch-up phase: InnoDB rate at which the server is CPU-bound after FTWRL")
    ap.add_argument("--catchup-threads", type=int, default=16)
    ap.add_argument("--catchup-duration-s", type=int, default=11,
                    help="length of each catch-up run")
    ap.add_argument("--catchup-block-at-s", type=float, default=3.0,
                    help="when a catch-up run's first FTWRL is sent")
    ap.add_argument("--catchup-runs", type=int, default=6,
                    help="catch-up runs, each between two saturation runs")
    ap.add_argument("--catchup-blocks", type=int, default=1,
                    help="FTWRL blocks (held --ftwrl-hold-s) per catch-up run")
    ap.add_argument("--catchup-gap-s", type=float, default=4.0,
                    help="time from a block's UNLOCK to the next block's FTWRL")
    ap.add_argument("--service-s", type=int, default=5,
                    help="the one-thread run without a rate limit that measures the service time")
    ap.add_argument("--saturation-s", type=int, default=6,
                    help="each run without a rate limit that measures the server's capacity")
    args = ap.parse_args()
    if args.catchup_runs < 1 or args.catchup_blocks < 1 or args.catchup_gap_s < 1.0:
        ap.error("--catchup-runs and --catchup-blocks must be at least 1, --catchup-gap-s 1 s")
    blocks_end_s = (args.catchup_block_at_s + args.catchup_blocks * args.ftwrl_hold_s
                    + (args.catchup_blocks - 1) * args.catchup_gap_s)
    if blocks_end_s + 3.0 > args.catchup_duration_s:
        ap.error(f"--catchup-duration-s {args.catchup_duration_s} leaves under 3 s after the last "
                 f"block's UNLOCK (at {blocks_end_s:g} s) for its drain")
    args.lockstage = os.path.abspath(args.lockstage)
    out = os.path.abspath(args.out)
    if pymysql is None:
        log("error: python3-pymysql is missing (tests/real-server/run.sh installs it)")
        return 2

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="lockstage-real-server-")
    exports = tempfile.mkdtemp(prefix="lockstage-real-server-exports-")
    measured = False
    server = Server(workdir)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        log(f"starting a private MariaDB server in {workdir}")
        server.start()
        with server.connect() as c, c.cursor() as cur:
            cur.execute("SELECT VERSION()")
            version = cur.fetchone()[0]
            cur.execute("CREATE DATABASE lockstage")
            cur.execute("CREATE TABLE lockstage.orders (id INT PRIMARY KEY, k INT NOT NULL, "
                        "pad CHAR(60) NOT NULL DEFAULT '') ENGINE=InnoDB")
            cur.execute("INSERT INTO lockstage.orders (id, k) SELECT seq, 0 FROM lockstage.seq_1_to_10000")
            cur.execute("CREATE TABLE lockstage.app_log (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                        "msg VARCHAR(64)) ENGINE=MyISAM")
        log(f"server {version} up")

        base_args = argparse.Namespace(**vars(args))
        base_args.duration_s = args.baseline_s
        status = []
        baseline = measure(server, base_args, "baseline", None, workdir, status)
        save_exports(exports, server, baseline, status)
        run_mariabackup(server, workdir, exports)
        ftwrl = measure(server, args, "ftwrl", [
            (0.0, "FLUSH TABLES WITH READ LOCK"),
            (args.ftwrl_hold_s, "UNLOCK TABLES")], workdir)
        stages = measure(server, args, "backup-stage", [
            (0.0, "BACKUP STAGE START"),
            (0.0, "BACKUP STAGE FLUSH"),
            (0.0, "BACKUP STAGE BLOCK_DDL"),
            (args.block_ddl_hold_s, "BACKUP STAGE BLOCK_COMMIT"),
            (args.block_commit_hold_s, "BACKUP STAGE END")], workdir)
        # The catch-up: a baseline at the CPU-bound rate (the CPU per transaction), then the
        # same load with FTWRL held --ftwrl-hold-s.
        cu_args = argparse.Namespace(**vars(args))
        cu_args.innodb_rate, cu_args.innodb_threads = args.catchup_rate, args.catchup_threads
        cu_args.duration_s, cu_args.backup_at_s = args.catchup_duration_s, args.catchup_block_at_s
        cu_base_args = argparse.Namespace(**vars(cu_args))
        cu_base_args.duration_s = args.saturation_s  # its figures are reported only
        cu_baseline = measure(server, cu_base_args, "catchup-baseline", None, workdir)
        cu_baseline["fsync_ms"] = fsync_ms(server.datadir)
        # The service time: one thread with no rate limit. In sysbench's rate mode an idle
        # worker polls its event queue every 0.5 x threads / rate s (src/sysbench.c
        # sb_more_events: 5.3 ms at 1500/s on 16 threads) and the latency counts from the
        # scheduled arrival, so the rate-limited baseline's latency holds that polling delay,
        # which a backlog never waits for. A closed loop has no queue: its latency is the
        # statement alone.
        svc_args = argparse.Namespace(**vars(cu_args))
        svc_args.innodb_rate, svc_args.innodb_threads = 0, 1
        svc_args.duration_s = args.service_s
        service = measure(server, svc_args, "catchup-service", None, workdir)
        # The capacity: the same threads with no rate limit, the cores saturated, measured before,
        # between and after the catch-up runs. This machine's throughput moves by up to 40 %
        # between runs a minute apart, so a drain (under a second) samples it: the catch-up is
        # repeated in short runs, each between two saturation runs, and the median drain
        # compared.
        sat_args = argparse.Namespace(**vars(cu_args))
        sat_args.innodb_rate, sat_args.duration_s = 0, args.saturation_s
        saturated = [measure(server, sat_args, "saturation-1", None, workdir)]
        cu_script = []
        for k in range(args.catchup_blocks):
            cu_script += [(0.0 if k == 0 else args.catchup_gap_s, "FLUSH TABLES WITH READ LOCK"),
                          (args.ftwrl_hold_s, "UNLOCK TABLES")]
        cu_runs = []
        for n in range(1, args.catchup_runs + 1):
            cu = measure(server, cu_args, f"catchup-{n}", cu_script, workdir)
            locks = [x["sent_s"] for x in cu["backup"] if x["sql"].startswith("FLUSH TABLES")]
            unlocks = [x["sent_s"] for x in cu["backup"] if x["sql"] == "UNLOCK TABLES"]
            cu["peaks"], cu["drains"] = block_figures(
                cu["innodb_bins"], cu["innodb_fine_bins"], locks, unlocks, args.catchup_rate,
                args.catchup_duration_s)
            cu_runs.append(cu)
            saturated.append(measure(server, sat_args, f"saturation-{n + 1}", None, workdir))
        cu_real = combine_catchup([dict(cu["metrics"], peaks=cu["peaks"], drains=cu["drains"])
                                   for cu in cu_runs])
        measured = True
    except (MeasurementError, pymysql.err.Error) as exc:
        log(f"error: {exc}")
        return 2
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if not measured:  # an error or a signal: no result folder will take the exports
            shutil.rmtree(exports, ignore_errors=True)

    tmp_out = out + ".partial"
    shutil.rmtree(tmp_out, ignore_errors=True)
    os.makedirs(tmp_out)
    shutil.move(exports, os.path.join(tmp_out, "exports"))
    exports = os.path.join(tmp_out, "exports")
    try:
        report = {
            "measured_on": datetime.date.today().isoformat(),
            "machine": f"{platform.node()}, {os.cpu_count()} cores, {platform.platform()}",
            "server": version,
            "sysbench": subprocess.run(["sysbench", "--version"], stdout=subprocess.PIPE,
                                       text=True).stdout.strip(),
            "settings": {k: v for k, v in vars(args).items() if k not in ("lockstage", "out")},
            "baseline": {k: baseline[k] for k in ("innodb", "myisam", "metrics")},
            "phases": [],
        }
        all_ok = True
        for phase in (ftwrl, stages):
            sim, span = simulate(args, scenario_for(args, phase["phase"], phase, baseline), tmp_out)
            rows, ok = compare(phase["metrics"], sim, span)
            all_ok &= ok
            report["phases"].append({"phase": phase["phase"], "backup": phase["backup"],
                                     "real": phase["metrics"], "simulated": sim,
                                     "simulated_range": span, "rows": rows,
                                     "ok": ok})
        # The same phases from the scenario `lockstage calibrate` wrote of the baseline's exports.
        calibrated = run_calibrate(args.lockstage, exports, tmp_out)
        for phase in (ftwrl, stages):
            name = f"calibrated-{phase['phase']}"
            sim, span = simulate(args, calibrated_for(calibrated, args, phase["phase"], phase),
                                 tmp_out)
            rows, ok = compare(phase["metrics"], sim, span)
            all_ok &= ok
            report["phases"].append({"phase": name, "backup": phase["backup"],
                                     "real": phase["metrics"], "simulated": sim,
                                     "simulated_range": span, "rows": rows, "ok": ok})
        marginal_ms = marginal_cpu_ms(baseline["cpu_load"], cu_baseline["cpu_load"])
        # Each catch-up run's capacity is the mean of the saturation runs just before and after
        # it: the machine's throughput drifts between runs (9,353-13,574/s within a minute).
        sat_loads = [mean_load(a["cpu_load"], b["cpu_load"])
                     for a, b in zip(saturated, saturated[1:])]
        cpu_ms = [saturated_cpu_ms(os.cpu_count(), x) for x in sat_loads]
        if None in cpu_ms:
            raise MeasurementError("no throughput measured in a saturation run")
        capacities = [capacity_of(service, os.cpu_count(), x) for x in cpu_ms]
        report["catchup_baseline"] = {
            "innodb": cu_baseline["innodb"], "cpu_ms_per_tx": cu_baseline["cpu_ms_per_tx"],
            "cpu_load": cu_baseline["cpu_load"], "baseline_cpu_load": baseline["cpu_load"],
            "marginal_cpu_ms": marginal_ms,
            "saturated_loads": [x["cpu_load"] for x in saturated],
            "saturated_load_per_run": sat_loads, "cpu_ms_per_tx_saturated_per_run": cpu_ms,
            "fsync_probe_ms": cu_baseline["fsync_ms"],
            "capacity_per_run": capacities, "service": service["innodb"]}
        sim, span = simulate_catchup(
            cu_args, [scenario_for(cu_args, cu["phase"], cu, service, c)
                      for cu, c in zip(cu_runs, capacities)], tmp_out)
        rows, ok = compare(cu_real, sim, span, CATCHUP_METRICS)
        all_ok &= ok
        report["phases"].append({
            "phase": "catchup", "real": cu_real, "simulated": sim, "simulated_range": span,
            "rows": rows, "ok": ok, "bin_s": BIN_S, "drain_bin_s": DRAIN_BIN_S,
            "runs": [{"phase": cu["phase"], "backup": cu["backup"], "real": cu["metrics"],
                      "peaks_commits_s": cu["peaks"], "drains_s": cu["drains"],
                      "innodb_completions_per_bin": cu["innodb_bins"],
                      "innodb_completions_per_drain_bin": cu["innodb_fine_bins"]}
                     for cu in cu_runs]})
    except MeasurementError as exc:
        log(f"error: {exc}")
        shutil.rmtree(tmp_out, ignore_errors=True)
        return 2

    lines = [f"Real MariaDB {version} vs lockstage, measured {report['measured_on']} on "
             f"{report['machine']}",
             f"load: InnoDB UPDATE at {args.innodb_rate}/s on {args.innodb_threads} sysbench "
             f"threads, MyISAM INSERT at {args.myisam_rate}/s on {args.myisam_threads}; "
             f"{args.duration_s} s per phase, backup from {args.backup_at_s} s; baseline InnoDB "
             f"latency avg {baseline['innodb']['avg_ms']:.2f} ms, p99 "
             f"{baseline['innodb']['p99_ms']:.2f} ms",
             f"catch-up: InnoDB at {args.catchup_rate}/s on {args.catchup_threads} threads, "
             f"{args.catchup_runs} runs of {args.catchup_blocks} FTWRL "
             f"block{'s' if args.catchup_blocks > 1 else ''} held "
             f"{args.ftwrl_hold_s} s; real drains "
             + ", ".join(f"{d:.3f}" for cu in cu_runs for d in cu["drains"])
             + f" s; server {os.cpu_count()} cores saturated at "
             + ", ".join(f"{(x['cpu_load'] or (0, 0))[0]:.0f}" for x in saturated)
             + " tx/s without a rate limit (before, between and after the runs); each run's "
             "capacity the mean of the two around it = "
             + ", ".join(f"{x:.3f}" for x in cpu_ms)
             + " ms of CPU per transaction (server and sysbench; reported only: "
             f"{(marginal_ms or 0):.3f} ms per additional transaction between the baselines, mean "
             f"{cu_baseline['cpu_ms_per_tx']:.3f} ms at {args.catchup_rate}/s) = cpu_share "
             + ", ".join(str(c["cpu_share"]) for c in capacities)
             + f" of the service time's mean {service['innodb']['avg_ms']:.2f} ms "
             f"(one thread, no rate limit; the {args.catchup_rate}/s baseline's mean latency "
             f"{cu_baseline['innodb']['avg_ms']:.2f} ms holds sysbench's queue polling); fsync probe "
             f"{cu_baseline['fsync_ms']:.3f} ms (reported only)"]
    lines.append("")
    lines.append(f"| phase | metric | real | lockstage (mean of seeds {SIM_SEEDS[0]}-{SIM_SEEDS[-1]}) "
                 "| lockstage range | error | verdict |")
    lines.append("|---|---|---|---|---|---|---|")
    for p in report["phases"]:
        for r in p["rows"]:
            lo, hi = r["simulated_range"]
            lines.append(f"| {p['phase']} | {r['label']} | {fmt(r['real'])} | {fmt(r['simulated'])} "
                         f"| {fmt(lo)}–{fmt(hi)} | {pct(r['error'])} | {r['verdict']} |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(tmp_out, "real-vs-sim.md"), "w") as f:
        f.write(table)
    with open(os.path.join(tmp_out, "real-vs-sim.json"), "w") as f:
        json.dump(report, f, indent=2)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp_out, out)
    print(table, end="")
    log(f"done in {time.monotonic() - started:.0f} s; results in {out}")
    if not all_ok:
        log("FAIL: a simulated metric is outside its tolerance of the real one (table above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
