/* gp_check_signatures.c: expect.log_signatures -- each of the incident's log
 * signatures is an expectation: the bounds the scenario sets, or by default
 * none at all (a fixed server never logs them).  Judged from the server's
 * log; without it, not judged unless the scenario says the server offers no
 * log (expect.server_log: "none"). */
#include <stdio.h>
#include <string.h>

#include "gp_checks_int.h"

void gp_check_signatures(gp_run *run)
{
    bool have = run->evidence & GP_EV_LOG;
    bool absent = run->sc.expect.server_log == GP_EVIDENCE_NONE;
    for (int s = 0; s < GP_SIGNATURE_COUNT; s++) {
        if (run->expectations_len == GP_RUN_EXPECTATIONS_MAX)
            return;
        const char *name = gp_logsig_name(s);
        const gp_signature_expect *x = gp_scenario_signature_expect(&run->sc, name);
        int64_t min = 0, max = 0;
        if (x) {
            min = x->min >= 0 ? x->min : 0;
            max = x->max >= 0 ? x->max : INT64_MAX;
            if (x->per_client >= 0.0) {
                int64_t want = (int64_t)(x->per_client * (double)run->n_clients + 0.5);
                min = min > want ? min : want;
                max = max < want ? max : want;
            }
        }
        gp_expectation *e = &run->expectations[run->expectations_len++];
        *e = (gp_expectation){0};
        snprintf(e->name, sizeof(e->name), "log.%s", name);
        if (max == INT64_MAX)
            snprintf(e->what, sizeof(e->what), "%s: at least %lld lines (%s)", name,
                     (long long)min, gp_logsig_what(s));
        else
            snprintf(e->what, sizeof(e->what), "%s: %lld to %lld lines (%s)", name,
                     (long long)min, (long long)max, gp_logsig_what(s));
        if (!have) {
            e->r.verdict = absent ? GP_VERDICT_NOT_OFFERED : GP_VERDICT_UNJUDGED;
            snprintf(e->r.detail, sizeof(e->r.detail), "%s",
                     run->evidence_why[0] ? run->evidence_why : "no server log");
            snprintf(e->r.evidence, sizeof(e->r.evidence), "none");
            continue;
        }
        const gp_logsig_count *c = &run->logsig.count[s];
        e->r.count = (int64_t)c->total < min || (int64_t)c->total > max;
        e->r.violated = e->r.count > 0;
        e->r.verdict = e->r.violated ? GP_VERDICT_FAILED : GP_VERDICT_PASSED;
        snprintf(e->r.evidence, sizeof(e->r.evidence), "the server's log");
        snprintf(e->r.detail, sizeof(e->r.detail),
                 "%llu lines on %llu connections (at most %llu on one; %llu of no known "
                 "connection)",
                 (unsigned long long)c->total, (unsigned long long)c->connections,
                 (unsigned long long)c->max_per_connection,
                 (unsigned long long)c->unattributed);
        for (uint32_t i = 0; i < run->n_clients && e->r.examples_len < GP_EXAMPLES_MAX &&
                             e->r.violated; i++)
            if (run->logsig.per_conn[i][s])
                e->r.examples[e->r.examples_len++] = i;
    }
}
