/* gp_check_health.c: the server's own figures (the same as its /health)
 * against what the harness observed, in both directions.  In simulation the
 * driver sees every message the server sends and every step it takes, so
 * every figure must be equal; live, the clients see what reached them and the
 * server's log every step, so the message figures have a tolerance of what
 * clients that left early may not have seen, and the rest are exact. */
#include <stdio.h>
#include <string.h>

#include "gp_checks_int.h"

typedef struct compare {
    char out[300];
    size_t len;
    unsigned wrong, judged;
    const char *only; /* run->health_only: the figures known ("" all) */
} compare;

/* Server figure `got` must lie in [lo, hi]. */
static void want(compare *c, const char *name, uint64_t got, uint64_t lo, uint64_t hi)
{
    if (c->only && c->only[0]) { /* a server that offers only some figures */
        char key[96];
        snprintf(key, sizeof(key), ",%s,", name);
        if (!strstr(c->only, key))
            return;
    }
    c->judged++;
    if (got >= lo && got <= hi)
        return;
    c->wrong++;
    if (c->len >= sizeof(c->out) - 1)
        return;
    int n = lo == hi
                ? snprintf(c->out + c->len, sizeof(c->out) - c->len, "%s%s %llu, observed %llu",
                           c->len ? "; " : "", name, (unsigned long long)got,
                           (unsigned long long)lo)
                : snprintf(c->out + c->len, sizeof(c->out) - c->len,
                           "%s%s %llu, observed %llu to %llu", c->len ? "; " : "", name,
                           (unsigned long long)got, (unsigned long long)lo,
                           (unsigned long long)hi);
    if (n > 0)
        c->len += (size_t)n;
}

static void lifecycle(compare *c, const gp_run *run)
{
    const gp_health *h = &run->health;
    const gp_judge *j = &run->judge;
    want(c, "transitions_attempted", h->transitions_attempted, j->attempted, j->attempted);
    want(c, "transitions_failed", h->transitions_failed, j->refused, j->refused);
    want(c, "transitions succeeded", h->transitions.succeeded, j->applied, j->applied);
    /* per-pair figures when the server gives them (goldpath-server's
     * /metrics; the simulator's core always) */
    uint64_t pair_sum = 0;
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            pair_sum += h->transitions.pair_attempted[f][t];
    bool pairs = pair_sum != 0 || h->transitions_attempted == 0;
    for (int f = 0; f < GP_STATE_COUNT && pairs; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            if (h->transitions.pair_attempted[f][t] != j->pair_attempted[f][t] ||
                h->transitions.pair_failed[f][t] != j->pair_refused[f][t]) {
                char name[96];
                snprintf(name, sizeof(name), "steps %s -> %s", gp_state_name((gp_state)f),
                         gp_state_name((gp_state)t));
                want(c, name, h->transitions.pair_attempted[f][t], j->pair_attempted[f][t],
                     j->pair_attempted[f][t]);
                pairs = false;
                break;
            }
    if (run->end_ms < 24ull * 3600 * 1000)
        want(c, "invalid_state_transitions_24h", h->invalid_state_transitions_24h, j->refused,
             j->refused);
    want(c, "connection_id_mismatches", h->connection_id_mismatches, j->mismatched,
         j->mismatched);
    want(c, "stuck_detected", h->stuck_detected_total, j->stuck_certain,
         j->stuck_certain + j->stuck_edge);
    want(c, "connections", h->connections_total, j->opened, j->opened);
}

/* Clients that left before their exchange was over: what the server sent
 * them may not have reached them. */
static uint64_t left_early(const gp_run *run)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < run->n_clients; i++)
        n += run->clients[i].outcome != GP_VC_COMPLETED;
    return n;
}

static void messages(compare *c, const gp_run *run)
{
    const gp_health *h = &run->health;
    const gp_wire *w = &run->wire;
    /* live: at most a connection_ready, the events of every request and an
     * error or two for each client that left early */
    uint64_t slack = w->complete ? 0 : left_early(run) * (2 + 6 * (uint64_t)run->sc.clients.requests);
    uint64_t events = 0;
    for (int t = GP_MSG_AGENT_STARTED; t <= GP_MSG_AGENT_COMPLETED; t++)
        events += w->sent[t];
    want(c, "connections_ready", h->connections_ready_total, w->sent[GP_MSG_CONNECTION_READY],
         w->sent[GP_MSG_CONNECTION_READY] + (w->complete ? 0 : left_early(run)));
    want(c, "requests_completed", h->requests_completed_total, w->sent[GP_MSG_AGENT_COMPLETED],
         w->sent[GP_MSG_AGENT_COMPLETED] + slack);
    want(c, "requests_failed", h->requests_failed_total, w->errors[GP_PROTO_AGENT_FAILED],
         w->errors[GP_PROTO_AGENT_FAILED] + slack);
    want(c, "agent_events_sent", h->events_sent_total, events, events + slack);
    want(c, "messages_sent", h->messages_sent_total, w->sent_total, w->sent_total + slack);
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++) {
        char name[64];
        snprintf(name, sizeof(name), "errors_sent %s", gp_proto_error_name((gp_proto_error)e));
        want(c, name, h->errors_sent_total[e], w->errors[e], w->errors[e] + slack);
    }
    /* refused for their token: AUTH_REQUIRED is not an auth failure
     * (docs/protocol.md) */
    want(c, "auth_failures", h->auth_failures_total, w->errors[GP_PROTO_AUTH_FAILED],
         w->errors[GP_PROTO_AUTH_FAILED] + slack);
    /* every request run starts with agent_started at once; those refused
     * (NOT_READY, duplicates, over the limit) are not requests run */
    want(c, "requests", h->requests_total, w->sent[GP_MSG_AGENT_STARTED],
         w->sent[GP_MSG_AGENT_STARTED] + slack);
    if (w->complete) {
        want(c, "messages_received", h->messages_received_total, w->received_total,
             w->received_total);
        want(c, "auth_timeouts", h->auth_timeouts_total, w->closes_auth_timeout,
             w->closes_auth_timeout);
    }
}

void gp_check_health(const gp_run *run, gp_check_result *r)
{
    compare c = {.len = 0, .only = run->health_only};
    const gp_health *h = &run->health;
    /* gauges: nothing open, nothing registered, nothing stuck at the end */
    want(&c, "active_connections", h->active_connections, 0, 0);
    want(&c, "registry_size", h->registry_size, run->registry_left, run->registry_left);
    for (int s = GP_STATE_CONNECTING; s <= GP_STATE_PROCESSING_READY; s++) {
        char name[64];
        snprintf(name, sizeof(name), "by_state %s", gp_state_name((gp_state)s));
        want(&c, name, h->by_state[s], 0, 0);
    }
    want(&c, "stuck_in_connecting", h->stuck_in_connecting, 0, 0);
    if (run->evidence & GP_EV_LIFECYCLE) {
        want(&c, "registry_size (machines the judge saw live)", h->registry_size,
             run->judge.live_machines, run->judge.live_machines);
        lifecycle(&c, run);
    }
    if (run->wire.complete || !(run->evidence & GP_EV_LIFECYCLE))
        want(&c, "connections", h->connections_total, run->wire.opens,
             run->wire.complete ? run->wire.opens : run->wire.opens + left_early(run));
    messages(&c, run);
    if (run->health_conflict[0]) {
        c.wrong++;
        if (c.len < sizeof(c.out) - 1)
            c.len += (size_t)snprintf(c.out + c.len, sizeof(c.out) - c.len, "%s%s",
                                      c.len ? "; " : "", run->health_conflict);
    }
    r->count = c.wrong;
    if (c.judged == 0) { /* nothing the server offers could be compared */
        r->nothing_asked = true;
        gp_check_evidence(r, "none");
        gp_check_detail(r, "none of the server's figures is offered (map them in the profile's "
                           "metrics.map)");
        return;
    }
    gp_check_evidence(r, run->wire.complete ? "every message and step the server made"
                                            : "what the clients received and the server's log");
    if (c.wrong)
        gp_check_detail(r, "%u figures disagree: %s", c.wrong, c.out);
    else
        gp_check_detail(r, "the server's figures equal the observed ones: %llu connections, "
                           "%llu ready, %llu steps, %llu requests answered",
                        (unsigned long long)h->connections_total,
                        (unsigned long long)h->connections_ready_total,
                        (unsigned long long)h->transitions_attempted,
                        (unsigned long long)(h->requests_completed_total +
                                             h->requests_failed_total));
}
