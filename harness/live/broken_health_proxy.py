#!/usr/bin/python3
"""broken_health_proxy.py: a TCP proxy in front of goldpath-server that spoils
its /health, for the live tests of "a server whose /health is broken".

    broken_health_proxy.py --upstream PORT --health garbage|hang --ready-file F

Every connection is passed through to 127.0.0.1:PORT unchanged, except a
request for /health: with `garbage` it is answered 200 with a body that is
not JSON; with `hang` it is never answered (the connection is held open
until the client gives up).  The proxy's own port is written to the ready
file once it listens.  It runs until killed.
"""

import argparse
import asyncio
import os
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(reader, writer, upstream, how):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    if head.startswith(b"GET /health"):
        if how == "garbage":
            body = b"not json!"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            await writer.drain()
            writer.close()
        else:  # hang: read until the client leaves, answer nothing
            try:
                while await reader.read(4096):
                    pass
            except ConnectionError:
                pass
            writer.close()
        return
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        writer.close()
        return
    up_writer.write(head)
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--health", choices=["garbage", "hang"], required=True)
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.upstream, args.health), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.ready_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
