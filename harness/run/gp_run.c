/* gp_run.c: a run's bookkeeping -- the per-client arrays, the fault table and
 * ledger, latency samples, the timeline, replay commands and traces. */
#include "gp_run.h"
#include "gp_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

typedef struct fault_def {
    const char *name, *field;
    gp_fault_side side;
} fault_def;

static const fault_def faults[GP_FAULT_COUNT] = {
#define GP_FAULT_DEF(e, name, field, side) {name, field, side},
    GP_FAULT_MAP(GP_FAULT_DEF)
#undef GP_FAULT_DEF
};

const char *gp_fault_name(gp_fault f)
{
    return f < GP_FAULT_COUNT ? faults[f].name : "unknown";
}

const char *gp_fault_field(gp_fault f)
{
    return f < GP_FAULT_COUNT ? faults[f].field : "unknown";
}

gp_fault_side gp_fault_side_of(gp_fault f)
{
    return f < GP_FAULT_COUNT ? faults[f].side : GP_FAULT_BY_CLIENTS;
}

const char *gp_fault_side_name(gp_fault_side s)
{
    static const char *const names[] = {"clients", "network", "accept", "server"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
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
    case GP_FAULT_NO_SIGNATURE:
    case GP_FAULT_TRUNCATED:
    case GP_FAULT_ALG_OTHER:
    case GP_FAULT_BAD_SUB:
    case GP_FAULT_NOT_YET_VALID:
    case GP_FAULT_MALFORMED:
    case GP_FAULT_EXPIRES_NOW:
    case GP_FAULT_SUB_TOO_LONG:
        return sc->faults.bad_token[f - GP_FAULT_BAD_SIGNATURE];
    case GP_FAULT_EDGE_NBF_NOW:
    case GP_FAULT_EDGE_LONGEST_SUB:
        return sc->faults.edge_token[f - GP_FAULT_EDGE_NBF_NOW];
    case GP_FAULT_NO_AUTH:
        return sc->faults.no_auth;
    case GP_FAULT_BI_NOT_JSON:
    case GP_FAULT_BI_UNKNOWN_TYPE:
    case GP_FAULT_BI_WRONG_FIELD:
    case GP_FAULT_BI_EARLY_GARBAGE:
    case GP_FAULT_BI_EARLY_PING:
    case GP_FAULT_BI_PING:
    case GP_FAULT_BI_SECOND_AUTH:
    case GP_FAULT_BI_SECOND_BAD_AUTH:
    case GP_FAULT_BI_BINARY:
    case GP_FAULT_BI_OVERSIZE:
    case GP_FAULT_BI_AT_LIMIT:
    case GP_FAULT_BI_PIPELINED:
        return sc->faults.bad_input[f - GP_FAULT_BI_NOT_JSON];
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

const char *gp_verdict_name(gp_verdict v)
{
    static const char *const names[] = {"passed", "failed", "caught", "missed", "unjudged",
                                        "not_offered"};
    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

bool gp_verdict_ok(gp_verdict v)
{
    return v == GP_VERDICT_PASSED || v == GP_VERDICT_CAUGHT || v == GP_VERDICT_NOT_OFFERED;
}

const char *gp_latency_kind_name(gp_latency_kind k)
{
    static const char *const names[] = {"connect", "ready", "first_event", "completed"};
    return k < GP_LAT_COUNT ? names[k] : "unknown";
}

int gp_run_init(gp_run *run, const gp_scenario *sc)
{
    if (sc->clients.only_len)
        return gp_run_init_subset(run, sc, sc->clients.only, sc->clients.only_len);
    return gp_run_init_subset(run, sc, NULL, sc->clients.count);
}

int gp_run_init_subset(gp_run *run, const gp_scenario *sc, const uint32_t *who, uint32_t n)
{
    memset(run, 0, sizeof(*run));
    run->sc = *sc;
    run->n_clients = n;
    run->pending = run->n_clients;
    run->trace_client = UINT32_MAX;
    run->clients = calloc(run->n_clients, sizeof(*run->clients));
    if (!run->clients || gp_judge_init(&run->judge, run->n_clients, sc->server.stuck_after_ms) ||
        gp_logsig_init(&run->logsig, run->n_clients)) {
        gp_run_free(run);
        return GP_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < run->n_clients; i++)
        gp_vclient_init(&run->clients[i], &run->sc, i, who ? who[i] : i);
    return GP_OK;
}

void gp_run_free(gp_run *run)
{
    free(run->clients);
    free(run->timeline);
    for (int k = 0; k < GP_LAT_COUNT; k++)
        free(run->samples[k].v);
    gp_judge_free(&run->judge);
    gp_logsig_free(&run->logsig);
    free(run->deferred);
    run->deferred = NULL;
    run->deferred_len = run->deferred_cap = run->deferred_next = 0;
    run->clients = NULL;
    run->timeline = NULL;
    memset(run->samples, 0, sizeof(run->samples));
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
    gp_events_bucket(run, row);
    return GP_OK;
}

void gp_run_fault_fired(gp_run *run, gp_fault f)
{
    run->ledger.fired[f]++;
}

void gp_run_fault_state(gp_run *run, gp_fault f, gp_state state)
{
    run->ledger.by_state[f][state > GP_STATE_COUNT ? GP_STATE_COUNT : state]++;
}

void gp_run_fault(gp_run *run, gp_fault f, gp_state state)
{
    gp_run_fault_fired(run, f);
    gp_run_fault_state(run, f, state);
}

void gp_run_latency(gp_run *run, gp_latency_kind k, uint64_t ms)
{
    gp_latency_samples *s = &run->samples[k];
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint32_t *grown = realloc(s->v, cap * sizeof(*grown));
        if (!grown)
            return; /* the percentiles then miss a sample; nothing else does */
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->len++] = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

void gp_run_replay_command(const gp_run *run, uint32_t client, char *out,
                           size_t out_len)
{
    snprintf(out, out_len, "goldpath run %s --mode %s --seed %llu --clients %u%s --trace-client %u",
             run->scenario_arg[0] ? run->scenario_arg : run->sc.path,
             run->mode ? run->mode : "sim", (unsigned long long)run->sc.seed,
             run->n_clients, run->overrides, client);
}

void gp_run_tracef(const gp_run *run, uint32_t client, const char *fmt, ...)
{
    if (client != run->trace_client || !run->trace)
        return;
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    run->trace(run->trace_ctx, line);
}
