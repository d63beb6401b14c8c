/* gp_live_loop.c: the live run -- its order (checks, fd budget, server,
 * set-up, the loop, the server's figures, the server stopped, the run
 * judged), its clock, and the one event loop with its tick.
 *
 * One timer, the tick, does everything that is due: the clients' timers
 * (kept in a gp_eventq, not in lws), starting clients whose arrival time
 * has come while fewer than live.handshakes_in_flight handshakes are pending,
 * the timeline samples and the progress line.  It is always scheduled for the
 * earliest thing due; a finished handshake or a closed socket wakes it at
 * once.  The loop is libuv's (epoll), handed to lws as a foreign loop: lws's
 * own poll() loop costs O(open fds) per wait and spins with a zero timeout
 * through the last millisecond before every lws timer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gp_checks.h"
#include "gp_error.h"
#include "gp_live_int.h"

#define CLOSE_WAIT_MS 5000
#define PROBE_MS 2000 /* a server at --url that does not accept in 2 s is not there */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t gp_live_now_ms(const gp_live *lv)
{
    return (mono_ns() - lv->t0_ns) / 1000000 + 1;
}

/* Run microseconds, for the fault ledger (gp_run.clock_us). */
static uint64_t now_us(void *ctx)
{
    const gp_live *lv = ctx;
    return (mono_ns() - lv->t0_ns) / 1000;
}

static void tick(uv_timer_t *timer);

void gp_live_wake(gp_live *lv, uint64_t at_ms)
{
    if (!lv->loop_ready || lv->stop || at_ms >= lv->tick_at_ms)
        return;
    lv->tick_at_ms = at_ms;
    uint64_t now = gp_live_now_ms(lv);
    uv_update_time(&lv->loop);
    uv_timer_start(&lv->tick_timer, tick, at_ms > now ? at_ms - now : 0, 0);
}

static void wait_check(uv_timer_t *timer)
{
    gp_live *lv = timer->data;
    if ((lv->wait_done && lv->wait_done(lv)) || gp_live_now_ms(lv) >= lv->wait_until_ms)
        uv_stop(&lv->loop);
}

void gp_live_run_until(gp_live *lv, uint64_t ms, bool (*done)(const gp_live *lv))
{
    if (done && done(lv))
        return;
    lv->wait_until_ms = gp_live_now_ms(lv) + ms;
    lv->wait_done = done;
    uv_timer_start(&lv->wait_timer, wait_check, 10, 10);
    uv_run(&lv->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&lv->wait_timer);
}

void gp_live_tracef(gp_live *lv, uint32_t client, const char *fmt, ...)
{
    if (client != lv->opt->trace_client || !lv->opt->trace)
        return;
    char line[4096];
    int n = snprintf(line, sizeof(line), "%10llu ms  ", (unsigned long long)gp_live_now_ms(lv));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    lv->opt->trace(lv->opt->trace_ctx, line);
}

/* ---- the tick ------------------------------------------------------------------ */

void gp_live_timer(gp_live *lv, uint32_t client, uint64_t at_ms, uint32_t kind, uint64_t arg)
{
    gp_event ev = {.at_ms = at_ms, .kind = kind, .client = client, .a = arg};
    if (gp_eventq_push(&lv->timers, ev) != GP_OK) {
        lv->nomem = true;
        return;
    }
    gp_live_wake(lv, at_ms);
}

static void fire_timers(gp_live *lv, uint64_t now)
{
    gp_event t;
    while (gp_eventq_pop_due(&lv->timers, now, &t)) {
        if (t.kind >= GP_LIVE_EV_LINK_OUT)
            gp_live_net_wake(lv, t.client, t.kind);
        else
            gp_drive_timer(lv->run, t.client, (gp_vc_timer)t.kind, (uint32_t)t.a);
        lv->run->events++;
    }
}

/* Starts every client whose time has come, as far as the handshake and fd
 * budgets allow.  Returns the start time of the next client waiting for its
 * time (UINT64_MAX when none is, or when a budget is what holds it back). */
static uint64_t start_due(gp_live *lv, uint64_t now)
{
    while (lv->next_start < lv->run->n_clients) {
        uint32_t i = lv->order[lv->next_start];
        uint64_t at = lv->run->clients[i].plan.start_ms;
        if (at > now)
            return at;
        if (lv->in_flight >= lv->in_flight_max || lv->busy >= lv->open_max)
            return UINT64_MAX; /* a finished handshake or a close wakes the tick */
        lv->next_start++;
        gp_live_start_client(lv, i);
    }
    return UINT64_MAX;
}

static bool over(const gp_live *lv)
{
    return lv->next_start == lv->run->n_clients && lv->run->pending == 0 && lv->busy == 0;
}

static void tick(uv_timer_t *timer)
{
    gp_live *lv = timer->data;
    lv->tick_at_ms = UINT64_MAX;
    if (lv->stop)
        return;
    uint64_t now = gp_live_now_ms(lv);
    fire_timers(lv, now);
    uint64_t next_start = start_due(lv, now);
    if (now >= lv->next_sample_ms) {
        gp_live_sample(lv, lv->next_sample_ms);
        while (lv->next_sample_ms <= now)
            lv->next_sample_ms += lv->sc->report.bucket_ms;
    }
    if (lv->opt->progress && now >= lv->next_progress_ms) {
        lv->opt->progress(lv->opt->progress_ctx, lv->run->n_clients - lv->run->pending,
                          lv->run->n_clients);
        lv->next_progress_ms = now + 250;
    }
    bool interrupted = lv->opt->interrupt && *lv->opt->interrupt;
    if (interrupted)
        lv->run->interrupted = true;
    if (over(lv) || lv->nomem || interrupted || now >= lv->sc->limits.run_timeout_ms) {
        lv->stop = true;
        uv_stop(&lv->loop);
        return;
    }
    const gp_event *top = gp_eventq_peek(&lv->timers);
    uint64_t next = top ? top->at_ms : UINT64_MAX;
    if (next_start < next)
        next = next_start;
    if (lv->next_sample_ms < next)
        next = lv->next_sample_ms;
    if (lv->sc->limits.run_timeout_ms < next)
        next = lv->sc->limits.run_timeout_ms;
    if (lv->opt->interrupt && now + 200 < next)
        next = now + 200; /* look at the interrupt flag now and then */
    gp_live_wake(lv, next);
}

/* ---- the run ------------------------------------------------------------------ */

static bool no_socket_left(const gp_live *lv)
{
    return lv->busy == 0;
}

/* Drops every socket still open (the run timed out) and waits, bounded, for
 * them to go, so that the server's figures can settle.  The clients are not
 * told: the ones still pending fail with RUN_TIMEOUT when judged, not with a
 * close they did not see. */
static void close_all(gp_live *lv)
{
    for (uint32_t i = 0; i < lv->run->n_clients; i++) {
        gp_live_link *l = &lv->links[i];
        if (l->wsi && (l->st == GP_LINK_CONNECTING || l->st == GP_LINK_OPEN)) {
            l->close_wanted = true;
            lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
    gp_live_run_until(lv, CLOSE_WAIT_MS, no_socket_left);
}

static uint64_t unix_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int run_loop(gp_live *lv)
{
    lv->t0_ns = mono_ns();
    lv->t0_unix_us = unix_us();
    lv->next_sample_ms = lv->sc->report.bucket_ms;
    gp_live_wake(lv, 0);
    while (!lv->stop && !lv->nomem)
        uv_run(&lv->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&lv->tick_timer);
    lv->tick_at_ms = 0; /* no more ticks */
    if (lv->busy)
        close_all(lv);
    gp_live_sample(lv, gp_live_now_ms(lv)); /* the last, partial bucket */
    lv->run->end_ms = gp_live_now_ms(lv);
    if (lv->opt->progress) /* the last call clears the progress line */
        lv->opt->progress(lv->opt->progress_ctx, lv->run->n_clients, lv->run->n_clients);
    return lv->nomem ? GP_ERR_NOMEM : GP_OK;
}

/* Where the server's log ends now: a log given with --url holds earlier
 * runs' lines, which are not this run's. */
static long log_size(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    fclose(f);
    return n < 0 ? 0 : n;
}

/* What the driver's network is asked to do. */
static void plan_network(gp_live *lv)
{
    const gp_scenario *sc = lv->sc;
    gp_scenario d;
    gp_scenario_defaults(&d);
    lv->netem = sc->network.drop_rate > 0.0 || sc->network.duplicate_rate > 0.0 ||
                sc->network.reorder_rate > 0.0;
    lv->add_latency = sc->network.latency != d.network.latency ||
                      sc->network.latency_min_ms != d.network.latency_min_ms ||
                      sc->network.latency_max_ms != d.network.latency_max_ms ||
                      sc->network.latency_mean_ms != d.network.latency_mean_ms;
}

/* After the loop: the server stopped, its log read, every client settled,
 * the checks judged. */
static void conclude(gp_live *lv, gp_live_server *srv)
{
    gp_run *run = lv->run;
    gp_live_stats *stats = lv->stats;
    if (stats->server_started) {
        run->mem.rss_end_kib = gp_live_server_rss(srv);
        gp_live_server_stop(srv);
        stats->server_exit = srv->exit_status;
        stats->server_cpu_s = srv->cpu_s;
        stats->server_peak_rss_kib = srv->peak_rss_kib;
        run->mem.exit_known = true;
        run->mem.exit_status = srv->exit_status;
        if (run->mem.rss_base_kib && run->mem.rss_end_kib) {
            run->mem.known = true;
            run->evidence |= GP_EV_MEMORY;
        }
    }
    gp_live_read_log(lv, lv->opt->server_log);
    gp_live_compute_stats(lv);
    gp_drive_finish(run, run->end_ms);
    gp_checks_judge(run);
}

/* What goldpath merge needs of a shard beyond its report (gp_live_stats). */
static void keep_for_merge(const gp_live *lv, gp_live_stats *stats)
{
    stats->t0_unix_us = lv->t0_unix_us;
    stats->log_offset = lv->log_offset;
    stats->base_known = lv->base_known;
    stats->base = lv->base;
    stats->base_pairs_known = lv->base_known && (lv->base_metrics.seen & GP_LIVE_M_PAIRS);
    if (stats->base_pairs_known)
        stats->base_pairs = lv->base_metrics.h.transitions;
    for (uint32_t i = 0; lv->opt->client_ports && lv->links && i < lv->run->n_clients; i++)
        lv->opt->client_ports[i] = lv->links[i].t_open ? lv->links[i].local_port : 0;
}

int gp_live_run(gp_run *run, const gp_live_options *opt, gp_live_stats *stats, char *err,
                size_t err_len)
{
    memset(stats, 0, sizeof(*stats));
    run->mode = "live";
    gp_live lv;
    memset(&lv, 0, sizeof(lv));
    lv.run = run;
    lv.sc = &run->sc;
    lv.opt = opt;
    lv.stats = stats;
    run->sh = &lv.sh;
    run->fault_states_later = true; /* the steps come from the log, after the run */
    run->clock_us = now_us;
    run->clock_ctx = &lv;
    run->trace_client = opt->trace ? opt->trace_client : UINT32_MAX;
    run->trace = opt->trace;
    run->trace_ctx = opt->trace_ctx;
    const char *secret = opt->jwt_secret ? opt->jwt_secret : gp_dev_jwt_secret;
    uint64_t fd_limit = 0;
    lv.profile = opt->profile;
    /* goldpath starts goldpath-server itself only for its own protocol */
    bool own_server = !opt->url && !opt->server_cmd;
    bool hooked = own_server; /* goldpath-server's fault hooks (accept delays) */
    int rc = gp_live_check_scenario(lv.sc, !hooked, err, err_len);
    if (rc == GP_OK && lv.profile)
        rc = gp_profile_check_scenario(lv.profile, lv.sc, err, err_len);
    if (rc == GP_OK && lv.profile && own_server && !lv.profile->goldpath_health) {
        snprintf(err, err_len, "profile %s is not goldpath-server's protocol: give the server "
                               "under test with --url ws://HOST:PORT/PATH (and --server-log FILE), "
                               "or have goldpath start it with --server-cmd 'COMMAND {port}'",
                 lv.profile->name);
        rc = GP_ERR_INVALID_ARG;
    }
    if (rc == GP_OK && opt->url) {
        rc = gp_live_url_parse(opt->url, &lv.url, err, err_len);
        if (rc == GP_OK) /* a server that is not there is bad input, not a failed run */
            rc = gp_live_probe(&lv.url, PROBE_MS, err, err_len);
        lv.url.insecure = opt->tls_insecure;
        if (rc == GP_OK && lv.url.tls)
            rc = gp_live_tls_probe(&lv.url, opt, err, err_len);
    } else if (rc == GP_OK)
        lv.url = (gp_live_url){.host = "127.0.0.1", .port = 0, .path = "/ws"};
    if (rc == GP_OK)
        rc = gp_live_fd_budget(lv.sc, &lv.open_max, &fd_limit, err, err_len);
    if (rc == GP_OK)
        rc = gp_live_source_count(lv.sc, &lv.url, lv.open_max, &lv.n_sources, err, err_len);
    gp_live_server srv;
    memset(&srv, 0, sizeof(srv));
    if (rc == GP_OK && opt->server_cmd && !opt->url) {
        const char *env = lv.profile && lv.profile->secret_env[0] ? lv.profile->secret_env
                                                                   : "GOLDPATH_JWT_SECRET";
        rc = gp_live_server_start_cmd(&srv, opt->server_cmd, opt->server_ready, env,
                                      opt->jwt_secret, opt->server_log, err, err_len);
        lv.url = (gp_live_url){.host = "127.0.0.1", .port = srv.port, .path = "/ws"};
        stats->server_started = rc == GP_OK;
        stats->server_pid = srv.pid;
    } else if (rc == GP_OK && !opt->url) {
        char binary[4096];
        rc = gp_live_server_find(opt->server_path, binary, sizeof(binary), err, err_len);
        /* the scenario's limit, or room for every client the fd budget allows */
        uint64_t max_conn = lv.sc->server.max_connections;
        if (!max_conn)
            max_conn = lv.sc->clients.count < lv.open_max ? lv.sc->clients.count : lv.open_max;
        if (rc == GP_OK)
            rc = gp_live_server_start(&srv, binary, lv.sc, max_conn, secret, opt->server_log,
                                      err, err_len);
        lv.url.port = srv.port;
        stats->server_started = rc == GP_OK;
        stats->server_pid = srv.pid;
        lv.hooks = rc == GP_OK;
    }
    lv.log_offset = opt->url ? log_size(opt->server_log) : 0;
    plan_network(&lv);
    if (rc == GP_OK)
        rc = gp_live_setup_clients(&lv, secret, err, err_len);
    if (rc == GP_OK && lv.profile)
        rc = gp_live_setup_profile(&lv, err, err_len);
    if (rc == GP_OK)
        rc = gp_live_make_loop(&lv, err, err_len);
    if (rc == GP_OK)
        rc = gp_live_make_context(&lv, fd_limit, err, err_len);
    if (rc == GP_OK) {
        gp_live_baseline(&lv);
        run->mem.rss_base_kib = gp_live_server_rss(&srv);
        stats->base_at_unix_us = unix_us();
    }
    if (rc == GP_OK && (rc = run_loop(&lv)) != GP_OK)
        snprintf(err, err_len, "out of memory during the live run");
    if (rc == GP_OK) {
        gp_live_final_health(&lv);
        stats->final_at_unix_us = unix_us();
    }
    if (rc == GP_OK)
        conclude(&lv, &srv);
    if (rc == GP_OK)
        keep_for_merge(&lv, stats);
    gp_live_teardown(&lv);
    if (stats->server_started)
        gp_live_server_stop(&srv); /* already stopped unless the run failed */
    run->sh = NULL;
    run->clock_us = NULL;
    run->clock_ctx = NULL;
    run->trace = NULL;
    return rc;
}
