#!/bin/sh
# bench-hostile.sh: the golden path beside slow-header clients (issue 10,
# item 1), at full size.
#
#   scripts/bench-hostile.sh [SERVER] [SLOW_SOCKETS] [SECONDS]
#
# Starts SERVER (default build/sut/server/goldpath-server) on a free port,
# opens SLOW_SOCKETS (default 300) connections that send their upgrade head
# one byte a second and reconnect when dropped, and runs one golden path
# every 2 s for SECONDS (default 45).  Prints every golden path's time, then
# the median and the maximum.  Everything it starts it stops; it uses only
# 127.0.0.1 and a temporary folder it removes.
set -eu
SERVER=${1:-build/sut/server/goldpath-server}
SLOW=${2:-300}
SECONDS_RUN=${3:-45}
HERE=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 - "$SERVER" "$SLOW" "$SECONDS_RUN" "$HERE" <<'EOF'
import asyncio, os, socket, statistics, sys, time
server, slow, seconds, root = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sys.path.insert(0, os.path.join(root, "tests", "protocol"))
sys.path.insert(0, os.path.join(root, "tests", "hostile"))
sys.dont_write_bytecode = True
from gp_serverproc import Server, cleanup_all
from gp_hostile import golden_path, metrics

HEAD = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

def connect(port):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return [s, 0]

async def slow_clients(port, t_end):
    socks = [connect(port) for _ in range(slow)]
    while time.monotonic() < t_end:
        for i, st in enumerate(socks):
            s, pos = st
            try:
                s.send(HEAD[pos % len(HEAD):pos % len(HEAD) + 1])
                st[1] += 1
            except (BlockingIOError, OSError):
                s.close()
                socks[i] = connect(port)  # dropped: come back, as an attacker would
        await asyncio.sleep(1.0)
    for s, _ in socks:
        s.close()

async def main(srv):
    t_end = time.monotonic() + seconds
    attack = asyncio.create_task(slow_clients(srv.port, t_end))
    await asyncio.sleep(1.0)
    times = []
    while time.monotonic() < t_end - 1:
        try:
            t = await golden_path(srv, sub=f"bench-{len(times)}", timeout=15)
        except Exception as e:  # a locked-out client: count it as 15 s
            print(f"golden path failed: {type(e).__name__}: {e}", flush=True)
            t = 15.0
        times.append(t)
        print(f"t={seconds - (t_end - time.monotonic()):5.1f} s  golden path {t:.3f} s", flush=True)
        await asyncio.sleep(max(0.0, 2.0 - t))
    await attack
    try:
        print("server figures:", metrics(srv))
    except AssertionError:
        pass
    print(f"{slow} slow-header sockets, {seconds:.0f} s: {len(times)} golden paths, "
          f"median {statistics.median(times):.3f} s, max {max(times):.3f} s")

srv = Server(os.path.abspath(server), ["--log-level", "warning"]).start()
try:
    asyncio.run(main(srv))
finally:
    srv.stop()
    cleanup_all()
EOF
