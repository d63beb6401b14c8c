#!/usr/bin/env bash
# bench-live.sh: live mode's benchmark (not a test).  Real sockets on
# loopback: goldpath (one lws client process) against the goldpath-server it
# starts, at about 1k, 5k and 15k concurrent connections, several runs each;
# prints the medians of golden paths per second, CPU seconds and peak RSS of
# client and server, and RSS per open connection.
#
#   scripts/bench-live.sh [RUNS] [CASE...]    default: 3 runs of 1k 1k-burst 5k 15k
#
# The cases:
#   1k        throughput at ~1,000 connections open at once: 20,000 clients
#             arriving uniformly over 3 s (6,667/s), each waiting 50 ms
#             after connection_ready before its request, so that about 1,000
#             are open at any time
#   1k-burst  1,000 clients all at once (handshakes, then the golden path)
#   5k, 15k   that many clients all at once, held open together: each waits
#             3-3.5 s (5k) or 5-6 s (15k) after connection_ready before its
#             request, so every connection is open at the same moment
#
# golden paths/s = completed clients / (last completion - first start), from
# the run's own clock (live.json).  CPU = user + system seconds of the whole
# process (client: goldpath, from perf.json; server: from wait4() when
# goldpath stops it).  RSS per connection = peak RSS / most connections open
# at once (everything included: libraries, the run's records, buffers).
#
# Each run waits (up to 3 minutes) for an idle machine and for the previous
# runs' ports to leave TIME_WAIT: client and server need both cores.
#
# Targets on the 2-core reference machine: 15,000 concurrent connections
# through the golden path with zero failures; at most 8 KiB of server RSS
# and 4 KiB of client RSS per open connection; at least 5,000 golden paths
# per second with 1,000 concurrent clients.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GP_ROOT"
gp_install_packages
gp_build build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
runs=${1:-3}
shift || true
cases=("$@")
[[ ${#cases[@]} -gt 0 ]] || cases=(1k 1k-burst 5k 15k)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export GOLDPATH_SERVER=$GP_ROOT/build-bench/sut/server/goldpath-server

# case_args CASE: sets args to the case's goldpath options.
case_args() {
    case $1 in
    1k) args=(--clients 20000 --set clients.window_ms=3000
              --set 'clients.request_gap_ms={"min":50,"max":50}') ;;
    1k-burst) args=(--clients 1000 --set clients.arrival=all_at_once) ;;
    5k) args=(--clients 5000 --set clients.arrival=all_at_once
              --set 'clients.request_gap_ms={"min":3000,"max":3500}') ;;
    15k) args=(--clients 15000 --set clients.arrival=all_at_once
               --set 'clients.request_gap_ms={"min":5000,"max":6000}'
               --set limits.ready_timeout_ms=20000) ;;
    *) echo "bench-live: unknown case $1 (1k, 1k-burst, 5k, 15k)" >&2; return 1 ;;
    esac
}

# Idle CPU share over one second, from /proc/stat (0-100).
cpu_idle() {
    local a b
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 1
    read -r -a b < <(grep '^cpu ' /proc/stat)
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( total > 0 ? 100 * (b[4] - a[4]) / total : 100 ))
}

# Before each run: the machine idle (another busy process would take one of
# the two cores that client and server need), and the previous runs' client
# ports out of TIME_WAIT (a connect() then searches the whole port range).
# Waits up to 3 minutes for each, then runs anyway and says so.
settle() {
    local waited=0
    while (( $(ss -tan state time-wait | wc -l) > 2000 && waited < 180 )); do
        sleep 2; waited=$((waited + 2))
    done
    while (( $(cpu_idle) < 90 && waited < 180 )); do
        waited=$((waited + 1))
    done
    (( waited < 180 )) || echo "bench-live: note: the machine was not idle for this run" >&2
}

printf '%-9s %6s %6s %9s %8s %8s %8s %8s %8s %8s %6s %s\n' case clients open gp_per_s \
    cli_cpu srv_cpu cli_mib srv_mib cli_kib srv_kib failed result
for c in "${cases[@]}"; do
    case_args "$c"
    : > "$out/rows"
    result=ok
    for ((r = 0; r < runs; r++)); do
        rm -rf "$out/run"
        settle
        if ! build-bench/harness/goldpath run scenarios/golden_path.json --mode live "${args[@]}" \
                --quiet --no-plots --out "$out/run" > "$out/stdout" 2> "$out/stderr"; then
            result=FAILED
            tail -5 "$out/stderr" "$out/stdout" >&2 || true
        fi
        [[ -s $out/run/live.json ]] || { result=FAILED; continue; }
        python3 - "$out/run" >> "$out/rows" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
l = json.load(open(d + "/live.json"))
p = json.load(open(d + "/perf.json"))
open_peak = max(l["open_connections_peak"], 1)
print(s["clients"]["total"], l["open_connections_peak"], l["golden_paths_per_s"], p["cpu_s"],
      l["server_cpu_s"], p["peak_rss_kib"] / 1024, l["server_peak_rss_kib"] / 1024,
      p["peak_rss_kib"] / open_peak, l["server_peak_rss_kib"] / open_peak,
      s["clients"]["total"] - s["clients"]["completed"])
PY
    done
    python3 - "$c" "$result" "$out/rows" <<'PY'
import statistics, sys
name, result, path = sys.argv[1:4]
rows = [list(map(float, line.split())) for line in open(path) if line.strip()]
if not rows:
    print("%-9s (no run completed) %s" % (name, result)); sys.exit()
m = [statistics.median(col) for col in zip(*rows)]
print("%-9s %6d %6d %9.0f %8.2f %8.2f %8.1f %8.1f %8.2f %8.2f %6d %s" % (
    name, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], max(r[9] for r in rows), result))
PY
done
echo "(medians of $runs runs; open = most connections open at once; cpu in s; *_kib = peak RSS"
echo " per open connection; failed = clients that did not complete, worst run)"
