"""suite_limits: --max-connections refuses the connection over the limit with
close 1013 ("try again later") and serves again once one leaves; a few
hundred connections at once come and go without leaving anything behind."""

import asyncio
import os

from gp_suite import run_with_server, wait_idle
from gp_wsclient import Client, make_token


def test_max_connections(binary):
    async def body(srv):
        token = make_token(srv.secret, sub="limit")
        clients = []
        for _ in range(3):
            c = await Client.connect(srv.url, token=token)
            await c.ready()
            clients.append(c)
        extra = await Client.connect(srv.url, token=token)
        reason = await extra.expect_close(1013)
        assert "try again" in reason, reason
        await clients.pop().close()
        await asyncio.to_thread(srv.wait_health, lambda h: h["active_connections"] == 2)
        c = await Client.connect(srv.url, token=token)
        await c.ready()
        clients.append(c)
        for c in clients:
            await c.close()
        h = await wait_idle(srv)
        assert h["transitions_failed"] == 0, h
        assert srv.health()["totals"]["connections"] == 4, "the refused one never opened"
    srv = run_with_server(binary, body, ["--max-connections", "3"])
    assert srv.log_lines("Refusing a connection: 3 connections open (--max-connections)")


def test_hundreds_at_once(binary):
    n = 300

    async def one(srv, i, gate):
        c = await Client.connect(srv.url)
        await c.auth(make_token(srv.secret, sub=f"crowd-{i}"))
        await gate.wait()
        await c.ping_pong()
        await c.close()

    async def body(srv):
        gate = asyncio.Event()
        tasks = [asyncio.create_task(one(srv, i, gate)) for i in range(n)]
        h = await asyncio.to_thread(
            srv.wait_health, lambda h: h["by_state"]["PROCESSING_READY"] == n, 30)
        assert h["active_connections"] == n, h
        gate.set()
        await asyncio.gather(*tasks)
        h = await wait_idle(srv)
        assert h["transitions_failed"] == 0 and h["stuck_in_connecting"] == 0, h
    run_with_server(binary, body)


def test_fd_guard(binary):
    """With few fds (ulimit -n 256) the server takes what fits and hangs up
    on sockets beyond it, instead of running out of fds (lws 4.1.6 would spin
    on `accept: errno 24`); afterwards it serves as before."""
    import socket
    import time

    async def body(srv):
        held = []
        for _ in range(300):
            try:
                held.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            except OSError:
                break
        await asyncio.sleep(0.5)
        with open(f"/proc/{srv.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        assert cpu_s < 2.0, f"the server burnt {cpu_s} s of CPU: spinning?"
        nfds = len(os.listdir(f"/proc/{srv.proc.pid}/fd"))
        assert nfds < 256, nfds
        for s in held:
            s.close()
        await asyncio.sleep(0.3)
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="after"))
        await c.ready()
        await c.close()
        await wait_idle(srv)
    srv = run_with_server(binary, body, nofile=256)
    assert "errno 24" not in srv.stderr()
    assert srv.log_lines("Hanging up on new sockets"), "the guard did not engage"



TESTS = [
    ("fd_guard", test_fd_guard),
    ("max_connections", test_max_connections),
    ("hundreds_at_once", test_hundreds_at_once),
]
