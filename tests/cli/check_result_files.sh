#!/usr/bin/env bash
# Result folders and the files that carry a sweep's runs between processes:
# - --out replaces only a folder lockstage wrote (it holds .lockstage-result) or an empty one;
#   never the current folder, /, $HOME, or a folder holding an input (exit 2, nothing touched);
#   a trailing slash, "." and ".." in --out name the same folder;
# - a corrupt resume file or shard.json (tests/bad-input/resume/, tests/bad-input/shard/) is
#   refused with exit 2 and exactly the message in its .expected;
# - shard.json and the resume file carry a fingerprint of every point's resolved scenario:
#   after an edit of the base scenario, merge and resume refuse (exit 2, naming both files).
set -u
lockstage=$(realpath "$1")
scenarios=$(realpath "$2")
corpus=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
# refused PATTERN ARGS...: lockstage ARGS exits 2 with PATTERN (extended regex) on stderr.
refused() {
  local pattern=$1
  shift
  "$lockstage" "$@" >/dev/null 2>"$work/stderr" </dev/null
  local code=$?
  if [ "$code" -eq 2 ] && grep -qE -- "$pattern" "$work/stderr"; then ok; else
    ko "lockstage $*: exit $code, expected 2 with /$pattern/"; cat "$work/stderr"; fi
}
listing() { (cd "$1" && find . | sort | md5sum); }

# --- --out: the marker file -------------------------------------------------------------------
mkdir -p user/docs
echo "my notes" >user/notes.txt
echo "more" >user/docs/a.txt
cp "$scenarios/queue-mm1.json" mm1.json
before=$(listing user)
refused "^lockstage: error: user exists and was not written by lockstage \(it holds no \.lockstage-result\); choose another --out or remove it$" \
  run mm1.json --out user --quiet
refused "user exists and was not written by lockstage" compare "$scenarios/default.json" --out user/ --quiet
refused "user exists and was not written by lockstage" sweep "$scenarios/ci/sweep.json" --out ./user --quiet
refused "user exists and was not written by lockstage" report tutorial --scenarios "$scenarios" --out user/docs/.. --quiet
[ "$(listing user)" = "$before" ] && ok || ko "a refused --out changed the user's folder"
compgen -G ".user.*" >/dev/null && ko "a refused --out left a hidden file" || ok

# A folder of an earlier lockstage (no marker, nothing but files lockstage writes) is replaced;
# one more file of the user's in it and it is refused.
mkdir -p old
echo '{}' >old/compare.json
echo 'x' >old/compare.csv
echo '{}' >old/scenario.json
"$lockstage" run mm1.json --out old --quiet && [ -f old/.lockstage-result ] && [ ! -f old/compare.csv ] &&
  ok || ko "an earlier lockstage's result folder was not replaced"
mkdir -p old2
echo '{}' >old2/compare.json
echo "mine" >old2/notes.txt
refused "old2 exists and was not written by lockstage" run mm1.json --out old2 --quiet
[ -f old2/notes.txt ] && ok || ko "a refused --out removed the user's file"

# The current folder, its ancestors, /, $HOME and folders holding an input: never, marker or not.
refused "^lockstage: error: /.* is the current folder; choose another --out$" run mm1.json --out . --quiet
refused "is the current folder" run mm1.json --out "$work/user/.." --quiet
refused "holds the current folder" run mm1.json --out .. --quiet
refused "^lockstage: error: / is the root folder; choose another --out$" run mm1.json --out / --quiet
mkdir -p home && touch home/.lockstage-result
HOME="$work/home" refused "home is your home folder" run mm1.json --out "$work/home" --quiet
mkdir -p in && cp mm1.json in/ && touch in/.lockstage-result
refused "^lockstage: error: in holds the input in/mm1.json; choose another --out$" run in/mm1.json --out in --quiet
refused "holds the input in/mm1.json" run in/mm1.json --out in/../in/ --quiet
[ -f in/mm1.json ] && ok || ko "the input was removed"
mkdir -p tut/tutorial && cp "$scenarios"/tutorial/*.json tut/tutorial/ && touch tut/.lockstage-result
refused "^lockstage: error: tut holds the input tut; choose another --out$" report tutorial --scenarios tut --out tut --quiet
[ -f tut/tutorial/t1.json ] && ok || ko "report tutorial removed its own scenarios"

# Empty folders and folders lockstage wrote are replaced; a trailing slash names the same folder.
mkdir -p empty
"$lockstage" run mm1.json --out empty/ --quiet && [ -f empty/summary.json ] && [ -f empty/.lockstage-result ] \
  && ok || ko "run into an empty folder"
"$lockstage" run mm1.json --out ./empty/ --quiet && [ -f empty/summary.json ] && ok || ko "run over its own result folder"
compgen -G ".empty*" >/dev/null && ko "hidden files left beside empty/" || ok
[ ! -e "empty/.lockstage-result/" ] || [ -f empty/.lockstage-result ] && ok || ko "marker is not a file"

# --- corrupt resume files and shard.json: exit 2, the exact message ---------------------------
mkdir -p sw
cp "$scenarios/default.json" sw/base.json
cat >sw/sweep.json <<'JSON'
{"name": "small", "base": "base.json",
 "axes": [{"pointer": "/data/myisam_gb", "values": [0.5, 2]}],
 "strategies": ["ftwrl"], "replications": 2}
JSON
check_expected() {  # check_expected CASE EXPECTED-FILE ARGS...
  local name=$1 expected=$2
  shift 2
  "$lockstage" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
  local code=$?
  if [ "$code" -eq 2 ] && diff -q "$expected" "$work/stderr" >/dev/null && [ ! -s "$work/stdout" ]; then ok; else
    ko "$name: exit $code"; diff "$expected" "$work/stderr"; fi
}
for f in "$corpus"/resume/*.json; do
  name=$(basename "$f" .json)
  cp "$f" .out.sweep-resume.json
  check_expected "resume/$name" "${f%.json}.expected" sweep sw/sweep.json --out out --jobs 1 --quiet
  [ ! -e out ] && ok || ko "resume/$name: a result folder"
  cmp -s "$f" .out.sweep-resume.json && ok || ko "resume/$name: the resume file was changed"
  rm -f .out.sweep-resume.json
done
for f in "$corpus"/shard/*.json; do
  name=$(basename "$f" .json)
  mkdir -p "$name"
  cp "$f" "$name/shard.json"
  check_expected "shard/$name" "${f%.json}.expected" merge "$name" --out merged --quiet
  [ ! -e merged ] && ok || ko "shard/$name: a result folder"
done

# --- fingerprints --------------------------------------------------------------------------------
"$lockstage" sweep sw/sweep.json --shard 1/2 --out s1 --quiet && ok || ko "shard 1/2"
"$lockstage" sweep sw/sweep.json --shard 2/2 --out s2 --quiet && ok || ko "shard 2/2"
"$lockstage" merge s1 s2 --out merged --quiet && [ -f merged/points.csv ] && ok || ko "merge"
cp -r merged merged.before
refused "^lockstage: error: s1 holds the input s1; choose another --out$" merge s1 s2 --out s1 --quiet
refused "^lockstage: error: sw holds the input sw/sweep.json; choose another --out$" sweep sw/sweep.json --shard 1/2 --out sw --quiet
[ -f s1/shard.json ] && [ -f sw/base.json ] && ok || ko "a refused --out removed an input"
# An edit of the base (not of the sweep file) changes every point's fingerprint.
/usr/bin/python3 - sw/base.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["seed"] = 77
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
refused "^lockstage: error: s1/shard.json: /fingerprints/0: point 0 \(/data/myisam_gb=0\.5\) of .*sw/sweep.json is another scenario than when these runs ran: the base scenario .*sw/base.json changed since this shard ran; run that shard again" \
  merge s1 s2 --out merged --quiet
diff -r merged merged.before >/dev/null && ok || ko "a refused merge changed the result folder"
# A shard of the edited base and one of the old: refused too.
"$lockstage" sweep sw/sweep.json --shard 2/2 --out s2new --quiet && ok || ko "shard 2/2 of the edited base"
refused "s1/shard.json: /fingerprints/0: .* the base scenario .*base.json changed" merge s1 s2new --out merged2 --quiet
[ ! -e merged2 ] && ok || ko "merge of mixed shards wrote a folder"
# Reordering the base's keys is no change: the fingerprint is of canonical JSON.
/usr/bin/python3 - sw/base.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
json.dump(dict(reversed(list(d.items()))), open(sys.argv[1], "w"), indent=3)
PY
"$lockstage" sweep sw/sweep.json --shard 1/2 --out s1new --quiet && ok || ko "shard 1/2 of the reordered base"
"$lockstage" merge s1new s2new --out merged3 --quiet && ok || ko "merge after a key reorder of the base"

# Resume: a resume file made of shard 1's runs is taken (the runs are kept), and refused once
# the base changes.
/usr/bin/python3 - s1new/shard.json .r.sweep-resume.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["format"] = "lockstage-sweep-resume"
del d["shard"], d["shards"]
json.dump(d, open(sys.argv[2], "w"))
PY
cp .r.sweep-resume.json resume.saved
"$lockstage" sweep sw/sweep.json --out r --jobs 1 2>stderr >/dev/null && ok || ko "resume"
grep -q "resuming, 2 runs kept" stderr && ok || { ko "resume message"; cat stderr; }
diff -r r merged3 >/dev/null && ok || ko "resumed differs from merged"
[ ! -e .r.sweep-resume.json ] && ok || ko "resume file left behind"
cp resume.saved .r2.sweep-resume.json
/usr/bin/python3 - sw/base.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["seed"] = 78
json.dump(d, open(sys.argv[1], "w"))
PY
refused "^lockstage: error: \.r2\.sweep-resume\.json: /fingerprints/0: point 0 \(/data/myisam_gb=0\.5\) of sw/sweep.json is another scenario than when these runs ran: the base scenario sw/base.json changed since the interrupted run; remove \.r2\.sweep-resume\.json to start the sweep over$" \
  sweep sw/sweep.json --out r2 --jobs 1 --quiet
[ -f .r2.sweep-resume.json ] && [ ! -e r2 ] && ok || ko "a refused resume removed the resume file or wrote a folder"
# An edit of the sweep file: refused the same way, naming the sweep file.
sed -i 's/"replications": 2/"replications": 3/' sw/sweep.json
refused "^lockstage: error: \.r2\.sweep-resume\.json: /sweep: these runs are of another sweep than sw/sweep.json \(it changed since the interrupted run\); remove" \
  sweep sw/sweep.json --out r2 --jobs 1 --quiet

echo "result files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
