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

#define SETTLE_MS 5000 /* how long open connections may take to drain at the end */
#define FETCH_MS 5000 /* one GET (a server that does not answer in 5 s is not answering) */

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
    if (!lv->stop && !lv->http.busy)
        gp_live_http_get(&lv->http, lv->cx, &lv->url, "/health", on_sample, lv);
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
    if (fetch(lv, "/health") != 200 ||
        gp_live_health_parse(lv->http.body, lv->http.len, &lv->base, why, sizeof(why)) != GP_OK)
        return; /* the end will say that the figures cannot be read */
    lv->base_known = true;
    lv->sampled_attempted = lv->base.transitions_attempted;
    lv->sampled_failed = lv->base.transitions_failed;
    if (fetch(lv, "/metrics") == 200)
        gp_live_metrics_parse(lv->http.body, lv->http.len, &lv->base_metrics);
}

void gp_live_final_health(gp_live *lv)
{
    gp_run *run = lv->run;
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
