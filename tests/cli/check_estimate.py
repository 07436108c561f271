"""The event estimate against real runs: for every shipped scenario (and the extreme ones),
`lockstage check` prints the estimate and `lockstage run` reports the kernel events it executed;
the two must agree within a factor of 1.5 (runs of at least 1,000 events). Prints the table.

Usage: check_estimate.py LOCKSTAGE SCENARIO_DIR...
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

lockstage, folders = sys.argv[1], [Path(d) for d in sys.argv[2:]]
files = sorted(f for d in folders for f in d.rglob("*.json")
               if not f.name.endswith(".schema.json") and "sweep" not in f.name)
failures = []
with tempfile.TemporaryDirectory() as work:
    for f in files:
        check = subprocess.run([lockstage, "check", str(f)], capture_output=True, text=True)
        m = re.search(r"about ([0-9.e+]+) kernel events$", check.stdout.strip())
        if check.returncode != 0 or not m:
            failures.append(f"{f}: check gave no estimate: {check.stdout}{check.stderr}")
            continue
        estimate = float(m.group(1))
        out = Path(work) / f.stem
        run = subprocess.run([lockstage, "run", str(f), "--out", str(out), "--quiet"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"{f}: run failed: {run.stderr}")
            continue
        actual = json.loads((out / "summary.json").read_text())["kernel"]["events"]
        ratio = estimate / actual
        print(f"{f.name:45} estimate {estimate:>12.0f}  actual {actual:>10}  ratio {ratio:.2f}")
        if actual >= 1000 and not 1 / 1.5 <= ratio <= 1.5:
            failures.append(f"{f}: estimate {estimate:.0f} vs {actual} events (ratio {ratio:.2f})")
for f in failures:
    print("FAIL", f)
print(f"estimate: {len(files) - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
