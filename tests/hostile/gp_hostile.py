"""gp_hostile: helpers shared by the hostile suites -- reading the server's
own figures (/metrics goldpath_server_*), raw sockets that misbehave on
purpose, and a timed golden path."""

import asyncio
import re
import socket
import time

from gp_wsclient import Client, make_token, run_requests


def metrics(srv):
    """{name: value} of the goldpath_server_* lines of /metrics."""
    status, _, body = srv.http("/metrics")
    assert status == 200, status
    out = {}
    for m in re.finditer(r"^goldpath_server_(\w+) (\d+)$", body, re.M):
        out[m.group(1)] = int(m.group(2))
    assert out, "no goldpath_server_* figures on /metrics (the driver's figures are missing)"
    return out


async def connect_small_window(srv, rcvbuf=8192, **kw):
    """A Client whose socket has a small receive buffer: it reads all the
    time, but the server's answers back up in the server's own queue as soon
    as the client sends faster than the window drains (a phone on a slow
    link, a busy browser tab)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setblocking(False)
    await asyncio.get_running_loop().sock_connect(s, ("127.0.0.1", srv.port))
    return await Client.connect(srv.url, sock=s, **kw)


def raw_connect(port, src="127.0.0.1", timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def http_exchange(port, request, timeout=5.0):
    """Sends a raw request; returns (status, headers text, body) of the
    answer, or (None, '', '') when the server hung up without one."""
    s = raw_connect(port, timeout=timeout)
    try:
        s.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return None, "", ""
            buf += chunk
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        return int(lines[0].split(" ", 2)[1]), "\r\n".join(lines[1:]), body.decode(errors="replace")
    except (ConnectionResetError, socket.timeout):
        return None, "", ""
    finally:
        s.close()


async def golden_path(srv, sub="golden", timeout=10.0):
    """Connects, authenticates, runs one request; returns the seconds it took."""
    t0 = time.monotonic()
    c = await asyncio.wait_for(Client.connect(srv.url, token=make_token(srv.secret, sub=sub)),
                               timeout)
    await c.ready(timeout)
    await run_requests(c, [(None, "how long does this take?")], timeout)
    await c.close()
    return time.monotonic() - t0
