/* gp_cli_progress.h: what a run shows while it runs, and how it stops.
 *
 * Progress: on a terminal, one line redrawn four times a second (clients
 * done, rate, time left); when stderr is not a terminal (CI logs), a full
 * line every 10 s, as k6 does; nothing with --quiet.  The same for
 * simulated and live runs.
 *
 * Interruption: the first SIGINT or SIGTERM asks the run to stop (the drivers
 * look at gp_cli_interrupt); the run is concluded as it stands, its partial
 * report written and marked interrupted, and goldpath exits 130.  A second
 * one kills the process at once (the default action is put back). */
#ifndef GP_CLI_PROGRESS_H
#define GP_CLI_PROGRESS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by the handler; read by the drivers. */
extern volatile sig_atomic_t gp_cli_interrupt;

/* The exit status of an interrupted run (128 + SIGINT, as a shell reports). */
#define GP_CLI_EXIT_INTERRUPTED 130

/* Installs the SIGINT/SIGTERM handlers. */
void gp_cli_catch_interrupt(void);

typedef struct gp_cli_progress {
    const char *label;   /* "" or "live: " */
    bool tty;            /* redraw one line, or print a line every interval_s */
    double interval_s;
    double t0, last;
    bool drawn;          /* a tty line is on screen */
} gp_cli_progress;

/* Ready to show the progress of a run labelled `label`; false when nothing
 * is to be shown (quiet). */
bool gp_cli_progress_init(gp_cli_progress *p, const char *label, bool quiet);

/* The drivers' progress callback (ctx: a gp_cli_progress). */
void gp_cli_progress_cb(void *ctx, uint64_t done, uint64_t total);

#endif
