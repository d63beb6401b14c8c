"""app: the server object -- its state, start-up, and shutdown.

One App per process holds everything the connections share: the config,
the state registry, the manager, the counters.  ``serve`` binds, logs the
readiness line, and on SIGINT/SIGTERM closes every connection with 1001.
"""

import asyncio
import logging
import signal

import websockets

from . import VERSION, route, runs
from .http_front import SUBPROTOCOL, format_peer, make_protocol_class
from .lifecycle import ConnectionStateRegistry, TransitionStats
from .manager import WebSocketManager
from .metrics import Counters

log = logging.getLogger("chat")

SHUTDOWN_WAIT_S = 15.0


class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.stats = TransitionStats()
        self.registry = ConnectionStateRegistry(self.stats)
        self.manager = WebSocketManager(id_regeneration=cfg.bug("id_regeneration"))
        self.counters = Counters()
        self.conns = set()
        self.run_seq = 0
        self.shutting_down = False
        self.server = None

    async def handler(self, ws):
        await route.handle(self, ws, runs.read_loop)

    async def shutdown(self):
        """Stops listening, closes every connection with 1001 and waits (at
        most SHUTDOWN_WAIT_S) for their handlers to finish."""
        self.shutting_down = True
        log.info("Shutting down: %d connections", len(self.conns))
        self.server.server.close()  # no new sockets
        closes = [c.ws.close(1001, "server shutting down") for c in list(self.conns)]
        try:
            await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True), SHUTDOWN_WAIT_S)
            self.server.close()  # the library closes what is left (mid-upgrade) with 1001
            await asyncio.wait_for(self.server.wait_closed(), SHUTDOWN_WAIT_S)
        except asyncio.TimeoutError:
            log.warning("Shutdown: connections still open after %g s", SHUTDOWN_WAIT_S)
        log.info("Shut down: %d state machines left in the registry", len(self.registry))


def _startup_line(cfg):
    return ("chat-server %s: bugs [%s], fail-every %d, tokens %d, token delay %d ms, idle timeout %g s, "
            "auth timeout %g s, stuck after %d ms, accept delay %d ms, max message %d bytes, secret from %s"
            % (VERSION, ",".join(sorted(cfg.bugs)), cfg.fail_every, cfg.tokens, cfg.token_delay_ms,
               cfg.idle_timeout_s, cfg.auth_timeout_s, cfg.stuck_after_ms, cfg.accept_delay_ms,
               cfg.max_message_bytes, cfg.secret_source))


async def serve(cfg):
    """Runs the server until SIGINT or SIGTERM.  Returns the exit status:
    0 after a clean shutdown, 1 when the port cannot be bound."""
    app = App(cfg)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda s=sig: stop.done() or stop.set_result(s))
    log.info("%s", _startup_line(cfg))
    if cfg.secret_source.startswith("dev default"):
        log.warning("JWT secret: the built-in dev-only default; set --secret or CHAT_JWT_SECRET")
    try:
        app.server = await websockets.serve(
            app.handler, cfg.bind, cfg.port,
            create_protocol=make_protocol_class(app),
            subprotocols=[SUBPROTOCOL],
            max_size=cfg.max_message_bytes,
            logger=logging.getLogger("chat.websockets"))
    except OSError as exc:
        log.error("chat-server cannot listen on %s: %s", format_peer((cfg.bind, cfg.port)), exc)
        return 1
    port = app.server.sockets[0].getsockname()[1]
    log.info("chat-server listening on %s", format_peer((cfg.bind, port)))
    sig = await stop
    log.info("Signal %s received", signal.Signals(sig).name)
    await app.shutdown()
    return 0
