#!/usr/bin/python3
"""measure_server.py: memory per connection and CPU of goldpath-server under
many idle connections (a measurement, not a test; docs/server.md quotes it).

    /usr/bin/python3 tests/protocol/measure_server.py --server PATH \\
        [--connections 2000] [--event-loop uv|poll] [--rounds 5]

Starts the server, opens a few connections to warm it up, reads VmRSS from
/proc/PID/status, opens N connections that authenticate (connection_ready)
and stay idle, reads VmRSS again: (after - before) / N is the server's cost
per authenticated idle connection.  Then `rounds` times every connection
sends a ping and waits for its pong; the server's user+system CPU time over
those rounds compares event loops.  Connections are opened in bounded
batches (TOOLCHAIN.md: thousands of pending handshakes at once cost lws
O(n^2)).
"""

import argparse
import asyncio
import os
import resource
import sys
import time

sys.dont_write_bytecode = True  # keep tests/protocol free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gp_serverproc import Server  # noqa: E402
from gp_wsclient import Client, make_token, msg  # noqa: E402


def vmrss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime


async def open_many(srv, n, batch=200):
    clients = []
    for start in range(0, n, batch):
        async def one(i):
            c = await Client.connect(srv.url, token=make_token(srv.secret, sub=f"m{i}"),
                                     compression=None, max_queue=4)
            await c.ready()
            return c
        clients += await asyncio.gather(*(one(i) for i in range(start, min(n, start + batch))))
    return clients


async def measure(srv, n, rounds):
    pid = srv.proc.pid
    warm = await open_many(srv, 20)
    for c in warm:
        await c.close()
    await asyncio.sleep(0.5)
    before = vmrss_kib(pid)
    t0 = time.monotonic()
    clients = await open_many(srv, n)
    open_s = time.monotonic() - t0
    await asyncio.sleep(0.5)
    after = vmrss_kib(pid)
    u0, s0 = cpu_s(pid)
    t0 = time.monotonic()
    for _ in range(rounds):
        for c in clients:
            await c.send(msg("ping"))
        for c in clients:
            await c.expect("pong")
    wall = time.monotonic() - t0
    u1, s1 = cpu_s(pid)
    print(f"connections           {n}")
    print(f"event loop            {srv.args[-1]}")
    print(f"open+auth wall time   {open_s:.2f} s")
    print(f"VmRSS before / after  {before} KiB / {after} KiB")
    print(f"per connection        {(after - before) / n:.2f} KiB")
    print(f"{rounds} ping rounds      wall {wall:.2f} s, server user {u1 - u0:.2f} s, "
          f"system {s1 - s0:.2f} s")
    for c in clients:
        await c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--event-loop", default="uv", choices=["uv", "poll"])
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    srv = Server(a.server, ["--log-level", "warning", "--max-connections",
                            str(a.connections + 100), "--event-loop", a.event_loop]).start()
    try:
        asyncio.run(measure(srv, a.connections, a.rounds))
    finally:
        print("server exit", srv.stop())


if __name__ == "__main__":
    main()
