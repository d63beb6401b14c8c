#!/usr/bin/env bash
# install_check.sh: `cmake --install` puts a working goldpath in a prefix
# (issue 11, item 2): both programs side by side (a live run there finds its
# server), the man pages (man -l renders them, with every subcommand), the
# scenarios as examples, the docs and the bash completion (it completes the
# subcommands from the installed program's help).
#
#   install_check.sh BUILD_DIR
set -u
build=$1
prefix=$(mktemp -d /tmp/gp-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install_check: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install failed"
for f in bin/goldpath bin/goldpath-server share/man/man1/goldpath.1 share/man/man1/goldpath-server.1 \
         share/doc/goldpath/README.md share/doc/goldpath/CLI.md \
         share/doc/goldpath/examples/scenarios/golden_path.json \
         share/doc/goldpath/examples/scenarios/bugs/id_regeneration.json \
         share/bash-completion/completions/goldpath share/bash-completion/completions/goldpath-server; do
    [[ -e $prefix/$f ]] || fail "$f not installed"
done
version=$("$prefix/bin/goldpath" --version) || fail "goldpath --version exited $?"
[[ $version =~ ^goldpath\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "goldpath --version printed '$version'"
[[ $("$prefix/bin/goldpath-server" --version) == "goldpath-server ${version#goldpath }" ]] ||
    fail "the two programs' versions differ"

page=$(MANWIDTH=100 MANPAGER=cat man -l "$prefix/share/man/man1/goldpath.1" 2>&1) ||
    fail "man -l goldpath.1 failed: $page"
for want in "goldpath run" "goldpath sweep" "goldpath plot" "goldpath token" "--events FILE" \
            "$version"; do
    grep -qF -- "$want" <<<"$page" || fail "the man page lacks '$want'"
done
MANPAGER=cat man -l "$prefix/share/man/man1/goldpath-server.1" 2>&1 | grep -q -- "--port" ||
    fail "goldpath-server.1 lacks --port"

# the installed program runs the installed examples, in both modes
scen=$prefix/share/doc/goldpath/examples/scenarios/golden_path.json
work=$prefix/runs
"$prefix/bin/goldpath" run "$scen" --clients 50 --out "$work/sim" -q --no-plots >/dev/null ||
    fail "a simulated run of the installed example failed"
env -u GOLDPATH_SERVER PATH=/usr/bin:/bin "$prefix/bin/goldpath" run "$scen" --mode live \
    --clients 20 --out "$work/live" -q --no-plots >/dev/null ||
    fail "a live run did not find the installed goldpath-server"

# bash completion, with or without Debian's bash-completion helpers
got=$(PATH=$prefix/bin:/usr/bin:/bin bash -c '
    source "$1/share/bash-completion/completions/goldpath"
    COMP_WORDS=(goldpath r); COMP_CWORD=1; _goldpath goldpath r goldpath; echo "${COMPREPLY[*]}"
    COMP_WORDS=(goldpath run --ev); COMP_CWORD=2; _goldpath goldpath --ev run; echo "${COMPREPLY[*]}"
    COMP_WORDS=(goldpath-server --bug ""); COMP_CWORD=2
    _goldpath_server goldpath-server "" --bug; echo "${COMPREPLY[*]}"' _ "$prefix")
[[ $(sed -n 1p <<<"$got") == run ]] || fail "completion of 'goldpath r': $got"
[[ $(sed -n 2p <<<"$got") == --events ]] || fail "completion of 'goldpath run --ev': $got"
grep -q id_regeneration <<<"$(sed -n 3p <<<"$got")" || fail "completion of --bug: $got"
echo "install_check: ok ($version in $prefix)"
