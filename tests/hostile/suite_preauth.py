"""suite_preauth: what unauthenticated connections may hold together is
bounded (issue 10, item 4).  Clients that never authenticate and never read
make the server queue answers for them; past --preauth-memory-max the one
that would exceed it is closed with 1013, and the total never passes the
budget.  Authenticated clients are served throughout."""

import asyncio
import time

from gp_hostile import metrics
from gp_rawws import OP_TEXT, RawWs
from gp_suite import run_with_server, wait_idle
from gp_wsclient import Client, make_token, msg

BUDGET = 256 * 1024


def test_budget_holds(binary):
    """Unauthenticated clients send large messages before their (slow)
    accept completes: the core must hold them until then, so they count;
    so do reassembly buffers and queued answers."""
    async def body(srv):
        big = msg("agent_execution", {"message": "z" * 30000}).encode()
        raws = [RawWs(srv.port) for _ in range(12)]
        peak = 0
        for round_ in range(8):
            for r in raws:
                try:
                    r.send_frame(OP_TEXT, big)
                except OSError:
                    pass  # closed over the budget
            await asyncio.sleep(0.05)
            m = metrics(srv)
            peak = max(peak, m["preauth_bytes"])
            assert m["preauth_bytes"] <= BUDGET, m
        m = metrics(srv)
        assert m["preauth_refusals_total"] >= 1, (peak, m)
        assert srv.log_lines("pre-authentication memory budget is spent")
        # an authenticated client is served meanwhile
        c = await Client.connect(srv.url, token=make_token(srv.secret, sub="paying"))
        await c.ready(timeout=5)
        await c.ping_pong()
        await c.close()
        codes = []
        for r in raws:
            r.sock.settimeout(0.5)
            codes.append(r.recv_until_close()[0])
            r.close()
        assert 1013 in codes, codes
        await wait_idle(srv)
        assert metrics(srv)["preauth_bytes"] == 0
        print(f"peak pre-auth bytes {peak} of {BUDGET}")
    run_with_server(binary, body, ["--preauth-memory-max", str(BUDGET),
                                   "--accept-delay-ms", "1500", "--auth-timeout-ms", "30000"])


TESTS = [("budget_holds", test_budget_holds)]
