"""The README's description of queue_depth.csv matches the file: runs shipped scenarios and checks
that the header is `t_s`, wait-state columns, `total`, each wait state named in the README's
queue_depth.csv row, in the README's order.
Run with Debian's python3: check_readme_queue_depth.py LOCKSTAGE README SCENARIOS_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile

lockstage, readme, scenarios = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
row = next((l for l in readme.read_text().splitlines() if l.startswith("| `queue_depth.csv` |")), "")
documented = re.findall(r"`(Waiting for [^`]+)`", row)
failed = 0
if not row.count("`t_s`") or not row.count("`total`") or not documented:
    print(f"FAIL {readme}: no queue_depth.csv row naming t_s, the wait states and total")
    sys.exit(1)
work = pathlib.Path(tempfile.mkdtemp())
seen = set()
for name in ["backup-ftwrl", "backup-mariabackup-stages", "ftwrl-vs-long-select-10.3", "ddl-during-block-ddl"]:
    out = work / name
    subprocess.run([lockstage, "run", str(scenarios / f"{name}.json"), "--out", str(out), "--quiet"],
                   check=True)
    header = (out / "queue_depth.csv").read_text().splitlines()[0].split(",")
    states = header[1:-1]
    seen.update(states)
    order = [s for s in documented if s in states]
    if header[0] != "t_s" or header[-1] != "total" or order != states:
        failed += 1
        print(f"FAIL {name}: queue_depth.csv header {header}, README documents t_s, {documented}, total")
print(f"README queue_depth.csv: {len(seen)} wait-state columns seen, {failed} failed")
sys.exit(1 if failed or not seen else 0)
