/* gp_judge.h: the independent lifecycle judge.
 *
 * It is told of every lifecycle step the server attempts and of every
 * machine the server registers or drops (simulation: an observer installed
 * in the core's environment; live: the server's log lines), and judges them
 * with its own table of legal steps, written apart from the core's
 * (gp_lifecycle.c).  Per connection it keeps a model of the machine's state,
 * so that it also sees what no counter would: a step from a state the
 * machine was never seen to reach, an illegal step applied, a machine
 * dropped mid-handshake and recreated, a connection held short of ready past
 * the stuck threshold, connection_ready sent while the machine was not
 * PROCESSING_READY.  Its own counts are what the server's figures must equal
 * (health_disagrees). */
#ifndef GP_JUDGE_H
#define GP_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_env.h"
#include "gp_lifecycle.h"

/* Per-connection findings (bits of gp_judge_conn.flags). */
enum {
    GP_JF_SEEN = 1u << 0,         /* observed at all */
    GP_JF_ILLEGAL = 1u << 1,      /* an illegal step was attempted */
    GP_JF_INCONSISTENT = 1u << 2, /* a step from a state the model was not in, an
                                     illegal step applied, a legal one refused, a
                                     machine dropped while its connection lived */
    GP_JF_MISMATCH = 1u << 3,     /* more than one machine, or another id */
    GP_JF_STUCK = 1u << 4,        /* held short of ready past the threshold */
    GP_JF_FALSE_READY = 1u << 5,  /* connection_ready while not PROCESSING_READY */
    GP_JF_SERVER_CLOSED = 1u << 6, /* the server closed it (simulation: its wire) */
    GP_JF_AFTER_CLOSE = 1u << 7,  /* a message sent after the close, or a second close */
};

typedef struct gp_judge_conn {
    uint64_t entered_ms; /* when the model state was entered (server clock) */
    uint64_t id_hash;    /* the current machine's id (FNV-1a), 0: none */
    uint8_t state;       /* model state; GP_STATE_COUNT: no machine */
    uint8_t machines;    /* machines registered for this connection */
    uint8_t flags;       /* GP_JF_* */
    uint8_t stuck;       /* 0 no, 1 exactly on the threshold's edge, 2 past it */
    uint8_t stuck_state; /* the state it was held in, when stuck */
} gp_judge_conn;

typedef struct gp_judge {
    uint32_t n;            /* connections (clients) */
    gp_judge_conn *conns;
    /* Connections the observations name but no client can be linked to (a
     * proxy in between hides the clients' ports): judged all the same, as
     * connections n, n+1, ... */
    gp_judge_conn *extra;
    uint32_t extra_len, extra_cap;
    uint32_t stuck_after_ms;
    /* id hash -> connection, for observations that name only an id (log
     * lines); open addressing, grown as needed */
    uint64_t *map_keys;
    uint32_t *map_vals;
    size_t map_cap, map_len;
    /* counts, from the observations */
    uint64_t attempted, applied, refused, illegal;
    uint64_t pair_attempted[GP_STATE_COUNT][GP_STATE_COUNT];
    uint64_t pair_refused[GP_STATE_COUNT][GP_STATE_COUNT];
    uint64_t registered, unregistered, live_machines;
    uint64_t by_state[GP_STATE_COUNT]; /* live machines per model state */
    uint64_t opened;        /* connections whose first machine was registered */
    uint64_t mismatched;    /* connections with more than one machine */
    uint64_t stuck_certain, stuck_edge;
    uint64_t ready_sent;    /* connection_ready observed leaving the server */
    uint64_t unattributed;  /* observations judged on a connection of no known client */
    uint64_t first_ms;      /* server clock of the first observation (0: none) */
} gp_judge;

/* The judge's own table: true when from -> to is a legal step.  Written
 * from PROTOCOL.md and DESIGN.md, independently of gp_transition_is_legal. */
bool gp_judge_step_is_legal(int from, int to);

/* Sets up a judge for n connections.  Returns GP_OK or GP_ERR_NOMEM. */
int gp_judge_init(gp_judge *j, uint32_t n, uint32_t stuck_after_ms);
void gp_judge_free(gp_judge *j);

/* Links machine id `id` to connection `conn` (for observations that name only
 * the id).  Returns GP_OK or GP_ERR_NOMEM. */
int gp_judge_link(gp_judge *j, const char *id, uint32_t conn);
/* The connection of `id`, or UINT32_MAX. */
uint32_t gp_judge_conn_of(const gp_judge *j, const char *id);

/* One observation of connection `conn` (UINT32_MAX: not known; counted and
 * attributed through the id when linked).  o->at_ms is the server's clock. */
void gp_judge_observe(gp_judge *j, uint32_t conn, const gp_observation *o);

/* connection_ready left the server for `conn` at at_ms. */
void gp_judge_ready_sent(gp_judge *j, uint32_t conn, uint64_t at_ms);

/* The run is over at at_ms: machines still live are judged for being stuck. */
/* Connections the model holds short of ready (and not over) for longer
 * than the threshold at time t: what the server's stuck gauge must say. */
uint64_t gp_judge_stuck_now(const gp_judge *j, uint64_t t);

void gp_judge_finish(gp_judge *j, uint64_t at_ms);

/* The model state of `conn` (GP_STATE_COUNT: none). */
gp_state gp_judge_state(const gp_judge *j, uint32_t conn);

/* Connection `conn` (a client's, or an extra one), or NULL. */
const gp_judge_conn *gp_judge_conn_at(const gp_judge *j, uint32_t conn);

#endif
