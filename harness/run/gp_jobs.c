/* gp_jobs.c: tasks over worker processes (gp_jobs.h).  The parent keeps one
 * task in flight per worker, polls the workers' result pipes, and files each
 * frame under its task index; a pipe that closes while its worker had a
 * task means the worker died. */
#define _GNU_SOURCE /* pipe2 */
#include "gp_jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IDLE SIZE_MAX
#define POLL_MS 100     /* how often the interrupt flag is looked at */
#define STOP_WAIT_MS 2000 /* SIGTERM, then SIGKILL after this long */

typedef struct frame_head {
    uint64_t task;
    int64_t status;
    uint64_t len;
} frame_head;

typedef struct worker {
    pid_t pid;      /* 0: reaped */
    int task_fd;    /* the parent's end: task indices go out (-1: closed) */
    int result_fd;  /* the parent's end: frames come in (-1: closed) */
    size_t task;    /* the task it runs, IDLE: none */
} worker;

const char *gp_jobs_strerror(int code)
{
    switch (code) {
    case GP_JOBS_OK:
        return "ok";
#define GP_JOBS_MSG(name, c, msg)                                              \
    case GP_JOBS_##name:                                                       \
        return msg;
        GP_JOBS_ERROR_MAP(GP_JOBS_MSG)
#undef GP_JOBS_MSG
    }
    return "unknown gp_jobs error";
}

unsigned gp_jobs_online_cores(void)
{
    /* the CPUs this process may run on (a container's cpuset, taskset),
     * else the online ones */
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
    if (n < 1)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > GP_JOBS_MAX ? GP_JOBS_MAX : (unsigned)n;
}

void gp_jobs_results_free(gp_jobs_result *results, size_t tasks)
{
    for (size_t t = 0; results && t < tasks; t++) {
        free(results[t].out);
        results[t] = (gp_jobs_result){0};
    }
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads n bytes; returns how many were read before EOF (n: all), -1 on an
 * error. */
static ssize_t read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Runs one task into a memory stream.  GP_JOBS_OK or GP_JOBS_NOMEM. */
static int run_task(gp_jobs_work_fn work, void *ctx, size_t task, gp_jobs_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return GP_JOBS_NOMEM;
    int status = work(ctx, task, f);
    if (fclose(f) != 0) {
        free(buf);
        return GP_JOBS_NOMEM;
    }
    *r = (gp_jobs_result){.out = buf, .len = len, .status = status, .done = true};
    return GP_JOBS_OK;
}

static bool interrupted(const gp_jobs_hooks *hooks)
{
    return hooks && hooks->interrupt && *hooks->interrupt;
}

static int run_here(size_t tasks, gp_jobs_work_fn work, void *ctx, const gp_jobs_hooks *hooks,
                    gp_jobs_result *results, char *err, size_t err_len)
{
    for (size_t t = 0; t < tasks; t++) {
        if (interrupted(hooks)) {
            snprintf(err, err_len, "interrupted after %zu of %zu tasks", t, tasks);
            return GP_JOBS_INTERRUPTED;
        }
        if (run_task(work, ctx, t, &results[t]) != GP_JOBS_OK) {
            snprintf(err, err_len, "out of memory for the output of task %zu", t);
            return GP_JOBS_NOMEM;
        }
        if (hooks && hooks->done)
            hooks->done(hooks->done_ctx, t, &results[t], t + 1, tasks);
    }
    return interrupted(hooks) ? GP_JOBS_INTERRUPTED : GP_JOBS_OK;
}

/* ---- a worker process ------------------------------------------------------ */

static void worker_main(int task_fd, int result_fd, gp_jobs_work_fn work, void *ctx)
{
    /* Ctrl-C and a stop from the parent end a worker at once: the parent
     * concludes; and a worker whose parent is gone dies writing to it */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    for (;;) {
        uint64_t task;
        if (read_all(task_fd, &task, sizeof(task)) != (ssize_t)sizeof(task))
            _exit(0); /* no more tasks */
        gp_jobs_result r;
        if (run_task(work, ctx, (size_t)task, &r) != GP_JOBS_OK)
            _exit(3);
        frame_head h = {.task = task, .status = r.status, .len = r.len};
        if (write_all(result_fd, &h, sizeof(h)) != 0 || write_all(result_fd, r.out, r.len) != 0)
            _exit(4);
        free(r.out);
    }
}

/* ---- the parent -------------------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Stops and reaps every worker still there: SIGTERM, SIGKILL after
 * STOP_WAIT_MS. */
static void stop_all(worker *w, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        close_fd(&w[k].task_fd);
        close_fd(&w[k].result_fd);
        if (w[k].pid > 0)
            kill(w[k].pid, SIGTERM);
    }
    uint64_t until = mono_ms() + STOP_WAIT_MS;
    for (unsigned k = 0; k < n; k++) {
        while (w[k].pid > 0) {
            pid_t r = waitpid(w[k].pid, NULL, WNOHANG);
            if (r == w[k].pid || (r < 0 && errno != EINTR)) {
                w[k].pid = 0;
            } else if (mono_ms() >= until) {
                kill(w[k].pid, SIGKILL);
                waitpid(w[k].pid, NULL, 0);
                w[k].pid = 0;
            } else {
                struct timespec nap = {0, 5 * 1000000};
                nanosleep(&nap, NULL);
            }
        }
    }
}

/* Every task done: each worker sees its task pipe close and exits. */
static void reap_all(worker *w, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        close_fd(&w[k].task_fd);
        close_fd(&w[k].result_fd);
    }
    for (unsigned k = 0; k < n; k++) {
        while (w[k].pid > 0 && waitpid(w[k].pid, NULL, 0) < 0 && errno == EINTR)
            ;
        w[k].pid = 0;
    }
}

/* Worker k died (its pipe closed mid-task): reaps it and says how. */
static void describe_death(worker *w, unsigned k, unsigned n, gp_jobs_result *results,
                           char *err, size_t err_len)
{
    int st = 0;
    pid_t pid = w[k].pid;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    w[k].pid = 0;
    char how[160];
    if (w[k].task != IDLE)
        results[w[k].task].lost = true;
    if (WIFSIGNALED(st)) {
        snprintf(how, sizeof(how), "was killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
        if (w[k].task != IDLE)
            results[w[k].task].signal = WTERMSIG(st);
    } else if (WIFEXITED(st)) {
        snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
    } else {
        snprintf(how, sizeof(how), "stopped (wait status %d)", st);
    }
    if (w[k].task != IDLE)
        snprintf(err, err_len, "worker %u of %u (pid %d) %s while running task %zu", k + 1, n,
                 (int)pid, how, w[k].task);
    else
        snprintf(err, err_len, "worker %u of %u (pid %d) %s", k + 1, n, (int)pid, how);
}

/* Hands worker k the next task, or tells it there is none. */
static int feed(worker *wk, size_t *next, size_t tasks)
{
    if (*next >= tasks) {
        close_fd(&wk->task_fd);
        wk->task = IDLE;
        return 0;
    }
    uint64_t t = *next;
    wk->task = (*next)++;
    return write_all(wk->task_fd, &t, sizeof(t));
}

/* Makes n workers.  GP_JOBS_OK or GP_JOBS_SYSTEM (err). */
static int spawn(worker *w, unsigned n, gp_jobs_work_fn work, void *ctx, char *err,
                 size_t err_len)
{
    fflush(NULL); /* nothing buffered is written twice */
    for (unsigned k = 0; k < n; k++) {
        int tp[2], rp[2];
        if (pipe2(tp, O_CLOEXEC) != 0) {
            snprintf(err, err_len, "pipe: %s", strerror(errno));
            return GP_JOBS_SYSTEM;
        }
        if (pipe2(rp, O_CLOEXEC) != 0) {
            snprintf(err, err_len, "pipe: %s", strerror(errno));
            close(tp[0]);
            close(tp[1]);
            return GP_JOBS_SYSTEM;
        }
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(err, err_len, "fork: %s", strerror(errno));
            close(tp[0]);
            close(tp[1]);
            close(rp[0]);
            close(rp[1]);
            return GP_JOBS_SYSTEM;
        }
        if (pid == 0) {
            /* the other workers' pipes stay with the parent: a worker
             * holding one would keep it from ever closing */
            for (unsigned j = 0; j < k; j++) {
                close(w[j].task_fd);
                close(w[j].result_fd);
            }
            close(tp[1]);
            close(rp[0]);
            worker_main(tp[0], rp[1], work, ctx);
            _exit(0);
        }
        close(tp[0]);
        close(rp[1]);
        w[k] = (worker){.pid = pid, .task_fd = tp[1], .result_fd = rp[0], .task = IDLE};
    }
    return GP_JOBS_OK;
}

/* Reads worker k's next frame into results.  GP_JOBS_OK, 1 when the
 * worker ended normally (no task, pipe closed), or an error. */
static int take_frame(worker *w, unsigned k, unsigned n, gp_jobs_result *results, size_t tasks,
                      char *err, size_t err_len)
{
    frame_head h;
    ssize_t got = read_all(w[k].result_fd, &h, sizeof(h));
    if (got == 0 && w[k].task == IDLE) {
        close_fd(&w[k].result_fd);
        return 1;
    }
    if (got != (ssize_t)sizeof(h) || h.task != w[k].task || h.task >= tasks) {
        if (got == (ssize_t)sizeof(h)) /* a frame for another task: a broken worker */
            kill(w[k].pid, SIGKILL);
        describe_death(w, k, n, results, err, err_len);
        return GP_JOBS_CRASHED;
    }
    char *out = malloc(h.len + 1);
    if (!out) {
        snprintf(err, err_len, "out of memory for the %llu bytes of task %llu",
                 (unsigned long long)h.len, (unsigned long long)h.task);
        return GP_JOBS_NOMEM;
    }
    if (read_all(w[k].result_fd, out, h.len) != (ssize_t)h.len) {
        free(out);
        describe_death(w, k, n, results, err, err_len);
        return GP_JOBS_CRASHED;
    }
    out[h.len] = '\0';
    results[h.task] = (gp_jobs_result){.out = out, .len = h.len, .status = (int)h.status,
                                       .done = true};
    return GP_JOBS_OK;
}

static int run_workers(size_t tasks, unsigned n, gp_jobs_work_fn work, void *ctx,
                       const gp_jobs_hooks *hooks, gp_jobs_result *results, char *err,
                       size_t err_len)
{
    worker *w = calloc(n, sizeof(*w));
    struct pollfd *pf = calloc(n, sizeof(*pf));
    unsigned *who = calloc(n, sizeof(*who));
    if (!w || !pf || !who) {
        free(w);
        free(pf);
        free(who);
        snprintf(err, err_len, "out of memory for %u workers", n);
        return GP_JOBS_NOMEM;
    }
    for (unsigned k = 0; k < n; k++)
        w[k] = (worker){.pid = 0, .task_fd = -1, .result_fd = -1, .task = IDLE};
    /* a worker that dies makes writing its next task fail with EPIPE, not
     * kill this process */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe);
    int rc = spawn(w, n, work, ctx, err, err_len);
    size_t next = 0, finished = 0;
    for (unsigned k = 0; rc == GP_JOBS_OK && k < n; k++)
        if (w[k].pid && feed(&w[k], &next, tasks) != 0) {
            describe_death(w, k, n, results, err, err_len);
            rc = GP_JOBS_CRASHED;
        }
    while (rc == GP_JOBS_OK && finished < tasks) {
        if (interrupted(hooks)) {
            rc = GP_JOBS_INTERRUPTED;
            break;
        }
        unsigned m = 0;
        for (unsigned k = 0; k < n; k++)
            if (w[k].result_fd >= 0) {
                pf[m] = (struct pollfd){.fd = w[k].result_fd, .events = POLLIN};
                who[m++] = k;
            }
        int ready = poll(pf, m, POLL_MS);
        if (ready < 0 && errno != EINTR) {
            snprintf(err, err_len, "poll: %s", strerror(errno));
            rc = GP_JOBS_SYSTEM;
        }
        for (unsigned i = 0; rc == GP_JOBS_OK && ready > 0 && i < m; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            unsigned k = who[i];
            int got = take_frame(w, k, n, results, tasks, err, err_len);
            if (got == 1)
                continue;
            if (got != GP_JOBS_OK) {
                rc = interrupted(hooks) ? GP_JOBS_INTERRUPTED : got;
                break;
            }
            size_t t = w[k].task;
            finished++;
            if (hooks && hooks->done)
                hooks->done(hooks->done_ctx, t, &results[t], finished, tasks);
            if (feed(&w[k], &next, tasks) != 0) {
                describe_death(w, k, n, results, err, err_len);
                rc = interrupted(hooks) ? GP_JOBS_INTERRUPTED : GP_JOBS_CRASHED;
            }
        }
    }
    if (rc == GP_JOBS_INTERRUPTED)
        snprintf(err, err_len, "interrupted after %zu of %zu tasks", finished, tasks);
    if (rc == GP_JOBS_OK)
        reap_all(w, n);
    else
        stop_all(w, n);
    sigaction(SIGPIPE, &old_pipe, NULL);
    free(w);
    free(pf);
    free(who);
    return rc;
}

int gp_jobs_run(size_t tasks, unsigned jobs, gp_jobs_work_fn work, void *ctx,
                const gp_jobs_hooks *hooks, gp_jobs_result *results, char *err,
                size_t err_len)
{
    if (err_len)
        err[0] = '\0';
    for (size_t t = 0; t < tasks; t++)
        results[t] = (gp_jobs_result){0};
    if (tasks == 0)
        return GP_JOBS_OK;
    if (jobs == 0)
        jobs = 1;
    if (jobs > GP_JOBS_MAX)
        jobs = GP_JOBS_MAX;
    if (jobs == 1)
        return run_here(tasks, work, ctx, hooks, results, err, err_len);
    unsigned n = tasks < jobs ? (unsigned)tasks : jobs;
    return run_workers(tasks, n, work, ctx, hooks, results, err, err_len);
}
