"""suite_bad_input: every row of PROTOCOL.md's bad-input table against ONE live
server (--auth-timeout-ms 300 --max-message 4096), checking the error code,
whether the connection stays open, and the close code; then that the server
still serves the golden path and that /health shows no connection left and
no illegal transition.  Also frames no client library sends (invalid UTF-8,
a ping between fragments, an orphan continuation, an unmasked frame)."""

import asyncio
import json
import time

from gp_rawws import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawWs
from gp_suite import run_with_server, wait_idle
from gp_wsclient import Client, make_token, msg, run_requests

MAX_MESSAGE = 4096
ARGS = ["--auth-timeout-ms", "300", "--max-message", str(MAX_MESSAGE),
        "--think-ms", "5:20", "--tool-ms", "5:10"]

# not JSON, not an object, missing/unknown type, wrong field types
BAD_MESSAGES = [
    "hello",
    "",
    "{",
    "[1, 2, 3]",
    '"just a string"',
    "42",
    '{"data": {}}',
    '{"type": "nope", "data": {}}',
    '{"type": "connection_ready", "data": {}}',  # a server-to-client type
    '{"type": 5, "data": {}}',
    '{"type": "ping", "data": []}',
    '{"type": "ping"}',
    '{"type": "auth", "data": {"token": 5}}',
    '{"type": "auth", "data": {}}',
    '{"type": "agent_execution", "data": {"message": 5}}',
    '{"type": "agent_execution", "data": {"message": "hi"}, "request_id": 7}',
]


async def bad_messages_before_auth(srv):
    """BAD_MESSAGE keeps the connection open, before authentication too.
    (Within the 300 ms auth timeout: a handful of local round trips.)"""
    c = await Client.connect(srv.url)
    for text in BAD_MESSAGES[:6]:
        await c.send(text)
        await c.expect_error("BAD_MESSAGE")
    await c.auth(make_token(srv.secret, sub="bad-before"))
    await c.close()


async def bad_messages_after_ready(srv):
    c = await Client.connect(srv.url, token=make_token(srv.secret, sub="bad-after"))
    await c.ready()
    for text in BAD_MESSAGES:
        await c.send(text)
        m = await c.expect_error("BAD_MESSAGE")
        assert m["data"]["message"], m
    await c.ping_pong()
    await run_requests(c, [("after-bad", "still working?")])
    await c.close()


async def not_ready(srv):
    c = await Client.connect(srv.url)
    await c.send(msg("agent_execution", {"message": "too early"}, request_id="early-1"))
    m = await c.expect_error("NOT_READY")
    assert m["data"].get("request_id") == "early-1", m
    await c.auth(make_token(srv.secret, sub="not-ready"))  # still open
    await run_requests(c, [("late-1", "now it works")])
    await c.close()


async def already_authenticated(srv):
    token = make_token(srv.secret, sub="twice")
    c = await Client.connect(srv.url)
    await c.auth(token)
    await c.send(msg("auth", {"token": token}))
    await c.expect_error("ALREADY_AUTHENTICATED")
    await c.ping_pong()
    await c.close()
    # header auth, then an auth message
    c = await Client.connect(srv.url, token=token)
    await c.ready()
    await c.send(msg("auth", {"token": token}))
    await c.expect_error("ALREADY_AUTHENTICATED")
    await run_requests(c, [("r", "still open")])
    await c.close()


async def auth_required(srv):
    c = await Client.connect(srv.url)
    await c.send(msg("ping"))
    await c.expect_error("AUTH_REQUIRED")
    await c.expect_close(4401)


def bad_tokens(secret):
    now = int(time.time())
    return {
        "bad signature": make_token(secret, sign_with="not-the-secret"),
        "expired": make_token(secret, exp=now - 10, iat=now - 3600),
        "alg none": make_token(secret, alg="none"),
        "alg none with a signature": make_token(secret, header={"alg": "none", "typ": "JWT"}),
        "alg HS512": make_token(secret, header={"alg": "HS512", "typ": "JWT"}),
        "not a JWT": "not-a-jwt",
        "two parts": "abc.def",
        "missing sub": make_token(secret, payload={"exp": now + 3600}),
        "malformed sub": make_token(secret, sub="no spaces allowed"),
        "missing exp": make_token(secret, payload={"sub": "u"}),
        "empty": "",
    }


async def auth_failed(srv):
    for why, token in bad_tokens(srv.secret).items():
        c = await Client.connect(srv.url)
        await c.send(msg("auth", {"token": token}))
        try:
            await c.expect_error("AUTH_FAILED")
            await c.expect_close(4401)
        except AssertionError as e:
            raise AssertionError(f"{why}: {e}") from None
    # "Authorization: Bearer" with no token at all
    import websockets
    c = Client(await websockets.connect(srv.url, extra_headers={"Authorization": "Bearer"},
                                        ping_interval=None))
    await c.expect_error("AUTH_FAILED")
    await c.expect_close(4401)
    # a header token over the 4096-byte limit is still answered (not dropped)
    c = await Client.connect(srv.url, token="x" * 4200)
    await c.expect_error("AUTH_FAILED")
    await c.expect_close(4401)
    for why in ("bad signature", "expired", "alg none"):
        c = await Client.connect(srv.url, token=bad_tokens(srv.secret)[why])
        try:
            await c.expect_error("AUTH_FAILED")
            await c.expect_close(4401)
        except AssertionError as e:
            raise AssertionError(f"header, {why}: {e}") from None


async def auth_timeout(srv):
    t0 = time.monotonic()
    c = await Client.connect(srv.url)
    reason = await c.expect_close(4408, timeout=5)
    elapsed = time.monotonic() - t0
    assert 0.25 <= elapsed < 3.0, f"closed after {elapsed:.3f} s, auth timeout is 0.3 s"
    assert reason, "the close frame should say why"


async def binary_frames(srv):
    c = await Client.connect(srv.url)
    await c.send(b"\x00\x01binary")
    await c.expect_close(1003)
    c = await Client.connect(srv.url, token=make_token(srv.secret, sub="bin"))
    await c.ready()
    await c.send(b'{"type":"ping","data":{}}')  # JSON, but in a binary frame
    await c.expect_close(1003)


async def too_big(srv):
    token = make_token(srv.secret, sub="big")
    # exactly the limit is fine (here: a well-formed message padded to 4096)
    c = await Client.connect(srv.url, token=token)
    await c.ready()
    base = msg("agent_execution", {"message": ""}, request_id="fits")
    text = base.replace('"message": ""', '"message": "' + "y" * (MAX_MESSAGE - len(base)) + '"')
    assert len(text.encode()) == MAX_MESSAGE
    await c.send(text)
    events = [await c.recv_json() for _ in range(5)]
    assert events[-1]["type"] == "agent_completed", events
    # one byte more, in one frame
    await c.send("z" * (MAX_MESSAGE + 1))
    await c.expect_close(1009)
    # over the limit in fragments (each fragment small)
    c = await Client.connect(srv.url, token=token)
    await c.ready()
    await c.send(["a" * 1000 for _ in range(6)])
    await c.expect_close(1009)
    # before authentication too
    c = await Client.connect(srv.url)
    await c.send("q" * (MAX_MESSAGE * 3))
    await c.expect_close(1009)


def raw_frames(srv):
    """Frames no library sends.  Blocking sockets: run in a thread."""
    token = make_token(srv.secret, sub="raw")
    auth = json.dumps({"type": "auth", "data": {"token": token}}).encode()
    # invalid UTF-8 in a text frame: RFC 6455 8.1, close 1007
    r = RawWs(srv.port)
    assert r.status == 101
    r.send_frame(OP_TEXT, b'{"type":"ping","data":{"x":"\xff\xfe"}}')
    code, _ = r.recv_until_close()
    assert code == 1007, f"invalid UTF-8: close {code}"
    r.close()
    # a ping between two fragments of the auth message, and a UTF-8
    # character split across the fragments: both legal
    r = RawWs(srv.port)
    r.send_frame(OP_TEXT, auth[:20], fin=False)
    r.send_frame(OP_PING, b"hi")
    r.send_frame(OP_CONT, auth[20:], fin=True)
    op, payload = r.recv_frame()
    assert op == OP_PONG and payload == b"hi", (op, payload)
    op, payload = r.recv_frame()
    assert op == OP_TEXT and json.loads(payload)["type"] == "connection_ready", payload
    ping = '{"type":"ping","data":{"note":"caf\u00e9"}}'.encode()
    cut = ping.index(b"\xc3") + 1  # inside the two-byte character
    r.send_frame(OP_TEXT, ping[:cut], fin=False)
    r.send_frame(OP_CONT, ping[cut:], fin=True)
    op, payload = r.recv_frame()
    assert op == OP_TEXT and json.loads(payload)["type"] == "pong", payload
    r.close()
    # a continuation frame with no message to continue, a reserved opcode,
    # a reserved bit: protocol errors, close 1002
    for send in (lambda r: r.send_frame(OP_CONT, b"orphan"),
                 lambda r: r.send_frame(3, b"reserved opcode"),
                 lambda r: r.send_frame(OP_BINARY, b"x", rsv=4)):
        r = RawWs(srv.port)
        send(r)
        code, texts = r.recv_until_close()
        assert code == 1002, f"protocol error answered with {code} {texts}"
        r.close()
    # an unmasked client frame: RFC 6455 5.1 says close, but libwebsockets
    # 4.1.6 accepts it (docs/protocol.md).  Either is survivable; the
    # server must not crash.
    r = RawWs(srv.port)
    r.send_frame(OP_TEXT, auth, mask=False)
    op, payload = r.recv_frame()
    assert op == 8 or json.loads(payload)["type"] == "connection_ready", (op, payload)
    r.close()


async def still_serving(srv):
    token = make_token(srv.secret, sub="afterwards")
    c = await Client.connect(srv.url, token=token)
    await c.ready()
    await run_requests(c, [("x-1", "are you still there?"), ("x-2", "and again")])
    await c.close()
    h = await wait_idle(srv)
    assert h["active_connections"] == 0, h
    assert sum(h["by_state"].values()) == 0, h
    assert h["transitions_failed"] == 0 and h["invalid_state_transitions_24h"] == 0, h
    assert h["state_transition_success_rate"] == 1.0, h
    totals = srv.health()["totals"]
    for code in ("BAD_MESSAGE", "NOT_READY", "ALREADY_AUTHENTICATED", "AUTH_REQUIRED",
                 "AUTH_FAILED"):
        assert totals["errors_sent"][code] > 0, (code, totals)
    assert totals["auth_timeouts"] >= 1, totals
    # one log line per lifecycle event, in the incident's words
    assert srv.log_lines("did not authenticate within 300 ms")
    assert srv.log_lines("Authentication failed for ws_")
    for code in (4401, 4408, 1003, 1009):
        assert [l for l in srv.log_lines("Closing connection ws_") if f": {code} " in l], code


def test_table(binary):
    async def body(srv):
        for step in (bad_messages_before_auth, bad_messages_after_ready, not_ready,
                     already_authenticated, auth_required, auth_failed, auth_timeout,
                     binary_frames, too_big):
            try:
                await step(srv)
            except AssertionError as e:
                raise AssertionError(f"{step.__name__}: {e}") from None
        await asyncio.to_thread(raw_frames, srv)
        await still_serving(srv)
    run_with_server(binary, body, ARGS)


TESTS = [("whole_table_one_server", test_table)]
