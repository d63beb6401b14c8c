#!/usr/bin/python3
"""server_metrics_promtool: goldpath-server's /metrics as Prometheus users
expect it, checked against what clients saw.

  server_metrics_promtool.py SERVER VERSION

A server with a fast agent (think and tool 5-15 ms each) serves four golden
paths (two authenticated by header, two by message, three requests each),
beside connections that must not count: one that asks before it is ready
and never authenticates (closed 4408), one with a bad token (closed 4401).
Then /metrics must hold:
  - goldpath_time_to_ready_seconds and goldpath_request_duration_seconds
    as histograms whose _count is the number of connection_ready and
    agent_completed the clients received, with cumulative buckets ending at
    +Inf = _count, and _sum between what the agent's timers force (each
    request waits at least think + tool = 10 ms) and what the clients
    measured around it (the server's interval lies inside the client's);
  - goldpath_build_info{version="VERSION"} 1;
  - the counters a rate is computed from, agreeing with each other and
    with /health (closed = opened once all left; succeeded = attempted -
    failed), and the names other tests read still there;
  - no ERROR line in the server's log (a 404 included).
A second server fails every request (--agent-failure-rate 1): an
AGENT_FAILED error ends a request too.  Both pages go through
`promtool check metrics` (/usr/bin/promtool, Debian's prometheus package);
without promtool everything else is checked and the test reports SKIP (77).
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_lib import (SKIP, Server, golden_path, http_get, make_token,  # noqa: E402
                        wait_for)

PORTS = (22000, 24000)
PROMTOOL = "/usr/bin/promtool"
FAST = ["--think-ms", "5:15", "--tool-ms", "5:15"]


def parse(text):
    """{sample name with labels: value}, and {family: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples, types


def histogram(samples, types, name):
    """(buckets [(le, cumulative count)], sum, count) of a histogram family."""
    assert types.get(name) == "histogram", f"{name} is {types.get(name)}, not a histogram"
    buckets = []
    for key, value in samples.items():
        m = re.fullmatch(re.escape(name) + r'_bucket\{le="([^"]+)"\}', key)
        if m:
            buckets.append((float(m.group(1)), value))
    buckets.sort()
    assert buckets and buckets[-1][0] == float("inf"), f"{name}: no +Inf bucket"
    counts = [c for _, c in buckets]
    assert counts == sorted(counts), f"{name}: buckets not cumulative: {buckets}"
    count, total = samples[f"{name}_count"], samples[f"{name}_sum"]
    assert buckets[-1][1] == count, f"{name}: +Inf {buckets[-1][1]} != _count {count}"
    return buckets, total, count


def promtool(text, where):
    if not os.path.exists(PROMTOOL):
        return False
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        f"promtool check metrics ({where}) says:\n{p.stdout}{p.stderr}"
    return True


def metrics(srv):
    status, headers, text = http_get(srv.port, "/metrics")
    assert status == 200 and "version=0.0.4" in headers["Content-Type"], (status, headers)
    return text


def health(srv):
    status, _, body = http_get(srv.port, "/health")
    assert status == 200, status
    return json.loads(body)


async def timed_golden_path(url, token, requests, header_auth, seen):
    """golden_path, with the client's own view: how long until ready, and
    how long each request took from its send to its last event."""
    import websockets

    t0 = time.monotonic()
    headers = {"Authorization": "Bearer " + token} if header_auth else None
    async with websockets.connect(url, subprotocols=["goldpath.v1"], extra_headers=headers,
                                  ping_interval=None, open_timeout=10) as ws:
        if not header_auth:
            await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
        ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ready["type"] == "connection_ready", ready
        seen["ready"].append(time.monotonic() - t0)
        for n in range(requests):
            t1 = time.monotonic()
            await ws.send(json.dumps({"type": "agent_execution", "request_id": f"q{n}",
                                      "data": {"message": f"what is {n}?"}}))
            while True:
                ev = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert ev["data"].get("request_id") == f"q{n}", ev
                if ev["type"] in ("agent_completed", "error"):
                    break
            seen["ended"].append((ev["type"], ev["data"].get("code"), time.monotonic() - t1))


async def never_ready(url, token_bad):
    """Two connections that must not count in either histogram."""
    import websockets

    async with websockets.connect(url, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "agent_execution", "data": {"message": "early"}}))
        err = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert err["data"]["code"] == "NOT_READY", err
        await asyncio.wait_for(ws.wait_closed(), 10)  # the auth timeout
        assert ws.close_code == 4408, ws.close_code
    async with websockets.connect(url, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "auth", "data": {"token": token_bad}}))
        err = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert err["data"]["code"] == "AUTH_FAILED", err
        await asyncio.wait_for(ws.wait_closed(), 10)


def wait_idle(srv):
    return wait_for(lambda: health(srv)["websocket"]["active_connections"] == 0 and health(srv),
                    "every connection to close")


def check_golden(server, version):
    srv = Server(server, FAST + ["--auth-timeout-ms", "400"], ports=PORTS)
    try:
        srv.start()
        url = f"ws://127.0.0.1:{srv.port}/ws"
        empty = metrics(srv)
        samples, types = parse(empty)
        for name in ("goldpath_time_to_ready_seconds", "goldpath_request_duration_seconds"):
            _, total, count = histogram(samples, types, name)
            assert count == 0 and total == 0, (name, count, total)
        checked = promtool(empty, "before any client")

        seen = {"ready": [], "ended": []}

        async def clients():
            await asyncio.gather(
                never_ready(url, make_token("not-the-secret", sub="eve")),
                *[timed_golden_path(url, make_token(srv.secret, sub=f"u{i}"), 3, i % 2 == 0, seen)
                  for i in range(4)])
        asyncio.run(clients())
        # a refusal served while lws adopts the connection is no error: the
        # server used to log "Could not hand a connection over" for each
        assert http_get(srv.port, "/nope")[0] == 404
        h = wait_idle(srv)
        text = metrics(srv)
        checked = promtool(text, "after the golden paths") and checked
        samples, types = parse(text)

        assert len(seen["ready"]) == 4 and len(seen["ended"]) == 12, seen
        assert all(kind == "agent_completed" for kind, _, _ in seen["ended"]), seen
        buckets, total, count = histogram(samples, types, "goldpath_time_to_ready_seconds")
        assert count == 4, f"time to ready counted {count} connections, clients saw 4 ready"
        assert 0 < total <= sum(seen["ready"]), (total, seen["ready"])
        buckets, total, count = histogram(samples, types, "goldpath_request_duration_seconds")
        assert count == 12, f"request duration counted {count} requests, clients saw 12 end"
        # each request waits for think + tool >= 10 ms on the server's timers
        assert 12 * 0.010 <= total <= sum(t for _, _, t in seen["ended"]), \
            (total, [t for _, _, t in seen["ended"]])
        assert dict(buckets)[0.005] == 0, f"a request under 5 ms is impossible: {buckets}"

        assert samples[f'goldpath_build_info{{version="{version}"}}'] == 1, \
            [k for k in samples if k.startswith("goldpath_build_info")]
        ws, totals = h["websocket"], h["totals"]
        opened = samples["goldpath_connections_total"]
        assert opened == totals["connections"] == 6, (opened, totals)
        assert samples["goldpath_connections_closed_total"] == opened, samples
        assert samples["goldpath_connections_ready_total"] == 4
        assert samples["goldpath_requests_total"] == samples["goldpath_requests_completed_total"] \
            == totals["requests_completed"] == 12
        attempted = samples["goldpath_transitions_attempted_total"]
        failed = samples["goldpath_transitions_failed_total"]
        assert attempted == ws["transitions_attempted"] and failed == ws["transitions_failed"]
        assert samples["goldpath_transitions_succeeded_total"] == attempted - failed > 0
        for kind, name in (("counter", "goldpath_connections_closed_total"),
                           ("counter", "goldpath_transitions_succeeded_total"),
                           ("gauge", "goldpath_build_info"),
                           ("gauge", "goldpath_state_transition_success_rate"),
                           ("gauge", "goldpath_active_connections"),
                           ("counter", "goldpath_requests_total")):
            assert types.get(name) == kind, (name, types.get(name))
        assert srv.stop() == 0
        errors = [ln for ln in srv.err.splitlines() if " ERROR " in ln]
        assert not errors, "ERROR lines in the server's log:\n" + "\n".join(errors)
        return checked
    finally:
        srv.cleanup()


def check_failures(server):
    srv = Server(server, FAST + ["--agent-failure-rate", "1"], ports=PORTS)
    try:
        srv.start()
        url = f"ws://127.0.0.1:{srv.port}/ws"
        seen = {"ready": [], "ended": []}
        asyncio.run(timed_golden_path(url, make_token(srv.secret, sub="f"), 4, True, seen))
        wait_idle(srv)
        text = metrics(srv)
        checked = promtool(text, "after failed requests")
        samples, types = parse(text)
        assert [code for _, code, _ in seen["ended"]] == ["AGENT_FAILED"] * 4, seen
        _, total, count = histogram(samples, types, "goldpath_request_duration_seconds")
        assert count == 4 == samples["goldpath_requests_failed_total"], (count, samples)
        assert 0 < total <= sum(t for _, _, t in seen["ended"]), (total, seen)
        assert srv.stop() == 0
        return checked
    finally:
        srv.cleanup()


def main():
    if len(sys.argv) != 3:
        print("usage: server_metrics_promtool.py SERVER VERSION", file=sys.stderr)
        return 2
    checked = check_golden(sys.argv[1], sys.argv[2])
    checked = check_failures(sys.argv[1]) and checked
    if not checked:
        print(f"SKIP: {PROMTOOL} not found (apt-get install prometheus); the rest passed")
        return SKIP
    print("server_metrics_promtool: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
