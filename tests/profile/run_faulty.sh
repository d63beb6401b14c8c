#!/usr/bin/env bash
# run_faulty.sh: a WebSocket server nobody on the team wrote (faulty_server.py:
# its own message shapes, its token in a header of its own, streamed chunks),
# driven through a profile written from docs/your-server.md alone
# (faulty.profile.json).  Sound, it passes; when it drops, duplicates or
# misroutes events, the checks catch it.
#
#   run_faulty.sh GOLDPATH
set -u
GOLDPATH=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/gp-faulty-XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
# mode : exit wanted : violations that must be found
for row in "ok:0:" "drop:1:missing_agent_events" "duplicate:1:duplicate_events" \
           "misroute:1:isolation"; do
    IFS=: read -r mode want must <<<"$row"
    "$GOLDPATH" run "$here/faulty.json" --mode live -q --no-plots --out "$work/$mode" \
        --server-cmd "/usr/bin/python3 $here/faulty_server.py --port {port} --mode $mode" \
        --server-ready "faulty server ready" >"$work/$mode.txt" 2>&1
    rc=$?
    found=$(/usr/bin/python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['violations']))" \
            "$work/$mode/summary.json" 2>/dev/null)
    if [[ $rc -ne $want ]] || { [[ -n $must ]] && [[ " $found " != *" $must "* ]]; }; then
        echo "run_faulty: FAIL: --mode $mode: exit $rc (want $want), violations: ${found:-none}" >&2
        tail -20 "$work/$mode.txt" >&2
        status=1
    else
        echo "run_faulty: --mode $mode: exit $rc, violations: ${found:-none}"
    fi
done
exit $status
