/* gp_cli_progress.c: the progress line and Ctrl-C (gp_cli_progress.h). */
#include "gp_cli_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t gp_cli_interrupt;

static void on_signal(int sig)
{
    gp_cli_interrupt = 1;
    /* the next one is not caught: a run that does not stop can be killed */
    signal(sig, SIG_DFL);
}

void gp_cli_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool gp_cli_progress_init(gp_cli_progress *p, const char *label, bool quiet)
{
    memset(p, 0, sizeof(*p));
    p->label = label;
    p->tty = isatty(STDERR_FILENO);
    p->interval_s = p->tty ? 0.25 : 10.0;
    /* for tests, which cannot wait 10 s: GOLDPATH_PROGRESS_INTERVAL_S */
    const char *iv = getenv("GOLDPATH_PROGRESS_INTERVAL_S");
    if (iv && atof(iv) > 0)
        p->interval_s = atof(iv);
    p->t0 = p->last = mono_s();
    return !quiet;
}

void gp_cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    gp_cli_progress *p = ctx;
    double t = mono_s();
    if (done >= total) { /* the end: clear the line; a log already has its lines */
        if (p->tty && p->drawn)
            fputs("\r\033[K", stderr);
        p->drawn = false;
        fflush(stderr);
        return;
    }
    if (t - p->last < p->interval_s)
        return;
    p->last = t;
    double el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
    char left[48] = "time left unknown";
    if (rate > 0)
        snprintf(left, sizeof(left), "about %.0f s left", (double)(total - done) / rate);
    if (p->tty) {
        fprintf(stderr, "\r  %s%llu / %llu clients done, %.0f/s, %s   ", p->label,
                (unsigned long long)done, (unsigned long long)total, rate, left);
        p->drawn = true;
    } else {
        fprintf(stderr, "goldpath: %s%.0f s: %llu / %llu clients done, %.0f/s, %s\n", p->label,
                el, (unsigned long long)done, (unsigned long long)total, rate, left);
    }
    fflush(stderr);
}
