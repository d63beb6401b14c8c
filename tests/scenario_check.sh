#!/usr/bin/env bash
# scenario_check.sh: runs one shipped scenario through `goldpath run` and
# checks the exit status and what summary.json says.
#
#   scenario_check.sh GOLDPATH SCENARIO EXPECTED_EXIT OUT_DIR [extra args...]
#
# EXPECTED_EXIT 0: every expectation held; for a bug scenario that means
# every violation its expect.violations lists was caught.
# EXPECTED_EXIT 1: something did not hold; for a bug scenario run on the
# fixed server (--set 'server.bugs=[]') at least one expected violation
# must be reported missed.
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
python3 - "$summary" "$want" <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
checks = {c["name"]: c for c in s["checks"]}
expected = s["expected_violations"]
unjudged = [c["name"] for c in s["checks"] + s["expectations"] if c["status"] == "unjudged"]
if want == 0:
    if not s["passed"]:
        sys.exit("scenario_check: exit 0 but summary.json says not passed")
    if unjudged:
        sys.exit("scenario_check: not judged: %s" % unjudged)
    missed = [v for v in expected if checks[v]["status"] != "caught"]
    if missed:
        sys.exit("scenario_check: expected violations not caught: %s" % missed)
    if expected:
        print("scenario_check: caught as expected: " + ", ".join(expected))
else:
    if s["passed"]:
        sys.exit("scenario_check: exit 1 but summary.json says passed")
    if expected and not [v for v in expected if checks[v]["status"] == "missed"]:
        sys.exit("scenario_check: a bug scenario failed without missing an expected violation")
PY
echo "scenario_check: $scenario exited $got as expected"
