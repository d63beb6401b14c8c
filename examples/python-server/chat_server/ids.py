"""ids: the two connection id formats of the incident and their validators.

* Preliminary id, assigned when the socket opens: ``ws_<unix ms>_<id(websocket)>``.
* Unified id, from the id manager: ``conn_websocket_<counter>_<8 hex>``.

The two can never be equal; the incident's bug was generating the second one
for a connection that already had the first (see manager.py).
"""

import itertools
import re
import secrets
import time

PRELIMINARY_RE = re.compile(r"ws_[0-9]{1,20}_[0-9]{1,25}\Z")
UNIFIED_RE = re.compile(r"conn_websocket_[0-9]{1,20}_[0-9a-f]{8}\Z")


def preliminary_connection_id(websocket):
    """``ws_<ms since the epoch>_<id(websocket)>`` for a socket that just opened."""
    return "ws_%d_%d" % (int(time.time() * 1000), id(websocket))


def is_valid_connection_id(text):
    """True for either format."""
    return bool(PRELIMINARY_RE.match(text) or UNIFIED_RE.match(text))


class UnifiedIDManager:
    """Generates unified ids.  The counter is process-wide (one manager per
    server) and never reused."""

    def __init__(self):
        self._counter = itertools.count(1)

    def generate_id(self, prefix="conn", kind="websocket"):
        return "%s_%s_%d_%s" % (prefix, kind, next(self._counter), secrets.token_hex(4))
