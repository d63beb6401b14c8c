#!/usr/bin/env bash
# scale_live.sh: a live run in 2 shards against one goldpath-server, merged,
# passes the same checks as the run made by one process, with the same
# client counts (issue 14, items 2 and 3):
#   - one goldpath-server (--port 0 --ready-file), its log in a file;
#   - the whole run: goldpath run --mode live --url ... --server-log ...;
#   - shards 0/2 and 1/2 at once, the same command with --shard; each starts
#     only its clients (i % 2 == shard), and alone fails the cross-check of
#     the server's figures (the server served both);
#   - goldpath merge: every check and expectation has the whole run's
#     verdict, the client counts are equal, the merged connections.csv
#     numbers every client of the scenario once, with its user and start;
#   - merge refuses a missing shard and shards of another seed.
#
#   scale_live.sh GOLDPATH GOLDPATH_SERVER SCENARIO_DIR
set -u
goldpath=$1
server=$2
scenarios=$3
work=$(mktemp -d /tmp/gp-scale-live-XXXXXX)
srv=
cleanup() {
    [[ -n $srv ]] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "scale_live: FAIL: $*" >&2
    echo "--- the server's log, last lines:" >&2
    tail -5 "$work/server.log" >&2
    exit 1
}
cd "$work" || exit 1

export GOLDPATH_JWT_SECRET=scale-live-secret
# (--ready-file first: tests/readme_commands.py, which may run at the same
# time, stops every "goldpath-server --port ..." when it ends)
"$server" --ready-file port --port 0 --jwt-secret "$GOLDPATH_JWT_SECRET" >server.log 2>&1 &
srv=$!
for ((i = 0; i < 100; i++)); do
    [[ -s port ]] && break
    sleep 0.1
done
[[ -s port ]] || fail "goldpath-server wrote no port: $(cat server.log)"
url=ws://127.0.0.1:$(cat port)/ws
# 600 clients over 3 s, 2 requests each, a few clients with bad tokens and
# early messages: the faults must be found in the merged ledger too
run=(run "$scenarios/golden_path.json" --mode live --url "$url" --server-log server.log
     --clients 600 --set clients.window_ms=3000 --set clients.requests_per_client=2
     --set faults.early_message=0.05 --set faults.bad_token.expired=0.05 --quiet --no-plots)

"$goldpath" "${run[@]}" --out one >one.out 2>&1
one_rc=$?
[[ $one_rc -le 1 ]] || fail "the whole run exited $one_rc: $(cat one.out)"

"$goldpath" "${run[@]}" --shard 0/2 --out s0 >s0.out 2>&1 &
p0=$!
"$goldpath" "${run[@]}" --shard 1/2 --out s1 >s1.out 2>&1 &
p1=$!
wait "$p0"
rc0=$?
wait "$p1"
rc1=$?
[[ $rc0 -le 1 && $rc1 -le 1 ]] || fail "shards exited $rc0 and $rc1: $(cat s0.out s1.out)"
for k in 0 1; do
    [[ -s s$k/shard.json && -s s$k/shard_records.jsonl && -s s$k/shard_server.log ]] ||
        fail "shard $k left no records"
done

"$goldpath" merge merged s1 s0 --quiet >merge.out 2>&1
merge_rc=$?
[[ $merge_rc -le 1 ]] || fail "merge exited $merge_rc: $(cat merge.out)"
[[ $merge_rc -eq $one_rc ]] || fail "the merged run exited $merge_rc, the whole run $one_rc: $(cat merge.out)"

python3 - one merged s0 s1 <<'PY' || exit 1
import csv, json, sys
one, merged, s0, s1 = (json.load(open(d + "/summary.json")) for d in sys.argv[1:5])
err = []
if one["clients"] != merged["clients"]:
    err.append("client counts: whole %s, merged %s" % (one["clients"], merged["clients"]))
shard_total = s0["clients"]["total"] + s1["clients"]["total"]
if shard_total != one["clients"]["total"] or s0["clients"]["total"] != 300:
    err.append("the shards ran %d and %d clients" % (s0["clients"]["total"], s1["clients"]["total"]))
verdicts = lambda s: {c["name"]: c["status"] for c in s["checks"] + s.get("expectations", [])}
a, b = verdicts(one), verdicts(merged)
for name in sorted(set(a) | set(b)):
    if a.get(name) != b.get(name):
        err.append("%s: whole %s, merged %s" % (name, a.get(name), b.get(name)))
if merged["passed"] != one["passed"]:
    err.append("passed: whole %s, merged %s" % (one["passed"], merged["passed"]))
# each shard alone: the server's figures count both shards' connections
for s in (s0, s1):
    if verdicts(s).get("health_disagrees") != "failed":
        err.append("a shard alone agreed with the server's figures of both")
rows = list(csv.DictReader(open(sys.argv[2] + "/connections.csv")))
if [int(r["client"]) for r in rows] != list(range(600)):
    err.append("connections.csv does not list clients 0..599 once each")
if any(r["user"] != "user_%s" % r["client"] for r in rows):
    err.append("a client of the merged run has another client's user")
if err:
    print("scale_live: FAIL: " + "; ".join(err), file=sys.stderr)
    sys.exit(1)
PY
# the fault ledger: the same faults, fired as often (the draws are per client)
[[ $(cut -d, -f1,3 one/faults.csv) == "$(cut -d, -f1,3 merged/faults.csv)" ]] ||
    fail "the fault ledger's firings differ: $(diff one/faults.csv merged/faults.csv)"
grep -q '^bad_token.expired,' merged/faults.csv || fail "no bad token in the merged ledger"

# what merge refuses
out=$("$goldpath" merge refused s0 2>&1)
[[ $? -eq 2 && $out == *"shard 1 missing"* ]] || fail "one shard of two merged: $out"
"$goldpath" "${run[@]}" --clients 20 --seed 9 --shard 1/2 --out other >/dev/null 2>&1
out=$("$goldpath" merge refused s0 other 2>&1)
[[ $? -eq 2 && $out == *"seed"* ]] || fail "shards of two seeds merged: $out"
echo "scale_live: 2 shards of 600 clients merged: the whole run's verdicts and counts"
