/* gp_junit.h: JUnit XML for CI -- one <testcase> per check.  A run gives
 * one <testsuite name="goldpath.SCENARIO">; a sweep gives one suite per
 * (variant, value) point (gp_sweep_write_junit).  Failed checks carry a
 * <failure> with the check's finding and replay commands; checks that did
 * not apply carry <skipped/>.  All text is XML-escaped. */
#ifndef GP_JUNIT_H
#define GP_JUNIT_H

#include <stddef.h>
#include <stdio.h>

/* Times are seconds with three decimals.  A simulated run's time is its
 * virtual length (the same seed writes the same bytes); a live run's is its
 * wall-clock length.  Attributes follow the Jenkins xunit plugin's JUnit
 * schema (docs/reports.md): <testsuites> takes name, tests, failures,
 * errors, time (no skipped); <testsuite> also skipped and timestamp. */

/* <?xml ...?> and <testsuites ...>, with the totals over every suite. */
void gp_junit_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                    double time_s);
void gp_junit_end(FILE *f);

/* <testsuite ...> and its end.  timestamp: ISO 8601 (UTC, no zone, as the
 * schema's examples), or NULL for none (simulated runs: no wall clock). */
void gp_junit_suite_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                          unsigned skipped, double time_s, const char *timestamp);
void gp_junit_suite_end(FILE *f);

/* A <property> inside <properties> (call between gp_junit_props_begin and
 * gp_junit_props_end, right after gp_junit_suite_begin). */
void gp_junit_props_begin(FILE *f);
void gp_junit_prop(FILE *f, const char *name, const char *value);
void gp_junit_props_end(FILE *f);

/* One test case.  status: "passed", "failed" or "skipped"; message is the
 * failure's or skip's one-line reason, text the failure's body; time_s its
 * time (checks are judged once the run is over: 0). */
void gp_junit_case(FILE *f, const char *classname, const char *name, const char *status,
                   const char *message, const char *text, double time_s);

/* Writes the checks of the run folder DIR (its summary.json) to `path` as
 * JUnit XML: the suite's time is the run's (summary.json's end_ms in
 * simulation; perf.json's wall_s live) and, for a live run only, its
 * timestamp is perf.json's started_utc.  Returns GP_OK, or GP_ERR_IO with the
 * reason (naming the path) in err. */
int gp_junit_write_run(const char *dir, const char *path, char *err, size_t err_len);

#endif
