"""config: the command line, parsed into one Config object.

Every limit has a flag and a bound; a value out of its bounds is a usage
error (exit 2) that names the flag.
"""

import argparse
import os
from dataclasses import dataclass, field

from . import VERSION

DEV_SECRET = "chat-server-dev-only-secret"

# name -> what it does.  The first three are goldpath's bug catalog
# (DESIGN.md, sut/core/gp_bugs.h), named exactly as there.
BUGS = {
    "id_regeneration": "connect_user ignores the preliminary id and generates conn_websocket_<n>_<hex>; "
                       "the route migrates (unregisters the machine, registers a new one in CONNECTING), "
                       "AUTHENTICATED and SERVICES_READY fail, the connection is never ready",
    "accept_race": "messages are processed as they arrive instead of being held until accept completes; "
                   "one that wins the race (see --accept-delay-ms) fails CONNECTING -> AUTHENTICATED and "
                   "the connection is never ready",
    "swallow_transition_errors": "a failed step is logged and the route goes on as if it had succeeded "
                                 "(with another bug: session.ready for a machine that is not ready)",
    "stale_registry": "(this server only, not in goldpath's catalog) a closed connection's state machine "
                      "is never unregistered: /healthz and chat_ws_connections_active never go back down",
}


@dataclass
class Config:
    port: int
    bind: str = "127.0.0.1"
    secret: bytes = DEV_SECRET.encode()
    secret_source: str = "dev default"
    log_file: str = None
    log_level: str = "info"
    bugs: frozenset = field(default_factory=frozenset)
    idle_timeout_s: float = 30.0
    auth_timeout_s: float = 5.0
    stuck_after_ms: int = 2000
    token_delay_ms: int = 5
    tokens: int = 4
    fail_every: int = 0
    accept_delay_ms: int = 0
    max_message_bytes: int = 65536
    runs_in_flight_max: int = 32

    def bug(self, name):
        assert name in BUGS, name
        return name in self.bugs


def _bounded(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a %s" % (text, kind.__name__)) from None
        if not (low <= value <= high):
            raise argparse.ArgumentTypeError("%s is out of range %s..%s" % (text, low, high))
        return value
    return parse


def _parser():
    bug_help = "\n".join("  %-26s %s" % (name, what) for name, what in BUGS.items())
    p = argparse.ArgumentParser(
        prog="server.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="chat-server: a reference WebSocket chat back end (wire protocol chat.v2, "
                    "path /v2/chat, HS384 JWT in ?access_token=) for goldpath's live mode.",
        epilog="bugs (--bug NAME, repeatable; all off by default):\n" + bug_help +
               "\n\nThe readiness line on stderr and in the log file is: "
               "chat-server listening on <host>:<port>")
    p.add_argument("--version", action="version", version="chat-server " + VERSION)
    p.add_argument("--port", required=True, type=_bounded(int, 0, 65535),
                   help="TCP port; 0 picks a free one (the readiness line names it)")
    p.add_argument("--bind", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--secret", help="HS384 secret for tokens (default: env CHAT_JWT_SECRET, "
                                    "else a dev-only default announced in the log)")
    p.add_argument("--log-file", help="append log lines to this file as well as stderr")
    p.add_argument("--log-level", choices=("info", "debug"), default="info")
    p.add_argument("--bug", action="append", default=[], choices=sorted(BUGS), metavar="NAME",
                   help="switch a known bug on (see below)")
    p.add_argument("--idle-timeout-s", type=_bounded(float, 0.05, 86400.0), default=30.0,
                   help="close a connection that sent nothing for this long with 4000 'idle' (default 30)")
    p.add_argument("--auth-timeout-s", type=_bounded(float, 0.05, 3600.0), default=5.0,
                   help="drop a socket whose upgrade request (with its token) is not complete "
                        "within this time (default 5)")
    p.add_argument("--stuck-after-ms", type=_bounded(int, 1, 3600000), default=2000,
                   help="a connection before PROCESSING_READY this long is stuck (default 2000)")
    p.add_argument("--token-delay-ms", type=_bounded(int, 0, 60000), default=5,
                   help="pause before each run.token (default 5)")
    p.add_argument("--tokens", type=_bounded(int, 0, 1000), default=4,
                   help="run.token events per run (default 4)")
    p.add_argument("--fail-every", type=_bounded(int, 0, 1000000000), default=0,
                   help="every Nth run (process-wide) ends in failure RUN_FAILED (default 0: never)")
    p.add_argument("--accept-delay-ms", type=_bounded(int, 0, 60000), default=0,
                   help="time the accept step takes after the upgrade (default 0); "
                        "widens the window of the accept race")
    return p


def parse_args(argv, environ=os.environ):
    """argv (without the program name) -> Config.  Exits 2 on bad usage."""
    ns = _parser().parse_args(argv)
    if ns.secret is not None:
        secret, source = ns.secret, "--secret"
    elif environ.get("CHAT_JWT_SECRET"):
        secret, source = environ["CHAT_JWT_SECRET"], "CHAT_JWT_SECRET"
    else:
        secret, source = DEV_SECRET, "dev default (dev only: set --secret or CHAT_JWT_SECRET)"
    if not secret:
        _parser().error("argument --secret: must not be empty")
    return Config(port=ns.port, bind=ns.bind, secret=secret.encode("utf-8"), secret_source=source,
                  log_file=ns.log_file, log_level=ns.log_level, bugs=frozenset(ns.bug),
                  idle_timeout_s=ns.idle_timeout_s, auth_timeout_s=ns.auth_timeout_s,
                  stuck_after_ms=ns.stuck_after_ms, token_delay_ms=ns.token_delay_ms,
                  tokens=ns.tokens, fail_every=ns.fail_every, accept_delay_ms=ns.accept_delay_ms)
