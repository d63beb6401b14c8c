#!/usr/bin/env bash
# setup.sh: installs the Debian packages goldpath needs when they are missing
# (as root, with apt-get), then configures and builds one build tree.
#
#   scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
#
# Sourced by quickstart.sh and test.sh; safe to run again (it skips what is
# there).  Not root and packages missing: it says which and how to install them.
set -euo pipefail

GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# package : a file that proves it is installed
GP_PACKAGES=(
  "cmake:/usr/bin/cmake"
  "gcc:/usr/bin/gcc"
  "make:/usr/bin/make"
  "pkg-config:/usr/bin/pkg-config"
  "libwebsockets-dev:/usr/include/libwebsockets.h"
  "libcmocka-dev:/usr/include/cmocka.h"
  "libjansson-dev:/usr/include/jansson.h"
  "libssl-dev:/usr/include/openssl/hmac.h"
  "gnuplot-nox:/usr/bin/gnuplot"
  "python3:/usr/bin/python3"
  "python3-websockets:/usr/lib/python3/dist-packages/websockets/__init__.py"
  "binutils:/usr/bin/nm"
  "help2man:/usr/bin/help2man"
  "man-db:/usr/bin/man"
  "openssl:/usr/bin/openssl"
  "prometheus:/usr/bin/promtool"
  "libxml2-utils:/usr/bin/xmllint"
  "parallel:/usr/bin/parallel"
  "clang:/usr/bin/clang"
  "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
  "zip:/usr/bin/zip"
)

gp_missing_packages() {
    local entry pkg file missing=()
    for entry in "${GP_PACKAGES[@]}" "$@"; do
        pkg=${entry%%:*}
        file=${entry#*:}
        [[ -e $file ]] || missing+=("$pkg")
    done
    echo "${missing[@]:-}"
}

# gp_install_packages [extra pkg:file ...]
gp_install_packages() {
    local missing
    missing=$(gp_missing_packages "$@")
    [[ -z $missing ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "goldpath: missing Debian packages: $missing" >&2
        echo "goldpath: install them with: sudo apt-get install -y --no-install-recommends $missing" >&2
        return 1
    fi
    echo "goldpath: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# gp_build BUILD_DIR [cmake args...]: configure (once) and build.
gp_build() {
    local dir=$1
    shift
    cmake -S "$GP_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" -- --no-print-directory
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    gp_install_packages
    gp_build "${1:-$GP_ROOT/build}" "${@:2}"
fi
