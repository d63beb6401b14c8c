/* gp_shrink.c: delta debugging over a scenario's clients and its dials
 * (gp_shrink.h). */
#include "gp_shrink.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp_checks.h"
#include "gp_error.h"
#include "gp_sim.h"

typedef struct shrinker {
    const char *target;
    const gp_shrink_opts *o;
    gp_shrink_result *r;
    struct timespec t0;
    uint64_t last_end_ms; /* when the last failing run ended (virtual) */
    bool nomem;
} shrinker;

static double elapsed(const shrinker *k)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - k->t0.tv_sec) + (double)(t.tv_nsec - k->t0.tv_nsec) / 1e9;
}

static bool out_of_time(shrinker *k)
{
    double limit = k->o && k->o->time_s > 0 ? k->o->time_s : 60.0;
    if (elapsed(k) < limit)
        return false;
    k->r->timed_out = true;
    return true;
}

static void note(shrinker *k, const char *fmt, ...)
{
    size_t at = strlen(k->r->log);
    if (at + 2 >= sizeof(k->r->log))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->r->log + at, sizeof(k->r->log) - at - 1, fmt, ap);
    va_end(ap);
    at = strlen(k->r->log);
    k->r->log[at] = '\n';
    k->r->log[at + 1] = '\0';
}

bool gp_shrink_violated(const gp_run *run, const char *target)
{
    gp_check k = gp_check_parse(target);
    if (k < GP_CHECK_COUNT)
        return run->checks[k].violated;
    for (uint32_t e = 0; e < run->expectations_len; e++)
        if (strcmp(run->expectations[e].name, target) == 0)
            return run->expectations[e].r.violated;
    return false;
}

bool gp_shrink_target_known(const char *target)
{
    if (!target || !*target)
        return false;
    if (gp_check_parse(target) < GP_CHECK_COUNT)
        return true;
    return strncmp(target, "log.", 4) == 0 || strncmp(target, "latency.", 8) == 0;
}

/* One simulated run of clients who[0..n) of sc: is the target violated? */
static bool fails(shrinker *k, const gp_scenario *sc, const uint32_t *who, uint32_t n)
{
    gp_run *run = calloc(1, sizeof(*run));
    if (!run || gp_run_init_subset(run, sc, who, n) != GP_OK) {
        free(run);
        k->nomem = true;
        return false;
    }
    gp_sim_options so = {.trace_client = UINT32_MAX, .server_log_level = GP_LOG_WARNING,
                         .order = k->o ? k->o->order : 0,
                         .pct_depth = k->o ? k->o->pct_depth : 0};
    char err[256];
    bool bad = gp_sim_run(run, &so, err, sizeof(err)) == GP_OK &&
               gp_shrink_violated(run, k->target);
    if (bad)
        k->last_end_ms = run->end_ms;
    gp_run_free(run);
    free(run);
    k->r->runs++;
    if (k->o && k->o->progress)
        k->o->progress(k->o->progress_ctx, k->r->runs, n);
    return bad;
}

/* ---- 1. the clients: ddmin ----------------------------------------------------- */

/* Reduces who[0..*n) to a 1-minimal set that still fails (Zeller and
 * Hildebrandt, "Simplifying and isolating failure-inducing input", 2002):
 * try each of g chunks alone, then each complement; on no progress, twice
 * as many chunks. */
static void ddmin(shrinker *k, const gp_scenario *sc, uint32_t *who, uint32_t *n)
{
    uint32_t *trial = malloc((size_t)(*n ? *n : 1) * sizeof(*trial));
    if (!trial) {
        k->nomem = true;
        return;
    }
    uint32_t g = 2;
    while (*n >= 2 && !out_of_time(k) && !k->nomem) {
        bool progress = false;
        for (uint32_t c = 0; c < g && !progress; c++) { /* a chunk alone */
            uint32_t lo = (uint32_t)((uint64_t)*n * c / g), hi = (uint32_t)((uint64_t)*n * (c + 1) / g);
            if (hi <= lo)
                continue;
            memcpy(trial, who + lo, (size_t)(hi - lo) * sizeof(*who));
            if (fails(k, sc, trial, hi - lo)) {
                memcpy(who, trial, (size_t)(hi - lo) * sizeof(*who));
                *n = hi - lo;
                g = 2;
                progress = true;
            }
        }
        for (uint32_t c = 0; c < g && !progress && g > 2; c++) { /* all but a chunk */
            uint32_t lo = (uint32_t)((uint64_t)*n * c / g), hi = (uint32_t)((uint64_t)*n * (c + 1) / g);
            uint32_t m = 0;
            for (uint32_t i = 0; i < *n; i++)
                if (i < lo || i >= hi)
                    trial[m++] = who[i];
            if (m && m < *n && fails(k, sc, trial, m)) {
                memcpy(who, trial, (size_t)m * sizeof(*who));
                *n = m;
                g = g - 1 > 2 ? g - 1 : 2;
                progress = true;
            }
        }
        if (!progress) {
            if (g >= *n)
                break;
            g = g * 2 < *n ? g * 2 : *n;
        }
    }
    free(trial);
}

/* ---- 2. the dials ------------------------------------------------------------- */

static bool one_request(gp_scenario *sc, int arg)
{
    (void)arg;
    if (sc->clients.requests <= 1)
        return false;
    sc->clients.requests = 1;
    return true;
}

static bool rate_off(double *rate)
{
    if (*rate <= 0.0)
        return false;
    *rate = 0.0;
    return true;
}

static bool fault_off(gp_scenario *sc, int f)
{
    switch (f) {
    case 0:
        return rate_off(&sc->faults.accept_race);
    case 1:
        return rate_off(&sc->faults.slow_accept);
    case 2:
        return rate_off(&sc->faults.early_message);
    case 3:
        return rate_off(&sc->faults.no_auth);
    case 4:
        return rate_off(&sc->faults.agent_failure);
    case 5:
        return rate_off(&sc->network.drop_rate);
    case 6:
        return rate_off(&sc->network.duplicate_rate);
    case 7:
        return rate_off(&sc->network.reorder_rate);
    default:
        if (f >= 100 && f < 100 + GP_PHASE_COUNT)
            return rate_off(&sc->faults.disconnect[f - 100]);
        if (f >= 200 && f < 200 + GP_BAD_TOKEN_COUNT)
            return rate_off(&sc->faults.bad_token[f - 200]);
        if (f >= 300 && f < 300 + GP_BAD_INPUT_COUNT)
            return rate_off(&sc->faults.bad_input[f - 300]);
        if (f >= 400 && f < 400 + GP_EDGE_TOKEN_COUNT)
            return rate_off(&sc->faults.edge_token[f - 400]);
        return false;
    }
}

static bool fixed_latency(gp_scenario *sc, int arg)
{
    (void)arg;
    gp_scenario d;
    gp_scenario_defaults(&d);
    if (sc->network.latency == d.network.latency &&
        sc->network.latency_max_ms == sc->network.latency_min_ms)
        return false;
    sc->network.latency = d.network.latency; /* the default: fixed */
    sc->network.latency_max_ms = sc->network.latency_mean_ms = sc->network.latency_min_ms;
    return true;
}

static bool collapse(gp_range_ms *r)
{
    if (r->max_ms == r->min_ms)
        return false;
    r->max_ms = r->min_ms;
    return true;
}

static bool collapse_timings(gp_scenario *sc, int arg)
{
    switch (arg) {
    case 0:
        return collapse(&sc->server.think);
    case 1:
        return collapse(&sc->server.tool);
    case 2:
        return collapse(&sc->server.accept_delay);
    default:
        return collapse(&sc->clients.request_gap);
    }
}

static bool all_at_once(gp_scenario *sc, int arg)
{
    (void)arg;
    if (sc->clients.arrival == GP_ARRIVAL_ALL_AT_ONCE)
        return false;
    sc->clients.arrival = GP_ARRIVAL_ALL_AT_ONCE;
    sc->clients.window_ms = 0;
    return true;
}

static bool one_auth_way(gp_scenario *sc, int arg)
{
    double f = sc->clients.header_auth_fraction;
    if (f <= 0.0 || f >= 1.0) /* one way already */
        return false;
    sc->clients.header_auth_fraction = arg ? 1.0 : 0.0;
    return true;
}

static bool no_shared_users(gp_scenario *sc, int arg)
{
    (void)arg;
    if (!sc->clients.user_pool)
        return false;
    sc->clients.user_pool = 0;
    return true;
}

static bool bug_off(gp_scenario *sc, int b)
{
    if (!(sc->server.bugs & GP_BUG_BIT(b)))
        return false;
    sc->server.bugs &= ~GP_BUG_BIT(b);
    return true;
}

static const char *fault_name(int f)
{
    static const char *const names[] = {"faults.accept_race", "faults.slow_accept",
                                        "faults.early_message", "faults.no_auth",
                                        "faults.agent_failure", "network.drop_rate",
                                        "network.duplicate_rate", "network.reorder_rate"};
    static char buf[64];
    if (f >= 0 && f < 8)
        return names[f];
    if (f >= 100 && f < 100 + GP_PHASE_COUNT)
        snprintf(buf, sizeof(buf), "faults.disconnect.%s", gp_phase_name((gp_phase)(f - 100)));
    else if (f >= 200 && f < 300)
        snprintf(buf, sizeof(buf), "faults.bad_token.%s", gp_bad_token_name((gp_bad_token)(f - 200)));
    else if (f >= 300 && f < 400)
        snprintf(buf, sizeof(buf), "faults.bad_input.%s", gp_bad_input_name((gp_bad_input)(f - 300)));
    else
        snprintf(buf, sizeof(buf), "faults.edge_token.%s",
                 gp_edge_token_name((gp_edge_token)(f - 400)));
    return buf;
}

/* Tries each dial once; true when one was kept. */
static bool dials(shrinker *k, gp_scenario *sc, const uint32_t *who, uint32_t n)
{
    bool any = false;
    gp_scenario t;
    struct {
        const char *what;
        bool (*apply)(gp_scenario *, int);
        int arg;
    } list[96];
    int len = 0;
#define DIAL(w, f, a) list[len++] = (typeof(list[0])){w, f, a}
    DIAL("clients.requests_per_client: 1", one_request, 0);
    for (int f = 0; f < 8; f++)
        DIAL(NULL, fault_off, f);
    for (int p = 0; p < GP_PHASE_COUNT; p++)
        DIAL(NULL, fault_off, 100 + p);
    for (int b = 0; b < GP_BAD_TOKEN_COUNT; b++)
        DIAL(NULL, fault_off, 200 + b);
    for (int b = 0; b < GP_BAD_INPUT_COUNT; b++)
        DIAL(NULL, fault_off, 300 + b);
    for (int e = 0; e < GP_EDGE_TOKEN_COUNT; e++)
        DIAL(NULL, fault_off, 400 + e);
    for (int b = 0; b < GP_BUG_COUNT; b++)
        DIAL("bug off", bug_off, b);
    DIAL("network.latency: fixed at its minimum", fixed_latency, 0);
    DIAL("server.agent.think_ms: its minimum", collapse_timings, 0);
    DIAL("server.agent.tool_ms: its minimum", collapse_timings, 1);
    DIAL("server.accept_delay_ms: its minimum", collapse_timings, 2);
    DIAL("clients.request_gap_ms: its minimum", collapse_timings, 3);
    DIAL("clients.arrival: all at once", all_at_once, 0);
    DIAL("clients.header_auth_fraction: 0", one_auth_way, 0);
    DIAL("clients.header_auth_fraction: 1", one_auth_way, 1);
    DIAL("clients.user_pool: none", no_shared_users, 0);
#undef DIAL
    assert(len <= (int)(sizeof(list) / sizeof(list[0])));
    for (int d = 0; d < len && !out_of_time(k) && !k->nomem; d++) {
        t = *sc;
        if (!list[d].apply(&t, list[d].arg))
            continue;
        if (fails(k, &t, who, n)) {
            *sc = t;
            any = true;
            if (list[d].apply == fault_off)
                note(k, "%s: 0", fault_name(list[d].arg));
            else if (list[d].apply == bug_off)
                note(k, "server.bugs: %s off", gp_bug_name((gp_bug)list[d].arg));
            else
                note(k, "%s", list[d].what);
        }
    }
    /* the run's time limit, cut to a little after the failure */
    uint64_t cut = k->last_end_ms + 1000;
    if (cut < sc->limits.run_timeout_ms && !out_of_time(k)) {
        t = *sc;
        t.limits.run_timeout_ms = cut;
        if (fails(k, &t, who, n)) {
            *sc = t;
            note(k, "limits.run_timeout_ms: %llu", (unsigned long long)cut);
        }
    }
    return any;
}

/* ---- the whole ------------------------------------------------------------------ */

int gp_shrink_pick_target(const gp_scenario *sc, const gp_shrink_opts *o, char *target,
                          size_t target_len, char *err, size_t err_len)
{
    gp_run *run = calloc(1, sizeof(*run));
    if (!run || gp_run_init(run, sc) != GP_OK) {
        free(run);
        snprintf(err, err_len, "out of memory");
        return GP_ERR_NOMEM;
    }
    gp_sim_options so = {.trace_client = UINT32_MAX, .server_log_level = GP_LOG_WARNING,
                         .order = o ? o->order : 0, .pct_depth = o ? o->pct_depth : 0};
    int rc = gp_sim_run(run, &so, err, err_len);
    const char *pick = NULL;
    for (int k = 0; rc == GP_OK && !pick && k < GP_CHECK_COUNT; k++)
        if (k != GP_CHECK_FAULTS_NOT_FIRED && run->checks[k].verdict == GP_VERDICT_FAILED)
            pick = gp_check_name((gp_check)k);
    for (uint32_t e = 0; rc == GP_OK && !pick && e < run->expectations_len; e++)
        if (run->expectations[e].r.verdict == GP_VERDICT_FAILED)
            pick = run->expectations[e].name;
    for (int k = 0; rc == GP_OK && !pick && k < GP_CHECK_COUNT; k++)
        if (k != GP_CHECK_FAULTS_NOT_FIRED && run->checks[k].violated)
            pick = gp_check_name((gp_check)k);
    if (rc == GP_OK && !pick) {
        snprintf(err, err_len, "nothing fails in this run (seed %llu, %u clients): nothing to "
                               "shrink", (unsigned long long)sc->seed, run->n_clients);
        rc = GP_ERR_NOT_FOUND;
    }
    if (pick)
        snprintf(target, target_len, "%s", pick);
    gp_run_free(run);
    free(run);
    return rc;
}

int gp_shrink(const gp_scenario *sc, const char *target, const gp_shrink_opts *o,
              gp_shrink_result *r, char *err, size_t err_len)
{
    memset(r, 0, sizeof(*r));
    shrinker k = {.target = target, .o = o, .r = r};
    clock_gettime(CLOCK_MONOTONIC, &k.t0);
    gp_scenario cur = *sc;
    uint32_t n = sc->clients.only_len ? sc->clients.only_len : sc->clients.count;
    uint32_t *who = malloc((size_t)(n ? n : 1) * sizeof(*who));
    if (!who) {
        snprintf(err, err_len, "out of memory");
        return GP_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        who[i] = sc->clients.only_len ? sc->clients.only[i] : i;
    cur.clients.only_len = 0;
    r->clients_before = n;
    if (!fails(&k, &cur, who, n)) {
        free(who);
        snprintf(err, err_len, "%s is not violated in this run (seed %llu, %u clients): "
                               "nothing to shrink", target, (unsigned long long)sc->seed, n);
        return k.nomem ? GP_ERR_NOMEM : GP_ERR_NOT_FOUND;
    }
    for (int pass = 0; pass < 8 && !out_of_time(&k) && !k.nomem; pass++) {
        uint32_t before = n;
        ddmin(&k, &cur, who, &n);
        if (n < before)
            note(&k, "clients: %u of %u kept", n, before);
        bool changed = dials(&k, &cur, who, n);
        if (!changed && n == before)
            break;
    }
    if (k.nomem) {
        free(who);
        snprintf(err, err_len, "out of memory while shrinking");
        return GP_ERR_NOMEM;
    }
    r->minimal = cur;
    r->clients_after = n;
    if (n <= GP_ONLY_MAX) {
        memcpy(r->minimal.clients.only, who, (size_t)n * sizeof(*who));
        r->minimal.clients.only_len = n;
        r->minimal.clients.count = n;
    } else {
        note(&k, "more than %d clients left: the scenario keeps all %u", GP_ONLY_MAX,
             r->clients_before);
        r->minimal.clients.count = r->clients_before;
    }
    r->seconds = elapsed(&k);
    free(who);
    return GP_OK;
}
