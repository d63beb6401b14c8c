#!/usr/bin/env bash
# live_tls.sh: wss:// against goldpath-server with a certificate this test
# makes (issue 12): with the CA trusted the golden path passes, with the
# server's log as evidence; without the CA the run stops at once (exit 2)
# with a message that says the certificate does not verify and how to trust
# it; --insecure runs, loudly; a ws:// URL to the TLS port fails and says so.
#
#   live_tls.sh GOLDPATH GOLDPATH_SERVER SCENARIO
set -u
GOLDPATH=$1
SERVER=$2
SCEN=$3
# a port below 32768, never --port 0 (tests/pick_port.sh)
. "$(dirname "$0")/pick_port.sh"
work=$(mktemp -d /tmp/gp-tls-XXXXXX)
pid=
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "live_tls: FAIL: $*" >&2; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$work/key.pem" -out "$work/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null || fail "openssl req"
# writes $work/port and $work/server.log; another port if it loses the race
gp_start_server "$work" "$SERVER" --log-level info \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" ||
    fail "the TLS server did not start: $(tail -3 "$work/server.log")"
pid=$gp_server_pid
port=$gp_server_port
url=wss://127.0.0.1:$port/ws
common=(run "$SCEN" --mode live --clients 100 --set clients.window_ms=500 -q --no-plots)

"$GOLDPATH" "${common[@]}" --url "$url" --tls-ca "$work/cert.pem" --server-log "$work/server.log" \
    --out "$work/trusted" >"$work/trusted.txt" 2>&1 ||
    fail "with the CA trusted the run failed: $(tail -20 "$work/trusted.txt")"
python3 -c "
import json,sys
s=json.load(open('$work/trusted/summary.json'))
assert s['clients']['completed']==100, s['clients']
assert s['evidence']['health'] and s['evidence']['lifecycle'], s['evidence']
" || fail "the trusted run did not read /health over https or did not complete"

"$GOLDPATH" "${common[@]}" --url "$url" --server-log "$work/server.log" --out "$work/untrusted" \
    >"$work/untrusted.txt" 2>&1
rc=$?
[[ $rc -eq 2 ]] || fail "without the CA: exit $rc, not 2"
grep -q "does not verify" "$work/untrusted.txt" && grep -q -- "--tls-ca" "$work/untrusted.txt" ||
    fail "without the CA the message does not say why and what to do: $(cat "$work/untrusted.txt")"
[[ ! -e $work/untrusted/summary.json ]] || fail "a refused run wrote a report"

"$GOLDPATH" "${common[@]}" --url "wss://localhost:$port/ws" --insecure \
    --server-log "$work/server.log" --out "$work/insecure" >"$work/insecure.txt" 2>&1 ||
    fail "--insecure failed: $(tail -5 "$work/insecure.txt")"
grep -q "WARNING: --insecure" "$work/insecure.txt" || fail "--insecure is not reported loudly"

"$GOLDPATH" run "$SCEN" --mode live --clients 5 --url "ws://127.0.0.1:$port/ws" -q --no-plots \
    --set 'expect.server_log="none"' --out "$work/plain" >"$work/plain.txt" 2>&1
rc=$?
[[ $rc -ne 0 ]] || fail "ws:// to a TLS port passed"
grep -q "no client could connect" "$work/plain.txt" || fail "ws:// to a TLS port: no explanation"
echo "live_tls: ok"
