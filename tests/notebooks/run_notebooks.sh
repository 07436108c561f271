#!/usr/bin/env bash
# Executes every notebook headless on fresh lockstage results and checks the figures they save.
#   run_notebooks.sh LOCKSTAGE SCENARIOS_DIR NOTEBOOKS_DIR
# Results, executed notebooks and figures go to a temporary folder; the stored notebooks are never
# rewritten. Each notebook runs on Debian's /usr/bin/python3 (kernel "python3", whose kernelspec is
# /usr/share/jupyter/kernels/python3). A notebook fails if a cell fails, if an expected PNG is
# missing or under 10 KB, or if the JSON it wrote next to the PNG shows an axes with no data point
# or a kernel other than /usr/bin/python3.
set -u
if (($# != 3)); then
  echo "usage: $0 LOCKSTAGE SCENARIOS_DIR NOTEBOOKS_DIR" >&2
  exit 2
fi
lockstage=$1 scenarios=$2 notebooks=$3
py=/usr/bin/python3
for m in matplotlib pandas nbconvert ipykernel; do
  if ! "$py" -c "import $m" 2>/dev/null; then
    echo "notebooks: $py lacks $m (apt-get install python3-matplotlib python3-pandas python3-nbconvert python3-ipykernel)" >&2
    echo "notebooks: 0 passed, 1 failed"
    exit 1
  fi
done

tmp=$(mktemp -d /tmp/lockstage-notebooks.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# keep kernels, matplotlib and IPython off $HOME
export MPLCONFIGDIR=$tmp/mpl IPYTHONDIR=$tmp/ipython JUPYTER_RUNTIME_DIR=$tmp/jupyter-runtime
export PYDEVD_DISABLE_FILE_VALIDATION=1 MPLBACKEND=Agg

fail() { echo "FAIL: $*" >&2; }

# 1. fresh results
if ! "$lockstage" report tutorial --scenarios "$scenarios" --out "$tmp/tutorial" >"$tmp/tutorial.log" 2>&1 ||
   ! "$lockstage" run "$scenarios/backup-ftwrl.json" --out "$tmp/one-run/ftwrl" >"$tmp/ftwrl.log" 2>&1 ||
   ! "$lockstage" run "$scenarios/backup-mariabackup-stages.json" --out "$tmp/one-run/mariabackup-stages" \
       >"$tmp/stages.log" 2>&1 ||
   ! "$lockstage" sweep "$scenarios/ci/sweep.json" --out "$tmp/sweep" --quiet --jobs 2 >"$tmp/sweep.log" 2>&1 ||
   ! "$lockstage" compare "$scenarios/default.json" --out "$tmp/compare" --quiet >"$tmp/compare.log" 2>&1; then
  cat "$tmp"/*.log >&2
  fail "lockstage could not make the notebooks' inputs"
  echo "notebooks: 0 passed, 1 failed"
  exit 1
fi

# 2. notebook -> results folder -> figures it must save
declare -A results=([tutorial-tables]=$tmp/tutorial [one-run]=$tmp/one-run [sweep]=$tmp/sweep
                     [compare]=$tmp/compare)
declare -A figures=([tutorial-tables]="tutorial-vs-simulated verdicts"
                    [one-run]="tps-timeline queue-depth latency-histograms"
                    [sweep]="sweep-write_blocked_s sweep-tps_mean sweep-backup_p99_ms sweep-backup_s"
                    [compare]="compare-commits-timeline compare-p99 compare-write-blocked")
passed=0 failed=0
for name in tutorial-tables one-run sweep compare; do
  nb=$notebooks/$name.ipynb
  start=$(date +%s%N)
  if [[ ! -f $nb ]]; then
    fail "$nb missing"; failed=$((failed + 1)); continue
  fi
  if ! LOCKSTAGE_RESULTS=${results[$name]} "$py" -m nbconvert --to notebook --execute \
         --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=120 \
         --output-dir "$tmp/executed" --output "$name" "$nb" >"$tmp/$name.nbconvert.log" 2>&1; then
    cat "$tmp/$name.nbconvert.log" >&2
    fail "$name: a cell failed"; failed=$((failed + 1)); continue
  fi
  if "$py" - "${results[$name]}/figures" ${figures[$name]} <<'PY'
import json, os, sys
from pathlib import Path
folder, names = Path(sys.argv[1]), sys.argv[2:]
bad = []
for n in names:
    png, meta = folder / f"{n}.png", folder / f"{n}.json"
    if not png.is_file() or png.stat().st_size <= 10 * 1024:
        bad.append(f"{png}: missing or not over 10 KB"); continue
    if png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        bad.append(f"{png}: not a PNG"); continue
    if not meta.is_file():
        bad.append(f"{meta}: missing"); continue
    m = json.loads(meta.read_text())
    if not os.path.realpath(m.get("python", "")).startswith("/usr/bin/python3"):
        bad.append(f"{meta}: kernel ran {m.get('python')!r}, not /usr/bin/python3")
    if not m.get("axes") or m.get("points", 0) <= 0:
        bad.append(f"{meta}: no data plotted")
    for a in m.get("axes", []):
        if a["points"] <= 0:
            bad.append(f"{meta}: axes {a['title']!r} has no data point")
    print(f"  {png.name}: {png.stat().st_size // 1024} KB, {len(m['axes'])} axes, {m['points']} points")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  then
    ms=$((($(date +%s%N) - start) / 1000000))
    printf 'ok   %s (%d.%03d s)\n' "$name" $((ms / 1000)) $((ms % 1000))
    passed=$((passed + 1))
  else
    fail "$name: figures"; failed=$((failed + 1))
  fi
done
echo "notebooks: $passed passed, $failed failed"
((failed == 0))
