#!/usr/bin/python3
"""server_cli: goldpath-server's command line, end to end.

  server_cli.py SERVER VERSION [GOLDPATH]

--version and -V print "goldpath-server VERSION" (the CMake project
version, the same `goldpath --version` prints); --help lists the flags with
their defaults and names --version; the value forms --port=N, --port N and
-p N all listen on N; `--` ends the flags; bad usage exits 2 with one line
naming the flag and the value it got, or the flag that was probably meant.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_lib import Server, http_get, run  # noqa: E402

PORTS = (20000, 22000)


def check_version(server, version, goldpath):
    for flag in ("--version", "-V"):
        code, out, err = run([server, flag])
        assert code == 0 and out == f"goldpath-server {version}\n" and err == "", \
            (flag, code, out, err)
    # a flag before --version is parsed first, a bad one stops it
    code, out, _ = run([server, "--port", "1", "--version"])
    assert code == 0 and out == f"goldpath-server {version}\n", (code, out)
    if goldpath:
        code, out, _ = run([goldpath, "--version"])
        assert code == 0 and out.strip() == f"goldpath {version}", (code, out)


def check_help(server):
    for flag in ("--help", "-h"):
        code, out, err = run([server, flag])
        assert code == 0 and err == "", (flag, code, err)
        assert "--version" in out and "-V, --version" in out, out
        assert "-p, --port N" in out and "(default: 8765)" in out, out
        assert "-b, --bind ADDR" in out and "(default: 127.0.0.1)" in out, out
        assert "--tls-cert FILE" in out and "--tls-key FILE" in out, out
    # every flag entry (a line "  -x, --name" or "      --name") has a default
    # before the next entry, except --help and --version
    entries = re.split(r"\n(?=  -[a-zA-Z], --|      --)", out)
    flags = []
    for e in entries[1:]:
        name = re.match(r"\s*(?:-\w, )?(--[a-z0-9-]+)", e).group(1)
        flags.append(name)
        if name not in ("--help", "--version"):
            assert "(default: " in e.split("\n\n")[0], f"no default for {name}:\n{e}"
    assert len(flags) >= 25 and len(set(flags)) == len(flags), flags
    # and each is a flag the parser takes: never "unknown flag"
    for name in flags:
        code, _, err = run([server, name, "x", "--bogus-stop"])
        assert "unknown flag " + name not in err, (name, err)


BAD = [
    (["--port", "70000"], "--port takes a TCP port 0-65535 (0: pick a free one), got '70000'"),
    (["--port", "1.5"], "--port takes a TCP port 0-65535 (0: pick a free one), got '1.5'"),
    (["--port", "-1"], "--port takes a TCP port 0-65535 (0: pick a free one), got '-1'"),
    (["--port=-1"], "got '-1'"),
    (["-p", "x"], "--port takes a TCP port 0-65535 (0: pick a free one), got 'x'"),
    (["--stuck-after-ms", "abc"],
     "--stuck-after-ms takes a whole number of milliseconds from 1 to 86400000 (got 'abc')"),
    (["--stuck-after-ms=0"], "(got '0')"),
    (["--prot", "8765"], "unknown flag --prot (did you mean --port? see --help)"),
    (["--prot=8765"], "unknown flag --prot (did you mean --port? see --help)"),
    (["--jwt-secert", "x"], "did you mean --jwt-secret?"),
    (["--nothing-like-it"], "unknown flag --nothing-like-it (see --help)"),
    (["--max", "3"], "flag --max is ambiguous"),
    (["--fault-hooks=yes"], "--fault-hooks takes no value (got 'yes')"),
    (["--port"], "--port needs a value"),
    (["-p"], "--port needs a value"),
    (["-z"], "unknown flag -z"),
    (["serve"], "unexpected argument 'serve'"),
    (["--", "--port", "1"], "unexpected argument '--port' after --"),
    (["--tls-cert", "/dev/null"], "--tls-cert needs --tls-key as well"),
    (["--think-ms", "80:20"], "(got '80:20')"),
]


def check_bad_usage(server):
    for args, needle in BAD:
        code, out, err = run([server] + args)
        assert code == 2, f"{args}: exit {code}, expected 2\n{err}"
        assert out == "", f"{args}: wrote to stdout: {out!r}"
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("goldpath-server: "), (args, err)
        assert needle in err, f"{args}: stderr lacks {needle!r}:\n{err}"


def listens_on(server, argv_for):
    """Starts the server with the port given as argv_for(port) and checks it
    listens there: the ready file, the start-up line and /health agree."""
    srv = Server(server, ports=PORTS)
    try:
        srv.start(lambda port: [server, "--ready-file", os.path.join(srv.dir, "ready"),
                                "--jwt-secret", "x"] + argv_for(port))
        out = srv.stdout()
        assert f"listening on ws://127.0.0.1:{srv.port}/ws" in out, out
        status, _, body = http_get(srv.port, "/health")
        assert status == 200 and '"status":"ok"' in body, (status, body)
        assert srv.stop() == 0
        return srv.port
    finally:
        srv.cleanup()


def check_value_forms(server):
    asked = {}
    for form in ("--port=N", "--port N", "-p N", "-pN"):
        def argv_for(port, form=form):
            asked[form] = port
            return {"--port=N": [f"--port={port}"], "--port N": ["--port", str(port)],
                    "-p N": ["-p", str(port)], "-pN": [f"-p{port}", "--"]}[form]
        got = listens_on(server, argv_for)
        assert got == asked[form], (form, got, asked[form])
    # --bind=ADDR, -b ADDR
    got = listens_on(server, lambda port: ["-b", "127.0.0.1", f"--port={port}", "-q"])
    assert got


def main():
    if len(sys.argv) < 3:
        print("usage: server_cli.py SERVER VERSION [GOLDPATH]", file=sys.stderr)
        return 2
    server, version = sys.argv[1], sys.argv[2]
    goldpath = sys.argv[3] if len(sys.argv) > 3 else None
    check_version(server, version, goldpath)
    check_help(server)
    check_bad_usage(server)
    check_value_forms(server)
    print("server_cli: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
