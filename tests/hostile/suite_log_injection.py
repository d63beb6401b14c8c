"""suite_log_injection: no client input can start a line in the server's log
(issue 10, item 3).  Request ids, tokens, messages and subprotocols with CR,
LF, ESC, NUL (as JSON escapes), backslashes and broken UTF-8 go in; every
line of the server's stderr must then start with a timestamp, and none may
carry a raw control byte."""

import asyncio
import re

from gp_rawws import OP_TEXT, RawWs
from gp_suite import run_with_server, wait_idle
from gp_wsclient import Client, make_token, msg

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (DEBUG|INFO|WARNING|ERROR) ")
FORGED = "2025-09-10T09:58:03.224757Z ERROR FORGED line"
EVIL = [f"x\n{FORGED}", f"x\r{FORGED}", f"x\r\n{FORGED}", "esc\x1b[2J\x1b[31mred",
        "nul\x00after", "back\\slash\\n", "bell\x07\x08\x7f", "nel\u0085ls\u2028ps\u2029",
        "tab\there"]


async def drain(c, quiet_s=0.5):
    """Reads until the server has been quiet for quiet_s."""
    while True:
        try:
            await c.recv_json(quiet_s)
        except AssertionError:
            return


def check_log(text):
    lines = text.split("\n")
    assert lines[-1] == "", "the log does not end with a newline"
    # the start-up warning about the dev secret is not a log line; we pass a secret
    bad = [l for l in lines[:-1] if not STAMP.match(l)]
    assert not bad, f"{len(bad)} lines without a timestamp, e.g. {bad[:3]!r}"
    ctl = [l for l in lines[:-1] if re.search(r"[\x00-\x08\x0b-\x1f\x7f\r]", l)]
    assert not ctl, f"raw control bytes in {ctl[:3]!r}"
    assert "\u0085" not in text and "\u2028" not in text


def test_no_forged_lines(binary):
    async def body(srv):
        c = await Client.connect(srv.url)
        for e in EVIL:  # NOT_READY echoes the request id (BAD_MESSAGE for a NUL)
            await c.send(msg("agent_execution", {"message": e}, request_id=e))
            m = await c.expect("error")
            assert m["data"]["code"] in ("NOT_READY", "BAD_MESSAGE"), m
        await c.auth(make_token(srv.secret, sub="injector"))
        for i, e in enumerate(EVIL):
            await c.send(msg("agent_execution", {"message": e, "agent_type": e},
                             request_id=f"{e}-{i}"))
        await drain(c)
        await c.send(msg("agent_execution", {"message": "dup"}, request_id=EVIL[0]))
        await c.send(msg(EVIL[0]))  # an unknown type
        await c.send('{"type":"ping","data":{},"x":"\\u0000\\n' + FORGED + '"}')
        await drain(c)
        await c.close()
        # tokens: bad ones are logged as refused
        for e in EVIL:
            if "\x00" in e:
                continue  # not JSON the server accepts: BAD_MESSAGE, above
            c = await Client.connect(srv.url)
            await c.send(msg("auth", {"token": e}))
            await c.expect_error("AUTH_FAILED")
            await c.expect_close(4401)
        # broken UTF-8 in a raw text frame, and a subprotocol list with junk
        r = RawWs(srv.port)
        r.send_frame(OP_TEXT, b'{"type":"x\xff\xfe\n","data":{}}')
        r.recv_until_close()
        r.close()
        await wait_idle(srv)
    srv = run_with_server(binary, body, ["--think-ms", "0:1", "--tool-ms", "0:1",
                                         "--log-level", "debug",
                                         "--agent-failure-rate", "1"])  # logs request ids
    check_log(srv.stderr())


TESTS = [("no_forged_lines", test_no_forged_lines)]
