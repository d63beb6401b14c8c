"""metrics: /healthz and /metrics, from the server's own state.

The names are this server's (``chat_ws_*``), not goldpath's: a protocol
profile maps them.  Gauges are computed when scraped, from the registry, so
they cannot drift from it: an entry the registry leaks shows here.
"""

import time

from .lifecycle import CLIMB

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Counters:
    """Process-wide counters that are not the registry's."""

    def __init__(self):
        self.runs_done = 0
        self.runs_failed = 0
        self.sessions_ready = 0
        self.id_mismatches = 0


def healthz(app):
    """The /healthz document: ``{"ok":true,"connections":N}``, N the
    registry's entries (state machines of open connections)."""
    return {"ok": True, "connections": len(app.registry)}


def _family(out, name, kind, help_text, samples):
    out.append("# HELP %s %s" % (name, help_text))
    out.append("# TYPE %s %s" % (name, kind))
    for labels, value in samples:
        out.append("%s%s %d" % (name, labels, value))


def render(app):
    """The /metrics body in the Prometheus text format (version 0.0.4)."""
    machines = app.registry.machines()
    now = time.monotonic()
    stuck_after_s = app.cfg.stuck_after_ms / 1000.0
    by_state = {s: 0 for s in CLIMB}
    for m in machines:
        if m.current_state in by_state:
            by_state[m.current_state] += 1
    out = []
    _family(out, "chat_ws_connections_active", "gauge",
            "Connections whose state machine is in the registry.", [("", len(machines))])
    _family(out, "chat_ws_connections_stuck", "gauge",
            "Connections in a state before PROCESSING_READY for longer than --stuck-after-ms.",
            [("", sum(1 for m in machines if m.is_stuck(now, stuck_after_s)))])
    _family(out, "chat_ws_connections_by_state", "gauge",
            "Registered state machines per lifecycle state.",
            [('{state="%s"}' % s.name, n) for s, n in by_state.items()])
    _family(out, "chat_ws_state_transitions_total", "counter",
            "Lifecycle steps attempted, by outcome (failed: refused as illegal).",
            [('{outcome="ok"}', app.stats.ok), ('{outcome="failed"}', app.stats.failed)])
    _family(out, "chat_ws_runs_total", "counter", "Chat runs finished, by outcome.",
            [('{outcome="done"}', app.counters.runs_done),
             ('{outcome="failed"}', app.counters.runs_failed)])
    _family(out, "chat_ws_sessions_ready_total", "counter",
            "session.ready messages sent.", [("", app.counters.sessions_ready)])
    _family(out, "chat_ws_connection_id_mismatches_total", "counter",
            "Connections whose manager id differed from the preliminary id (state machine migrated).",
            [("", app.counters.id_mismatches)])
    return "\n".join(out) + "\n"
