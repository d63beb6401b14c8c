#!/usr/bin/python3
"""run_server_tests.py: runs one protocol suite against a live goldpath-server.

    /usr/bin/python3 tests/protocol/run_server_tests.py SUITE --server PATH

SUITE is one of: golden, bad_input, health, shutdown, startup, limits (each a
module suite_<name>.py with a list TESTS of (name, function(server_binary))).
Each test starts its own server on a free port.  Exit status 0 when every
test passed, 1 otherwise; each failure prints the server's log tail.
ctest runs one suite per test (sut/server/CMakeLists.txt).
"""

import argparse
import importlib
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True  # keep tests/protocol free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SUITES = ["golden", "bad_input", "health", "shutdown", "startup", "limits"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", choices=SUITES + ["all"])
    ap.add_argument("--server", required=True, help="path to goldpath-server")
    ap.add_argument("-k", help="run only tests whose name contains this")
    args = ap.parse_args()
    server = os.path.abspath(args.server)
    if not os.access(server, os.X_OK):
        print(f"run_server_tests: {server} is not an executable", file=sys.stderr)
        return 2
    failed = 0
    total = 0
    for suite in SUITES if args.suite == "all" else [args.suite]:
        mod = importlib.import_module(f"suite_{suite}")
        for name, fn in mod.TESTS:
            if args.k and args.k not in name:
                continue
            total += 1
            t0 = time.monotonic()
            try:
                fn(server)
            except Exception:  # report every failure, run the rest
                failed += 1
                print(f"FAIL {suite}.{name} ({time.monotonic() - t0:.2f} s)")
                traceback.print_exc()
            else:
                print(f"ok   {suite}.{name} ({time.monotonic() - t0:.2f} s)")
            sys.stdout.flush()
    print(f"{total - failed}/{total} passed")
    return 1 if failed or not total else 0


if __name__ == "__main__":
    sys.exit(main())
