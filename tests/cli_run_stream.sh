#!/usr/bin/env bash
# cli_run_stream.sh: what `goldpath run` shows and writes while it runs, and
# how it stops (issue 11, items 6 and 7):
#   - --events FILE: JSON lines (bucket, client, end), the same bytes for the
#     same seed in simulation;
#   - a progress line every interval when stderr is not a terminal, none
#     with --quiet;
#   - Ctrl-C (SIGINT) stops a simulated and a live run: partial summary.json
#     and events marked interrupted, exit 130, no server left behind.
#
#   cli_run_stream.sh GOLDPATH SCENARIO_DIR
set -u
GOLDPATH=$1
SCEN=$2
work=$(mktemp -d /tmp/gp-stream-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "cli_run_stream: FAIL: $*" >&2; exit 1; }

# waits (at most $2 s) until file $1 has a line of type $3
wait_for_line() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -q "\"type\":\"$3\"" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---- --events: format and determinism ------------------------------------------
for k in 1 2; do
    "$GOLDPATH" run "$SCEN/agent_failures.json" --clients 300 --events "$work/ev$k.jsonl" \
        --out "$work/r$k" -q >/dev/null 2>&1 || fail "run $k exited $?"
done
cmp -s "$work/ev1.jsonl" "$work/ev2.jsonl" || fail "the events of two runs of one seed differ"
python3 - "$work/ev1.jsonl" "$work/r1/summary.json" <<'PY' || exit 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = json.load(open(sys.argv[2]))
types = [l["type"] for l in lines]
err = []
if types[-1] != "end" or types.count("end") != 1:
    err.append("one end line, last")
clients = [l for l in lines if l["type"] == "client"]
if sorted(c["client"] for c in clients) != list(range(300)):
    err.append("one client line per client, got %d" % len(clients))
buckets = [l for l in lines if l["type"] == "bucket"]
if not buckets:
    err.append("no bucket line")
for b in buckets:
    if b["attempted"] == 0 and b["success_rate"] is not None:
        err.append("a bucket with no attempt claims a success rate")
    if b["attempted"] and abs(b["success_rate"] - b["succeeded"] / b["attempted"]) > 1e-6:
        err.append("success_rate is not succeeded / attempted")
end = lines[-1]
if end["passed"] != summary["passed"] or end["exit"] != (0 if summary["passed"] else 1):
    err.append("the end line disagrees with summary.json")
done = sum(1 for c in clients if c["outcome"] == "completed")
if done != end["completed"]:
    err.append("completed: %d client lines, end says %d" % (done, end["completed"]))
if not any(c["failure"] == "" and c["requests_failed"] for c in clients):
    err.append("no client line shows an injected AGENT_FAILED")
if err:
    print("cli_run_stream: FAIL: events: " + "; ".join(err), file=sys.stderr)
    sys.exit(1)
PY
"$GOLDPATH" run "$SCEN/golden_path.json" --clients 10 --events /nonexistent/dir/ev.jsonl \
    --out "$work/bad" -q >/dev/null 2>"$work/bad.err"
[[ $? -eq 2 ]] || fail "--events to a path that cannot be written must exit 2"
grep -q "/nonexistent/dir/ev.jsonl" "$work/bad.err" || fail "the error does not name the path"

# ---- progress when stderr is not a terminal -------------------------------------
GOLDPATH_PROGRESS_INTERVAL_S=0.05 "$GOLDPATH" run "$SCEN/golden_path.json" --clients 40000 \
    --out "$work/p" --no-plots >/dev/null 2>"$work/p.err" || fail "progress run exited $?"
grep -Eq '^goldpath: [0-9]+ s: [0-9]+ / 40000 clients done, [0-9]+/s, ' "$work/p.err" ||
    fail "no progress line on a non-terminal stderr: $(head -c 300 "$work/p.err")"
grep -q $'\r' "$work/p.err" && fail "a log got terminal redraws"
GOLDPATH_PROGRESS_INTERVAL_S=0.05 "$GOLDPATH" run "$SCEN/golden_path.json" --clients 40000 \
    --out "$work/q" --no-plots -q >/dev/null 2>"$work/q.err" || fail "quiet run exited $?"
grep -q "clients done" "$work/q.err" && fail "--quiet still shows progress"

# ---- Ctrl-C: simulation ----------------------------------------------------------
"$GOLDPATH" run "$SCEN/golden_path.json" --clients 300000 --events "$work/si.jsonl" \
    --out "$work/si" --no-plots -q >/dev/null 2>"$work/si.err" &
pid=$!
pids+=("$pid")
wait_for_line "$work/si.jsonl" 120 bucket || fail "the simulated run never wrote a bucket"
kill -INT "$pid"
wait "$pid"
rc=$?
[[ $rc -eq 130 ]] || fail "an interrupted simulated run exited $rc, not 130"
grep -q "interrupted after" "$work/si.err" || fail "no word of the interruption"
python3 - "$work/si" "$work/si.jsonl" <<'PY' || fail "simulated interruption"
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
end = [json.loads(l) for l in open(sys.argv[2])][-1]
assert s["interrupted"] is True, "summary.json not marked interrupted"
assert end["type"] == "end" and end["interrupted"] is True and end["exit"] == 130, end
assert end["completed"] < 300000, "an interrupted run cannot have finished"
PY

# ---- Ctrl-C: live ----------------------------------------------------------------
"$GOLDPATH" run "$SCEN/golden_path.json" --mode live --clients 3000 \
    --set clients.window_ms=60000 --events "$work/li.jsonl" --out "$work/li" --no-plots -q \
    >/dev/null 2>"$work/li.err" &
pid=$!
pids+=("$pid")
wait_for_line "$work/li.jsonl" 60 client || fail "the live run never finished a client"
t0=$(date +%s)
kill -INT "$pid"
wait "$pid"
rc=$?
(( $(date +%s) - t0 <= 30 )) || fail "the live run took more than 30 s to stop"
[[ $rc -eq 130 ]] || fail "an interrupted live run exited $rc, not 130: $(tail -3 "$work/li.err")"
python3 - "$work/li" <<'PY' || fail "live interruption"
import json, os, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
live = json.load(open(sys.argv[1] + "/live.json"))
assert s["interrupted"] is True, "summary.json not marked interrupted"
assert live["server_started"], "the server was not started by goldpath"
pid = live.get("server_pid", 0)
if pid:
    try:
        os.kill(pid, 0)
        raise AssertionError("goldpath-server %d still running" % pid)
    except ProcessLookupError:
        pass
PY
echo "cli_run_stream: ok"
