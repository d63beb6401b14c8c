/* gp_plots_int.h: what the run plots' script writers share (gp_plots.c,
 * gp_plots_time.c): the facts read from the folder, the title that names
 * the run, and the frame that says why a plot is empty. */
#ifndef GP_PLOTS_INT_H
#define GP_PLOTS_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "gp_csv.h"
#include "gp_lifecycle.h"
#include "gp_plot_data.h"

/* What the plots need to know about the folder's data. */
typedef struct plot_ctx {
    bool live;
    char context[600];          /* "SCENARIO, seed N, sim, fixed server" */
    double threshold;           /* expect.min_transition_success_rate */
    double rate_min;            /* lowest bucket success rate */
    unsigned long long buckets_attempted; /* timeline buckets with a step */
    bool state_col[GP_STATE_COUNT]; /* timeline.csv has this state's column */
    bool state_seen;            /* some bucket has a connection in some state */
    unsigned long long clients, ready, completed, opened;
    bool lifecycle;             /* the run had evidence of lifecycle steps */
    char missing[300];          /* why evidence was missing */
    bool clients_timeline;      /* clients_timeline.csv is there */
    gp_heatmap_info heat;
    gp_csv faults;
    bool fault_state_used[GP_PLOT_STATES_MAX + 1]; /* by faults.csv column - 3 */
} plot_ctx;

/* set title: `main` on the first line, the run's context on the second. */
void gp_plots_title(FILE *f, const char *main, const plot_ctx *cx);

/* An empty frame with `why` in its middle, and no data read (gnuplot stops
 * a script at a plot without a valid point). */
void gp_plots_empty(FILE *f, const char *why);

/* The x axis label of time plots. */
const char *gp_plots_time_label(const plot_ctx *cx);

/* Reads clients_timeline.csv's totals into cx (opened); false when the
 * folder has none. */
bool gp_plots_read_clients(const char *dir, plot_ctx *cx);

/* The bodies of the time-series plots of clients_timeline.csv. */
void gp_plots_body_throughput(FILE *f, const plot_ctx *cx);
void gp_plots_body_latency_time(FILE *f, const plot_ctx *cx);

#endif
