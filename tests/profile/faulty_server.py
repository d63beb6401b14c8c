#!/usr/bin/env python3
"""faulty_server.py: a small WebSocket server nobody on the team wrote, with
message shapes and auth unlike goldpath.v1, and switches that break it the
ways goldpath's checks must catch (tests/profile/run_faulty.sh):

    faulty_server.py --port N --mode ok|drop|duplicate|misroute [--secret S]

Auth: the header X-Api-Key carries an HS256 JWT whose claim "user" names the
user (refused with HTTP 403 when bad).  Ready: {"kind":"hello","conn":ID}.
A request {"op":"ask","rid":R,"q":TEXT} is answered by {"kind":"chunk",...}
three times, then {"kind":"end","rid":R,"answer":"Answer to: TEXT"}.
  drop      every 7th run loses its "end"
  duplicate every 7th run sends one chunk twice
  misroute  every 7th run is answered on another open connection
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import http
import itertools
import json
import sys
import time

import websockets

args = None
conns = {}           # conn id -> websocket
counter = itertools.count(1)
runs = itertools.count(1)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def user_of(token):
    try:
        h, p, sig = token.split(".")
        want = hmac.new(args.secret.encode(), (h + "." + p).encode(), hashlib.sha256).digest()
        if json.loads(b64d(h)).get("alg") != "HS256" or not hmac.compare_digest(b64d(sig), want):
            return None
        claims = json.loads(b64d(p))
        if claims.get("exp", 0) <= time.time():
            return None
        return claims.get("user")
    except Exception:
        return None


async def check_auth(path, headers):
    user = user_of(headers.get("X-Api-Key", ""))
    if not user:
        return http.HTTPStatus.FORBIDDEN, [], b"forbidden\n"
    headers["X-Goldpath-User"] = user
    return None


async def run(ws, conn, rid, q):
    n = next(runs)
    target = ws
    if args.mode == "misroute" and n % 7 == 0:
        others = [w for c, w in conns.items() if c != conn]
        if others:
            target = others[0]
    for i in range(3):
        await asyncio.sleep(0.002)
        msg = json.dumps({"kind": "chunk", "rid": rid, "seq": i, "text": "part %d" % i})
        await target.send(msg)
        if args.mode == "duplicate" and n % 7 == 0 and i == 1:
            await target.send(msg)
    if args.mode == "drop" and n % 7 == 0:
        return
    await target.send(json.dumps({"kind": "end", "rid": rid, "answer": "Answer to: " + q}))


async def serve(ws, path):
    conn = "c%d" % next(counter)
    conns[conn] = ws
    print("%s opened" % conn, flush=True)
    try:
        await ws.send(json.dumps({"kind": "hello", "conn": conn}))
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("op") == "ask":
                asyncio.ensure_future(run(ws, conn, msg["rid"], msg["q"]))
    except websockets.ConnectionClosed:
        pass
    finally:
        conns.pop(conn, None)


async def main():
    async with websockets.serve(serve, "127.0.0.1", args.port, process_request=check_auth):
        print("faulty server ready on %d" % args.port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=["ok", "drop", "duplicate", "misroute"], default="ok")
    ap.add_argument("--secret", default="faulty-secret")
    args = ap.parse_args()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
