#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ (-DLOCKSTAGE_FUZZ=ON: coverage, ASan,
# UBSan) and runs each for SECONDS, one after the other:
#   fuzz_scenario  seeds: scenarios/**/*.json, tests/bad-input, tests/mariadb, tests/extreme,
#                  tests/event-budget; a dictionary of the schema's keys and values
#   fuzz_sql       seeds: every "sql" string of those scenarios; a dictionary of SQL words
# The corpus each run finds is kept in build-fuzz/corpus/<target>/ and grows across runs; a crash
# is saved as build-fuzz/artifacts/<target>-crash-* and makes the script exit 1.
#   bash tests/fuzz/run.sh [SECONDS]      (default 60 per target)
# LOCKSTAGE_FUZZ_TARGETS="scenario" runs only that one; LOCKSTAGE_FUZZ_JOBS the build's -j.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-60}
out=${LOCKSTAGE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${LOCKSTAGE_FUZZ_JOBS:-2}
targets=${LOCKSTAGE_FUZZ_TARGETS:-scenario sql}

CC=clang CXX=clang++ cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOCKSTAGE_FUZZ=ON \
  -DLOCKSTAGE_WERROR=ON >/dev/null
cmake --build "$out" --target fuzz_scenario fuzz_sql -j "$jobs"

# Seed corpora and dictionaries, made anew each time from the repository.
rm -rf "$out/seeds"
mkdir -p "$out/seeds/scenario" "$out/seeds/sql" "$out/corpus/scenario" "$out/corpus/sql" \
  "$out/artifacts"
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
print(f"fuzz seeds: {len(list((out / 'seeds/scenario').iterdir()))} scenarios, {len(sql)} SQL statements")
EOF

status=0
passed=0
count=0
for target in $targets; do
  count=$((count + 1))
  log="$out/fuzz_$target.log"
  echo "fuzz_$target: $seconds s"
  if ! "$out/tests/fuzz/fuzz_$target" "$out/corpus/$target" "$out/seeds/$target" \
      -dict="$out/$target.dict" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$target-" >"$log" 2>&1; then
    status=1
    echo "fuzz_$target: FOUND A CRASH (log: $log)"
    grep -E 'ERROR|SUMMARY|Test unit written|panic|==[0-9]+==' "$log" | head -20
  else
    passed=$((passed + 1))
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$log" | sed 's/^/  /'
done
echo "fuzz: $passed passed, $((count - passed)) failed"
exit $status
