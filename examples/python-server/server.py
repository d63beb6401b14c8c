#!/usr/bin/env python3
"""server.py: runs chat-server, the second reference WebSocket back end that
goldpath tests in live mode (see README.md for the wire contract).

    python3 examples/python-server/server.py --port 0 --log-file /tmp/chat.log

Needs Python 3 and the websockets library 10.x (Debian 12: python3-websockets);
nothing else beyond the standard library.  A python3 without websockets (a
pyenv or venv one, say) hands over to /usr/bin/python3 when that has it.
"""

import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

try:
    import websockets  # noqa: F401  (checked here, used by chat_server)
except ImportError:
    SYSTEM_PYTHON = "/usr/bin/python3"
    if (os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)
            and not os.environ.get("CHAT_SERVER_NO_REEXEC")):
        os.environ["CHAT_SERVER_NO_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit("chat-server: needs the websockets module (Debian: apt-get install python3-websockets)")

from chat_server.app import serve  # noqa: E402
from chat_server.config import parse_args  # noqa: E402
from chat_server.logsetup import setup_logging  # noqa: E402


def main(argv):
    cfg = parse_args(argv)
    try:
        setup_logging(cfg.log_level, cfg.log_file)
    except OSError as exc:
        print("server.py: cannot open --log-file %s: %s" % (cfg.log_file, exc.strerror), file=sys.stderr)
        return 2
    return asyncio.run(serve(cfg))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
