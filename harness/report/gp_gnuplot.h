/* gp_gnuplot.h: running gnuplot as a child process on a script kept in a
 * report folder (plots.gp, sweep.gp), so that a person can run the same
 * script again by hand.  gnuplot is optional: without it a run still
 * succeeds, without plots. */
#ifndef GP_GNUPLOT_H
#define GP_GNUPLOT_H

#include <stdbool.h>
#include <stddef.h>

/* The message printed when gnuplot is missing. */
#define GP_GNUPLOT_MISSING "gnuplot not found; plots skipped (apt-get install gnuplot-nox)"

/* True when an executable "gnuplot" is on $PATH. */
bool gp_gnuplot_found(void);

/* Runs `gnuplot SCRIPT` with `dir` as its working directory, its output
 * and errors going to DIR/LOG (removed again when empty).  Returns 0 when
 * gnuplot exited 0; else -1 with a sentence in err (could not start,
 * exit status, see the log). */
int gp_gnuplot_run(const char *dir, const char *script, const char *log,
                   char *err, size_t err_len);

#endif
