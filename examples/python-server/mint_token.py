#!/usr/bin/env python3
"""mint_token.py: prints an HS384 access token that chat-server accepts.

    python3 examples/python-server/mint_token.py --secret S --uid alice [--ttl 3600]

The secret defaults to the environment variable CHAT_JWT_SECRET, as the
server's does.  Standard library only.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chat_server.jwt_hs384 import UID_RE, sign  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser(prog="mint_token.py", description="Print a chat-server access token.")
    p.add_argument("--secret", default=os.environ.get("CHAT_JWT_SECRET"),
                   help="the server's secret (default: env CHAT_JWT_SECRET)")
    p.add_argument("--uid", required=True, help="user id: 1-64 characters of [A-Za-z0-9_.@-]")
    p.add_argument("--ttl", type=int, default=3600, help="seconds until exp (default 3600; <= 0 mints an expired token)")
    ns = p.parse_args(argv)
    if not ns.secret:
        p.error("--secret is required (or set CHAT_JWT_SECRET)")
    if not UID_RE.match(ns.uid):
        p.error("--uid must be 1-64 characters of [A-Za-z0-9_.@-]")
    now = int(time.time())
    print(sign({"uid": ns.uid, "iat": now, "exp": now + ns.ttl}, ns.secret.encode("utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
