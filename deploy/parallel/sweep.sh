#!/bin/sh
# sweep.sh: a goldpath sweep split into N shards that GNU parallel runs --
# on this machine, or over several hosts through ssh -- merged into one
# sweep folder, byte for byte the one `goldpath sweep` writes in one process.
#
#   deploy/parallel/sweep.sh N OUT SCENARIO.json --vary FIELD=FROM:TO:STEP [sweep options]
#
# Shard k writes OUT.shards/k (goldpath sweep ... --shard k/N), then
# `goldpath merge OUT OUT.shards/0 ... OUT.shards/N-1` writes OUT.
#
# On this machine (the default): at most GP_PARALLEL_JOBS shards at once
# (default: the number of cores), each with --jobs GP_SHARD_JOBS (default 1).
#
# Over hosts: GP_SSHLOGIN is GNU parallel's --sshlogin, e.g.
#   GP_SSHLOGIN='1/:,1/alice@host1,1/alice@host2' deploy/parallel/sweep.sh 6 out ...
# runs one shard at a time on this machine (":") and on each host, each
# shard with every core of its host (--jobs GP_SHARD_JOBS, default the
# host's cores).  Every host needs goldpath on its PATH (the Containerfile's
# image, or the Debian install) and the scenario at the same path relative
# to the remote home folder (or give an absolute one: the image keeps the
# shipped scenarios in /usr/local/share/doc/goldpath/examples/scenarios);
# GP_PARALLEL_ARGS adds options to parallel, e.g. "--basefile my.json" to
# copy a scenario to every host first.  OUT must then be a relative path:
# each shard's folder comes back with --return and leaves the host with
# --cleanup.
#
# GOLDPATH names the goldpath program (default: goldpath on PATH).
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 N OUT SCENARIO.json --vary FIELD=FROM:TO:STEP [sweep options]" >&2
    exit 2
fi
n=$1
out=$2
shift 2
case $n in
    '' | *[!0-9]* | 0) echo "$0: N must be a whole number of shards, 1 or more" >&2; exit 2 ;;
esac
goldpath=${GOLDPATH:-goldpath}
shards=$out.shards
mkdir -p "$shards"
last=$((n - 1))

if [ -z "${GP_SSHLOGIN:-}" ]; then
    # shellcheck disable=SC2086
    parallel --will-cite --quote --halt now,fail=1 -j "${GP_PARALLEL_JOBS:-$(nproc)}" \
        ${GP_PARALLEL_ARGS:-} \
        "$goldpath" sweep "$@" --quiet --jobs "${GP_SHARD_JOBS:-1}" \
        --shard "{}/$n" --out "$shards/{}" ::: $(seq 0 "$last")
else
    case $out in
        /*) echo "$0: with GP_SSHLOGIN, OUT must be a relative path (--return)" >&2; exit 2 ;;
    esac
    jobs_option=
    [ -n "${GP_SHARD_JOBS:-}" ] && jobs_option="--jobs $GP_SHARD_JOBS"
    # shellcheck disable=SC2086
    parallel --will-cite --quote --halt now,fail=1 --sshlogin "$GP_SSHLOGIN" \
        --return "$shards/{}" --cleanup ${GP_PARALLEL_ARGS:-} \
        "$goldpath" sweep "$@" --quiet $jobs_option \
        --shard "{}/$n" --out "$shards/{}" ::: $(seq 0 "$last")
fi

# the shards' folders, in order
set --
k=0
while [ "$k" -le "$last" ]; do
    set -- "$@" "$shards/$k"
    k=$((k + 1))
done
"$goldpath" merge "$out" "$@"
