"""suite_rfc6455: handshake and close details of RFC 6455 (issue 10, item 6).
A version other than 13 gets 426 with Sec-WebSocket-Version: 13; an upgrade
without Host gets 400; a subprotocol list over 512 bytes that offers
goldpath.v1 is served; a close frame with a 1-byte payload is a protocol
error (1002), while codes 5000 and up are echoed as they are."""

import asyncio
import struct

from gp_hostile import http_exchange
from gp_rawws import OP_CLOSE, RawWs
from gp_suite import run_with_server, wait_idle
from gp_wsclient import SUBPROTOCOL, Client, make_token


def upgrade_request(port, version="13", host=True, extra=""):
    return ((f"GET /ws HTTP/1.1\r\n" + (f"Host: 127.0.0.1:{port}\r\n" if host else "") +
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
             (f"Sec-WebSocket-Version: {version}\r\n" if version is not None else "") +
             extra + "\r\n").encode())


def test_handshake_refusals(binary):
    async def body(srv):
        for version in ("8", "12", "14", "13, 8", None):
            st, head, text = http_exchange(srv.port, upgrade_request(srv.port, version))
            assert st == 426, (version, st, head)
            assert "sec-websocket-version: 13" in head.lower(), head
        st, head, text = http_exchange(srv.port, upgrade_request(srv.port, host=False))
        assert st == 400 and "Host" in text, (st, head, text)
        # still a working server
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="after"))
        await c.ready()
        await c.close()
        await wait_idle(srv)
    run_with_server(binary, body)


def test_long_subprotocol_list(binary):
    async def body(srv):
        others = [f"x-proto-{i:03d}.example" for i in range(40)]
        offer = others[:20] + [SUBPROTOCOL] + others[20:]
        assert len(", ".join(offer)) > 512
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="longlist"),
                                 subprotocols=offer)
        assert c.ws.subprotocol == SUBPROTOCOL, c.ws.subprotocol
        await c.ready()
        await c.ping_pong()
        await c.close()
        # the same list split over several header lines
        r = RawWs(srv.port, headers=[f"Sec-WebSocket-Protocol: {', '.join(others[:20])}",
                                     f"Sec-WebSocket-Protocol: {SUBPROTOCOL}, {others[20]}"])
        assert r.status == 101 and f"sec-websocket-protocol: {SUBPROTOCOL}" in r.head.lower(), r.head
        r.close()
        # a long list without ours is refused with 400, not dropped
        st, head, text = http_exchange(srv.port, upgrade_request(
            srv.port, extra=f"Sec-WebSocket-Protocol: {', '.join(others)}\r\n"))
        assert st == 400, (st, head)
        await wait_idle(srv)
    run_with_server(binary, body)


def test_close_payloads(binary):
    async def body(srv):
        for payload, want in ((b"\x03", 1002), (struct.pack("!H", 5000), 5000),
                              (struct.pack("!H", 4999) + b"ok", 4999), (b"", None)):
            r = RawWs(srv.port)
            r.send_frame(OP_CLOSE, payload)
            op, got = r.recv_frame()
            assert op == OP_CLOSE, op
            code = struct.unpack("!H", got[:2])[0] if len(got) >= 2 else None
            assert len(got) != 1, f"a 1-byte close payload came back: {got!r}"
            assert code == want, (payload, got)
            r.close()
        await wait_idle(srv)
    run_with_server(binary, body)


TESTS = [
    ("handshake_refusals", test_handshake_refusals),
    ("long_subprotocol_list", test_long_subprotocol_list),
    ("close_payloads", test_close_payloads),
]
