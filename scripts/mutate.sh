#!/usr/bin/env bash
# mutate.sh: mutation testing of goldpath's oracle (a tool, not a test).
#
# Measures how well the shipped scenarios and checks see server bugs that are
# NOT in the bug catalog.  Each patch in mutants/ is a realistic bug in the
# sans-I/O core (sut/core), never switched on by a flag.  For each one the
# script applies it to a clean tree, rebuilds goldpath, runs every shipped
# scenario in simulation and reports whether the bug was caught, by which
# scenarios and by which checks, and the score caught / (caught + missed).
#
#   scripts/mutate.sh [--list] [--only NAME]... [--keep] [--jobs N]
#                     [--timeout S] [--report FILE]
#
#   --list         list the mutants (name and what bug it is) and exit
#   --only NAME    run only this mutant (repeatable); NAME is the file name
#                  without .patch ("07-held-applied-before-accepted"), the
#                  part after the number ("held-applied-before-accepted") or
#                  the number ("07")
#   --keep         keep the scratch worktree, build and run folders (printed)
#   --jobs N       scenarios of one mutant run N at a time (default: nproc)
#   --timeout S    seconds a scenario may run before it counts as hung
#                  (default 120; a hang counts as caught, by "timeout")
#   --report FILE  also write the table and the score as Markdown to FILE;
#                  in an existing FILE, the hand-written notes below the line
#                  "<!-- mutate.sh keeps everything below this line ... -->"
#                  are kept (e.g. why each missed mutant is missed)
#   -h, --help     this text
#
# How it works:
#  1. `git worktree add --detach` of HEAD of the repository this script lives
#     in, in a temporary folder: the committed code is measured, not the
#     working copy.  The mutants are read from mutants/ beside this script
#     (so a new, uncommitted patch can be tried).
#  2. One build outside that tree (cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo
#     -DGP_WERROR=ON, no sanitizers), target goldpath only.
#  3. Baseline: every shipped scenario (scenarios/*.json, scenarios/bugs/*.json
#     of HEAD) must exit 0 on the unmutated tree, or the script stops: a
#     failing baseline would make every mutant look caught.
#  4. Per mutant: `git apply` (a patch that does not apply is "stale": neither
#     caught nor missed, and reported loudly), an incremental rebuild (a patch
#     that does not compile, or that changes files outside sut/core, is
#     "broken", and reported loudly too), every scenario run with
#     `goldpath run FILE --out DIR --quiet --no-plots` under `timeout`, then
#     the tree is reverted (checkout + clean inside the worktree only).
#     Caught: at least one scenario exits non-zero (1: an expectation did not
#     hold), crashes, or times out.  For each run that exits 1 the checks and
#     expectations whose status is failed, missed or unjudged are read from
#     its summary.json.
#  5. The table and the score; the worktree is removed (also on Ctrl-C).
#
# Exit status: 0 when it ran (whatever the score), 1 when it could not (not a
# git repository, the build or the baseline failed), 2 for bad usage.
#
# A mutant patch is a `git diff` against HEAD with a comment block before the
# first `diff --git` line: "# " lines saying what bug it is and what a good
# oracle should see.  See mutants/README.md.
set -euo pipefail

prog=mutate.sh
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die_usage() { echo "$prog: $*" >&2; echo "$prog: see --help" >&2; exit 2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

# ---- arguments ----------------------------------------------------------------

list=false keep=false report="" timeout_s=120
jobs=$(nproc 2>/dev/null || echo 1)
only=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --list) list=true ;;
    --keep) keep=true ;;
    --only) [[ $# -ge 2 && -n $2 ]] || die_usage "--only needs a mutant name"; only+=("$2"); shift ;;
    --only=*) only+=("${1#--only=}") ;;
    --jobs) [[ $# -ge 2 ]] || die_usage "--jobs needs a number"; jobs=$2; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    --timeout) [[ $# -ge 2 ]] || die_usage "--timeout needs a number of seconds"; timeout_s=$2; shift ;;
    --timeout=*) timeout_s=${1#--timeout=} ;;
    --report) [[ $# -ge 2 && -n $2 ]] || die_usage "--report needs a file name"; report=$2; shift ;;
    --report=*) report=${1#--report=} ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
    esac
    shift
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die_usage "--jobs must be a whole number >= 1, got '$jobs'"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die_usage "--timeout must be a whole number of seconds >= 1, got '$timeout_s'"

# ---- the repository and the mutants ---------------------------------------------

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! root=$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null); then
    die "$script_dir is not inside a git repository: mutate.sh measures the committed
state through 'git worktree add' and cannot run from a plain copy (clone the repository)"
fi
mutants_dir=$root/mutants
[[ -d $mutants_dir ]] || die "no mutants folder at $mutants_dir"

shopt -s nullglob
all_patches=("$mutants_dir"/[0-9]*.patch)
shopt -u nullglob
[[ ${#all_patches[@]} -gt 0 ]] || die "no mutants (NN-name.patch) in $mutants_dir"

# The patch's comment block: its "# " lines before the first diff, joined,
# without the "mutant NN-name" line.
describe() {
    awk '/^diff --git /{exit} /^# mutant /{next} /^#/{sub(/^# ?/, ""); if ($0 != "") printf "%s ", $0}' "$1" |
        sed 's/ $//'
}

mutant_name() { local b; b=$(basename "$1"); echo "${b%.patch}"; }

selected=()
if [[ ${#only[@]} -eq 0 ]]; then
    selected=("${all_patches[@]}")
else
    for want in "${only[@]}"; do
        found=""
        for p in "${all_patches[@]}"; do
            n=$(mutant_name "$p")
            if [[ $n == "$want" || ${n#*-} == "$want" || ${n%%-*} == "$want" ]]; then
                found=$p
                break
            fi
        done
        [[ -n $found ]] || die_usage "no mutant named '$want' (see --list)"
        selected+=("$found")
    done
fi

if $list; then
    for p in "${selected[@]}"; do
        printf '%s\n    %s\n' "$(mutant_name "$p")" "$(describe "$p")"
    done
    exit 0
fi

command -v python3 >/dev/null || die "python3 is needed to read summary.json"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

# ---- the scratch tree, cleaned up however the script ends ------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/goldpath-mutate.XXXXXX")
tree=$work/tree
build=$work/build
runs=$work/runs
logs=$work/logs
mkdir -p "$runs" "$logs"
tree_added=false

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # our own background scenario runs, by their process ids: first what each
    # one started (timeout, which passes the signal on to goldpath), then it
    local pid
    for pid in $(jobs -pr); do
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if $keep; then
        echo "$prog: kept $work (tree, build, runs, logs)" >&2
        $tree_added && echo "$prog: remove it with: git -C '$root' worktree remove --force '$tree' && rm -rf '$work'" >&2
    else
        if $tree_added; then
            git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true
        fi
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "$prog: interrupted" >&2; exit 130' INT TERM

t_start=$(date +%s)
head_rev=$(git -C "$root" rev-parse --short HEAD)
echo "$prog: measuring HEAD $head_rev of $root with ${#selected[@]} mutants"
git -C "$root" worktree add --detach "$tree" HEAD >"$logs/worktree.log" 2>&1 ||
    { cat "$logs/worktree.log" >&2; die "git worktree add failed"; }
tree_added=true

build_goldpath() {
    cmake --build "$build" -j "$jobs" --target goldpath -- --no-print-directory >"$1" 2>&1
}

echo "$prog: building goldpath in $build"
cmake -S "$tree" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGP_WERROR=ON \
    >"$logs/configure.log" 2>&1 || { tail -20 "$logs/configure.log" >&2; die "cmake configure failed (log above)"; }
build_goldpath "$logs/build-baseline.log" || { tail -30 "$logs/build-baseline.log" >&2; die "the unmutated tree does not build (log above)"; }
goldpath=$build/harness/goldpath
[[ -x $goldpath ]] || die "no goldpath binary at $goldpath after the build"

# The shipped scenarios, from the tree under test; each gets a run id that is
# unique (scenarios/accept_race.json and scenarios/bugs/accept_race.json).
scenarios=()
ids=()
shopt -s nullglob
for f in "$tree"/scenarios/*.json "$tree"/scenarios/bugs/*.json; do
    rel=${f#"$tree"/scenarios/}
    scenarios+=("$f")
    ids+=("$(echo "${rel%.json}" | tr '/' '-')")
done
shopt -u nullglob
[[ ${#scenarios[@]} -gt 0 ]] || die "no scenarios in $tree/scenarios"

# run_one FILE DIR: one simulated run under the timeout; writes DIR.rc.
run_one() {
    local rc=0
    timeout -k 5 "$timeout_s" "$goldpath" run "$1" --out "$2" --quiet --no-plots \
        >"$2.log" 2>&1 || rc=$?
    echo "$rc" >"$2.rc"
}

# run_all DIR: every scenario, $jobs at a time, into DIR/<id>.
run_all() {
    local dir=$1 i
    rm -rf "$dir"
    mkdir -p "$dir"
    for i in "${!scenarios[@]}"; do
        while [[ $(jobs -pr | wc -l) -ge $jobs ]]; do
            wait -n || true
        done
        run_one "${scenarios[$i]}" "$dir/${ids[$i]}" &
    done
    wait || true
}

# verdicts DIR: one line per scenario, "<id> <rc> <names,...>", where names
# are the checks and expectations that did not hold in its summary.json.
verdicts() {
    python3 - "$1" "${ids[@]}" <<'PY'
import json, os, sys
d = sys.argv[1]
for sid in sys.argv[2:]:
    rc = open(os.path.join(d, sid + ".rc")).read().strip()
    names = []
    try:
        s = json.load(open(os.path.join(d, sid, "summary.json")))
        for item in s.get("checks", []) + s.get("expectations", []):
            if item.get("status") in ("failed", "missed", "unjudged"):
                names.append(item["name"])
    except (OSError, ValueError):
        pass
    print(sid, rc, ",".join(names) or "-")
PY
}

echo "$prog: baseline: ${#scenarios[@]} scenarios on the unmutated tree"
run_all "$runs/baseline"
bad=""
while read -r sid rc names; do
    [[ $rc == 0 ]] || bad+="  $sid: exit $rc (${names})"$'\n'
done < <(verdicts "$runs/baseline")
if [[ -n $bad ]]; then
    printf '%s' "$bad" >&2
    saved=$(mktemp -d "${TMPDIR:-/tmp}/goldpath-mutate-baseline.XXXXXX")
    cp -r "$runs/baseline" "$saved/"
    die "the baseline fails: these scenarios do not pass on the unmutated HEAD, so every
mutant would look caught.  Fix them first (their runs: $saved/baseline)."
fi
t_base=$(date +%s)
echo "$prog: baseline passes ($((t_base - t_start)) s including the build)"

# ---- the mutants -----------------------------------------------------------------------

revert_tree() {
    git -C "$tree" checkout -- . && git -C "$tree" clean -fdq
}

names=() results=() by_scn=() by_chk=()
n_caught=0 n_missed=0 n_stale=0 n_broken=0
k=0
for patch in "${selected[@]}"; do
    k=$((k + 1))
    name=$(mutant_name "$patch")
    t0=$(date +%s)
    result="" scn="-" chk="-"
    outside=$(git -C "$tree" apply --numstat "$patch" 2>/dev/null | awk '$3 !~ /^sut\/core\// {print $3}' | tr '\n' ' ')
    if ! git -C "$tree" apply --check "$patch" >"$logs/$name.apply.log" 2>&1; then
        result=stale
        echo "$prog: WARNING: $name no longer applies to HEAD (stale): $(head -1 "$logs/$name.apply.log")" >&2
    elif [[ -n $outside ]]; then
        # the score is measured in simulation: a mutant must be a bug of the core
        result=broken
        echo "$prog: WARNING: $name changes files outside sut/core ($outside): not run (broken)" >&2
    else
        git -C "$tree" apply "$patch"
        if ! build_goldpath "$logs/$name.build.log"; then
            result=broken
            echo "$prog: WARNING: $name does not compile (broken):" >&2
            grep -m3 -E 'error|Error' "$logs/$name.build.log" | sed 's/^/    /' >&2 || true
        else
            run_all "$runs/$name"
            scn_list=() chk_list=()
            while read -r sid rc failed; do
                case $rc in
                0) continue ;;
                1) scn_list+=("$sid") ;;
                124 | 137) scn_list+=("$sid (timeout)"); failed=timeout ;;
                *) scn_list+=("$sid (exit $rc)"); [[ $failed == - ]] && failed="crash (exit $rc)" ;;
                esac
                [[ $failed == - ]] && continue
                IFS=, read -r -a fl <<<"$failed"
                chk_list+=("${fl[@]}")
            done < <(verdicts "$runs/$name")
            $keep || rm -rf "$runs/$name"
            if [[ ${#scn_list[@]} -gt 0 ]]; then
                result=caught
                scn=$(IFS=,; echo "${scn_list[*]}" | sed 's/,/, /g')
                if [[ ${#chk_list[@]} -gt 0 ]]; then
                    # each name once, with the number of scenarios it failed in
                    chk=$(printf '%s\n' "${chk_list[@]}" | sort | uniq -c |
                        awk '{n = $1; $1 = ""; sub(/^ +/, ""); printf "%s%s%s", (NR > 1 ? ", " : ""), $0, (n > 1 ? " x" n : "")}')
                fi
            else
                result=missed
            fi
        fi
    fi
    revert_tree
    case $result in
    caught) n_caught=$((n_caught + 1)) ;;
    missed) n_missed=$((n_missed + 1)) ;;
    stale) n_stale=$((n_stale + 1)) ;;
    broken) n_broken=$((n_broken + 1)) ;;
    esac
    names+=("$name") results+=("$result") by_scn+=("$scn") by_chk+=("$chk")
    printf '%s: [%d/%d] %-45s %-7s %3ds  %s\n' "$prog" "$k" "${#selected[@]}" "$name" "$result" \
        "$(($(date +%s) - t0))" "$chk"
done

# ---- the table and the score ------------------------------------------------------------

t_end=$(date +%s)
judged=$((n_caught + n_missed))
if [[ $judged -gt 0 ]]; then
    score=$(awk -v c=$n_caught -v j=$judged 'BEGIN {printf "%.1f%%", 100 * c / j}')
else
    score="n/a"
fi
elapsed=$((t_end - t_start))
summary="score: $n_caught caught of $judged judged = $score ($n_missed missed, $n_stale stale, $n_broken broken; ${#selected[@]} mutants, ${#scenarios[@]} scenarios, ${elapsed} s)"

echo
printf '%-45s %-7s %s\n' mutant result "scenarios that caught it / checks and expectations that failed"
for i in "${!names[@]}"; do
    printf '%-45s %-7s %s\n' "${names[$i]}" "${results[$i]}" "${by_scn[$i]}"
    [[ ${by_chk[$i]} != - ]] && printf '%-45s %-7s   %s\n' "" "" "${by_chk[$i]}"
done
echo
echo "$summary"
if [[ $n_stale -gt 0 ]]; then
    echo "$prog: WARNING: $n_stale mutant(s) are STALE (the code they change has moved): refresh them against HEAD" >&2
fi
if [[ $n_broken -gt 0 ]]; then
    echo "$prog: WARNING: $n_broken mutant(s) are BROKEN (do not compile with -Werror, or change files outside sut/core): fix the patch" >&2
fi

# Hand-written notes in an existing report (from the marker line on) are kept
# when it is rewritten, so that the analysis of the missed mutants survives.
notes_marker='<!-- mutate.sh keeps everything below this line when it rewrites the report -->'
if [[ -n $report ]]; then
    notes=""
    if [[ -f $report ]] && grep -qxF "$notes_marker" "$report"; then
        notes=$(awk -v m="$notes_marker" 'f || $0 == m {f = 1; print}' "$report")
    fi
    {
        echo "# Mutation testing: latest figures"
        echo
        echo "Written by \`scripts/mutate.sh --report\` (see \`mutants/README.md\`): each mutant is a"
        echo "realistic server bug in \`sut/core\` (never switched on by a flag), applied to a clean"
        echo "tree of the commit below; every shipped scenario (\`scenarios/*.json\`,"
        echo "\`scenarios/bugs/*.json\`) is run in simulation. Caught: at least one scenario exits"
        echo "non-zero (an expectation failed, a crash, or a timeout of ${timeout_s} s)."
        echo
        echo "- commit: \`$head_rev\`"
        echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "- mutants: ${#selected[@]}; scenarios: ${#scenarios[@]}; jobs: $jobs; time: ${elapsed} s"
        echo "- **score: $n_caught / $judged = $score** (caught / (caught + missed)); missed $n_missed, stale $n_stale, broken $n_broken"
        echo
        echo "| mutant | result | scenarios that caught it | checks and expectations that failed (x N: in N scenarios) |"
        echo "| --- | --- | --- | --- |"
        for i in "${!names[@]}"; do
            r=${results[$i]}
            [[ $r == missed ]] && r="**missed**"
            echo "| \`${names[$i]}\` | $r | ${by_scn[$i]} | ${by_chk[$i]} |"
        done
        echo
        if [[ -n $notes ]]; then
            printf '%s\n' "$notes"
        else
            echo "$notes_marker"
        fi
    } >"$report.tmp.$$"
    mv "$report.tmp.$$" "$report"
    echo "$prog: wrote $report"
fi
exit 0
