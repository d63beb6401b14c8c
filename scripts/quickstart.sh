#!/usr/bin/env bash
# quickstart.sh: set-up and the main job.  Installs what is missing, builds,
# then runs goldpath's main job: the golden-path scenario in the
# deterministic simulator (or, before the simulator is built, a golden-path
# demo through the core).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

gp_install_packages
cd "$GP_ROOT"
gp_build build
if [[ -x build/harness/goldpath ]]; then
    out=${GP_OUT:-reports/runs/quickstart}
    build/harness/goldpath run scenarios/golden_path.json --out "$out"
    echo "quickstart: open $out/report.html (plots, checks, fault ledger; summary.json for machines)"
else
    build/tests/demo_golden_path
fi
