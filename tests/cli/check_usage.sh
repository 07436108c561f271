#!/usr/bin/env bash
# The command line: help and version, a good scenario, and refusals with exit code 2.
set -u
lockstage=$1
scenarios=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
# expect CODE STDOUT-PATTERN STDERR-PATTERN -- ARGS...
# A pattern is an extended regex the output must match; ANY accepts anything; EMPTY wants nothing.
matches() {
  case $1 in
    ANY) return 0 ;;
    EMPTY) [ ! -s "$2" ] ;;
    *) grep -qE -- "$1" "$2" ;;
  esac
}
expect() {
  local code=$1 outpat=$2 errpat=$3
  shift 4
  "$lockstage" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
  local got=$?
  local problems=""
  [ "$got" -eq "$code" ] || problems+=" exit code $got, expected $code;"
  matches "$outpat" "$work/stdout" || problems+=" stdout lacks /$outpat/;"
  matches "$errpat" "$work/stderr" || problems+=" stderr lacks /$errpat/;"
  if [ -n "$problems" ]; then
    echo "FAIL lockstage $*:$problems"; sed 's/^/  | /' "$work/stdout" "$work/stderr"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
expect 0 'Usage: lockstage <command>' ANY -- --help
expect 0 '^lockstage [0-9]+\.[0-9]+\.[0-9]+$' ANY -- --version
expect 0 'Usage: lockstage run SCENARIO.json' ANY -- run --help
expect 0 '--seed' ANY -- run --help
expect 0 'Usage: lockstage check SCENARIO.json' ANY -- check -h
expect 0 'Usage: lockstage compare SCENARIO.json' ANY -- compare --help
expect 2 ANY "--strategies: unknown strategy 'xtrabackup'" -- compare "$scenarios/default.json" --strategies ftwrl,xtrabackup
expect 2 ANY 'compare varies the backup strategy: the scenario needs a "backup"' -- compare "$scenarios/two-groups-ftwrl.json"
expect 0 'Usage: lockstage report tutorial' ANY -- report --help
expect 2 ANY "report: expected 'tutorial'" -- report weather
expect 2 ANY 'Usage: lockstage <command>' --
expect 2 ANY "unknown command 'frobnicate'" -- frobnicate
expect 2 ANY "unrecognised option '--colour'|unrecognized option '--colour'" -- run "$scenarios/queue-mm1.json" --colour
expect 2 ANY 'missing the scenario file argument' -- check
expect 2 ANY 'too many positional options' -- check a.json b.json
# Numeric options: digits only, in range; never wrapped ("-1" is not 2^64 - 1), never an abort.
max64=18446744073709551615
for seed in minus-one -1 18446744073709551616 1e3 1.5 0x10 ""; do
  expect 2 EMPTY "^lockstage: --seed ${seed:-\"\"}: expected a whole number from 0 to $max64\$" -- run "$scenarios/queue-mm1.json" --seed "$seed" --out "$work/seed"
done
expect 2 EMPTY "^lockstage: --seed -1: expected a whole number from 0 to $max64\$" -- compare "$scenarios/default.json" --seed -1 --out "$work/seed"
expect 2 EMPTY "option '--seed' cannot be specified more than once" -- run "$scenarios/queue-mm1.json" --seed 1 --seed 2
expect 0 EMPTY EMPTY -- run "$scenarios/queue-mm1.json" --seed "$max64" --out "$work/seed-max" --quiet
grep -q "\"seed\": $max64" "$work/seed-max/scenario.json" && pass=$((pass + 1)) || { echo "FAIL: --seed $max64 not in scenario.json"; fail=$((fail + 1)); }
sweep_file="$scenarios/ci/sweep.json"
for jobs in -1 0 1025 4294967297 abc ""; do
  expect 2 EMPTY "^lockstage: --jobs ${jobs:-\"\"}: expected a whole number from 1 to 1024\$" -- sweep "$sweep_file" --jobs "$jobs" --out "$work/jobs"
done
expect 0 'runs in parallel, 1 to 1024' ANY -- sweep --help
# --jobs 1024 is accepted: the sweep file's own error comes next
echo '{"name": "s"}' > "$work/no-axes.json"
expect 2 EMPTY 'no-axes.json: /: missing required key' -- sweep "$work/no-axes.json" --jobs 1024 --out "$work/jobs"
for shard in 0/2 3/2 1/-1 -1/2 1/2/3 1/ /2 2 1/1000001 "" " 1/2"; do
  expect 2 EMPTY "^lockstage: --shard ${shard:-\"\"}: expected I/N with 1 <= I <= N <= 1000000, whole numbers\$" -- sweep "$sweep_file" --shard "$shard" --out "$work/shard"
done
for n in -1 0 1e999 1.5 "" 1e30; do
  expect 2 EMPTY "^lockstage: --max-events $n: expected a whole number of events >= 1" -- run "$scenarios/queue-mm1.json" --max-events "$n" --out "$work/events"
done
expect 2 EMPTY "^lockstage: --out \"\": expected a folder\$" -- run "$scenarios/queue-mm1.json" --out ""
expect 2 EMPTY "^lockstage: --strategies: 'ftwrl' given twice\$" -- compare "$scenarios/default.json" --strategies ftwrl,ftwrl
for d in seed seed-max jobs shard events; do
  [ "$d" = seed-max ] || [ ! -e "$work/$d" ] && pass=$((pass + 1)) || { echo "FAIL: a refused command left $work/$d"; fail=$((fail + 1)); }
done
if compgen -G "$work/.*partial*" >/dev/null; then echo "FAIL: a partial folder left behind"; fail=$((fail + 1)); fi
# report tutorial --scenarios DIR: each scenario is checked for what its rows read, before any run.
tutorial() {  # tutorial FILE-UNDER-DIR EXPECTED-POINTER-AND-MESSAGE PYTHON-EDIT
  rm -rf "$work/tut" && cp -r "$scenarios" "$work/tut"
  /usr/bin/python3 -c "import json, sys; p = sys.argv[1]; d = json.load(open(p)); $3; json.dump(d, open(p, 'w'))" "$work/tut/$1"
  expect 2 EMPTY "^lockstage: error: $work/tut/$1: $2\$" -- report tutorial --scenarios "$work/tut" --out "$work/tut-out"
  [ ! -e "$work/tut-out" ] && pass=$((pass + 1)) || { echo "FAIL: report left $work/tut-out"; fail=$((fail + 1)); }
}
tutorial tutorial/t1.json '/backup: the tutorial report needs a "backup" here' 'd.pop("backup")'
tutorial tutorial/t1.json '/workload/groups: the tutorial report needs client groups here \("workload": \{"groups": \[\.\.\.\]\}\)' 'd.pop("workload")'
tutorial tutorial/t2.json '/server/model: the tutorial report needs the mariadb model here, not the queue model' 'd.clear(); d.update(json.load(open(sys.argv[1].replace("tutorial/t2.json", "queue-mm1.json"))))'
tutorial galera-ftwrl.json '/topology: the tutorial report needs "topology": "galera" here' 'd.pop("topology"); d.pop("galera")'
tutorial backup-no-lock.json '/backup: the tutorial report needs a "backup" here' 'd.pop("backup")'
expect 2 ANY "^lockstage: error: $work/none.json: /: cannot open the file for reading$" -- check "$work/none.json"
expect 0 "queue-mm1.json: ok \(scenario queue-mm1, queue model, 600 s simulated, seed 1\)" EMPTY -- check "$scenarios/queue-mm1.json"
touch "$work/a-file"
expect 2 ANY "a-file: exists and is not a folder" -- run "$scenarios/queue-mm1.json" --out "$work/a-file"
expect 0 'throughput \(tps\) +99[0-9]\.[0-9]|throughput \(tps\) +100[0-9]\.[0-9]' EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1"
expect 0 "results written to $work/mm1/" EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1"
expect 0 EMPTY EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1-quiet" --quiet
[ -f "$work/mm1-quiet/summary.json" ] && pass=$((pass + 1)) || { echo "FAIL: --quiet wrote no summary.json"; fail=$((fail + 1)); }
# --set POINTER=VALUE on run, check, compare, sweep (tests/cli/check_set.sh tests what it does).
for c in run check compare sweep plan; do
  expect 0 "^Usage: lockstage $c [A-Z.]+json .*\[--set POINTER=VALUE\]\.\.\." ANY -- $c --help
done
for c in run check compare; do
  expect 2 EMPTY "^lockstage: --set foo: expected POINTER=VALUE, a JSON pointer starting with \"/\"" -- $c "$scenarios/default.json" --set foo
done
expect 2 EMPTY "^lockstage: --set x=1: expected POINTER=VALUE" -- sweep "$sweep_file" --set x=1 --out "$work/set"
expect 2 EMPTY '^lockstage: error: --set /nothing/x=1: /nothing: no such member$' -- check "$scenarios/default.json" --set /nothing/x=1
# compare and sweep choose the strategies themselves: a --set of /backup/strategy is refused, not ignored.
expect 2 EMPTY '^lockstage: --set /backup/strategy=ftwrl: this command runs each strategy of --strategies \(default ftwrl,mariabackup-stages\); choose them there$' -- compare "$scenarios/default.json" --set /backup/strategy=ftwrl --out "$work/set"
expect 2 EMPTY "^lockstage: --set /backup/strategy=ftwrl: this command runs each strategy of the sweep file's /strategies; choose them there\$" -- sweep "$sweep_file" --set /backup/strategy=ftwrl --out "$work/set"
[ ! -e "$work/set" ] && pass=$((pass + 1)) || { echo "FAIL: a refused --set left $work/set"; fail=$((fail + 1)); }
# --percentiles: the printed table's latency columns; bad lists exit 2 before anything runs.
echo '{"name": "tiny", "duration_s": 2, "tables": [{"name": "t"}], "workload": {"groups": [{"name": "app", "arrivals": {"kind": "open", "rate_tps": 50}, "transactions": [{"statements": [{"sql": "UPDATE t"}]}]}]}}' > "$work/tiny.json"
echo '{"name": "tinyb", "tables": [{"name": "t"}], "data": {"innodb_gb": 0.01, "innodb_tables": 2}, "backup": {"strategy": "ftwrl", "start_at_s": 0.5}, "workload": {"groups": [{"name": "app", "arrivals": {"kind": "open", "rate_tps": 50}, "transactions": [{"statements": [{"sql": "UPDATE t"}]}]}]}}' > "$work/tinyb.json"
for p in 0 100 -1 abc 1e2 50,50 50,,99 99.9.9 " 50" "" 1,2,3,4,5,6,7,8,9; do
  expect 2 EMPTY "^lockstage: --percentiles ${p:-\"\"}: expected 1 to 8 comma-separated numbers above 0 and below 100, none twice \(e\.g\. 50,99,99\.9\)\$" -- run "$work/tiny.json" --percentiles "$p" --out "$work/pct"
done
expect 2 EMPTY "^lockstage: --percentiles 0: expected 1 to 8 comma-separated numbers" -- compare "$work/tinyb.json" --percentiles 0 --out "$work/pct"
expect 2 EMPTY "^lockstage: --percentiles: the queue model's table shows p50, p99 and p99\.9 always\$" -- run "$scenarios/queue-mm1.json" --percentiles 50 --out "$work/pct"
[ ! -e "$work/pct" ] && pass=$((pass + 1)) || { echo "FAIL: a refused --percentiles left $work/pct"; fail=$((fail + 1)); }
expect 0 '--percentiles P,...' ANY -- run --help
expect 0 '--percentiles P,...' ANY -- compare --help
expect 0 'p99_ms +max_ms' EMPTY -- run "$work/tiny.json" --out "$work/pct-default"
expect 0 'failed +p50_ms +p99_ms +p999_ms +p95_ms +p99\.99_ms +max_ms' EMPTY -- run "$work/tiny.json" --percentiles 50,99,99.9,95,99.99 --out "$work/pct-run"
expect 0 'backup_p50_ms +backup_p99_ms +backup_max_ms' EMPTY -- compare "$work/tinyb.json" --percentiles 50,99 --out "$work/pct-compare"
# plan: its help and its option values (tests/cli/check_plan.py checks the rest)
expect 0 'Usage: lockstage plan SCENARIO.json' ANY -- plan --help
expect 2 ANY 'missing the scenario file argument' -- plan
for reps in 1 0 1001 -2 ""; do
  expect 2 EMPTY "^lockstage: --replications ${reps:-\"\"}: expected a whole number from 2 to 1000\$" -- plan "$scenarios/daily-profile-backup-0300.json" --replications "$reps" --out "$work/plan"
done
expect 2 EMPTY "^lockstage: --top 0: expected a whole number from 1 to 1000000\$" -- plan "$scenarios/daily-profile-backup-0300.json" --top 0 --out "$work/plan"
expect 2 EMPTY "^lockstage: --jobs 0: expected a whole number from 1 to 1024\$" -- plan "$scenarios/daily-profile-backup-0300.json" --jobs 0 --out "$work/plan"
expect 2 EMPTY "^lockstage: --objective max: expected p99 or write-blocked\$" -- plan "$scenarios/daily-profile-backup-0300.json" --objective max --out "$work/plan"
expect 2 EMPTY "^lockstage: --start-times 24:00: expected auto or times of day HH:MM \(00:00 to 23:59\), comma-separated\$" -- plan "$scenarios/daily-profile-backup-0300.json" --start-times 24:00 --out "$work/plan"
expect 2 EMPTY "^lockstage: --confidence abc: expected a number between 0 and 1 \(exclusive\), e.g. 0.95\$" -- plan "$scenarios/daily-profile-backup-0300.json" --confidence abc --out "$work/plan"
expect 2 EMPTY "^lockstage: --group nobody: expected a client group of $scenarios/daily-profile-backup-0300.json \(app, log_writer\)\$" -- plan "$scenarios/daily-profile-backup-0300.json" --group nobody --out "$work/plan"
expect 2 EMPTY 'plan varies the backup.s start, strategy and options: the scenario needs a "backup"$' -- plan "$scenarios/two-groups-ftwrl.json" --out "$work/plan"
[ ! -e "$work/plan" ] && pass=$((pass + 1)) || { echo "FAIL: a refused plan left $work/plan"; fail=$((fail + 1)); }
echo "usage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
