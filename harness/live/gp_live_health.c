/* gp_live_health.c: the server's own figures as the live driver reads them --
 * /health's JSON (PROTOCOL.md, plus its "totals") into a gp_health, the
 * goldpath_* lines of /metrics, and whether the two pages agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_error.h"
#include "gp_live_int.h"

static uint64_t u64_of(json_t *obj, const char *key, bool *ok)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *ok = false;
        return 0;
    }
    return (uint64_t)json_integer_value(v);
}

/* The "totals" object: optional, and each figure in it too (a third-party
 * server may have fewer). */
static void read_totals(json_t *t, gp_health *out)
{
    bool ok = true; /* missing totals stay 0 */
    out->connections_total = u64_of(t, "connections", &ok);
    out->connections_ready_total = u64_of(t, "connections_ready", &ok);
    out->stuck_detected_total = u64_of(t, "stuck_detected", &ok);
    out->auth_failures_total = u64_of(t, "auth_failures", &ok);
    out->auth_timeouts_total = u64_of(t, "auth_timeouts", &ok);
    out->requests_total = u64_of(t, "requests", &ok);
    out->requests_completed_total = u64_of(t, "requests_completed", &ok);
    out->requests_failed_total = u64_of(t, "requests_failed", &ok);
    out->events_sent_total = u64_of(t, "agent_events_sent", &ok);
    out->messages_received_total = u64_of(t, "messages_received", &ok);
    out->messages_sent_total = u64_of(t, "messages_sent", &ok);
    json_t *errors = json_object_get(t, "errors_sent");
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        out->errors_sent_total[e] = u64_of(errors, gp_proto_error_name((gp_proto_error)e), &ok);
}

int gp_live_health_parse(const char *json, size_t len, gp_health *out, char *err,
                         size_t err_len)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        snprintf(err, err_len, "/health is not JSON: %s (line %d)", je.text, je.line);
        return GP_ERR_BAD_JSON;
    }
    json_t *ws = json_object_get(root, "websocket");
    json_t *rate = json_object_get(ws, "state_transition_success_rate");
    json_t *by_state = json_object_get(ws, "by_state");
    bool ok = json_is_object(ws) && json_is_number(rate) && json_is_object(by_state);
    out->active_connections = u64_of(ws, "active_connections", &ok);
    out->stuck_in_connecting = u64_of(ws, "stuck_in_connecting", &ok);
    out->transitions_attempted = u64_of(ws, "transitions_attempted", &ok);
    out->transitions_failed = u64_of(ws, "transitions_failed", &ok);
    out->invalid_state_transitions_24h = u64_of(ws, "invalid_state_transitions_24h", &ok);
    out->connection_id_mismatches = u64_of(ws, "connection_id_mismatches", &ok);
    for (int s = GP_STATE_CONNECTING; s <= GP_STATE_PROCESSING_READY; s++)
        out->by_state[s] = u64_of(by_state, gp_state_name((gp_state)s), &ok);
    out->state_transition_success_rate = json_number_value(rate);
    bool reg_ok = true; /* optional: a server that reports its registry apart */
    out->registry_size = u64_of(ws, "registry_size", &reg_ok);
    out->registry_known = reg_ok;
    json_t *status = json_object_get(root, "status");
    out->shutting_down = json_is_string(status) &&
                         strcmp(json_string_value(status), "ok") != 0;
    json_t *totals = json_object_get(root, "totals");
    read_totals(totals ? totals : json_object_get(ws, "totals"), out);
    json_decref(root);
    if (!ok) {
        snprintf(err, err_len,
                 "/health lacks a field of PROTOCOL.md (websocket.active_connections, "
                 "by_state, stuck_in_connecting, state_transition_success_rate, "
                 "transitions_attempted, transitions_failed, invalid_state_transitions_24h "
                 "or connection_id_mismatches)");
        return GP_ERR_BAD_FIELD;
    }
    return GP_OK;
}

/* ---- /metrics ---------------------------------------------------------------- */

/* The value of label `name` in "{a=\"x\",b=\"y\"}" into out; false if absent. */
static bool label(const char *labels, const char *name, char *out, size_t out_len)
{
    char key[32];
    snprintf(key, sizeof(key), "%s=\"", name);
    const char *p = strstr(labels, key);
    if (!p || (p != labels && p[-1] != '{' && p[-1] != ','))
        return false;
    p += strlen(key);
    size_t n = strcspn(p, "\"");
    if (n >= out_len)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static int state_of(const char *name)
{
    for (int s = 0; s < GP_STATE_COUNT; s++)
        if (strcmp(name, gp_state_name((gp_state)s)) == 0)
            return s;
    return -1;
}

static void pair_line(const char *labels, uint64_t v, gp_live_metrics *out)
{
    char from[32], to[32], outcome[16];
    if (!label(labels, "from", from, sizeof(from)) || !label(labels, "to", to, sizeof(to)) ||
        !label(labels, "outcome", outcome, sizeof(outcome)))
        return;
    int f = state_of(from), t = state_of(to);
    if (f < 0 || t < 0)
        return;
    if (strcmp(outcome, "attempted") == 0)
        out->h.transitions.pair_attempted[f][t] = v;
    else if (strcmp(outcome, "failed") == 0)
        out->h.transitions.pair_failed[f][t] = v;
    else
        return;
    out->seen |= GP_LIVE_M_PAIRS;
}

/* One sample line "goldpath_NAME{labels} VALUE". */
static void metric_line(const char *line, gp_live_metrics *out)
{
    static const struct {
        const char *name;
        size_t offset;
        uint32_t bit;
    } scalars[] = {
        {"active_connections", offsetof(gp_health, active_connections), GP_LIVE_M_ACTIVE},
        {"transitions_attempted_total", offsetof(gp_health, transitions_attempted),
         GP_LIVE_M_ATTEMPTED},
        {"transitions_failed_total", offsetof(gp_health, transitions_failed), GP_LIVE_M_FAILED},
        {"connection_id_mismatches_total", offsetof(gp_health, connection_id_mismatches),
         GP_LIVE_M_MISMATCHES},
        {"connections_total", offsetof(gp_health, connections_total), GP_LIVE_M_CONNECTIONS},
        {"connections_ready_total", offsetof(gp_health, connections_ready_total),
         GP_LIVE_M_READY},
        {"stuck_detected_total", offsetof(gp_health, stuck_detected_total), GP_LIVE_M_STUCK},
        {"requests_completed_total", offsetof(gp_health, requests_completed_total),
         GP_LIVE_M_COMPLETED},
        {"requests_failed_total", offsetof(gp_health, requests_failed_total),
         GP_LIVE_M_REQ_FAILED},
        {"invalid_state_transitions_24h", offsetof(gp_health, invalid_state_transitions_24h),
         GP_LIVE_M_INVALID_24H},
    };
    const char *name = line + strlen("goldpath_");
    size_t name_len = strcspn(name, "{ ");
    const char *rest = name + name_len;
    char labels[256] = "";
    if (*rest == '{') {
        size_t n = strcspn(rest, "}");
        if (rest[n] != '}' || n >= sizeof(labels))
            return;
        memcpy(labels, rest, n + 1);
        labels[n + 1] = '\0';
        rest += n + 1;
    }
    char *end = NULL;
    double v = strtod(rest, &end);
    if (end == rest || v < 0)
        return;
    uint64_t u = (uint64_t)v;
    if (name_len == strlen("transitions_by_pair_total") &&
        strncmp(name, "transitions_by_pair_total", name_len) == 0) {
        pair_line(labels, u, out);
        return;
    }
    if (name_len == strlen("connections_by_state") &&
        strncmp(name, "connections_by_state", name_len) == 0) {
        char st[32];
        int s = label(labels, "state", st, sizeof(st)) ? state_of(st) : -1;
        if (s >= 0) {
            out->h.by_state[s] = u;
            out->seen |= GP_LIVE_M_BY_STATE;
        }
        return;
    }
    for (size_t k = 0; k < sizeof(scalars) / sizeof(scalars[0]); k++) {
        if (strlen(scalars[k].name) == name_len && strncmp(name, scalars[k].name, name_len) == 0 &&
            !labels[0]) {
            *(uint64_t *)((char *)&out->h + scalars[k].offset) = u;
            out->seen |= scalars[k].bit;
            return;
        }
    }
}

void gp_live_metrics_parse(const char *text, size_t len, gp_live_metrics *out)
{
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char line[512];
        size_t n = j - i;
        if (n < sizeof(line) && n > strlen("goldpath_") &&
            strncmp(text + i, "goldpath_", strlen("goldpath_")) == 0) {
            memcpy(line, text + i, n);
            line[n] = '\0';
            metric_line(line, out);
        }
        i = j + 1;
    }
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            out->h.transitions.attempted += out->h.transitions.pair_attempted[f][t];
            out->h.transitions.failed += out->h.transitions.pair_failed[f][t];
        }
    out->h.transitions.succeeded = out->h.transitions.attempted - out->h.transitions.failed;
}

bool gp_live_metrics_agree(const gp_health *h, const gp_live_metrics *m, char *detail,
                           size_t detail_len)
{
    static const struct {
        uint32_t bit;
        size_t offset;
        const char *metric, *health;
    } pairs[] = {
        {GP_LIVE_M_ACTIVE, offsetof(gp_health, active_connections), "active_connections",
         "websocket.active_connections"},
        {GP_LIVE_M_ATTEMPTED, offsetof(gp_health, transitions_attempted),
         "transitions_attempted_total", "websocket.transitions_attempted"},
        {GP_LIVE_M_FAILED, offsetof(gp_health, transitions_failed), "transitions_failed_total",
         "websocket.transitions_failed"},
        {GP_LIVE_M_MISMATCHES, offsetof(gp_health, connection_id_mismatches),
         "connection_id_mismatches_total", "websocket.connection_id_mismatches"},
        {GP_LIVE_M_INVALID_24H, offsetof(gp_health, invalid_state_transitions_24h),
         "invalid_state_transitions_24h", "websocket.invalid_state_transitions_24h"},
        {GP_LIVE_M_CONNECTIONS, offsetof(gp_health, connections_total), "connections_total",
         "totals.connections"},
        {GP_LIVE_M_READY, offsetof(gp_health, connections_ready_total),
         "connections_ready_total", "totals.connections_ready"},
        {GP_LIVE_M_STUCK, offsetof(gp_health, stuck_detected_total), "stuck_detected_total",
         "totals.stuck_detected"},
        {GP_LIVE_M_COMPLETED, offsetof(gp_health, requests_completed_total),
         "requests_completed_total", "totals.requests_completed"},
        {GP_LIVE_M_REQ_FAILED, offsetof(gp_health, requests_failed_total),
         "requests_failed_total", "totals.requests_failed"},
    };
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        if (!(m->seen & pairs[k].bit))
            continue;
        uint64_t a = *(const uint64_t *)((const char *)&m->h + pairs[k].offset);
        uint64_t b = *(const uint64_t *)((const char *)h + pairs[k].offset);
        if (a != b) {
            snprintf(detail, detail_len, "/metrics goldpath_%s is %llu but /health %s is %llu",
                     pairs[k].metric, (unsigned long long)a, pairs[k].health,
                     (unsigned long long)b);
            return false;
        }
    }
    if (m->seen & GP_LIVE_M_BY_STATE)
        for (int s = GP_STATE_CONNECTING; s <= GP_STATE_PROCESSING_READY; s++)
            if (m->h.by_state[s] != h->by_state[s]) {
                snprintf(detail, detail_len,
                         "/metrics goldpath_connections_by_state{state=\"%s\"} is %llu but "
                         "/health says %llu",
                         gp_state_name((gp_state)s), (unsigned long long)m->h.by_state[s],
                         (unsigned long long)h->by_state[s]);
                return false;
            }
    return true;
}

void gp_live_health_set_transitions(gp_health *h, const gp_live_metrics *m)
{
    if (m && (m->seen & GP_LIVE_M_PAIRS)) {
        h->transitions = m->h.transitions;
        return;
    }
    memset(&h->transitions, 0, sizeof(h->transitions));
    h->transitions.attempted = h->transitions_attempted;
    h->transitions.failed = h->transitions_failed;
    h->transitions.succeeded = h->transitions_attempted - h->transitions_failed;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

void gp_live_health_since(gp_health *h, const gp_health *base)
{
    bool had_steps = base->transitions_attempted > 0;
#define SINCE(field) h->field = minus(h->field, base->field)
    SINCE(transitions_attempted);
    SINCE(transitions_failed);
    SINCE(invalid_state_transitions_24h);
    SINCE(connection_id_mismatches);
    SINCE(connections_total);
    SINCE(connections_ready_total);
    SINCE(stuck_detected_total);
    SINCE(auth_failures_total);
    SINCE(auth_timeouts_total);
    SINCE(requests_total);
    SINCE(requests_completed_total);
    SINCE(requests_failed_total);
    SINCE(events_sent_total);
    SINCE(messages_received_total);
    SINCE(messages_sent_total);
    SINCE(transitions.attempted);
    SINCE(transitions.succeeded);
    SINCE(transitions.failed);
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        SINCE(errors_sent_total[e]);
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            SINCE(transitions.pair_attempted[f][t]);
            SINCE(transitions.pair_failed[f][t]);
        }
#undef SINCE
    if (had_steps) /* the server's own rate covers its whole life: recompute */
        h->state_transition_success_rate =
            h->transitions_attempted
                ? (double)(h->transitions_attempted - h->transitions_failed) /
                      (double)h->transitions_attempted
                : 1.0;
}
