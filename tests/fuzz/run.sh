#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ (-DLOCKSTAGE_FUZZ=ON: coverage, ASan,
# UBSan) and runs them all at once, each for SECONDS of wall time (so the whole run takes
# SECONDS, however many targets; they share the cores):
#   fuzz_scenario  seeds: scenarios/**/*.json, tests/bad-input, tests/mariadb, tests/extreme,
#                  tests/event-budget; a dictionary of the schema's keys and values
#   fuzz_sql       seeds: every "sql" string of those scenarios; a dictionary of SQL words
#   fuzz_sweep     seeds: the sweep files of scenarios/ and tests/bad-input/sweep ("base" made
#                  absolute); a dictionary of both schemas' keys, metric names and strategies
#   fuzz_expect    seeds: every expect line of those sweep files; the same words and operators
#   fuzz_sweep_state  seeds: a shard.json and a resume file made here, and any shard or resume
#                  file under tests/bad-input; a dictionary of their keys
# The corpus each run finds is kept in build-fuzz/corpus/<target>/ and grows across runs; a crash
# is saved as build-fuzz/artifacts/<target>-crash-* and makes the script exit 1.
#   bash tests/fuzz/run.sh [SECONDS]      (default 60)
# LOCKSTAGE_FUZZ_TARGETS="scenario" runs only that one; LOCKSTAGE_FUZZ_JOBS the build's -j.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-60}
out=${LOCKSTAGE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${LOCKSTAGE_FUZZ_JOBS:-2}
targets=${LOCKSTAGE_FUZZ_TARGETS:-scenario sql sweep expect sweep_state}

# -O1 and line tables only: libFuzzer's usual build, quicker to compile than -O2 -g
CC=clang CXX=clang++ cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCKSTAGE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" -DLOCKSTAGE_WERROR=ON >/dev/null
# shellcheck disable=SC2046
cmake --build "$out" --target $(printf 'fuzz_%s ' $targets) -j "$jobs"

# Seed corpora and dictionaries, made anew each time from the repository.
rm -rf "$out/seeds"
for target in scenario sql sweep expect sweep_state; do
  mkdir -p "$out/seeds/$target" "$out/corpus/$target"
done
mkdir -p "$out/artifacts"
/usr/bin/python3 - "$out" <<'EOF'
import hashlib, json, sys
from pathlib import Path
out = Path(sys.argv[1])
files = sorted([*Path("scenarios").rglob("*.json"), *Path("tests").glob("bad-input/*.json"),
                *Path("tests").glob("mariadb/*.json"), *Path("tests").glob("extreme/*.json"),
                *Path("tests").glob("event-budget/*.json")])
sql = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "sql" and isinstance(x, str):
                sql.add(x)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for f in files:
    if f.name.endswith(".schema.json"):
        continue
    data = f.read_bytes()
    (out / "seeds/scenario" / hashlib.sha1(data).hexdigest()).write_bytes(data)
    try:
        walk(json.loads(data))
    except ValueError:
        pass  # the malformed ones of bad-input
for s in sql:
    (out / "seeds/sql" / hashlib.sha1(s.encode()).hexdigest()).write_text(s)
# Dictionaries: the schema's keys and string values; SQL's words.
words = set()
def schema_words(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "properties" and isinstance(x, dict):
                words.update(f'"{name}"' for name in x)
            if k == "enum":
                words.update(json.dumps(e) for e in x if isinstance(e, str))
            schema_words(x)
    elif isinstance(v, list):
        for x in v:
            schema_words(x)
schema_words(json.loads(Path("scenarios/scenario.schema.json").read_text()))
def dict_line(w):
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
(out / "scenario.dict").write_text("".join(dict_line(w) + "\n" for w in sorted(words)))
sql_words = ["SELECT", "FROM", "INSERT", "INTO", "REPLACE", "UPDATE", "DELETE", "BEGIN", "START",
             "TRANSACTION", "COMMIT", "ROLLBACK", "ALTER", "CREATE", "DROP", "TABLE", "IF",
             "EXISTS", "TRUNCATE", "RENAME", "TO", "FLUSH", "TABLES", "WITH", "READ", "LOCK",
             "UNLOCK", "BACKUP", "STAGE", "BLOCK_DDL", "BLOCK_COMMIT", "END", "INSTANCE", "FOR",
             "SET", "SESSION", "lock_wait_timeout", "=", "KILL", "CONNECTION", "QUERY",
             "DISCONNECT", "`", ";", "/*", "*/", "--"]
(out / "sql.dict").write_text("".join(dict_line(w) + "\n" for w in sql_words))

# Sweep files: "base" made absolute (fuzz_sweep reads it relative to tests/bad-input/sweep).
def seed(target, data):
    (out / "seeds" / target / hashlib.sha1(data).hexdigest()).write_bytes(data)
expect = {"write_blocked_s[ftwrl] > .", "backup_s[ftwrl] < 1e999", "tps_mean[app][no-lock] >= 0",
          "timeouts[batch][mariabackup-stages] == timeouts[batch][ftwrl]"}
sweeps = [f for f in sorted([*Path("scenarios").rglob("*.json"), *Path("tests").rglob("sweep/*.json")])
          if not f.name.endswith(".schema.json") and (f.parent.name == "sweep" or b'"axes"' in f.read_bytes())]
for f in sweeps:
    data = f.read_bytes()
    try:
        doc = json.loads(data)
    except ValueError:
        seed("sweep", data)
        continue
    if isinstance(doc, dict) and isinstance(doc.get("base"), str):
        doc["base"] = str((f.parent / doc["base"]).resolve())
    if isinstance(doc, dict) and isinstance(doc.get("expect"), list):
        expect.update(e for e in doc["expect"] if isinstance(e, str))
    seed("sweep", json.dumps(doc).encode())
for e in expect:
    seed("expect", e.encode())
# Shard and resume files: one of each as the program writes them, and any under tests/bad-input.
columns = ["write_blocked_s", "tps_mean", "backup_s", "write_blocked_s[app]"]
sweep_doc = {"name": "s", "base": "default.json", "axes": [{"pointer": "/data/myisam_gb", "values": [1, 2]}],
             "strategies": ["ftwrl"], "replications": 1, "expect": [], "description": ""}
values = {"0": [1.5, 990.0, None, 1.5], "1": [3.0, 985.5, 12.0, None]}
seed("sweep_state", json.dumps({"sweep_file": "/tmp/s.json", "sweep": sweep_doc, "columns": columns,
                                "fingerprints": ["0123456789abcdef", "fedcba9876543210"],
                                "shard": 1, "shards": 2, "runs": 2, "values": values}, indent=1).encode())
seed("sweep_state", json.dumps({"sweep": sweep_doc, "columns": columns,
                                "fingerprints": ["0123456789abcdef", "fedcba9876543210"],
                                "values": values}, indent=1).encode())
for f in sorted(Path("tests/bad-input").rglob("*.json")):
    if "shard" in f.name or "resume" in f.name:
        seed("sweep_state", f.read_bytes())
metric_names = set()
for line in Path("README.md").read_text().splitlines():
    if line.startswith("| `") and line.count("|") >= 6:
        metric_names.add(line.split("`")[1])
strategies = ["mariabackup-stages", "mariabackup-legacy", "ftwrl", "no-lock", "mysql-lock-instance",
              "percona-backup-locks"]
expect_words = sorted({*metric_names, *strategies, "app", "batch", "[", "]", "<", "<=", ">", ">=",
                       "==", "!=", "1e999", "-0.5e-3", "."})
(out / "expect.dict").write_text("".join(dict_line(w) + "\n" for w in expect_words))
schema_words(json.loads(Path("scenarios/sweep.schema.json").read_text()))
pointers = {"/data/myisam_gb", "/seed", "/backup/log_copy_interval_ms", "/server/flavor", "~0", "~1",
            "~2", "/-", "/01", "//"}
(out / "sweep.dict").write_text("".join(dict_line(w) + "\n" for w in sorted(
    {*words, *metric_names, *(f'"{p}"' for p in pointers)})))
(out / "sweep_state.dict").write_text("".join(dict_line(w) + "\n" for w in [
    '"sweep_file"', '"sweep"', '"columns"', '"fingerprints"', '"shard"', '"shards"', '"runs"',
    '"values"', "null", "1e999", "18446744073709551616", '"-1"', '"01"']))
print(f"fuzz seeds: {len(list((out / 'seeds/scenario').iterdir()))} scenarios, {len(sql)} SQL "
      f"statements, {len(sweeps)} sweep files, {len(expect)} expect lines")
EOF

# Every target at once, each for $seconds s of wall time; then their results in order.
pids=()
for target in $targets; do
  echo "fuzz_$target: $seconds s"
  "$out/tests/fuzz/fuzz_$target" "$out/corpus/$target" "$out/seeds/$target" \
    -dict="$out/$target.dict" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$target-" >"$out/fuzz_$target.log" 2>&1 &
  pids+=($!)
done
status=0
passed=0
count=0
for target in $targets; do
  log="$out/fuzz_$target.log"
  if ! wait "${pids[$count]}"; then
    status=1
    echo "fuzz_$target: FOUND A CRASH (log: $log)"
    grep -E 'ERROR|SUMMARY|Test unit written|panic|==[0-9]+==' "$log" | head -20
  else
    passed=$((passed + 1))
  fi
  count=$((count + 1))
  echo "fuzz_$target:"
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$log" | sed 's/^/  /'
done
echo "fuzz: $passed passed, $((count - passed)) failed"
exit $status
