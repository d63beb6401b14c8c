/* gp_plots.h: the gnuplot plots of a run folder.  gp_plots_write_script()
 * derives what the plots need from the folder's files (summary.json,
 * scenario.json, timeline.csv, clients_timeline.csv, latency_cdf.csv (or
 * connections.csv in folders older than it), transitions.csv, faults.csv)
 * and writes plots.gp, which draws each plot twice -- NAME.png (pngcairo)
 * and NAME.svg -- when run in the folder: `gnuplot plots.gp`.
 *
 * Every plot's title names the run (scenario, seed, mode, the bugs switched
 * on), so that a picture pasted into a ticket says what it shows; a plot
 * with nothing to draw says why in its frame ("0 of 500 clients reached
 * connection_ready") instead of showing an empty one. */
#ifndef GP_PLOTS_H
#define GP_PLOTS_H

#include <stdbool.h>
#include <stddef.h>

/* X(enum suffix, file stem, heading) in the order report.html shows them. */
#define GP_PLOT_MAP(X)                                                         \
    X(SUCCESS_RATE, "success_rate", "Transition success rate over time")      \
    X(STATES, "states", "Connections per state over time")                    \
    X(THROUGHPUT, "throughput", "Connections opened, ready and completed per second") \
    X(LATENCY_TIME, "latency_over_time", "Time to ready and to completed over time (p50, p95, p99)") \
    X(LATENCY_CDF, "latency_cdf", "Time to ready and to completed")           \
    X(TRANSITIONS, "transitions", "Lifecycle steps by from and to state")     \
    X(FAULTS, "faults", "Fault ledger")

typedef enum gp_plot {
#define GP_PLOT_ENUM(e, stem, heading) GP_PLOT_##e,
    GP_PLOT_MAP(GP_PLOT_ENUM)
#undef GP_PLOT_ENUM
    GP_PLOT_COUNT
} gp_plot;

/* The file stem ("success_rate") and the heading of plot p. */
const char *gp_plot_stem(gp_plot p);
const char *gp_plot_heading(gp_plot p);

/* The gnuplot terminal lines every plots script uses. */
#define GP_PLOT_TERM_PNG "set terminal pngcairo noenhanced size 900,500"
#define GP_PLOT_TERM_SVG "set terminal svg noenhanced size 900,500 background '#ffffff'"

/* Writes DIR/heatmap.csv (and DIR/latency_cdf.csv when the folder has none)
 * and DIR/plots.gp.  drawn[p]
 * tells whether the script draws plot p (the fault ledger only when
 * faults.csv has a row).  Returns GP_OK, or GP_ERR_IO with the reason in err (a
 * missing or malformed input file, a file that cannot be written). */
int gp_plots_write_script(const char *dir, bool drawn[GP_PLOT_COUNT], char *err,
                          size_t err_len);

/* Removes DIR/STEM.png and DIR/STEM.svg of every run plot, so that a plot
 * not drawn again leaves no stale picture behind; with `script` also
 * plots.gp, plots.log and heatmap.csv (when plots are skipped on purpose,
 * so the page links no stale file).  latency_cdf.csv and
 * clients_timeline.csv are the run's own files and stay. */
void gp_plots_remove_images(const char *dir, bool script);

#endif
