"""suite_shutdown: SIGTERM/SIGINT -- no new connections; an idle connection is
closed 1001 at once; a request in flight completes (all five events), then its
connection is closed 1001; after the grace period whatever is left is closed
1001; the server exits 0.  A second signal stops at once (exit 1)."""

import asyncio
import signal
import time

import websockets

from gp_serverproc import Server
from gp_wsclient import Client, make_token, msg


async def open_ready(srv, sub):
    c = await Client.connect(srv.url, token=make_token(srv.secret, sub=sub))
    await c.ready()
    return c


def run(binary, args, body):
    srv = Server(binary, args).start()
    try:
        code = asyncio.run(body(srv))
    except BaseException:
        srv.kill()
        print("--- server stderr (tail) ---")
        print(srv.stderr()[-5000:])
        raise
    srv.check_clean()
    return srv, code


def test_request_in_flight_completes(binary):
    # think 1.2 s: the request is surely in flight when SIGTERM arrives
    args = ["--think-ms", "1200:1200", "--tool-ms", "50:50", "--shutdown-grace-ms", "10000"]

    async def body(srv):
        busy = await open_ready(srv, "busy")
        idle = await open_ready(srv, "idle")
        await busy.send(msg("agent_execution", {"message": "finish me"}, request_id="inflight"))
        await busy.expect("agent_started")
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        # the idle connection goes at once
        await idle.expect_close(1001, timeout=2)
        assert time.monotonic() - t0 < 1.0, "idle connection not closed promptly"
        # no new connections while shutting down
        try:
            await websockets.connect(srv.url, ping_interval=None, open_timeout=5)
        except (websockets.exceptions.InvalidStatusCode, OSError) as e:
            assert getattr(e, "status_code", 503) == 503, e
        else:
            raise AssertionError("a connection was accepted during shutdown")
        # /health still answers, and says so
        assert srv.health()["status"] == "shutting_down"
        # the request in flight finishes, then 1001
        for t in ("agent_thinking", "tool_executing", "tool_completed", "agent_completed"):
            m = await busy.expect(t)
            assert m["data"]["request_id"] == "inflight"
        await busy.expect_close(1001, timeout=3)
        code = await asyncio.to_thread(srv.wait, 10)
        assert time.monotonic() - t0 < 5.0, "exit took too long"
        return code

    srv, code = run(binary, args, body)
    assert code == 0, f"exit {code}"
    assert srv.log_lines("Received SIGTERM")
    assert srv.log_lines("Shutdown complete")


def test_grace_period_ends_it(binary):
    args = ["--think-ms", "8000:8000", "--shutdown-grace-ms", "400"]

    async def body(srv):
        busy = await open_ready(srv, "slow")
        await busy.send(msg("agent_execution", {"message": "this takes long"}, request_id="slow"))
        await busy.expect("agent_started")
        t0 = time.monotonic()
        srv.signal(signal.SIGINT)
        await busy.expect_close(1001, timeout=5)
        waited = time.monotonic() - t0
        assert 0.3 <= waited < 3.0, f"closed after {waited:.2f} s, grace is 0.4 s"
        return await asyncio.to_thread(srv.wait, 10)

    srv, code = run(binary, args, body)
    assert code == 0, f"exit {code}"
    assert srv.log_lines("Received SIGINT")


def test_idle_server_exits_at_once(binary):
    srv = Server(binary).start()
    t0 = time.monotonic()
    code = srv.stop()
    assert code == 0 and time.monotonic() - t0 < 2.0, (code, time.monotonic() - t0)


def test_second_signal_stops_now(binary):
    args = ["--think-ms", "8000:8000", "--shutdown-grace-ms", "20000"]

    async def body(srv):
        busy = await open_ready(srv, "stuck")
        await busy.send(msg("agent_execution", {"message": "long"}, request_id="long"))
        await busy.expect("agent_started")
        srv.signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        code = await asyncio.to_thread(srv.wait, 10)
        assert time.monotonic() - t0 < 2.0
        return code

    srv, code = run(binary, args, body)
    assert code == 1, f"a forced stop exits 1, got {code}"
    assert srv.log_lines("again: stopping now")


TESTS = [
    ("request_in_flight_completes", test_request_in_flight_completes),
    ("grace_period_ends_it", test_grace_period_ends_it),
    ("idle_server_exits_at_once", test_idle_server_exits_at_once),
    ("second_signal_stops_now", test_second_signal_stops_now),
]
