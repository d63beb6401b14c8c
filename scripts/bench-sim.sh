#!/usr/bin/env bash
# bench-sim.sh: the simulator's benchmark (not a test).  Runs the golden-path
# scenario at 10k, 100k and 1M virtual clients, several times each, and prints
# the median golden paths per CPU-second, CPU seconds and peak memory.
#
#   scripts/bench-sim.sh [RUNS] [CLIENTS...]     default: 3 runs of 10000 100000 1000000
#
# Targets on the 2-core reference machine: 1,000,000 clients through the full
# golden path (JSON encoded and parsed on both sides) in under 30 s of one
# core and under 2 GiB peak memory; 10,000 clients in under 1 s.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GP_ROOT"
gp_install_packages
gp_build build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
runs=${1:-3}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 100000 1000000)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

printf '%-9s %5s %12s %10s %10s %14s %s\n' clients runs cpu_s wall_s peak_mib paths_per_cpu_s result
for n in "${sizes[@]}"; do
    # Arrival spreads over 1 s per 1000 clients (at least 10 s), as in
    # golden_path.json: the same load shape at every size.
    window=$(( n < 10000 ? 10000 : n ))
    : > "$out/cpu"; : > "$out/wall"; : > "$out/rss"; : > "$out/rate"
    result=ok
    for ((r = 0; r < runs; r++)); do
        if ! build-bench/harness/goldpath run scenarios/golden_path.json --clients "$n" \
                --set clients.window_ms=$window --quiet --no-plots --out "$out/run" >/dev/null; then
            result=FAILED
        fi
        python3 - "$out/run/perf.json" "$out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); d = sys.argv[2]
open(d + "/cpu", "a").write("%.3f\n" % p["cpu_s"])
open(d + "/wall", "a").write("%.3f\n" % p["wall_s"])
open(d + "/rss", "a").write("%.1f\n" % (p["peak_rss_kib"] / 1024))
open(d + "/rate", "a").write("%.0f\n" % p["golden_paths_per_cpu_s"])
PY
    done
    printf '%-9s %5s %12s %10s %10s %14s %s\n' "$n" "$runs" "$(median < "$out/cpu")" \
        "$(median < "$out/wall")" "$(median < "$out/rss")" "$(median < "$out/rate")" "$result"
done
echo "(medians of $runs runs; cpu_s = user + system CPU of the whole goldpath process, including report writing)"
