/* gp_sim_health.c: the server's figures judged as a client of the server
 * would read them.  At every time bucket (for runs of up to
 * RENDER_CLIENTS_MAX clients; at the end of every run):
 *   - each gauge of gp_server_health (open connections, the registry,
 *     connections per state, the connections stuck now) against what the
 *     simulator holds open and the lifecycle judge's model;
 *   - /health's JSON and /metrics' text, rendered by the core as the server
 *     serves them, read back field by field: every figure of the struct must
 *     be there, with its value, in both pages.
 * A disagreement is kept in run->health_conflict (the first one: it is the
 * story) and fails health_disagrees. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_error.h"
#include "gp_prom.h"
#include "gp_registry.h"
#include "gp_sim_int.h"

#define RENDER_CLIENTS_MAX 50000

static void conflict(gp_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conflict(gp_sim *s, const char *fmt, ...)
{
    gp_run *run = s->run;
    if (run->health_conflict[0])
        return;
    int n = snprintf(run->health_conflict, sizeof(run->health_conflict), "at %llu ms ",
                     (unsigned long long)s->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->health_conflict + n, sizeof(run->health_conflict) - (size_t)n, fmt, ap);
    va_end(ap);
}

static void want(gp_sim *s, const char *what, uint64_t got, uint64_t observed)
{
    if (got != observed)
        conflict(s, "%s was %llu, observed %llu", what, (unsigned long long)got,
                 (unsigned long long)observed);
}

/* /health's JSON, read back. */
static void check_json(gp_sim *s, const gp_health *h)
{
    char *text = gp_health_to_json(h);
    if (!text) {
        s->nomem = true;
        return;
    }
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    json_t *ws = json_object_get(root, "websocket");
    json_t *by_state = json_object_get(ws, "by_state");
    if (!json_is_object(ws) || !json_is_object(by_state)) {
        conflict(s, "/health has no websocket.by_state object");
        json_decref(root);
        return;
    }
    struct {
        const char *key;
        uint64_t value;
    } fields[] = {
        {"active_connections", h->active_connections},
        {"stuck_in_connecting", h->stuck_in_connecting},
        {"transitions_attempted", h->transitions_attempted},
        {"transitions_failed", h->transitions_failed},
        {"invalid_state_transitions_24h", h->invalid_state_transitions_24h},
        {"connection_id_mismatches", h->connection_id_mismatches},
    };
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        json_t *v = json_object_get(ws, fields[k].key);
        if (!json_is_integer(v) || (uint64_t)json_integer_value(v) != fields[k].value)
            conflict(s, "/health websocket.%s is %s, the server's figure %llu", fields[k].key,
                     v ? "another value" : "missing", (unsigned long long)fields[k].value);
    }
    for (int st = GP_STATE_CONNECTING; st <= GP_STATE_PROCESSING_READY; st++) {
        json_t *v = json_object_get(by_state, gp_state_name((gp_state)st));
        if (!json_is_integer(v) || (uint64_t)json_integer_value(v) != h->by_state[st])
            conflict(s, "/health by_state.%s is %s, the server's figure %llu",
                     gp_state_name((gp_state)st), v ? "another value" : "missing",
                     (unsigned long long)h->by_state[st]);
    }
    json_t *rate = json_object_get(ws, "state_transition_success_rate");
    if (!json_is_number(rate))
        conflict(s, "/health websocket.state_transition_success_rate is missing");
    json_decref(root);
}

/* /metrics' text, read back with a Prometheus parser. */
static void check_metrics(gp_sim *s, const gp_health *h)
{
    char *text = gp_health_to_prometheus(h);
    if (!text) {
        s->nomem = true;
        return;
    }
    gp_prom *p = NULL;
    char err[256];
    if (gp_prom_parse(text, strlen(text), &p, err, sizeof(err)) != GP_OK) {
        conflict(s, "/metrics does not parse: %s", err);
        free(text);
        return;
    }
    free(text);
    struct {
        const char *expr;
        uint64_t value;
    } fields[] = {
        {"goldpath_active_connections", h->active_connections},
        {"goldpath_stuck_in_connecting", h->stuck_in_connecting},
        {"goldpath_transitions_attempted_total", h->transitions_attempted},
        {"goldpath_transitions_failed_total", h->transitions_failed},
        {"goldpath_connections_total", h->connections_total},
        {"goldpath_connections_ready_total", h->connections_ready_total},
        {"goldpath_requests_total", h->requests_total},
        {"goldpath_requests_completed_total", h->requests_completed_total},
        {"goldpath_requests_failed_total", h->requests_failed_total},
        {"goldpath_connection_id_mismatches_total", h->connection_id_mismatches},
    };
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        double v = 0;
        if (gp_prom_eval(p, fields[k].expr, &v, err, sizeof(err)) != GP_OK ||
            (uint64_t)(v + 0.5) != fields[k].value)
            conflict(s, "/metrics %s is %s, the server's figure %llu", fields[k].expr,
                     v == 0 && strstr(err, "no ") ? "missing" : "another value",
                     (unsigned long long)fields[k].value);
    }
    for (int st = GP_STATE_CONNECTING; st <= GP_STATE_PROCESSING_READY; st++) {
        char expr[96];
        double v = 0;
        snprintf(expr, sizeof(expr), "goldpath_connections_by_state{state=\"%s\"}",
                 gp_state_name((gp_state)st));
        if (gp_prom_eval(p, expr, &v, err, sizeof(err)) != GP_OK ||
            (uint64_t)(v + 0.5) != h->by_state[st])
            conflict(s, "/metrics %s is not the server's figure %llu", expr,
                     (unsigned long long)h->by_state[st]);
    }
    gp_prom_free(p);
}

void gp_sim_check_figures(gp_sim *s, bool at_end)
{
    gp_run *run = s->run;
    if (run->health_conflict[0] || (!at_end && run->n_clients > RENDER_CLIENTS_MAX))
        return;
    gp_health h;
    gp_server_health(s->srv, &h);
    const gp_judge *j = &run->judge;
    want(s, "active_connections", h.active_connections, s->open_links);
    want(s, "registry_size", h.registry_size, j->live_machines);
    for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++) {
        char what[64];
        snprintf(what, sizeof(what), "by_state %s", gp_state_name((gp_state)st));
        want(s, what, h.by_state[st], j->by_state[st]);
    }
    want(s, "stuck_in_connecting (connections short of ready past the threshold now)",
         h.stuck_in_connecting, gp_judge_stuck_now(j, s->now));
    check_json(s, &h);
    check_metrics(s, &h);
}
