"""suite_startup: what goldpath-server says and does before it serves --
refusing bad flags (exit 2, naming the flag), unknown bug names (exit 2,
listing the known ones), --max-connections over the fd limit (exit 2, saying
what fits), a port in use (exit 1); the start-up lines; the secret from the
environment; --help."""

import asyncio
import re
import socket

from gp_serverproc import Server
from gp_suite import run_with_server
from gp_wsclient import Client, make_token


def refuse(binary, args, code, *needles, **kw):
    srv = Server(binary, args, **kw)
    got, out, err = srv.run_to_exit()
    assert got == code, f"{args}: exit {got}, expected {code}\n{err}"
    for n in needles:
        assert n in err, f"{args}: stderr lacks {n!r}:\n{err}"
    srv.check_clean()
    return err


def test_unknown_bug(binary):
    refuse(binary, ["--bug", "accept_race", "--bug", "no_such_bug"], 2,
           "--bug", "no_such_bug", "id_regeneration", "accept_race",
           "swallow_transition_errors")


def test_max_connections_over_fd_limit(binary):
    err = refuse(binary, ["--max-connections", "1000"], 2,
                 "--max-connections 1000", "file-descriptor limit", "256", "ulimit -n",
                 nofile=256)
    assert "at most 160" in err, err
    # not given: the default is lowered to fit, and the server runs
    srv = Server(binary, nofile=256).start()
    assert srv.stop() == 0
    assert srv.log_lines("max connections 160 (fd limit 256)"), srv.stderr()


def test_bad_flag_values(binary):
    for args, needle in [
        (["--port", "70000"], "--port"),
        (["--think-ms", "80:20"], "--think-ms"),
        (["--tool-ms", "x"], "--tool-ms"),
        (["--agent-failure-rate", "2"], "--agent-failure-rate"),
        (["--stuck-after-ms", "0"], "--stuck-after-ms"),
        (["--max-message", "-5"], "--max-message"),
        (["--auth-timeout-ms", "soon"], "--auth-timeout-ms"),
        (["--max-connections", "0"], "--max-connections"),
        (["--shutdown-grace-ms", "1.5"], "--shutdown-grace-ms"),
        (["--log-level", "chatty"], "--log-level"),
        (["--accept-delay-ms", "-1"], "--accept-delay-ms"),
        (["--no-such-flag"], "unknown flag --no-such-flag"),
        (["--max-message"], "--max-message needs a value"),
    ]:
        refuse(binary, args, 2, needle)


def test_port_in_use(binary):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        srv = Server(binary)
        srv.spawn([binary, "--port", str(port), "--jwt-secret", "x"])
        got = srv.wait(15)
        err = srv.stderr()
        assert got == 1, f"exit {got}: {err}"
        assert f"could not listen on 127.0.0.1 port {port}" in err, err
    finally:
        s.close()


def test_startup_lines_and_help(binary):
    srv = Server(binary, secret=None)  # no --jwt-secret, no environment
    srv.start()
    out = srv.stdout()
    assert re.search(rf"^goldpath-server listening on ws://127\.0\.0\.1:{srv.port}/ws "
                     rf"\(health: http://127\.0\.0\.1:{srv.port}/health\)$", out, re.M), out
    assert ("WARNING: using the built-in development JWT secret (dev only): set "
            "--jwt-secret or GOLDPATH_JWT_SECRET") in srv.stderr()
    assert srv.stop() == 0
    # the secret from the environment: no warning, and tokens signed with it work
    async def body(srv):
        c = await Client.connect(srv.url, token=make_token("env-secret", sub="env"))
        await c.ready()
        await c.close()
    srv = run_with_server(binary, body, secret=None, env={"GOLDPATH_JWT_SECRET": "env-secret"})
    assert "development JWT secret" not in srv.stderr()
    assert srv.log_lines("JWT secret from GOLDPATH_JWT_SECRET")
    # --help lists every flag and exits 0
    srv = Server(binary, secret=None)
    srv.spawn([binary, "--help"])
    assert srv.proc.wait(10) == 0
    text = srv.stdout()
    for flag in ("--port", "--bind", "--jwt-secret", "--bug", "--think-ms", "--tool-ms",
                 "--agent-failure-rate", "--stuck-after-ms", "--max-message",
                 "--auth-timeout-ms", "--max-connections", "--shutdown-grace-ms",
                 "--log-level", "--ready-file", "--event-loop", "--accept-delay-ms", "--help",
                 "id_regeneration", "accept_race", "swallow_transition_errors"):
        assert flag in text, f"--help lacks {flag}"


def test_bug_switch_is_announced(binary):
    async def body(srv):
        pass
    srv = run_with_server(binary, body, ["--bug", "id_regeneration"])
    assert srv.log_lines("Known bug switched on: id_regeneration")


def test_poll_event_loop_serves(binary):
    """The fallback event loop serves the golden path too."""
    async def body(srv):
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="poll"))
        await c.ready()
        await c.ping_pong()
        await c.close()
    srv = run_with_server(binary, body, ["--event-loop", "poll"])
    assert srv.log_lines("event loop poll")


TESTS = [
    ("unknown_bug", test_unknown_bug),
    ("max_connections_over_fd_limit", test_max_connections_over_fd_limit),
    ("bad_flag_values", test_bad_flag_values),
    ("port_in_use", test_port_in_use),
    ("startup_lines_and_help", test_startup_lines_and_help),
    ("bug_switch_is_announced", test_bug_switch_is_announced),
    ("poll_event_loop_serves", test_poll_event_loop_serves),
]
