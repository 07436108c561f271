#!/usr/bin/env bash
# --set POINTER=VALUE on run, check, compare and sweep, and compare's runs/<strategy>/ folders:
# - a run with --set equals, file for file, the run of a copy edited by hand (summary.json once
#   its "overrides" record is taken out, which lists the --set texts as given);
# - a bare word is the JSON string of the same text; a missing object member is added; an array
#   index inserts, "-" appends, an index inside an element changes it;
# - a profile CSV named relative to the scenario is still read from the scenario's folder;
# - every refusal exits 2 with exactly the expected line and writes no folder;
# - sweep --set equals the sweep of an edited base, records its overrides in sweep.json, and
#   its shards merge (shard.json carries the overrides);
# - compare writes runs/<strategy>/, each a run result folder whose summary.json equals
#   `run --set /backup/strategy=<strategy>` (the same numbers), its CSVs as wide as their headers.
set -u
lockstage=$(realpath "$1")
scenarios=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
py=/usr/bin/python3
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
quiet() { "$lockstage" "$@" --quiet >/dev/null 2>"$work/stderr" </dev/null || { ko "lockstage $*: exit $?"; cat "$work/stderr"; }; }

# edit IN OUT PYTHON: OUT is IN's JSON after PYTHON (on d).
edit() { "$py" -c "import json, sys; d = json.load(open(sys.argv[1])); $3; json.dump(d, open(sys.argv[2], 'w'), indent=1)" "$1" "$2"; }
# same_run A B [OVERRIDE...]: result folders A and B hold the same files, byte for byte, except
# summary.json, equal once A's "overrides" (which must be exactly OVERRIDE...) is taken out.
same_run() {
  local a=$1 b=$2
  shift 2
  "$py" - "$a" "$b" "$@" <<'PY' && ok || ko "same_run $a $b"
import filecmp, json, re, sys
from pathlib import Path
a, b, overrides = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
names = sorted(p.name for p in a.iterdir())
bad = []
if names != sorted(p.name for p in b.iterdir()):
    bad.append(f"files {names} vs {sorted(p.name for p in b.iterdir())}")
for n in names:
    if n in ("summary.json", "report.html") or not (b / n).exists():
        continue
    if not filecmp.cmp(a / n, b / n, shallow=False):
        bad.append(f"{n} differs")
sa, sb = (a / "summary.json").read_text(), (b / "summary.json").read_text()
got = json.loads(sa).get("overrides", [])
if got != overrides:
    bad.append(f"summary.json overrides {got}, expected {overrides}")
if "overrides" in json.loads(sb):
    bad.append(f"{b}/summary.json records overrides")
stripped = re.sub(r'  "overrides": \[\n(    .*\n)*  \],\n', "", sa)
if stripped != sb:
    bad.append("summary.json differs (besides overrides)")
for x in bad:
    print("  ", x)
sys.exit(1 if bad else 0)
PY
}
# refused CMD-AND-ARGS... -- EXPECTED-LINE: exit 2, stderr exactly EXPECTED-LINE (and, for a usage
# error, the --help hint), nothing on stdout, no result folder.
refused() {
  local args=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done
  local expected=$2 problems=""
  rm -rf "$work/no"
  [ "${args[0]}" = check ] || args+=(--out "$work/no")
  "$lockstage" "${args[@]}" >"$work/stdout" 2>"$work/stderr" </dev/null
  local code=$?
  [ "$code" -eq 2 ] || problems+=" exit code $code, expected 2;"
  local want=$expected
  [[ $expected == "lockstage: error: "* ]] || want=$expected$'\n'"Try 'lockstage --help'."
  [ "$(cat "$work/stderr")" = "$want" ] || problems+=" stderr:"$'\n'"$(cat "$work/stderr")"$'\n'" expected:"$'\n'"$want"
  [ ! -s "$work/stdout" ] || problems+=" printed on stdout;"
  [ ! -e "$work/no" ] || problems+=" left a result folder;"
  if compgen -G "$work/.no*" >/dev/null; then problems+=" left a hidden folder;"; fi
  [ -z "$problems" ] && ok || ko "lockstage ${args[*]}:$problems"
}

# The default scenario (60 s, backed up from 5 s) and its copies.
edit "$scenarios/default.json" s.json 'pass'

# --- a --set run equals the run of an edited copy -------------------------------------------------
quiet run s.json --set /backup/strategy=ftwrl --set /workload/groups/0/arrivals/rate_tps=300 --out set
edit s.json edited.json 'd["backup"]["strategy"] = "ftwrl"; d["workload"]["groups"][0]["arrivals"]["rate_tps"] = 300'
quiet run edited.json --out edited
same_run set edited /backup/strategy=ftwrl /workload/groups/0/arrivals/rate_tps=300
"$py" -c "
import json, sys
s = json.load(open('set/summary.json'))
sys.exit(0 if s['metrics']['groups']['app']['tps_mean'] < 310 and s['backup']['stages'][0]['statement'].startswith('FLUSH') else 1)" \
  && ok || ko "the --set run did not run FTWRL at 300 tps"

# --- a bare word is a JSON string; JSON values are JSON --------------------------------------------
quiet run s.json --set '/backup/strategy="ftwrl"' --set '/workload/groups/0/arrivals/rate_tps=300' --out quoted
same_run quoted edited '/backup/strategy="ftwrl"' /workload/groups/0/arrivals/rate_tps=300
"$lockstage" check s.json --set /name=myrun --set /description= >check.out 2>&1 &&
  grep -qxF "s.json (with --set /name=myrun --set /description=): ok (scenario myrun, mariadb-10.11 server, 0 sessions, 0 statements, 60 s simulated, seed 1); about $(sed -n 's/.*; about //p' <("$lockstage" check s.json))" check.out &&
  ok || { ko "check with bare words"; cat check.out; }

# --- add a missing member; array index inserts, "-" appends, an index inside changes ---------------
quiet run s.json --set '/output={"timeline_interval_s": 2}' --set '/tables/0={"name": "first"}' \
  --set '/tables/-={"name": "last"}' --set /workload/groups/1/arrivals/rate_tps=40 --out added
edit s.json added.json 'd["output"] = {"timeline_interval_s": 2}; d["tables"] = [{"name": "first"}] + d["tables"] + [{"name": "last"}]; d["workload"]["groups"][1]["arrivals"]["rate_tps"] = 40'
quiet run added.json --out added-edited
same_run added added-edited '/output={"timeline_interval_s": 2}' '/tables/0={"name": "first"}' '/tables/-={"name": "last"}' /workload/groups/1/arrivals/rate_tps=40
"$py" -c "
import csv, json, sys
d = json.load(open('added/scenario.json'))
t = [float(r['t_start_s']) for r in csv.DictReader(open('added/timeline.csv')) if r['group'] == 'app']
ok = ([x['name'] for x in d['tables']] == ['first', 'orders', 'app_log', 'last']
      and d['output']['timeline_interval_s'] == 2 and t[:3] == [0, 2, 4]
      and d['workload']['groups'][1]['arrivals']['rate_tps'] == 40)
sys.exit(0 if ok else 1)" && ok || ko "added/: tables, timeline interval or group rate not as set"

# --- relative paths resolve against the scenario's folder ------------------------------------------
mkdir -p prof elsewhere
printf 't_s,rate_tps\n0,50\n10,100\n' >prof/steps.csv
edit s.json prof/p.json 'd["workload"]["groups"][0]["arrivals"] = {"kind": "open", "profile": {"csv": "steps.csv"}}'
(cd elsewhere && "$lockstage" run ../prof/p.json --set /duration_s=15 --out ../prof-run --quiet) && ok ||
  ko "a --set run of a scenario with a relative profile CSV"
(cd elsewhere && "$lockstage" check ../prof/p.json --set /workload/groups/1/arrivals/rate_tps=10 >/dev/null) && ok ||
  ko "a --set check of a scenario with a relative profile CSV"
# a sweep's points too (their messages name "BASE (with --set ...) at /pointer=value", not a path)
echo '{"name": "psw", "base": "p.json", "axes": [{"pointer": "/data/myisam_gb", "values": [0.5]}], "strategies": ["ftwrl"], "replications": 1}' >prof/sw.json
(cd elsewhere && "$lockstage" sweep ../prof/sw.json --set /duration_s=15 --jobs 1 --out ../prof-sweep --quiet) && ok ||
  ko "a --set sweep of a base with a relative profile CSV"

# --- refusals -----------------------------------------------------------------------------------------
for cmd in run check compare; do
  refused $cmd s.json --set /workload/groups/9/x=1 -- \
    "lockstage: error: --set /workload/groups/9/x=1: /workload/groups/9: no such element (the array has 2)"
  refused $cmd s.json --set foo -- \
    "lockstage: --set foo: expected POINTER=VALUE, a JSON pointer starting with \"/\" and a JSON value or a bare word (e.g. --set /backup/strategy=ftwrl)"
done
refused run s.json --set /workload/groups/0/arrivals/rate_tps=-5 -- \
  "lockstage: error: s.json (with --set /workload/groups/0/arrivals/rate_tps=-5): /workload/groups/0/arrivals/rate_tps: expected a number > 0, got -5"
refused run s.json --set /duration_s=5 --set /backup/strategy=xtrabackup -- \
  "lockstage: error: s.json (with --set /duration_s=5 --set /backup/strategy=xtrabackup): /backup/strategy: expected one of \"mariabackup-stages\", \"mariabackup-legacy\", \"ftwrl\", \"no-lock\", \"mysql-lock-instance\", \"percona-backup-locks\", got \"xtrabackup\""
refused run s.json --set /colour=1 -- \
  "lockstage: error: s.json (with --set /colour=1): /colour: unknown key \"colour\"; expected one of: name, description, why, seed, duration_s, warmup_s, server, workload, topology, replication, galera, tables, users, sessions, data, backup, output"
refused run s.json --set /backup/nothing/x=1 -- \
  "lockstage: error: --set /backup/nothing/x=1: /backup/nothing: no such member"
refused run s.json --set /name/x=1 -- \
  "lockstage: error: --set /name/x=1: /name: expected an object or array to add /name/x into, got a string (\"default\")"
refused run s.json --set /tables/3={} -- \
  "lockstage: error: --set /tables/3={}: /tables/3: no such element (the array has 2; an index inserts before its element, \"-\" or 2 appends)"
refused run s.json --set /tables/01/name=x -- \
  "lockstage: error: --set /tables/01/name=x: /tables/01: expected an array index (0 to 2) or \"-\", got \"01\""
refused run s.json --set '/name={"a": 1, "a": 2}' -- \
  "lockstage: error: --set /name={\"a\": 1, \"a\": 2}: /a: duplicate key \"a\""
for bad in /foo =1 name=x ""; do
  refused run s.json --set "$bad" -- \
    "lockstage: --set ${bad:-\"\"}: expected POINTER=VALUE, a JSON pointer starting with \"/\" and a JSON value or a bare word (e.g. --set /backup/strategy=ftwrl)"
done
refused run s.json --set '/a~2=1' -- \
  "lockstage: --set /a~2=1: expected a JSON pointer (RFC 6901: \"~\" is written \"~0\" and \"/\" in a name \"~1\"), got \"/a~2\""

# --- sweep: --set on the base of every point; shards carry the overrides ---------------------------
cat >sw.json <<'EOF'
{"name": "sw", "base": "s.json", "axes": [{"pointer": "/data/myisam_gb", "values": [0.5, 1]}],
 "strategies": ["ftwrl"], "replications": 1}
EOF
sed 's/"s.json"/"edited.json"/' sw.json >sw-edited.json
# (the edited base sets /backup/strategy too: a sweep runs its own /strategies, and refuses --set of it)
quiet sweep sw.json --set /workload/groups/0/arrivals/rate_tps=300 --jobs 2 --out sweep-set
quiet sweep sw-edited.json --jobs 2 --out sweep-edited
cmp -s sweep-set/runs.csv sweep-edited/runs.csv && cmp -s sweep-set/points.csv sweep-edited/points.csv && ok ||
  ko "sweep --set differs from the sweep of an edited base"
"$py" -c "import json, sys; sys.exit(0 if json.load(open('sweep-set/sweep.json'))['overrides'] == ['/workload/groups/0/arrivals/rate_tps=300'] else 1)" &&
  ok || ko "sweep.json does not record the overrides"
quiet sweep sw.json --set /workload/groups/0/arrivals/rate_tps=300 --shard 1/2 --out shard1
quiet sweep sw.json --set /workload/groups/0/arrivals/rate_tps=300 --shard 2/2 --out shard2
quiet merge shard1 shard2 --out merged
cmp -s merged/runs.csv sweep-edited/runs.csv && ok || ko "merged --set shards differ from the sweep of an edited base"
refused sweep sw.json --set /workload/groups/5/x=1 -- \
  "lockstage: error: --set /workload/groups/5/x=1: /workload/groups/5: no such element (the array has 2)"
refused sweep sw.json --set /workload/groups/0/arrivals/rate_tps=-5 -- \
  "lockstage: error: s.json (with --set /workload/groups/0/arrivals/rate_tps=-5): /workload/groups/0/arrivals/rate_tps: expected a number > 0, got -5"
refused sweep sw.json --set bar -- \
  "lockstage: --set bar: expected POINTER=VALUE, a JSON pointer starting with \"/\" and a JSON value or a bare word (e.g. --set /backup/strategy=ftwrl)"

# --- compare: runs/<strategy>/ are run result folders of the same runs ------------------------------
quiet compare s.json --strategies ftwrl,mariabackup-stages --set /workload/groups/1/arrivals/rate_tps=40 --out cmp
for st in ftwrl mariabackup-stages; do
  quiet run s.json --set /workload/groups/1/arrivals/rate_tps=40 --set /backup/strategy=$st --out run-$st
  [ -f cmp/runs/$st/.lockstage-result ] && [ -f cmp/runs/$st/report.html ] && ok || ko "cmp/runs/$st: no marker or report.html"
  # the same numbers: every file but the summary byte for byte, and summary.json but its overrides
  "$py" - cmp/runs/$st run-$st <<'PY' && ok || ko "compare's runs/$st differs from run --set /backup/strategy=$st"
import filecmp, json, sys
from pathlib import Path
a, b = Path(sys.argv[1]), Path(sys.argv[2])
names = sorted(p.name for p in a.iterdir())
bad = [] if names == sorted(p.name for p in b.iterdir()) else [f"files {names}"]
bad += [n for n in names if n.endswith((".csv", ".dot")) or n == "scenario.json"
        if not filecmp.cmp(a / n, b / n, shallow=False)]
sa, sb = json.loads((a / "summary.json").read_text()), json.loads((b / "summary.json").read_text())
if sa.pop("overrides") != ["/workload/groups/1/arrivals/rate_tps=40"]:
    bad.append("summary.json overrides")
sb.pop("overrides")
if sa != sb:
    bad.append("summary.json")
print("  ", a, "vs", b, ":", bad or f"same ({len(names)} files, write_blocked_s {sa['metrics']['all_groups']['write_blocked_s']})")
sys.exit(1 if bad else 0)
PY
done
"$py" - cmp <<'PY' && ok || ko "compare's CSVs or compare.json"
import csv, json, sys
from pathlib import Path
folder = Path(sys.argv[1])
bad = []
files = sorted(folder.rglob("*.csv"))
for f in files:
    rows = list(csv.reader(open(f, newline="")))
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        bad.append(f"{f}: a row not as wide as its header")
doc = json.loads((folder / "compare.json").read_text())
if doc.get("overrides") != ["/workload/groups/1/arrivals/rate_tps=40"]:
    bad.append(f"compare.json overrides {doc.get('overrides')}")
for s in doc["strategies"]:
    run = json.loads((folder / "runs" / s["strategy"] / "summary.json").read_text())
    if run["metrics"] != s["metrics"]:
        bad.append(f"runs/{s['strategy']}/summary.json metrics differ from compare.json's")
print(f"   {len(files)} CSV files, {len(doc['strategies'])} strategies:", bad or "ok")
sys.exit(1 if bad or len(files) < 9 else 0)
PY

echo "set: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
