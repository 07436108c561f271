"""The README's metric list is the metric table: the text between its BEGIN/END markers must be
exactly what `lockstage metrics` prints (so the manual cannot drift from the code).
Run with Debian's python3: check_readme_metrics.py LOCKSTAGE README
"""
import difflib
import pathlib
import subprocess
import sys

lockstage, readme = sys.argv[1], pathlib.Path(sys.argv[2])
text = readme.read_text()
begin = "<!-- BEGIN lockstage metrics (generated: build/lockstage metrics) -->\n"
end = "<!-- END lockstage metrics -->"
if begin not in text or end not in text:
    print(f"FAIL {readme}: no metric table markers")
    sys.exit(1)
documented = text.split(begin, 1)[1].split(end, 1)[0]
table = subprocess.run([lockstage, "metrics"], capture_output=True, text=True, check=True).stdout
if documented != table:
    print(f"FAIL {readme}: the metric table differs from `lockstage metrics`; paste its output:")
    sys.stdout.writelines(difflib.unified_diff(documented.splitlines(True), table.splitlines(True),
                                               "README.md", "lockstage metrics"))
    sys.exit(1)
rows = [line for line in table.splitlines() if line.startswith("| `")]
print(f"README metric table: the {len(rows)} metrics of `lockstage metrics`")
