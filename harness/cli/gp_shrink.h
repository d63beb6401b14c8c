/* gp_shrink.h: from a failing simulated run to a minimal one (goldpath
 * shrink, and goldpath explore for each distinct failure).
 *
 * The property kept is "target is violated": a check of the table
 * (missing_agent_events, ...) or an expectation (log.incident.never_ready,
 * latency.ready_ms.p99) found violated, whatever the scenario expects.
 * Reduction, deterministic, repeated until nothing more goes:
 *   1. the clients, by delta debugging (Zeller's ddmin) over the set of the
 *      scenario's client indices -- each client keeps its own draws
 *      (gp_run_init_subset), so a subset is the story of those clients;
 *   2. the scenario's dials, one at a time, each kept only when the target
 *      still fails: one request per client, each fault class off, the
 *      network's losses, duplicates and reorders off, a fixed latency, the
 *      agent's and the accept's timings collapsed, all clients at once, one
 *      way of authenticating, no shared users, each bug off, the run's time
 *      limit cut to just after the failure.
 * Same input, same minimal scenario, as long as it finishes within the time
 * given. */
#ifndef GP_SHRINK_H
#define GP_SHRINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_run.h"
#include "gp_scenario.h"

#define GP_SHRINK_LOG_MAX 4096

typedef struct gp_shrink_opts {
    double time_s;          /* give up (keeping the best so far) after this long; 0: 60 */
    int order;              /* gp_sim_options.order of every run */
    uint32_t pct_depth;
    /* called after each run: runs so far, clients left */
    void (*progress)(void *ctx, uint32_t runs, uint32_t clients);
    void *progress_ctx;
} gp_shrink_opts;

typedef struct gp_shrink_result {
    gp_scenario minimal;      /* clients.only names the clients kept */
    uint32_t clients_before, clients_after;
    uint32_t runs;            /* simulated runs made */
    double seconds;
    bool timed_out;           /* stopped at time_s: smaller may exist */
    char log[GP_SHRINK_LOG_MAX]; /* what was removed, one line each */
} gp_shrink_result;

/* True when `target` names a check or an expectation a run can have. */
bool gp_shrink_target_known(const char *target);

/* Runs sc (all its clients) and names the target to keep: the first check
 * of the table that failed, else the first expectation that failed, else the
 * first check found violated though expected (a bug scenario's).  GP_OK, or
 * GP_ERR_NOT_FOUND when nothing fails. */
int gp_shrink_pick_target(const gp_scenario *sc, const gp_shrink_opts *o, char *target,
                          size_t target_len, char *err, size_t err_len);

/* Shrinks sc keeping `target` violated.  GP_OK (r filled), GP_ERR_NOT_FOUND
 * when sc does not violate it to begin with, GP_ERR_NOMEM. */
int gp_shrink(const gp_scenario *sc, const char *target, const gp_shrink_opts *o,
              gp_shrink_result *r, char *err, size_t err_len);

/* Writes a shrink's folder (gp_cli_shrink.c): dir claimed, minimal.json
 * (named and described from src and input, expected violations cleared),
 * replay.txt, the traces of the clients left, report.html; *run is the
 * minimal scenario run once more (for the account).  GP_OK or an error in
 * err. */
int gp_cli_shrink_write(const char *dir, const gp_scenario *src, const char *input,
                        const char *target, gp_shrink_result *r, int order, uint32_t depth,
                        gp_run *run, char *err, size_t err_len);

/* True when the run violates target (a check or an expectation). */
bool gp_shrink_violated(const gp_run *run, const char *target);

#endif
