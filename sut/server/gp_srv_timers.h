/* gp_srv_timers.h: goldpath-server's timers, with cancellation.
 *
 * The core never cancels a timer (gp_env.h): a timer of a connection that
 * has gone fires later and is ignored.  In a long-running server that
 * means a closed connection's auth, stuck and agent timers stay queued
 * until they are due -- with a long --auth-timeout-ms, about 1 MiB per 20k
 * connections churned.  So the driver keeps the core's timers here, where
 * a connection's timers can be dropped the moment it closes:
 *
 *   - a pool of timer slots (indices stay put; freed slots are reused),
 *   - a binary min-heap of slot indices by (due, start order), each slot
 *     knowing its heap position so it can be removed from the middle,
 *   - a hash map from connection handle to the chain of its slots.
 *
 * Memory follows the number of timers pending at once, never the number of
 * connections that came and went.  Pure: no lws, no clock. */
#ifndef GP_SRV_TIMERS_H
#define GP_SRV_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gp_srv_timer {
    uint64_t at_ms; /* due time, monotonic ms */
    uint64_t seq;   /* start order: ties at the same ms keep it */
    uint64_t conn;  /* connection handle, 0 for server timers */
    uint32_t kind;  /* gp_timer_kind */
    uint32_t arg;
} gp_srv_timer;

typedef struct gp_srv_timer_slot gp_srv_timer_slot;
typedef struct gp_srv_timer_conn gp_srv_timer_conn;

typedef struct gp_srv_timers {
    gp_srv_timer_slot *slots;
    uint32_t slots_cap;
    uint32_t free_head;     /* chain of free slots */
    uint32_t *heap;         /* slot indices */
    uint32_t len, heap_cap; /* timers pending */
    gp_srv_timer_conn *map; /* open addressing, linear probing */
    uint32_t map_cap, map_len;
    uint64_t next_seq;
} gp_srv_timers;

void gp_srv_timers_init(gp_srv_timers *t);
void gp_srv_timers_free(gp_srv_timers *t);

/* Queues a timer due at at_ms for conn (0: none).  Returns 0, or
 * GP_ERR_NOMEM with nothing queued. */
int gp_srv_timers_add(gp_srv_timers *t, uint64_t at_ms, uint64_t conn,
                      uint32_t kind, uint32_t arg);

/* Removes the earliest timer into *out when it is due at or before now_ms;
 * false (nothing removed) otherwise. */
bool gp_srv_timers_pop_due(gp_srv_timers *t, uint64_t now_ms, gp_srv_timer *out);

/* The due time of the earliest timer; false when none is pending. */
bool gp_srv_timers_next_ms(const gp_srv_timers *t, uint64_t *at_ms);

/* Drops every timer of conn.  Returns how many were dropped. */
size_t gp_srv_timers_cancel_conn(gp_srv_timers *t, uint64_t conn);

/* Timers pending. */
static inline size_t gp_srv_timers_count(const gp_srv_timers *t)
{
    return t->len;
}

/* Connections with at least one timer pending. */
static inline size_t gp_srv_timers_conns(const gp_srv_timers *t)
{
    return t->map_len;
}

/* Bytes the structure holds (its three arrays), for /metrics and tests. */
size_t gp_srv_timers_bytes(const gp_srv_timers *t);

#endif
