/* gp_check_signatures.c: expect.log_signatures -- each of the incident's log
 * signatures, and each a protocol profile adds ("profile.<name>"), is an
 * expectation: the bounds the scenario sets, or by default none at all (a
 * fixed server never logs them).  Judged from the server's
 * log; without it, not judged unless the scenario says the server offers no
 * log (expect.server_log: "none"). */
#include <stdio.h>
#include <string.h>

#include "gp_checks_int.h"

void gp_check_signatures(gp_run *run)
{
    bool have = run->evidence & GP_EV_LOG;
    bool absent = run->sc.expect.server_log == GP_EVIDENCE_NONE;
    for (int s = 0; s < run->logsig.n_sigs; s++) {
        if (run->expectations_len == GP_RUN_EXPECTATIONS_MAX)
            return;
        const char *name = gp_logsig_name_of(&run->logsig, s);
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
                     (long long)min, gp_logsig_what_of(&run->logsig, s));
        else
            snprintf(e->what, sizeof(e->what), "%s: %lld to %lld lines (%s)", name,
                     (long long)min, (long long)max, gp_logsig_what_of(&run->logsig, s));
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
            if (gp_logsig_on(&run->logsig, i, s))
                e->r.examples[e->r.examples_len++] = i;
    }
    /* a signature the scenario bounds that no one defines in this run (a
     * profile's, in a run without that profile) cannot be judged */
    for (uint32_t k = 0; k < run->sc.expect.signatures_len; k++) {
        char name[sizeof(run->sc.expect.signatures[k].name)];
        snprintf(name, sizeof(name), "%s", run->sc.expect.signatures[k].name);
        bool defined = false;
        for (int s = 0; s < run->logsig.n_sigs && !defined; s++)
            defined = strcmp(gp_logsig_name_of(&run->logsig, s), name) == 0;
        if (defined || run->expectations_len == GP_RUN_EXPECTATIONS_MAX)
            continue;
        gp_expectation *e = &run->expectations[run->expectations_len++];
        *e = (gp_expectation){0};
        snprintf(e->name, sizeof(e->name), "log.%s", name);
        snprintf(e->what, sizeof(e->what), "%s: bounded by the scenario", name);
        e->r.verdict = GP_VERDICT_UNJUDGED;
        snprintf(e->r.detail, sizeof(e->r.detail),
                 "no signature %s in this run: it must be defined by the protocol profile "
                 "(log.signatures) of a live run", name);
        snprintf(e->r.evidence, sizeof(e->r.evidence), "none");
    }
}
