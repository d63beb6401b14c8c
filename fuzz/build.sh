#!/usr/bin/env bash
# fuzz/build.sh: builds the libFuzzer targets the OSS-Fuzz / ClusterFuzzLite
# way (docs/fuzzing.md, "OSS-Fuzz and ClusterFuzzLite"), with plain compiler
# calls so that $CFLAGS reaches every file exactly as given.
#
#   OUT=DIR [CC=clang] [CFLAGS=...] [LIB_FUZZING_ENGINE=-fsanitize=fuzzer] fuzz/build.sh
#
# OSS-Fuzz and ClusterFuzzLite run it (through .clusterfuzzlite/build.sh) with
# their environment; locally, e.g.:
#
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link -g" \
#     LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
#
# For each fuzz/fuzz_<name>.c that defines LLVMFuzzerTestOneInput it writes
# into $OUT:
#   fuzz_<name>                  the fuzzer: the target, fuzz/gp_fuzz.c, the
#                                target's other sources and the code under
#                                test (sut/core, and the harness folders the
#                                simulator needs unless the target needs the
#                                core only), all compiled with $CC $CFLAGS and
#                                linked with $LIB_FUZZING_ENGINE
#   fuzz_<name>.options          copied from fuzz/, when there is one
#   fuzz_<name>.dict             copied from fuzz/, when there is one
#   fuzz_<name>_seed_corpus.zip  fuzz/corpus/fuzz_<name>/ and
#                                fuzz/regressions/fuzz_<name>/ (names
#                                prefixed "regression-"), zipped flat
# Nothing else goes into $OUT; objects go under $WORK (or a temporary folder
# removed at the end).
#
# Which targets need which library, and their other sources, come from the
# GP_FUZZ_TARGETS list in fuzz/CMakeLists.txt, and per-target coverage flags
# from its GP_FUZZ_COMPILE_<name> lines, so that the CMake build and this one
# cannot drift apart.  Source files are found by listing the folders.
#
# Environment (OSS-Fuzz's names; the defaults apply only when a variable is
# unset, so an empty CFLAGS is honoured as empty):
#   OUT                 where the fuzzers go (required)
#   CC, CFLAGS          compiler and flags for every source (default clang;
#                       -O1 -g -fno-omit-frame-pointer with address, undefined
#                       and fuzzer-no-link)
#   CXX, CXXFLAGS       when CXX is set, the fuzzers are linked with
#                       $CXX $CXXFLAGS (OSS-Fuzz: the engine library is C++);
#                       otherwise with $CC $CFLAGS
#   LDFLAGS             added to each link
#   LIB_FUZZING_ENGINE  the engine, last on each link (default -fsanitize=fuzzer)
#   FUZZING_ENGINE      libfuzzer (default) defines GP_LIBFUZZER, which turns
#                       on the lifecycle counters (fuzz/gp_fuzz.c)
#   WORK                scratch folder (OSS-Fuzz sets it)
#   GP_FUZZ_LINK        static (default): jansson and libcrypto linked from
#                       their .a archives, so the fuzzers run on a machine
#                       without them (OSS-Fuzz's runner image); dynamic: -l
#   GP_FUZZ_JOBS        parallel compiles (default: nproc)
#   GP_FUZZ_TARGETS     the targets to build, e.g. "fuzz_protocol" (default: all)
#   PKG_CONFIG_PATH     where pkg-config finds jansson and libcrypto
# Exits non-zero, with a line saying what failed, at the first failure.
set -euo pipefail

die() {
    echo "fuzz/build.sh: $*" >&2
    exit 1
}

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
[[ -f $root/fuzz/CMakeLists.txt && -d $root/sut/core ]] ||
    die "cannot find the goldpath tree around $0"

[[ -n ${OUT:-} ]] || die "OUT is not set: say where the fuzzers go (OUT=DIR $0)"
CC=${CC-clang}
CFLAGS=${CFLAGS--O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE--fsanitize=fuzzer}
link_mode=${GP_FUZZ_LINK:-static}
jobs=${GP_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[[ $link_mode == static || $link_mode == dynamic ]] ||
    die "GP_FUZZ_LINK must be static or dynamic, not '$link_mode'"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "GP_FUZZ_JOBS must be a positive number, not '$jobs'"

read -ra cc <<<"$CC"
read -ra cflags <<<"$CFLAGS"
read -ra engine <<<"$LIB_FUZZING_ENGINE"
read -ra ldflags <<<"${LDFLAGS:-}"
if [[ -n ${CXX:-} ]]; then
    read -ra linker <<<"$CXX"
    read -ra link_flags <<<"${CXXFLAGS:-}"
else
    linker=("${cc[@]}")
    link_flags=("${cflags[@]}")
fi
((${#cc[@]} > 0)) || die "CC is empty"
command -v "${cc[0]}" >/dev/null || die "compiler '${cc[0]}' (CC) not found"
command -v "${linker[0]}" >/dev/null || die "linker '${linker[0]}' (CXX) not found"
command -v pkg-config >/dev/null || die "pkg-config not found (Debian: pkg-config)"

# Scratch space: OSS-Fuzz's $WORK, or a folder of our own removed on exit.
if [[ -n ${WORK:-} ]]; then
    objroot=$WORK/goldpath-fuzz
    rm -rf "$objroot"
else
    objroot=$(mktemp -d "${TMPDIR:-/tmp}/gp-fuzz-build.XXXXXX")
    trap 'rm -rf "$objroot"' EXIT
fi
mkdir -p "$objroot" "$OUT" || die "cannot create $OUT or $objroot"

# ---- the targets, from fuzz/CMakeLists.txt ----------------------------------

# "name:library:extra.c,extra.c" entries of set(GP_FUZZ_TARGETS ...).
mapfile -t entries < <(sed -n '/^set(GP_FUZZ_TARGETS/,/)/p' "$root/fuzz/CMakeLists.txt" |
    grep -oE '"[^"]*"' | tr -d '"')
((${#entries[@]} > 0)) || die "no GP_FUZZ_TARGETS list found in fuzz/CMakeLists.txt"
declare -A target_lib target_extra target_cov
for e in "${entries[@]}"; do
    IFS=: read -r name lib extra <<<"$e"
    target_lib[$name]=$lib
    target_extra[$name]=${extra//,/ }
done
# set(GP_FUZZ_COMPILE_<name> <coverage flags>)
while read -r name flags; do
    target_cov[$name]=$flags
done < <(sed -nE 's/^[[:space:]]*set\(GP_FUZZ_COMPILE_([A-Za-z0-9_]+)[[:space:]]+([^)]*)\).*/\1 \2/p' \
    "$root/fuzz/CMakeLists.txt")

targets=()
for src in "$root"/fuzz/fuzz_*.c; do
    grep -q 'LLVMFuzzerTestOneInput' "$src" || continue
    name=$(basename "$src" .c)
    [[ -n ${target_lib[$name]:-} ]] ||
        die "fuzz/$name.c is a fuzz target but GP_FUZZ_TARGETS in fuzz/CMakeLists.txt does not list it"
    targets+=("$name")
done
((${#targets[@]} > 0)) || die "no fuzz target (fuzz/fuzz_*.c with LLVMFuzzerTestOneInput) found"
if [[ -n ${GP_FUZZ_TARGETS:-} ]]; then
    read -ra wanted <<<"$GP_FUZZ_TARGETS"
    for w in "${wanted[@]}"; do
        [[ " ${targets[*]} " == *" $w "* ]] || die "GP_FUZZ_TARGETS names '$w', which is not a target (${targets[*]})"
    done
    targets=("${wanted[@]}")
fi

# The code under test: every .c of the core, and of the harness folders the
# simulator is made of: the layers of harness/CMakeLists.txt (GP_HARNESS_LAYERS,
# "dir|library|deps"), all but report, read from there so the two cannot drift.
mapfile -t harness_dirs < <(sed -n '/^set(GP_HARNESS_LAYERS/,/)/p' "$root/harness/CMakeLists.txt" |
    grep -o '"[a-z]*|' | tr -d '"|' | grep -vx report)
(( ${#harness_dirs[@]} >= 5 )) || die "cannot read the harness layers from harness/CMakeLists.txt"
core_srcs=("$root"/sut/core/*.c)
harness_srcs=()
includes=(-I "$root/fuzz" -I "$root/sut/core")
for d in "${harness_dirs[@]}"; do
    [[ -d $root/harness/$d ]] || die "harness/$d is missing"
    harness_srcs+=("$root"/harness/"$d"/*.c)
    includes+=(-I "$root/harness/$d")
done

# libFuzzer's coverage flags are in CFLAGS (fuzzer-no-link): the targets' own
# bookkeeping is compiled without them, and a target's GP_FUZZ_COMPILE flags
# apply, as in the CMake build.  Other builds (coverage, AFL) keep CFLAGS as is.
libfuzzer_cov=0
if [[ $CFLAGS == *fuzzer-no-link* ]]; then
    libfuzzer_cov=1
fi
defines=()
if [[ ${FUZZING_ENGINE:-libfuzzer} == libfuzzer ]]; then
    defines+=(-DGP_LIBFUZZER=1)
fi

# ---- libraries ----------------------------------------------------------------

pkgs=(jansson libcrypto)
for p in "${pkgs[@]}"; do
    pkg-config --exists "$p" ||
        die "pkg-config does not find $p (Debian: libjansson-dev, libssl-dev; or set PKG_CONFIG_PATH)"
done
read -ra pkg_cflags <<<"$(pkg-config --cflags "${pkgs[@]}")"
libs=()
if [[ $link_mode == dynamic ]]; then
    read -ra libs <<<"$(pkg-config --libs "${pkgs[@]}")"
else
    # Each package's own library from its archive; what it needs (-ldl,
    # -pthread) as pkg-config --static says.
    libdirs=()
    for p in "${pkgs[@]}"; do
        libdirs+=("$(pkg-config --variable=libdir "$p")")
    done
    own=" $(pkg-config --libs-only-l jansson) $(pkg-config --libs-only-l libcrypto) "
    read -ra flags <<<"$(pkg-config --static --libs "${pkgs[@]}")"
    for f in "${flags[@]}"; do
        if [[ $f == -L* ]]; then
            libdirs+=("${f#-L}")
        fi
    done
    for f in "${flags[@]}"; do
        if [[ $f == -l* && $own == *" $f "* ]]; then
            archive=""
            for d in "${libdirs[@]}"; do
                if [[ -f $d/lib${f#-l}.a ]]; then
                    archive=$d/lib${f#-l}.a
                    break
                fi
            done
            [[ -n $archive ]] ||
                die "no static lib${f#-l}.a in ${libdirs[*]} (install the -dev package, or GP_FUZZ_LINK=dynamic)"
            libs+=("$archive")
        elif [[ $f != -L* ]]; then
            libs+=("$f")
        fi
    done
fi
libs+=(-lm)

# ---- compile ------------------------------------------------------------------

# compile SRC OBJ FLAGS...: one compiler call; says which file failed.
compile() {
    local src=$1 obj=$2
    shift 2
    "${cc[@]}" -std=gnu11 "${cflags[@]}" "$@" "${defines[@]}" "${includes[@]}" \
        "${pkg_cflags[@]}" -c "$src" -o "$obj" ||
        { echo "fuzz/build.sh: compiling ${src#"$root"/} failed" >&2 && return 1; }
}

# Objects of the code under test, per distinct set of coverage flags (one set
# for the targets without GP_FUZZ_COMPILE flags, one per other set).  Queued
# as "src<TAB>obj<TAB>flags" and compiled $jobs at a time.
declare -A target_objdir needs_harness
queue=()
obj_name() { local rel=${1#"$root"/}; echo "${rel//\//_}"; }
for t in "${targets[@]}"; do
    cov=""
    if ((libfuzzer_cov)); then
        cov=${target_cov[$t]:-}
    fi
    key=$(echo "cov $cov" | tr -c 'A-Za-z0-9_\n' '_')
    target_objdir[$t]=$objroot/$key
    mkdir -p "$objroot/$key" "$objroot/$t"
    if [[ -z ${needs_harness[$key]+set} ]]; then
        needs_harness[$key]=0
        for s in "${core_srcs[@]}"; do
            queue+=("$s"$'\t'"$objroot/$key/$(obj_name "$s").o"$'\t'"$cov")
        done
    fi
    if [[ ${target_lib[$t]} != gp_core && ${needs_harness[$key]} == 0 ]]; then
        needs_harness[$key]=1
        for s in "${harness_srcs[@]}"; do
            queue+=("$s"$'\t'"$objroot/$key/$(obj_name "$s").o"$'\t'"$cov")
        done
    fi
    own_flags=""
    if ((libfuzzer_cov)); then
        own_flags="-fno-sanitize=fuzzer-no-link"
    fi
    for s in "$t.c" gp_fuzz.c ${target_extra[$t]}; do
        [[ -f $root/fuzz/$s ]] || die "fuzz/$s (a source of $t in fuzz/CMakeLists.txt) is missing"
        queue+=("$root/fuzz/$s"$'\t'"$objroot/$t/${s%.c}.o"$'\t'"$own_flags")
    done
done

echo "fuzz/build.sh: ${#targets[@]} targets, ${#queue[@]} compiles ($jobs at a time) with $CC $CFLAGS"
running=0 failed=0
for item in "${queue[@]}"; do
    IFS=$'\t' read -r src obj flags <<<"$item"
    read -ra extra_flags <<<"$flags"
    compile "$src" "$obj" "${extra_flags[@]}" &
    running=$((running + 1))
    if ((running >= jobs)); then
        wait -n || failed=1
        running=$((running - 1))
    fi
    ((failed == 0)) || break
done
while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
done
((failed == 0)) || die "the build failed (see the compiler's message above)"

# ---- link, options, dictionaries, seeds -----------------------------------------

# zip_seeds ZIP DIR: DIR's files, flat, into ZIP (zip, or python3's zipfile).
zip_seeds() {
    local zip=$1 dir=$2
    rm -f "$zip"
    if command -v zip >/dev/null; then
        (cd "$dir" && zip -q -X -r "$zip" .)
    elif command -v python3 >/dev/null; then
        python3 - "$zip" "$dir" <<'EOF'
import os, sys, zipfile
zip_path, folder = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(folder)):
        z.write(os.path.join(folder, name), name)
EOF
    else
        echo "fuzz/build.sh: neither zip nor python3 found to zip the seed corpus" >&2
        return 1
    fi
}

for t in "${targets[@]}"; do
    objs=("$objroot/$t"/*.o)
    for s in "${core_srcs[@]}"; do
        objs+=("${target_objdir[$t]}/$(obj_name "$s").o")
    done
    if [[ ${target_lib[$t]} != gp_core ]]; then
        for s in "${harness_srcs[@]}"; do
            objs+=("${target_objdir[$t]}/$(obj_name "$s").o")
        done
    fi
    "${linker[@]}" "${link_flags[@]}" "${ldflags[@]}" "${objs[@]}" -o "$OUT/$t" \
        "${engine[@]}" "${libs[@]}" || die "linking $t failed"

    for kind in options dict; do
        f=$root/fuzz/$t.$kind
        if [[ -f $f ]]; then
            cp "$f" "$OUT/" || die "cannot copy ${f#"$root"/} to $OUT"
        fi
    done
    if [[ -f $root/fuzz/$t.options ]]; then
        # A dictionary the options name must exist next to the fuzzer.
        dict=$(sed -nE 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*([^[:space:]]+).*/\1/p' \
            "$root/fuzz/$t.options")
        [[ -z $dict || -f $OUT/$dict ]] ||
            die "fuzz/$t.options names the dictionary $dict, which is not in fuzz/"
    fi

    seeds=$objroot/seeds/$t
    mkdir -p "$seeds"
    for f in "$root/fuzz/corpus/$t"/*; do
        if [[ -f $f ]]; then
            cp "$f" "$seeds/"
        fi
    done
    for f in "$root/fuzz/regressions/$t"/*; do
        if [[ -f $f ]]; then
            cp "$f" "$seeds/regression-$(basename "$f")"
        fi
    done
    if [[ -n $(ls -A "$seeds") ]]; then
        zip_seeds "$OUT/${t}_seed_corpus.zip" "$seeds" || die "zipping the seed corpus of $t failed"
    else
        echo "fuzz/build.sh: $t has no seed corpus (fuzz/corpus/$t/ is empty)" >&2
    fi
    echo "fuzz/build.sh: $OUT/$t"
done
