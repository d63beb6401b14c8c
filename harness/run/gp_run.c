/* gp_run.c: a run's bookkeeping and its judgement -- the run checks of
 * DESIGN.md applied to what the clients saw and what the server reported. */
#include "gp_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

static const char *const fault_names[] = {
#define GP_FAULT_NAME(e, name) name,
    GP_FAULT_MAP(GP_FAULT_NAME)
#undef GP_FAULT_NAME
};

const char *gp_fault_name(gp_fault f)
{
    return f < GP_FAULT_COUNT ? fault_names[f] : "unknown";
}

double gp_fault_rate(const gp_scenario *sc, gp_fault f)
{
    switch (f) {
    case GP_FAULT_ACCEPT_RACE:
        return sc->faults.accept_race;
    case GP_FAULT_SLOW_ACCEPT:
        return sc->faults.slow_accept;
    case GP_FAULT_DISCONNECT_CONNECTING:
    case GP_FAULT_DISCONNECT_AUTHENTICATING:
    case GP_FAULT_DISCONNECT_READY:
    case GP_FAULT_DISCONNECT_PROCESSING:
        return sc->faults.disconnect[f - GP_FAULT_DISCONNECT_CONNECTING];
    case GP_FAULT_BAD_SIGNATURE:
    case GP_FAULT_EXPIRED:
    case GP_FAULT_ALG_NONE:
        return sc->faults.bad_token[f - GP_FAULT_BAD_SIGNATURE];
    case GP_FAULT_EARLY_MESSAGE:
        return sc->faults.early_message;
    case GP_FAULT_AGENT_FAILURE:
        return sc->faults.agent_failure;
    case GP_FAULT_NET_DROP:
        return sc->network.drop_rate;
    case GP_FAULT_NET_DUPLICATE:
        return sc->network.duplicate_rate;
    case GP_FAULT_NET_REORDER:
        return sc->network.reorder_rate;
    case GP_FAULT_COUNT:
        break;
    }
    return 0.0;
}

const char *gp_latency_kind_name(gp_latency_kind k)
{
    static const char *const names[] = {"connect", "ready", "first_event", "completed"};
    return k < GP_LAT_COUNT ? names[k] : "unknown";
}

int gp_run_init(gp_run *run, const gp_scenario *sc)
{
    memset(run, 0, sizeof(*run));
    run->sc = *sc;
    run->n_clients = sc->clients.count;
    run->clients = calloc(run->n_clients, sizeof(*run->clients));
    run->flags = calloc(run->n_clients, 1);
    if (!run->clients || !run->flags) {
        gp_run_free(run);
        return GP_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < run->n_clients; i++)
        gp_vclient_init(&run->clients[i], &run->sc, i);
    return GP_OK;
}

void gp_run_free(gp_run *run)
{
    free(run->clients);
    free(run->flags);
    free(run->timeline);
    run->clients = NULL;
    run->flags = NULL;
    run->timeline = NULL;
}

int gp_run_add_row(gp_run *run, const gp_timeline_row *row)
{
    if (run->timeline_len == run->timeline_cap) {
        size_t cap = run->timeline_cap ? run->timeline_cap * 2 : 256;
        gp_timeline_row *grown = realloc(run->timeline, cap * sizeof(*grown));
        if (!grown)
            return GP_ERR_NOMEM;
        run->timeline = grown;
        run->timeline_cap = cap;
    }
    run->timeline[run->timeline_len++] = *row;
    return GP_OK;
}

void gp_run_fault(gp_run *run, gp_fault f, gp_state state)
{
    run->ledger.fired[f]++;
    run->ledger.by_state[f][state > GP_STATE_COUNT ? GP_STATE_COUNT : state]++;
}

void gp_run_replay_command(const gp_run *run, uint32_t client, char *out,
                           size_t out_len)
{
    snprintf(out, out_len, "goldpath run %s --mode %s --seed %llu --clients %u%s --trace-client %u",
             run->scenario_arg[0] ? run->scenario_arg : run->sc.path,
             run->mode ? run->mode : "sim", (unsigned long long)run->sc.seed,
             run->n_clients, run->overrides, client);
}

/* ---- percentiles ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double rank(const uint64_t *v, size_t n, double p)
{
    /* nearest rank: the smallest value with at least p of the data at or below */
    size_t r = (size_t)(p * (double)n + 0.999999);
    if (r == 0)
        r = 1;
    if (r > n)
        r = n;
    return (double)v[r - 1];
}

static void percentiles(gp_run *run)
{
    uint64_t *v = malloc((size_t)run->n_clients * sizeof(*v) + 1);
    if (!v)
        return;
    for (int k = 0; k < GP_LAT_COUNT; k++) {
        size_t n = 0;
        for (uint32_t i = 0; i < run->n_clients; i++) {
            const gp_vclient *c = &run->clients[i];
            uint64_t from = k == GP_LAT_FIRST_EVENT ? c->t_request0 : c->t_start;
            uint64_t to = k == GP_LAT_CONNECT     ? c->t_open
                          : k == GP_LAT_READY     ? c->t_ready
                          : k == GP_LAT_FIRST_EVENT ? c->t_first_event
                          : (c->outcome == GP_VC_COMPLETED ? c->t_done : 0);
            if (to && to >= from && (k != GP_LAT_FIRST_EVENT || from))
                v[n++] = to - from;
        }
        gp_percentiles *p = &run->latency[k];
        *p = (gp_percentiles){.n = n};
        if (n == 0)
            continue;
        qsort(v, n, sizeof(*v), cmp_u64);
        p->p50 = rank(v, n, 0.50);
        p->p90 = rank(v, n, 0.90);
        p->p99 = rank(v, n, 0.99);
        p->max = (double)v[n - 1];
    }
    free(v);
}

/* ---- checks --------------------------------------------------------------- */

static void flag_client(gp_check_result *r, uint32_t client)
{
    if (r->examples_len < 5)
        r->examples[r->examples_len++] = client;
    r->count++;
}

static void judge_clients(gp_run *run)
{
    const gp_vc_shared sh = {.sc = &run->sc};
    for (uint32_t i = 0; i < run->n_clients; i++) {
        gp_vclient *c = &run->clients[i];
        gp_vclient_finish(&sh, c);
        run->outcome[c->outcome]++;
        if (gp_vclient_expects_completion(c) && c->outcome != GP_VC_RESET)
            run->expected_to_complete++;
        for (int k = 0; k < GP_CHECK_COUNT; k++)
            if (c->violations & (1u << k))
                flag_client(&run->checks[k], i);
        uint8_t f = run->flags[i];
        if (f & GP_CF_STUCK)
            flag_client(&run->checks[GP_CHECK_STUCK_CONNECTIONS], i);
        if (f & GP_CF_INVALID)
            flag_client(&run->checks[GP_CHECK_INVALID_TRANSITIONS], i);
        if (f & GP_CF_MISMATCH)
            flag_client(&run->checks[GP_CHECK_ID_MISMATCHES], i);
    }
}

static void set_detail(gp_check_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_detail(gp_check_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
}

/* The server's figures against what the clients saw. */
static void judge_health(gp_run *run)
{
    gp_check_result *r = &run->checks[GP_CHECK_HEALTH_DISAGREES];
    if (!run->health_known) {
        r->applies = false;
        set_detail(r, "the server's health figures could not be read");
        return;
    }
    const gp_health *h = &run->health;
    uint64_t opened = 0;
    for (uint32_t i = 0; i < run->n_clients; i++)
        opened += (run->flags[i] & GP_CF_OPENED) != 0;
    uint64_t answered = 0;
    for (uint32_t i = 0; i < run->n_clients; i++)
        for (unsigned k = 0; k < run->clients[i].requests_sent; k++)
            answered += run->clients[i].next_step[k] >= 5;
    /* A client that left before connection_ready reached it may have been
     * made ready by the server all the same: the server's count may exceed
     * the clients' by at most those. */
    uint64_t left_early = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        left_early += c->t_ready == 0 && c->outcome != GP_VC_COMPLETED;
    }
    bool exact = run->duplicates_delivered == 0 && run->resets == 0;
    const char *what = NULL;
    if (h->active_connections != 0)
        what = "active_connections is not 0 after every client left";
    else if (opened && h->connections_total != opened)
        what = "connections_total differs from the connections the clients opened";
    else if (h->connections_ready_total < run->ready ||
             h->connections_ready_total > run->ready + left_early)
        what = "connections_ready differs from the clients that got connection_ready";
    else if (exact && h->requests_completed_total + h->requests_failed_total < answered)
        what = "fewer requests answered by the server than the clients saw answered";
    else if (h->transitions_attempted != h->transitions.attempted ||
             h->transitions_failed != run->health.transitions.failed)
        what = "the transition counters do not add up";
    if (what) {
        r->count = 1;
        set_detail(r, "%s (server: ready %llu, completed %llu; clients: ready %llu, answered %llu)",
                   what, (unsigned long long)h->connections_ready_total,
                   (unsigned long long)h->requests_completed_total,
                   (unsigned long long)run->ready, (unsigned long long)answered);
    } else {
        set_detail(r, "server and clients agree: %llu opened, %llu ready, %llu requests answered",
                   (unsigned long long)h->connections_total,
                   (unsigned long long)h->connections_ready_total,
                   (unsigned long long)(h->requests_completed_total + h->requests_failed_total));
    }
}

void gp_run_judge(gp_run *run)
{
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        run->checks[k] = (gp_check_result){.applies = true};
    memset(run->outcome, 0, sizeof(run->outcome));
    run->expected_to_complete = 0;
    judge_clients(run);
    percentiles(run);
    const gp_health *h = &run->health;

    /* run-level figures that complete the per-client ones */
    gp_check_result *r = &run->checks[GP_CHECK_STUCK_CONNECTIONS];
    if (run->health_known && h->stuck_detected_total > r->count)
        r->count = h->stuck_detected_total;
    set_detail(r, "%llu connections reported stuck (threshold %u ms)",
               (unsigned long long)r->count, run->sc.server.stuck_after_ms);
    r = &run->checks[GP_CHECK_INVALID_TRANSITIONS];
    if (run->health_known && h->transitions_failed > r->count)
        r->count = h->transitions_failed;
    set_detail(r, "%llu illegal lifecycle steps attempted", (unsigned long long)r->count);
    r = &run->checks[GP_CHECK_ID_MISMATCHES];
    if (run->health_known && h->connection_id_mismatches > r->count)
        r->count = h->connection_id_mismatches;
    set_detail(r, "%llu connection id mismatches", (unsigned long long)r->count);

    r = &run->checks[GP_CHECK_TRANSITION_SUCCESS_RATE];
    double rate = run->health_known ? h->state_transition_success_rate : 1.0;
    r->applies = run->health_known;
    r->count = rate < run->sc.expect.min_transition_success_rate;
    set_detail(r, "%.6f (threshold %.6f)", rate, run->sc.expect.min_transition_success_rate);

    r = &run->checks[GP_CHECK_COMPLETION_RATE];
    double completion = run->expected_to_complete
                            ? (double)run->completed / (double)run->expected_to_complete
                            : 1.0;
    r->count = completion < run->sc.expect.min_completion_rate;
    set_detail(r, "%.6f of %llu clients expected to complete (threshold %.6f)", completion,
               (unsigned long long)run->expected_to_complete, run->sc.expect.min_completion_rate);

    r = &run->checks[GP_CHECK_REGISTRY_NOT_EMPTY];
    r->applies = run->health_known;
    r->count = run->registry_left;
    set_detail(r, "%llu registry entries left", (unsigned long long)run->registry_left);

    judge_health(run);

    r = &run->checks[GP_CHECK_FAULTS_NOT_FIRED];
    char missing[200] = "";
    for (int f = 0; f < GP_FAULT_COUNT; f++) {
        if (gp_fault_rate(&run->sc, (gp_fault)f) > 0.0 && run->ledger.fired[f] == 0) {
            r->count++;
            size_t len = strlen(missing);
            snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "",
                     gp_fault_name((gp_fault)f));
        }
    }
    if (r->count)
        set_detail(r, "configured but never fired: %s", missing);
    else
        set_detail(r, "every configured fault fired");

    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        r = &run->checks[k];
        if (!r->detail[0])
            set_detail(r, "%llu clients", (unsigned long long)r->count);
        r->passed = !r->applies || r->count == 0;
    }
    run->passed = true;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        run->passed &= run->checks[k].passed;
    run->expected_violations_found = run->sc.expect.violations_len > 0;
    for (uint32_t v = 0; v < run->sc.expect.violations_len; v++) {
        gp_check c = gp_check_parse(run->sc.expect.violations[v]);
        if (c == GP_CHECK_COUNT || run->checks[c].passed)
            run->expected_violations_found = false;
    }
}
