#!/usr/bin/env bash
# check_build_sh.sh: the test of the OSS-Fuzz / ClusterFuzzLite rails (ctest
# fuzz_build_sh; docs/fuzzing.md, "OSS-Fuzz and ClusterFuzzLite").
#
#   fuzz/check_build_sh.sh
#
# Runs .clusterfuzzlite/build.sh the way ClusterFuzzLite does (from $SRC, the
# repository at $SRC/goldpath) with OSS-Fuzz's environment: $CC and $CXX are
# wrappers that log every call, $CFLAGS carries the sanitizers, libFuzzer's
# coverage and a marker, $LIB_FUZZING_ENGINE the engine.  Then checks that:
#   - $OUT holds exactly, for every fuzz/fuzz_*.c target: the fuzzer, its
#     .options, its .dict when fuzz/ has one, its seed corpus zip;
#   - every source of the core, of the simulator's harness folders and of the
#     targets was compiled by $CC with $CFLAGS, and every fuzzer linked by
#     $CXX with $CXXFLAGS and $LIB_FUZZING_ENGINE;
#   - the fuzzers hold the sanitizer runtimes CFLAGS asked for, and link
#     jansson and libcrypto statically (OSS-Fuzz's runner image has neither);
#   - each zip holds exactly the target's corpus and regression files;
#   - each fuzzer, run with the flags of its .options (dictionary, max_len),
#     executes its whole seed corpus cleanly and then fuzzes 200 inputs;
# and that fuzz/build.sh alone honours a CFLAGS without sanitizers (the
# fuzzer then has no ASan runtime), GP_FUZZ_LINK=dynamic and GP_FUZZ_TARGETS,
# leaves no scratch folder behind, and stops with a clear message when OUT is
# unset or a compile fails.  Also checks the .clusterfuzzlite/ files and the
# two workflows name what ClusterFuzzLite needs.
#
# A finding while fuzzing (an input that breaks a target's invariant) is not
# this test's subject -- the nightly and ClusterFuzzLite judge those, the
# replay tests keep them fixed -- so it is printed, with the input in
# base64, and does not fail the test.
#
# Exit 0: passed; 1: failed; 77: skipped, because clang, libFuzzer (Debian
# libclang-rt-14-dev), pkg-config, or a way to zip and unzip (zip/unzip or
# python3) is missing.  About 30 s on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# ---- tools ----------------------------------------------------------------------

command -v clang >/dev/null || skip "clang is not installed (Debian: clang)"
command -v clang++ >/dev/null || skip "clang++ is not installed (Debian: clang)"
command -v pkg-config >/dev/null || skip "pkg-config is not installed"
command -v nm >/dev/null || skip "nm is not installed (Debian: binutils)"
have_py=0
if command -v python3 >/dev/null; then
    have_py=1
fi
if ! command -v zip >/dev/null && ((!have_py)); then
    skip "neither zip nor python3 is installed (Debian: zip)"
fi
if ! command -v unzip >/dev/null && ((!have_py)); then
    skip "neither unzip nor python3 is installed (Debian: unzip)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-check-build-sh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    >"$tmp/probe.c"
clang -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >"$tmp/probe.log" 2>&1 ||
    skip "clang cannot link a libFuzzer target (Debian: libclang-rt-14-dev): $(head -1 "$tmp/probe.log")"

# names DIR: the names of what DIR holds, sorted.
names() {
    find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# zip_list ZIP: the names in ZIP, sorted.  zip_extract ZIP DIR.
zip_list() {
    if ((have_py)); then
        python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1" | sort
    else
        unzip -Z1 "$1" | sort
    fi
}
zip_extract() {
    if ((have_py)); then
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
    else
        unzip -q "$1" -d "$2"
    fi
}

# ---- the targets ----------------------------------------------------------------

targets=()
for src in "$root"/fuzz/fuzz_*.c; do
    if grep -q LLVMFuzzerTestOneInput "$src"; then
        targets+=("$(basename "$src" .c)")
    fi
done
((${#targets[@]} > 0)) || fail "no fuzz target in fuzz/"
echo "== targets: ${targets[*]}"

# ---- the ClusterFuzzLite files --------------------------------------------------

cfl=$root/.clusterfuzzlite
for f in Dockerfile build.sh project.yaml; do
    [[ -f $cfl/$f ]] || fail ".clusterfuzzlite/$f is missing"
done
grep -qE '^FROM gcr.io/oss-fuzz-base/base-builder(:| |$)' "$cfl/Dockerfile" ||
    fail ".clusterfuzzlite/Dockerfile is not based on gcr.io/oss-fuzz-base/base-builder"
# shellcheck disable=SC2016 # $SRC is the Dockerfile's, not ours
grep -qE '^COPY \.clusterfuzzlite/build\.sh \$SRC/?$' "$cfl/Dockerfile" ||
    fail ".clusterfuzzlite/Dockerfile does not copy build.sh to \$SRC"
# shellcheck disable=SC2016
grep -qE '^COPY \. \$SRC/goldpath$' "$cfl/Dockerfile" ||
    fail ".clusterfuzzlite/Dockerfile does not copy the repository to \$SRC/goldpath"
grep -qE '^language: *c$' "$cfl/project.yaml" || fail ".clusterfuzzlite/project.yaml does not say language: c"
for wf in cflite_pr:code-change cflite_batch:batch; do
    f=$root/.github/workflows/${wf%%:*}.yml
    [[ -f $f ]] || fail ".github/workflows/${wf%%:*}.yml is missing"
    grep -q 'uses: google/clusterfuzzlite/actions/build_fuzzers@v1' "$f" ||
        fail "${f#"$root"/} does not build with build_fuzzers@v1"
    grep -q 'uses: google/clusterfuzzlite/actions/run_fuzzers@v1' "$f" ||
        fail "${f#"$root"/} does not run run_fuzzers@v1"
    grep -qE "mode: '?${wf#*:}'?$" "$f" || fail "${f#"$root"/} does not run in mode ${wf#*:}"
    if ((have_py)) && python3 -c 'import yaml' 2>/dev/null; then
        python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" ||
            fail "${f#"$root"/} is not valid YAML"
    fi
done

# ---- build 1: as ClusterFuzzLite does ------------------------------------------

# $SRC as in the image: the repository at $SRC/goldpath, build.sh at $SRC.
src=$tmp/src
mkdir -p "$src" "$tmp/work" "$tmp/bin"
ln -s "$root" "$src/goldpath"
cp "$cfl/build.sh" "$src/build.sh"
log=$tmp/calls.log
for w in cc:clang cxx:clang++; do
    cat >"$tmp/bin/${w%%:*}" <<EOF
#!/bin/sh
printf '${w%%:*}' >>"$log"
printf ' %s' "\$@" >>"$log"
printf '\n' >>"$log"
exec ${w#*:} "\$@"
EOF
    chmod +x "$tmp/bin/${w%%:*}"
done
marker=-DGP_CHECK_BUILD_SH_MARKER=$$
cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
cflags+=" -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link $marker"
# The engine as OSS-Fuzz gives it, plus a symbol that shows it reached the link.
engine="-fsanitize=fuzzer -Wl,--defsym=gp_check_engine_marker=$$"
out="$tmp/out dir" # a space, to catch a missing quote
mkdir -p "$out"
echo "== build 1: .clusterfuzzlite/build.sh, OSS-Fuzz's environment"
start=$SECONDS
(cd "$src/goldpath" &&
    env SRC="$src" WORK="$tmp/work" OUT="$out" CC="$tmp/bin/cc" CXX="$tmp/bin/cxx" \
        CFLAGS="$cflags" CXXFLAGS="$cflags" LIB_FUZZING_ENGINE="$engine" \
        FUZZING_ENGINE=libfuzzer SANITIZER=address ARCHITECTURE=x86_64 \
        bash -eu "$src/build.sh") >"$tmp/build1.log" 2>&1 ||
    {
        cat "$tmp/build1.log" >&2
        fail ".clusterfuzzlite/build.sh (fuzz/build.sh) failed"
    }
echo "   built in $((SECONDS - start)) s"

# $OUT holds exactly what it should.
expected=()
for t in "${targets[@]}"; do
    [[ -f $root/fuzz/$t.options ]] || fail "fuzz/$t.options is missing"
    expected+=("$t" "$t.options" "${t}_seed_corpus.zip")
    if [[ -f $root/fuzz/$t.dict ]]; then
        expected+=("$t.dict")
        # The nightly reads only the .options: a dictionary it does not name
        # would be used by ClusterFuzz alone.
        grep -qE "^[[:space:]]*dict[[:space:]]*=[[:space:]]*$t\.dict[[:space:]]*$" "$root/fuzz/$t.options" ||
            fail "fuzz/$t.options does not name fuzz/$t.dict"
    fi
done
want=$(printf '%s\n' "${expected[@]}" | sort)
got=$(names "$out")
[[ $want == "$got" ]] || fail "\$OUT holds other files than expected:
$(diff <(echo "$want") <(echo "$got") || true)"

# Every source compiled by $CC with $CFLAGS; every fuzzer linked by $CXX with
# $CXXFLAGS and the engine.
grep -q . "$log" || fail "\$CC and \$CXX were never called: build.sh ignores them"
sources=("$root"/sut/core/*.c)
for d in scenario client run checks sim; do
    sources+=("$root"/harness/"$d"/*.c)
done
for t in "${targets[@]}"; do
    sources+=("$root/fuzz/$t.c")
done
sources+=("$root/fuzz/gp_fuzz.c")
compiles=$(grep -E '^cc .* -c ' "$log" || true)
for s in "${sources[@]}"; do
    grep -qF -- " -c $s " <<<"$compiles" || fail "${s#"$root"/} was not compiled with \$CC"
done
# (Outputs go through variables: grep -q ending a pipe early would fail it.)
unmarked=$(grep -vF -- " $marker " <<<"$compiles" || true)
[[ -z $unmarked ]] || fail "a compile left out \$CFLAGS: $(head -1 <<<"$unmarked")"
for t in "${targets[@]}"; do
    line=$(grep -F -- " -o $out/$t " "$log" || true)
    [[ $line == cxx* ]] || fail "$t was not linked with \$CXX"
    [[ $line == *" $marker "* ]] || fail "$t was not linked with \$CXXFLAGS"
    [[ $line == *" $engine"* ]] || fail "$t was not linked with \$LIB_FUZZING_ENGINE"
done

# The runtimes CFLAGS asked for; jansson and libcrypto linked in.
for t in "${targets[@]}"; do
    syms=$(nm "$out/$t" 2>/dev/null || true)
    grep -q ' __asan_init$' <<<"$syms" || fail "$t has no AddressSanitizer runtime, though CFLAGS asked for it"
    grep -q ' __ubsan_handle_' <<<"$syms" || fail "$t has no UndefinedBehaviorSanitizer runtime"
    grep -q ' LLVMFuzzerRunDriver$' <<<"$syms" || fail "$t has no libFuzzer"
    grep -q ' gp_check_engine_marker$' <<<"$syms" || fail "$t was linked without \$LIB_FUZZING_ENGINE"
    if command -v ldd >/dev/null; then
        dyn=$(ldd "$out/$t" | grep -E 'libjansson|libcrypto' || true)
        [[ -z $dyn ]] || fail "$t loads jansson or libcrypto at run time; the default link is static: $dyn"
    fi
done

# Each seed corpus zip: the corpus and the regression inputs, nothing else.
for t in "${targets[@]}"; do
    zip=$out/${t}_seed_corpus.zip
    [[ -s $zip ]] || fail "${t}_seed_corpus.zip is empty"
    want=$( (
        for f in "$root/fuzz/corpus/$t"/*; do
            if [[ -f $f ]]; then basename "$f"; fi
        done
        for f in "$root/fuzz/regressions/$t"/*; do
            if [[ -f $f ]]; then echo "regression-$(basename "$f")"; fi
        done
    ) | sort)
    [[ -n $want ]] || fail "fuzz/corpus/$t/ is empty"
    got=$(zip_list "$zip")
    [[ $want == "$got" ]] || fail "${t}_seed_corpus.zip does not hold the corpus:
$(diff <(echo "$want") <(echo "$got") || true)"
    mkdir -p "$tmp/seeds/$t"
    zip_extract "$zip" "$tmp/seeds/$t"
    cmp -s "$tmp/seeds/$t/$(head -1 <<<"$want")" "$root/fuzz/corpus/$t/$(head -1 <<<"$want")" ||
        fail "${t}_seed_corpus.zip holds other bytes than fuzz/corpus/$t/$(head -1 <<<"$want")"
done

# Each fuzzer, with its .options: the seeds, then 200 inputs.
echo "== run: each fuzzer on its seeds, then 200 inputs (-seed=1)"
for t in "${targets[@]}"; do
    mapfile -t flags < <("$root/fuzz/options_flags.sh" "$out/$t.options")
    n_seeds=$(names "$tmp/seeds/$t" | wc -l)
    if ! "$out/$t" "${flags[@]}" -runs=0 "$tmp/seeds/$t" >"$tmp/run.log" 2>&1; then
        tail -20 "$tmp/run.log" >&2
        fail "$t fails on its own seed corpus (with ${flags[*]})"
    fi
    grep -q "INITED" "$tmp/run.log" || fail "$t did not run its seeds: $(tail -1 "$tmp/run.log")"
    grep -q "files found in $tmp/seeds/$t" "$tmp/run.log" || fail "$t did not read the seed corpus"
    if grep -q '^-dict=' < <(printf '%s\n' "${flags[@]}"); then
        grep -qE '^Dictionary: [1-9][0-9]* entries' "$tmp/run.log" ||
            fail "$t did not load its dictionary: $(grep -m1 -iE 'dict' "$tmp/run.log" || true)"
    fi
    if grep -q '^-max_len=' < <(printf '%s\n' "${flags[@]}"); then
        if grep -q 'max_len is not provided' "$tmp/run.log"; then
            fail "$t ignored its max_len"
        fi
    fi
    mkdir -p "$tmp/new/$t" "$tmp/art/$t"
    "$out/$t" "${flags[@]}" -runs=200 -seed=1 -artifact_prefix="$tmp/art/$t/" \
        "$tmp/new/$t" "$tmp/seeds/$t" >"$tmp/run.log" 2>&1 || true
    grep -q "INITED" "$tmp/run.log" || fail "$t did not start fuzzing: $(tail -1 "$tmp/run.log")"
    if grep -q '^Done 200 runs' "$tmp/run.log"; then
        echo "   $t: $n_seeds seeds ran clean, 200 inputs fuzzed (${flags[*]})"
    else
        found=$(names "$tmp/art/$t" | head -1)
        [[ -n $found ]] || fail "$t stopped without finishing 200 runs or keeping an input: $(tail -3 "$tmp/run.log")"
        echo "   $t: $n_seeds seeds ran clean; NOTE: fuzzing found an input that fails, not this test's subject:"
        grep -a -m1 -E '^goldpath-fuzz:|^SUMMARY:|runtime error' "$tmp/run.log" | sed 's/^/     /' || true
        echo "     input (base64): $(base64 -w0 "$tmp/art/$t/$found")"
    fi
done

# ---- build 2: fuzz/build.sh alone, no sanitizers, dynamic, one target ---------------

echo "== build 2: fuzz/build.sh, CFLAGS without sanitizers, GP_FUZZ_LINK=dynamic, one target"
t=fuzz_protocol
out2=$tmp/out2
mkdir -p "$tmp/tmpdir"
env -u WORK -u CXX -u CXXFLAGS TMPDIR="$tmp/tmpdir" OUT="$out2" CC=clang CFLAGS="-O1 -fsanitize=fuzzer-no-link" \
    LIB_FUZZING_ENGINE=-fsanitize=fuzzer GP_FUZZ_LINK=dynamic GP_FUZZ_TARGETS=$t \
    "$root/fuzz/build.sh" >"$tmp/build2.log" 2>&1 ||
    {
        cat "$tmp/build2.log" >&2
        fail "fuzz/build.sh without sanitizers failed"
    }
got=$(names "$out2")
want=$(printf '%s\n' "$t" "$t.options" "${t}_seed_corpus.zip" | sort)
if [[ -f $root/fuzz/$t.dict ]]; then
    want=$(printf '%s\n' "$want" "$t.dict" | sort)
fi
[[ $got == "$want" ]] || fail "GP_FUZZ_TARGETS=$t built other files: $(echo "$got" | tr '\n' ' ')"
syms=$(nm "$out2/$t" 2>/dev/null || true)
grep -q ' LLVMFuzzerRunDriver$' <<<"$syms" || fail "$t (no sanitizers) has no libFuzzer"
if grep -q ' __asan_init$' <<<"$syms"; then
    fail "$t has AddressSanitizer although CFLAGS did not ask for it: build.sh adds flags of its own"
fi
if command -v ldd >/dev/null; then
    grep -q libjansson <<<"$(ldd "$out2/$t")" || fail "GP_FUZZ_LINK=dynamic did not link jansson dynamically"
fi
"$out2/$t" -runs=0 "$tmp/seeds/$t" >"$tmp/run.log" 2>&1 || fail "$t (no sanitizers) fails on its seeds"
[[ -z $(names "$tmp/tmpdir") ]] || fail "fuzz/build.sh left its scratch folder behind: $(names "$tmp/tmpdir")"
echo "   no sanitizer runtime, jansson dynamic, scratch folder removed"

# ---- failures stop the script, saying why ---------------------------------------

echo "== failures: OUT unset, a compile that fails"
if env -u OUT "$root/fuzz/build.sh" >"$tmp/fail.log" 2>&1; then
    fail "fuzz/build.sh succeeded without OUT"
fi
grep -q 'OUT is not set' "$tmp/fail.log" || fail "fuzz/build.sh without OUT did not say so: $(cat "$tmp/fail.log")"
out3=$tmp/out3
if env -u WORK OUT="$out3" CC=clang CFLAGS="-O1 -include $tmp/no-such-header.h" GP_FUZZ_TARGETS=$t \
    TMPDIR="$tmp/tmpdir" "$root/fuzz/build.sh" >"$tmp/fail.log" 2>&1; then
    fail "fuzz/build.sh succeeded although every compile failed"
fi
grep -q 'compiling .* failed' "$tmp/fail.log" || fail "fuzz/build.sh did not name the file that failed to compile"
grep -q 'the build failed' "$tmp/fail.log" || fail "fuzz/build.sh did not say the build failed"
[[ ! -e $out3/$t ]] || fail "fuzz/build.sh linked $t although its compiles failed"
echo "   both stopped with a message"

echo "PASS: fuzz/build.sh builds ${#targets[@]} fuzzers the OSS-Fuzz way (${SECONDS} s)"
