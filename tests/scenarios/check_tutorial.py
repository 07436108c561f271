"""`lockstage report tutorial`: every row of the tutorial's tables T1-T5 keeps its verdict, so a
model change that moves a row (a figure no longer reproduced, or a wrong claim suddenly
"reproduced") is seen. Run with Debian's python3: check_tutorial.py LOCKSTAGE SCENARIOS_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

lockstage, scenarios = sys.argv[1], sys.argv[2]
out = pathlib.Path(tempfile.mkdtemp()) / "tutorial"
subprocess.run([lockstage, "report", "tutorial", "--scenarios", scenarios, "--out", str(out),
                "--quiet"], check=True)
rows = json.loads((out / "tutorial.json").read_text())
EXPECTED = {
    ("T1", "FTWRL write-blocked time"): "reproduced",
    ("T1", "BACKUP STAGE write-blocked time (InnoDB)"): "reproduced",
    ("T1", "BACKUP STAGE TPS during the backup"): "reproduced",
    ("T1", "FTWRL TPS while blocked"): "reproduced",
    ("T1", "BACKUP STAGE p99 latency"): "reported",
    ("T2", "backup duration"): "reproduced",
    ("T2", "FTWRL: writes blocked"): "reproduced",
    ("T2", "FTWRL: queued at peak"): "reproduced",
    ("T2", "FTWRL: client timeouts"): "reproduced",
    ("T2", "BACKUP STAGE: writes blocked"): "reproduced",
    ("T2", "BACKUP STAGE: queued at peak"): "differs",
    ("T2", "BACKUP STAGE: client timeouts"): "reproduced",
    ("T2", "BACKUP STAGE: TPS during the copy"): "reproduced",
    ("T3", "START"): "reproduced",
    ("T3", "FLUSH"): "differs",
    ("T3", "BLOCK_DDL"): "reproduced",
    ("T3", "BLOCK_COMMIT"): "reproduced",
    ("T3", "END"): "reproduced",
    ("T4", "FTWRL: sessions waiting"): "reproduced",
    ("T4", "BACKUP STAGE: sessions waiting"): "differs",
    ("T5", "ALTER TABLE during BLOCK_DDL waits until the backup ends"): "reproduced",
    ("T5", "BLOCK_COMMIT took 15 s with many tables, 234 queries blocked"): "differs",
    ("T5", "a killed backup session releases its stage"): "reproduced",
    ("T5", "Galera: FTWRL blocks replication apply and gets the node evicted"): "differs",
    ("T5", "Galera: BACKUP STAGE lets replicated DML continue"): "differs",
    ("T5", "without the privilege the tool falls back to FTWRL"): "differs",
    ("T5", "no locks: InnoDB consistent, MyISAM possibly inconsistent"): "reproduced",
}
got = {(r["table"], r["item"]): r["verdict"] for r in rows}
passed = failed = 0
for key, verdict in EXPECTED.items():
    if got.get(key) == verdict:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {key}: expected {verdict}, got {got.get(key)}")
extra = set(got) - set(EXPECTED)
if extra:
    failed += 1
    print(f"FAIL rows without an expected verdict: {sorted(extra)}")
for r in rows:
    if r["verdict"] == "differs" and not r["reason"]:
        failed += 1
        print(f"FAIL {r['table']} {r['item']}: a differing row must say why")
markdown = (out / "tutorial.md").read_text()
if markdown.count("\n| T") != len(rows):
    failed += 1
    print("FAIL tutorial.md does not have one line per row")
print(f"tutorial: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
