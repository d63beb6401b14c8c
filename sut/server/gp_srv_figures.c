/* gp_srv_figures.c: the driver's own figures on /health and /metrics.
 *
 * The core's figures (docs/protocol.md) say what the protocol did; these say
 * what the defences in front of it did and hold: timers queued, connections
 * still sending headers, bytes held by unauthenticated connections, and how
 * often each defence struck.  /health gains a "server" object, /metrics
 * goldpath_server_* lines, appended to the core's text.
 *
 * /metrics also gets what Prometheus users look for and only the driver can
 * give: goldpath_build_info{version}, the latency histograms
 * goldpath_time_to_ready_seconds and goldpath_request_duration_seconds
 * (measured on the driver's clock, gp_srv_env.c), and the counters a rate
 * is computed from: goldpath_connections_closed_total beside the core's
 * goldpath_connections_total, and goldpath_transitions_succeeded_total
 * beside goldpath_transitions_attempted_total and _failed_total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_srv.h"

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

typedef struct figure {
    const char *name; /* JSON key; the metric is goldpath_server_<name> */
    const char *type; /* gauge or counter */
    const char *help;
    unsigned long long value;
} figure;

static size_t collect(const gp_srv *srv, figure *f)
{
    size_t n = 0;
#define FIG(nm, ty, hp, v) f[n++] = (figure){nm, ty, hp, (unsigned long long)(v)}
    FIG("timers_pending", "gauge", "Timers queued (the core's and the driver's).",
        gp_srv_timers_count(&srv->timers));
    FIG("timer_connections", "gauge", "Connections with at least one timer queued.",
        gp_srv_timers_conns(&srv->timers));
    FIG("timer_bytes", "gauge", "Bytes held by the timer structure.",
        gp_srv_timers_bytes(&srv->timers));
    FIG("header_connections", "gauge", "Connections still sending their request headers.",
        srv->door.count);
    FIG("header_timeouts_total", "counter",
        "Connections dropped for not completing their headers in time.",
        srv->door.timeouts_total);
    FIG("header_evictions_total", "counter",
        "Connections still sending headers dropped to make room for a new one.",
        srv->door.evictions_total);
    FIG("header_refusals_total", "counter",
        "Requests refused before the WebSocket handshake (4xx/5xx).",
        srv->door.refusals_total);
    FIG("preauth_bytes", "gauge", "Bytes held by unauthenticated connections.",
        srv->preauth_bytes);
    FIG("preauth_bytes_max", "gauge", "The pre-authentication budget (--preauth-memory-max).",
        srv->opt.preauth_memory_max);
    FIG("preauth_refusals_total", "counter",
        "Connections closed 1013 because the pre-authentication budget was spent.",
        srv->preauth_refusals_total);
    FIG("rx_pauses_total", "counter",
        "Times reading a connection was paused by back-pressure.", srv->rx_pauses_total);
    FIG("slow_reader_closes_total", "counter",
        "Connections closed 1008 as not reading.", srv->slow_reader_closes_total);
    FIG("tls_links", "gauge",
        "TLS connections handed over through a socketpair and not yet closed (0 without TLS).",
        srv->tls_links);
#undef FIG
    return n;
}

/* Appends text to a malloc'd body (consumed).  NULL when out of memory. */
static char *append(char *body, const char *text)
{
    size_t a = strlen(body), b = strlen(text);
    char *out = realloc(body, a + b + 1);
    if (!out) {
        free(body);
        return NULL;
    }
    memcpy(out + a, text, b + 1);
    return out;
}

/* Appends one histogram family. */
static char *append_histo(char *body, const gp_histo *h)
{
    size_t need = gp_histo_render(h, NULL, 0);
    char *text = malloc(need + 1);
    if (!text) {
        free(body);
        return NULL;
    }
    gp_histo_render(h, text, need + 1);
    body = append(body, text);
    free(text);
    return body;
}

char *gp_srv_figures_prometheus(const gp_srv *srv, const gp_health *h, char *body)
{
    char line[1024];
    snprintf(line, sizeof(line),
             "# HELP goldpath_build_info The goldpath-server version that serves (always 1).\n"
             "# TYPE goldpath_build_info gauge\n"
             "goldpath_build_info{version=\"%s\"} 1\n"
             "# HELP goldpath_connections_closed_total Connections opened (goldpath_connections_total) that have closed since.\n"
             "# TYPE goldpath_connections_closed_total counter\n"
             "goldpath_connections_closed_total %llu\n"
             "# HELP goldpath_transitions_succeeded_total Lifecycle steps applied.\n"
             "# TYPE goldpath_transitions_succeeded_total counter\n"
             "goldpath_transitions_succeeded_total %llu\n",
             GP_VERSION, (unsigned long long)srv->connections_closed_total,
             (unsigned long long)h->transitions.succeeded);
    body = append(body, line);
    if (body)
        body = append_histo(body, &srv->time_to_ready);
    if (body)
        body = append_histo(body, &srv->request_duration);
    figure f[16];
    size_t n = collect(srv, f);
    for (size_t i = 0; i < n && body; i++) {
        snprintf(line, sizeof(line),
                 "# HELP goldpath_server_%s %s\n# TYPE goldpath_server_%s %s\n"
                 "goldpath_server_%s %llu\n",
                 f[i].name, f[i].help, f[i].name, f[i].type, f[i].name, f[i].value);
        body = append(body, line);
    }
    return body;
}

char *gp_srv_figures_json(const gp_srv *srv, char *body)
{
    char *close = strrchr(body, '}');
    if (!close)
        return body;
    figure f[16];
    size_t n = collect(srv, f);
    char obj[1024];
    size_t w = (size_t)snprintf(obj, sizeof(obj), ",\"server\":{");
    for (size_t i = 0; i < n && w < sizeof(obj); i++)
        w += (size_t)snprintf(obj + w, sizeof(obj) - w, "%s\"%s\":%llu", i ? "," : "",
                              f[i].name, f[i].value);
    if (w + 3 >= sizeof(obj))
        return body; /* cannot happen with these names; keep the core's body */
    snprintf(obj + w, sizeof(obj) - w, "}}");
    *close = '\0';
    return append(body, obj);
}
