#!/usr/bin/env python3
"""check_report.py: end-to-end checks of goldpath's report folders, run by
ctest (harness/report/CMakeLists.txt) through the real command.

    check_report.py MODE GOLDPATH SOURCE_DIR WORK_DIR

MODE:
  run        a run's plots are valid PNG (signature, IHDR, CRC) and SVG (parses
             as XML); every file report.html references exists and it loads
             nothing from elsewhere; text from the scenario is escaped; JUnit
             parses and has one case per check; `goldpath plot` renders the
             folder again; plots and page are the same bytes for the same seed
  nognuplot  without gnuplot on PATH a run still succeeds, says so clearly and
             writes report.html without pictures; --no-plots says nothing
  sweep      a sweep of the accept race rate: with the accept_race bug the
             transition success rate at the highest rate is below the one at 0,
             without it 1.0 everywhere; sweep.csv, plots, page and JUnit
  usage      exit codes and messages of bad command lines; help texts; every
             flag in the help texts is documented in docs/CLI.md

Exit 0 when every check holds, 77 when gnuplot is missing for a mode that
needs it (ctest reports the test as skipped), 1 otherwise.
"""
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

RUN_PLOTS = ["success_rate", "states", "throughput", "latency_over_time", "latency_cdf",
             "transitions", "faults"]
SWEEP_PLOTS = ["sweep_transition_success_rate", "sweep_completion_rate"]
GNUPLOT_MISSING = "goldpath: gnuplot not found; plots skipped (apt-get install gnuplot-nox)"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(args, env=None, want=None):
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    if want is not None:
        check(p.returncode == want, "%s exited %d, expected %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, want, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def gnuplot_found():
    return shutil.which("gnuplot") is not None


def check_png(path):
    """PNG signature, then an IHDR chunk of 13 bytes with a valid CRC."""
    with open(path, "rb") as f:
        data = f.read()
    if not check(data[:8] == b"\x89PNG\r\n\x1a\n", path + ": no PNG signature"):
        return
    length, ctype = struct.unpack(">I4s", data[8:16])
    check(ctype == b"IHDR" and length == 13, path + ": first chunk is not IHDR")
    body = data[16:16 + length]
    crc, = struct.unpack(">I", data[16 + length:20 + length])
    check(zlib.crc32(ctype + body) & 0xffffffff == crc, path + ": IHDR CRC does not match")
    width, height = struct.unpack(">II", body[:8])
    check((width, height) == (900, 500), "%s: %dx%d, expected 900x500" % (path, width, height))
    check(data.endswith(b"IEND\xaeB`\x82"), path + ": does not end with IEND")


def check_svg(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        check(False, "%s: not XML: %s" % (path, e))
        return
    check(root.tag.endswith("svg"), path + ": root element is not svg")


class Refs(html.parser.HTMLParser):
    """Collects what a page references, and the tags it uses."""

    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append(value)


def check_page(folder):
    """Every reference of report.html is a file next to it; nothing remote."""
    page = os.path.join(folder, "report.html")
    if not check(os.path.isfile(page), page + " missing"):
        return None
    text = open(page, encoding="utf-8").read()
    refs = Refs()
    refs.feed(text)
    for ref in refs.refs:
        if ref.startswith("#"):
            check(('id="%s"' % ref[1:]) in text, "%s: anchor %s has no target" % (page, ref))
            continue
        check(not re.match(r"^[a-z]+:|^//|^/", ref), "%s: references %s (not a relative file)" % (page, ref))
        check(os.path.isfile(os.path.join(folder, ref)), "%s: references %s, which does not exist" % (page, ref))
    for tag in ("script", "link", "iframe", "object"):
        check(tag not in refs.tags, "%s: has a <%s> (must load nothing)" % (page, tag))
    check(not re.search(r"\b(19|20)\d\d-\d\d-\d\d[T ]\d\d:\d\d", text), page + ": holds a timestamp")
    return text


def check_run_plots(folder, plots):
    for stem in plots:
        for ext, fn in (("png", check_png), ("svg", check_svg)):
            path = os.path.join(folder, "%s.%s" % (stem, ext))
            if check(os.path.isfile(path), path + " missing"):
                fn(path)


def check_junit(path, want_cases):
    """Parses, has one testcase per check, counts agree.  want_cases: the
    expected (name, status) list."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        check(False, "%s: not XML: %s" % (path, e))
        return
    check(root.tag == "testsuites", path + ": root is not <testsuites>")
    suites = root.findall("testsuite")
    check(len(suites) == 1, path + ": expected one <testsuite>")
    cases = suites[0].findall("testcase")
    got = []
    for c in cases:
        status = "failed" if c.find("failure") is not None else \
            "skipped" if c.find("skipped") is not None else "passed"
        got.append((c.get("name"), status))
        check(c.get("classname") == suites[0].get("name"), path + ": classname differs from the suite")
    check(got == want_cases, "%s: cases %s, expected %s" % (path, got, want_cases))
    fails = sum(1 for _, s in want_cases if s == "failed")
    skips = sum(1 for _, s in want_cases if s == "skipped")
    for el in (root, suites[0]):
        check(el.get("tests") == str(len(want_cases)), path + ": tests= is wrong")
        check(el.get("failures") == str(fails), path + ": failures= is wrong")
    # skipped= is the suite's (the Jenkins schema allows none on <testsuites>)
    check(suites[0].get("skipped") == str(skips), path + ": skipped= is wrong")
    check(root.get("skipped") is None, path + ": <testsuites> has skipped=")
    for c in cases:
        f = c.find("failure")
        if f is not None:
            check("goldpath run " in (f.text or ""), path + ": failure without a replay command")


def summary_cases(folder):
    """The JUnit cases a run folder's summary.json implies: every check (a
    bug scenario's expected violations named so, passing when caught) and
    every expectation."""
    import json
    s = json.load(open(os.path.join(folder, "summary.json")))
    junit = {"passed": "passed", "caught": "passed", "not_offered": "skipped",
             "failed": "failed", "missed": "failed", "unjudged": "failed"}
    cases = []
    for c in s["checks"] + s["expectations"]:
        name = c["name"] + (" (expected violation)" if c.get("expected_violation") else "")
        cases.append((name, junit[c["status"]]))
    return cases


def mode_run(goldpath, src, work):
    if not gnuplot_found():
        print("gnuplot is not installed: skipped")
        return 77
    golden = os.path.join(work, "golden")
    run([goldpath, "run", os.path.join(src, "scenarios/golden_path.json"), "--clients", "300",
         "--out", golden, "--junit", golden + ".xml", "--quiet"], want=0)
    check(not os.path.exists(os.path.join(golden, "faults.png")), "a run without faults drew a fault plot")
    check_run_plots(golden, RUN_PLOTS[:-1])
    check(os.path.isfile(os.path.join(golden, "plots.gp")), "plots.gp missing")
    check(os.path.isfile(os.path.join(golden, "latency_cdf.csv")), "latency_cdf.csv missing")
    check(os.path.isfile(os.path.join(golden, "heatmap.csv")), "heatmap.csv missing")
    page = check_page(golden) or ""
    for name, status in summary_cases(golden):
        check(name in page, "report.html does not name the check " + name)
    # a passing run shows no replay command (only failed checks do); its
    # replay.txt is linked
    check("goldpath run " not in page, "report.html of a passing run shows a replay command")
    check('href="replay.txt"' in page, "report.html does not link replay.txt")
    check_junit(golden + ".xml", summary_cases(golden))

    # A bug scenario whose bug is caught passes: its expected violations are
    # passed cases.
    caught = os.path.join(work, "caught")
    run([goldpath, "run", os.path.join(src, "scenarios/bugs/accept_race.json"), "--clients", "300",
         "--out", caught, "--junit", caught + ".xml", "--quiet"], want=0)
    cases = summary_cases(caught)
    check(("stuck_connections (expected violation)", "passed") in cases,
          "a caught bug is not a passed case")
    check_junit(caught + ".xml", cases)

    # A failing run (the accept race bug in the golden path): the fault ledger
    # plot, failed checks with replay commands.
    bug = os.path.join(work, "bug")
    run([goldpath, "run", os.path.join(src, "scenarios/accept_race.json"), "--clients", "300",
         "--set", 'server.bugs=["accept_race"]',
         "--out", bug, "--junit", bug + ".xml", "--quiet"], want=1)
    check_run_plots(bug, RUN_PLOTS)
    page = check_page(bug) or ""
    check("--trace-client" in page, "report.html of a failed run has no client replay command")
    cases = summary_cases(bug)
    check(any(s == "failed" for _, s in cases), "the bug run failed no check")
    check_junit(bug + ".xml", cases)

    # Text from the scenario is escaped in the page and in JUnit.
    nasty = os.path.join(work, "nasty.json")
    with open(nasty, "w") as f:
        f.write('{"name": "n<i>x</i>&amp;\\"q\'", "description": "<script>alert(1)</script> & <b>b</b>",'
                ' "clients": {"count": 50}}')
    esc = os.path.join(work, "escaped")
    run([goldpath, "run", nasty, "--out", esc, "--junit", esc + ".xml", "--quiet"], want=0)
    page = check_page(esc) or ""
    check("<script>" not in page and "<b>b</b>" not in page and "<i>x</i>" not in page,
          "scenario text reached report.html unescaped")
    check("&lt;script&gt;" in page, "the description is missing from report.html")
    check_junit(esc + ".xml", summary_cases(esc))

    # goldpath plot renders the folder again, byte for byte the same page.
    before = open(os.path.join(golden, "report.html"), "rb").read()
    script = open(os.path.join(golden, "plots.gp"), "rb").read()
    for stem in RUN_PLOTS[:-1]:
        os.remove(os.path.join(golden, stem + ".png"))
    os.remove(os.path.join(golden, "report.html"))
    run([goldpath, "plot", golden, "--quiet"], want=0)
    check_run_plots(golden, RUN_PLOTS[:-1])
    check(open(os.path.join(golden, "report.html"), "rb").read() == before,
          "goldpath plot wrote another report.html")
    check(open(os.path.join(golden, "plots.gp"), "rb").read() == script,
          "goldpath plot wrote another plots.gp")
    run([goldpath, "plot", os.path.join(work, "no-such-folder")], want=2)

    # The same seed in another folder: the same derived files and page.
    again = os.path.join(work, "golden-again")
    run([goldpath, "run", os.path.join(src, "scenarios/golden_path.json"), "--clients", "300",
         "--out", again, "--quiet"], want=0)
    for name in ("report.html", "plots.gp", "latency_cdf.csv", "heatmap.csv", "replay.txt"):
        check(open(os.path.join(golden, name), "rb").read() == open(os.path.join(again, name), "rb").read(),
              name + " differs between two runs of one seed")
    return 0


def mode_nognuplot(goldpath, src, work):
    env = dict(os.environ, PATH=os.path.join(work, "empty-path"))
    os.makedirs(env["PATH"], exist_ok=True)
    out = os.path.join(work, "run")
    p = run([goldpath, "run", os.path.join(src, "scenarios/golden_path.json"), "--clients", "100",
             "--out", out, "--quiet", "--junit", out + ".xml"], env=env, want=0)
    check(GNUPLOT_MISSING in p.stderr, "no clear message without gnuplot; stderr: " + p.stderr)
    check(not [f for f in os.listdir(out) if f.endswith((".png", ".svg"))], "pictures without gnuplot?")
    check(os.path.isfile(os.path.join(out, "plots.gp")), "plots.gp not kept for later")
    page = check_page(out) or ""
    check("gnuplot not found" in page, "report.html does not say why it has no plots")
    check_junit(out + ".xml", summary_cases(out))
    p = run([goldpath, "plot", out], env=env, want=1)
    check(GNUPLOT_MISSING in p.stderr, "goldpath plot without gnuplot: no clear message")

    noplots = os.path.join(work, "noplots")
    p = run([goldpath, "run", os.path.join(src, "scenarios/golden_path.json"), "--clients", "100",
             "--out", noplots, "--quiet", "--no-plots"], want=0)
    check("gnuplot" not in p.stderr, "--no-plots still talks about gnuplot: " + p.stderr)
    check(not [f for f in os.listdir(noplots) if f.endswith((".png", ".svg", ".gp"))],
          "pictures or a plot script with --no-plots")
    check_page(noplots)
    return 0


def read_csv(path):
    import csv
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def mode_sweep(goldpath, src, work):
    out = os.path.join(work, "sweep")
    junit = os.path.join(work, "sweep.xml")
    args = [goldpath, "sweep", os.path.join(src, "scenarios/accept_race.json"),
            "--vary", "faults.accept_race=0:0.5:0.25", "--seeds", "2", "--clients", "200",
            "--compare", "server.bugs=[]", 'server.bugs=["accept_race"]', "--out", out,
            "--junit", junit, "--quiet"]
    run(args, want=0)
    rows = read_csv(os.path.join(out, "sweep.csv"))
    with open(os.path.join(out, "sweep.csv")) as f:
        check(f.readline().strip() == "variant,value,seed,transition_success_rate,completion_rate,passed",
              "sweep.csv header")
    check(len(rows) == 2 * 3 * 2, "sweep.csv: %d rows, expected 12" % len(rows))
    fixed = [r for r in rows if r["variant"] == "server.bugs=[]"]
    buggy = [r for r in rows if r["variant"] == 'server.bugs=["accept_race"]']
    check(len(fixed) == 6 and len(buggy) == 6, "sweep.csv: variants not as given")
    check(all(float(r["transition_success_rate"]) == 1.0 and float(r["completion_rate"]) == 1.0
              for r in fixed), "the fixed server is not at 1.0 everywhere")

    def mean(rs, value, key):
        v = [float(r[key]) for r in rs if r["value"] == value]
        return sum(v) / len(v)
    at0, at_top = mean(buggy, "0", "transition_success_rate"), mean(buggy, "0.5", "transition_success_rate")
    print("buggy server: transition success rate %.4f at 0, %.4f at 0.5" % (at0, at_top))
    check(at_top < at0, "with the bug on, the success rate at 0.5 (%f) is not below the one at 0 (%f)" % (at_top, at0))
    check(at0 == 1.0, "with the bug on and no race, the success rate is %f, not 1.0" % at0)
    summary = read_csv(os.path.join(out, "sweep_summary.csv"))
    check(len(summary) == 6, "sweep_summary.csv: one row per (variant, value)")

    try:
        root = ET.parse(junit).getroot()
        suites = root.findall("testsuite")
        check(len(suites) == 6, "sweep JUnit: %d suites, expected 6" % len(suites))
        names = set()
        for s in suites:
            cases = s.findall("testcase")
            check(s.get("tests") == str(len(cases)), "sweep JUnit: tests= differs from the cases")
            check(len(cases) == len(summary_checks(goldpath, src, work)), "sweep JUnit: not one case per check")
            for c in cases:
                names.add((c.get("classname"), c.get("name")))
        check(len(names) == 6 * len(summary_checks(goldpath, src, work)), "sweep JUnit: case names repeat")
        check(root.get("failures") == str(len(root.findall(".//failure"))), "sweep JUnit: failures= is wrong")
        check(len(root.findall(".//failure")) > 0, "sweep JUnit: the buggy server failed nothing")
    except ET.ParseError as e:
        check(False, "sweep JUnit is not XML: %s" % e)

    # Exit codes: the sweep explores (0); --strict fails on a failed check.
    strict = args[:]
    strict[strict.index("--out") + 1] = os.path.join(work, "strict")
    strict.remove("--junit")
    strict.remove(junit)
    run(strict + ["--strict", "--no-plots"], want=1)

    if not gnuplot_found():
        print("gnuplot is not installed: sweep plots not checked (skipped)")
        return 77
    check_run_plots(out, SWEEP_PLOTS)
    check(os.path.isfile(os.path.join(out, "sweep.gp")), "sweep.gp missing")
    page = check_page(out) or ""
    check("server.bugs=[&quot;accept_race&quot;]" in page, "the sweep page does not name the variants")
    os.remove(os.path.join(out, SWEEP_PLOTS[0] + ".svg"))
    run([goldpath, "plot", out, "--quiet"], want=0)
    check_run_plots(out, SWEEP_PLOTS)
    return 0


_checks = None


def summary_checks(goldpath, src, work):
    """The check names, from a tiny run's summary.json."""
    global _checks
    if _checks is None:
        tiny = os.path.join(work, "tiny")
        run([goldpath, "run", os.path.join(src, "scenarios/golden_path.json"), "--clients", "10",
             "--out", tiny, "--quiet", "--no-plots"], want=0)
        import json
        _checks = [c["name"] for c in json.load(open(os.path.join(tiny, "summary.json")))["checks"]]
    return _checks


def check_token(text, secret, sub, ttl):
    import base64
    import hashlib
    import hmac
    import json

    def b64(x):
        return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    try:
        h, p, sig = text.strip().split(".")
        header, payload = json.loads(b64(h)), json.loads(b64(p))
    except ValueError:
        check(False, "goldpath token: not a JWT: " + text)
        return
    want = base64.urlsafe_b64encode(hmac.new(secret, (h + "." + p).encode(), hashlib.sha256).digest())
    check(want.rstrip(b"=").decode() == sig, "goldpath token: the signature does not verify with the secret")
    check(header.get("alg") == "HS256", "goldpath token: alg is not HS256")
    check(payload.get("sub") == sub, "goldpath token: sub is not " + sub)
    check(payload.get("exp", 0) - payload.get("iat", 0) == ttl, "goldpath token: exp - iat is not the ttl")


def mode_usage(goldpath, src, work):
    scen = os.path.join(src, "scenarios/accept_race.json")
    p = run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5", "--no-plots"], want=2)
    check("FIELD=FROM:TO:STEP" in p.stderr, "bad --vary: message does not show the syntax: " + p.stderr)
    p = run([goldpath, "sweep", scen, "--vary", "faults.no_such_field=0:0.5:0.1", "--no-plots"], want=2)
    check("faults.no_such_field" in p.stderr, "unknown --vary field: message does not name it: " + p.stderr)
    p = run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:2:1", "--no-plots"], want=2)
    check("faults.accept_race" in p.stderr, "out-of-range --vary value: message does not name the field")
    p = run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5:-0.1"], want=2)
    run([goldpath, "sweep", scen], want=2)
    run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5:0.1", "--mode", "live"], want=2)
    run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5:0.1", "--seeds", "0"], want=2)
    run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5:0.1", "--compare"], want=2)
    p = run([goldpath, "sweep", scen, "--vary", "faults.accept_race=0:0.5:0.5", "--compare",
             "server.bugs=[\"no_such_bug\"]", "--no-plots"], want=2)
    check("no_such_bug" in p.stderr or "server.bugs" in p.stderr, "bad --compare: unclear message: " + p.stderr)
    run([goldpath, "plot"], want=2)
    run([goldpath, "plot", work], want=2)
    run([goldpath, "nonsense"], want=2)
    run([goldpath, "help", "nonsense"], want=2)
    p = run([goldpath, "--help"], want=0)
    for cmd in ("run", "sweep", "plot", "token", "help", "goldpath-server", "docs/CLI.md"):
        check(cmd in p.stdout, "goldpath --help does not mention " + cmd)
    p = run([goldpath, "token", "--sub", "alice"], want=0)
    check(re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n", p.stdout) is not None,
          "goldpath token does not print a JWT")
    # signed with --secret, else $GOLDPATH_JWT_SECRET; exp = iat + ttl
    p = run([goldpath, "token", "--sub", "bob", "--ttl", "60", "--secret", "s3cret"], want=0)
    check_token(p.stdout, b"s3cret", "bob", 60)
    p = run([goldpath, "token", "--sub", "carol"], env=dict(os.environ, GOLDPATH_JWT_SECRET="envsecret"),
            want=0)
    check_token(p.stdout, b"envsecret", "carol", 3600)
    run([goldpath, "token"], want=2)
    run([goldpath, "token", "--sub", "alice", "--ttl", "x"], want=2)

    # docs/CLI.md documents every command and every flag the help texts show.
    doc = open(os.path.join(src, "docs/CLI.md"), encoding="utf-8").read()
    for cmd in ("run", "sweep", "plot", "token", "help"):
        p = run([goldpath, "help", cmd], want=0)
        check(("goldpath " + cmd) in doc, "docs/CLI.md does not cover goldpath " + cmd)
        p2 = run([goldpath, cmd, "--help"], want=0)
        check(p.stdout == p2.stdout, "goldpath help %s and goldpath %s --help differ" % (cmd, cmd))
        for flag in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", p.stdout))):
            check(flag in doc, "docs/CLI.md does not document %s of goldpath %s" % (flag, cmd))
    check("goldpath-server" in doc and "docs/server.md" in doc, "docs/CLI.md: no pointer to goldpath-server")
    return 0


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    mode, goldpath, src, work = sys.argv[1:]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    modes = {"run": mode_run, "nognuplot": mode_nognuplot, "sweep": mode_sweep, "usage": mode_usage}
    rc = modes[mode](os.path.abspath(goldpath), os.path.abspath(src), os.path.abspath(work))
    if failures:
        print("check_report %s: %d check(s) failed" % (mode, len(failures)), file=sys.stderr)
        return 1
    print("check_report %s: all checks hold" % mode)
    return rc


if __name__ == "__main__":
    sys.exit(main())
