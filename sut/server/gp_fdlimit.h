/* gp_fdlimit.h: does --max-connections fit the process's file-descriptor
 * limit?
 *
 * Out of fds, libwebsockets 4.1.6 spins logging `accept: errno 24`
 * (TOOLCHAIN.md) instead of refusing connections, so goldpath-server checks
 * at start: it raises the soft RLIMIT_NOFILE to the hard limit, and refuses
 * to run when the planned connections plus a margin do not fit.  The margin
 * covers fds the process holds anyway (stdio, listen socket, event loop,
 * cancel pipe) and short-lived sockets that are not WebSocket connections
 * (/health and /metrics requests, upgrades being refused). */
#ifndef GP_FDLIMIT_H
#define GP_FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* fds kept back from --max-connections: process overhead + HTTP slack. */
#define GP_FDLIMIT_MARGIN 96u

typedef struct gp_fdlimit {
    uint64_t soft_before; /* soft limit found at start */
    uint64_t soft;        /* soft limit after trying to raise it */
    uint64_t hard;
} gp_fdlimit;

/* Raises the soft RLIMIT_NOFILE as far as the hard limit allows (never above
 * what a process may hold: nr_open caps it) and reports the limits.
 * Returns false only when getrlimit itself fails. */
bool gp_fdlimit_raise(gp_fdlimit *out);

/* Decides max_connections against `lim`, each connection taking
 * fds_per_connection fds (1 on plain TCP; 3 over TLS: the socket and the
 * socketpair it is handed over through).  When `given` is true the value
 * must fit (max * fds_per_connection + GP_FDLIMIT_MARGIN <= soft); when false
 * it is lowered to fit (but at least 1 must).  Returns true and sets
 * *max_connections, or false with a sentence for a person in msg (what is
 * needed, what the limit is, and what to do). */
bool gp_fdlimit_fit(const gp_fdlimit *lim, bool given, unsigned fds_per_connection,
                    uint32_t *max_connections, char *msg, size_t msg_len);

/* The highest fd number a new connection may have before it is refused at
 * accept (so that accept never meets EMFILE): soft - margin/2. */
uint64_t gp_fdlimit_accept_guard(const gp_fdlimit *lim);

#endif
