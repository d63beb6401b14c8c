#!/usr/bin/env python3
"""report_content.py: what a report says, for people who paste it into a
ticket and people who read its CSV files.

    report_content.py GOLDPATH SOURCE_DIR WORK_DIR

- every plot's title names the scenario, the seed, the mode and the bugs
  switched on (runs and sweeps);
- report.html shows goldpath's version (the one --version prints); a live
  run's page its date, target URL and wall time (when goldpath-server is
  built next to goldpath);
- a plot with nothing to draw says why ("0 of N clients reached
  connection_ready") and is still drawn;
- clients_timeline.csv holds, per bucket, the counts and the p50/p95/p99 a
  reader computes from connections.csv by hand;
- timeline.csv has no success rate for a bucket without an attempt (an empty
  cell, not 1.0);
- the heat map has a colour key; plots are as wide as the page;
- replay commands only on failed checks, each flag kept with its value;
- the description is flagged as edited when the command line changed the
  scenario's values, and only then;
- report.connections_csv: false writes no connections.csv and the page,
  plots, replay and `goldpath plot` still work;
- the same seed writes the same bytes.
Exit 0 when all hold, 77 when gnuplot is missing (skipped), 1 otherwise.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(args, want):
    p = subprocess.run(args, capture_output=True, text=True)
    check(p.returncode == want, "%s exited %d, expected %d\n%s" % (
        " ".join(args), p.returncode, want, p.stderr[-1500:]))
    return p


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def titles(script):
    """Each plot's title in a gnuplot script, its pieces joined."""
    out = []
    for line in script.splitlines():
        if line.startswith("set title "):
            out.append(" ".join(re.findall(r"'((?:[^']|'')*)'", line)))
    return out


def rank(values, p):
    """Nearest rank, as goldpath computes its percentiles."""
    values = sorted(values)
    r = int(p * len(values) + 0.999999)
    r = max(1, min(r, len(values)))
    return values[r - 1]


def expected_clients_timeline(folder):
    """clients_timeline.csv computed by hand from connections.csv."""
    bucket = json.load(open(os.path.join(folder, "scenario.json")))["report"]["bucket_ms"]
    rows = list(csv.DictReader(open(os.path.join(folder, "connections.csv"))))
    per = {}

    def at(b):
        return per.setdefault(b, {"opened": 0, "ready": 0, "completed": 0, "started": 0,
                                  "ready_ms": [], "completed_ms": []})
    last = 0
    for r in rows:
        start = int(r["start_ms"])
        sb = start // bucket
        at(sb)["started"] += 1
        last = max(last, start)
        if int(r["connect_ms"]) >= 0:
            at((start + int(r["connect_ms"])) // bucket)["opened"] += 1
            last = max(last, start + int(r["connect_ms"]))
        if int(r["ready_ms"]) >= 0:
            at((start + int(r["ready_ms"])) // bucket)["ready"] += 1
            at(sb)["ready_ms"].append(int(r["ready_ms"]))
        if r["outcome"] == "completed" and int(r["done_ms"]) >= 0:
            at((start + int(r["done_ms"])) // bucket)["completed"] += 1
            at(sb)["completed_ms"].append(int(r["done_ms"]))
    return bucket, per


def check_clients_timeline(folder):
    bucket, want = expected_clients_timeline(folder)
    got = list(csv.DictReader(open(os.path.join(folder, "clients_timeline.csv"))))
    check(len(got) > 0, "clients_timeline.csv is empty")
    seen = set()
    for row in got:
        b = int(row["t_ms"]) // bucket - 1
        seen.add(b)
        w = want.get(b, {"opened": 0, "ready": 0, "completed": 0, "started": 0,
                         "ready_ms": [], "completed_ms": []})
        for k in ("opened", "ready", "completed", "started"):
            check(int(row[k]) == w[k], "clients_timeline.csv bucket %s: %s %s, by hand %d" % (
                row["t_ms"], k, row[k], w[k]))
        check(abs(float(row["ready_per_s"]) - w["ready"] * 1000.0 / bucket) < 1e-6,
              "clients_timeline.csv bucket %s: ready_per_s is not ready / bucket width" % row["t_ms"])
        for kind in ("ready", "completed"):
            vals = w[kind + "_ms"]
            check(int(row[kind + "_n"]) == len(vals), "bucket %s: %s_n" % (row["t_ms"], kind))
            for p, name in ((0.50, "p50"), (0.95, "p95"), (0.99, "p99")):
                cell = row["%s_%s_ms" % (kind, name)]
                if vals:
                    check(cell != "" and int(cell) == rank(vals, p),
                          "clients_timeline.csv bucket %s: %s_%s_ms %r, by hand %d" % (
                              row["t_ms"], kind, name, cell, rank(vals, p)))
                else:
                    check(cell == "", "bucket %s: %s_%s_ms is %r without a client" % (
                        row["t_ms"], kind, name, cell))
    check(set(want) <= seen, "clients_timeline.csv misses buckets %s" % sorted(set(want) - seen)[:5])


def check_timeline_rates(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "timeline.csv"))))
    idle = [r for r in rows if int(r["attempted"]) == 0]
    check(len(idle) > 0, "the sparse run has no bucket without an attempt (the test needs one)")
    for r in idle:
        check(r["success_rate"] == "", "timeline.csv bucket %s: success rate %r without an attempt" % (
            r["t_ms"], r["success_rate"]))
    for r in rows:
        if int(r["attempted"]) > 0:
            check(abs(float(r["success_rate"]) - int(r["succeeded"]) / int(r["attempted"])) < 1e-6,
                  "timeline.csv bucket %s: success rate is not succeeded / attempted" % r["t_ms"])


def check_replays(page, failed_run):
    """Replay commands only on failed checks; no flag torn from its value."""
    cmds = re.findall(r'<code class="cmd">(.*?)</code>', page, re.S)
    if not failed_run:
        check("goldpath run " not in page, "a passing run's page shows a replay command")
        return
    check(len(cmds) > 0, "a failed run's page shows no replay command")
    for c in cmds:
        rest = re.sub(r'<span class="flag">[^<]*</span>', "", c)
        check(" --" not in " " + rest, "a flag outside a nowrap span: %s" % c[:200])
        for span in re.findall(r'<span class="flag">([^<]*)</span>', c):
            words = span.split(" ")
            check(words[0].startswith("-"), "a flag span that does not start with a flag: " + span)
    for row in re.findall(r"<tr><td class=\"passed\">.*?</tr>", page, re.S):
        check('class="cmd"' not in row, "a passed check's row has a replay command")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    goldpath, src, work = (os.path.abspath(a) for a in sys.argv[1:])
    if not shutil.which("gnuplot"):
        print("gnuplot is not installed: skipped")
        return 77
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    version = run([goldpath, "--version"], want=0).stdout.split()[-1]

    # a small scenario of our own: its file's values are those of the run
    base = json.load(open(os.path.join(src, "scenarios/golden_path.json")))
    base["clients"]["count"] = 200
    base["clients"]["window_ms"] = 2000
    small = os.path.join(work, "small.json")
    json.dump(base, open(small, "w"))

    # 1. a passing run, twice
    for out in ("pass", "pass2"):
        run([goldpath, "run", small, "--out", os.path.join(work, out), "--quiet"], want=0)
    folder = os.path.join(work, "pass")
    page = read(os.path.join(folder, "report.html"))
    script = read(os.path.join(folder, "plots.gp"))
    ts = titles(script)
    check(len(ts) >= 12, "plots.gp has %d titles" % len(ts))
    for t in ts:
        check("golden_path" in t and "seed 1" in t and "sim" in t and "fixed server" in t,
              "a plot title does not name scenario, seed, mode and bugs: " + t)
    check(("goldpath " + version) in page, "report.html does not show goldpath " + version)
    check("figure img{width:100%" in page, "plots are not as wide as the page")
    check("set colorbox" in script and "set cbtics" in script and "unset colorbox" not in script,
          "the heat map has no colour key")
    check_replays(page, failed_run=False)
    check('class="badge edited"' not in page, "the description is flagged edited without an override")
    check_clients_timeline(folder)
    for name in ("report.html", "plots.gp", "clients_timeline.csv", "latency_cdf.csv",
                 "timeline.csv", "summary.json"):
        check(read(os.path.join(folder, name)) == read(os.path.join(work, "pass2", name)),
              name + " differs between two runs of one seed")
    for stem in ("throughput", "latency_over_time"):
        check(os.path.isfile(os.path.join(folder, stem + ".svg")), stem + ".svg not drawn")

    # 2. overrides: the description is flagged, naming what changed
    over = os.path.join(work, "over")
    run([goldpath, "run", small, "--clients", "120", "--seed", "4", "--out", over, "--quiet",
         "--no-plots"], want=0)
    page = read(os.path.join(over, "report.html"))
    check('class="badge edited"' in page, "--clients/--seed: the description is not flagged")
    check("clients.count</code> 200 &rarr; 120" in page, "the edited note does not say clients.count 200 -> 120")
    check("seed</code> 1 &rarr; 4" in page, "the edited note does not say seed 1 -> 4")
    check_clients_timeline(over)

    # 3. a bug run: bugs in every title, nothing reached ready: the plots say so
    bug = os.path.join(work, "bug")
    run([goldpath, "run", os.path.join(src, "scenarios/bugs/id_regeneration.json"), "--clients", "150",
         "--out", bug, "--quiet"], want=0)
    script = read(os.path.join(bug, "plots.gp"))
    for t in titles(script):
        check("id_regeneration" in t and "seed 1" in t and "sim" in t,
              "a bug run's plot title does not name its bug: " + t)
    why = "0 of 150 clients reached connection_ready"
    for stem in ("latency_over_time", "latency_cdf"):
        svg = os.path.join(bug, stem + ".svg")
        check(os.path.isfile(svg) and why in read(svg), "%s.svg does not say '%s'" % (stem, why))
    check_clients_timeline(bug)

    # 4. a failing run: replay commands on its failed checks only, flags whole
    failing = os.path.join(work, "failing")
    run([goldpath, "run", os.path.join(src, "scenarios/accept_race.json"), "--clients", "150",
         "--set", 'server.bugs=["accept_race"]', "--out", failing, "--quiet", "--no-plots"], want=1)
    check_replays(read(os.path.join(failing, "report.html")), failed_run=True)

    # 5. a sparse run: buckets without an attempt have no success rate
    sparse = os.path.join(work, "sparse")
    run([goldpath, "run", small, "--clients", "3", "--set", "clients.window_ms=3000", "--out",
         sparse, "--quiet"], want=0)
    check_timeline_rates(sparse)
    check(os.path.isfile(os.path.join(sparse, "success_rate.svg")), "the sparse run's success rate not drawn")

    # 6. no connections.csv on request; the rest still works
    nocsv = os.path.join(work, "nocsv")
    run([goldpath, "run", small, "--set", "report.connections_csv=false", "--out", nocsv, "--quiet"],
        want=0)
    check(not os.path.exists(os.path.join(nocsv, "connections.csv")),
          "report.connections_csv: false still wrote connections.csv")
    for name in ("report.html", "replay.txt", "latency_cdf.svg", "latency_over_time.svg",
                 "clients_timeline.csv"):
        check(os.path.isfile(os.path.join(nocsv, name)), "without connections.csv: no " + name)
    check(read(os.path.join(nocsv, "latency_cdf.csv")) == read(os.path.join(folder, "latency_cdf.csv")),
          "latency_cdf.csv without connections.csv differs from the same run with it")
    os.remove(os.path.join(nocsv, "latency_cdf.svg"))
    run([goldpath, "plot", nocsv, "--quiet"], want=0)
    check(os.path.isfile(os.path.join(nocsv, "latency_cdf.svg")), "goldpath plot without connections.csv")

    # 7. a sweep: titles and version
    sweep = os.path.join(work, "sweep")
    run([goldpath, "sweep", small, "--vary", "faults.accept_race=0:0.2:0.2", "--seeds", "2",
         "--clients", "40", "--set", 'server.bugs=["accept_race"]', "--out", sweep, "--quiet"], want=0)
    for t in titles(read(os.path.join(sweep, "sweep.gp"))):
        check("golden_path" in t and "seeds 1..2" in t and "sim" in t and "accept_race" in t,
              "a sweep plot title does not name scenario, seeds, mode and bugs: " + t)
    check(("goldpath " + version) in read(os.path.join(sweep, "report.html")),
          "the sweep page does not show the version")

    # 8. a live run: when, against what, how long
    server = os.path.join(os.path.dirname(goldpath), "..", "sut", "server", "goldpath-server")
    if os.access(server, os.X_OK):
        live = os.path.join(work, "live")
        run([goldpath, "run", small, "--mode", "live", "--clients", "5", "--out", live, "--quiet",
             "--no-plots"], want=0)
        page = read(os.path.join(live, "report.html"))
        url = json.load(open(os.path.join(live, "live.json")))["url"]
        check(re.search(r"started \(UTC\)</th><td>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d<", page) is not None,
              "a live run's page does not show when it started")
        check(url and ("<td>" + url) in page, "a live run's page does not show its URL")
        check(re.search(r"wall time</th><td>\d+\.\d{3} s<", page) is not None,
              "a live run's page does not show its wall time")
    else:
        print("note: goldpath-server not built: the live page is not checked")

    if failures:
        print("report_content: %d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("report_content: all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
