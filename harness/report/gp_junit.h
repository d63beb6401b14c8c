/* gp_junit.h: JUnit XML for CI -- one <testcase> per check.  A run gives
 * one <testsuite name="goldpath.SCENARIO">; a sweep gives one suite per
 * (variant, value) point (gp_sweep_write_junit).  Failed checks carry a
 * <failure> with the check's finding and replay commands; checks that did
 * not apply carry <skipped/>.  All text is XML-escaped. */
#ifndef GP_JUNIT_H
#define GP_JUNIT_H

#include <stddef.h>
#include <stdio.h>

/* <?xml ...?> and <testsuites ...>, with the totals over every suite. */
void gp_junit_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                    unsigned skipped);
void gp_junit_end(FILE *f);

/* <testsuite ...> and its end. */
void gp_junit_suite_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                          unsigned skipped);
void gp_junit_suite_end(FILE *f);

/* A <property> inside <properties> (call between gp_junit_props_begin and
 * gp_junit_props_end, right after gp_junit_suite_begin). */
void gp_junit_props_begin(FILE *f);
void gp_junit_prop(FILE *f, const char *name, const char *value);
void gp_junit_props_end(FILE *f);

/* One test case.  status: "passed", "failed" or "skipped"; message is the
 * failure's or skip's one-line reason, text the failure's body. */
void gp_junit_case(FILE *f, const char *classname, const char *name, const char *status,
                   const char *message, const char *text);

/* Writes the checks of the run folder DIR (its summary.json) to `path` as
 * JUnit XML.  Returns GP_OK, or GP_ERR_IO with the reason in err. */
int gp_junit_write_run(const char *dir, const char *path, char *err, size_t err_len);

#endif
