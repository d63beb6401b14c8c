/* gp_checks_int.h: what the checkers share: the judge functions of the
 * table (one file each) and small helpers.  Not for other modules. */
#ifndef GP_CHECKS_INT_H
#define GP_CHECKS_INT_H

#include <stdarg.h>

#include "gp_checks.h"

/* Adds client i to r's violations (count and examples). */
void gp_check_flag(gp_check_result *r, uint32_t client);
/* printf into r->detail / r->evidence. */
void gp_check_detail(gp_check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gp_check_evidence(gp_check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Flags every client whose own checks found violation k. */
void gp_check_clients(const gp_run *run, gp_check k, gp_check_result *r);

/* gp_check_client.c: the checks the clients judge themselves */
void gp_check_missing_events(const gp_run *run, gp_check_result *r);
void gp_check_out_of_order(const gp_run *run, gp_check_result *r);
void gp_check_duplicates(const gp_run *run, gp_check_result *r);
void gp_check_after_terminal(const gp_run *run, gp_check_result *r);
void gp_check_short_response(const gp_run *run, gp_check_result *r);
void gp_check_response_mismatch(const gp_run *run, gp_check_result *r);
void gp_check_duplicate_ready(const gp_run *run, gp_check_result *r);
void gp_check_isolation(const gp_run *run, gp_check_result *r);
void gp_check_fault_answers(const gp_run *run, gp_check_result *r);
void gp_check_client_failures(const gp_run *run, gp_check_result *r);
/* one file each */
void gp_check_false_ready(const gp_run *run, gp_check_result *r);
void gp_check_after_close(const gp_run *run, gp_check_result *r);
void gp_check_liveness(const gp_run *run, gp_check_result *r);
void gp_check_stuck(const gp_run *run, gp_check_result *r);
void gp_check_invalid_transitions(const gp_run *run, gp_check_result *r);
void gp_check_id_mismatches(const gp_run *run, gp_check_result *r);
void gp_check_success_rate(const gp_run *run, gp_check_result *r);
void gp_check_completion_rate(const gp_run *run, gp_check_result *r);
void gp_check_registry(const gp_run *run, gp_check_result *r);
void gp_check_resources(const gp_run *run, gp_check_result *r);
void gp_check_health(const gp_run *run, gp_check_result *r);
void gp_check_faults_fired(const gp_run *run, gp_check_result *r);

/* Expectations beyond the table (appended to run->expectations). */
void gp_check_latency(gp_run *run);
void gp_check_signatures(gp_run *run);

#endif
