/* gp_sweep_exec.h: how a sweep's runs are carried out -- on every core
 * (--jobs, through gp_jobs), or a deterministic share of them (--shard I/N)
 * -- and the one line each run's result travels as, from a worker process
 * to the parent, and from a shard's folder to `goldpath merge`.
 *
 * The runs of a sweep are its tasks, numbered in the order of sweep.csv's
 * rows: task t = (variant * points + point) * seeds + seed offset.  Shard I
 * of N runs the tasks t with t % N == I.
 *
 * A result is one JSON object on one line, keys in this order:
 *
 *   {"task":17,"variant":0,"point":2,"seed":44,
 *    "transition_success_rate":0.99..,"completion_rate":1.0,"passed":true,
 *    "virtual_ms":10045,"failed":{"CHECK":"its finding",...},
 *    "not_offered":["CHECK",...]}
 *
 * Rates are written with 17 significant digits, so that they read back as
 * the same doubles: the means of sweep_summary.csv, taken in task order from
 * the lines, are then the same bits whichever process ran each run.
 * "failed" holds each failed check's finding cut to GP_SWEEP_DETAIL_MAX - 1
 * bytes (what the sweep keeps); "not_offered" the checks not judged by
 * declaration. */
#ifndef GP_SWEEP_EXEC_H
#define GP_SWEEP_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_sweep.h"

/* The number of runs of the whole sweep (variants x points x seeds). */
size_t gp_sweep_task_count(const gp_sweep_spec *spec);

/* The run of task t. */
void gp_sweep_task(const gp_sweep *sw, size_t t, uint32_t *variant, uint32_t *point,
                   uint64_t *seed);

/* Runs task t in simulation (stopping at the next event once *interrupt is
 * set, when given) and writes its result line (with '\n') to out.  Returns
 * GP_OK, or a negative gp_err with err set (the scenario refused, out of
 * memory). */
int gp_sweep_run_task(const gp_sweep *sw, size_t t, const volatile sig_atomic_t *interrupt,
                      FILE *out, char *err, size_t err_len);

/* Reads one result line (len bytes, a trailing newline allowed) and records
 * it: a row appended to sw->rows (which must have room: gp_sweep_begin) and
 * its point's aggregate.  The line must be task `task` of this sweep (its
 * variant, point and seed agree).  Returns GP_OK, or GP_ERR_BAD_JSON /
 * GP_ERR_BAD_FIELD with what is wrong in err. */
int gp_sweep_take(gp_sweep *sw, size_t task, const char *line, size_t len, char *err,
                  size_t err_len);

/* Empties sw->rows and sw->agg and makes room for every run of the sweep.
 * GP_OK or GP_ERR_NOMEM. */
int gp_sweep_begin(gp_sweep *sw);

typedef struct gp_sweep_exec {
    unsigned jobs;            /* worker processes; 0 or 1: this process */
    uint32_t shard, shards;   /* the tasks t % shards == shard; shards 0 or 1: all */
    const volatile sig_atomic_t *interrupt; /* Ctrl-C: may be NULL */
    gp_sweep_progress_fn progress;          /* may be NULL */
    void *progress_ctx;
    /* When set, every result line, in task order, is written here too (a
     * shard's record for goldpath merge). */
    FILE *results;
} gp_sweep_exec;

/* Runs the tasks ex asks for, over ex->jobs processes, and records them in
 * task order (rows and agg as gp_sweep_run fills them, for those tasks).
 * Returns GP_OK; GP_ERR_INVALID_ARG with "interrupted ..." in err after
 * Ctrl-C (*interrupted set); another negative gp_err with err (a run the
 * simulator refused, a worker that died: which run, which signal). */
int gp_sweep_execute(gp_sweep *sw, const gp_sweep_exec *ex, bool *interrupted, char *err,
                     size_t err_len);

#endif
