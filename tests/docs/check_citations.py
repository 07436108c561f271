"""Every citation of docs/ in the repository points at a file and a heading that exist.

Code, tests, scenarios and the README cite the facts they rest on as docs/FILE.md#anchor; a
renamed heading or file would leave a dangling reference that no reader can follow. Anchors are
GitHub's: the heading in lower case, punctuation dropped, spaces turned into hyphens.

Usage: check_citations.py REPOSITORY_ROOT
"""
import re
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1]).resolve()


def slug(heading):
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


anchors = {}
for doc in (root / "docs").glob("*.md"):
    anchors[doc.name] = {slug(line.lstrip("#")) for line in doc.read_text().splitlines()
                         if line.startswith("#")}

files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                       check=True).stdout.split()
cited, dangling = 0, []
for name in files:
    try:
        text = (root / name).read_text()
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        continue
    # docs/FILE.md or docs/FILE.md#anchor anywhere; inside docs/, also FILE.md#anchor
    patterns = [r"docs/([\w\-]+\.md)(?:#([\w\-]+))?"]
    if name.startswith("docs/"):
        patterns.append(r"(?<![\w/\-.])([\w\-]+\.md)(?:#([\w\-]+))?")
    for pattern in patterns:
        for m in re.finditer(pattern, text):
            doc, anchor = m.group(1), m.group(2)
            if doc == "FILE.md":  # the placeholder used to describe the form
                continue
            cited += 1
            line = text.count("\n", 0, m.start()) + 1
            if doc not in anchors:
                dangling.append(f"{name}:{line}: {m.group(0)}: no such file under docs/")
            elif anchor and anchor not in anchors[doc]:
                dangling.append(f"{name}:{line}: {m.group(0)}: no heading with that anchor")

for d in dangling:
    print("FAIL", d)
print(f"docs citations: {cited} checked, {len(dangling)} dangling")
sys.exit(1 if dangling or cited == 0 else 0)
