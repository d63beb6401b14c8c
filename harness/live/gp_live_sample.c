/* gp_live_sample.c: the server's side of a live run, read over HTTP.
 *
 * During the run each timeline bucket asks /health (when the previous answer
 * is in) and the row takes the figures of the latest answer: lifecycle steps
 * attempted and succeeded since the row before, connections per state and
 * open connections.  So a row lags the server by at most one answer.
 *
 * Before the clients start, /health and /metrics are read once: a server
 * given with --url may have counted connections of earlier runs, and only
 * what happened since belongs to this run (the counters are compared as
 * differences; open connections and connections per state as they are).
 *
 * At the end /health is read until it shows no open connection (bounded: a
 * server that learns of the last closes a moment after the clients does not
 * count as leaking), then /metrics for the per-pair transition counts and for
 * a second opinion on every figure.  The registry itself is not reachable
 * over the wire: registry_left is the active_connections the server
 * reports. */
#include <stdio.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"
#include "gp_prom.h"

#define SETTLE_MS 5000 /* how long open connections may take to drain at the end */
#define FETCH_MS 5000 /* one GET (a server that does not answer in 5 s is not answering) */

/* ---- a server described by a profile: its Prometheus metrics ---------------- */

/* goldpath-server's /health, or a profile's metrics map. */
static bool goldpath_health(const gp_live *lv)
{
    return !lv->profile || lv->profile->goldpath_health;
}

/* The figures of the map, cross-check names, and whether each is a counter
 * (compared as a difference over the run) or a gauge (as it stands). */
static const struct {
    const char *figure, *check, *check2;
    bool counter;
} map_figures[] = {
    {"active_connections", "active_connections", NULL, false},
    {"stuck", "stuck_in_connecting", NULL, false},
    {"registry_size", "registry_size", "registry_size (machines the judge saw live)", false},
    {"connections_total", "connections", NULL, true},
    {"ready_total", "connections_ready", NULL, true},
    {"requests_total", "requests", NULL, true},
    {"requests_completed_total", "requests_completed", NULL, true},
    {"requests_failed_total", "requests_failed", NULL, true},
    {"transitions_attempted", "transitions_attempted", NULL, true},
    {"transitions_failed", "transitions_failed", NULL, true},
    {"transitions_succeeded", "transitions succeeded", NULL, true},
    {"id_mismatches", "connection_id_mismatches", NULL, true},
};

static int figure_index(const char *name)
{
    for (size_t k = 0; k < sizeof(map_figures) / sizeof(map_figures[0]); k++)
        if (strcmp(map_figures[k].figure, name) == 0)
            return (int)k;
    return -1;
}

/* Evaluates every mapping of the profile on a scrape into v (by mapping
 * index).  False with the first error in why. */
static bool map_eval(const gp_live *lv, const char *body, size_t len, double *v, char *why,
                     size_t why_len)
{
    gp_prom *pm = NULL;
    char e[256];
    if (gp_prom_parse(body, len, &pm, e, sizeof(e)) != GP_OK) {
        int n = snprintf(why, why_len, "%.120s is not Prometheus text: ", lv->profile->metrics_path);
        if (n > 0 && (size_t)n < why_len)
            snprintf(why + n, why_len - (size_t)n, "%.200s", e);
        return false;
    }
    bool ok = true;
    for (int k = 0; k < lv->profile->metrics_len && ok; k++)
        if (gp_prom_eval(pm, lv->profile->metrics_map[k][1], &v[k], e, sizeof(e)) != GP_OK) {
            int n = snprintf(why, why_len, "metrics.map.%.40s \"%.120s\": ",
                             lv->profile->metrics_map[k][0], lv->profile->metrics_map[k][1]);
            if (n > 0 && (size_t)n < why_len)
                snprintf(why + n, why_len - (size_t)n, "%.200s", e);
            ok = false;
        }
    gp_prom_free(pm);
    return ok;
}

/* The mapped figure `name` of a scrape (counters since the run started). */
static bool map_get(const gp_live *lv, const double *v, const char *name, uint64_t *out)
{
    for (int k = 0; k < lv->profile->metrics_len; k++)
        if (strcmp(lv->profile->metrics_map[k][0], name) == 0) {
            int f = figure_index(name);
            double x = v[k];
            if (f >= 0 && map_figures[f].counter && lv->map_base_known)
                x -= lv->map_base[k];
            *out = x > 0 ? (uint64_t)(x + 0.5) : 0;
            return true;
        }
    return false;
}

/* The figures of a scrape into a gp_health and the names known. */
static void map_to_health(const gp_live *lv, const double *v, gp_health *h, char *only,
                          size_t only_len)
{
    memset(h, 0, sizeof(*h));
    size_t w = (size_t)snprintf(only, only_len, ",");
    struct {
        const char *name;
        uint64_t *to;
    } fields[] = {
        {"active_connections", &h->active_connections},
        {"stuck", &h->stuck_in_connecting},
        {"registry_size", &h->registry_size},
        {"connections_total", &h->connections_total},
        {"ready_total", &h->connections_ready_total},
        {"requests_total", &h->requests_total},
        {"requests_completed_total", &h->requests_completed_total},
        {"requests_failed_total", &h->requests_failed_total},
        {"transitions_attempted", &h->transitions_attempted},
        {"transitions_failed", &h->transitions_failed},
        {"transitions_succeeded", &h->transitions.succeeded},
        {"id_mismatches", &h->connection_id_mismatches},
    };
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        if (!map_get(lv, v, fields[k].name, fields[k].to))
            continue;
        int f = figure_index(fields[k].name);
        w += (size_t)snprintf(only + w, w < only_len ? only_len - w : 0, "%s,",
                              map_figures[f].check);
        if (map_figures[f].check2)
            w += (size_t)snprintf(only + w, w < only_len ? only_len - w : 0, "%s,",
                                  map_figures[f].check2);
    }
    h->registry_known = map_get(lv, v, "registry_size", &h->registry_size);
}

static void on_sample_metrics(void *ctx, int status, const char *body, size_t len)
{
    gp_live *lv = ctx;
    double v[16];
    char why[256], only[512];
    if (status == 200 && map_eval(lv, body, len, v, why, sizeof(why))) {
        /* counters since the run started, as the rows take them */
        map_to_health(lv, v, &lv->last, only, sizeof(only));
        lv->last_known = true;
    }
}

static void on_sample(void *ctx, int status, const char *body, size_t len)
{
    gp_live *lv = ctx;
    gp_health h;
    char err[256];
    if (status == 200 && gp_live_health_parse(body, len, &h, err, sizeof(err)) == GP_OK) {
        lv->last = h;
        lv->last_known = true;
    }
}

void gp_live_sample(gp_live *lv, uint64_t t_ms)
{
    gp_run *run = lv->run;
    gp_timeline_row row = {.t_ms = t_ms, .active = lv->ws_open, .ready_total = run->ready,
                           .completed_total = run->completed};
    if (lv->last_known) {
        const gp_health *h = &lv->last;
        uint64_t ok = h->transitions_attempted - h->transitions_failed;
        uint64_t ok_before = lv->sampled_attempted - lv->sampled_failed;
        if (h->transitions_attempted >= lv->sampled_attempted && ok >= ok_before) {
            row.attempted = h->transitions_attempted - lv->sampled_attempted;
            row.succeeded = ok - ok_before;
        }
        lv->sampled_attempted = h->transitions_attempted;
        lv->sampled_failed = h->transitions_failed;
        for (int s = 0; s <= GP_STATE_PROCESSING_READY; s++)
            row.by_state[s] = h->by_state[s];
        row.active = h->active_connections;
    }
    if (gp_run_add_row(run, &row) != GP_OK)
        lv->nomem = true;
    if (lv->stop || lv->http.busy)
        return;
    if (goldpath_health(lv))
        gp_live_http_get(&lv->http, lv->cx, &lv->url, "/health", on_sample, lv);
    else if (lv->profile->metrics_len)
        gp_live_http_get(&lv->http, lv->cx, &lv->url, lv->profile->metrics_path,
                         on_sample_metrics, lv);
}

/* ---- at the end ---------------------------------------------------------------- */

static bool http_idle(const gp_live *lv)
{
    return !lv->http.busy;
}

static void on_fetch(void *ctx, int status, const char *body, size_t len)
{
    gp_live *lv = ctx;
    (void)body;
    (void)len;
    lv->fetch_status = status;
}

/* GET path; returns the HTTP status (-1: failed) with the body in
 * lv->http.body. */
static int fetch(gp_live *lv, const char *path)
{
    gp_live_run_until(lv, FETCH_MS, http_idle); /* a sample still under way */
    if (lv->http.busy && lv->http.wsi) /* the server does not answer: give up on it */
        lws_set_timeout(lv->http.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    if (lv->http.busy)
        return -1;
    lv->fetch_status = -1;
    gp_live_http_get(&lv->http, lv->cx, &lv->url, path, on_fetch, lv);
    gp_live_run_until(lv, FETCH_MS, http_idle);
    if (lv->http.busy && lv->http.wsi)
        lws_set_timeout(lv->http.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    return lv->http.busy ? -1 : lv->fetch_status;
}

void gp_live_baseline(gp_live *lv)
{
    char why[300];
    if (!goldpath_health(lv)) {
        if (lv->profile->metrics_len && fetch(lv, lv->profile->metrics_path) == 200 &&
            map_eval(lv, lv->http.body, lv->http.len, lv->map_base, why, sizeof(why)))
            lv->map_base_known = true;
        return; /* the end says what could not be read */
    }
    if (fetch(lv, "/health") != 200 ||
        gp_live_health_parse(lv->http.body, lv->http.len, &lv->base, why, sizeof(why)) != GP_OK)
        return; /* the end will say that the figures cannot be read */
    lv->base_known = true;
    lv->sampled_attempted = lv->base.transitions_attempted;
    lv->sampled_failed = lv->base.transitions_failed;
    if (fetch(lv, "/metrics") == 200)
        gp_live_metrics_parse(lv->http.body, lv->http.len, &lv->base_metrics);
}

/* The end of a run against a server a profile describes: its metrics, read
 * until the mapped open connections drain (bounded). */
static void final_metrics(gp_live *lv)
{
    gp_run *run = lv->run;
    const gp_profile *p = lv->profile;
    if (!p->metrics_len) {
        snprintf(run->evidence_why, sizeof(run->evidence_why),
                 "the server offers no /health (profile %s): map its Prometheus metrics in the "
                 "profile (metrics.map), or declare expect.server_health: \"none\"", p->name);
        return;
    }
    uint64_t until = gp_live_now_ms(lv) + SETTLE_MS;
    double v[16];
    char why[300] = "";
    bool ok = false;
    for (;;) {
        int status = fetch(lv, p->metrics_path);
        uint64_t open = 0;
        if (status == 200 && map_eval(lv, lv->http.body, lv->http.len, v, why, sizeof(why))) {
            ok = true;
            if (!map_get(lv, v, "active_connections", &open) || open == 0)
                break;
        } else if (status != 200) {
            snprintf(why, sizeof(why), "GET %s %s", p->metrics_path,
                     status < 0 ? "got no answer" : "did not answer 200");
        }
        if (gp_live_now_ms(lv) >= until)
            break;
        gp_live_run_until(lv, 20, NULL);
    }
    if (!ok || !lv->map_base_known) {
        snprintf(run->evidence_why, sizeof(run->evidence_why), "%s",
                 why[0] ? why : "the metrics could not be read before the run");
        return;
    }
    map_to_health(lv, v, &run->health, run->health_only, sizeof(run->health_only));
    lv->stats->metrics_known = true;
    run->evidence |= GP_EV_HEALTH;
    if (run->health.registry_known) {
        run->evidence |= GP_EV_REGISTRY;
        run->registry_left = run->health.registry_size;
    }
}

void gp_live_final_health(gp_live *lv)
{
    gp_run *run = lv->run;
    if (!goldpath_health(lv)) {
        final_metrics(lv);
        return;
    }
    uint64_t until = gp_live_now_ms(lv) + SETTLE_MS;
    gp_health h;
    bool ok = false;
    char why[300] = "";
    for (;;) {
        int status = fetch(lv, "/health");
        if (status == 200 &&
            gp_live_health_parse(lv->http.body, lv->http.len, &h, why, sizeof(why)) == GP_OK) {
            ok = true;
            if (h.active_connections == 0)
                break;
        } else if (status < 0) {
            snprintf(why, sizeof(why), "GET /health from %s:%d got no answer", lv->url.host,
                     lv->url.port);
        } else if (status != 200) {
            snprintf(why, sizeof(why), "GET /health answered HTTP %d", status);
        }
        if (gp_live_now_ms(lv) >= until)
            break;
        gp_live_run_until(lv, 20, NULL);
    }
    if (!ok) {
        snprintf(run->evidence_why, sizeof(run->evidence_why), "%s", why);
        return;
    }
    if (lv->base_known)
        gp_live_health_since(&h, &lv->base);
    run->health = h;
    run->evidence |= GP_EV_HEALTH;
    if (h.registry_known) {
        run->evidence |= GP_EV_REGISTRY;
        run->registry_left = h.registry_size;
    }
    /* /metrics counts only with a reading before the run to subtract */
    if ((!lv->base_known || lv->base_metrics.seen) && fetch(lv, "/metrics") == 200) {
        gp_live_metrics_parse(lv->http.body, lv->http.len, &lv->metrics);
        lv->stats->metrics_known = lv->metrics.seen != 0;
        if (lv->base_known)
            gp_live_health_since(&lv->metrics.h, &lv->base_metrics.h);
    }
    gp_live_health_set_transitions(&run->health,
                                   lv->stats->metrics_known ? &lv->metrics : NULL);
    char detail[200];
    if (lv->stats->metrics_known &&
        !gp_live_metrics_agree(&run->health, &lv->metrics, detail, sizeof(detail)))
        snprintf(run->health_conflict, sizeof(run->health_conflict), "/metrics: %s", detail);
}
