"""suite_health: GET /health has PROTOCOL.md's shape and figures that follow
the connections; GET /metrics is Prometheus text with goldpath_* names that
agree with /health; other requests get statuses a client can act on; the
stuck check reports a connection that never gets ready."""

import asyncio
import re

import websockets

from gp_suite import run_with_server, wait_idle
from gp_wsclient import STATES, Client, make_token

WEBSOCKET_KEYS = {
    "active_connections": int, "by_state": dict, "stuck_in_connecting": int,
    "state_transition_success_rate": float, "transitions_attempted": int,
    "transitions_failed": int, "invalid_state_transitions_24h": int,
    "connection_id_mismatches": int,
}


def check_shape(doc):
    assert doc.get("status") == "ok", doc
    ws = doc.get("websocket")
    assert isinstance(ws, dict), doc
    for key, typ in WEBSOCKET_KEYS.items():
        assert key in ws, f"/health websocket.{key} missing: {ws}"
        value = ws[key]
        assert isinstance(value, typ) and not isinstance(value, bool), \
            f"/health websocket.{key} should be {typ.__name__}: {value!r}"
    assert list(ws["by_state"]) == STATES, f"by_state keys: {list(ws['by_state'])}"
    assert all(isinstance(v, int) and v >= 0 for v in ws["by_state"].values()), ws
    assert 0.0 <= ws["state_transition_success_rate"] <= 1.0, ws
    return ws


def test_health_shape_and_figures(binary):
    async def body(srv):
        status, headers, text = srv.http("/health")
        assert status == 200, status
        assert headers["Content-Type"].startswith("application/json"), headers["Content-Type"]
        import json
        ws = check_shape(json.loads(text))
        assert ws["active_connections"] == 0 and ws["state_transition_success_rate"] == 1.0, ws
        assert ws["transitions_attempted"] == 0, ws
        # two ready connections and one waiting for auth
        a = await Client.connect(srv.url, token=make_token(srv.secret, sub="a"))
        await a.ready()
        b = await Client.connect(srv.url)
        await b.auth(make_token(srv.secret, sub="b"))
        c = await Client.connect(srv.url)
        ws = check_shape(srv.health())
        assert ws["active_connections"] == 3, ws
        assert ws["by_state"]["PROCESSING_READY"] == 2, ws
        assert ws["by_state"]["ACCEPTED"] == 1, ws
        assert ws["transitions_attempted"] >= 2 * 4 + 1, ws
        for x in (a, b, c):
            await x.close()
        ws = await wait_idle(srv)
        assert ws["active_connections"] == 0 and sum(ws["by_state"].values()) == 0, ws
        assert ws["transitions_failed"] == 0 and ws["state_transition_success_rate"] == 1.0, ws
        assert ws["stuck_in_connecting"] == 0 and ws["connection_id_mismatches"] == 0, ws
    run_with_server(binary, body)


PROM_LINE = re.compile(r'^(goldpath_[a-z0-9_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? '
                       r'(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$')


def parse_metrics(text):
    samples, typed = {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            assert parts[2].startswith("goldpath_"), line
            if parts[1] == "TYPE":
                assert parts[3] in ("counter", "gauge", "histogram"), line
                typed.add(parts[2])
            continue
        m = PROM_LINE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in typed or family in typed, f"sample before its # TYPE: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(4))
    return samples


def test_metrics(binary):
    async def body(srv):
        a = await Client.connect(srv.url, token=make_token(srv.secret, sub="m"))
        await a.ready()
        status, headers, text = srv.http("/metrics")
        assert status == 200
        ctype = headers["Content-Type"]
        assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype
        s = parse_metrics(text)
        h = srv.health()["websocket"]
        expect = {
            "goldpath_active_connections": h["active_connections"],
            'goldpath_connections_by_state{state="PROCESSING_READY"}': 1,
            "goldpath_stuck_in_connecting": h["stuck_in_connecting"],
            "goldpath_state_transition_success_rate": h["state_transition_success_rate"],
            "goldpath_transitions_attempted_total": h["transitions_attempted"],
            "goldpath_transitions_failed_total": h["transitions_failed"],
            "goldpath_invalid_state_transitions_24h": h["invalid_state_transitions_24h"],
            "goldpath_connection_id_mismatches_total": h["connection_id_mismatches"],
        }
        for name, value in expect.items():
            assert name in s, f"{name} missing from /metrics"
            assert s[name] == value, f"{name} = {s[name]}, /health says {value}"
        for state in STATES:
            assert f'goldpath_connections_by_state{{state="{state}"}}' in s
        await a.close()
        await wait_idle(srv)
        s = parse_metrics(srv.http("/metrics")[2])
        assert s["goldpath_active_connections"] == 0
        assert s["goldpath_connections_total"] == 1 and s["goldpath_connections_ready_total"] == 1
    run_with_server(binary, body)


def test_other_requests(binary):
    async def body(srv):
        assert srv.http("/nope")[0] == 404
        assert srv.http("/")[0] == 404
        assert srv.http("/health?verbose=1")[0] == 200
        status, headers, _ = srv.http("/health", method="POST")
        assert status == 405 and headers["Allow"] == "GET", (status, dict(headers))
        status, headers, _ = srv.http("/ws")
        assert status == 426 and headers["Upgrade"].lower() == "websocket", status
        try:
            await websockets.connect(f"ws://127.0.0.1:{srv.port}/other", ping_interval=None)
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == 404, e
        else:
            raise AssertionError("an upgrade at /other was accepted")
        c = await Client.connect(srv.url + "?client=test")  # a query string is fine
        await c.auth(make_token(srv.secret, sub="q"))
        await c.close()
    run_with_server(binary, body)


def test_stuck_is_reported(binary):
    """A connection that does not authenticate stays in ACCEPTED: after
    --stuck-after-ms it counts as stuck and the incident's line is logged."""
    async def body(srv):
        c = await Client.connect(srv.url)
        h = await asyncio.to_thread(srv.wait_health, lambda h: h["stuck_in_connecting"] == 1)
        assert h["by_state"]["ACCEPTED"] == 1, h
        await asyncio.sleep(0.2)
        lines = srv.log_lines("state machine never reached ready state: "
                              "ApplicationConnectionState.ACCEPTED")
        assert len(lines) == 1, lines
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ERROR Connection ws_", lines[0]), lines
        await c.auth(make_token(srv.secret, sub="late"))
        await c.close()
        h = await wait_idle(srv)
        assert h["stuck_in_connecting"] == 0, h
    run_with_server(binary, body, ["--stuck-after-ms", "200"])


TESTS = [
    ("health_shape_and_figures", test_health_shape_and_figures),
    ("metrics", test_metrics),
    ("other_requests", test_other_requests),
    ("stuck_is_reported", test_stuck_is_reported),
]
