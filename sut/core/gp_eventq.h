/* gp_eventq.h: the one priority queue of goldpath -- the simulator's events,
 * the server's and the live driver's timers.  A 4-ary min-heap ordered by
 * (time, sequence number).  The sequence number is assigned at push, so two
 * events due at the same virtual millisecond run in the order they were
 * scheduled: ties never depend on pointers or on the heap's layout. */
#ifndef GP_EVENTQ_H
#define GP_EVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gp_event {
    uint64_t at_ms;
    uint64_t seq;
    uint32_t kind;
    uint32_t client; /* client index, or a 32-bit argument (timers) */
    uint64_t a;      /* kind-specific (a connection handle for server timers) */
    void *ptr;       /* kind-specific, owned by the event until popped */
} gp_event;

typedef struct gp_eventq {
    gp_event *heap;
    size_t len, cap; /* len: events in the heap (the backlog not counted) */
    uint64_t next_seq;
    gp_event *backlog; /* gp_eventq_push_many's, sorted; taken from backlog_pos */
    size_t backlog_len, backlog_pos;
} gp_eventq;

void gp_eventq_init(gp_eventq *q);
/* Frees the heap (not what ptr fields point at: pop and free them first). */
void gp_eventq_free(gp_eventq *q);
/* Adds ev (its seq is assigned here).  Returns GP_OK or GP_ERR_NOMEM. */
int gp_eventq_push(gp_eventq *q, gp_event ev);
/* Puts back an event popped from q, with the seq it had (its place among
 * events of the same time is kept).  Returns GP_OK or GP_ERR_NOMEM. */
int gp_eventq_push_keep(gp_eventq *q, gp_event ev);
/* Adds n events as n calls of gp_eventq_push in array order would (the same
 * seqs, so the same order of pops), but sorted once into a backlog beside
 * the heap: the heap stays as small as the events pushed one by one, which
 * makes every pop cheaper when n is large (a run's arrivals).  Events still
 * waiting from an earlier call are merged in.  Returns GP_OK or
 * GP_ERR_NOMEM (nothing added). */
int gp_eventq_push_many(gp_eventq *q, const gp_event *evs, size_t n);
/* Removes the earliest event into *out; false when empty. */
bool gp_eventq_pop(gp_eventq *q, gp_event *out);
/* Removes the earliest event into *out when it is due at or before now_ms;
 * false (nothing removed) when the queue is empty or nothing is due. */
bool gp_eventq_pop_due(gp_eventq *q, uint64_t now_ms, gp_event *out);
/* The earliest event without removing it, or NULL. */
const gp_event *gp_eventq_peek(const gp_eventq *q);

#endif
