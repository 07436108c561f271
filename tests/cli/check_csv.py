"""CSV files and the outputs they repeat agree with each other:

1. every CSV file that run, compare, sweep and plan write has, in every row, as many fields as its
   header (compare.csv's header once had 13 fields and its rows 14);
2. compare.csv read with pandas holds exactly compare.json's values (a column `name` is the run
   or all-groups metric, `name[group]` the group's; an empty field is null), its columns are the
   headline metrics of `lockstage metrics`, and the table `lockstage compare` prints shows the
   same values rounded to the decimals it prints ("-" for no value) and the same verdict;
3. summary.json's metrics of `lockstage run --seed 1` equal compare.json's row of the same
   strategy and seed, every metric (summary and compare once disagreed on the TPS during the
   backup, 422.1 against 428.2);
4. tps_min <= tps_mean wherever both have a value (compare, every summary, the sweep's runs and
   points).

Each check prints what it compared; any mismatch is printed and the exit status is 1.
Run with Debian's python3: check_csv.py LOCKSTAGE SCENARIOS_DIR
"""
import csv
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

lockstage, scenarios = sys.argv[1], Path(sys.argv[2])
RUNS = ["backup-ftwrl", "two-groups-backup-stage", "replica-ftwrl", "galera-ftwrl",
        "ddl-during-block-ddl", "queue-mm1"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)
    return ok


def lockstage_out(*args):
    p = subprocess.run([lockstage, *map(str, args)], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL lockstage {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
        sys.exit(1)
    return p.stdout


def headline_columns(groups):
    """The headline columns, as compare.csv and the sweep's runs.csv name them: every headline
    metric of `lockstage metrics` in its order; a group metric for all groups, then per group."""
    cols = []
    for line in lockstage_out("metrics").splitlines():
        m = re.match(r"\| `([a-z0-9_]+)` \| [^|]* \| (group|run) \|.*\(headline\) \|$", line)
        if m:
            cols.append(m.group(1))
            if m.group(2) == "group":
                cols += [f"{m.group(1)}[{g}]" for g in groups]
    return cols


def metric_value(metrics, column):
    """The value of a column (`name` or `name[group]`) in a {run, all_groups, groups} object."""
    m = re.fullmatch(r"([a-z0-9_]+)(?:\[(.+)\])?", column)
    name, group = m.group(1), m.group(2)
    if group is not None:
        return metrics["groups"][group][name]
    if name in metrics["run"]:
        return metrics["run"][name]
    return metrics["all_groups"][name]


def same(a, b):
    """Exact equality of two metric values; None is no value."""
    if a is None or b is None:
        return a is None and b is None
    return float(a) == float(b)


with tempfile.TemporaryDirectory() as tmp:
    work = Path(tmp)
    printed = lockstage_out("compare", scenarios / "default.json", "--seed", 1,
                            "--out", work / "compare")
    for name in RUNS:
        lockstage_out("run", scenarios / f"{name}.json", "--out", work / f"run-{name}", "--quiet")
    lockstage_out("sweep", scenarios / "ci" / "sweep.json", "--jobs", 2, "--out", work / "sweep",
                  "--quiet")
    lockstage_out("plan", scenarios / "default.json", "--strategies", "ftwrl", "--replications", 2,
                  "--out", work / "plan", "--quiet")

    # 1. Field counts, every CSV file written.
    files = sorted(work.rglob("*.csv"))
    check(len(files) >= 2 * len(RUNS) + 5, f"only {len(files)} CSV files written")
    rows_read = 0
    for f in files:
        with open(f, newline="") as fh:
            rows = list(csv.reader(fh))
        if not check(rows, f"{f.relative_to(work)}: empty"):
            continue
        width = len(rows[0])
        bad = [(i + 1, len(r)) for i, r in enumerate(rows[1:], 1) if len(r) != width]
        check(not bad, f"{f.relative_to(work)}: header has {width} fields; rows (line, fields) "
                       f"with another count: {bad[:5]}{' ...' if len(bad) > 5 else ''}")
        rows_read += len(rows) - 1
    print(f"1. field counts: {len(files)} CSV files, {rows_read} rows, each as wide as its header")

    # 2. compare.csv against compare.json, and the printed table against both.
    doc = json.loads((work / "compare" / "compare.json").read_text())
    strategies = doc["strategies"]
    check(doc["seed"] == 1 and [s["strategy"] for s in strategies] == ["ftwrl", "mariabackup-stages"],
          f"compare.json: seed {doc['seed']}, strategies {[s['strategy'] for s in strategies]}")
    groups = list(strategies[0]["metrics"]["groups"])
    expected_columns = headline_columns(groups)
    # round_trip: pandas' exact float parser (the CSV writes each value's shortest exact form);
    # index_col=False: a row with a surplus field (check 1) does not shift the columns
    table = pd.read_csv(work / "compare" / "compare.csv", float_precision="round_trip", index_col=False,
                        keep_default_na=False, na_values=[""], dtype={"failure": str})
    with open(work / "compare" / "compare.csv", newline="") as fh:
        raw = list(csv.DictReader(fh))
    check(list(table.columns) == ["strategy", "flavor", *expected_columns, "failure"],
          f"compare.csv columns {list(table.columns)}, expected strategy, flavor, the headline "
          f"columns {expected_columns}, failure")
    check(len(table) == len(strategies), f"compare.csv has {len(table)} rows, compare.json "
                                         f"{len(strategies)} strategies")
    cells = 0
    for i, s in enumerate(strategies[:len(table)]):
        row = table.iloc[i]
        check((row["strategy"], row["flavor"]) == (s["strategy"], s["flavor"]),
              f"compare.csv row {i}: {row['strategy']}/{row['flavor']}, compare.json "
              f"{s['strategy']}/{s['flavor']}")
        failure = "" if pd.isna(row["failure"]) else row["failure"]
        check(failure == s["failure"], f"compare.csv {s['strategy']}: failure {failure!r}, "
                                       f"compare.json {s['failure']!r}")
        for col in expected_columns:
            if col not in table.columns:
                continue
            want = metric_value(s["metrics"], col)
            got = None if pd.isna(row[col]) else row[col].item()
            text = raw[i][col]
            ok = same(got, want) and (text == "" if want is None else float(text) == float(want))
            check(ok, f"compare.csv {s['strategy']} {col}: {text!r} (pandas {got!r}), "
                      f"compare.json {want!r}")
            cells += 1
    print(f"2. compare.csv: {len(table)} rows x {len(expected_columns)} metric columns = {cells} "
          f"cells equal compare.json's values exactly (empty = null)")

    lines = printed.splitlines()
    at = next((i for i, line in enumerate(lines) if line.split()[:1] == ["strategy"]), None)
    if check(at is not None, f"no table header in the printed compare output:\n{printed}"):
        header = lines[at]
        tokens = [(m.group(), m.end()) for m in re.finditer(r"\S+", header)]
        columns, verdict_col = tokens[1:-1], tokens[-1]
        check(verdict_col[0] == "copy", f"printed table: the last column is {verdict_col[0]!r}, "
                                        "expected copy")
        check(all(c in expected_columns for c, _ in columns),
              f"printed table columns {[c for c, _ in columns]} are not all compare.csv columns")
        body = lines[at + 1:at + 1 + len(strategies)]
        check(len(body) == len(strategies) and not any(line.lstrip().startswith("(") for line in body),
              f"printed table: expected {len(strategies)} rows after the header:\n{printed}")
        decimals = {}
        shown = 0
        for s, line in zip(strategies, body):
            label = re.match(r"\s*(\S+)", line)
            check(label.group(1) == s["strategy"], f"printed row {line!r}: expected {s['strategy']}")
            start = label.end()
            for col, end in columns:
                cell = line[start:end]
                start = end
                text = cell.strip()
                check(text and " " not in text and cell.endswith(text),
                      f"printed {s['strategy']} {col}: {cell!r} is not one right-aligned value")
                want = metric_value(s["metrics"], col)
                if text == "-" or want is None:
                    check(text == "-" and want is None,
                          f"printed {s['strategy']} {col}: {text!r}, compare.json {want!r}")
                    continue
                d = len(text.split(".")[1]) if "." in text else 0
                decimals.setdefault(col, d)
                check(decimals[col] == d, f"printed {col}: {text!r} has {d} decimals, the column "
                                          f"{decimals[col]}")
                check(text == f"{want:.{d}f}", f"printed {s['strategy']} {col}: {text}, "
                                               f"compare.json {want!r} ({want:.{d}f})")
                shown += 1
            run = s["metrics"]["run"]
            verdict = ("FAILED: " + s["failure"] if run["backup_finished"] != 1
                       else "consistent" if run["consistent"] == 1 else "NOT consistent")
            check(line[start:].strip() == verdict,
                  f"printed {s['strategy']}: copy {line[start:].strip()!r}, expected {verdict!r}")
        print(f"2. printed table: {len(body)} rows x {len(columns)} columns, {shown} values equal "
              f"compare.json's rounded to the printed decimals "
              f"({', '.join(f'{c} {d}' for c, d in decimals.items())}), and the copy verdicts")

    # 3. A run of each strategy with the same seed: summary.json's metrics = compare.json's row.
    # The scenario's own strategy from default.json, the other from a copy with only the
    # strategy changed (compare changes nothing else for these two on mariadb-10.11).
    base = json.loads((scenarios / "default.json").read_text())
    for s in strategies:
        path = scenarios / "default.json"
        if s["strategy"] != base["backup"]["strategy"]:
            variant = json.loads(json.dumps(base))
            variant["backup"]["strategy"] = s["strategy"]
            path = work / f"default-{s['strategy']}.json"
            path.write_text(json.dumps(variant, indent=2))
        out = work / f"seed1-{s['strategy']}"
        lockstage_out("run", path, "--seed", 1, "--out", out, "--quiet")
        summary = json.loads((out / "summary.json").read_text())
        check((summary["seed"], summary["flavor"]) == (1, s["flavor"]),
              f"summary of {s['strategy']}: seed {summary['seed']}, flavor {summary['flavor']}")
        n = 0
        for part in ("run", "all_groups"):
            for name, want in s["metrics"][part].items():
                got = summary["metrics"][part].get(name, "missing")
                check(got != "missing" and same(got, want),
                      f"{s['strategy']} {part} {name}: summary.json {got!r}, compare.json {want!r}")
                n += 1
        for g, values in s["metrics"]["groups"].items():
            for name, want in values.items():
                got = summary["metrics"]["groups"].get(g, {}).get(name, "missing")
                check(got != "missing" and same(got, want),
                      f"{s['strategy']} {name}[{g}]: summary.json {got!r}, compare.json {want!r}")
                n += 1
        check(set(summary["metrics"]["all_groups"]) == set(s["metrics"]["all_groups"])
              and set(summary["metrics"]["run"]) == set(s["metrics"]["run"])
              and set(summary["metrics"]["groups"]) == set(s["metrics"]["groups"]),
              f"{s['strategy']}: summary.json and compare.json name different metrics")
        q = summary["queue_depth"]["peak_statements"]
        peak = " + ".join(f"{k} {kind}" for kind, k in q.items())
        inconsistencies = [f"{i['table']}: {i['reason']}" for i in summary["backup"]["inconsistencies"]]
        check(peak == s["peak_statements"] and inconsistencies == s["inconsistencies"]
              and summary["backup"]["failure"] == s["failure"],
              f"{s['strategy']}: summary peak {peak!r}, inconsistencies {inconsistencies}, failure "
              f"{summary['backup']['failure']!r}; compare.json {s['peak_statements']!r}, "
              f"{s['inconsistencies']}, {s['failure']!r}")
        print(f"3. {s['strategy']}, seed 1: {n} metrics of summary.json equal compare.json's row "
              f"(tps_mean {summary['metrics']['all_groups']['tps_mean']}), and its peak "
              f"statements, inconsistencies and failure")

    # 4. tps_min <= tps_mean wherever both have a value.
    pairs = 0

    def min_le_mean(where, lo, hi):
        global pairs
        if lo is None or hi is None:
            return
        pairs += 1
        check(float(lo) <= float(hi), f"{where}: tps_min {lo} > tps_mean {hi}")

    for s in strategies:
        m = s["metrics"]
        min_le_mean(f"compare.json {s['strategy']}", m["all_groups"]["tps_min"], m["all_groups"]["tps_mean"])
        for g, v in m["groups"].items():
            min_le_mean(f"compare.json {s['strategy']}[{g}]", v["tps_min"], v["tps_mean"])
    for f in sorted(work.rglob("summary.json")):
        m = json.loads(f.read_text()).get("metrics")
        if m is None:  # the queue model's summary has no metric table
            continue
        min_le_mean(f"{f.relative_to(work)}", m["all_groups"]["tps_min"], m["all_groups"]["tps_mean"])
        for g, v in m["groups"].items():
            min_le_mean(f"{f.relative_to(work)} [{g}]", v["tps_min"], v["tps_mean"])
    for f, suffix in ((work / "compare" / "compare.csv", ""), (work / "sweep" / "runs.csv", ""),
                      (work / "sweep" / "points.csv", "_mean")):
        with open(f, newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh), 2):
                cols = [c for c in r if c is not None  # (None: a row's surplus fields)
                        and c.startswith("tps_min") and c.endswith(suffix)]
                check(cols, f"{f.relative_to(work)}: no tps_min column")
                for c in cols:
                    mean = "tps_mean" + c[len("tps_min"):]
                    check(mean in r, f"{f.relative_to(work)}: {c} without {mean}")
                    min_le_mean(f"{f.relative_to(work)} line {i} {c}", r[c] or None, r.get(mean) or None)
    print(f"4. tps_min <= tps_mean: {pairs} pairs (compare, every summary.json, the sweep's runs "
          f"and points)")

print(f"csv: {len(failures)} failed")
sys.exit(1 if failures else 0)
