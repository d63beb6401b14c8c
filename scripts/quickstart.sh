#!/usr/bin/env bash
# quickstart.sh: set-up and the main job.  Installs the Debian packages that
# are missing, builds, installs goldpath where the shell finds it, then runs
# goldpath's main job: the golden-path scenario (10,000 clients) in the
# deterministic simulator.
#
#   scripts/quickstart.sh
#   GP_PREFIX=DIR scripts/quickstart.sh   install under DIR (default: /usr/local
#                                         as root, ~/.local otherwise)
#   GP_OUT=DIR scripts/quickstart.sh      the report folder (default
#                                         reports/runs/quickstart)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

gp_install_packages
cd "$GP_ROOT"
gp_build build
if [[ $(id -u) -eq 0 ]]; then
    prefix=${GP_PREFIX:-/usr/local}
else
    prefix=${GP_PREFIX:-$HOME/.local}
fi
cmake --install build --prefix "$prefix" >/dev/null
echo "quickstart: installed goldpath and goldpath-server in $prefix/bin (man goldpath, bash completion)"
goldpath=$prefix/bin/goldpath
on_path=false
[[ $(command -v goldpath || true) == "$goldpath" ]] && on_path=true

out=${GP_OUT:-reports/runs/quickstart}
status=0
"$goldpath" run scenarios/golden_path.json --out "$out" || status=$?
echo "quickstart: open $out/report.html (plots, checks, fault ledger; summary.json for machines)"
if ! $on_path; then
    echo "quickstart: $prefix/bin is not on your PATH, so the replay commands above"
    echo "quickstart: (goldpath run ...) need it first:  export PATH=\"$prefix/bin:\$PATH\""
fi
exit $status
