/* gp_sweep_files.h: a sweep's folder -- sweep.csv (one row per run:
 * variant,value,seed,transition_success_rate,completion_rate,passed),
 * sweep_summary.csv (min/mean/max over the seeds of each (variant, value)
 * point, what the plots draw), sweep.json (the sweep's settings and, per
 * point, failed checks and a replay command; what the page is rendered
 * from) and scenario.json (the scenario before the variants and the varied
 * field) -- and its JUnit XML.  All deterministic: the same sweep writes
 * the same bytes. */
#ifndef GP_SWEEP_FILES_H
#define GP_SWEEP_FILES_H

#include <stddef.h>

#include "gp_sweep.h"

/* Creates DIR (and parents) and writes the files above.  `command` is the
 * sweep's own command line, kept in sweep.json (may be NULL).  Returns GP_OK,
 * or GP_ERR_IO with the reason in err. */
int gp_sweep_write(const gp_sweep *sw, const char *dir, const char *command, char *err,
                   size_t err_len);

/* Writes JUnit XML to `path`: one <testsuite> per (variant, value) point,
 * named "goldpath.SCENARIO FIELD=VALUE" (plus " [VARIANT]" with variants),
 * one <testcase> per check in each, of class "goldpath.SCENARIO" and named
 * "CHECK [FIELD=VALUE]" (or "CHECK [FIELD=VALUE; VARIANT]").  A check fails at a point when it
 * failed for any seed (the message names how many and the first seed's
 * finding, the body its replay command) and is skipped when it applied to
 * no seed.  Returns GP_OK, or GP_ERR_IO with the reason in err. */
int gp_sweep_write_junit(const gp_sweep *sw, const char *path, char *err, size_t err_len);

/* The name of point (v, p)'s test suite, as above. */
void gp_sweep_point_name(const gp_sweep *sw, uint32_t v, uint32_t p, char *out, size_t out_len);

#endif
