/* gp_fdlimit.c: the start-up fd-limit check.  See gp_fdlimit.h. */
#include "gp_fdlimit.h"

#include <stdio.h>
#include <sys/resource.h>

bool gp_fdlimit_raise(gp_fdlimit *out)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    out->soft_before = rl.rlim_cur;
    out->hard = rl.rlim_max;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        /* An "unlimited" hard limit cannot be the soft one (nr_open caps
         * it): try a large finite value instead. */
        if (want.rlim_cur == RLIM_INFINITY)
            want.rlim_cur = 1048576;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = want.rlim_cur;
    }
    out->soft = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : rl.rlim_cur;
    return true;
}

bool gp_fdlimit_fit(const gp_fdlimit *lim, bool given, unsigned fds_per_connection,
                    uint32_t *max_connections, char *msg, size_t msg_len)
{
    uint64_t per = fds_per_connection ? fds_per_connection : 1;
    uint64_t room = lim->soft > GP_FDLIMIT_MARGIN ? (lim->soft - GP_FDLIMIT_MARGIN) / per : 0;
    if ((uint64_t)*max_connections <= room)
        return true;
    if (!given && room >= 1) {
        *max_connections = (uint32_t)room;
        return true;
    }
    char each[64] = "";
    if (per > 1)
        snprintf(each, sizeof(each), " x %llu fds each over TLS", (unsigned long long)per);
    if (given)
        snprintf(msg, msg_len,
                 "--max-connections %u does not fit the file-descriptor limit: it needs "
                 "%llu fds (%u connections%s + %u for the server itself) but the limit is "
                 "%llu (soft, hard %llu). Lower --max-connections to at most %llu, or "
                 "raise the limit (ulimit -n, or LimitNOFILE= for a systemd unit).",
                 *max_connections,
                 (unsigned long long)*max_connections * per + GP_FDLIMIT_MARGIN,
                 *max_connections, each, GP_FDLIMIT_MARGIN, (unsigned long long)lim->soft,
                 (unsigned long long)lim->hard, (unsigned long long)room);
    else
        snprintf(msg, msg_len,
                 "the file-descriptor limit (%llu, hard %llu) leaves no room for "
                 "connections: the server needs %u fds for itself. Raise the limit "
                 "(ulimit -n).",
                 (unsigned long long)lim->soft, (unsigned long long)lim->hard,
                 GP_FDLIMIT_MARGIN);
    return false;
}

uint64_t gp_fdlimit_accept_guard(const gp_fdlimit *lim)
{
    return lim->soft > GP_FDLIMIT_MARGIN / 2 ? lim->soft - GP_FDLIMIT_MARGIN / 2 : 0;
}
