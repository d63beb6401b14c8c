"""suite_hooks: what goldpath's own live runs need from the server -- the
fault hook for the accept race over real sockets (--fault-hooks with
gp_accept_delay_ms=N on the upgrade URL) and the peer line that links a
connection id to the client socket."""

import asyncio
import re
import time

from gp_suite import run_with_server, wait_idle
from gp_wsclient import Client, make_token, msg


async def timed_ready(url, token):
    t0 = time.monotonic()
    c = await Client.connect(url, token=token)
    await c.ready()
    return c, time.monotonic() - t0


def test_accept_delay_hook(binary):
    async def body(srv):
        tok = make_token(srv.secret, sub="hook")
        c, t = await timed_ready(srv.url + "?gp_accept_delay_ms=600", tok)
        assert t >= 0.55, t
        assert c.connection_id
        line = srv.log_lines(f"Connection {c.connection_id} accept delayed by 600 ms (fault hook)")
        assert line, "no fault-hook line"
        await c.close()
        c, t = await timed_ready(srv.url + "?x=1&gp_accept_delay_ms=0", tok)
        assert t < 0.5, t
        await c.close()
        c, t = await timed_ready(srv.url + "?gp_accept_delay_ms=99999999", tok)  # ignored
        assert t < 0.5 and srv.log_lines("ignoring gp_accept_delay_ms=99999999"), t
        await c.close()
        await wait_idle(srv)
    run_with_server(binary, body, ["--fault-hooks"])


def test_hook_off_by_default_and_peer_line(binary):
    async def body(srv):
        tok = make_token(srv.secret, sub="nohook")
        c, t = await timed_ready(srv.url + "?gp_accept_delay_ms=2000", tok)
        assert t < 1.0, t
        host, port = c.ws.local_address[:2]
        line = srv.log_lines(f"Connection {c.connection_id} peer {host}:{port}")
        assert len(line) == 1, (host, port, srv.log_lines("peer"))
        await c.close()
        await wait_idle(srv)
    srv = run_with_server(binary, body)
    assert not srv.log_lines("fault hook")


TESTS = [
    ("accept_delay_hook", test_accept_delay_hook),
    ("hook_off_by_default_and_peer_line", test_hook_off_by_default_and_peer_line),
]
