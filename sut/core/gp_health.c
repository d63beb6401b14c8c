/* gp_health.c: the server's figures -- the snapshot behind /health and
 * /metrics, and their two renderings (JSON of PROTOCOL.md, Prometheus text). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_json.h"

#include "gp_server_int.h"

void gp_server_health(const gp_server *srv, gp_health *out)
{
    uint64_t now = srv->env->now_ms(srv->env->ctx);
    *out = srv->counters;
    out->shutting_down = srv->shutting_down;
    /* the gauges from the one place that makes them, so that what a driver
     * samples during a run is what /health says */
    gp_server_gauges g;
    gp_server_gauges_get(srv, &g);
    out->active_connections = g.active_connections;
    out->registry_size = g.registry_size;
    out->registry_known = true;
    memcpy(out->by_state, g.by_state, sizeof(out->by_state));
    out->stuck_in_connecting =
        gp_registry_scan_stuck(srv->reg, now, srv->cfg.stuck_after_ms, NULL, NULL);
    out->transitions = srv->stats;
    out->transitions_attempted = srv->stats.attempted;
    out->transitions_failed = srv->stats.failed;
    out->state_transition_success_rate = gp_transition_success_rate(&srv->stats);
    uint64_t hour = now / 3600000ULL;
    out->invalid_state_transitions_24h = 0;
    for (int i = 0; i < GP_INVALID_WINDOW_HOURS; i++)
        if (srv->invalid_count[i] && hour - srv->invalid_hour[i] < GP_INVALID_WINDOW_HOURS)
            out->invalid_state_transitions_24h += srv->invalid_count[i];
}

void gp_server_gauges_get(const gp_server *srv, gp_server_gauges *out)
{
    out->active_connections = srv->live;
    out->registry_size = gp_registry_count(srv->reg);
    for (int s = 0; s < GP_STATE_COUNT; s++)
        out->by_state[s] = gp_registry_count_state(srv->reg, (gp_state)s);
}

void gp_server_tally_get(const gp_server *srv, gp_server_tally *out)
{
    *out = (gp_server_tally){
        .stuck_detected = srv->counters.stuck_detected_total,
        .transitions_attempted = srv->stats.attempted,
        .transitions_succeeded = srv->stats.succeeded,
        .transitions_failed = srv->stats.failed,
        .id_mismatches = srv->counters.connection_id_mismatches,
        .requests_failed = srv->counters.requests_failed_total,
    };
}

char *gp_health_to_json(const gp_health *h)
{
    json_t *by_state = json_object();
    json_t *errors = json_object();
    if (!by_state || !errors) {
        json_decref(by_state);
        json_decref(errors);
        return NULL;
    }
    for (int s = GP_STATE_CONNECTING; s <= GP_STATE_PROCESSING_READY; s++)
        json_object_set_new(by_state, gp_state_name((gp_state)s),
                            json_integer((json_int_t)h->by_state[s]));
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        json_object_set_new(errors, gp_proto_error_name((gp_proto_error)e),
                            json_integer((json_int_t)h->errors_sent_total[e]));
    json_t *root = json_pack(
        "{s:s, s:{s:I, s:I, s:o, s:I, s:f, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}}",
        "status", h->shutting_down ? "shutting_down" : "ok",
        "websocket",
        "active_connections", (json_int_t)h->active_connections,
        "registry_size", (json_int_t)h->registry_size,
        "by_state", by_state,
        "stuck_in_connecting", (json_int_t)h->stuck_in_connecting,
        "state_transition_success_rate", h->state_transition_success_rate,
        "transitions_attempted", (json_int_t)h->transitions_attempted,
        "transitions_failed", (json_int_t)h->transitions_failed,
        "invalid_state_transitions_24h", (json_int_t)h->invalid_state_transitions_24h,
        "connection_id_mismatches", (json_int_t)h->connection_id_mismatches,
        "totals",
        "connections", (json_int_t)h->connections_total,
        "connections_ready", (json_int_t)h->connections_ready_total,
        "stuck_detected", (json_int_t)h->stuck_detected_total,
        "auth_failures", (json_int_t)h->auth_failures_total,
        "auth_timeouts", (json_int_t)h->auth_timeouts_total,
        "requests", (json_int_t)h->requests_total,
        "requests_completed", (json_int_t)h->requests_completed_total,
        "requests_failed", (json_int_t)h->requests_failed_total,
        "agent_events_sent", (json_int_t)h->events_sent_total,
        "messages_received", (json_int_t)h->messages_received_total,
        "messages_sent", (json_int_t)h->messages_sent_total,
        "errors_sent", errors);
    if (!root)
        return NULL;
    char *text = gp_json_dump(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    return text;
}

/* A growing text buffer; on allocation failure it sets `failed` and stops. */
typedef struct text_buf {
    char *data;
    size_t len, cap;
    int failed;
} text_buf;

static void tb_printf(text_buf *tb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void tb_printf(text_buf *tb, const char *fmt, ...)
{
    if (tb->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tb->data + tb->len, tb->cap - tb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            tb->failed = 1;
            return;
        }
        if ((size_t)n < tb->cap - tb->len) {
            tb->len += (size_t)n;
            return;
        }
        size_t cap = (tb->cap + (size_t)n + 1) * 2;
        char *grown = realloc(tb->data, cap);
        if (!grown) {
            tb->failed = 1;
            return;
        }
        tb->data = grown;
        tb->cap = cap;
    }
}

static void metric(text_buf *tb, const char *name, const char *type,
                   const char *help, uint64_t value)
{
    tb_printf(tb, "# HELP goldpath_%s %s\n# TYPE goldpath_%s %s\ngoldpath_%s %llu\n",
              name, help, name, type, name, (unsigned long long)value);
}

char *gp_health_to_prometheus(const gp_health *h)
{
    text_buf tb = {.data = malloc(4096), .cap = 4096};
    if (!tb.data)
        return NULL;
    tb.data[0] = '\0';
    metric(&tb, "active_connections", "gauge", "Open WebSocket connections.",
           h->active_connections);
    metric(&tb, "registry_size", "gauge", "State machines in the state registry.",
           h->registry_size);
    tb_printf(&tb, "# HELP goldpath_connections_by_state Connections per lifecycle state.\n"
                   "# TYPE goldpath_connections_by_state gauge\n");
    for (int s = GP_STATE_CONNECTING; s <= GP_STATE_PROCESSING_READY; s++)
        tb_printf(&tb, "goldpath_connections_by_state{state=\"%s\"} %llu\n",
                  gp_state_name((gp_state)s), (unsigned long long)h->by_state[s]);
    metric(&tb, "stuck_in_connecting", "gauge",
           "Connections not ready for longer than the stuck threshold.",
           h->stuck_in_connecting);
    tb_printf(&tb, "# HELP goldpath_state_transition_success_rate Succeeded / attempted lifecycle steps.\n"
                   "# TYPE goldpath_state_transition_success_rate gauge\n"
                   "goldpath_state_transition_success_rate %.6f\n",
              h->state_transition_success_rate);
    metric(&tb, "transitions_attempted_total", "counter",
           "Lifecycle steps attempted.", h->transitions_attempted);
    metric(&tb, "transitions_failed_total", "counter",
           "Lifecycle steps refused as illegal.", h->transitions_failed);
    metric(&tb, "invalid_state_transitions_24h", "gauge",
           "Illegal lifecycle steps in the last 24 hours.",
           h->invalid_state_transitions_24h);
    metric(&tb, "connection_id_mismatches_total", "counter",
           "connect_user returned an id other than the connection's.",
           h->connection_id_mismatches);
    metric(&tb, "connections_total", "counter", "Connections opened.",
           h->connections_total);
    metric(&tb, "connections_ready_total", "counter",
           "connection_ready messages sent.", h->connections_ready_total);
    metric(&tb, "stuck_detected_total", "counter",
           "Connections reported as never reaching the ready state.",
           h->stuck_detected_total);
    metric(&tb, "auth_failures_total", "counter",
           "Connections refused for their token.", h->auth_failures_total);
    metric(&tb, "auth_timeouts_total", "counter",
           "Connections closed for not authenticating in time.",
           h->auth_timeouts_total);
    metric(&tb, "requests_total", "counter", "agent_execution requests started.",
           h->requests_total);
    metric(&tb, "requests_completed_total", "counter",
           "Requests that sent agent_completed.", h->requests_completed_total);
    metric(&tb, "requests_failed_total", "counter",
           "Requests answered with AGENT_FAILED.", h->requests_failed_total);
    metric(&tb, "agent_events_sent_total", "counter", "Agent events sent.",
           h->events_sent_total);
    tb_printf(&tb, "# HELP goldpath_errors_sent_total Error messages sent, by code.\n"
                   "# TYPE goldpath_errors_sent_total counter\n");
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        tb_printf(&tb, "goldpath_errors_sent_total{code=\"%s\"} %llu\n",
                  gp_proto_error_name((gp_proto_error)e),
                  (unsigned long long)h->errors_sent_total[e]);
    tb_printf(&tb, "# HELP goldpath_transitions_by_pair_total Lifecycle steps attempted and refused, by from and to.\n"
                   "# TYPE goldpath_transitions_by_pair_total counter\n");
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            if (h->transitions.pair_attempted[f][t])
                tb_printf(&tb,
                          "goldpath_transitions_by_pair_total{from=\"%s\",to=\"%s\",outcome=\"attempted\"} %llu\n"
                          "goldpath_transitions_by_pair_total{from=\"%s\",to=\"%s\",outcome=\"failed\"} %llu\n",
                          gp_state_name((gp_state)f), gp_state_name((gp_state)t),
                          (unsigned long long)h->transitions.pair_attempted[f][t],
                          gp_state_name((gp_state)f), gp_state_name((gp_state)t),
                          (unsigned long long)h->transitions.pair_failed[f][t]);
    if (tb.failed) {
        free(tb.data);
        return NULL;
    }
    return tb.data;
}
