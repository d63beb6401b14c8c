/* gp_timer_heap.h: the core's timers, as a binary min-heap.
 *
 * The core starts many timers (an auth and a stuck check per connection, one
 * per agent step) and never cancels them.  Rather than one lws_sul per timer,
 * goldpath-server keeps them here, ordered by due time (monotonic ms) and then
 * by a sequence number so that timers due at the same millisecond fire in
 * the order they were started, and drives the heap with ONE lws_sul
 * scheduled for the earliest entry.  Pure: no clock, no lws. */
#ifndef GP_TIMER_HEAP_H
#define GP_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_env.h"

typedef struct gp_timer_entry {
    uint64_t due_ms; /* monotonic */
    uint64_t seq;    /* start order, breaks ties */
    uint64_t conn;   /* gp_conn_handle, 0 for server-wide timers */
    uint32_t arg;
    gp_timer_kind kind;
} gp_timer_entry;

typedef struct gp_timer_heap {
    gp_timer_entry *items;
    size_t len, cap;
    uint64_t next_seq;
} gp_timer_heap;

/* An empty heap (no allocation until the first push). */
void gp_timer_heap_init(gp_timer_heap *h);

/* Frees the storage; the heap is empty and reusable afterwards. */
void gp_timer_heap_free(gp_timer_heap *h);

/* Adds a timer due at due_ms.  Returns false (heap unchanged) when out of
 * memory. */
bool gp_timer_heap_push(gp_timer_heap *h, uint64_t due_ms, uint64_t conn,
                        gp_timer_kind kind, uint32_t arg);

/* The earliest entry, or NULL when empty.  Valid until the next push/pop. */
const gp_timer_entry *gp_timer_heap_peek(const gp_timer_heap *h);

/* Removes the earliest entry into *out if it is due at or before now_ms.
 * Returns false (nothing removed) when the heap is empty or nothing is due. */
bool gp_timer_heap_pop_due(gp_timer_heap *h, uint64_t now_ms, gp_timer_entry *out);

#endif
