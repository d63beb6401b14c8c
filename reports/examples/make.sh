#!/bin/sh
# reports/examples/make.sh: the screenshots of report.html that the README
# shows -- a passing run, a caught bug, a sweep -- taken with headless
# Chromium (Debian: apt-get install -y chromium gnuplot-nox).
#
#   reports/examples/make.sh [GOLDPATH]     (default: build/harness/goldpath)
#
# Run from the repository's root.  Simulated runs are deterministic, so the
# pages are the same for the same goldpath; the PNGs differ only by font
# rendering.
set -eu
goldpath=${1:-build/harness/goldpath}
out=reports/examples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in chromium gnuplot; do
    command -v "$tool" >/dev/null || { echo "make.sh: $tool not found" >&2; exit 2; }
done

# A run exits 1 when a check fails; the sweep explores and exits 0.
"$goldpath" run scenarios/golden_path.json --clients 2000 --out "$work/passing" --quiet
"$goldpath" run scenarios/bugs/id_regeneration.json --clients 500 --out "$work/bug" --quiet
"$goldpath" sweep scenarios/lossy_network.json --vary network.drop_rate=0:0.1:0.02 \
    --clients 300 --seeds 3 --out "$work/sweep" --quiet

shot() { # folder, picture, height
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --screenshot="$work/$2" --window-size="1280,$3" "file://$work/$1/report.html" \
        >/dev/null 2>&1
    # keep each picture small enough for a repository: a palette PNG
    if command -v pngquant >/dev/null; then
        pngquant --force --quality 60-90 --output "$out/$2" "$work/$2"
    else
        cp "$work/$2" "$out/$2"
    fi
    echo "$out/$2: $(wc -c < "$out/$2") bytes"
}
shot passing report-passing.png 3000
shot bug report-bug.png 3000
shot sweep report-sweep.png 2200
