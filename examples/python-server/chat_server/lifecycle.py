"""lifecycle: the connection state machine and the state registry.

Modelled on the incident's back end: ``ApplicationConnectionState``, one
``ConnectionStateMachine`` per connection id, kept in a
``ConnectionStateRegistry`` (a dict id -> machine).  A machine refuses an
illegal step, logs it with the incident's wording and never applies it, so a
bug shows up as counted, logged refusals rather than silent corruption.
"""

import enum
import logging
import time

log = logging.getLogger("chat")


class ApplicationConnectionState(enum.Enum):
    CONNECTING = "connecting"
    ACCEPTED = "accepted"
    AUTHENTICATED = "authenticated"
    SERVICES_READY = "services_ready"
    PROCESSING_READY = "processing_ready"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


S = ApplicationConnectionState

# The climb, in order; each state may step to the next one.
CLIMB = (S.CONNECTING, S.ACCEPTED, S.AUTHENTICATED, S.SERVICES_READY, S.PROCESSING_READY)
# States a connection may be "stuck" in: before PROCESSING_READY.
PRE_READY = CLIMB[:-1]
TERMINAL = (S.CLOSING, S.CLOSED, S.FAILED)


def is_legal(src, dst):
    """True when src -> dst is a legal step: the next state of the climb; any
    state but CLOSED to CLOSING or FAILED (never to itself); CLOSING or FAILED
    to CLOSED."""
    if src in CLIMB[:-1] and dst is CLIMB[CLIMB.index(src) + 1]:
        return True
    if dst in (S.CLOSING, S.FAILED):
        return src is not S.CLOSED and src is not dst
    return dst is S.CLOSED and src in (S.CLOSING, S.FAILED)


class TransitionStats:
    """Process-wide counts of attempted steps, for /metrics."""

    def __init__(self):
        self.ok = 0
        self.failed = 0


class ConnectionStateMachine:
    """The lifecycle of one connection id.  ``entered_at`` is the monotonic
    time the current state was entered (the stuck check uses it)."""

    def __init__(self, connection_id, user_id, stats):
        self.connection_id = connection_id
        self.user_id = user_id
        self.current_state = S.CONNECTING
        self.entered_at = time.monotonic()
        self.history = [(S.CONNECTING, self.entered_at)]
        self._stats = stats

    def transition_to(self, dst):
        """Attempts one step.  Returns True when it was applied; False (after
        logging the incident's WARNING) when it is illegal, leaving the state
        as it was.  Every attempt is counted."""
        src = self.current_state
        if not is_legal(src, dst):
            self._stats.failed += 1
            log.warning("Invalid state transition for %s: %s -> %s", self.connection_id, src, dst)
            return False
        self.current_state = dst
        self.entered_at = time.monotonic()
        if len(self.history) < 32:
            self.history.append((dst, self.entered_at))
        self._stats.ok += 1
        log.info("State transition for %s: %s -> %s", self.connection_id, src, dst)
        return True

    def transition_to_accepted(self):
        return self.transition_to(S.ACCEPTED)

    def transition_to_authenticated(self):
        return self.transition_to(S.AUTHENTICATED)

    def transition_to_services_ready(self):
        return self.transition_to(S.SERVICES_READY)

    def transition_to_processing_ready(self):
        return self.transition_to(S.PROCESSING_READY)

    def is_stuck(self, now, stuck_after_s):
        """True when the machine has stayed in a state before PROCESSING_READY
        longer than stuck_after_s."""
        return self.current_state in PRE_READY and now - self.entered_at > stuck_after_s


class ConnectionStateRegistry:
    """connection id -> ConnectionStateMachine.  Every machine registered must
    be unregistered when its connection ends; /healthz and /metrics count
    what is left."""

    def __init__(self, stats):
        self._machines = {}
        self._stats = stats

    def register_connection(self, connection_id, user_id):
        """Creates a machine in CONNECTING under connection_id and returns it.
        An id already registered is replaced (and says so)."""
        if connection_id in self._machines:
            log.warning("State machine for %s already registered; replacing it", connection_id)
        machine = ConnectionStateMachine(connection_id, user_id, self._stats)
        self._machines[connection_id] = machine
        return machine

    def unregister_connection(self, connection_id):
        """Drops the machine of connection_id; returns it, or None."""
        return self._machines.pop(connection_id, None)

    def get_connection_state_machine(self, connection_id):
        return self._machines.get(connection_id)

    def machines(self):
        return list(self._machines.values())

    def __len__(self):
        return len(self._machines)
