/* gp_live_limits.c: the file descriptor budget of a live run.
 *
 * Every open connection is one fd here and one in the server.  The soft
 * RLIMIT_NOFILE is raised to the hard limit before anything starts (a server
 * this process starts inherits it).  When every client arrives at once and
 * they cannot all be open together, the run is refused up front: lws and the
 * server would otherwise fail deep inside with EMFILE (the 4.1.6 server even
 * spins on it).  With spread-out arrivals the budget caps how many sockets are
 * open at once; a client over the cap waits for a free one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "gp_error.h"
#include "gp_live_int.h"

int gp_live_fd_budget(const gp_scenario *sc, uint64_t *open_max, uint64_t *fd_limit,
                      char *err, size_t err_len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        snprintf(err, err_len, "cannot read the fd limit: %s", strerror(errno));
        return GP_ERR_FULL;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    uint64_t limit = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (uint64_t)rl.rlim_cur;
    if (limit > 1u << 20)
        limit = 1u << 20; /* lws sizes its fd table from this */
    if (limit <= GP_LIVE_FD_RESERVE + 1) {
        snprintf(err, err_len, "the fd limit (ulimit -n) is %llu: too low for live mode",
                 (unsigned long long)limit);
        return GP_ERR_FULL;
    }
    *fd_limit = limit;
    *open_max = limit - GP_LIVE_FD_RESERVE;
    if (sc->clients.arrival == GP_ARRIVAL_ALL_AT_ONCE && sc->clients.count > *open_max) {
        snprintf(err, err_len,
                 "%u clients arriving all at once need %u open connections, one file "
                 "descriptor each here and in the server (plus %d spare), but the fd limit "
                 "(ulimit -n, hard limit included) is %llu: raise the hard limit "
                 "(limits.conf, or ulimit -Hn as root), use fewer clients, or spread them "
                 "with clients.arrival=uniform",
                 sc->clients.count, sc->clients.count, GP_LIVE_FD_RESERVE,
                 (unsigned long long)limit);
        return GP_ERR_FULL;
    }
    return GP_OK;
}
