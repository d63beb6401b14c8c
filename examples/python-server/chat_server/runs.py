"""runs: what a client sends, and the chat runs it starts.

Client -> server (JSON text frames):
  {"action":"chat.send","id":"<req id>","input":{"text":"..."}}
  {"action":"keepalive"}
Each chat.send starts a run in its own task, so several runs may be in flight
on one connection; each run's events go out in order:
run.started, --tokens x run.token, then run.done (or failure RUN_FAILED).
"""

import asyncio
import json
import logging
import time

from websockets.exceptions import ConnectionClosed

from . import route

log = logging.getLogger("chat")

REQUEST_ID_LEN_MAX = 128
REPLY_PREFIX = "chat-server heard you say: "


def _reject_constant(name):
    raise ValueError("non-finite number " + name)


async def failure(conn, code, detail, ref=None):
    """Sends {"event":"failure","ref":ref,"error":{"code":code,"detail":detail}}."""
    await route.send(conn, {"event": "failure", "ref": ref, "error": {"code": code, "detail": detail}})


def reply_text(text, tokens):
    """The run's output: the input verbatim after a fixed prefix (so at least
    27 characters), padded with dots to at least `tokens` characters."""
    out = REPLY_PREFIX + text
    return out + "." * max(0, tokens - len(out))


def split_deltas(text, tokens):
    """text cut into `tokens` non-empty pieces (len(text) >= tokens) whose
    concatenation is text."""
    if tokens == 0:
        return []
    size, extra = divmod(len(text), tokens)
    pieces, at = [], 0
    for i in range(tokens):
        n = size + (1 if i < extra else 0)
        pieces.append(text[at:at + n])
        at += n
    return pieces


async def run(app, conn, ref, text):
    """One run: started, the tokens, then done -- or failure RUN_FAILED for
    every --fail-every'th run of the process."""
    app.run_seq += 1
    injected = app.cfg.fail_every > 0 and app.run_seq % app.cfg.fail_every == 0
    session = conn.id
    log.debug("Run %s started on %s", ref, session)
    if not await route.send(conn, {"event": "run.started", "ref": ref, "session": session}):
        return
    output = reply_text(text, app.cfg.tokens)
    for delta in split_deltas(output, app.cfg.tokens):
        await asyncio.sleep(app.cfg.token_delay_ms / 1000.0)
        if not await route.send(conn, {"event": "run.token", "ref": ref, "session": session, "delta": delta}):
            return
    if injected:
        app.counters.runs_failed += 1
        log.warning("Run %s on %s failed (injected fault: --fail-every %d)", ref, session, app.cfg.fail_every)
        await failure(conn, "RUN_FAILED", "the run failed (injected fault: every %d. run fails)"
                      % app.cfg.fail_every, ref)
        return
    app.counters.runs_done += 1
    log.debug("Run %s done on %s", ref, session)
    await route.send(conn, {"event": "run.done", "ref": ref, "session": session, "output": {"text": output}})


async def _chat_send(app, conn, msg, ref):
    rid = msg.get("id")
    if not isinstance(rid, str) or not 1 <= len(rid) <= REQUEST_ID_LEN_MAX:
        await failure(conn, "BAD_INPUT", "chat.send needs an id: a string of 1-%d characters" % REQUEST_ID_LEN_MAX)
        return
    inp = msg.get("input")
    if not isinstance(inp, dict) or not isinstance(inp.get("text"), str):
        await failure(conn, "BAD_INPUT", "chat.send needs input.text, a string", ref)
        return
    if not conn.ready:
        await failure(conn, "NOT_READY", "the session is not ready yet (wait for session.ready)", ref)
        return
    if rid in conn.runs:
        await failure(conn, "BAD_INPUT", "a run with this id is already in flight on this connection", ref)
        return
    if len(conn.runs) >= app.cfg.runs_in_flight_max:
        await failure(conn, "BAD_INPUT", "too many runs in flight (at most %d)" % app.cfg.runs_in_flight_max, ref)
        return
    task = asyncio.create_task(run(app, conn, rid, inp["text"]))
    conn.runs[rid] = task
    task.add_done_callback(lambda _t, rid=rid: conn.runs.pop(rid, None))


async def process(app, conn, message):
    """Handles one message.  Bad input is answered with failure BAD_INPUT
    and the connection stays open."""
    if not conn.accepted and not conn.auth_attempted:
        # Only with accept_race: the message path finishes authentication
        # itself, before accept has completed -- the incident's race.
        if not await route.bind_user(app, conn):
            log.debug("Message on %s dropped (arrived before accept)", conn.id)
            return
    if isinstance(message, bytes):
        await failure(conn, "BAD_INPUT", "binary frames are not accepted: send JSON text frames")
        return
    try:
        msg = json.loads(message, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        await failure(conn, "BAD_INPUT", "the message is not JSON")
        return
    if not isinstance(msg, dict):
        await failure(conn, "BAD_INPUT", "the message must be a JSON object")
        return
    ref = msg.get("id") if isinstance(msg.get("id"), str) and len(msg["id"]) <= REQUEST_ID_LEN_MAX else None
    action = msg.get("action")
    if action == "keepalive":
        await route.send(conn, {"event": "keepalive.ack"})
    elif action == "chat.send":
        await _chat_send(app, conn, msg, ref)
    elif isinstance(action, str):
        await failure(conn, "BAD_INPUT", "unknown action (expected chat.send or keepalive)", ref)
    else:
        await failure(conn, "BAD_INPUT", "the message needs an action, a string", ref)


async def read_loop(app, conn):
    """Reads and processes messages until the connection closes."""
    try:
        async for message in conn.ws:
            conn.last_activity = time.monotonic()
            await process(app, conn, message)
    except ConnectionClosed:
        pass
