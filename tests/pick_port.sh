# tests/pick_port.sh: test ports for the shell tests.  Source it (POSIX sh,
# works under dash and bash):
#
#   . tests/pick_port.sh
#   gp_start_server DIR SERVER [ARGS...]
#
# Test ports are picked below 32768: the kernel's ephemeral range starts
# there, where TIME_WAIT sockets and outgoing connections collide with test
# servers, so no test starts a server with --port 0.
#
# gp_pick_port [N]
#     Prints a port in 20000-31999 that 127.0.0.1 can bind just now (checked
#     with bind()).  The walk starts at an offset derived from the shell's pid
#     (parallel ctest jobs start far apart) and N (0 by default: the Nth pick
#     of this shell), like free_port() in tests/server_lib.py.
# gp_start_server DIR SERVER [ARGS...]
#     Starts `SERVER --port P --ready-file DIR/port ARGS...` in the
#     background, stdout and stderr to DIR/server.log, P from gp_pick_port,
#     and waits up to 10 s for the ready file.  A server that exits 1 saying
#     "could not listen" lost P to another process between the probe and its
#     bind: it is started again on another port (5 tries in all).  Sets
#     gp_server_pid and gp_server_port and returns 0; when the server did not
#     start, returns 1 with the log's tail on stderr, nothing left running.
#     Safe under `set -e` and `set -u`.

gp_port_picks=0

gp_pick_port() {
    "${GP_PYTHON:-python3}" -c '
import socket, sys
lo, hi = 20000, 32000  # below 32768
span = hi - lo
start = (int(sys.argv[1]) * 211 + int(sys.argv[2]) * 97) % span
for k in range(span):
    port = lo + (start + k * 7) % span  # 7: a step that visits every port
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    sys.exit("gp_pick_port: no free port in %d-%d" % (lo, hi - 1))
' "$$" "${1:-0}"
}

gp_start_server() {
    gp__dir=$1
    gp__server=$2
    shift 2
    gp__try=0
    while [ "$gp__try" -lt 5 ]; do
        gp__try=$((gp__try + 1))
        gp_server_port=$(gp_pick_port "$gp_port_picks") || return 1
        gp_port_picks=$((gp_port_picks + 1))
        rm -f "$gp__dir/port"
        "$gp__server" --port "$gp_server_port" --ready-file "$gp__dir/port" "$@" \
            >"$gp__dir/server.log" 2>&1 &
        gp_server_pid=$!
        gp__wait=0
        while [ "$gp__wait" -lt 100 ]; do
            if [ -s "$gp__dir/port" ]; then
                gp_server_port=$(cat "$gp__dir/port")
                return 0
            fi
            kill -0 "$gp_server_pid" 2>/dev/null || break
            sleep 0.1
            gp__wait=$((gp__wait + 1))
        done
        if kill -0 "$gp_server_pid" 2>/dev/null; then
            kill "$gp_server_pid" 2>/dev/null || true
            wait "$gp_server_pid" 2>/dev/null || true
            gp_server_pid=
            echo "gp_start_server: $gp__server did not write $gp__dir/port within 10 s:" >&2
            tail -5 "$gp__dir/server.log" >&2
            return 1
        fi
        gp__rc=0
        wait "$gp_server_pid" || gp__rc=$?
        gp_server_pid=
        if [ "$gp__rc" -ne 1 ] || ! grep -q "could not listen" "$gp__dir/server.log"; then
            echo "gp_start_server: $gp__server exited $gp__rc before it listened:" >&2
            tail -5 "$gp__dir/server.log" >&2
            return 1
        fi
        # another process took the port between the probe and the bind
    done
    echo "gp_start_server: $gp__server lost its port 5 times:" >&2
    tail -5 "$gp__dir/server.log" >&2
    return 1
}
