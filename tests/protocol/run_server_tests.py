#!/usr/bin/python3
"""run_server_tests.py: runs one protocol suite against a live goldpath-server.

    /usr/bin/python3 tests/protocol/run_server_tests.py SUITE --server PATH

SUITE is one of: golden, bad_input, health, shutdown, startup, limits (each a
module suite_<name>.py with a list TESTS of (name, function(server_binary))).
Each test starts its own server on a free port.  Exit status 0 when every
test passed, 1 otherwise; each failure prints the server's log tail.
ctest runs one suite per test (sut/server/CMakeLists.txt), with --tmp-check:
the run uses a fresh temporary folder and fails if anything is left in it
(issue 10, item 9: the fixture used to leave a folder per server behind).
tests/hostile/run_hostile_tests.py runs its suites through main() here.
"""

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # keep tests/protocol free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gp_serverproc  # noqa: E402

SUITES = ["golden", "bad_input", "health", "shutdown", "startup", "limits"]


def run_suites(suites, server, k=None):
    """Runs every test of the suites (modules suite_<name>); returns
    (total, failed).  Servers a test left behind are killed and their
    folders removed after it."""
    failed = total = 0
    for suite in suites:
        mod = importlib.import_module(f"suite_{suite}")
        for name, fn in mod.TESTS:
            if k and k not in name:
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
            finally:
                gp_serverproc.cleanup_all()
            sys.stdout.flush()
    return total, failed


def main(suite_names=SUITES, prog="run_server_tests"):
    ap = argparse.ArgumentParser(description=(__doc__ or prog).splitlines()[0])
    ap.add_argument("suite", choices=list(suite_names) + ["all"])
    ap.add_argument("--server", required=True, help="path to goldpath-server")
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("--tmp-check", action="store_true",
                    help="run in a fresh temporary folder; fail if anything is left in it")
    args = ap.parse_args()
    server = os.path.abspath(args.server)
    if not os.access(server, os.X_OK):
        print(f"{prog}: {server} is not an executable", file=sys.stderr)
        return 2
    tmp = None
    if args.tmp_check:
        tmp = tempfile.mkdtemp(prefix="gp-tmp-check-")
        os.environ["TMPDIR"] = tmp  # for child processes
        tempfile.tempdir = tmp      # for this one (tempfile caches it)
    try:
        total, failed = run_suites(suite_names if args.suite == "all" else [args.suite],
                                   server, args.k)
    finally:
        left = []
        if tmp is not None:
            left = sorted(os.listdir(tmp))
            tempfile.tempdir = None
            shutil.rmtree(tmp, ignore_errors=True)
    if left:
        failed += 1
        print(f"FAIL the run left {len(left)} entries in its temporary folder: "
              f"{', '.join(left[:10])}")
    print(f"{total - failed}/{total} passed")
    return 1 if failed or not total else 0


if __name__ == "__main__":
    sys.exit(main())
