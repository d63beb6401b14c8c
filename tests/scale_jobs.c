/* scale_jobs.c: gp_jobs (harness/run/gp_jobs.h) -- outputs in task order
 * whatever order the workers finish in and whatever their number, outputs
 * larger than a pipe holds, a worker killed by a signal or exiting named with
 * its task, the interrupt flag, no worker or descriptor left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gp_jobs.h"

typedef struct spec {
    size_t big_bytes;      /* each task writes this many bytes more */
    long crash_task;       /* -1: none */
    int crash_signal;      /* 0: _exit(crash_exit) instead */
    int crash_exit;
    volatile sig_atomic_t flag;
    size_t interrupt_after; /* the done hook sets flag after this many (0: never) */
    size_t seen;            /* done hook calls */
    size_t last_finished;
} spec;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int work(void *ctx, size_t task, FILE *out)
{
    spec *s = ctx;
    if ((long)task == s->crash_task) {
        if (s->crash_signal) {
            signal(s->crash_signal, SIG_DFL); /* past a sanitizer's handler */
            raise(s->crash_signal);
        }
        _exit(s->crash_exit);
    }
    nap_ms((long)((task * 37) % 5)); /* finish out of order */
    fprintf(out, "task %zu\n", task);
    for (size_t k = 0; k < task % 7; k++)
        fprintf(out, "line %zu of %zu\n", k, task);
    for (size_t k = 0; k < s->big_bytes; k++)
        fputc('a' + (int)((task + k) % 26), out);
    return (int)(task % 3);
}

static void on_done(void *ctx, size_t task, const gp_jobs_result *r, size_t finished,
                    size_t tasks)
{
    spec *s = ctx;
    assert_true(r->done);
    assert_true(task < tasks);
    assert_int_equal(finished, s->last_finished + 1);
    s->last_finished = finished;
    s->seen++;
    if (s->interrupt_after && s->seen >= s->interrupt_after)
        s->flag = 1;
}

static char *expected(size_t task, size_t big)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    spec s = {.big_bytes = big, .crash_task = -1};
    work(&s, task, f);
    fclose(f);
    return buf;
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void no_children_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void check_run(size_t tasks, unsigned jobs, size_t big)
{
    spec s = {.big_bytes = big, .crash_task = -1};
    gp_jobs_hooks hooks = {.interrupt = &s.flag, .done = on_done, .done_ctx = &s};
    gp_jobs_result *r = calloc(tasks + 1, sizeof(*r));
    char err[512];
    int fds = open_fds();
    assert_int_equal(gp_jobs_run(tasks, jobs, work, &s, &hooks, r, err, sizeof(err)), GP_JOBS_OK);
    assert_int_equal(s.seen, tasks);
    for (size_t t = 0; t < tasks; t++) {
        char *want = expected(t, big);
        assert_true(r[t].done);
        assert_int_equal(r[t].status, (int)(t % 3));
        assert_int_equal(r[t].len, strlen(want));
        assert_string_equal(r[t].out, want);
        assert_int_equal(r[t].signal, 0);
        free(want);
    }
    gp_jobs_results_free(r, tasks);
    free(r);
    assert_int_equal(open_fds(), fds);
    no_children_left();
}

static void test_order_whatever_the_jobs(void **state)
{
    (void)state;
    for (unsigned jobs = 1; jobs <= 5; jobs++)
        check_run(40, jobs, 0);
    check_run(3, 8, 0);  /* more workers asked for than tasks */
    check_run(1, 2, 0);
}

static void test_no_tasks(void **state)
{
    (void)state;
    spec s = {.crash_task = -1};
    char err[64];
    assert_int_equal(gp_jobs_run(0, 4, work, &s, NULL, NULL, err, sizeof(err)), GP_JOBS_OK);
}

static void test_outputs_larger_than_a_pipe(void **state)
{
    (void)state;
    check_run(12, 3, 300 * 1024);
}

static void check_crash(unsigned jobs, int sig, int code, const char *says)
{
    spec s = {.crash_task = 5, .crash_signal = sig, .crash_exit = code};
    gp_jobs_result r[20];
    char err[512];
    int fds = open_fds();
    int rc = gp_jobs_run(20, jobs, work, &s, NULL, r, err, sizeof(err));
    assert_int_equal(rc, GP_JOBS_CRASHED);
    assert_non_null(strstr(err, "while running task 5"));
    assert_non_null(strstr(err, says));
    assert_int_equal(r[5].done, false);
    assert_true(r[5].lost);
    assert_int_equal(r[5].signal, sig);
    gp_jobs_results_free(r, 20);
    assert_int_equal(open_fds(), fds);
    no_children_left();
}

static void test_a_crash_names_its_task_and_signal(void **state)
{
    (void)state;
    check_crash(2, SIGSEGV, 0, "killed by signal 11");
    check_crash(3, SIGABRT, 0, "killed by signal 6");
    check_crash(2, 0, 7, "exited with status 7");
}

static void test_interrupt_stops_the_workers(void **state)
{
    (void)state;
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        spec s = {.crash_task = -1, .interrupt_after = 4};
        gp_jobs_hooks hooks = {.interrupt = &s.flag, .done = on_done, .done_ctx = &s};
        gp_jobs_result r[200];
        char err[512];
        int rc = gp_jobs_run(200, jobs, work, &s, &hooks, r, err, sizeof(err));
        assert_int_equal(rc, GP_JOBS_INTERRUPTED);
        assert_non_null(strstr(err, "interrupted after"));
        assert_true(s.seen < 200);
        gp_jobs_results_free(r, 200);
        no_children_left();
    }
}

static void test_messages(void **state)
{
    (void)state;
    assert_string_equal(gp_jobs_strerror(GP_JOBS_OK), "ok");
    assert_string_equal(gp_jobs_strerror(GP_JOBS_CRASHED), "a worker process died");
    assert_true(gp_jobs_online_cores() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_whatever_the_jobs),
        cmocka_unit_test(test_no_tasks),
        cmocka_unit_test(test_outputs_larger_than_a_pipe),
        cmocka_unit_test(test_a_crash_names_its_task_and_signal),
        cmocka_unit_test(test_interrupt_stops_the_workers),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
