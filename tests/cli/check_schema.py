"""The shipped JSON Schema agrees with the loader.

- scenarios/scenario.schema.json is a valid Draft 2020-12 schema;
- every scenario in scenarios/ validates against it (the loader accepts them too: other tests
  run them);
- every tests/bad-input/schema-*.json is rejected by the reference validator (python3-jsonschema)
  at the JSON pointer the loader names, or at an enclosing one;
- every tests/bad-input/semantic-*.json passes the schema: those are the loader's own checks,
  which a schema cannot express, so the loader is what must refuse them (check_bad_input.sh);
- every tests/bad-input/syntax-*.json is not JSON at all.
- every tests/bad-input/limit-*.json is JSON beyond a reader limit (nesting deeper than 64
  levels): the reader refuses it before the schema sees it.
Run with Debian's python3 (it has python3-jsonschema).
"""
import json
import pathlib
import re
import sys

import jsonschema

scenarios = pathlib.Path(sys.argv[1])
bad = pathlib.Path(sys.argv[2])
schema = json.loads((scenarios / "scenario.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

passed = failed = 0


def report(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


for f in sorted(scenarios.glob("*.json")):
    if f.name.endswith(".schema.json"):
        continue
    errors = list(validator.iter_errors(json.loads(f.read_text())))
    report(not errors, f"{f.name}: schema rejects a shipped scenario: {[e.message for e in errors]}")

for f in sorted(bad.glob("*.json")):
    expected = (bad / (f.stem + ".expected")).read_text()
    if f.name.startswith("syntax-"):
        try:
            json.loads(f.read_text())
            report(False, f"{f.name}: is valid JSON, expected a syntax error")
        except json.JSONDecodeError:
            report(True, f.name)
        continue
    doc = json.loads(f.read_text())
    if f.name.startswith("limit-"):
        report("nesting deeper than 64 levels" in expected, f"{f.name}: not a reader limit")
        continue
    errors = list(validator.iter_errors(doc))
    if f.name.startswith("semantic-"):
        report(not errors, f"{f.name}: the schema already rejects it, so it is not a semantic check: "
                           f"{[e.message for e in errors]}")
    elif f.name.startswith("schema-"):
        m = re.match(r"lockstage: error: [^:]+: (/[^:]*): ", expected)
        ours = (m.group(1) if m.group(1) != "/" else "") if m else None
        at = [pointer(e.absolute_path) for e in errors]
        ok = bool(errors) and ours is not None and any(ours == p or ours.startswith(p + "/") for p in at)
        report(ok, f"{f.name}: reference validator errors at {at}, loader at {ours}")
    else:
        report(False, f"{f.name}: name must start with syntax-, limit-, schema- or semantic-")

# The sweep schema is a valid schema too, and the shipped sweep follows it.
sweep_schema = json.loads((scenarios / "sweep.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(sweep_schema)
for f in sorted((scenarios / "ci").glob("*.json")):
    errors = list(jsonschema.Draft202012Validator(sweep_schema).iter_errors(json.loads(f.read_text())))
    report(not errors, f"ci/{f.name}: sweep schema rejects it: {[e.message for e in errors]}")

print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
