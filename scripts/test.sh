#!/usr/bin/env bash
# test.sh: set-up, then every test -- the README's test command and what CI
# runs.  Two builds: the ordinary one and one with AddressSanitizer and
# UndefinedBehaviorSanitizer; ctest runs the whole suite in each.
#
#   scripts/test.sh            everything
#   GP_TEST_QUICK=1 scripts/test.sh   the ordinary build only
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

gp_install_packages
cd "$GP_ROOT"
jobs=$(nproc)
status=0

echo "== build (gcc, -Wall -Wextra -Werror)"
gp_build build -DGP_WERROR=ON
echo "== ctest (ordinary build)"
ctest --test-dir build --output-on-failure -j "$jobs" || status=1

if [[ -z ${GP_TEST_QUICK:-} ]]; then
    echo "== build (address + undefined sanitizers)"
    gp_build build-asan -DGP_SANITIZE=ON -DGP_WERROR=ON
    echo "== ctest (sanitizer build)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j "$jobs" || status=1
fi

if [[ $status -ne 0 ]]; then
    echo "test.sh: FAILED" >&2
else
    echo "test.sh: all test suites passed"
fi
exit $status
