#!/usr/bin/env bash
# check_core_symbols.sh: proves that the sans-I/O core references no socket,
# libwebsockets, wall-clock, libc-RNG, environment, printing or thread symbol.
#
#   check_core_symbols.sh LIBRARY.a     check the core library
#   check_core_symbols.sh --self-test   prove the check catches a bad object
#
# It lists the undefined symbols of every object in the archive (nm -u) and
# fails, naming the object and the symbol, when one is on the forbidden list.
set -euo pipefail

forbidden='^(socket|socketpair|connect|bind|listen|accept|accept4|send|sendto|sendmsg|recv|recvfrom|recvmsg|poll|ppoll|select|pselect|epoll_[a-z_]+|getaddrinfo|gethostbyname|lws_[A-Za-z0-9_]+|time|gettimeofday|clock_gettime|clock|ftime|timespec_get|rand|srand|random|srandom|rand_r|drand48|erand48|lrand48|getrandom|arc4random|getenv|secure_getenv|printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|fputc|fwrite|perror|fopen|open|pthread_[a-z_]+|thrd_[a-z_]+|sleep|usleep|nanosleep)(@.*)?$'

check() {
    local lib=$1 bad
    [[ -f $lib ]] || { echo "check_core_symbols: no such file: $lib" >&2; return 2; }
    bad=$(nm -u -A "$lib" 2>/dev/null | awk '{print $1, $NF}' |
          while read -r where sym; do
              if [[ $sym =~ $forbidden ]]; then echo "  $where references $sym"; fi
          done)
    if [[ -n $bad ]]; then
        echo "check_core_symbols: FAILED: the core must do no I/O and read no clock:" >&2
        echo "$bad" >&2
        return 1
    fi
    local n
    n=$(nm -u "$lib" | grep -c ' U ' || true)
    echo "check_core_symbols: $lib is pure ($n undefined symbols, none forbidden)"
}

if [[ ${1:-} == --self-test ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    printf '#include <time.h>\n#include <stdlib.h>\nlong f(void){return (long)time(NULL)+rand();}\n' > "$tmp/bad.c"
    printf 'int g(int x){return x+1;}\n' > "$tmp/good.c"
    cc -c "$tmp/bad.c" -o "$tmp/bad.o" && ar rcs "$tmp/libbad.a" "$tmp/bad.o"
    cc -c "$tmp/good.c" -o "$tmp/good.o" && ar rcs "$tmp/libgood.a" "$tmp/good.o"
    if check "$tmp/libbad.a" 2>/dev/null; then
        echo "check_core_symbols: self-test FAILED: time()/rand() went unnoticed" >&2
        exit 1
    fi
    check "$tmp/libgood.a" >/dev/null || { echo "self-test FAILED: a clean object was refused" >&2; exit 1; }
    echo "check_core_symbols: self-test passed (time and rand detected, clean object accepted)"
    exit 0
fi

[[ $# -eq 1 ]] || { echo "usage: check_core_symbols.sh LIBRARY.a | --self-test" >&2; exit 2; }
check "$1"
