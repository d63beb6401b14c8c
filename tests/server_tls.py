#!/usr/bin/python3
"""server_tls: goldpath-server with --tls-cert and --tls-key, from outside.

  server_tls.py SERVER

The certificates are made here with the openssl command line, in a temporary
folder removed at the end: a self-signed certificate for 127.0.0.1 and
localhost with its key, a second key, an encrypted key.  The clients are
Debian's Python (ssl, urllib, websockets), which nobody on the team wrote.

  - bad files stop the server with exit 2 and a line naming the flag and the
    file: missing, a folder, a key given as the certificate, a certificate
    given as the key, another certificate's key, an encrypted key;
  - the start-up line says wss:// and https://;
  - trusting the certificate (it is its own CA), wss golden paths work
    (token in the header and in the first message, 30 at once, a 60 KB
    message, several requests, 3000 pings sent before any pong is read),
    and so do https /health and /metrics, whose
    figures count them; the log's peer line names the client's own TCP
    port; the log has no ERROR line;
  - without trusting it the handshake fails with a certificate
    verification error; plain ws:// and http:// to the TLS port fail;
  - the front door still stands in front over TLS: its header deadline
    drops a client that never starts its handshake and one that sends no
    head after it, 426 for a wrong Sec-WebSocket-Version, 404 for another
    path, the subprotocol list rewritten;
  - close codes pass through (a bad token: AUTH_FAILED then 4401); after the
    clients leave no TLS link is left; on SIGTERM an open wss client gets
    1001 and the server exits 0.
"""

import asyncio
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in tests/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_lib import (Server, free_port, golden_path, http_get, make_token, run,  # noqa: E402
                        wait_for)

PORTS = (24000, 26000)
HEADER_MS = 1500  # --header-timeout-ms
CROWD = 30  # golden paths at once, beside the others
PINGS = 3000  # about 200 KB in, 80 KB out: more than a link holds


def openssl(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"openssl {' '.join(args)}:\n{p.stderr}"


def make_files(d):
    """cert.pem + key.pem (self-signed, 127.0.0.1 and localhost), other.pem (a
    key of another certificate), enc.pem (an encrypted key)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
            "-out", "cert.pem", "-days", "2", "-subj", "/CN=goldpath test",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", "other.pem", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-aes-256-cbc", "-pass", "pass:secret", "-out", "enc.pem", cwd=d)
    return {name: os.path.join(d, name + ".pem") for name in ("cert", "key", "other", "enc")}


def check_bad_files(server, f, d):
    missing = os.path.join(d, "missing.pem")
    cases = [
        ([missing, f["key"]], f"--tls-cert {missing}: cannot read it: No such file or directory"),
        ([d, f["key"]], f"--tls-cert {d}: cannot read it: Is a directory"),
        ([f["key"], f["key"]], f"--tls-cert {f['key']}: not a PEM certificate"),
        ([f["cert"], missing], f"--tls-key {missing}: cannot read it"),
        ([f["cert"], f["cert"]], f"--tls-key {f['cert']}: not a PEM private key"),
        ([f["cert"], f["other"]],
         f"--tls-key {f['other']} is not the private key of the certificate in "
         f"--tls-cert {f['cert']}"),
        ([f["cert"], f["enc"]], f"--tls-key {f['enc']}: the private key is encrypted"),
    ]
    # the server refuses these before it binds: a port below 32768 all the
    # same (never --port 0), and no retry on another one
    port = str(free_port(*PORTS))
    for (cert, key), needle in cases:
        code, out, err = run([server, "--port", port, "--tls-cert", cert, "--tls-key", key])
        assert code == 2, f"{cert} {key}: exit {code}, expected 2\n{err}"
        assert needle in err and out == "", f"{cert} {key}: stderr lacks {needle!r}:\n{err}"
    code, _, err = run([server, "--port", port, "--tls-key", f["key"]])
    assert code == 2 and "--tls-key needs --tls-cert as well" in err, err


def trusting(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


async def expect_refused_handshake(url, ssl_ctx):
    import websockets
    try:
        async with websockets.connect(url, ssl=ssl_ctx, open_timeout=10, ping_interval=None):
            pass
    except ssl.SSLCertVerificationError as e:
        assert "certificate verify failed" in str(e), e
        return
    raise AssertionError("an untrusted certificate was accepted")


async def expect_plain_fails(url):
    import websockets
    try:
        async with websockets.connect(url, open_timeout=5, ping_interval=None):
            pass
    except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake,
            websockets.exceptions.ConnectionClosed, EOFError) as e:
        return type(e).__name__
    raise AssertionError("plain ws:// to the TLS port opened a WebSocket")


async def big_and_peer(url, ctx, secret, srv):
    """A 60 KB message through the link, and the peer line's port."""
    import websockets
    async with websockets.connect(url, ssl=ctx, subprotocols=["x-other", "goldpath.v1"],
                                  extra_headers={"Authorization": "Bearer " +
                                                 make_token(secret, sub="big")},
                                  ping_interval=None, max_size=2 ** 20) as ws:
        assert ws.subprotocol == "goldpath.v1", ws.subprotocol  # the door's rewrite
        ready = json.loads(await ws.recv())
        cid = ready["data"]["connection_id"]
        port = ws.local_address[1]
        text = "x" * 60000
        await ws.send(json.dumps({"type": "agent_execution", "request_id": "big",
                                  "data": {"message": text}}))
        kinds = []
        while not kinds or kinds[-1] != "agent_completed":
            kinds.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
        assert kinds == ["agent_started", "agent_thinking", "tool_executing",
                         "tool_completed", "agent_completed"], kinds
    line = wait_for(lambda: [ln for ln in srv.stderr().splitlines()
                             if f"Connection {cid} peer " in ln], "the peer line")
    assert line[0].endswith(f"peer 127.0.0.1:{port}"), (line, port)


async def pipelined_pings(url, ctx, secret, count=PINGS):
    """More than the link holds each way: pings sent without reading, then
    every pong read, none lost or doubled."""
    import websockets
    async with websockets.connect(url, ssl=ctx, ping_interval=None, extra_headers={
            "Authorization": "Bearer " + make_token(secret, sub="pings")}) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_ready"
        ping = json.dumps({"type": "ping", "data": {"pad": "p" * 40}})
        for _ in range(count):
            await ws.send(ping)
        for n in range(count):
            got = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert got["type"] == "pong", (n, got)


async def bad_token_closes(url, ctx):
    import websockets
    async with websockets.connect(url, ssl=ctx, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "auth", "data": {"token": "not.a.token"}}))
        err = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert err["type"] == "error" and err["data"]["code"] == "AUTH_FAILED", err
        await asyncio.wait_for(ws.wait_closed(), 10)
        assert ws.close_code == 4401, ws.close_code


def raw_tls_request(port, ctx, head):
    """Sends a request head over TLS and returns the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            t.sendall(head.encode())
            data = b""
            while b"\r\n" not in data:
                chunk = t.recv(4096)
                if not chunk:
                    break
                data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def plain_http_fails(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            return
        assert not data.startswith(b"HTTP/"), f"plain HTTP was answered: {data[:80]!r}"


def check_serving(server, f):
    srv = Server(server, ["--tls-cert", f["cert"], "--tls-key", f["key"],
                          "--think-ms", "5:10", "--tool-ms", "5:10",
                          "--header-timeout-ms", str(HEADER_MS)], ports=PORTS)
    try:
        srv.start()
        out = srv.stdout()
        assert re.search(rf"listening on wss://127\.0\.0\.1:{srv.port}/ws \(health: "
                         rf"https://127\.0\.0\.1:{srv.port}/health\)", out), out
        assert "TLS with " + f["cert"] in srv.stderr(), srv.stderr()
        url = f"wss://127.0.0.1:{srv.port}/ws"
        ctx = trusting(f["cert"])
        # the header deadline runs from accept: it covers a TLS handshake that
        # never starts, and a head that never comes after one
        silent = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        shy = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port), timeout=10),
                              server_hostname="127.0.0.1")
        opened = time.monotonic()

        async def clients():
            await asyncio.gather(
                golden_path(url, make_token(srv.secret, sub="h"), requests=3, ssl=ctx),
                golden_path(url, make_token(srv.secret, sub="m"), requests=2, ssl=ctx,
                            header_auth=False),
                *[golden_path(url, make_token(srv.secret, sub=f"c{i}"), requests=1, ssl=ctx)
                  for i in range(CROWD)])
            await big_and_peer(url, ctx, srv.secret, srv)
            await pipelined_pings(url, ctx, srv.secret)
            await bad_token_closes(url, ctx)
            await expect_refused_handshake(url, ssl.create_default_context())
            await expect_plain_fails(f"ws://127.0.0.1:{srv.port}/ws")
        asyncio.run(clients())
        plain_http_fails(srv.port)
        for sock, what in ((silent, "before the TLS handshake"), (shy, "after it")):
            try:
                got = sock.recv(100)
            except (ConnectionResetError, ssl.SSLError):
                got = b""
            waited = time.monotonic() - opened
            assert got == b"" and waited >= HEADER_MS / 1000 - 0.05, \
                f"a silent client {what}: {got!r} after {waited:.2f} s"
            sock.close()

        status = raw_tls_request(srv.port, ctx, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: "
                                 "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                                 "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n\r\n")
        assert status == "HTTP/1.1 426 Upgrade Required", status
        assert raw_tls_request(srv.port, ctx, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n") \
            == "HTTP/1.1 404 Not Found"

        def idle():
            status, _, body = http_get(srv.port, "/health", tls_context=ctx)
            h = json.loads(body)
            # the link that carries this very request is the one left
            return status == 200 and h["websocket"]["active_connections"] == 0 \
                and h["server"]["tls_links"] == 1 and h
        h = wait_for(idle, "every connection and TLS link to close")
        ready, done = 4 + CROWD, 6 + CROWD  # h, m, big, pings; 3 + 2 + 1 requests
        assert h["totals"]["connections_ready"] == ready, h["totals"]
        assert h["server"]["header_timeouts_total"] == 2, h["server"]
        assert h["totals"]["requests_completed"] == done, h["totals"]
        status, headers, text = http_get(srv.port, "/metrics", tls_context=ctx)
        assert status == 200 and f"goldpath_requests_completed_total {done}" in text, text[:400]
        assert f"goldpath_request_duration_seconds_count {done}" in text
        assert f"goldpath_time_to_ready_seconds_count {ready}" in text
        errors = [ln for ln in srv.stderr().splitlines() if " ERROR " in ln]
        assert not errors, "ERROR lines in the server's log:\n" + "\n".join(errors)
        try:
            http_get(srv.port, "/health", tls_context=ssl.create_default_context())
            raise AssertionError("https /health with an untrusted certificate was accepted")
        except Exception as e:  # urllib wraps the ssl error
            assert "CERTIFICATE_VERIFY_FAILED" in str(e), e

        async def open_then_sigterm():
            import websockets
            async with websockets.connect(url, ssl=ctx, ping_interval=None, extra_headers={
                    "Authorization": "Bearer " + make_token(srv.secret, sub="last")}) as ws:
                await ws.recv()  # connection_ready
                srv.proc.send_signal(15)
                await asyncio.wait_for(ws.wait_closed(), 15)
                assert ws.close_code == 1001, ws.close_code
        asyncio.run(open_then_sigterm())
        code = srv.proc.wait(15)  # not stop(): a second SIGTERM would force it
        assert code == 0 and srv.stop() == 0, code
        assert "Shutdown complete: all connections closed" in srv.err, srv.err[-2000:]
    finally:
        srv.cleanup()


def main():
    if len(sys.argv) != 2:
        print("usage: server_tls.py SERVER", file=sys.stderr)
        return 2
    if not shutil.which("openssl"):
        print("SKIP: no openssl command (apt-get install openssl)")
        return 77
    d = tempfile.mkdtemp(prefix="gp-tls-")
    try:
        f = make_files(d)
        check_bad_files(sys.argv[1], f, d)
        check_serving(sys.argv[1], f)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("server_tls: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
