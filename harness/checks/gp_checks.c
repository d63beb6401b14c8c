/* gp_checks.c: the table of checks and the verdicts (gp_checks.h). */
#include "gp_checks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const gp_check_def table[GP_CHECK_COUNT] = {
    {GP_CHECK_MISSING_AGENT_EVENTS, "client", 0, gp_check_missing_events},
    {GP_CHECK_EVENTS_OUT_OF_ORDER, "client", 0, gp_check_out_of_order},
    {GP_CHECK_DUPLICATE_EVENTS, "client", 0, gp_check_duplicates},
    {GP_CHECK_EVENTS_AFTER_TERMINAL, "client", 0, gp_check_after_terminal},
    {GP_CHECK_SHORT_RESPONSE, "client", 0, gp_check_short_response},
    {GP_CHECK_RESPONSE_MISMATCH, "client", 0, gp_check_response_mismatch},
    {GP_CHECK_DUPLICATE_READY, "client", 0, gp_check_duplicate_ready},
    {GP_CHECK_ISOLATION, "client", 0, gp_check_isolation},
    {GP_CHECK_FALSE_READY, "connection", 0, gp_check_false_ready},
    {GP_CHECK_FAULT_ANSWERS, "client", 0, gp_check_fault_answers},
    {GP_CHECK_MESSAGES_AFTER_CLOSE, "connection", 0, gp_check_after_close},
    {GP_CHECK_CLIENT_FAILURES, "client", 0, gp_check_client_failures},
    {GP_CHECK_STUCK_CONNECTIONS, "connection", 0, gp_check_stuck},
    {GP_CHECK_INVALID_TRANSITIONS, "connection", GP_EV_LIFECYCLE, gp_check_invalid_transitions},
    {GP_CHECK_ID_MISMATCHES, "connection", GP_EV_LIFECYCLE, gp_check_id_mismatches},
    {GP_CHECK_TRANSITION_SUCCESS_RATE, "run", GP_EV_LIFECYCLE, gp_check_success_rate},
    {GP_CHECK_COMPLETION_RATE, "run", 0, gp_check_completion_rate},
    {GP_CHECK_REGISTRY_NOT_EMPTY, "server", GP_EV_REGISTRY, gp_check_registry},
    {GP_CHECK_RESOURCES, "server", 0, gp_check_resources},
    {GP_CHECK_HEALTH_DISAGREES, "server", GP_EV_HEALTH, gp_check_health},
    {GP_CHECK_LIVENESS, "connection", 0, gp_check_liveness},
    {GP_CHECK_FAULTS_NOT_FIRED, "run", 0, gp_check_faults_fired},
};

const gp_check_def *gp_check_def_of(gp_check k)
{
    return k < GP_CHECK_COUNT ? &table[k] : NULL;
}

void gp_check_flag(gp_check_result *r, uint32_t client)
{
    if (r->examples_len < GP_EXAMPLES_MAX)
        r->examples[r->examples_len++] = client;
    r->count++;
}

void gp_check_detail(gp_check_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
}

void gp_check_evidence(gp_check_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
    va_end(ap);
}

void gp_check_clients(const gp_run *run, gp_check k, gp_check_result *r)
{
    for (uint32_t i = 0; i < run->n_clients; i++)
        if (run->clients[i].violations & (1u << k))
            gp_check_flag(r, i);
}

static bool expected(const gp_run *run, const char *name)
{
    for (uint32_t v = 0; v < run->sc.expect.violations_len; v++)
        if (strcmp(run->sc.expect.violations[v], name) == 0)
            return true;
    return false;
}

void gp_check_case_name(const gp_run *run, gp_check k, char *out, size_t out_len)
{
    const char *name = gp_check_name(k);
    snprintf(out, out_len, expected(run, name) ? "%s (expected violation)" : "%s", name);
}

/* Which declaration covers evidence `needs`: the server's log stands for the
 * lifecycle and the log, /health for the figures, the registry and memory. */
static bool declared_absent(const gp_run *run, unsigned needs)
{
    unsigned missing = needs & ~run->evidence;
    bool log = missing & (GP_EV_LIFECYCLE | GP_EV_LOG);
    bool health = missing & (GP_EV_HEALTH | GP_EV_REGISTRY | GP_EV_MEMORY);
    return (!log || run->sc.expect.server_log == GP_EVIDENCE_NONE) &&
           (!health || run->sc.expect.server_health == GP_EVIDENCE_NONE);
}

static gp_verdict verdict(bool judged, bool violated, bool is_expected, bool absent)
{
    if (!judged)
        return is_expected ? GP_VERDICT_MISSED
                           : absent ? GP_VERDICT_NOT_OFFERED : GP_VERDICT_UNJUDGED;
    if (is_expected)
        return violated ? GP_VERDICT_CAUGHT : GP_VERDICT_MISSED;
    return violated ? GP_VERDICT_FAILED : GP_VERDICT_PASSED;
}

static void judge_one(gp_run *run, const gp_check_def *d)
{
    gp_check_result *r = &run->checks[d->id];
    *r = (gp_check_result){0};
    bool is_expected = expected(run, gp_check_name(d->id));
    if (d->needs & ~run->evidence) {
        bool absent = declared_absent(run, d->needs);
        r->verdict = verdict(false, false, is_expected, absent);
        gp_check_detail(r, "%s: %s", absent ? "not offered by this server (expect.server_*)"
                                            : "could not be judged",
                        run->evidence_why[0] ? run->evidence_why : "evidence missing");
        gp_check_evidence(r, "none");
        return;
    }
    d->judge(run, r);
    r->violated = r->count > 0;
    if (r->nothing_asked)
        r->verdict = is_expected ? GP_VERDICT_MISSED : GP_VERDICT_NOT_OFFERED;
    else if (r->not_judged)
        r->verdict = verdict(false, false, is_expected, declared_absent(run, GP_EV_MEMORY));
    else
        r->verdict = verdict(true, r->violated, is_expected, false);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p of the data at or below. */
static double rank(const uint32_t *v, size_t n, double p)
{
    size_t r = (size_t)(p * (double)n + 0.999999);
    if (r == 0)
        r = 1;
    if (r > n)
        r = n;
    return (double)v[r - 1];
}

static void percentiles(gp_run *run)
{
    for (int k = 0; k < GP_LAT_COUNT; k++) {
        gp_latency_samples *s = &run->samples[k];
        gp_percentiles *p = &run->latency[k];
        *p = (gp_percentiles){.n = s->len};
        if (s->len == 0)
            continue;
        qsort(s->v, s->len, sizeof(*s->v), cmp_u32);
        p->p50 = rank(s->v, s->len, 0.50);
        p->p90 = rank(s->v, s->len, 0.90);
        p->p99 = rank(s->v, s->len, 0.99);
        p->max = (double)s->v[s->len - 1];
    }
}

void gp_checks_judge(gp_run *run)
{
    percentiles(run);
    run->expectations_len = 0;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        judge_one(run, &table[k]);
    gp_check_latency(run);
    gp_check_signatures(run);
    run->passed = true;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        run->passed &= gp_verdict_ok(run->checks[k].verdict);
    for (uint32_t e = 0; e < run->expectations_len; e++)
        run->passed &= gp_verdict_ok(run->expectations[e].r.verdict);
}
