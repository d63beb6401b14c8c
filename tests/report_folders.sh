#!/bin/sh
# report_folders.sh: a run (and a sweep) owns its report folder.
#
#   report_folders.sh GOLDPATH SOURCE_DIR WORK_DIR
#
# - --out to a folder that holds someone's files and is not a goldpath report
#   folder is refused (exit 2, the folder named) and left as it was;
# - in an earlier run's folder, that run's files are cleared first (its
#   trace-client-K.txt must not pass for one of the new run), other files
#   are kept;
# - a scenario named ../../../x writes under reports/ only;
# - every output the user asked for that cannot be written exits 2 (--out
#   that is a file, --junit to a folder that does not exist) and names it.
set -u
goldpath=$1
src=$2
work=$3
scen=$src/scenarios/golden_path.json
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

# 1. a foreign, non-empty folder is refused and untouched
mkdir foreign
echo "my notes" > foreign/notes.txt
"$goldpath" run "$scen" --clients 10 --out foreign --quiet >out.txt 2>err.txt
rc=$?
[ $rc -eq 2 ] || fail "run --out into a foreign folder exited $rc, expected 2"
grep -q "foreign: the folder is not empty and is not a goldpath report folder" err.txt ||
    fail "no clear message for a foreign folder: $(cat err.txt)"
[ "$(ls -A foreign)" = "notes.txt" ] || fail "the foreign folder was changed: $(ls -A foreign)"
"$goldpath" sweep "$scen" --vary clients.count=5:10:5 --seeds 1 --out foreign --quiet \
    --no-plots >out.txt 2>err.txt
rc=$?
[ $rc -eq 2 ] || fail "sweep --out into a foreign folder exited $rc, expected 2"
[ "$(ls -A foreign)" = "notes.txt" ] || fail "the sweep changed the foreign folder"

# an empty folder and a new one are fine
mkdir empty
"$goldpath" run "$scen" --clients 10 --out empty --quiet --no-plots >/dev/null 2>&1 ||
    fail "run --out into an empty folder failed"
[ -f empty/.goldpath-report ] || fail "a run folder has no .goldpath-report marker"

# 2. an earlier run's files are cleared, nothing else
"$goldpath" run "$scen" --clients 10 --out again --trace-client 3 --quiet >/dev/null 2>&1 ||
    fail "the first run into again/ failed"
[ -f again/trace-client-3.txt ] || fail "no trace-client-3.txt after --trace-client 3"
echo "keep me" > again/notes.txt
mkdir again/sub
echo "keep me too" > again/sub/summary.json
echo "not a trace" > again/trace-client-x.txt
"$goldpath" run "$scen" --clients 10 --out again --quiet --no-plots >/dev/null 2>&1 ||
    fail "the second run into again/ failed"
[ -e again/trace-client-3.txt ] && fail "the earlier run's trace-client-3.txt is still there"
[ -e again/success_rate.png ] && fail "the earlier run's plot is still there after --no-plots"
[ -f again/notes.txt ] || fail "a file goldpath did not write was removed (notes.txt)"
[ -f again/sub/summary.json ] || fail "a sub-folder's file was removed"
[ -f again/trace-client-x.txt ] || fail "trace-client-x.txt (not goldpath's name) was removed"
[ -f again/summary.json ] || fail "the second run wrote no summary.json"

# a folder of an older goldpath (summary.json, no marker) counts as a report folder
rm again/.goldpath-report
"$goldpath" run "$scen" --clients 10 --out again --quiet --no-plots >/dev/null 2>&1 ||
    fail "a folder with goldpath's summary.json and no marker was refused"
# but someone's own summary.json does not make a report folder
mkdir other
echo '{"total": 3}' > other/summary.json
"$goldpath" run "$scen" --clients 10 --out other --quiet --no-plots >/dev/null 2>&1
[ $? -eq 2 ] || fail "a folder with a summary.json goldpath did not write was taken"

# sweeps: the same ownership
"$goldpath" sweep "$scen" --vary clients.count=5:10:5 --seeds 1 --out sw --quiet --no-plots \
    >/dev/null 2>&1 || fail "the first sweep failed"
echo "keep" > sw/notes.txt
touch sw/sweep_transition_success_rate.png
"$goldpath" sweep "$scen" --vary clients.count=5:10:5 --seeds 1 --out sw --quiet --no-plots \
    >/dev/null 2>&1 || fail "a sweep into its own earlier folder failed"
[ -e sw/sweep_transition_success_rate.png ] && fail "the earlier sweep's plot is still there"
[ -f sw/notes.txt ] || fail "the sweep removed a file it did not write"

# 3. a scenario name with a path in it stays under reports/
mkdir -p jail/a/b
sed 's|"name": "golden_path"|"name": "../../../escaped/evil"|' "$scen" > jail/a/b/evil.json
(cd jail/a/b && "$goldpath" run evil.json --clients 10 --quiet --no-plots >/dev/null 2>&1) ||
    fail "the run of a scenario with a path in its name failed"
outside=$(find . -name summary.json -path '*evil*' ! -path './jail/a/b/reports/*' | head -1)
[ -z "$outside" ] || fail "a scenario name wrote outside reports/: $outside"
found=$(find jail/a/b/reports/runs -name summary.json | wc -l)
[ "$found" -eq 1 ] || fail "the run's folder is not under reports/runs/ ($found summary.json)"
(cd jail/a/b && "$goldpath" sweep evil.json --vary clients.count=5:10:5 --seeds 1 --quiet \
    --no-plots >/dev/null 2>&1) || fail "the sweep of a scenario with a path in its name failed"
outside=$(find . -name sweep.json -path '*evil*' ! -path './jail/a/b/reports/*' | head -1)
[ -z "$outside" ] || fail "a sweep's scenario name wrote outside reports/: $outside"
found=$(find jail/a/b/reports/sweeps -name sweep.json | wc -l)
[ "$found" -eq 1 ] || fail "the sweep's folder is not under reports/sweeps/"

# 4. outputs that cannot be written exit 2 and are named
echo x > a_file
"$goldpath" run "$scen" --clients 10 --out a_file --quiet >out.txt 2>err.txt
rc=$?
[ $rc -eq 2 ] || fail "--out naming a file exited $rc, expected 2"
grep -q "a_file" err.txt || fail "--out naming a file: the message does not name it"
"$goldpath" run "$scen" --clients 10 --out j --junit "$work/no/such/dir/j.xml" --quiet \
    >out.txt 2>err.txt
rc=$?
[ $rc -eq 2 ] || fail "run --junit to an unwritable path exited $rc, expected 2"
grep -q "no/such/dir/j.xml" err.txt || fail "run --junit: the message does not name the path"
"$goldpath" sweep "$scen" --vary clients.count=5:10:5 --seeds 1 --out js --no-plots --quiet \
    --junit "$work/no/such/dir/j.xml" >out.txt 2>err.txt
rc=$?
[ $rc -eq 2 ] || fail "sweep --junit to an unwritable path exited $rc, expected 2"

if [ $failed -ne 0 ]; then
    echo "report_folders: FAILED" >&2
    exit 1
fi
echo "report_folders: all checks hold"
