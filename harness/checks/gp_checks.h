/* gp_checks.h: the run's verdicts -- the one table of checks (name, what
 * passing means, scope, the evidence it needs, the function that judges it;
 * one checker per file, in the manner of TigerBeetle's state_checker.zig),
 * and the expectations of the scenario around them: expected violations of
 * a bug scenario, latency thresholds, log signatures.
 *
 * A check that needs evidence the run did not have (the server's /health,
 * its log) is not judged, and that fails the run -- unless the scenario says
 * the server does not offer that evidence (expect.server_health: "none",
 * expect.server_log: "none").  Nothing passes unjudged. */
#ifndef GP_CHECKS_H
#define GP_CHECKS_H

#include "gp_run.h"

typedef struct gp_check_def {
    gp_check id;
    const char *scope;   /* "client", "connection", "run" or "server" */
    unsigned needs;      /* GP_EV_* it cannot be judged without */
    /* Judges the run: count, examples, detail and evidence of r (the verdict
     * is derived from them by gp_checks_judge). */
    void (*judge)(const gp_run *run, gp_check_result *r);
} gp_check_def;

/* The table entry of check k. */
const gp_check_def *gp_check_def_of(gp_check k);

/* Judges every check and expectation of a run whose driver has finished
 * (gp_drive_finish): fills run->checks, run->expectations, run->latency and
 * run->passed. */
void gp_checks_judge(gp_run *run);

/* The JUnit/report name of a check as an expectation: "stuck_connections"
 * or, in a bug scenario's expected list, "stuck_connections (expected
 * violation)". */
void gp_check_case_name(const gp_run *run, gp_check k, char *out, size_t out_len);

#endif
