"""http_front: everything before the WebSocket exists -- the HTTP request.

One protocol class per server (``make_protocol_class``).  Its
``process_request`` routes plain HTTP (``/healthz``, ``/metrics``), answers
404 for any path but ``/v2/chat``, and checks the token in the query string:
a missing or bad token refuses the upgrade with 401, so an unauthenticated
client never gets a WebSocket.  A socket whose upgrade request is not
complete within ``--auth-timeout-s`` is dropped (websockets 10.4 has no
opening timeout of its own).
"""

import http
import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

from websockets.connection import State
from websockets.legacy.server import WebSocketServerProtocol

from . import metrics
from .jwt_hs384 import TokenError, verify

log = logging.getLogger("chat")

CHAT_PATH = "/v2/chat"
SUBPROTOCOL = "chat.v2"


def format_peer(peer):
    """(host, port, ...) -> "host:port" ("[v6]:port"); "unknown" for None."""
    if not peer:
        return "unknown"
    host, port = peer[0], peer[1]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def _json_response(status, body, extra=()):
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    headers.extend(extra)
    return status, headers, (json.dumps(body, separators=(",", ":")) + "\n").encode()


def _token_of(query):
    """The one access_token of a query string; raises TokenError otherwise."""
    try:
        values = parse_qs(query, keep_blank_values=True, max_num_fields=32).get("access_token", [])
    except ValueError:
        raise TokenError("malformed query string") from None
    if len(values) > 1:
        raise TokenError("access_token given more than once")
    if not values or not values[0]:
        raise TokenError("missing access_token")
    return values[0]


class ChatProtocol(WebSocketServerProtocol):
    """The server side of one TCP connection.  ``app`` is bound by
    make_protocol_class; ``chat_uid`` is the token's uid once the upgrade
    request has been accepted (None before)."""

    app = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self.chat_uid = None
        self._upgrade_timer = self.loop.call_later(self.app.cfg.auth_timeout_s, self._upgrade_deadline)

    def _upgrade_deadline(self):
        if self.state is State.CONNECTING:
            log.warning("Upgrade request from %s not complete within %g s; dropping the socket",
                        format_peer(self.transport.get_extra_info("peername")),
                        self.app.cfg.auth_timeout_s)
            self.transport.abort()

    def connection_lost(self, exc):
        self._upgrade_timer.cancel()
        super().connection_lost(exc)

    async def process_request(self, path, request_headers):
        """None lets the WebSocket handshake go on; a (status, headers, body)
        tuple answers plain HTTP instead."""
        url = urlsplit(path)
        if url.path == "/healthz":
            return _json_response(http.HTTPStatus.OK, metrics.healthz(self.app))
        if url.path == "/metrics":
            return (http.HTTPStatus.OK, [("Content-Type", metrics.CONTENT_TYPE)],
                    metrics.render(self.app).encode())
        if url.path != CHAT_PATH:
            return _json_response(http.HTTPStatus.NOT_FOUND,
                                  {"error": "not_found", "detail": "the chat endpoint is " + CHAT_PATH})
        if self.app.shutting_down:
            return _json_response(http.HTTPStatus.SERVICE_UNAVAILABLE,
                                  {"error": "shutting_down", "detail": "the server is shutting down"})
        try:
            claims = verify(_token_of(url.query), self.app.cfg.secret, time.time())
        except TokenError as exc:
            log.warning("Authentication failed for %s: %s",
                        format_peer(self.transport.get_extra_info("peername")), exc)
            return _json_response(http.HTTPStatus.UNAUTHORIZED,
                                  {"error": "unauthorized", "detail": str(exc)},
                                  [("WWW-Authenticate", 'Bearer realm="chat", error="invalid_token"')])
        self.chat_uid = claims["uid"]
        return None


def make_protocol_class(app):
    """A ChatProtocol subclass bound to app (websockets builds one instance
    per TCP connection from it)."""
    return type("BoundChatProtocol", (ChatProtocol,), {"app": app})
