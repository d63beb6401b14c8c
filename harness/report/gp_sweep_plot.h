/* gp_sweep_plot.h: the plots of a sweep folder -- transition success rate
 * and golden-path completion rate against the varied field, one line (the
 * mean over the seeds) and one band and error bars (min to max over the
 * seeds) per variant.  Written as sweep.gp, drawn from sweep_summary.csv
 * and sweep.json alone, so `goldpath plot` can draw them again. */
#ifndef GP_SWEEP_PLOT_H
#define GP_SWEEP_PLOT_H

#include <stdbool.h>
#include <stddef.h>

/* X(enum suffix, file stem, heading, column prefix in sweep_summary.csv) */
#define GP_SWEEP_PLOT_MAP(X)                                                   \
    X(TSR, "sweep_transition_success_rate", "Transition success rate",         \
      "transition_success_rate")                                               \
    X(COMPLETION, "sweep_completion_rate", "Golden-path completion rate",      \
      "completion_rate")

typedef enum gp_sweep_plot {
#define GP_SWEEP_PLOT_ENUM(e, stem, heading, col) GP_SWEEP_PLOT_##e,
    GP_SWEEP_PLOT_MAP(GP_SWEEP_PLOT_ENUM)
#undef GP_SWEEP_PLOT_ENUM
    GP_SWEEP_PLOT_COUNT
} gp_sweep_plot;

const char *gp_sweep_plot_stem(gp_sweep_plot p);
const char *gp_sweep_plot_heading(gp_sweep_plot p);

/* Writes DIR/sweep.gp.  Returns GP_OK, or GP_ERR_IO with the reason in err. */
int gp_sweep_plot_write_script(const char *dir, char *err, size_t err_len);

/* Removes the sweep plots' PNG and SVG files from DIR; with `script` also
 * sweep.gp and sweep.log. */
void gp_sweep_plot_remove_images(const char *dir, bool script);

#endif
