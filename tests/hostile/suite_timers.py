"""suite_timers: connections that come and go leave no timers behind (issue
10, item 5).  With a long auth timeout every connection used to leave its
auth and stuck timers queued until they fired; now closing a connection
drops its timers, so the count stays flat however many churn."""

import asyncio

from gp_hostile import metrics
from gp_rawws import RawWs
from gp_suite import run_with_server, wait_idle

CHURN = 400


def test_churn_leaves_no_timers(binary):
    async def body(srv):
        base = metrics(srv)["timers_pending"]
        for i in range(CHURN):
            r = RawWs(srv.port)  # opens, never authenticates, goes
            assert r.status == 101
            r.close()
        await wait_idle(srv)
        m = metrics(srv)
        assert m["timers_pending"] <= base + 2, (base, m)
        assert m["timer_connections"] == 0, m
    run_with_server(binary, body, ["--auth-timeout-ms", "3600000",
                                   "--stuck-after-ms", "3600000"])


TESTS = [("churn_leaves_no_timers", test_churn_leaves_no_timers)]
