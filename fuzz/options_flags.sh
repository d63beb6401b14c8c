#!/usr/bin/env bash
# options_flags.sh: the libFuzzer flags a target's .options file stands for,
# as ClusterFuzz passes them, so that the local scripts fuzz with the same
# settings as OSS-Fuzz and ClusterFuzzLite (docs/fuzzing.md).
#
#   fuzz/options_flags.sh OPTIONS_FILE
#
# Prints one flag a line: -key=value for each "key = value" of the file's
# [libfuzzer] section (other sections are for other engines), the value of
# dict prefixed with the file's folder, where fuzz/build.sh puts the
# dictionary next to it.  Exit 2 when the file cannot be read.
set -euo pipefail

[[ $# -eq 1 ]] || {
    echo "usage: $0 OPTIONS_FILE" >&2
    exit 2
}
[[ -r $1 ]] || {
    echo "options_flags.sh: cannot read $1" >&2
    exit 2
}
awk -v dir="$(dirname "$1")" '
    /^[[:space:]]*\[/ { in_lf = ($0 ~ /^[[:space:]]*\[libfuzzer\][[:space:]]*$/); next }
    in_lf && /^[^#;]*=/ {
        key = $0; sub(/=.*/, "", key); gsub(/[[:space:]]/, "", key)
        val = $0; sub(/^[^=]*=/, "", val); gsub(/^[[:space:]]+|[[:space:]]+$/, "", val)
        if (key == "dict") val = dir "/" val
        print "-" key "=" val
    }' "$1"
