/* gp_check_latency.c: expect.latency -- each threshold the scenario sets on
 * the p50, p90, p99 or max of time to connection_ready, to a request's first
 * event and to its answer is an expectation of its own (virtual ms in
 * simulation, real ms live). */
#include <stdio.h>

#include "gp_checks_int.h"

void gp_check_latency(gp_run *run)
{
    static const gp_latency_kind kinds[GP_LATX_COUNT] = {
        [GP_LATX_READY] = GP_LAT_READY,
        [GP_LATX_FIRST_EVENT] = GP_LAT_FIRST_EVENT,
        [GP_LATX_COMPLETED] = GP_LAT_COMPLETED,
    };
    for (int k = 0; k < GP_LATX_COUNT; k++) {
        const gp_latency_expect *x = &run->sc.expect.latency[k];
        const gp_percentiles *p = &run->latency[kinds[k]];
        const struct {
            const char *name;
            uint32_t limit;
            double got;
        } t[4] = {{"p50", x->p50_ms, p->p50},
                  {"p90", x->p90_ms, p->p90},
                  {"p99", x->p99_ms, p->p99},
                  {"max", x->max_ms, p->max}};
        for (int q = 0; q < 4; q++) {
            if (!t[q].limit || run->expectations_len == GP_RUN_EXPECTATIONS_MAX)
                continue;
            gp_expectation *e = &run->expectations[run->expectations_len++];
            *e = (gp_expectation){0};
            snprintf(e->name, sizeof(e->name), "latency.%s.%s",
                     gp_latency_expect_name((gp_latency_expect_kind)k), t[q].name);
            snprintf(e->what, sizeof(e->what), "the %s of %s is at most %u ms", t[q].name,
                     gp_latency_expect_name((gp_latency_expect_kind)k), t[q].limit);
            e->r.count = p->n == 0 || t[q].got > (double)t[q].limit;
            e->r.violated = e->r.count > 0;
            e->r.verdict = e->r.violated ? GP_VERDICT_FAILED : GP_VERDICT_PASSED;
            snprintf(e->r.evidence, sizeof(e->r.evidence), "%llu samples",
                     (unsigned long long)p->n);
            if (p->n)
                snprintf(e->r.detail, sizeof(e->r.detail), "%s %.0f ms (limit %u ms)",
                         t[q].name, t[q].got, t[q].limit);
            else
                snprintf(e->r.detail, sizeof(e->r.detail), "no samples: nothing got that far");
        }
    }
}
