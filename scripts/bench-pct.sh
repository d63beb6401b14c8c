#!/usr/bin/env bash
# bench-pct.sh: how many runs goldpath explore needs to find the accept race
# of scenarios/explore/accept_race.json (2 clients, the accept_race bug on),
# with --strategy random (each seed's own order) and with --strategy pct
# (probabilistic concurrency testing), over TRIALS independent trials: trial
# k explores seeds k*100000 on and counts the runs up to the first failure.
# Prints the median (and quartiles) of each.  A benchmark, not a test.
#
#   scripts/bench-pct.sh [TRIALS] [DEPTH]      (default 100 trials, depth 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
goldpath=${GOLDPATH:-$root/build/harness/goldpath}
trials=${1:-100}
depth=${2:-3}
work=$(mktemp -d /tmp/gp-bench-pct-XXXXXX)
trap 'rm -rf "$work"' EXIT
[[ -x $goldpath ]] || { echo "bench-pct: build goldpath first ($goldpath)" >&2; exit 2; }
for strategy in random pct; do
    : >"$work/$strategy.txt"
    for ((k = 1; k <= trials; k++)); do
        from=$((k * 100000))
        "$goldpath" explore "$root/scenarios/explore/accept_race.json" --seeds "$from:$((from + 9999))" \
            --strategy "$strategy" --depth "$depth" --first --jobs 1 --shrink-time 1 -q \
            --out "$work/run" >/dev/null 2>&1 || true
        python3 -c "
import json, sys
e = json.load(open('$work/run/explore.json'))
print(e['first_failure'] - $from + 1 if e['first_failure'] >= 0 else 10001)" >>"$work/$strategy.txt"
    done
done
python3 - "$work" "$trials" "$depth" <<'PY'
import statistics, sys
work, trials, depth = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {}
for s in ("random", "pct"):
    v = sorted(int(x) for x in open("%s/%s.txt" % (work, s)))
    q = statistics.quantiles(v, n=4)
    res[s] = statistics.median(v)
    print("%-6s runs to find the race over %d trials: median %g, quartiles %g / %g, max %d"
          % (s, trials, res[s], q[0], q[2], v[-1]))
print("pct (depth %s) needs %.2fx fewer runs on median than random" % (depth, res["random"] / res["pct"]))
PY
