"""Every numeric model key at its extremes: `check` fails exactly when `run` would.

For each number or integer the scenario schema declares under a base scenario's server, backup,
data, workload, replication, galera, sessions and output objects, and for each duration
distribution's value, the key is set in turn to the extremes of its range (0 where allowed,
1e-9, 1e-5, 0.5, 1, its maximum, or 1e9 without one; integers: their minimum, 1, 1000, their
maximum) in a small base scenario. Then `lockstage check` and `lockstage run` must agree: both
exit 0, or both exit 2 with the same message; never another exit code (a crash, an internal
error), never longer than the time limit (a spin). A run estimated above 2 million events (legal, but
minutes long at the schema's largest rates) runs under a budget of that many events instead and
may stop at it.

Usage: check_model_keys.py LOCKSTAGE [--verbose]
"""
import copy
import os
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

lockstage = sys.argv[1]
verbose = "--verbose" in sys.argv
schema = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "scenarios/scenario.schema.json").read_text())
LIMIT_S = 60
BIG = 2_000_000  # kernel events: runs estimated above this run under this budget

MS = {"dist": "constant", "value_ms": 1}
TX = [{"statements": [{"sql": "UPDATE t", "exec_ms": MS}, {"sql": "SELECT * FROM m"}]}]
MARIADB = {
    "name": "keys", "seed": 1, "duration_s": 2,
    "server": {"flavor": "mariadb-10.11"},
    "tables": [{"name": "t"}, {"name": "m", "engine": "MyISAM"}],
    "data": {"innodb_gb": 0.001, "innodb_tables": 2, "myisam_gb": 0.001, "myisam_tables": 1},
    "backup": {"strategy": "mariabackup-stages", "start_at_s": 0.5, "ftwrl_wait_timeout_s": 1,
               "kill_long_queries_timeout_s": 1},
    "sessions": [{"name": "s", "statements": [{"at_s": 0.1, "sql": "UPDATE m", "exec_ms": 1}]}],
    "workload": {"groups": [
        {"name": "open", "arrivals": {"kind": "open", "rate_tps": 50}, "pool_size": 4,
         "client_timeout_s": 1, "transactions": TX, "ddl_rate_per_h": 360,
         "ddl": [{"sql": "ALTER TABLE t", "exec_ms": MS}]},
        {"name": "closed", "arrivals": {"kind": "closed", "clients": 4,
                                        "think_ms": {"dist": "constant", "value_ms": 10}},
         "pool_size": 2, "client_timeout_s": 1, "transactions": TX}]},
}
REPLICA = {
    "name": "keys-replica", "seed": 1, "duration_s": 2, "server": {"flavor": "mariadb-10.11"},
    "topology": "replica", "replication": {"primary_rate_tps": 50, "table": "t"},
    "tables": [{"name": "t"}],
    "sessions": [{"name": "b", "statements": [{"at_s": 0.5, "sql": "FLUSH TABLES WITH READ LOCK"},
                                              {"at_s": 1, "sql": "UNLOCK TABLES"}]}],
}
GALERA = {
    "name": "keys-galera", "seed": 1, "duration_s": 2, "server": {"flavor": "mariadb-10.11"},
    "topology": "galera", "galera": {"cluster_rate_tps": 50}, "tables": [{"name": "t"}],
    "sessions": [{"name": "b", "statements": [{"at_s": 0.5, "sql": "FLUSH TABLES WITH READ LOCK"},
                                              {"at_s": 1, "sql": "UNLOCK TABLES"}]}],
}
# Keys of the other model, refused with "applies to the queue model only" (and the reverse):
# the loader's own check, tested in tests/bad-input; not swept.
QUEUE_ONLY = {("server", "connections"), ("server", "max_in_system"), ("workload", "rate_tps"),
              ("workload", "service")}
QUEUE = {
    "name": "keys-queue", "seed": 1, "duration_s": 2,
    "server": {"model": "queue", "connections": 2, "max_in_system": 10},
    "workload": {"rate_tps": 100, "service": {"dist": "exponential", "mean_ms": 5}},
}


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    return node


def values(node):
    lo = node.get("minimum", node.get("exclusiveMinimum"))
    hi = node.get("maximum")
    if node["type"] == "integer":
        vs = [node.get("minimum", 1), 1, 1000, hi if hi is not None else 10**9]
    else:
        vs = [0] if node.get("minimum") == 0 else []
        vs += [1e-9, 1e-5, 0.5, 1, hi if hi is not None else 1e9]
    ok = []
    for v in vs:
        if lo is not None and (v < lo or (v == lo and "exclusiveMinimum" in node)):
            continue
        if hi is not None and v > hi:
            continue
        if v not in ok:
            ok.append(v)
    return ok


def distribution_values():
    return [{"dist": "constant", "value_ms": v} for v in (0, 1e-6, 1e3, 1e9)] + [
        {"dist": "exponential", "mean_ms": v} for v in (1e-6, 1e9)]


def keys(doc, sch, path):
    """(path, values) of every numeric key the schema allows where `doc` has an object."""
    sch = resolve(sch)
    props = sch.get("properties", {})
    for name, sub in props.items():
        subr = resolve(sub)
        p = path + [name]
        if name.endswith("_ms") and "$ref" in sub:  # a duration distribution
            yield p, distribution_values()
        elif subr.get("type") in ("number", "integer"):
            if name not in ("seed", "weight"):
                yield p, values(subr)
        elif isinstance(doc.get(name), dict):
            yield from keys(doc[name], subr, p)
        elif isinstance(doc.get(name), list) and "items" in subr:
            for i, item in enumerate(doc[name]):
                yield from keys(item, subr["items"], p + [i])
    for alt in sch.get("oneOf", []):
        alt = resolve(alt)
        kind = alt.get("properties", {}).get("kind", {}).get("const")
        if kind is None or doc.get("kind") == kind:
            yield from keys(doc, {"properties": alt.get("properties", {})}, path)


def put(doc, path, v):
    d = doc
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = v


def lockstage_run(args):
    start = time.monotonic()
    try:
        p = subprocess.run([lockstage, *args], capture_output=True, text=True, timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


# LOCKSTAGE_MODEL_KEYS_STRIDE=N runs every Nth case only (setup.sh's sanitizer pass, where the
# whole set takes about 4 minutes); the default runs them all.
STRIDE = int(os.environ.get("LOCKSTAGE_MODEL_KEYS_STRIDE", "1"))
failures = []
cases = big_cases = 0
with tempfile.TemporaryDirectory() as work:
    for base in (MARIADB, REPLICA, GALERA, QUEUE):
        f = pathlib.Path(work) / "s.json"
        f.write_text(json.dumps(base))
        code, _, err, _ = lockstage_run(["check", str(f)])
        if code != 0:
            failures.append(f"base scenario {base['name']} is refused: {err.strip()}")
            continue
        for path, vs in keys(base, schema, []):
            if path[0] in ("tables", "users"):
                continue
            if (tuple(path[:2]) in QUEUE_ONLY) != (base is QUEUE) and path[0] in ("server",
                                                                                   "workload"):
                continue
            for v in vs:
                doc = copy.deepcopy(base)
                put(doc, path, v)
                f = pathlib.Path(work) / "s.json"
                f.write_text(json.dumps(doc))
                where = "/" + "/".join(map(str, path)) + f" = {json.dumps(v)} ({base['name']})"
                cases += 1
                if (cases - 1) % STRIDE:
                    continue
                code_c, out_c, err_c, t_c = lockstage_run(["check", str(f)])
                out = pathlib.Path(work) / f"out{cases}"
                m = re.search(r"about ([0-9.e+]+) kernel events$", out_c.strip())
                big = code_c == 0 and m is not None and float(m.group(1)) > BIG
                # A run estimated large is legal and may take minutes: it runs under a small
                # budget instead, which it may reach (exit 1 with the budget's message), but it
                # must start without crashing or stalling (an allocation per state, a set-up).
                code_r, _, err_r, t_r = lockstage_run(
                    ["run", str(f), "--out", str(out), "--quiet"] +
                    (["--max-events", str(BIG)] if big else []))
                if big and code_r == 1 and "stopped at its event budget" in err_r:
                    code_r = 0
                    big_cases += 1
                if verbose:
                    print(f"{where}: check {code_c} ({t_c:.2f} s), run {code_r} ({t_r:.2f} s)"
                          + (f": {err_r.strip()[:160]}" if code_r else ""))
                if code_r is None or code_c is None:
                    failures.append(f"{where}: did not end within {LIMIT_S} s")
                elif code_c not in (0, 2) or code_r not in (0, 2):
                    failures.append(f"{where}: exit codes check {code_c}, run {code_r}: "
                                    f"{(err_c or err_r).strip()}")
                elif code_c != code_r:
                    failures.append(f"{where}: check exits {code_c}, run exits {code_r}: "
                                    f"{(err_c or err_r).strip()}")
                elif code_c == 2 and err_c != err_r:
                    failures.append(f"{where}: check says {err_c.strip()!r}, run says "
                                    f"{err_r.strip()!r}")
                subprocess.run(["rm", "-rf", str(out)])

for f in failures:
    print("FAIL", f)
print(f"model keys: {cases} cases ({big_cases} estimated above {BIG} events, run under that "
      f"budget), {len(failures)} failed")
sys.exit(1 if failures or cases == 0 else 0)
