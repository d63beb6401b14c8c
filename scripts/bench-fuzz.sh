#!/usr/bin/env bash
# bench-fuzz.sh: the fuzzers' figures for docs/fuzzing.md.
#
#   scripts/bench-fuzz.sh [SECONDS_PER_THROUGHPUT_RUN] [REPEATS]   (default 30, 3)
#
# 1. Throughput: each target alone in one process (no -fork), started from
#    its committed seed corpus, with the nightly's flags and ASan options;
#    fuzz_schedule with GP_FUZZ_CLIENTS=4.  The figure is libFuzzer's average
#    execs/s.
# 2. Bug hunt: for each bug of the catalog (asked from fuzz_schedule itself),
#    fuzz_schedule with GP_FUZZ_BUGS set, from an empty corpus, libFuzzer
#    seeds 1..REPEATS, until it reports the violation (cap 120 s): the runs
#    and seconds it took, as the target counts them from its start.
#    swallow_transition_errors is hunted with accept_race as companion
#    (nothing else makes a lifecycle step fail on the fixed route, so there
#    is nothing to swallow); one extra run shows it alone is not found.
# Medians of REPEATS runs.  Writes reports/fuzz/bench-<date>/bench.md and
# bench.tsv and prints the table.  Exit 1 when a bug is not found within
# the cap, 2 when the build fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz-nightly.sh"

seconds=${1:-30}
repeats=${2:-3}
cap=120
cd "$GP_ROOT"
build=$GP_ROOT/build-fuzz
targets=(fuzz_transitions fuzz_protocol fuzz_scenario fuzz_schedule)
out=${GP_FUZZ_REPORT_DIR:-$GP_ROOT/reports/fuzz/bench-$(date -u +%Y-%m-%dT%H%M%SZ)}
if ! gp_fuzz_build "$build" "${targets[@]}"; then
    echo "bench-fuzz: the build failed" >&2
    exit 2
fi
mkdir -p "$out"
tsv=$out/bench.tsv
printf 'kind\tname\trepeat\tvalue1\tvalue2\n' >"$tsv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }

echo "== throughput: ${seconds}s per run, $repeats runs per target, load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A rate_median
for t in "${targets[@]}"; do
    extra_env=()
    [[ $t == fuzz_schedule ]] && extra_env=(GP_FUZZ_CLIENTS=4)
    for r in $(seq "$repeats"); do
        rm -rf "$work/new" && mkdir -p "$work/new"
        # shellcheck disable=SC2086
        env "${extra_env[@]}" ASAN_OPTIONS="$gp_fuzz_asan_options" "$build/fuzz/$t" -seed="$r" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$work/" ${target_flags[$t]:-} "$work/new" "fuzz/corpus/$t" \
            >"$work/log" 2>&1 || true
        rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$work/log")
        printf 'throughput\t%s\t%s\t%s\t\n' "$t" "$r" "${rate:-0}" >>"$tsv"
    done
    rate_median[$t]=$(awk -F'\t' -v t="$t" '$1 == "throughput" && $2 == t {print $4}' "$tsv" | median)
    echo "   $t: ${rate_median[$t]} execs/s (median)"
done

echo "== bug hunt: fuzz_schedule, cap ${cap}s, $repeats runs per bug"
mapfile -t bugs < <(GP_FUZZ_BUGS=list "$build/fuzz/fuzz_schedule")
declare -A companions=([swallow_transition_errors]=accept_race)
specs=()
for b in "${bugs[@]}"; do
    specs+=("$b${companions[$b]:+,${companions[$b]}}")
done
hunt() { # SPEC SEED: prints "runs seconds", or "- -" when not found
    local spec=$1 seed=$2 line
    rm -rf "$work/hunt" && mkdir -p "$work/hunt"
    GP_FUZZ_BUGS=$spec ASAN_OPTIONS="$gp_fuzz_asan_options" "$build/fuzz/fuzz_schedule" -seed="$seed" -max_total_time="$cap" \
        -artifact_prefix="$work/hunt/" "$work/hunt" >"$work/log" 2>&1 || true
    line=$(grep -m1 'FOUND' "$work/log" || true)
    if [[ -z $line ]]; then
        echo "- -"
    else
        sed -nE 's/.* after ([0-9]+) runs, ([0-9.]+) s.*/\1 \2/p' <<<"$line"
    fi
}
status=0
declare -A runs_median secs_median
for spec in "${specs[@]}"; do
    for r in $(seq "$repeats"); do
        read -r runs secs < <(hunt "$spec" "$r")
        printf 'hunt\t%s\t%s\t%s\t%s\n' "$spec" "$r" "$runs" "$secs" >>"$tsv"
        [[ $runs == - ]] && status=1
    done
    runs_median[$spec]=$(awk -F'\t' -v s="$spec" '$1 == "hunt" && $2 == s && $4 != "-" {print $4}' "$tsv" | median)
    secs_median[$spec]=$(awk -F'\t' -v s="$spec" '$1 == "hunt" && $2 == s && $5 != "-" {print $5}' "$tsv" | median)
    echo "   $spec: ${runs_median[$spec]} runs, ${secs_median[$spec]} s (median)"
done
read -r alone_runs alone_secs < <(hunt swallow_transition_errors 1)
printf 'hunt_alone\tswallow_transition_errors\t1\t%s\t%s\n' "$alone_runs" "$alone_secs" >>"$tsv"
echo "   swallow_transition_errors alone: ${alone_runs} runs (- = not found in ${cap}s)"

{
    echo "# Fuzzing benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores," \
        "load at the end $(cut -d' ' -f1-3 /proc/loadavg). Medians of $repeats runs."
    echo
    echo "| target | execs/s | runs (execs/s each) |"
    echo "|---|---|---|"
    for t in "${targets[@]}"; do
        all=$(awk -F'\t' -v t="$t" '$1 == "throughput" && $2 == t {printf "%s%s", sep, $4; sep=", "}' "$tsv")
        label=$t
        [[ $t == fuzz_schedule ]] && label="fuzz_schedule (4 clients)"
        echo "| $label | ${rate_median[$t]} | $all |"
    done
    echo
    echo "| bug (GP_FUZZ_BUGS) | runs to find | seconds to find | each run (runs / s) |"
    echo "|---|---|---|---|"
    for spec in "${specs[@]}"; do
        all=$(awk -F'\t' -v s="$spec" '$1 == "hunt" && $2 == s {printf "%s%s / %s", sep, $4, $5; sep=", "}' "$tsv")
        echo "| $spec | ${runs_median[$spec]} | ${secs_median[$spec]} | $all |"
    done
    echo "| swallow_transition_errors (alone) | ${alone_runs} | ${alone_secs} | not expected: nothing to swallow |"
} >"$out/bench.md"
cat "$out/bench.md"
echo "== ${out#"$GP_ROOT"/}/bench.md"
exit $status
