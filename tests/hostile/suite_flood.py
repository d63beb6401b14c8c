"""suite_flood: clients that read but send in bursts are served, not closed
(issue 10, item 2).  The server pauses reading a connection whose answers
pile up (back-pressure) instead of closing it as "not reading"; only a
client that truly does not read is closed, after --send-stall-ms."""

import asyncio
import json
import socket
import time

from gp_hostile import connect_small_window, metrics
from gp_rawws import OP_TEXT, RawWs
from gp_suite import run_with_server, wait_idle
from gp_wsclient import TIMEOUT_S, Client, make_token, msg

EARLY = 20000
PIPELINED = 10000


async def send_all(c, texts):
    for t in texts:
        await c.send(t)


def test_early_flood_all_not_ready(binary):
    """20,000 agent_execution before authentication from a client that reads
    all the time: each gets NOT_READY and the connection stays open."""
    async def body(srv):
        c = await connect_small_window(srv, subprotocols=())
        texts = [msg("agent_execution", {"message": "early"}, request_id=f"e-{i}")
                 for i in range(EARLY)]
        sender = asyncio.create_task(send_all(c, texts))
        seen = set()
        while len(seen) < EARLY:
            m = await c.recv_json(TIMEOUT_S)
            assert m["type"] == "error" and m["data"]["code"] == "NOT_READY", m
            seen.add(m["data"]["request_id"])
        await sender
        assert len(seen) == EARLY
        await c.auth(make_token(srv.secret, sub="flood-early"))  # still open
        await c.ping_pong()
        await c.close()
        await wait_idle(srv)
        assert not srv.log_lines("not reading"), srv.log_lines("not reading")[:3]
        m = metrics(srv)
        assert m["slow_reader_closes_total"] == 0, m
    run_with_server(binary, body, ["--auth-timeout-ms", "120000"])


def test_pipelined_requests_all_answered(binary):
    """10,000 pipelined agent_execution on a ready connection: every one is
    answered -- its events, or TOO_MANY_REQUESTS beyond the in-flight cap --
    and nothing is closed 1008."""
    async def body(srv):
        c = await connect_small_window(srv, token=make_token(srv.secret, sub="flood-pipe"))
        await c.ready()
        texts = [msg("agent_execution", {"message": "pipelined", "agent_type": "supervisor"},
                     request_id=f"p-{i}") for i in range(PIPELINED)]
        sender = asyncio.create_task(send_all(c, texts))
        answered = set()
        busy = completed = 0
        while len(answered) < PIPELINED:
            m = await c.recv_json(TIMEOUT_S)
            d = m["data"]
            if m["type"] == "error":
                assert d["code"] == "TOO_MANY_REQUESTS", m
                busy += 1
                answered.add(d["request_id"])
            elif m["type"] == "agent_completed":
                completed += 1
                answered.add(d["request_id"])
        await sender
        assert busy + completed == PIPELINED and completed > 0, (busy, completed)
        await c.ping_pong()
        await c.close()
        await wait_idle(srv)
    srv = run_with_server(binary, body, ["--think-ms", "0:2", "--tool-ms", "0:2"])
    assert not srv.log_lines("not reading")


def test_non_reader_is_closed_after_the_stall(binary):
    """A client that never reads: reading it is paused, and after
    --send-stall-ms it is closed as not reading; the server serves others
    meanwhile and afterwards."""
    async def body(srv):
        raw = RawWs(srv.port, rcvbuf=4096,
                    headers=["Authorization: Bearer " + make_token(srv.secret, sub="deaf")])
        assert raw.status == 101
        # each answer is an error of about 150 bytes: the queue fills fast
        bad = msg("nope", {"pad": "x" * 64}).encode()
        t0 = time.monotonic()
        sent = 0
        raw.sock.settimeout(0.2)
        while time.monotonic() - t0 < 15:
            try:
                raw.send_frame(OP_TEXT, bad)
                sent += 1
            except socket.timeout:
                await asyncio.sleep(0.05)  # the server stopped reading us
            except (BrokenPipeError, ConnectionResetError):
                break
            if srv.log_lines("client is not reading"):
                break
        assert srv.log_lines("client is not reading"), f"not closed after {sent} messages"
        m = metrics(srv)
        assert m["rx_pauses_total"] >= 1 and m["slow_reader_closes_total"] == 1, m
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="other"))
        await c.ready()
        await c.ping_pong()
        await c.close()
        raw.close()
        await wait_idle(srv)
    run_with_server(binary, body, ["--send-stall-ms", "1500"])


TESTS = [
    ("early_flood_all_not_ready", test_early_flood_all_not_ready),
    ("pipelined_requests_all_answered", test_pipelined_requests_all_answered),
    ("non_reader_is_closed_after_the_stall", test_non_reader_is_closed_after_the_stall),
]
