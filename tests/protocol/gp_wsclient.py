"""gp_wsclient: a goldpath protocol client written only from PROTOCOL.md.

It uses Python's `websockets` (Debian's python3-websockets 10.4), a client
nobody on the team wrote, so the server is tested against the contract and
not against our own C client's reading of it.  Tokens are made here with the
standard library (HS256 = HMAC-SHA256 over base64url(header).base64url(payload)),
again independently of the server's JWT code.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time

import websockets
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "goldpath.v1"
AGENT_EVENTS = ["agent_started", "agent_thinking", "tool_executing",
                "tool_completed", "agent_completed"]
STATES = ["CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY",
          "PROCESSING_READY"]
TIMEOUT_S = 10.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(secret, sub="user-1", exp=None, iat=None, alg="HS256",
               header=None, payload=None, sign_with=None):
    """A compact JWT.  By default a valid HS256 token for `sub` that expires
    in an hour.  `alg`, `header`, `payload`, `sign_with` bend it into the bad
    tokens PROTOCOL.md says the server rejects."""
    now = int(time.time())
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    body = payload if payload is not None else {
        "sub": sub, "exp": now + 3600 if exp is None else exp,
        "iat": now if iat is None else iat}
    signing_input = (b64url(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(body, separators=(",", ":")).encode()))
    if alg == "none" and header is None:
        return signing_input + "."
    key = (sign_with if sign_with is not None else secret).encode()
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def msg(type_, data=None, **top):
    out = {"type": type_, "data": {} if data is None else data}
    out.update(top)
    return json.dumps(out)


class Client:
    """One WebSocket connection with helpers that fail loudly (AssertionError
    with what was expected and what came)."""

    def __init__(self, ws):
        self.ws = ws
        self.connection_id = None
        self.user_id = None

    @classmethod
    async def connect(cls, url, token=None, subprotocols=(SUBPROTOCOL,), **kw):
        headers = {"Authorization": "Bearer " + token} if token else None
        ws = await websockets.connect(url, subprotocols=list(subprotocols) or None,
                                      extra_headers=headers, open_timeout=TIMEOUT_S,
                                      ping_interval=None, **kw)
        return cls(ws)

    async def send(self, text_or_frames):
        await self.ws.send(text_or_frames)

    async def recv_json(self, timeout=TIMEOUT_S):
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as e:
            raise AssertionError(f"connection closed ({e.code} {e.reason!r}) while "
                                 "waiting for a message") from None
        except asyncio.TimeoutError:
            raise AssertionError(f"no message within {timeout} s") from None
        assert isinstance(raw, str), f"expected a text frame, got {raw!r}"
        m = json.loads(raw)
        assert isinstance(m, dict) and isinstance(m.get("type"), str) and \
            isinstance(m.get("data"), dict), f"not a protocol message: {raw}"
        return m

    async def expect(self, type_, timeout=TIMEOUT_S):
        m = await self.recv_json(timeout)
        assert m["type"] == type_, f"expected {type_}, got {m}"
        return m

    async def expect_error(self, code, timeout=TIMEOUT_S):
        m = await self.expect("error", timeout)
        assert m["data"].get("code") == code, f"expected error {code}, got {m}"
        assert isinstance(m["data"].get("message"), str) and m["data"]["message"], m
        return m

    async def expect_close(self, code, timeout=TIMEOUT_S):
        """Waits for the server's close frame; fails on any message first."""
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed:
            assert self.ws.close_code == code, \
                f"expected close {code}, got {self.ws.close_code} {self.ws.close_reason!r}"
            return self.ws.close_reason
        except asyncio.TimeoutError:
            raise AssertionError(f"no close {code} within {timeout} s") from None
        raise AssertionError(f"expected close {code}, got message {raw!r}")

    async def ready(self, timeout=TIMEOUT_S):
        m = await self.expect("connection_ready", timeout)
        d = m["data"]
        assert d.get("state") == "PROCESSING_READY", m
        assert isinstance(d.get("connection_id"), str) and d["connection_id"].startswith("ws_"), m
        assert isinstance(d.get("user_id"), str) and d["user_id"], m
        self.connection_id = d["connection_id"]
        self.user_id = d["user_id"]
        return m

    async def auth(self, token):
        await self.send(msg("auth", {"token": token}))
        return await self.ready()

    async def ping_pong(self):
        await self.send(msg("ping"))
        await self.expect("pong")

    async def close(self):
        await self.ws.close()


async def run_requests(client, requests, timeout=TIMEOUT_S):
    """Sends agent_execution for each (request_id or None, message) and
    collects the events per request until every one has agent_completed.
    Checks PROTOCOL.md's rules: five events per request in order, each with
    the request's id and the connection's id, a response of >= 10 chars.
    Returns {request_id: [messages]}."""
    for rid, text in requests:
        top = {"request_id": rid} if rid is not None else {}
        await client.send(msg("agent_execution",
                              {"message": text, "agent_type": "supervisor"}, **top))
    by_id = {}
    done = 0
    while done < len(requests):
        m = await client.recv_json(timeout)
        assert m["type"] in AGENT_EVENTS, f"unexpected message during requests: {m}"
        d = m["data"]
        rid = d.get("request_id")
        assert isinstance(rid, str) and rid, m
        assert d.get("connection_id") == client.connection_id, \
            f"event for connection {d.get('connection_id')}, expected {client.connection_id}"
        seen = by_id.setdefault(rid, [])
        assert m["type"] == AGENT_EVENTS[len(seen)], \
            f"request {rid}: expected {AGENT_EVENTS[len(seen)]}, got {m['type']}"
        field = {"agent_started": "agent_type", "agent_thinking": "thought",
                 "tool_executing": "tool", "tool_completed": "result",
                 "agent_completed": "response"}[m["type"]]
        assert isinstance(d.get(field), str), f"{m['type']} without data.{field}: {m}"
        seen.append(m)
        if m["type"] == "agent_completed":
            assert len(d["response"]) >= 10, f"response too short: {d['response']!r}"
            done += 1
    given = [rid for rid, _ in requests if rid is not None]
    for rid in given:
        assert rid in by_id, f"no events for request {rid}"
    assert len(by_id) == len(requests), f"expected {len(requests)} requests, got {list(by_id)}"
    return by_id
