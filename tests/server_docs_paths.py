#!/usr/bin/python3
"""server_docs_paths: every repository path that goldpath-server's --help
and docs/server.md name must exist in the repository.

  server_docs_paths.py SERVER SOURCE_DIR

What counts as a repository path:
  - a word with a slash whose first part is a top-level entry of the
    repository (`sut/server/gp_srv_door.c`, `tests/protocol/`, `docs/bugs.md`);
    words starting with / (system paths, URL paths such as /health) and words
    whose first part is not in the repository (`build/...`, another
    project's `lib/...`) are not;
  - a bare file name with a source or document suffix (`protocol.md`): it
    must exist next to the text that names it (docs/ for docs/server.md) or
    at the top of the repository.
The repository is what git tracks plus files not yet added (not ignored
ones, so build folders do not count); without git, the files on disk.

Before checking the real texts the checker is run on a made-up text with a
missing path, a present one and the words it must skip, and must judge
each of them right: a checker that cannot fail would pass anything.
"""

import os
import re
import subprocess
import sys

SUFFIXES = r"(?:c|h|md|py|sh|json|txt|cmake|yml|yaml|html|svg|csv|in|cfg|toml)"
SLASHED = re.compile(r"(?<![\w.:/@-])(/?[\w.@+-]+(?:/[\w.@+-]+)+/?|[\w.@+-]+/)(?![\w/])")
BARE = re.compile(r"(?<![\w./-])([\w+-]+(?:\.[\w+-]+)*\." + SUFFIXES + r")(?![\w/])")


def repo_entries(src):
    """Files and folders of the repository, as paths relative to src."""
    try:
        out = subprocess.run(["git", "-C", src, "ls-files", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, text=True,
                             check=True).stdout
        files = [line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk(src):
            dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
            rel = os.path.relpath(root, src)
            files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    entries = set(files)
    for f in files:
        parts = f.split("/")
        for i in range(1, len(parts)):
            entries.add("/".join(parts[:i]))
    return entries


def candidates(text):
    """(path, kind) for the path-like words of text: kind is 'slashed' or
    'bare'."""
    found = []
    for m in SLASHED.finditer(text):
        found.append((m.group(1), "slashed"))
    rest = SLASHED.sub(" ", text)  # what is left: bare file names
    for m in BARE.finditer(rest):
        found.append((m.group(1), "bare"))
    return found


def missing_paths(text, text_dir, entries):
    """The repository paths named in text that do not exist, in order."""
    tops = {e for e in entries if "/" not in e}
    bad = []
    for word, kind in candidates(text):
        word = word.rstrip(".,;:)")
        if kind == "slashed":
            if word.startswith("/"):
                continue  # a system path or a URL path, not the repository's
            path = word.rstrip("/")
            first = path.split("/")[0]
            if BARE.fullmatch(first) and first not in tops:
                word, kind = first, "bare"  # "gp_outq.c/.h": the .c at least
            elif first not in tops:
                continue  # build/..., another project's lib/..., a/b in prose
            elif os.path.normpath(path) not in entries:
                bad.append(word)
        if kind == "bare":
            near = os.path.normpath(os.path.join(text_dir, word)) if text_dir else word
            if near not in entries and word not in entries:
                bad.append(word)
    return bad


def self_test(entries):
    """The checker on a made-up text: it must name exactly the missing paths."""
    text = ("See `sut/server/gp_srv_main.c` and sut/server/no_such_file.c, "
            "docs/missing.md, (protocol.md), nothere.md, tests/protocol/, nothere.c/.h, "
            "tests/no_such_dir/, /usr/bin/promtool, GET /metrics, "
            "http://127.0.0.1:8765/health, build/sut/server/goldpath-server, "
            "lws's lib/roles/ws/ops-ws.c, attempts/successes, MIN:MAX.\n")
    got = missing_paths(text, "docs", entries)
    want = ["sut/server/no_such_file.c", "docs/missing.md", "tests/no_such_dir/",
            "nothere.md", "nothere.c"]
    assert sorted(got) == sorted(want), f"checker self-test: got {got}, expected {want}"


def main():
    if len(sys.argv) != 3:
        print("usage: server_docs_paths.py SERVER SOURCE_DIR", file=sys.stderr)
        return 2
    server, src = sys.argv[1], sys.argv[2]
    entries = repo_entries(src)
    assert "docs/server.md" in entries and "sut/server/gp_srv_main.c" in entries, \
        f"{src} does not look like the goldpath repository"
    self_test(entries)
    p = subprocess.run([server, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p
    with open(os.path.join(src, "docs", "server.md")) as f:
        doc = f.read()
    problems = []
    for name, text, text_dir in (("goldpath-server --help", p.stdout, ""),
                                 ("docs/server.md", doc, "docs")):
        named = candidates(text)
        for word in missing_paths(text, text_dir, entries):
            problems.append(f"{name} names {word}, which is not in the repository")
        print(f"{name}: {len(named)} path-like words checked")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("server_docs_paths: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
