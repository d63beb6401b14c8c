/* gp_srv_figures.c: the driver's own figures on /health and /metrics.
 *
 * The core's figures (PROTOCOL.md) say what the protocol did; these say what
 * the defences in front of it did and hold: timers queued, connections
 * still sending headers, bytes held by unauthenticated connections, and how
 * often each defence struck.  /health gains a "server" object, /metrics
 * goldpath_server_* lines, appended to the core's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_srv.h"

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

char *gp_srv_figures_prometheus(const gp_srv *srv, char *body)
{
    figure f[16];
    size_t n = collect(srv, f);
    char line[512];
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
