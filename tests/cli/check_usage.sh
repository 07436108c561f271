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
expect 2 ANY "the argument \('minus-one'\) for option '--seed' is invalid" -- run "$scenarios/queue-mm1.json" --seed minus-one
expect 2 ANY "^lockstage: error: $work/none.json: /: cannot open the file for reading$" -- check "$work/none.json"
expect 0 "queue-mm1.json: ok \(scenario queue-mm1, queue model, 600 s simulated, seed 1\)" EMPTY -- check "$scenarios/queue-mm1.json"
touch "$work/a-file"
expect 2 ANY "a-file: exists and is not a folder" -- run "$scenarios/queue-mm1.json" --out "$work/a-file"
expect 0 'throughput \(tps\) +99[0-9]\.[0-9]|throughput \(tps\) +100[0-9]\.[0-9]' EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1"
expect 0 "results written to $work/mm1/" EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1"
expect 0 EMPTY EMPTY -- run "$scenarios/queue-mm1.json" --out "$work/mm1-quiet" --quiet
[ -f "$work/mm1-quiet/summary.json" ] && pass=$((pass + 1)) || { echo "FAIL: --quiet wrote no summary.json"; fail=$((fail + 1)); }
echo "usage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
