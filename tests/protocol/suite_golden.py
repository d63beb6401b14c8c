"""suite_golden: the golden path of PROTOCOL.md against the live server --
both auth styles, with and without the goldpath.v1 subprotocol, several
requests (concurrent ones interleave, each request's five events in order),
ping, fragmented messages, and many clients at once."""

import asyncio

from gp_suite import run_with_server, wait_idle
from gp_wsclient import SUBPROTOCOL, Client, make_token, msg, run_requests

FAST = ["--think-ms", "5:30", "--tool-ms", "5:20"]


async def golden_path(srv, header_auth, subprotocols, sub):
    token = make_token(srv.secret, sub=sub)
    c = await Client.connect(srv.url, token=token if header_auth else None,
                             subprotocols=subprotocols)
    expected_sp = SUBPROTOCOL if SUBPROTOCOL in subprotocols else None
    assert c.ws.subprotocol == expected_sp, \
        f"negotiated subprotocol {c.ws.subprotocol!r}, expected {expected_sp!r}"
    if header_auth:
        await c.ready()
    else:
        await c.auth(token)
    assert c.user_id == sub, (c.user_id, sub)
    await c.ping_pong()
    # Three at once (one without request_id: the server assigns and echoes
    # one), then one more on its own.
    got = await run_requests(c, [("r-1", "What is the weather in Paris?"),
                                 ("r-2", "Summarise the incident report"),
                                 (None, "List three open tickets")])
    assert "r-1" in got and "r-2" in got
    await run_requests(c, [("r-4", "One more, please")])
    await c.close()
    # The id the socket opened with is the id for its whole life: the
    # server's log names it at open, and connection_ready reported it.
    assert srv.log_lines(f"Connection {c.connection_id} opened (CONNECTING)"), \
        f"no open line for {c.connection_id}"
    assert srv.log_lines(f"Connection {c.connection_id} ready (PROCESSING_READY)")
    return c


def make_golden(header_auth, subprotocols):
    def test(binary):
        async def body(srv):
            await golden_path(srv, header_auth, subprotocols, "alice@example.com")
            h = await wait_idle(srv)
            assert h["transitions_failed"] == 0 and h["invalid_state_transitions_24h"] == 0, h
            assert h["connection_id_mismatches"] == 0, h
        run_with_server(binary, body, FAST)
    return test


def test_fragmented(binary):
    async def body(srv):
        token = make_token(srv.secret, sub="frag_user")
        c = await Client.connect(srv.url)
        # auth in three fragments of one text message
        text = msg("auth", {"token": token})
        await c.send([text[:5], text[5:40], text[40:]])
        await c.ready()
        # agent_execution in many small fragments
        text = msg("agent_execution", {"message": "fragmented hello", "agent_type": "supervisor"},
                   request_id="frag-1")
        await c.send([text[i:i + 7] for i in range(0, len(text), 7)])
        events = []
        while len(events) < 5:
            events.append(await c.recv_json())
        assert [e["type"] for e in events] == ["agent_started", "agent_thinking",
                                               "tool_executing", "tool_completed",
                                               "agent_completed"], events
        assert all(e["data"]["request_id"] == "frag-1" for e in events)
        # a large message (60 KB, under the 64 KiB limit) as fragments of 16 KB,
        # each bigger than the server's 4 KB receive buffer, so lws delivers
        # every frame in several pieces
        big = "x" * 60000
        text = msg("agent_execution", {"message": big}, request_id="big-1")
        await c.send([text[i:i + 16000] for i in range(0, len(text), 16000)])
        events = [await c.recv_json() for _ in range(5)]
        assert [e["data"]["request_id"] for e in events] == ["big-1"] * 5, events
        # and one unfragmented 60 KB frame
        await c.send(msg("agent_execution", {"message": big}, request_id="big-2"))
        events = [await c.recv_json() for _ in range(5)]
        assert [e["type"] for e in events][-1] == "agent_completed", events
        await c.ping_pong()
        await c.close()
        await wait_idle(srv)
    run_with_server(binary, body, FAST)


def test_many_clients(binary):
    """40 clients, half authenticating by header, half by message, each with
    two concurrent requests: every client sees only its own events."""
    async def one(srv, i):
        sub = f"user-{i}"
        token = make_token(srv.secret, sub=sub)
        by_header = i % 2 == 0
        c = await Client.connect(srv.url, token=token if by_header else None,
                                 subprotocols=(SUBPROTOCOL,) if i % 3 else ())
        if by_header:
            await c.ready()
        else:
            await c.auth(token)
        assert c.user_id == sub
        await run_requests(c, [(f"c{i}-a", f"question a from {i}"),
                               (f"c{i}-b", f"question b from {i}")])
        await c.close()
        return c.connection_id

    async def body(srv):
        ids = await asyncio.gather(*(one(srv, i) for i in range(40)))
        assert len(set(ids)) == 40, "connection ids must be unique"
        h = await wait_idle(srv)
        assert h["transitions_failed"] == 0, h
        assert h["stuck_in_connecting"] == 0, h
        full = srv.health()
        assert full["totals"]["requests_completed"] == 80, full["totals"]
    run_with_server(binary, body, FAST)


def test_authorization_header_forms(binary):
    """The scheme is case-insensitive ("bearer" works); another scheme
    (Basic) is not a token: the client can still authenticate by message
    (our decision, docs/protocol.md)."""
    async def body(srv):
        import websockets
        token = make_token(srv.secret, sub="lower")
        ws = await websockets.connect(srv.url, extra_headers={"Authorization": "bearer " + token},
                                      ping_interval=None)
        c = Client(ws)
        await c.ready()
        assert c.user_id == "lower"
        await c.close()
        ws = await websockets.connect(srv.url, extra_headers={"Authorization": "Basic dTpw"},
                                      ping_interval=None)
        c = Client(ws)
        await c.auth(make_token(srv.secret, sub="basic-user"))
        await c.ping_pong()
        await c.close()
    run_with_server(binary, body, FAST)


def test_unknown_subprotocol_only(binary):
    """A client that offers subprotocols, none of them goldpath.v1, is told so
    with HTTP 400 before the handshake (libwebsockets 4.1.6 would otherwise
    hang up without an answer).  Offering goldpath.v1 among others selects it.
    Our decision, docs/protocol.md."""
    async def body(srv):
        import websockets
        try:
            await Client.connect(srv.url, subprotocols=("chat.v9",))
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == 400, e
        else:
            raise AssertionError("an unknown-only subprotocol offer was accepted")
        c = await Client.connect(srv.url, subprotocols=("chat.v9", SUBPROTOCOL))
        assert c.ws.subprotocol == SUBPROTOCOL
        await c.auth(make_token(srv.secret, sub="u"))
        await c.close()
        # the server still serves
        c = await Client.connect(srv.url, subprotocols=())
        await c.auth(make_token(srv.secret, sub="u"))
        await c.close()
    run_with_server(binary, body, FAST)


def test_slow_accept_holds_messages(binary):
    """--accept-delay-ms: a message sent before the accept completes is held
    and applied after it, so the client still gets connection_ready."""
    async def body(srv):
        import time
        t0 = time.monotonic()
        c = await Client.connect(srv.url)
        await c.auth(make_token(srv.secret, sub="patient"))
        assert time.monotonic() - t0 >= 0.25, "connection_ready before the accept completed"
        await run_requests(c, [("s-1", "after a slow accept")])
        await c.close()
        h = await wait_idle(srv)
        assert h["transitions_failed"] == 0, h
    run_with_server(binary, body, FAST + ["--accept-delay-ms", "300"])


def test_accept_race_bug_is_visible(binary):
    """--bug accept_race with a slow accept: the early auth is processed
    before the accept (CONNECTING -> AUTHENTICATED is refused), the client
    never gets connection_ready, the connection is reported stuck.  What the
    harness must catch, on real sockets."""
    async def body(srv):
        c = await Client.connect(srv.url)
        await c.send(msg("auth", {"token": make_token(srv.secret, sub="raced")}))
        try:
            m = await c.recv_json(timeout=1.0)
        except AssertionError:
            m = None
        assert m is None or m["type"] != "connection_ready", m
        h = await asyncio.to_thread(srv.wait_health, lambda h: h["stuck_in_connecting"] >= 1)
        assert h["invalid_state_transitions_24h"] >= 1, h
        await c.close()
    srv = run_with_server(binary, body, ["--bug", "accept_race", "--accept-delay-ms", "300",
                                         "--stuck-after-ms", "200"])
    assert srv.log_lines("Failed to transition state machine to AUTHENTICATED")
    assert srv.log_lines("state machine never reached ready state")


TESTS = [
    ("header_auth_with_subprotocol", make_golden(True, (SUBPROTOCOL,))),
    ("header_auth_without_subprotocol", make_golden(True, ())),
    ("message_auth_with_subprotocol", make_golden(False, (SUBPROTOCOL,))),
    ("message_auth_without_subprotocol", make_golden(False, ())),
    ("fragmented_messages", test_fragmented),
    ("many_clients", test_many_clients),
    ("authorization_header_forms", test_authorization_header_forms),
    ("unknown_subprotocol_only", test_unknown_subprotocol_only),
    ("slow_accept_holds_messages", test_slow_accept_holds_messages),
    ("accept_race_bug_is_visible", test_accept_race_bug_is_visible),
]
