#!/usr/bin/env bash
# scale_sweep.sh: a sweep on every core and in shards (issue 14, items 1-3):
#   - --jobs 1, 2 and 3 write the same files, byte for byte (plots too);
#   - 3 shards merged (given in any order) equal the unsharded sweep, file
#     for file, sweep.json's command included;
#   - goldpath merge refuses, with exit 2 and a message naming the folders:
#     a shard missing or given twice, shards of another split, seed,
#     scenario, command or goldpath version, a folder that is no shard, a
#     run missing from the records, OUT one of the shards;
#   - --shard's value is checked (exit 2, the value named);
#   - Ctrl-C stops a sweep and its worker processes: exit 130, none left.
#
#   scale_sweep.sh GOLDPATH SCENARIO_DIR
set -u
goldpath=$1
scenarios=$2
work=$(mktemp -d /tmp/gp-scale-sweep-XXXXXX)
bg=
cleanup() {
    [[ -n $bg ]] && kill -9 "$bg" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "scale_sweep: FAIL: $*" >&2; exit 1; }
cd "$work" || exit 1
ln -s "$scenarios" scenarios
mkdir one sharded merged jobs2 jobs3
for d in one merged jobs2 jobs3; do ln -s "$scenarios" "$d/scenarios"; done

# a sweep with variants, failed checks (the buggy server) and findings
sweep=(sweep scenarios/accept_race.json --vary faults.accept_race=0:0.5:0.25 --seeds 2
       --clients 150 --compare 'server.bugs=[]' 'server.bugs=["accept_race"]' --quiet)

# ---- --jobs: the same bytes -------------------------------------------------------
(cd one && "$goldpath" "${sweep[@]}" --jobs 1 --out sweep >/dev/null) || fail "--jobs 1 exited $?"
(cd jobs2 && "$goldpath" "${sweep[@]}" --jobs 2 --out sweep >/dev/null) || fail "--jobs 2 exited $?"
(cd jobs3 && "$goldpath" "${sweep[@]}" --jobs 3 --out sweep >/dev/null) || fail "--jobs 3 exited $?"
[[ -s one/sweep/sweep.csv && $(wc -l <one/sweep/sweep.csv) -eq 13 ]] || fail "no 12 runs in sweep.csv"
grep -q ',0$' one/sweep/sweep.csv || fail "the buggy server failed no run: nothing to carry"
diff -r one/sweep jobs2/sweep >/dev/null || fail "--jobs 2 wrote other files than --jobs 1: $(diff -rq one/sweep jobs2/sweep)"
diff -r one/sweep jobs3/sweep >/dev/null || fail "--jobs 3 wrote other files than --jobs 1"
grep -q -- '--jobs' one/sweep/sweep.json && fail "sweep.json's command keeps --jobs"

# ---- shards, merged ----------------------------------------------------------------
for k in 0 1 2; do
    "$goldpath" "${sweep[@]}" --jobs 2 --shard "$k/3" --out "sharded/$k" >/dev/null ||
        fail "shard $k exited $?"
    [[ -s sharded/$k/shard.json && -s sharded/$k/shard_records.jsonl ]] || fail "shard $k left no records"
done
[[ $(cat sharded/*/shard_records.jsonl | wc -l) -eq 12 ]] || fail "the shards' records are not 12 runs"
(cd merged && "$goldpath" merge sweep ../sharded/2 ../sharded/0 ../sharded/1 -q >/dev/null) ||
    fail "merge exited $?"
diff -r one/sweep merged/sweep >/dev/null ||
    fail "the merged shards differ from the unsharded sweep: $(diff -rq one/sweep merged/sweep)"
[[ -e merged/sweep/shard.json ]] && fail "the merged folder holds a shard.json"

# ---- what merge refuses ------------------------------------------------------------
# refuse WANT ARGS...: merge must exit 2 and say WANT
refuse() {
    local want=$1 out
    shift
    out=$("$goldpath" merge "$work/refused" "$@" 2>&1)
    local rc=$?
    [[ $rc -eq 2 ]] || fail "merge $* exited $rc, not 2"
    [[ $out == *"$want"* ]] || fail "merge $*: no \"$want\" in: $out"
}
refuse "shard 1 missing" sharded/0 sharded/2
refuse "are both shard 0/3" sharded/0 sharded/0 sharded/1 sharded/2
"$goldpath" "${sweep[@]}" --shard 0/2 --out other_n >/dev/null || fail "a 2-shard split"
refuse "the shards of one split only" sharded/0 sharded/1 sharded/2 other_n
"$goldpath" "${sweep[@]}" --shard 1/3 --seed 9 --out other_seed >/dev/null || fail "seed 9"
refuse "ran seed 1 and other_seed seed 9" sharded/0 other_seed sharded/2
"$goldpath" "${sweep[@]}" --shard 1/3 --clients 100 --out other_scenario >/dev/null || fail "100 clients"
refuse "ran different scenarios" sharded/0 other_scenario sharded/2
"$goldpath" "${sweep[@]}" --shard 1/3 --seeds 1 --out other_command >/dev/null || fail "--seeds 1"
refuse "ran different commands" sharded/0 other_command sharded/2
cp -r sharded/1 other_version
sed -i 's/"goldpath_version": "[^"]*"/"goldpath_version": "9.9.9"/' other_version/shard.json
refuse "by goldpath 9.9.9" sharded/0 other_version sharded/2
cp -r sharded/1 short_records
sed -i '$d' short_records/shard_records.jsonl
refuse "is in no shard's records" sharded/0 short_records sharded/2
refuse "not the folder of a shard" sharded/0 one/sweep sharded/2
out=$("$goldpath" merge sharded/0 sharded/0 sharded/1 sharded/2 2>&1)
[[ $? -eq 2 && $out == *"folder of its own"* ]] || fail "merge into a shard's own folder: $out"

# ---- --shard's value ------------------------------------------------------------------
for bad in 3/3 x/2 1/0 2 1/2/3 -1/2; do
    out=$("$goldpath" "${sweep[@]}" --shard="$bad" --out bad 2>&1)
    [[ $? -eq 2 && $out == *"--shard \"$bad\""* ]] || fail "--shard $bad: $out"
done

# ---- Ctrl-C stops the workers ------------------------------------------------------------
"$goldpath" sweep scenarios/golden_path.json --vary clients.count=20000:30000:1000 --seeds 3 \
    --jobs 2 --out slow --quiet --no-plots >slow.out 2>&1 &
bg=$!
workers=
for ((i = 0; i < 100; i++)); do
    workers=$(ps -o pid= --ppid "$bg" 2>/dev/null | tr -d ' ' | tr '\n' ' ')
    [[ $(wc -w <<<"$workers") -eq 2 ]] && break
    sleep 0.1
done
[[ $(wc -w <<<"$workers") -eq 2 ]] || fail "--jobs 2 started no 2 workers ($workers)"
kill -INT "$bg"
for ((i = 0; i < 100; i++)); do
    kill -0 "$bg" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$bg" 2>/dev/null && fail "the sweep is still running 10 s after SIGINT"
wait "$bg"
rc=$?
bg=
[[ $rc -eq 130 ]] || fail "an interrupted sweep exited $rc, not 130: $(cat slow.out)"
grep -q "interrupted" slow.out || fail "no word of the interruption: $(cat slow.out)"
for w in $workers; do
    kill -0 "$w" 2>/dev/null && fail "worker $w outlived the interrupted sweep"
done
echo "scale_sweep: --jobs 1/2/3 identical; 3 shards merged equal the sweep; refusals; Ctrl-C"
exit 0
