"""gp_suite: what every protocol test does around its body -- start a server
on a free port, run the async body, print the server's log tail if it fails,
stop the server with SIGTERM and check it exited 0 with no sanitizer report.
"""

import asyncio

from gp_serverproc import Server


def run_with_server(binary, body, args=(), expect_exit=0, **server_kw):
    srv = Server(binary, args, **server_kw).start()
    try:
        asyncio.run(body(srv))
    except BaseException:
        srv.kill()
        print("--- server stderr (tail) ---")
        print(srv.stderr()[-5000:])
        raise
    code = srv.stop()
    assert code == expect_exit, f"server exited {code}, expected {expect_exit}:\n" \
                                f"{srv.stderr()[-3000:]}"
    return srv


async def wait_idle(srv):
    """Waits until the server reports no WebSocket connections (closing is
    asynchronous: the client's close returns before the server has seen the
    TCP close)."""
    return await asyncio.to_thread(srv.wait_health, lambda h: h["active_connections"] == 0)
