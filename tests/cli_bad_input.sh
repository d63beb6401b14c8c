#!/usr/bin/env bash
# cli_bad_input.sh: goldpath on bad input exits 2 at once with a clear
# message, never hangs: a scenario path that is a FIFO with no writer, or a
# folder; --url to a port where nothing listens ("cannot reach", not a failed
# run after seconds); more live clients than one process drives; a
# protocol profile with faults.bad_input.
#
#   cli_bad_input.sh GOLDPATH SCENARIO
set -uo pipefail
goldpath=$1 scenario=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0

# expect NAME REGEX -- COMMAND...: exit 2 within 10 s, stderr matching REGEX
expect() {
    local name=$1 re=$2
    shift 3
    local t0=$SECONDS
    timeout 10 "$@" > "$dir/out" 2> "$dir/err"
    local got=$?
    if [[ $got -ne 2 ]]; then
        echo "FAIL $name: exit $got, expected 2 (124: it hung)"; cat "$dir/err"; fails=$((fails + 1))
    elif ! grep -Eq -- "$re" "$dir/err"; then
        echo "FAIL $name: stderr does not match $re:"; cat "$dir/err"; fails=$((fails + 1))
    else
        echo "ok   $name ($((SECONDS - t0)) s): $(head -c 200 "$dir/err")"
    fi
}

mkfifo "$dir/fifo"
expect fifo "fifo: not a regular file.*pipe" -- "$goldpath" run "$dir/fifo" --out "$dir/r"
expect folder "not a regular file.*folder" -- "$goldpath" run "$dir" --out "$dir/r"
# a port below 32768 that nothing listens on: bind one, note it, close it
port=$(python3 -c 'import socket,random
for p in random.sample(range(20000,32000),200):
    s=socket.socket()
    try:
        s.bind(("127.0.0.1",p)); s.close(); print(p); break
    except OSError: pass')
expect closed_port "cannot reach 127\.0\.0\.1:$port" -- "$goldpath" run "$scenario" --mode live \
    --url "ws://127.0.0.1:$port/ws" --out "$dir/r"
expect too_many_live "clients\.count is 1500000: live mode drives at most" -- \
    "$goldpath" run "$scenario" --mode live --clients 1500000 --out "$dir/r"
expect too_many "--clients: \"20000000\" is not a whole number from 1 to 2000000" -- \
    "$goldpath" run "$scenario" --clients 20000000 --out "$dir/r"
# the bad-input table is goldpath.v1's: a profile run refuses it before
# starting anything, naming the field and the way out
root=$(dirname "$scenario")/..
expect profile_bad_input "faults\.bad_input\.not_json is judged by goldpath\.v1's bad-input table.*without --profile" -- \
    "$goldpath" run "$root/scenarios/bad_input.json" --mode live \
    --profile "$root/profiles/goldpath.v1.json" --out "$dir/r"
[[ $fails -eq 0 ]] && echo "cli_bad_input: all refused as they should be"
exit $((fails > 0))
