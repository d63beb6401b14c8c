/* gp_live_setup.c: what a live run is built on and taken down with -- the
 * clients in start order, their transports and token keys, the libuv loop,
 * and the lws client context on it (one context, one loop, no listening). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_live_int.h"

typedef struct start_key {
    uint64_t start_ms;
    uint32_t client;
} start_key;

static int cmp_start(const void *a, const void *b)
{
    const start_key *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    return (x->client > y->client) - (x->client < y->client);
}

static int plan_order(gp_live *lv)
{
    uint32_t n = lv->run->n_clients;
    start_key *keys = malloc((size_t)n * sizeof(*keys) + 1);
    lv->order = malloc((size_t)n * sizeof(*lv->order) + 1);
    if (!keys || !lv->order) {
        free(keys);
        return GP_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        keys[i] = (start_key){lv->run->clients[i].plan.start_ms, i};
    qsort(keys, n, sizeof(*keys), cmp_start);
    for (uint32_t i = 0; i < n; i++)
        lv->order[i] = keys[i].client;
    free(keys);
    return GP_OK;
}

static void log_to_stderr(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "goldpath live (libwebsockets): %s", line);
}

int gp_live_make_context(gp_live *lv, uint64_t fd_limit, char *err, size_t err_len)
{
    static const struct lws_protocols protocols[] = {
        {GP_LIVE_PROTOCOL, gp_live_ws_callback, 0, GP_LIVE_RX_BUFFER, 0, NULL, 0},
        {"gp-http", gp_live_http_callback, 0, 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0}};
    lws_set_log_level(LLL_ERR, log_to_stderr);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = lv;
    info.pcontext = &lv->cx;
    info.gid = -1;
    info.uid = -1;
    info.fd_limit_per_thread = (unsigned int)fd_limit;
    void *foreign_loops[1] = {&lv->loop};
    info.foreign_loops = foreign_loops;
    info.options = LWS_SERVER_OPTION_LIBUV;
    if (lv->url.tls) { /* wss://: the clients' TLS (the probe checked the certificate) */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath =
            lv->opt->tls_ca ? lv->opt->tls_ca
                            : access(GP_LIVE_SYSTEM_CAS, R_OK) == 0 ? GP_LIVE_SYSTEM_CAS : NULL;
        info.client_ssl_cert_filepath = lv->opt->tls_cert;
        info.client_ssl_private_key_filepath = lv->opt->tls_key;
    }
    info.retry_and_idle_policy = &gp_live_no_idle_policy;
    uint32_t pool = lv->in_flight_max + 16;
    info.max_http_header_pool = (unsigned short)(pool > 65535 ? 65535 : pool);
    /* lws's own handshake timeout stays behind the clients' ready timeout */
    info.timeout_secs = lv->sc->limits.ready_timeout_ms / 1000 + 10;
    lv->cx = lws_create_context(&info);
    if (!lv->cx) {
        snprintf(err, err_len, "cannot create the libwebsockets client context (is lws's "
                               "libuv event-lib plugin, libwebsockets-evlib-uv, installed?)");
        return GP_ERR_NOMEM;
    }
    return GP_OK;
}

int gp_live_setup_clients(gp_live *lv, const char *secret, char *err, size_t err_len)
{
    gp_run *run = lv->run;
    lv->links = calloc(run->n_clients ? run->n_clients : 1, sizeof(*lv->links));
    if (!lv->links || plan_order(lv) != GP_OK) {
        snprintf(err, err_len, "out of memory for %u live clients", run->n_clients);
        return GP_ERR_NOMEM;
    }
    if (lv->n_sources) {
        lv->sources = calloc(lv->n_sources, sizeof(*lv->sources));
        if (!lv->sources) {
            snprintf(err, err_len, "out of memory");
            return GP_ERR_NOMEM;
        }
        for (uint32_t k = 0; k < lv->n_sources; k++)
            gp_live_source_name(k, lv->sources[k], sizeof(lv->sources[k]));
    }
    lv->key = gp_jwt_key_create(secret, strlen(secret));
    lv->wrong_key = gp_jwt_key_create("not-the-server-secret", 21);
    if (!lv->key || !lv->wrong_key) {
        snprintf(err, err_len, "cannot make the token keys");
        return GP_ERR_NOMEM;
    }
    lv->sh = (gp_vc_shared){.sc = lv->sc, .key = lv->key, .wrong_key = lv->wrong_key,
                            .epoch_s = (int64_t)time(NULL)};
    gp_live_io_init(lv);
    /* each link's own network draws, by the client's index in the whole
     * scenario: the same in a run of some of its clients (a shard) */
    for (uint32_t i = 0; i < run->n_clients; i++)
        gp_rng_seed(&lv->links[i].rng, gp_rng_derive(lv->sc->seed ^ 0x6e6574776f726bULL,
                                                     run->clients[i].seed_index));
    lv->in_flight_max = lv->sc->live.handshakes_in_flight;
    snprintf(lv->host_header, sizeof(lv->host_header), "%s:%d", lv->url.host, lv->url.port);
    return GP_OK;
}

int gp_live_setup_profile(gp_live *lv, char *err, size_t err_len)
{
    const gp_profile *p = lv->profile;
    int rc = gp_profile_keys_open(p, &lv->pkeys, err, err_len);
    if (rc != GP_OK)
        return rc;
    lv->sh.profile = p;
    lv->sh.keys = &lv->pkeys;
    for (int k = 0; k < p->sigs_len; k++)
        if ((rc = gp_logsig_add(&lv->run->logsig, p->sigs[k].name, p->sigs[k].level,
                                &p->sigs[k].rx)) != GP_OK) {
            snprintf(err, err_len, "out of memory for the profile's log signatures");
            return rc;
        }
    /* where each client's token goes: the profile decides; with both the
     * first message and a header offered, the scenario's
     * clients.header_auth_fraction has drawn it */
    for (uint32_t i = 0; i < lv->run->n_clients; i++) {
        gp_vc_plan *plan = &lv->run->clients[i].plan;
        if (!p->auth_by[GP_AUTH_MESSAGE])
            plan->header_auth = true;
        else if (!p->auth_by[GP_AUTH_HEADER])
            plan->header_auth = false;
        if (plan->header_auth)
            plan->after_auth = false;
    }
    return GP_OK;
}

int gp_live_make_loop(gp_live *lv, char *err, size_t err_len)
{
    if (uv_loop_init(&lv->loop) != 0) {
        snprintf(err, err_len, "cannot create the libuv event loop");
        return GP_ERR_NOMEM;
    }
    uv_timer_init(&lv->loop, &lv->tick_timer);
    uv_timer_init(&lv->loop, &lv->wait_timer);
    lv->tick_timer.data = lv;
    lv->wait_timer.data = lv;
    lv->loop_ready = true;
    lv->tick_at_ms = UINT64_MAX;
    return GP_OK;
}

void gp_live_teardown(gp_live *lv)
{
    if (lv->loop_ready) {
        uv_close((uv_handle_t *)&lv->tick_timer, NULL);
        uv_close((uv_handle_t *)&lv->wait_timer, NULL);
    }
    if (lv->cx) {
        /* On a foreign loop lws closes its libuv handles asynchronously: the
         * first call starts that and the loop runs the closes.  lws clears
         * lv->cx (info.pcontext) once the context is freed; if it has not,
         * a second call finishes it (with one call, LeakSanitizer sees the
         * whole context leak). */
        lws_context_destroy(lv->cx);
        uv_run(&lv->loop, UV_RUN_DEFAULT);
        if (lv->cx)
            lws_context_destroy(lv->cx);
        lv->cx = NULL;
    }
    if (lv->loop_ready) {
        uv_run(&lv->loop, UV_RUN_DEFAULT);
        uv_loop_close(&lv->loop);
        lv->loop_ready = false;
    }
    if (lv->links)
        for (uint32_t i = 0; i < lv->run->n_clients; i++)
            gp_live_link_release(&lv->links[i]);
    free(lv->links);
    free(lv->order);
    free(lv->sources);
    gp_eventq_free(&lv->timers);
    gp_live_http_free(&lv->http);
    gp_jwt_key_destroy(lv->key);
    gp_jwt_key_destroy(lv->wrong_key);
    gp_profile_keys_close(&lv->pkeys);
}

typedef struct open_key {
    uint64_t at_ms;
    uint32_t client;
} open_key;

static int cmp_open(const void *a, const void *b)
{
    const open_key *x = a, *y = b;
    if (x->at_ms != y->at_ms)
        return x->at_ms < y->at_ms ? -1 : 1;
    return (x->client > y->client) - (x->client < y->client);
}

bool gp_live_judge_log(gp_run *run, const char *path, const uint16_t *ports,
                       const uint64_t *opened_ms, uint64_t t0_unix_us,
                       const struct gp_profile *profile)
{
    gp_live lv;
    memset(&lv, 0, sizeof(lv));
    lv.run = run;
    lv.sc = &run->sc;
    lv.profile = profile;
    lv.t0_unix_us = t0_unix_us;
    uint32_t n = run->n_clients;
    lv.links = calloc(n ? n : 1, sizeof(*lv.links));
    lv.order = malloc((n ? n : 1) * sizeof(*lv.order));
    open_key *keys = malloc((n ? n : 1) * sizeof(*keys));
    bool ok = lv.links && lv.order && keys;
    /* a port serves one connection at a time: its connections, in the order
     * they opened, are the log's peer lines of that port in order */
    for (uint32_t i = 0; ok && i < n; i++) {
        lv.links[i].local_port = ports[i];
        lv.links[i].t_open = ports[i] ? opened_ms[i] + 1 : 0;
        keys[i] = (open_key){opened_ms[i], i};
    }
    if (ok)
        qsort(keys, n, sizeof(*keys), cmp_open);
    for (uint32_t i = 0; ok && i < n; i++)
        lv.order[i] = keys[i].client;
    free(keys);
    for (int k = 0; ok && profile && k < profile->sigs_len; k++)
        ok = gp_logsig_add(&run->logsig, profile->sigs[k].name, profile->sigs[k].level,
                           &profile->sigs[k].rx) == GP_OK;
    if (ok)
        ok = gp_live_read_log(&lv, path) && !lv.nomem;
    else
        snprintf(run->evidence_why, sizeof(run->evidence_why), "out of memory reading the log");
    free(lv.links);
    free(lv.order);
    return ok;
}
