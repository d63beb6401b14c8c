"""server_lib: what the tests/server_*.py programs share -- start
goldpath-server on a port below 32768, stop it, make tokens, run golden
paths with Python's `websockets` (Debian's python3-websockets), fetch
/health and /metrics, over TLS as well.

Ports: a test port must be below 32768 (the kernel's ephemeral range starts
there: a port may still be held by a connection in TIME_WAIT, or taken by an
outgoing connection, TOOLCHAIN.md), so no test starts a server with
--port 0.  Tests run in parallel (ctest -j2, and other people's builds on the
same machine), so free_port() walks its range from an offset derived from
the pid (and further on with every pick in the same process), checks each
port with bind() on 127.0.0.1, and when the server still loses the race (it
exits 1, "could not listen") it is started again on another one.  The
ranges: server_cli 20000-21999, server_metrics_promtool 22000-23999,
server_tls 24000-25999; tests/protocol and tests/hostile (gp_serverproc.py)
use the whole of PORT_RANGE, 20000-31999, as do the shell tests
(tests/pick_port.sh, the same walk) and goldpath's own live mode.

Every server gets a scratch folder that is removed when it stops; stop()
also fails on a sanitizer report in its stderr (the suite runs in the
ASan/UBSan build too).  A run leaves no process and no file behind.
"""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SECRET = "server-tests-secret"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")
START_TIMEOUT_S = 15.0
SKIP = 77  # ctest SKIP_RETURN_CODE


def bindable(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


PORT_RANGE = (20000, 32000)  # below 32768, where the ephemeral range starts
START_ATTEMPTS = 5  # a server that lost its port to a race is started again
_picks = itertools.count()  # picks so far in this process


def free_port(lo=PORT_RANGE[0], hi=PORT_RANGE[1]):
    """A port in [lo, hi) (below 32768) that 127.0.0.1 can bind just now.

    The walk starts at an offset derived from the pid, so that parallel test
    processes start far apart, and moves on with every pick, so that one
    process's servers (and a retry after a lost race) get other ports."""
    if not 1024 <= lo < hi <= 32768:
        raise ValueError(f"test ports are picked in 1024-32767, not {lo}-{hi - 1}")
    span = hi - lo
    step = 7
    while math.gcd(step, span) != 1:  # a step that visits every port
        step += 2
    start = (os.getpid() * 211 + next(_picks) * 97) % span
    for k in range(span):
        port = lo + (start + k * step) % span
        if bindable(port):
            return port
    raise AssertionError(f"no free port in {lo}-{hi - 1}")


def lost_port(code, stderr):
    """Whether a server that exited before it was ready lost its port (to
    another process, between our probe and its bind): worth another port."""
    return code == 1 and "could not listen" in stderr


class Server:
    """goldpath-server on 127.0.0.1:<a port in [lo, hi)>."""

    def __init__(self, binary, args=(), ports=PORT_RANGE, secret=SECRET, port=None):
        self.binary = binary
        self.args = list(args)
        self.ports = ports
        self.secret = secret
        self.fixed_port = port
        self.dir = tempfile.mkdtemp(prefix="gp-srvtest-")
        self.proc = None
        self.port = None
        self.out = self.err = ""

    def command(self, port):
        cmd = [self.binary, "--port", str(port), "--ready-file",
               os.path.join(self.dir, "ready"), "--jwt-secret", self.secret]
        return cmd + self.args

    def start(self, command=None):
        """Starts the server (command(port) builds its argv) and waits for its
        ready file; returns self.  Retries on another port when it lost one."""
        command = command or self.command
        for _ in range(START_ATTEMPTS):
            port = self.fixed_port or free_port(*self.ports)
            ready = os.path.join(self.dir, "ready")
            if os.path.exists(ready):
                os.remove(ready)
            with open(os.path.join(self.dir, "stdout"), "w") as o, \
                    open(os.path.join(self.dir, "stderr"), "w") as e:
                self.proc = subprocess.Popen(command(port), stdin=subprocess.DEVNULL,
                                             stdout=o, stderr=e)
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if os.path.exists(ready):
                    with open(ready) as f:
                        text = f.read().strip()
                    if text:
                        self.port = int(text)
                        return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("the server did not write its ready file in time")
            if lost_port(self.proc.returncode, self.stderr()) and not self.fixed_port:
                continue  # lost the port to somebody else: another one
            raise AssertionError(f"the server exited {self.proc.returncode} before "
                                 f"listening:\n{self.stderr()}")
        raise AssertionError("could not start the server on a free port")

    def stdout(self):
        return self._read("stdout") if self.proc and os.path.isdir(self.dir) else self.out

    def stderr(self):
        return self._read("stderr") if os.path.isdir(self.dir) else self.err

    def _read(self, name):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """SIGTERM; returns the exit status.  Removes the scratch folder and
        fails on a sanitizer report."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("the server did not stop within 30 s on SIGTERM")
        code = self.proc.returncode if self.proc else None
        self.cleanup()
        for mark in SANITIZER_MARKS:
            assert mark not in self.err, f"sanitizer report from the server:\n{self.err[-6000:]}"
        return code

    def cleanup(self):
        """Kills what still runs, keeps the logs, removes the folder.  Idempotent."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if os.path.isdir(self.dir):
            self.out, self.err = self._read("stdout"), self._read("stderr")
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


def run(cmd, timeout=30, **kw):
    """Runs a command to its end: (exit status, stdout, stderr)."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout, p.stderr


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(secret, sub="user-1"):
    """An HS256 JWT for `sub` valid for an hour, made with the standard
    library (not with the server's code)."""
    now = int(time.time())
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": sub, "exp": now + 3600, "iat": now}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


AGENT_EVENTS = ["agent_started", "agent_thinking", "tool_executing", "tool_completed",
                "agent_completed"]


async def golden_path(url, token, requests=1, ssl=None, header_auth=True, timeout=10.0):
    """One connection's golden path: connect (token in the Authorization
    header, or as the first message), connection_ready, then `requests`
    agent_execution requests one after another, each answered by the five
    events in order.  Returns the connection id.  Raises on anything else."""
    import websockets  # Debian's python3-websockets

    headers = {"Authorization": "Bearer " + token} if header_auth else None
    async with websockets.connect(url, subprotocols=["goldpath.v1"], extra_headers=headers,
                                  ssl=ssl, open_timeout=timeout, ping_interval=None) as ws:
        if not header_auth:
            await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
        ready = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        assert ready["type"] == "connection_ready", ready
        cid = ready["data"]["connection_id"]
        for n in range(requests):
            rid = f"r-{n}"
            await ws.send(json.dumps({"type": "agent_execution", "request_id": rid,
                                      "data": {"message": f"question {n}",
                                               "agent_type": "supervisor"}}))
            for want in AGENT_EVENTS:
                ev = json.loads(await asyncio.wait_for(ws.recv(), timeout))
                assert ev["type"] == want and ev["data"]["request_id"] == rid, (want, ev)
        return cid


def http_get(port, path, tls_context=None, timeout=10):
    """GET http(s)://127.0.0.1:port/path: (status, headers, body text)."""
    scheme = "https" if tls_context else "http"
    req = urllib.request.Request(f"{scheme}://127.0.0.1:{port}{path}")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=tls_context) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def wait_for(pred, what, timeout=10.0):
    """Polls pred() until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
