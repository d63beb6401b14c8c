#!/usr/bin/env bash
# make-man.sh: man pages from the programs' own help texts, with help2man
# (Debian package help2man), so that `man goldpath` says what `--help` says.
#
#   dist/make-man.sh GOLDPATH GOLDPATH_SERVER OUT_DIR
#
# goldpath.1 holds the overview help and, in COMMANDS, the help of each
# subcommand; goldpath-server.1 the server's help.  Both name the docs.
set -euo pipefail
goldpath=$1
server=$2
out=$3
command -v help2man >/dev/null || { echo "make-man.sh: help2man not found (apt-get install help2man)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the subcommands, as the overview lists them ("  run   ...")
cmds=$("$goldpath" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]+ /{print $1} on && /^$/{exit}' | grep -vx help)
{
    echo "[COMMANDS]"
    for c in $cmds; do
        echo ".SS \"goldpath $c\""
        echo ".nf"
        "$goldpath" "$c" --help | sed 's/\\/\\e/g; s/^\./\\\&./'
        echo ".fi"
    done
    echo "[SEE ALSO]"
    echo "goldpath-server(1)."
    echo "The documentation in /usr/share/doc/goldpath (or the share/doc/goldpath of"
    echo "the prefix goldpath was installed to): CLI.md, scenarios.md, checks.md, live.md."
} >"$tmp/goldpath.h2m"
help2man --no-info --no-discard-stderr --section=1 \
    --name="test harness and fault-injection simulator for WebSocket connection lifecycles" \
    --include="$tmp/goldpath.h2m" --output="$out/goldpath.1" "$goldpath"
{
    echo "[SEE ALSO]"
    echo "goldpath(1). server.md and protocol.md in goldpath's documentation."
} >"$tmp/server.h2m"
help2man --no-info --no-discard-stderr --section=1 \
    --name="goldpath's reference WebSocket server (the lifecycle core on libwebsockets)" \
    --include="$tmp/server.h2m" --output="$out/goldpath-server.1" "$server"
