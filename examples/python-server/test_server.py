#!/usr/bin/env python3
"""test_server.py: chat-server's own tests, against the real process.

Each test starts server.py as a subprocess on a free port below 32768 with a
log file in a temporary folder (both cleaned up in tearDown), talks to it
with the websockets client library and urllib, and reads its log.  The tests
mint their tokens with their own code, not the server's, so a server that
signs or checks wrongly cannot agree with itself.

    python3 examples/python-server/test_server.py [-v] [TestName...]

ctest runs it as python_server_selftest (examples/python-server/CMakeLists.txt).
"""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

try:
    import websockets
    import websockets.exceptions
except ImportError:  # same hand-over as server.py: a pyenv/venv python3 lacks it
    if os.path.exists("/usr/bin/python3") and not os.environ.get("CHAT_SERVER_NO_REEXEC"):
        os.environ["CHAT_SERVER_NO_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
MINT = os.path.join(HERE, "mint_token.py")
PROMTOOL = "/usr/bin/promtool"
SECRET = "selftest-secret-%08x" % random.getrandbits(32)

TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
PRELIM_RE = re.compile(r"ws_\d+_\d+\Z")
UNIFIED_RE = re.compile(r"conn_websocket_\d+_[0-9a-f]{8}\Z")
S = "ApplicationConnectionState."


def incident_lines(cid):
    """The incident's four log lines for connection id cid, whole lines."""
    c = re.escape(cid)
    return [
        TS + r" ERROR PHASE 2 FIX 2: Failed to transition state machine to AUTHENTICATED for " + c + "$",
        TS + r" WARNING Invalid state transition for " + c + ": " + S + "CONNECTING -> " + S + "SERVICES_READY$",
        TS + r" ERROR Failed to transition to SERVICES_READY for " + c + "$",
        TS + r" ERROR Connection " + c + " state machine never reached ready state: " + S + "CONNECTING$",
    ]


# Any line of the incident's failure family, for any connection.
FAILURE_FAMILY = re.compile(
    r"Failed to transition|Invalid state transition|never reached ready state|"
    r"accept\(\) race condition|Connection id mismatch")


# ---- tokens, minted independently of the server's code ---------------------

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(claims=None, secret=SECRET, alg="HS384", header=None):
    """A compact JWT.  alg picks the signature (HS384, HS256, or none: empty);
    header overrides the header object."""
    if claims is None:
        claims = {"uid": "alice", "exp": int(time.time()) + 600}
    head = b64u(json.dumps(header if header is not None else {"alg": alg, "typ": "JWT"}).encode())
    body = b64u(json.dumps(claims).encode())
    signing_input = (head + "." + body).encode()
    if alg == "none":
        sig = ""
    else:
        digest = hashlib.sha384 if alg == "HS384" else hashlib.sha256
        sig = b64u(hmac.new(secret.encode(), signing_input, digest).digest())
    return head + "." + body + "." + sig


def claims_for(uid="alice", ttl=600, **extra):
    c = {"uid": uid, "exp": int(time.time()) + ttl}
    c.update(extra)
    return c


# ---- the server process -----------------------------------------------------

_port_picks = itertools.count()


def _free_port_below_32768():
    """A port in 20000-31999 that 127.0.0.1 can bind now (the server may still
    lose it to a race: start() retries).  Never --port 0: the kernel would
    pick one in its ephemeral range (32768 up), where TIME_WAIT and outgoing
    connections collide with test servers.  The walk starts at an offset
    derived from the pid, so parallel runs (ctest -j2) start far apart, and
    moves on with every pick, so successive servers get other ports."""
    lo, span = 20000, 12000
    start = (os.getpid() * 211 + next(_port_picks) * 97) % span
    for k in range(span):
        port = lo + (start + k * 7) % span  # 7: a step that visits every port
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below 32768")


class ServerProc:
    """One server.py process with its log file in tmpdir."""

    def __init__(self, tmpdir, args, name):
        self.args = list(args)
        self.log_path = os.path.join(tmpdir, name + ".log")
        self.err_path = os.path.join(tmpdir, name + ".stderr")
        self.proc = None
        self.port = None  # from the readiness line
        self.asked_port = None  # given as --port

    def start(self, port=None):
        for _ in range(5):
            want = _free_port_below_32768() if port is None else port
            if self._try_start(want):
                return self
            if port is not None:
                break
        raise AssertionError("server did not start; log:\n" + self.log())

    def _try_start(self, port):
        """True once the server is ready; False when it exited because it
        could not bind the port (another process took it meanwhile)."""
        self.asked_port = port
        for path in (self.log_path, self.err_path):
            if os.path.exists(path):
                os.unlink(path)
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, SERVER, "--port", str(port), "--secret", SECRET,
                 "--log-file", self.log_path] + self.args,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        pattern = re.compile(r"^" + TS + r" INFO chat-server listening on 127\.0\.0\.1:(\d+)$", re.M)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = pattern.search(self.log())
            if m:
                self.port = int(m.group(1))
                return True
            if self.proc.poll() is not None:
                if self.proc.returncode == 1 and " ERROR chat-server cannot listen on " in self.log():
                    return False  # the port was taken meanwhile
                raise AssertionError("server exited %d before it listened; log:\n%s\nstderr:\n%s"
                                     % (self.proc.returncode, self.log(), self.stderr()))
            time.sleep(0.02)
        self.kill()
        raise AssertionError("no readiness line within 10 s; log:\n" + self.log())

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stderr(self):
        try:
            with open(self.err_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class Base(unittest.TestCase):
    """Starts servers on demand and kills them in tearDown."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="chat-selftest-")
        self._servers = []

    def tearDown(self):
        for srv in self._servers:
            srv.kill()
        self._tmp.cleanup()

    def start_server(self, *args, port=None):
        srv = ServerProc(self._tmp.name, args, "server%d" % len(self._servers))
        self._servers.append(srv)
        self.srv = srv.start(port)
        return srv

    # -- clients --

    def url(self, token=None, path="/v2/chat", srv=None):
        srv = srv or self.srv
        token = make_token() if token is None else token
        return "ws://127.0.0.1:%d%s?access_token=%s" % (srv.port, path, token)

    def connect(self, token=None, **kw):
        kw.setdefault("open_timeout", 5)
        kw.setdefault("close_timeout", 2)
        return websockets.connect(self.url(token), **kw)

    @staticmethod
    async def recv_json(ws, timeout=5.0):
        return json.loads(await asyncio.wait_for(ws.recv(), timeout))

    async def expect_silence(self, ws, seconds):
        """Fails if anything arrives within seconds."""
        try:
            msg = await asyncio.wait_for(ws.recv(), seconds)
        except asyncio.TimeoutError:
            return
        self.fail("expected nothing for %g s, got %r" % (seconds, msg))

    async def ready(self, ws, uid="alice"):
        msg = await self.recv_json(ws)
        self.assertEqual(msg["event"], "session.ready", msg)
        self.assertEqual(msg["session"]["user"], uid)
        return msg["session"]["id"]

    async def run_chat(self, ws, rid, text, tokens=4):
        """Sends chat.send and checks the run's whole event sequence; returns
        (session id, output text)."""
        await ws.send(json.dumps({"action": "chat.send", "id": rid, "input": {"text": text}}))
        started = await self.recv_json(ws)
        self.assertEqual((started["event"], started["ref"]), ("run.started", rid), started)
        deltas = []
        for _ in range(tokens):
            tok = await self.recv_json(ws)
            self.assertEqual((tok["event"], tok["ref"], tok["session"]), ("run.token", rid, started["session"]), tok)
            self.assertIsInstance(tok["delta"], str)
            self.assertTrue(tok["delta"])
            deltas.append(tok["delta"])
        done = await self.recv_json(ws)
        self.assertEqual((done["event"], done["ref"], done["session"]), ("run.done", rid, started["session"]), done)
        out = done["output"]["text"]
        self.assertIn(text, out)
        self.assertGreaterEqual(len(out), 20)
        self.assertEqual("".join(deltas), out)
        return started["session"], out

    # -- HTTP, metrics, log --

    def http_get(self, path, srv=None):
        srv = srv or self.srv
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (srv.port, path), timeout=5) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def healthz(self, srv=None):
        status, _, body = self.http_get("/healthz", srv)
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertIs(doc["ok"], True)
        return doc["connections"]

    def metrics(self, srv=None):
        status, headers, body = self.http_get("/metrics", srv)
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        values = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                values[key] = float(value)
        return values, body

    def wait_until(self, predicate, timeout=3.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        self.fail("timed out waiting for " + what)

    def log_lines(self, pattern, srv=None):
        return re.findall(pattern, (srv or self.srv).log(), re.M)

    def assert_no_failure_family(self, srv=None):
        bad = [l for l in (srv or self.srv).log().splitlines() if FAILURE_FAMILY.search(l)]
        self.assertEqual(bad, [], "incident failure lines in a fixed server's log")

    def prelim_id_of(self, ws, srv=None):
        """The preliminary id the server gave the socket ws (its peer line)."""
        port = ws.local_address[1]
        ids = self.log_lines(TS + r" INFO Connection (ws_\d+_\d+) peer 127\.0\.0\.1:%d$" % port, srv)
        self.assertEqual(len(ids), 1, "one peer line for local port %d" % port)
        return ids[0]


class GoldenPath(Base):
    def test_golden_path(self):
        self.start_server()

        async def go():
            async with self.connect(make_token(claims_for("alice")), subprotocols=["chat.v2"]) as ws:
                self.assertEqual(ws.subprotocol, "chat.v2")
                sid = await self.ready(ws)
                self.assertRegex(sid, PRELIM_RE)
                self.assertEqual(sid, self.prelim_id_of(ws))
                session, out = await self.run_chat(ws, "r-1", "what is the golden path? \u2713 \"quoted\"")
                self.assertEqual(session, sid)
                await self.expect_silence(ws, 0.2)
                return sid

        sid = asyncio.run(go())
        climb = ["CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY", "PROCESSING_READY", "CLOSING", "CLOSED"]
        self.wait_until(lambda: "Connection %s closed" % sid in self.srv.log(), what="close line")
        steps = self.log_lines(TS + r" INFO State transition for %s: %s(\w+) -> %s(\w+)$"
                               % (re.escape(sid), re.escape(S), re.escape(S)))
        self.assertEqual(steps, list(zip(climb, climb[1:])))
        self.assert_no_failure_family()

    def test_tokens_flag_and_no_subprotocol(self):
        self.start_server("--tokens", "7", "--token-delay-ms", "0")

        async def go():
            async with self.connect() as ws:
                self.assertIsNone(ws.subprotocol)
                await self.ready(ws)
                await self.run_chat(ws, "seven", "x", tokens=7)

        asyncio.run(go())

    def test_not_ready_cannot_happen_on_the_fixed_server(self):
        self.skipTest("auth is at the upgrade and messages are held until session.ready, so the fixed "
                      "server cannot answer NOT_READY; see test_bug_accept_race for where it can")

    def test_keepalive(self):
        self.start_server()

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                for _ in range(3):
                    await ws.send('{"action":"keepalive"}')
                    self.assertEqual(await self.recv_json(ws), {"event": "keepalive.ack"})

        asyncio.run(go())

    def test_two_runs_interleave_on_one_connection(self):
        self.start_server("--token-delay-ms", "30")

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                for rid in ("ra", "rb"):
                    await ws.send(json.dumps({"action": "chat.send", "id": rid, "input": {"text": "text " + rid}}))
                events = []
                while sum(1 for e in events if e["event"] == "run.done") < 2:
                    events.append(await self.recv_json(ws))
                return events

        events = asyncio.run(go())
        for rid in ("ra", "rb"):
            mine = [e["event"] for e in events if e["ref"] == rid]
            self.assertEqual(mine, ["run.started"] + ["run.token"] * 4 + ["run.done"], rid)
            done = [e for e in events if e["ref"] == rid][-1]
            self.assertIn("text " + rid, done["output"]["text"])
        first_b = next(i for i, e in enumerate(events) if e["ref"] == "rb")
        last_a = max(i for i, e in enumerate(events) if e["ref"] == "ra")
        self.assertLess(first_b, last_a, "the two runs did not interleave")

    def test_fail_every(self):
        self.start_server("--fail-every", "2", "--token-delay-ms", "0")

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                for n in range(1, 5):
                    rid = "f%d" % n
                    if n % 2:
                        await self.run_chat(ws, rid, "run %d" % n)
                        continue
                    await ws.send(json.dumps({"action": "chat.send", "id": rid, "input": {"text": "run"}}))
                    got = [await self.recv_json(ws) for _ in range(6)]
                    self.assertEqual([g["event"] for g in got], ["run.started"] + ["run.token"] * 4 + ["failure"])
                    self.assertEqual(got[-1]["ref"], rid)
                    self.assertEqual(got[-1]["error"]["code"], "RUN_FAILED")
                    self.assertIsInstance(got[-1]["error"]["detail"], str)

        asyncio.run(go())
        values, _ = self.metrics()
        self.assertEqual(values['chat_ws_runs_total{outcome="done"}'], 2)
        self.assertEqual(values['chat_ws_runs_total{outcome="failed"}'], 2)

    def test_mint_token_tool(self):
        self.start_server()
        tok = subprocess.run([sys.executable, MINT, "--secret", SECRET, "--uid", "carol.b@x-y_z"],
                             check=True, capture_output=True, text=True).stdout.strip()
        expired = subprocess.run([sys.executable, MINT, "--secret", SECRET, "--uid", "carol", "--ttl", "-5"],
                                 check=True, capture_output=True, text=True).stdout.strip()

        async def go():
            async with self.connect(tok) as ws:
                await self.ready(ws, uid="carol.b@x-y_z")
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as cm:
                async with self.connect(expired):
                    pass
            self.assertEqual(cm.exception.status_code, 401)

        asyncio.run(go())


class BadInput(Base):
    CASES = [
        ("not json", None),
        ("[1,2]", None),
        ('"a string"', None),
        ("{}", None),
        ('{"action":5}', None),
        ('{"action":"chat.nope","id":"x1"}', "x1"),
        ('{"action":"chat.send","input":{"text":"a"}}', None),
        ('{"action":"chat.send","id":7,"input":{"text":"a"}}', None),
        ('{"action":"chat.send","id":"","input":{"text":"a"}}', None),
        ('{"action":"chat.send","id":"r2","input":"text"}', "r2"),
        ('{"action":"chat.send","id":"r3","input":{"text":5}}', "r3"),
        ('{"action":"chat.send","id":"r4"}', "r4"),
        ('{"action":"keepalive","x":NaN}', None),
        ("[" * 40000, None),
        ('{"action":"chat.send","id":"r\\n2025-01-01T00:00:00.000000Z ERROR forged","input":7}',
         "r\n2025-01-01T00:00:00.000000Z ERROR forged"),
        (b"\x00\x01binary", None),
    ]

    def test_bad_input_answers_bad_input_and_stays_open(self):
        self.start_server("--token-delay-ms", "0", "--log-level", "debug")

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                for payload, ref in self.CASES:
                    await ws.send(payload)
                    msg = await self.recv_json(ws)
                    self.assertEqual(msg["event"], "failure", payload)
                    self.assertEqual(msg["error"]["code"], "BAD_INPUT", payload)
                    self.assertEqual(msg["ref"], ref, payload)
                    self.assertTrue(msg["error"]["detail"])
                await ws.send('{"action":"keepalive"}')
                self.assertEqual(await self.recv_json(ws), {"event": "keepalive.ack"})
                await self.run_chat(ws, "after", "still works")

        asyncio.run(go())
        self.assertIsNone(self.srv.proc.poll())
        self.assertNotRegex(self.srv.log(), r"(?m)^\S+ ERROR forged")

    def test_duplicate_request_id_in_flight(self):
        self.start_server("--token-delay-ms", "40")

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                msg = json.dumps({"action": "chat.send", "id": "dup", "input": {"text": "a"}})
                await ws.send(msg)
                await ws.send(msg)
                got = [await self.recv_json(ws) for _ in range(7)]
                fails = [g for g in got if g["event"] == "failure"]
                self.assertEqual(len(fails), 1)
                self.assertEqual((fails[0]["ref"], fails[0]["error"]["code"]), ("dup", "BAD_INPUT"))
                self.assertEqual([g["event"] for g in got if g["event"] != "failure"],
                                 ["run.started"] + ["run.token"] * 4 + ["run.done"])

        asyncio.run(go())

    def test_oversized_message_closes_1009(self):
        self.start_server()

        async def go():
            async with self.connect(max_size=None) as ws:
                await self.ready(ws)
                await ws.send("x" * 70000)
                await asyncio.wait_for(ws.wait_closed(), 5)
                self.assertEqual(ws.close_code, 1009)

        asyncio.run(go())
        self.wait_until(lambda: self.healthz() == 0, what="registry empty")


class Auth(Base):
    def refused(self, token, path="/v2/chat"):
        async def go():
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as cm:
                async with websockets.connect(self.url(token, path), open_timeout=5):
                    pass
            return cm.exception.status_code
        return asyncio.run(go())

    def test_bad_tokens_get_401_and_no_websocket(self):
        self.start_server()
        now = int(time.time())
        cases = {
            "empty": "",
            "garbage": "not.a.jwt",
            "two parts": "abc.def",
            "expired": make_token({"uid": "alice", "exp": now - 5}),
            "HS256 signed": make_token(claims_for(), alg="HS256"),
            "alg none": make_token(claims_for(), alg="none"),
            "alg none, HS384 signature": make_token(claims_for(), header={"alg": "none"}),
            "alg HS256, HS384 signature": make_token(claims_for(), header={"alg": "HS256", "typ": "JWT"}),
            "no alg, HS384 signature": make_token(claims_for(), header={"typ": "JWT"}),
            "wrong secret": make_token(claims_for(), secret="another-secret"),
            "no exp": make_token({"uid": "alice"}),
            "exp not a number": make_token({"uid": "alice", "exp": str(now + 600)}),
            "no uid": make_token({"sub": "alice", "exp": now + 600}),
            "uid too long": make_token(claims_for("a" * 65)),
            "uid bad chars": make_token(claims_for("al ice")),
            "uid not a string": make_token(claims_for(5)),
            "padded base64": make_token(claims_for()) + "=",
            "payload not JSON": b64u(b'{"alg":"HS384"}') + "." + b64u(b"nope") + ".x",
        }
        for name, token in cases.items():
            with self.subTest(name):
                self.assertEqual(self.refused(token), 401)
        with self.subTest("no access_token"):
            status, headers, body = self.http_get("/v2/chat")
            self.assertEqual(status, 401)
            self.assertIn("Bearer", headers["WWW-Authenticate"])
            self.assertEqual(json.loads(body)["error"], "unauthorized")
        with self.subTest("access_token twice"):
            t = make_token()
            self.assertEqual(self.refused(t + "&access_token=" + t), 401)
        self.assertGreaterEqual(len(self.log_lines(TS + r" WARNING Authentication failed for 127\.0\.0\.1:\d+: .+$")),
                                len(cases))
        self.assertEqual(self.healthz(), 0)
        values, _ = self.metrics()
        self.assertEqual(values['chat_ws_state_transitions_total{outcome="ok"}'], 0)

        async def good():  # the control: the same route takes a good token
            async with self.connect(make_token(claims_for("bob", iat=now))) as ws:
                await self.ready(ws, uid="bob")
        asyncio.run(good())

    def test_other_paths_404(self):
        self.start_server()
        self.assertEqual(self.refused(make_token(), path="/ws"), 404)
        self.assertEqual(self.refused(make_token(), path="/v2/chat/"), 404)
        self.assertEqual(self.http_get("/")[0], 404)
        self.assertEqual(self.http_get("/health")[0], 404)

    def test_upgrade_request_must_complete_within_auth_timeout(self):
        self.start_server("--auth-timeout-s", "0.3")
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(b"GET /v2/chat?access_token=")  # never finished
            t0 = time.monotonic()
            try:
                data = s.recv(1024)
            except ConnectionResetError:
                data = b""
            self.assertLess(time.monotonic() - t0, 3.0)
            self.assertNotIn(b"101", data)
        self.assertTrue(self.log_lines(TS + r" WARNING Upgrade request from 127\.0\.0\.1:\d+ not complete within 0\.3 s"))


class Lifecycle(Base):
    def test_idle_close_4000_and_keepalive_prevents_it(self):
        self.start_server("--idle-timeout-s", "1")

        async def silent():
            async with self.connect() as ws:
                await self.ready(ws)
                t0 = time.monotonic()
                await asyncio.wait_for(ws.wait_closed(), 4)
                self.assertGreaterEqual(time.monotonic() - t0, 0.8)
                return ws.close_code, ws.close_reason

        async def chatty():
            async with self.connect() as ws:
                await self.ready(ws)
                for _ in range(5):
                    await asyncio.sleep(0.4)
                    await ws.send('{"action":"keepalive"}')
                    self.assertEqual(await self.recv_json(ws), {"event": "keepalive.ack"})
                self.assertIsNone(ws.close_code)

        async def both():
            return (await asyncio.gather(silent(), chatty()))[0]

        self.assertEqual(asyncio.run(both()), (4000, "idle"))

    def test_healthz_back_to_zero_after_clients_leave(self):
        self.start_server()

        async def go():
            clients = [await self.connect().__aenter__() for _ in range(3)]
            for ws in clients:
                await self.ready(ws)
            self.assertEqual(self.healthz(), 3)
            values, _ = self.metrics()
            self.assertEqual(values["chat_ws_connections_active"], 3)
            self.assertEqual(values['chat_ws_connections_by_state{state="PROCESSING_READY"}'], 3)
            await clients[0].close()
            clients[1].transport.abort()  # gone without a close frame
            await clients[2].close()

        asyncio.run(go())
        self.wait_until(lambda: self.healthz() == 0, what="healthz connections 0")
        values, _ = self.metrics()
        self.assertEqual(values["chat_ws_connections_active"], 0)

    def test_metrics_figures_and_promtool(self):
        self.start_server("--token-delay-ms", "0")

        async def go():
            for n in range(2):
                async with self.connect() as ws:
                    await self.ready(ws)
                    await self.run_chat(ws, "m%d" % n, "metrics")

        asyncio.run(go())
        self.wait_until(lambda: self.healthz() == 0, what="registry empty")
        values, body = self.metrics()
        expected = {
            "chat_ws_connections_active": 0,
            "chat_ws_connections_stuck": 0,
            'chat_ws_state_transitions_total{outcome="ok"}': 12,  # 6 steps per connection
            'chat_ws_state_transitions_total{outcome="failed"}': 0,
            'chat_ws_runs_total{outcome="done"}': 2,
            'chat_ws_runs_total{outcome="failed"}': 0,
            "chat_ws_sessions_ready_total": 2,
            "chat_ws_connection_id_mismatches_total": 0,
        }
        for key, value in expected.items():
            self.assertEqual(values.get(key), value, key)
        for name, kind in (("chat_ws_connections_active", "gauge"), ("chat_ws_connections_stuck", "gauge"),
                           ("chat_ws_state_transitions_total", "counter"), ("chat_ws_runs_total", "counter"),
                           ("chat_ws_sessions_ready_total", "counter")):
            self.assertIn("# TYPE %s %s\n" % (name, kind), body)
        if os.path.exists(PROMTOOL):
            check = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_sigterm_closes_1001_and_exits_0(self):
        self.start_server()

        async def go():
            async with self.connect() as ws:
                await self.ready(ws)
                self.srv.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(ws.wait_closed(), 5)
                return ws.close_code, ws.close_reason

        self.assertEqual(asyncio.run(go()), (1001, "server shutting down"))
        self.assertEqual(self.srv.proc.wait(10), 0)
        self.assertIn("Shutting down: 1 connections", self.srv.log())
        self.assertIn("Shut down: 0 state machines left in the registry", self.srv.log())

    def test_explicit_port_and_help(self):
        # Not --port 0: test ports are picked below 32768, out of the
        # kernel's ephemeral range.  The readiness line names the port given.
        self.start_server()
        self.assertLess(self.srv.asked_port, 32768)
        self.assertEqual(self.srv.port, self.srv.asked_port)
        self.assertEqual(self.healthz(), 0)
        help_out = subprocess.run([sys.executable, SERVER, "--help"], capture_output=True, text=True)
        self.assertEqual(help_out.returncode, 0)
        for word in ("--port", "--fail-every", "id_regeneration", "accept_race",
                     "swallow_transition_errors", "stale_registry", "chat-server listening on"):
            self.assertIn(word, help_out.stdout)
        bad = subprocess.run([sys.executable, SERVER, "--port", "1", "--bug", "nope"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--bug", bad.stderr)


class Bugs(Base):
    def test_bug_id_regeneration(self):
        self.start_server("--bug", "id_regeneration", "--stuck-after-ms", "300")

        async def go():
            async with self.connect() as a, self.connect() as b:
                for ws in (a, b):
                    await ws.send(json.dumps({"action": "chat.send", "id": "never", "input": {"text": "hello"}}))
                # No session.ready, and the runs never answer.
                await asyncio.gather(self.expect_silence(a, 2.0), self.expect_silence(b, 2.0))
                values, _ = self.metrics()
                self.assertEqual(values["chat_ws_connections_stuck"], 2)
                self.assertEqual(values["chat_ws_connection_id_mismatches_total"], 2)
                self.assertEqual(values['chat_ws_connections_by_state{state="CONNECTING"}'], 2)
                self.assertEqual(values["chat_ws_sessions_ready_total"], 0)
                return [self.prelim_id_of(ws) for ws in (a, b)]

        prelims = asyncio.run(go())
        for prelim in prelims:
            migrated = self.log_lines(TS + r" WARNING Connection id mismatch: %s became (conn_websocket_\d+_[0-9a-f]{8}); "
                                      r"migrating state machine$" % re.escape(prelim))
            self.assertEqual(len(migrated), 1)
            for line in incident_lines(migrated[0]):
                self.assertEqual(len(self.log_lines(line)), 1, line)
        self.wait_until(lambda: self.healthz() == 0, what="no registry entry left by the migration")

    def test_fixed_server_shows_none_of_it(self):
        # The same client behaviour as above, without the bug.
        self.start_server("--stuck-after-ms", "300")

        async def go():
            async with self.connect() as ws:
                await ws.send(json.dumps({"action": "chat.send", "id": "r", "input": {"text": "hello"}}))
                await self.ready(ws)
                self.assertEqual((await self.recv_json(ws))["event"], "run.started")
                await asyncio.sleep(0.5)
                return self.prelim_id_of(ws)

        prelim = asyncio.run(go())
        for line in incident_lines(prelim):
            self.assertEqual(self.log_lines(line), [])
        self.assert_no_failure_family()

    def test_bug_accept_race(self):
        # The accept step (300 ms) is shorter than the stuck threshold (600 ms),
        # so the never-ready line names the state the race left: ACCEPTED.
        self.start_server("--bug", "accept_race", "--accept-delay-ms", "300", "--stuck-after-ms", "600",
                          "--token-delay-ms", "0")

        async def racer():
            async with self.connect() as ws:
                await ws.send(json.dumps({"action": "chat.send", "id": "early", "input": {"text": "hi"}}))
                await self.expect_silence(ws, 1.5)  # no session.ready, the early run is lost
                await ws.send(json.dumps({"action": "chat.send", "id": "late", "input": {"text": "hi"}}))
                msg = await self.recv_json(ws)
                self.assertEqual((msg["event"], msg["ref"], msg["error"]["code"]), ("failure", "late", "NOT_READY"))
                return self.prelim_id_of(ws)

        async def patient():  # waits for session.ready: unaffected
            async with self.connect() as ws:
                sid = await self.ready(ws)
                await self.run_chat(ws, "p", "patient")
                return sid

        async def both():
            return await asyncio.gather(racer(), patient())

        raced, calm = asyncio.run(both())
        r = re.escape(raced)
        expected = [
            TS + r" WARNING Invalid state transition for %s: %sCONNECTING -> %sAUTHENTICATED$" % (r, S, S),
            TS + r" ERROR PHASE 2 FIX 2: Failed to transition state machine to AUTHENTICATED for %s$" % r,
            TS + r" ERROR This indicates accept\(\) race condition - connection cannot process messages: %s$" % r,
            TS + r" ERROR Connection %s state machine never reached ready state: %sACCEPTED$" % (r, S),
        ]
        for line in expected:
            self.assertEqual(len(self.log_lines(line)), 1, line)
        self.assertNotIn("for " + calm, "\n".join(l for l in self.srv.log().splitlines() if FAILURE_FAMILY.search(l)))
        self.wait_until(lambda: self.healthz() == 0, what="registry empty")

    def test_accept_delay_without_the_bug_holds_early_messages(self):
        self.start_server("--accept-delay-ms", "400", "--token-delay-ms", "0")

        async def go():
            async with self.connect() as ws:
                await ws.send(json.dumps({"action": "chat.send", "id": "early", "input": {"text": "held"}}))
                await self.ready(ws)
                events = [await self.recv_json(ws) for _ in range(6)]
                self.assertEqual(events[-1]["event"], "run.done")
                self.assertIn("held", events[-1]["output"]["text"])

        asyncio.run(go())
        self.assert_no_failure_family()

    def test_bug_swallow_transition_errors(self):
        # Alone it changes nothing: no step fails.
        self.start_server("--bug", "swallow_transition_errors")

        async def golden():
            async with self.connect() as ws:
                self.assertRegex(await self.ready(ws), PRELIM_RE)
                await self.run_chat(ws, "s", "swallowed")

        asyncio.run(golden())
        self.assert_no_failure_family()

        # With id_regeneration: session.ready for a machine still in CONNECTING.
        self.start_server("--bug", "swallow_transition_errors", "--bug", "id_regeneration", "--stuck-after-ms", "300")

        async def false_ready():
            async with self.connect() as ws:
                sid = await self.ready(ws)
                self.assertRegex(sid, UNIFIED_RE)
                session, _ = await self.run_chat(ws, "s2", "on a machine that is not ready")
                self.assertEqual(session, sid)
                await asyncio.sleep(0.5)
                values, _ = self.metrics()
                self.assertEqual(values["chat_ws_connections_stuck"], 1)
                return sid

        sid = asyncio.run(false_ready())
        for line in incident_lines(sid):
            self.assertEqual(len(self.log_lines(line)), 1, line)
        c = re.escape(sid)
        self.assertEqual(len(self.log_lines(TS + r" ERROR Failed to transition to PROCESSING_READY for %s$" % c)), 1)
        self.assertEqual(len(self.log_lines(TS + r" INFO Connection %s ready \(CONNECTING\)$" % c)), 1)

    def test_bug_stale_registry(self):
        self.start_server("--bug", "stale_registry")

        async def go():
            for _ in range(2):
                async with self.connect() as ws:
                    await self.ready(ws)

        asyncio.run(go())
        time.sleep(0.5)
        self.assertEqual(self.healthz(), 2)
        values, _ = self.metrics()
        self.assertEqual(values["chat_ws_connections_active"], 2)
        self.assertEqual(values['chat_ws_connections_by_state{state="PROCESSING_READY"}'], 0)


if __name__ == "__main__":
    unittest.main()
