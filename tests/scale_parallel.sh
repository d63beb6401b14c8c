#!/usr/bin/env bash
# scale_parallel.sh: deploy/parallel/sweep.sh, the GNU parallel recipe, run
# on this machine: 3 shards, at most 2 at once, merged; the folder must equal
# the same sweep run as one process, file for file and byte for byte.
# Skipped (exit 77) without GNU parallel (Debian package parallel).
#
#   scale_parallel.sh GOLDPATH REPO_DIR
set -u
goldpath=$1
repo=$2
[[ -x /usr/bin/parallel ]] || { echo "scale_parallel: no /usr/bin/parallel: skipped"; exit 77; }
work=$(mktemp -d /tmp/gp-scale-parallel-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "scale_parallel: FAIL: $*" >&2; exit 1; }
mkdir "$work/recipe" "$work/one"
ln -s "$repo/scenarios" "$work/recipe/scenarios"
ln -s "$repo/scenarios" "$work/one/scenarios"
args=(scenarios/mixed_faults.json --vary faults.early_message=0:0.2:0.1 --seeds 2 --clients 300)

(cd "$work/recipe" && GOLDPATH=$goldpath GP_PARALLEL_JOBS=2 \
    "$repo/deploy/parallel/sweep.sh" 3 sweep "${args[@]}") >"$work/recipe.out" 2>&1 ||
    fail "the recipe exited $?: $(cat "$work/recipe.out")"
for k in 0 1 2; do
    [[ -s $work/recipe/sweep.shards/$k/shard.json ]] || fail "no shard $k"
done
# the recipe gives each shard --quiet; the whole sweep the same options
(cd "$work/one" && "$goldpath" sweep "${args[@]}" --quiet --out sweep) >/dev/null ||
    fail "the unsharded sweep exited $?"
diff -r "$work/recipe/sweep" "$work/one/sweep" >/dev/null ||
    fail "merged and unsharded differ: $(diff -rq "$work/recipe/sweep" "$work/one/sweep")"
[[ $(wc -l <"$work/one/sweep/sweep.csv") -eq 7 ]] || fail "not 6 runs in sweep.csv"
echo "scale_parallel: 3 shards through GNU parallel, merged: identical to the sweep run whole"
