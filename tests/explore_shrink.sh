#!/usr/bin/env bash
# explore_shrink.sh: goldpath shrink and goldpath explore (issue 13).
#   - each bug scenario of the catalog shrinks to at most 2 clients; the
#     same input gives the same minimal.json; the minimal scenario fails the
#     check it was shrunk for, and names the fault or bug that makes it fail;
#   - explore with --jobs 2 finds the same distinct failures, and writes the
#     same explore.json and minimal scenario, as --jobs 1; with the bug off
#     it finds none (exit 0);
#   - a run folder can be shrunk as well as a scenario file.
#
#   explore_shrink.sh GOLDPATH REPO_DIR
set -u
GOLDPATH=$1
REPO=$2
work=$(mktemp -d /tmp/gp-explore-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "explore_shrink: FAIL: $*" >&2; exit 1; }

for sc in "$REPO"/scenarios/bugs/*.json; do
    name=$(basename "$sc" .json)
    "$GOLDPATH" shrink "$sc" --out "$work/$name.a" -q >"$work/$name.out" 2>&1 ||
        fail "shrink $name exited $?: $(tail -3 "$work/$name.out")"
    "$GOLDPATH" shrink "$sc" --out "$work/$name.b" -q >/dev/null 2>&1 || fail "shrink $name (again)"
    cmp -s "$work/$name.a/minimal.json" "$work/$name.b/minimal.json" ||
        fail "$name: two shrinks of the same input differ"
    python3 - "$work/$name.a" "$GOLDPATH" "$sc" <<'PY' || exit 1
import json, subprocess, sys
d, goldpath, src = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(d + "/minimal.json"))
n = len(m["clients"]["only"])
if n > 2:
    sys.exit("explore_shrink: FAIL: %s kept %d clients" % (src, n))
target = m["description"].split(" fails ")[1].split(" with ")[0]
bugs = json.load(open(src))["server"]["bugs"]
if not any(b in m["description"] for b in bugs):
    sys.exit("explore_shrink: FAIL: the minimal scenario does not name its bug: " + m["description"])
r = subprocess.run([goldpath, "run", d + "/minimal.json", "--out", d + "/run", "-q", "--no-plots"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
s = json.load(open(d + "/run/summary.json"))
if r.returncode != 1 or target not in s["violations"]:
    sys.exit("explore_shrink: FAIL: %s: the minimal run exits %d, violations %s, not %s"
             % (src, r.returncode, s["violations"], target))
for f in ("replay.txt", "report.html", "trace-client-0.txt"):
    open(d + "/" + f).close()
print("explore_shrink: %s -> %d client(s), fails %s" % (src.split("/")[-1], n, target))
PY
done

# a run folder shrinks too
"$GOLDPATH" run "$REPO/scenarios/bugs/id_regeneration.json" --clients 50 --out "$work/run" -q \
    --no-plots >/dev/null 2>&1
"$GOLDPATH" shrink "$work/run" --check stuck_connections --out "$work/from-run" -q >/dev/null 2>&1 ||
    fail "shrink of a run folder"
grep -q '"only": \[' "$work/from-run/minimal.json" || fail "no clients.only in the minimal scenario"

scen=$REPO/scenarios/explore/accept_race.json
"$GOLDPATH" explore "$scen" --seeds 1:300 --jobs 1 --out "$work/j1" -q >/dev/null 2>&1
rc=$?
[[ $rc -eq 1 ]] || fail "explore with the bug: exit $rc, not 1"
"$GOLDPATH" explore "$scen" --seeds 1:300 --jobs 2 --out "$work/j2" -q >/dev/null 2>&1
cmp -s "$work/j1/explore.json" "$work/j2/explore.json" || fail "explore.json differs between --jobs 1 and 2"
cmp -s "$work/j1/failure-1/minimal.json" "$work/j2/failure-1/minimal.json" ||
    fail "the minimal scenario differs between --jobs 1 and 2"
python3 -c "
import json,sys
e=json.load(open('$work/j1/explore.json'))
assert len(e['distinct_failures'])==1 and e['seeds_failed']>0, e
assert e['distinct_failures'][0]['clients_after'] <= 2, e
" || fail "explore did not report one distinct failure shrunk to at most 2 clients"
"$GOLDPATH" explore "$scen" --seeds 1:300 --jobs 2 --set 'server.bugs=[]' --out "$work/fixed" -q \
    >/dev/null 2>&1 || fail "explore with the bug off found a failure"
"$GOLDPATH" explore "$scen" --seeds 1:300 --strategy pct --out "$work/pct" -q >/dev/null 2>&1
[[ $? -eq 1 ]] || fail "explore --strategy pct found nothing"
echo "explore_shrink: ok"
