#!/usr/bin/env bash
# determinism_check.sh: the same scenario and seed, run twice, must write
# byte-identical summary.json, scenario.json and CSV files; another seed must
# give another schedule.
#
#   determinism_check.sh GOLDPATH SCENARIO WORK_DIR
set -uo pipefail
goldpath=$1 scenario=$2 work=$3
rm -rf "$work"
for run in a b; do
    "$goldpath" run "$scenario" --seed 7 --clients 3000 --out "$work/$run" --quiet --no-plots >/dev/null
    [[ $? -le 1 ]] || { echo "determinism_check: run $run failed to run" >&2; exit 1; }
done
"$goldpath" run "$scenario" --seed 8 --clients 3000 --out "$work/c" --quiet --no-plots >/dev/null
status=0
for f in summary.json scenario.json timeline.csv connections.csv faults.csv transitions.csv; do
    if ! cmp -s "$work/a/$f" "$work/b/$f"; then
        echo "determinism_check: $f differs between two runs of seed 7" >&2
        status=1
    fi
done
if cmp -s "$work/a/connections.csv" "$work/c/connections.csv"; then
    echo "determinism_check: seeds 7 and 8 gave the same schedule" >&2
    status=1
fi
[[ $status -eq 0 ]] && echo "determinism_check: $scenario: byte-identical for one seed, different for another"
exit $status
