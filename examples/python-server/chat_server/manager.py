"""manager: binds a connection id to its user (the incident's
``UnifiedWebSocketManager.connect_user``).

The fix of the incident: ``connect_user`` uses the id it is given and
generates one only when given none, so the route's state machine keeps its
id.  With the ``id_regeneration`` bug switched on it ignores the given id and
always generates a unified one, which is what made the route "migrate"
(destroy and recreate) the state machine.
"""

import logging

from .ids import UnifiedIDManager, is_valid_connection_id

log = logging.getLogger("chat")


class WebSocketManager:
    """connection id -> (user id, websocket).  Entries are removed by
    disconnect(); ``len()`` counts what is left."""

    def __init__(self, id_regeneration=False):
        self._ids = UnifiedIDManager()
        self._id_regeneration = id_regeneration
        self._connections = {}

    def connect_user(self, user_id, websocket, connection_id=None):
        """Registers the user's connection; returns the connection id it is
        known by.  Raises ValueError for a given id of neither format."""
        if connection_id is not None and not is_valid_connection_id(connection_id):
            raise ValueError("connection id %r has neither known format" % connection_id)
        if connection_id is None or self._id_regeneration:
            connection_id = self._ids.generate_id(prefix="conn", kind="websocket")
            log.info("connect_user: generated connection id %s for user %s", connection_id, user_id)
        else:
            log.info("connect_user: using provided connection id %s for user %s", connection_id, user_id)
        self._connections[connection_id] = (user_id, websocket)
        return connection_id

    def disconnect(self, connection_id):
        self._connections.pop(connection_id, None)

    def __len__(self):
        return len(self._connections)
