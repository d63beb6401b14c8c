/* gp_html_sweep.h: report.html of a sweep folder -- the sweep's settings,
 * its plots, a table of every (variant, value) point with the spread over
 * seeds, the checks that failed there and a replay command, and the
 * scenario.  Rendered from sweep.json and sweep_summary.csv alone. */
#ifndef GP_HTML_SWEEP_H
#define GP_HTML_SWEEP_H

#include <stddef.h>

/* Writes DIR/report.html.  plots_note, when not NULL, says why the plots
 * are missing.  Returns GP_OK, or GP_ERR_IO with the reason in err. */
int gp_html_sweep_write(const char *dir, const char *plots_note, char *err, size_t err_len);

#endif
