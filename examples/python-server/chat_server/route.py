"""route: the life of one WebSocket connection, as the incident's route ran it.

  upgrade accepted (token checked)  -> preliminary id, machine in CONNECTING
  accept step (--accept-delay-ms)   -> ACCEPTED
  connect_user(uid, ws, prelim id)  -> AUTHENTICATED -> SERVICES_READY
                                    -> PROCESSING_READY, then session.ready
  messages are read only from then on (held until ready), unless accept_race.

``step_failed`` is the one failure policy.  The fixed server fails the
connection (FAILED, close 1011): it never leaves one hanging.  The bug
switches reproduce the incident instead (see README.md, "Bugs").
"""

import asyncio
import json
import logging
import time

from websockets.exceptions import ConnectionClosed

from .http_front import format_peer
from .ids import preliminary_connection_id
from .lifecycle import TERMINAL, S

log = logging.getLogger("chat")

CONTINUE, ABANDON, FAIL = "continue", "abandon", "fail"


class Conn:
    """One open WebSocket connection.  ``machine`` may be replaced once (the
    id_regeneration migration); ``id`` is always the current machine's."""

    def __init__(self, ws, uid, prelim_id, machine):
        self.ws = ws
        self.uid = uid
        self.prelim_id = prelim_id
        self.machine = machine
        self.accepted = False        # the accept step has completed
        self.auth_attempted = False  # connect_user and AUTHENTICATED were tried
        self.abandoned = False       # a bug left the route where it failed
        self.ready = False           # session.ready was sent
        self.last_activity = time.monotonic()
        self.runs = {}               # request id -> task
        self.helpers = []            # idle and stuck watchers
        self.reader = None

    @property
    def id(self):
        return self.machine.connection_id


async def send(conn, obj):
    """Sends obj as a JSON text frame.  False when the connection is gone."""
    try:
        await conn.ws.send(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))
        return True
    except ConnectionClosed:
        return False


def step_failed(app, conn, to):
    """Logs the incident's line for a failed step to `to` and says what the
    route does next: FAIL (fixed server), CONTINUE or ABANDON (bugs)."""
    m = conn.machine
    if to is S.AUTHENTICATED:
        log.error("PHASE 2 FIX 2: Failed to transition state machine to AUTHENTICATED for %s", m.connection_id)
    else:
        log.error("Failed to transition to %s for %s", to.name, m.connection_id)
    if to is S.AUTHENTICATED and not conn.accepted and m.current_state is S.CONNECTING:
        log.error("This indicates accept() race condition - connection cannot process messages: %s",
                  m.connection_id)
    if app.cfg.bug("swallow_transition_errors"):
        return CONTINUE
    if app.cfg.bug("id_regeneration"):
        # The incident's route caught the AUTHENTICATED failure and went on,
        # then stopped at the next one.
        return CONTINUE if to is S.AUTHENTICATED else ABANDON
    if app.cfg.bug("accept_race"):
        return ABANDON
    return FAIL


async def fail(app, conn, why):
    """The fixed server's answer to a step that failed anyway: FAILED, 1011."""
    if conn.machine.current_state not in TERMINAL:
        conn.machine.transition_to(S.FAILED)
    log.error("Closing connection %s: 1011 %s", conn.id, why)
    await conn.ws.close(1011, "lifecycle step failed")


async def climb(app, conn, to):
    """One step up; on failure applies step_failed.  True: the route goes on."""
    if conn.machine.transition_to(to):
        return True
    action = step_failed(app, conn, to)
    if action is CONTINUE:
        return True
    if action is ABANDON:
        conn.abandoned = True
        return False
    await fail(app, conn, "the connection could not reach the ready state")
    return False


async def bind_user(app, conn):
    """connect_user with the preliminary id, the migration the incident did
    when the ids differ, then the step to AUTHENTICATED.  True: go on."""
    conn.auth_attempted = True
    try:
        cid = app.manager.connect_user(conn.uid, conn.ws, connection_id=conn.prelim_id)
    except ValueError as exc:
        log.error("connect_user failed for %s: %s", conn.id, exc)
        await fail(app, conn, "the connection could not be bound to its user")
        return False
    if cid != conn.id:
        # Only id_regeneration gets here: the machine and its ACCEPTED state
        # are dropped and a new one starts in CONNECTING.
        app.counters.id_mismatches += 1
        log.warning("Connection id mismatch: %s became %s; migrating state machine", conn.id, cid)
        app.registry.unregister_connection(conn.id)
        conn.machine = app.registry.register_connection(cid, conn.uid)
    conn.machine.user_id = conn.uid
    log.info("Connection %s authenticated as %s", conn.id, conn.uid)
    return await climb(app, conn, S.AUTHENTICATED)


async def finish(app, conn):
    """SERVICES_READY, PROCESSING_READY, then session.ready."""
    if not await climb(app, conn, S.SERVICES_READY) or not await climb(app, conn, S.PROCESSING_READY):
        return
    ready = {"event": "session.ready", "session": {"id": conn.id, "user": conn.uid}}
    if await send(conn, ready):
        conn.ready = True
        app.counters.sessions_ready += 1
        log.info("Connection %s ready (%s)", conn.id, conn.machine.current_state.name)


async def open_route(app, conn, read_loop):
    """From CONNECTING to session.ready (or to where a bug leaves it)."""
    if app.cfg.bug("accept_race"):
        conn.reader = asyncio.create_task(read_loop(app, conn))
    if app.cfg.accept_delay_ms:
        await asyncio.sleep(app.cfg.accept_delay_ms / 1000.0)
    conn.accepted = True
    if conn.ws.closed:
        return
    if not await climb(app, conn, S.ACCEPTED):
        return
    log.info("Connection %s accepted", conn.id)
    if conn.abandoned:
        return
    if not conn.auth_attempted and not await bind_user(app, conn):
        return
    await finish(app, conn)


async def idle_watch(app, conn):
    """Closes the connection with 4000 "idle" once it has sent nothing for
    --idle-timeout-s."""
    idle_s = app.cfg.idle_timeout_s
    while True:
        remaining = conn.last_activity + idle_s - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(remaining)
    log.info("Connection %s idle for %g s; closing: 4000 idle", conn.id, idle_s)
    await conn.ws.close(4000, "idle")


async def stuck_watch(app, conn):
    """Logs the incident's never-ready line once, when the connection's
    machine has stayed before PROCESSING_READY past --stuck-after-ms."""
    stuck_s = app.cfg.stuck_after_ms / 1000.0
    while True:
        m = conn.machine
        if m.current_state is S.PROCESSING_READY or m.current_state in TERMINAL:
            return
        due = m.entered_at + stuck_s
        now = time.monotonic()
        if now > due:
            log.error("Connection %s state machine never reached ready state: %s", m.connection_id,
                      m.current_state)
            return
        await asyncio.sleep(due - now + 0.001)


def close_machine(app, conn):
    """CLOSING, CLOSED, and out of the registry and the manager."""
    m = conn.machine
    if m.current_state not in TERMINAL:
        m.transition_to(S.CLOSING)
    if m.current_state is not S.CLOSED:
        m.transition_to(S.CLOSED)
    log.info("Connection %s closed: %s %s", m.connection_id, conn.ws.close_code, conn.ws.close_reason or "-")
    if not app.cfg.bug("stale_registry"):
        app.registry.unregister_connection(m.connection_id)
    app.manager.disconnect(m.connection_id)


async def handle(app, ws, read_loop):
    """The websockets handler: one call per upgraded connection, returning
    when it has closed, with nothing of it left behind."""
    if ws.chat_uid is None or app.shutting_down:
        await ws.close(1001 if app.shutting_down else 1011)
        return
    prelim = preliminary_connection_id(ws)
    conn = Conn(ws, ws.chat_uid, prelim, app.registry.register_connection(prelim, None))
    app.conns.add(conn)
    log.info("Connection %s opened (CONNECTING)", prelim)
    log.info("Connection %s peer %s", prelim, format_peer(ws.remote_address))
    try:
        conn.helpers = [asyncio.create_task(idle_watch(app, conn)),
                        asyncio.create_task(stuck_watch(app, conn))]
        await open_route(app, conn, read_loop)
        if conn.reader is None and conn.ready:
            conn.reader = asyncio.create_task(read_loop(app, conn))
        await ws.wait_closed()
    finally:
        tasks = conn.helpers + list(conn.runs.values()) + ([conn.reader] if conn.reader else [])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        close_machine(app, conn)
        app.conns.discard(conn)
