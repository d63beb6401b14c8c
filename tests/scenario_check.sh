#!/usr/bin/env bash
# scenario_check.sh: runs one shipped scenario through `goldpath run` and
# checks the exit status and, for a bug scenario, that the summary names
# every violation its `expect.violations` lists.
#
#   scenario_check.sh GOLDPATH SCENARIO EXPECTED_EXIT OUT_DIR [extra args...]
set -uo pipefail
goldpath=$1 scenario=$2 want=$3 out=$4
shift 4
rm -rf "$out"
"$goldpath" run "$scenario" --out "$out" --quiet --no-plots "$@"
got=$?
if [[ $got -ne $want ]]; then
    echo "scenario_check: $scenario exited $got, expected $want" >&2
    exit 1
fi
summary=$out/summary.json
[[ -s $summary ]] || { echo "scenario_check: no $summary" >&2; exit 1; }
if [[ $want -eq 1 ]]; then
    grep -q '"expected_violations_found": true' "$summary" || {
        echo "scenario_check: $scenario failed, but not with every violation it expects" >&2
        exit 1
    }
    # each expected violation must be among the violations found
    python3 - "$summary" <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
missing = [v for v in s["expected_violations"] if v not in s["violations"]]
if missing or not s["expected_violations"]:
    sys.exit("scenario_check: expected violations not found: %s" % (missing or "(none listed)"))
print("scenario_check: caught as expected: " + ", ".join(s["violations"]))
PY
fi
echo "scenario_check: $scenario exited $got as expected"
