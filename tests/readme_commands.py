#!/usr/bin/env python3
"""readme_commands.py: the README's commands run as written, and pass.

Every ```sh block of README.md is run as a bash script (set -e), from a
scratch folder that holds a link to the repository's scenarios/, with the
build's goldpath and goldpath-server first on PATH (as the quickstart's
installation puts them).  Sizes are bounded and ports made free, nothing
else changes:
  - the two front-door commands (./scripts/quickstart.sh, ./scripts/test.sh)
    are left out (test.sh runs this test; the quickstart has its own);
  - a live run drives at most 1,000 clients, a sweep at most 300 per run;
  - port 9000 (a server the reader starts) becomes a free port below 32768.
A command line may end with the comment "# exits N": it must exit N (a run
that catches a bug on purpose exits 1); every other command must exit 0.

The commands of the docs' ```sh blocks are checked without running them:
each `goldpath COMMAND` names a command that exists and only options its
--help lists, and every repository path they name exists.

    readme_commands.py REPO_DIR BUILD_DIR
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

REPO, BUILD = sys.argv[1], sys.argv[2]
errors = []


def blocks(path):
    text = open(path).read()
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.M | re.S)


def free_port():
    for port in range(20000, 32000, 7):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port")


def bounded(line, port):
    if "--mode live" in line:
        line = re.sub(r"--clients (\d+)", lambda m: "--clients %d" % min(int(m.group(1)), 1000),
                      line)
    if re.search(r"\bgoldpath sweep\b", line) and "--clients" not in line:
        line = line.replace("goldpath sweep", "goldpath sweep --clients 300", 1)
    return line.replace("9000", str(port))


def script_of(block, port):
    """The block as a script: continuation lines joined, "# exits N" honoured."""
    out, pending = ["set -euo pipefail"], ""
    for raw in block.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("./scripts/"):
            continue  # the front door: tested on its own
        want = 0
        m = re.search(r"#\s*exits (\d+)\s*$", line)
        if m:
            want = int(m.group(1))
        command = bounded(re.sub(r"\s+#[^'\"]*$", "", line), port)  # the comment off
        if want:
            out.append("set +e; %s; rc=$?; set -e" % command)
            out.append('[ "$rc" -eq %d ] || { echo "exit $rc, not %d: %s" >&2; exit 99; }'
                       % (want, want, command.replace('"', '\\"')))
        else:
            out.append(command)
    return "\n".join(out) + "\n"


def run_readme():
    scratch = tempfile.mkdtemp(prefix="gp-readme-")
    try:
        for d in ("scenarios", "examples", "profiles"):
            os.symlink(os.path.join(REPO, d), os.path.join(scratch, d))
        env = dict(os.environ)
        env.pop("GOLDPATH_JWT_SECRET", None)
        env.pop("GOLDPATH_SERVER", None)
        env["PATH"] = "%s/harness:%s/sut/server:%s" % (BUILD, BUILD, env["PATH"])
        for k, block in enumerate(blocks(os.path.join(REPO, "README.md"))):
            script = script_of(block, free_port())
            if script.count("\n") <= 1:
                continue
            p = subprocess.run(["bash", "-c", script], cwd=scratch, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=600)
            if p.returncode != 0:
                errors.append("README block %d exited %d:\n%s\n--- output (end):\n%s"
                              % (k + 1, p.returncode, script, p.stdout[-3000:]))
        subprocess.run("pkill -f 'goldpath-server --port' -U %d || true" % os.getuid(),
                       shell=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def help_options(cmd):
    exe = "%s/harness/goldpath" % BUILD
    args = [exe, cmd, "--help"] if cmd else [exe, "--help"]
    text = subprocess.run(args, stdout=subprocess.PIPE, text=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", text))


def check_docs():
    commands = help_options(None)
    docs = sorted(os.path.join(REPO, "docs", f) for f in os.listdir(os.path.join(REPO, "docs"))
                  if f.endswith(".md"))
    for path in docs + [os.path.join(REPO, "README.md")]:
        for block in blocks(path):
            text = re.sub(r"\\\n", " ", block)
            for line in text.splitlines():
                line = re.sub(r"\s+#.*$", "", line).strip()
                for m in re.finditer(r"\bgoldpath (run|sweep|plot|token|help|merge|shrink|explore)\b(.*)",
                                     line):
                    cmd, rest = m.group(1), m.group(2)
                    known = help_options(cmd)
                    if not known:
                        errors.append("%s: goldpath %s: no such command" % (path, cmd))
                        continue
                    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", rest)  # an argument's own flags
                    for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", unquoted):
                        if opt not in known:
                            errors.append("%s: goldpath %s %s: no such option" % (path, cmd, opt))
                for word in re.findall(r"(?<![\w/.-])((?:scenarios|scripts|tests|fuzz|docs|examples|profiles)/[\w./-]+)",
                                       line):
                    word = word.rstrip(".")
                    if "..." in word or "*" in word:
                        continue
                    if not os.path.exists(os.path.join(REPO, word)):
                        errors.append("%s: %s does not exist" % (path, word))


run_readme()
check_docs()
if errors:
    print("readme_commands: FAIL\n" + "\n\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("readme_commands: ok")
