/* gp_sim.h: the deterministic simulator.
 *
 * Single-threaded discrete-event simulation: a virtual clock, one event queue
 * ordered by (time, sequence), one seeded generator (gp_rng, xoshiro256**)
 * split into streams, and a simulated network that carries whole messages
 * between the virtual clients and the unchanged core with per-message
 * latency, loss (as retransmission), duplication and reordering.  The core
 * runs inside it through its environment struct.  Nothing here reads the
 * wall clock or calls rand(): the same scenario and seed give the same run,
 * byte for byte. */
#ifndef GP_SIM_H
#define GP_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "gp_run.h"

typedef struct gp_sim_options {
    /* Client whose every event, both sides, goes to trace(); UINT32_MAX: none. */
    uint32_t trace_client;
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    /* Called now and then with clients finished and total (may be NULL). */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* When set, every choice of the simulated network (latencies, drops,
     * duplicates, reorders, hence the order in which ready events run) and
     * every draw of the core's random source (agent timings and failures)
     * comes from choose() instead of the seeded generator.  fuzz_schedule
     * drives the schedule with its input bytes this way. */
    uint64_t (*choose)(void *ctx);
    void *choose_ctx;
    /* The core's log lines at server_log_level and up go to server_log (NULL:
     * nowhere, and server_log_level does not matter), in goldpath-server's
     * format on the virtual clock; the log oracle reads every WARNING and
     * ERROR line either way. */
    FILE *server_log;
    gp_log_level server_log_level;
    /* When set and non-zero (a signal handler sets it), the run stops at the
     * next event and is concluded as it stands (run->interrupted). */
    const volatile sig_atomic_t *interrupt;
    /* How events due at the same virtual millisecond are ordered:
     * GP_SIM_ORDER_SEQUENTIAL (the order they were scheduled in: today's
     * runs, and `goldpath explore --strategy random`), or GP_SIM_ORDER_PCT:
     * probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010).
     * Each activity -- a client, the server's own work for a connection, each
     * direction of its network link -- gets a random priority from the
     * seed; of the events due together, the highest priority activity's
     * oldest runs; at pct_depth - 1 random steps the activity that runs
     * drops below every other.  A bug that needs d ordering constraints is
     * then found with probability at least 1 / (n k^(d-1)) per run. */
    int order;
    uint32_t pct_depth;
} gp_sim_options;

enum { GP_SIM_ORDER_SEQUENTIAL = 0, GP_SIM_ORDER_PCT = 1 };

/* The Unix time (ms) of virtual time 0: fixed, so tokens and ids repeat. */
#define GP_SIM_EPOCH_MS 1757498281000ULL

/* Runs run->sc in simulation, filling `run` (clients, facts, the judge's
 * observations, ledger, timeline, the server's figures; then the checks of
 * gp_checks_judge).  `run` must come from gp_run_init.
 * Returns GP_OK, or a negative gp_err with a sentence in err (out of memory,
 * the core refusing the server settings). */
int gp_sim_run(gp_run *run, const gp_sim_options *opt, char *err,
               size_t err_len);

#endif
