#!/usr/bin/env bash
# fuzz-nightly.sh: the nightly fuzzing run (docs/fuzzing.md).
#
#   scripts/fuzz-nightly.sh [SECONDS_PER_TARGET]      (default 600)
#
# Builds the libFuzzer targets with clang into build-fuzz/, runs each for
# SECONDS_PER_TARGET with one fuzzing job per core (libFuzzer's -fork mode,
# which keeps going after a crash and keeps every crash and timeout), merges
# the new corpus entries into the working corpus, and writes under
# reports/fuzz/<date>/:
#   summary.md      one row per target: execs/s, coverage, corpus, new entries,
#                   crashes and timeouts
#   summary.tsv     the same, tab-separated, for scripts
#   crashes.txt     each crash/timeout/leak kept, its first line of
#                   diagnosis, and a one-line command that replays it
#   <target>/       the libFuzzer log, the artifacts, the new entries
# Exits 1 when any target crashed, timed out, leaked or ran out of memory;
# 2 when the build fails.
#
# Environment:
#   GP_FUZZ_CORPUS_DIR  working corpus, kept between nights (default
#                       build-fuzz/corpus; a CI cache should keep it).  Seeded
#                       from fuzz/corpus/<target> and fuzz/regressions/<target>.
#   GP_FUZZ_TARGETS     targets to run (default: all four)
#   GP_FUZZ_JOBS        parallel jobs per target (default: nproc)
#   GP_FUZZ_REPORT_DIR  where the report goes (default reports/fuzz/<date>)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# ---- toolchain and build ----------------------------------------------------

# gp_fuzz_build BUILD_DIR TARGET...: installs clang and libFuzzer when missing,
# then configures BUILD_DIR with clang and -DGP_FUZZ=ON and builds the
# targets.  Returns non-zero when the build fails.
gp_fuzz_build() {
    local dir=$1 fuzzer_lib
    shift
    fuzzer_lib=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
    if command -v clang >/dev/null; then
        fuzzer_lib=$(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a
    fi
    gp_install_packages "clang:/usr/bin/clang" "libclang-rt-14-dev:$fuzzer_lib" || return 1
    echo "== build (clang, libFuzzer + address + undefined) into $dir"
    if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_C_COMPILER:.*clang' "$dir/CMakeCache.txt"; then
        rm -rf "$dir" # configured with another compiler: cmake cannot switch in place
    fi
    cmake -S "$GP_ROOT" -B "$dir" -DCMAKE_C_COMPILER=clang -DGP_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$dir" -j "$(nproc)" --target "$@" -- --no-print-directory >/dev/null
}

# Per-target libFuzzer flags, from fuzz/<target>.options: the file OSS-Fuzz
# and ClusterFuzzLite read (fuzz/build.sh copies it next to each fuzzer), so
# the nightly fuzzes with the same dictionary and max_len
# (fuzz/options_flags.sh).  fuzz_transitions' inputs are operation sequences:
# max_len 64 is 15 to 30 operations (one of which fills the registry past its
# first growth), enough for every lifecycle path of a few machines, and short
# inputs keep it above 100,000 runs a second (docs/fuzzing.md).
declare -A target_flags=()
for gp_fuzz_t in fuzz_transitions fuzz_protocol fuzz_scenario fuzz_schedule; do
    target_flags[$gp_fuzz_t]=""
    if [[ -f $GP_ROOT/fuzz/$gp_fuzz_t.options ]]; then
        target_flags[$gp_fuzz_t]=$("$GP_ROOT/fuzz/options_flags.sh" "$GP_ROOT/fuzz/$gp_fuzz_t.options" | tr '\n' ' ')
    fi
done
unset gp_fuzz_t

# ASan options while fuzzing: no allocation stacks (a tenth of fuzz_schedule's
# time goes to recording them).  Detection is the same; a crash's replay
# command runs with the ordinary options and prints the full stacks.
gp_fuzz_asan_options="malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# Sourced (by bench-fuzz.sh): define the functions and flags only.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    return 0
fi

seconds=${1:-600}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi
cd "$GP_ROOT"
jobs=${GP_FUZZ_JOBS:-$(nproc)}
targets=(${GP_FUZZ_TARGETS:-fuzz_transitions fuzz_protocol fuzz_scenario fuzz_schedule})
build=$GP_ROOT/build-fuzz
corpus_root=${GP_FUZZ_CORPUS_DIR:-$build/corpus}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report=${GP_FUZZ_REPORT_DIR:-$GP_ROOT/reports/fuzz/$stamp}


if ! gp_fuzz_build "$build" "${targets[@]}"; then
    echo "fuzz-nightly: the build failed" >&2
    exit 2
fi

mkdir -p "$report"
summary_tsv=$report/summary.tsv
crashes_txt=$report/crashes.txt
printf 'target\tseconds\texecs\texecs_per_s\tcov\tft\tcorpus_before\tcorpus_after\tnew_entries\tcrashes\ttimeouts\tleaks\tooms\n' >"$summary_tsv"
: >"$crashes_txt"
status=0

# The first line that says what went wrong when `bin` runs `input`.  The
# output may hold raw bytes of the input (grep -a: text all the same).
diagnose() {
    local bin=$1 input=$2 line
    line=$(timeout 60 "$bin" "$input" 2>&1 |
        grep -a -m1 -E '^goldpath-fuzz:|^SUMMARY:|ERROR: libFuzzer|runtime error' || true)
    echo "${line:-(did not reproduce in a single run)}"
}

for t in "${targets[@]}"; do
    bin=$build/fuzz/$t
    out=$report/$t
    work=$corpus_root/$t
    mkdir -p "$out/new" "$work"
    # Seed the working corpus (existing entries are kept).
    for seed_dir in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
        [[ -d $seed_dir ]] && find "$seed_dir" -maxdepth 1 -type f ! -name '.*' \
            -exec cp -n {} "$work/" \;
    done
    before=$(find "$work" -maxdepth 1 -type f | wc -l)
    echo "== $t: ${seconds}s, $jobs jobs, corpus $before"
    # shellcheck disable=SC2086
    ASAN_OPTIONS=$gp_fuzz_asan_options "$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/" ${target_flags[$t]:-} \
        "$out/new" "$work" >"$out/fuzz.log" 2>&1 || true

    # New entries that add coverage go into the working corpus.
    merged=0
    if [[ -n $(ls -A "$out/new") ]]; then
        # shellcheck disable=SC2086
        "$bin" -merge=1 ${target_flags[$t]:-} "$work" "$out/new" >"$out/merge.log" 2>&1 || true
    fi
    after=$(find "$work" -maxdepth 1 -type f | wc -l)
    merged=$((after - before))

    # The last status line: "#RUNS: cov: C ft: F corp: N exec/s ..."
    last=$(grep -E '^#[0-9]+: cov:' "$out/fuzz.log" | tail -1 || true)
    runs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    elapsed=$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$last")
    runs=${runs:-0} cov=${cov:-0} ft=${ft:-0} elapsed=${elapsed:-$seconds}
    ((elapsed > 0)) || elapsed=1
    rate=$((runs / elapsed))

    n_crash=0 n_timeout=0 n_leak=0 n_oom=0
    for f in "$out"/crash-* "$out"/timeout-* "$out"/leak-* "$out"/oom-*; do
        [[ -e $f ]] || continue
        kind=$(basename "$f")
        kind=${kind%%-*}
        case $kind in
        crash) n_crash=$((n_crash + 1)) ;;
        timeout) n_timeout=$((n_timeout + 1)) ;;
        leak) n_leak=$((n_leak + 1)) ;;
        oom) n_oom=$((n_oom + 1)) ;;
        esac
        rel=${f#"$GP_ROOT"/}
        {
            echo "$t $kind $rel"
            if ((n_crash + n_timeout + n_leak + n_oom <= 20)); then
                echo "  why:    $(diagnose "$bin" "$f")"
            fi
            echo "  replay: build-fuzz/fuzz/$t $rel"
            echo "  (gcc:   build/fuzz/${t}_replay $rel)"
        } >>"$crashes_txt"
    done
    if ((n_crash + n_timeout + n_leak + n_oom > 0)); then
        status=1
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$elapsed" "$runs" "$rate" \
        "$cov" "$ft" "$before" "$after" "$merged" "$n_crash" "$n_timeout" "$n_leak" "$n_oom" \
        >>"$summary_tsv"
    echo "   $runs runs, $rate execs/s, cov $cov, ft $ft, corpus $before -> $after," \
        "crashes $n_crash, timeouts $n_timeout, leaks $n_leak, ooms $n_oom"
done

{
    echo "# Nightly fuzzing, $stamp"
    echo
    echo "Commit $(git -C "$GP_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
        "${seconds} s per target, $jobs jobs each, $(nproc) cores."
    echo
    echo "| target | seconds | execs | execs/s | cov | ft | corpus before | corpus after | new entries | crashes | timeouts | leaks | ooms |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    tail -n +2 "$summary_tsv" | sed -E 's/\t/ | /g; s/^/| /; s/$/ |/'
    echo
    if [[ -s $crashes_txt ]]; then
        echo "## Distinct diagnoses (of the first 20 per target)"
        echo
        echo '```'
        grep -a '^  why:' "$crashes_txt" | sed 's/^  why: *//' | sort | uniq -c | sort -rn
        echo '```'
        echo
        echo "## Crashes, timeouts, leaks (with replay commands)"
        echo
        echo '```'
        cat "$crashes_txt"
        echo '```'
    else
        echo "No crash, timeout, leak or out-of-memory."
    fi
} >"$report/summary.md"

echo "== summary: ${report#"$GP_ROOT"/}/summary.md"
if ((status != 0)); then
    echo "fuzz-nightly: FAILED: see ${crashes_txt#"$GP_ROOT"/}" >&2
fi
exit $status
