/* gp_sim_int.h: the simulator's internals, shared by its files: gp_sim.c
 * (events and the run), gp_sim_net.c (the simulated network) and
 * gp_sim_env.c (the core's environment, its allocator and log, and the
 * clients' I/O).  Not for drivers: the interface is gp_sim.h. */
#ifndef GP_SIM_INT_H
#define GP_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_drive.h"
#include "gp_eventq.h"
#include "gp_sim.h"

enum ev_kind {
    EV_CLIENT_START = 0, /* the client begins to connect */
    EV_SERVER_OPEN,      /* the connection reaches the server; ptr: bearer or NULL */
    EV_SERVER_ACCEPT,    /* the server's accept completes */
    EV_CLIENT_OPEN,      /* the client sees the socket open; ptr: opened id */
    EV_TO_SERVER,        /* ptr: sim_msg */
    EV_TO_CLIENT,        /* ptr: sim_msg */
    EV_SERVER_CLOSED,    /* the server learns the transport is gone */
    EV_CLIENT_CLOSED,    /* the client learns it; a: close code */
    EV_SERVER_TIMER,     /* a: handle, ptr: (kind << 32 | arg) */
    EV_CLIENT_TIMER,     /* a: (kind << 32 | arg) */
    EV_SAMPLE,           /* a timeline bucket ends */
    EV_FAULTS_END,       /* faults.until_ms: no fault from now on */
};

/* gp_sim_carry's tag bit and sim_msg's flag: a binary frame */
#define SIM_MSG_BINARY (1u << 16)

typedef struct sim_msg {
    size_t len;
    unsigned flags; /* GP_VC_DELIVERY_* (a network copy), SIM_MSG_BINARY */
    char data[];
} sim_msg;

/* Per-client transport state. */
typedef struct sim_link {
    gp_conn_handle h;
    uint64_t last_to_server, last_to_client; /* last delivery time per direction */
    uint64_t key_to_server, key_to_client;   /* reorder keys of those messages */
    uint64_t floor_to_server, floor_to_client; /* a reordered message lands at or after this */
    bool open_sent;       /* EV_SERVER_OPEN scheduled */
    bool server_open;     /* on_open done */
    bool accepted;        /* accept completed (or scheduled) */
    bool accept_deferred; /* accept_race: waiting for the first message */
    bool server_closing;  /* env->close called or close scheduled */
    bool server_closed;   /* EV_SERVER_CLOSED scheduled */
    bool client_closed;   /* the client closed or saw the close */
    bool reset;
    /* The link's own streams, from the seed and the client's index in the
     * whole scenario: its network's draws and the core's draws made for its
     * connection.  Removing a client leaves every other client's draws as
     * they were (goldpath shrink). */
    gp_rng net_rng, core_rng;
} sim_link;

/* The core's allocator: counts what the core holds (gp_mem_figures). */
typedef struct sim_alloc {
    gp_allocator a;
    uint64_t count, bytes, peak_count, peak_bytes;
} sim_alloc;

typedef struct gp_sim {
    gp_run *run;
    const gp_scenario *sc;
    const gp_sim_options *opt;
    gp_eventq q;
    uint64_t now;
    gp_rng net_rng, core_rng;
    gp_env env;
    sim_alloc alloc;
    gp_server *srv;
    gp_vc_shared sh;
    gp_jwt_key *wrong_key;
    sim_link *links;
    uint64_t open_links;  /* connections the server has and has not seen closed */
    uint32_t current;     /* the client whose connection the core is serving, or UINT32_MAX */
    bool faults_over;     /* faults.until_ms has passed */
    /* PCT (gp_sim_options.order) */
    gp_rng pct_rng;
    uint64_t pct_steps;            /* events dispatched */
    uint64_t pct_change[16];       /* the steps at which the running activity drops */
    uint64_t pct_low[16][2];       /* activities dropped: (activity + 1, priority) */
    uint32_t pct_changes, pct_dropped;
    gp_event pct_ties[256];
    uint64_t prev_attempted, prev_applied;
    bool nomem;
} gp_sim;

/* gp_sim.c */
void gp_sim_push(gp_sim *s, uint64_t at, enum ev_kind kind, uint32_t client,
                 uint64_t a, void *ptr);
void gp_sim_tracef(gp_sim *s, uint32_t client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* gp_sim_health.c: the server's figures against the observed ones, and
 * its /health and /metrics pages read back (every bucket of runs up to 50,000
 * clients, and at the end). */
void gp_sim_check_figures(gp_sim *s, bool at_end);

/* gp_sim_net.c */
/* One network latency draw for client i's link, from the scenario's
 * distribution. */
uint64_t gp_sim_latency(gp_sim *s, uint32_t i);
/* Carries len bytes between the two sides of client i's connection, with
 * the scenario's loss, duplication and reordering, recording each as a fact.
 * tag: the client's GP_VC_TAG_* of a message to the server. */
void gp_sim_carry(gp_sim *s, uint32_t i, bool to_server, const char *data,
                  size_t len, unsigned tag);

/* gp_sim_env.c */
/* Fills s->env (the core's environment and allocator) and s->sh.io (the
 * clients' I/O). */
void gp_sim_env_init(gp_sim *s);
/* Client index of a transport the simulator handed the core. */
uint32_t gp_sim_client_of(const void *transport);

#endif
