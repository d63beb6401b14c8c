#!/usr/bin/python3
"""run_hostile_tests.py: runs one hostile-client suite against a live
goldpath-server.

    /usr/bin/python3 tests/hostile/run_hostile_tests.py SUITE --server PATH [--tmp-check]

Hostile clients are the ones issue 10 is about: slow headers, floods from
clients that do read, log injection, RFC 6455 corner cases, memory held
before authentication, connection churn, the fault hooks.  Each suite is a
module suite_<name>.py here with a list TESTS of (name, function(binary)),
run by tests/protocol/run_server_tests.py's machinery (its fixtures too).
Counts and times are bounded: every test stays well under a minute, also
in the ASan build.
"""

import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "protocol"))

import run_server_tests  # noqa: E402

SUITES = ["slow_headers", "flood", "log_injection", "rfc6455", "preauth", "timers", "hooks"]

if __name__ == "__main__":
    sys.exit(run_server_tests.main(SUITES, prog="run_hostile_tests"))
