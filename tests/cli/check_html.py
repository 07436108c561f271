#!/usr/bin/python3
"""report.html of a run and of a compare, opened in headless Chromium.

Runs `lockstage run` and `lockstage compare` on a small backup scenario (scenarios/default.json
shortened, its description full of HTML), then for each report.html:
  - the file parses as HTML with every tag closed in order (html.parser), has no script, no
    external reference (src, href, url(), @import), and the scenario's text is escaped;
  - Chromium (--headless=new) loads it with exit code 0 and no console or JavaScript error on
    stderr (--enable-logging=stderr --v=0); the DOM it dumps has every section with its SVG
    charts, and every metric cell's exact value (data-value) equals summary.json's (compare:
    compare.json's), its printed value that rounded;
  - a screenshot is written and is not blank;
  - two compares give byte-identical report.html (a run's is covered by cli.run_is_deterministic).
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile

LOCKSTAGE, SCENARIOS = sys.argv[1], sys.argv[2]
EVIL = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    print("FAIL: no chromium on PATH: install Debian's chromium package (setup.sh does)")
    sys.exit(1)


class Page(html.parser.HTMLParser):
    """Checks nesting and collects ids, SVG elements and metric cells."""

    def __init__(self, where):
        super().__init__(convert_charrefs=True)
        self.where = where
        self.stack = []
        self.ids = set()
        self.tags = {}
        self.cells = []  # (attrs, text)
        self.cell = None
        self.text = []
        self.errors = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "id" in a:
            self.ids.add(a["id"])
        for k, v in attrs:
            if k in ("src", "href") or (k == "style" and v and "url(" in v):
                self.errors.append(f"external reference {k}={v!r}")
        if tag == "script":
            self.errors.append("a <script> element")
        if tag == "td" and "data-metric" in a:
            self.cell = [a, ""]
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        # <path .../> inside SVG: opened and closed at once.
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.cells.append(tuple(self.cell))
            self.cell = None
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes "
                               f"{self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell[1] += data

    def finish(self):
        self.close()
        if self.stack:
            self.errors.append(f"unclosed tags: {self.stack[-5:]}")
        for e in self.errors:
            fail(f"{self.where}: {e}")
        return self


def parse(text, where):
    p = Page(where)
    p.feed(text)
    return p.finish()


def lookup(metrics, name, group):
    if group:
        return metrics["groups"][group][name]
    if name in metrics["run"]:
        return metrics["run"][name]
    return metrics["all_groups"][name]


def check_cells(page, where, metrics_of):
    """Every metric cell: data-value exactly the JSON's, the printed value that rounded."""
    if not page.cells:
        fail(f"{where}: no metric cells")
    checked = 0
    for attrs, text in page.cells:
        name, group = attrs["data-metric"], attrs.get("data-group", "")
        expected = lookup(metrics_of(attrs.get("data-strategy")), name, group)
        shown = attrs["data-value"]
        if expected is None:
            if shown != "" or text.strip() != "-":
                fail(f"{where}: {name}[{group}] has no value in JSON, page shows {shown!r}/{text!r}")
            continue
        if shown == "" or float(shown) != float(expected):
            fail(f"{where}: {name}[{group}] data-value {shown!r} != JSON {expected!r}")
            continue
        decimals = len(text.strip().split(".")[1]) if "." in text else 0
        if abs(float(text) - float(expected)) > 0.5 * 10 ** -decimals + 1e-9:
            fail(f"{where}: {name}[{group}] printed {text!r}, JSON {expected!r}")
        checked += 1
    return checked


def chromium(path, shot):
    """Starts Chromium on a page: the DOM it renders on stdout, its log on stderr, a screenshot.
    One process per page, all pages at once (a start takes seconds on a loaded machine)."""
    cmd = [browser(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
           "--user-data-dir=" + shot + ".profile", "--dump-dom", "--enable-logging=stderr",
           "--v=0", "--screenshot=" + shot, "--window-size=1300,2400", "--hide-scrollbars",
           "file://" + os.path.abspath(path)]
    # No D-Bus in a container: without this Chromium retries to reach one.
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="disabled:")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def check_file(folder, where):
    """The page as written: well formed, self-contained, the scenario's text escaped."""
    path = os.path.join(folder, "report.html")
    if not os.path.exists(path):
        fail(f"{where}: no report.html in {os.listdir(folder)}")
        return None
    text = open(path, encoding="utf-8").read()
    page = parse(text, where + " (file)")
    if "<script>alert" in text or "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" not in text:
        fail(f"{where}: the scenario's description is not HTML-escaped")
    for bad in ("url(", "@import", "https://"):
        if bad in text:
            fail(f"{where}: {bad!r} in the page: it must be self-contained")
    if EVIL not in "".join(page.text):
        fail(f"{where}: the description does not read back as written")
    return path


def check_browser(proc, shot, where, metrics_of, sections, min_svgs):
    """What Chromium made of the page: exit 0, no console error, every section and chart, the
    metric cells equal to the JSON, a screenshot that is not blank."""
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        fail(f"{where}: chromium did not finish in 120 s")
        return
    if proc.returncode != 0:
        fail(f"{where}: chromium exit code {proc.returncode}: {err[-2000:]}")
        return
    for line in err.splitlines():
        low = line.lower()
        # Console messages and uncaught exceptions are logged as INFO:CONSOLE lines; a
        # resource the page failed to load names the page's URL.
        if "console" in low or "uncaught" in low or "javascript" in low or \
                ("error" in low and "file://" in low):
            fail(f"{where}: chromium: {line}")
    dom = parse(out, where + " (chromium DOM)")
    for s in sections:
        if s not in dom.ids:
            fail(f"{where}: section #{s} missing from the DOM (ids: {sorted(dom.ids)})")
    if dom.tags.get("svg", 0) < min_svgs:
        fail(f"{where}: {dom.tags.get('svg', 0)} SVG charts in the DOM, expected >= {min_svgs}")
    for tag in ("path", "rect", "text"):
        if dom.tags.get(tag, 0) == 0:
            fail(f"{where}: no <{tag}> drawn")
    n = check_cells(dom, where, metrics_of) if metrics_of else 0
    if not os.path.exists(shot):
        fail(f"{where}: no screenshot: {err[-1000:]}")
    elif os.path.getsize(shot) < 20000:
        fail(f"{where}: screenshot of {os.path.getsize(shot)} bytes: blank?")
    print(f"ok: {where}: chromium rendered it, {dom.tags.get('svg', 0)} SVG charts, "
          f"{n} metric cells equal to the JSON")


work = tempfile.mkdtemp()
try:
    s = json.load(open(os.path.join(SCENARIOS, "default.json")))
    s["name"] = "html-check"
    s["description"] = EVIL
    s["duration_s"] = 20
    s["data"] = {"innodb_gb": 1, "innodb_tables": 20, "myisam_gb": 0.2, "myisam_tables": 4}
    scenario = os.path.join(work, "html-check.json")
    json.dump(s, open(scenario, "w"))

    run = os.path.join(work, "run")
    subprocess.run([LOCKSTAGE, "run", scenario, "--out", run, "--quiet"], check=True)
    summary = json.load(open(os.path.join(run, "summary.json")))
    if summary["metrics"]["all_groups"]["write_blocked_s"] is None:
        fail("run: the scenario should block writes (write_blocked_s null)")

    strategies = "ftwrl,mariabackup-stages,no-lock"
    outs = []
    for i in (1, 2):
        out = os.path.join(work, f"compare{i}")
        subprocess.run([LOCKSTAGE, "compare", scenario, "--strategies", strategies, "--out", out,
                        "--quiet"], check=True)
        outs.append(out)
    compare = json.load(open(os.path.join(outs[0], "compare.json")))
    by_strategy = {x["strategy"]: x["metrics"] for x in compare["strategies"]}
    if open(os.path.join(outs[0], "report.html"), "rb").read() != \
            open(os.path.join(outs[1], "report.html"), "rb").read():
        fail("compare: report.html differs between two identical compares")

    queue = os.path.join(work, "queue")
    subprocess.run([LOCKSTAGE, "run", os.path.join(SCENARIOS, "queue-mm1.json"), "--out", queue,
                    "--quiet"], check=True)

    sections = ["verdict", "metrics", "commits", "zoom", "queue-depth", "latency", "wait-graph"]
    pages = [(run, "run", lambda _: summary["metrics"], sections, 6),
             (outs[0], "compare", lambda st: by_strategy[st], sections, 3 * 6),
             (queue, "queue run", None, ["metrics", "throughput", "latency"], 3)]
    started = []
    for folder, where, metrics_of, wanted, min_svgs in pages:
        path = check_file(folder, where) if metrics_of else os.path.join(folder, "report.html")
        if path:
            shot = os.path.join(work, where.replace(" ", "-") + ".png")
            started.append((chromium(path, shot), shot, where, metrics_of, wanted, min_svgs))
    for args in started:
        check_browser(*args)
finally:
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print(f"html: {len(failures)} failure(s)")
    sys.exit(1)
print("html: run, compare and queue reports render in chromium without errors")
