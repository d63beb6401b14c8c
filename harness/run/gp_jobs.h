/* gp_jobs.h: run K independent tasks over N worker processes and collect
 * each task's output bytes in task order -- what `goldpath sweep --jobs`
 * (and `goldpath explore`) use to keep every core busy while writing the
 * same files as one process would.
 *
 * Workers are fork()ed children of the caller: each inherits the caller's
 * memory (the scenario, the sweep), so a task needs no more than its index.
 * The parent hands out task indices one at a time over a pipe as workers
 * become free (a slow task does not hold up a fixed share of the others),
 * and each worker sends back one frame per task over its own pipe:
 *
 *   u64 task | i64 status | u64 len | len bytes    (host byte order)
 *
 * where the bytes are what work() wrote to its FILE and status what it
 * returned.  The parent keeps them by task index, so the order the caller
 * reads them in never depends on which worker finished first.
 *
 * With jobs == 1 nothing is forked: the tasks run in this process, one
 * after the other, through the same FILE-and-bytes path, so that --jobs 1
 * and --jobs N produce the same bytes by construction.
 *
 * A worker that dies (a crash, an assertion, a sanitizer report) fails the
 * whole run with a message naming the task it was running and the signal
 * or exit status; the other workers are stopped.  The interrupt flag
 * (Ctrl-C) stops every worker within a tenth of a second. */
#ifndef GP_JOBS_H
#define GP_JOBS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define GP_JOBS_MAX 1024 /* workers at most */

/* X(name, code, message): gp_jobs_run's errors. */
#define GP_JOBS_ERROR_MAP(X)                                                   \
    X(CRASHED, -1, "a worker process died")                                    \
    X(INTERRUPTED, -2, "interrupted")                                          \
    X(SYSTEM, -3, "a worker process or pipe could not be made")                \
    X(NOMEM, -4, "out of memory")

enum {
    GP_JOBS_OK = 0,
#define GP_JOBS_ENUM(name, code, msg) GP_JOBS_##name = (code),
    GP_JOBS_ERROR_MAP(GP_JOBS_ENUM)
#undef GP_JOBS_ENUM
};

/* The message of a gp_jobs_run return value ("ok" for GP_JOBS_OK). */
const char *gp_jobs_strerror(int code);

/* One task's outcome. */
typedef struct gp_jobs_result {
    char *out;   /* the bytes work() wrote, NUL-terminated (malloc'd; NULL: not finished) */
    size_t len;  /* without the NUL */
    int status;  /* what work() returned */
    bool done;   /* the task finished and its frame arrived */
    bool lost;   /* the worker running it died (signal, or an exit) */
    int signal;  /* the signal that killed the worker while it ran this task, 0: none */
} gp_jobs_result;

/* A task: writes its result to out (a memory stream) and returns a status
 * of the caller's choosing (the run goes on whatever it is; the caller reads
 * it in results).  Runs in a worker process when jobs > 1: anything it
 * changes in memory stays there. */
typedef int (*gp_jobs_work_fn)(void *ctx, size_t task, FILE *out);

/* Called in the calling process as each task's result arrives (in the order
 * they finish), with the number finished so far. */
typedef void (*gp_jobs_done_fn)(void *ctx, size_t task, const gp_jobs_result *r,
                                size_t finished, size_t tasks);

typedef struct gp_jobs_hooks {
    /* When set and non-zero (a signal handler sets it), workers are stopped
     * and gp_jobs_run returns GP_JOBS_INTERRUPTED. */
    const volatile sig_atomic_t *interrupt;
    gp_jobs_done_fn done; /* may be NULL */
    void *done_ctx;
} gp_jobs_hooks;

/* The number of cores this process may run on (its CPU affinity, else the
 * online cores; at least 1): --jobs' default. */
unsigned gp_jobs_online_cores(void);

/* Runs tasks 0 .. tasks-1, each once, over min(jobs, tasks) worker
 * processes (jobs == 1: in this process), and fills results[0 .. tasks-1]
 * (zeroed first; free with gp_jobs_results_free).  hooks may be NULL.
 *
 * Returns GP_JOBS_OK when every task finished (whatever their statuses);
 * GP_JOBS_CRASHED when a worker died, with err naming the worker, the task
 * and the signal or exit status;
 * GP_JOBS_INTERRUPTED; GP_JOBS_SYSTEM when fork or pipe failed (err says
 * which); GP_JOBS_NOMEM.  The task a dead worker was running has .lost set
 * (and .signal when a signal killed it).  On an error the results that had arrived are
 * kept.  Every worker has been reaped when it returns.
 *
 * The caller's stdout and stderr are flushed before the workers are made.
 * Workers take SIGINT and SIGTERM with the default action and die on
 * SIGPIPE, so none outlives its parent. */
int gp_jobs_run(size_t tasks, unsigned jobs, gp_jobs_work_fn work, void *ctx,
                const gp_jobs_hooks *hooks, gp_jobs_result *results, char *err,
                size_t err_len);

void gp_jobs_results_free(gp_jobs_result *results, size_t tasks);

#endif
