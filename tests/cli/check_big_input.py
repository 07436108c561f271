"""Deep and huge JSON inputs, written here rather than checked in (megabytes): every place
lockstage reads JSON (check/run scenario, sweep file and its base, a sweep axis value, merge's
shard.json, the sweep resume file, report tutorial's scenarios) refuses nesting deeper than 64
levels, arrays beyond the schema's maxItems and files over 256 MiB with exit code 2 and the exact
message, and reads large valid-shaped files in linear time. The time bound is a hang guard
against quadratic parsing (200,000 objects took 7.7 s, 1,000,000 statements 277 s), not a
benchmark: the measured time is printed.

Usage: check_big_input.py LOCKSTAGE SCENARIO_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

lockstage, scenarios = os.path.abspath(sys.argv[1]), Path(sys.argv[2]).resolve()
GUARD_S = 10.0
failures = []


def nested(depth, open_, inner, close):
    return open_ * depth + inner + close * depth


def with_member(doc, key, raw):
    """`doc` as JSON text with "key": raw (raw JSON text) appended."""
    return json.dumps(doc)[:-1] + f', "{key}": {raw}}}'


def refused(name, args, expected, cwd):
    start = time.monotonic()
    p = subprocess.run([lockstage, *args], cwd=cwd, capture_output=True, text=True)
    took = time.monotonic() - start
    print(f"{name:28} exit {p.returncode}  {took:6.2f} s  {p.stderr.strip()[:150]}")
    problems = []
    if p.returncode != 2:
        problems.append(f"exit code {p.returncode}, expected 2")
    if p.stderr != f"lockstage: error: {expected}\n":
        problems.append(f"message {p.stderr!r}, expected {expected!r}")
    if took > GUARD_S:
        problems.append(f"took {took:.1f} s (guard {GUARD_S} s): quadratic reading?")
    if problems:
        failures.append(f"{name}: " + "; ".join(problems))


queue = json.loads((scenarios / "queue-mm1.json").read_text())
mariadb = {"name": "m", "duration_s": 10, "server": {"flavor": "mariadb-10.11"}}
deep_64 = "/0" * 62  # the pointer tokens of levels 3..64 inside a root member's array
with tempfile.TemporaryDirectory() as work:
    w = Path(work)

    def write(name, text):
        (w / name).parent.mkdir(parents=True, exist_ok=True)
        (w / name).write_text(text)

    # 100,000 levels where the schema reports the value (an enum: the message rendered it) and
    # in an unknown key's object: a stack overflow (signal 11) before.
    model = json.dumps(queue).replace('"model": "queue"',
                                      '"model": ' + nested(100_000, "[", "", "]"))
    write("deep-value.json", model)
    for cmd in ("check", "run"):
        refused(f"{cmd} deep value", [cmd, "deep-value.json"] + (["--out", "o"] if cmd == "run" else []),
                "deep-value.json: /server/model" + "/0" * 62 + ": nesting deeper than 64 levels",
                w)
    write("deep-key.json", with_member(queue, "x", nested(100_000, '{"a":', "1", "}")))
    refused("check deep key object", ["check", "deep-key.json"],
            "deep-key.json: /x" + "/a" * 63 + ": nesting deeper than 64 levels", w)

    # 200,000 levels in a sweep axis value, and in the sweep's base scenario.
    shutil.copy(scenarios / "default.json", w / "base.json")
    axis = '{"name": "s", "base": "base.json", "axes": [{"pointer": "/data/myisam_gb", ' \
        '"values": [1, ' + nested(200_000, "[", "", "]") + "]}]}"
    write("deep-axis.json", axis)
    refused("sweep deep axis value", ["sweep", "deep-axis.json", "--out", "o"],
            "deep-axis.json: /axes/0/values/1" + deep_64[:-4] +
            ": nesting deeper than 64 levels", w)
    write("deep-base/base.json", with_member(queue, "x", nested(100_000, "[", "", "]")))
    write("deep-base/sweep.json", '{"name": "s", "base": "base.json", "axes": '
          '[{"pointer": "/seed", "values": [1, 2]}]}')
    refused("sweep deep base", ["sweep", "deep-base/sweep.json", "--out", "o"],
            "deep-base/base.json: /x" + "/0" * 63 + ": nesting deeper than 64 levels", w)

    # merge's shard.json and the sweep resume file: the same reader.
    write("shard/shard.json", '{"sweep_file": ' + nested(100_000, "[", "", "]") + "}")
    refused("merge deep shard.json", ["merge", "shard"],
            "shard/shard.json: /sweep_file" + "/0" * 63 + ": nesting deeper than 64 levels; "
            "run that shard again (lockstage sweep SWEEP.json --shard I/N)", w)
    write("ok-sweep.json", '{"name": "s", "base": "base.json", "axes": '
          '[{"pointer": "/seed", "values": [1, 2]}]}')
    write("res/.o.sweep-resume.json", '{"sweep": ' + nested(100_000, "{\"a\":", "1", "}") + "}")
    refused("sweep deep resume file", ["sweep", "ok-sweep.json", "--out", "res/o", "--jobs", "1"],
            "res/.o.sweep-resume.json: /sweep" + "/a" * 63 + ": nesting deeper than 64 levels; "
            "remove res/.o.sweep-resume.json to start the sweep over",
            w)

    # report tutorial --scenarios DIR reads its scenarios with the same reader.
    write("tut/tutorial/t1.json", model)
    refused("report tutorial deep t1", ["report", "tutorial", "--scenarios", "tut", "--out", "o"],
            "tut/tutorial/t1.json: /server/model" + "/0" * 62 +
            ": nesting deeper than 64 levels", w)

    # Arrays beyond the schema's maxItems, refused at the first item too many while reading
    # (the rest is malformed on purpose: never reached).
    statements = ",".join(['{"sql": "SELECT 1"}'] * 1_000_000)
    write("statements-1m.json",
          with_member(mariadb, "sessions", '[{"name": "s", "statements": [' + statements + "]}]"))
    refused("1,000,000 statements", ["check", "statements-1m.json"],
            "statements-1m.json: /sessions/0/statements: expected at most 100000 items, got more",
            w)
    write("tables-cut.json", with_member(mariadb, "tables", "[" + ",".join(
        f'{{"name": "t{i}"}}' for i in range(100_001)) + ", oops"))
    refused("100,001 tables, cut short", ["check", "tables-cut.json"],
            "tables-cut.json: /tables: expected at most 100000 items, got more", w)

    # 200,000 small objects and an object of 200,000 keys, read whole: linear time, then the
    # schema's verdict.
    no_seed = {k: v for k, v in queue.items() if k != "seed"}
    write("keys-200k.json", with_member(no_seed, "seed", "{" + ",".join(
        f'"k{i}": 1' for i in range(200_000)) + "}"))
    refused("object of 200,000 keys", ["check", "keys-200k.json"],
            "keys-200k.json: /seed: expected an integer, got an object", w)
    write("objects-200k.json", with_member(no_seed, "seed", "[" + ",".join(
        f'{{"name": "t{i}"}}' for i in range(200_000)) + "]"))
    refused("array of 200,000 objects", ["check", "objects-200k.json"],
            "objects-200k.json: /seed: expected an integer, got an array", w)

    # uniqueItems over 200,000 distinct values (users' privileges have no maxItems): every pair
    # was compared (30,000 items: 8 s).
    users = dict(mariadb, users=[{"name": "u", "privileges": list(range(200_000))}])
    write("privileges-200k.json", json.dumps(users))
    refused("200,000 unique privileges", ["check", "privileges-200k.json"],
            'privileges-200k.json: /users/0/privileges/0: expected one of "RELOAD", '
            '"BACKUP_ADMIN", "PROCESS", "SUPER", "CONNECTION_ADMIN", got 0', w)

    # A file beyond 256 MiB (sparse: nothing is written) is refused before it is read.
    with open(w / "huge.json", "wb") as f:
        f.truncate((256 << 20) + 1)
    refused("file over 256 MiB", ["check", "huge.json"],
            "huge.json: /: expected a file of at most 256 MiB, got more", w)

for f in failures:
    print("FAIL", f)
print(f"big input: {'ok' if not failures else f'{len(failures)} failed'}")
sys.exit(1 if failures else 0)
