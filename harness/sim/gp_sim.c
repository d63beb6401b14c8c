/* gp_sim.c: the simulator of gp_sim.h -- the event loop, what each event
 * does, and the run's set-up and end.  The network is in gp_sim_net.c, the
 * environments in gp_sim_env.c. */
#include "gp_sim_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_checks.h"
#include "gp_registry.h"

/* ---- helpers -------------------------------------------------------------- */

void gp_sim_push(gp_sim *s, uint64_t at, enum ev_kind kind, uint32_t client,
                 uint64_t a, void *ptr)
{
    gp_event ev = {.at_ms = at, .kind = kind, .client = client, .a = a, .ptr = ptr};
    if (gp_eventq_push(&s->q, ev) != GP_OK) {
        s->nomem = true;
        free(ptr);
    }
}

void gp_sim_tracef(gp_sim *s, uint32_t client, const char *fmt, ...)
{
    if (client != s->opt->trace_client || !s->opt->trace)
        return;
    char line[4096];
    int n = snprintf(line, sizeof(line), "%10llu ms  ", (unsigned long long)s->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    s->opt->trace(s->opt->trace_ctx, line);
}

/* ---- events --------------------------------------------------------------- */

static void on_client_start(gp_sim *s, uint32_t i)
{
    gp_vclient *c = &s->run->clients[i];
    sim_link *l = &s->links[i];
    char *bearer = NULL;
    if (c->plan.header_auth) {
        char token[1024];
        if (gp_vclient_token(&s->sh, c, token, sizeof(token)) == GP_OK)
            bearer = strdup(token);
    }
    uint64_t at = s->now + gp_sim_latency(s);
    l->open_sent = true;
    l->last_to_server = at;
    gp_sim_push(s, at, EV_SERVER_OPEN, i, 0, bearer);
    gp_drive_start(s->run, i);
}

static void on_server_open(gp_sim *s, uint32_t i, char *bearer)
{
    gp_vclient *c = &s->run->clients[i];
    sim_link *l = &s->links[i];
    int rc = gp_server_on_open(s->srv, (void *)(uintptr_t)(i + 1), bearer, &l->h);
    free(bearer);
    if (rc != GP_OK) {
        gp_sim_tracef(s, i, "server refuses the connection: %s", gp_err_message(rc));
        s->run->wire.refused++;
        gp_drive_fact(s->run, i, GP_FACT_REFUSED, 0);
        l->server_closed = true;
        if (!l->client_closed)
            gp_sim_push(s, s->now + gp_sim_latency(s), EV_CLIENT_CLOSED, i,
                        GP_CLOSE_TRY_AGAIN, NULL);
        return;
    }
    l->server_open = true;
    s->open_links++;
    s->run->wire.opens++;
    char *id = strdup(gp_server_conn_id(s->srv, l->h));
    if (!id)
        s->nomem = true;
    gp_sim_tracef(s, i, "server opens connection %s (CONNECTING)", id ? id : "?");
    uint64_t accept_at = s->now + c->plan.accept_delay_ms;
    if (c->plan.accept_race) {
        /* The 101 goes out at once; the accept's own completion is late: it
         * happens just after the client's first message has arrived. */
        l->accept_deferred = true;
        accept_at = s->now + 1000; /* fallback when no message ever comes */
        l->last_to_client = s->now + gp_sim_latency(s);
        gp_sim_push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    } else {
        if (c->plan.slow_accept) {
            accept_at = s->now + s->sc->faults.slow_accept_ms;
            gp_drive_fact(s->run, i, GP_FACT_SLOW_ACCEPT, 0);
        }
        /* the 101 leaves when accept completes, ahead of anything else the
         * server sends on this connection */
        l->last_to_client = accept_at + gp_sim_latency(s);
        gp_sim_push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    }
    gp_sim_push(s, accept_at, EV_SERVER_ACCEPT, i, 0, NULL);
}

static void on_server_accept(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || l->accepted)
        return;
    l->accepted = true;
    gp_sim_tracef(s, i, "server accept completes");
    gp_server_on_accept_complete(s->srv, l->h);
}

static void on_client_open(gp_sim *s, uint32_t i, const char *id)
{
    if (s->links[i].client_closed)
        return;
    gp_drive_open(s->run, i, id);
}

static void on_to_server(gp_sim *s, uint32_t i, sim_msg *m)
{
    sim_link *l = &s->links[i];
    if (!l->server_open) /* closed already: the message is lost with it */
        return;
    if (l->accept_deferred && !l->accepted) {
        gp_drive_fact(s->run, i, GP_FACT_ACCEPT_RACE, 0);
        l->accept_deferred = false;
        gp_sim_push(s, s->now + 1, EV_SERVER_ACCEPT, i, 0, NULL);
    }
    if (!l->server_closing) /* a closing connection's input is not read */
        gp_drive_server_received(s->run, i, m->data, m->len);
    gp_server_on_message(s->srv, l->h, m->data, m->len, false);
}

static void on_to_client(gp_sim *s, uint32_t i, sim_msg *m)
{
    if (s->links[i].client_closed)
        return;
    gp_drive_message(s->run, i, m->data, m->len, m->flags);
}

static void on_server_closed(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open)
        return;
    assert(s->open_links > 0 && l->server_closed);
    gp_sim_tracef(s, i, "server sees the connection closed");
    gp_server_on_close(s->srv, l->h);
    l->server_open = false;
    s->open_links--;
}

static void on_client_closed(gp_sim *s, uint32_t i, int code)
{
    sim_link *l = &s->links[i];
    if (l->client_closed)
        return;
    l->client_closed = true;
    gp_drive_close(s->run, i, code);
}

static void on_server_timer(gp_sim *s, uint64_t h, uint64_t packed)
{
    gp_timer_kind kind = (gp_timer_kind)(packed >> 32);
    gp_server_on_timer(s->srv, h, kind, (uint32_t)packed);
}

/* The server's gauges against the connections and machines the harness
 * sees, at every sample: a gauge that is right only once the run is over
 * (counts only ready connections, forgets a state) is wrong here. */
static void compare_gauges(gp_sim *s)
{
    gp_run *run = s->run;
    if (run->health_conflict[0])
        return; /* the first disagreement is the story */
    const gp_judge *j = &run->judge;
    gp_server_gauges g;
    gp_server_gauges_get(s->srv, &g);
    char what[64] = "";
    uint64_t got = 0, want = 0;
    if (g.active_connections != s->open_links) {
        snprintf(what, sizeof(what), "active_connections");
        got = g.active_connections, want = s->open_links;
    } else if (g.registry_size != j->live_machines) {
        snprintf(what, sizeof(what), "registry_size");
        got = g.registry_size, want = j->live_machines;
    } else {
        for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
            if (g.by_state[st] != j->by_state[st]) {
                snprintf(what, sizeof(what), "by_state %s", gp_state_name((gp_state)st));
                got = g.by_state[st], want = j->by_state[st];
                break;
            }
    }
    if (what[0])
        snprintf(run->health_conflict, sizeof(run->health_conflict),
                 "at %llu ms %s was %llu, observed %llu", (unsigned long long)s->now, what,
                 (unsigned long long)got, (unsigned long long)want);
}

/* A timeline row from what the judge observed. */
static void sample(gp_sim *s)
{
    const gp_judge *j = &s->run->judge;
    compare_gauges(s);
    gp_timeline_row row = {.t_ms = s->now,
                           .attempted = j->attempted - s->prev_attempted,
                           .succeeded = j->applied - s->prev_applied,
                           .active = s->open_links,
                           .ready_total = s->run->ready,
                           .completed_total = s->run->completed};
    for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
        row.by_state[st] = j->by_state[st];
    s->prev_attempted = j->attempted;
    s->prev_applied = j->applied;
    if (gp_run_add_row(s->run, &row) != GP_OK)
        s->nomem = true;
}

static void dispatch(gp_sim *s, gp_event *ev)
{
    uint32_t i = ev->client;
    assert(i < s->run->n_clients || i == UINT32_MAX);
    assert(i == UINT32_MAX || !s->links[i].server_open || s->links[i].open_sent);
    switch ((enum ev_kind)ev->kind) {
    case EV_CLIENT_START:
        on_client_start(s, i);
        break;
    case EV_SERVER_OPEN:
        on_server_open(s, i, ev->ptr);
        ev->ptr = NULL;
        break;
    case EV_SERVER_ACCEPT:
        on_server_accept(s, i);
        break;
    case EV_CLIENT_OPEN:
        on_client_open(s, i, ev->ptr);
        break;
    case EV_TO_SERVER:
        on_to_server(s, i, ev->ptr);
        break;
    case EV_TO_CLIENT:
        on_to_client(s, i, ev->ptr);
        break;
    case EV_SERVER_CLOSED:
        on_server_closed(s, i);
        break;
    case EV_CLIENT_CLOSED:
        on_client_closed(s, i, (int)ev->a);
        break;
    case EV_SERVER_TIMER:
        on_server_timer(s, ev->a, (uint64_t)(uintptr_t)ev->ptr);
        ev->ptr = NULL;
        break;
    case EV_CLIENT_TIMER:
        gp_drive_timer(s->run, i, (gp_vc_timer)(ev->a >> 32), (uint32_t)ev->a);
        break;
    case EV_SAMPLE:
        sample(s);
        if (s->run->pending || s->open_links)
            gp_sim_push(s, s->now + s->sc->report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
        break;
    }
    free(ev->ptr);
}
/* ---- the run --------------------------------------------------------------- */

/* run->trace: the traced client's lines, stamped with the virtual time. */
static void trace_line(void *ctx, const char *line)
{
    gp_sim *s = ctx;
    char stamped[4200];
    snprintf(stamped, sizeof(stamped), "%10llu ms  %s", (unsigned long long)s->now, line);
    s->opt->trace(s->opt->trace_ctx, stamped);
}

static int setup(gp_sim *s, gp_run *run, const gp_sim_options *opt, char *err,
                 size_t err_len)
{
    const gp_scenario *sc = &run->sc;
    s->run = run;
    s->sc = sc;
    s->opt = opt;
    run->sh = &s->sh;
    run->trace_client = opt->trace ? opt->trace_client : UINT32_MAX;
    run->trace = trace_line;
    run->trace_ctx = s;
    gp_eventq_init(&s->q);
    gp_rng_seed(&s->net_rng, gp_rng_derive(sc->seed, 0xffffffff01ULL));
    gp_rng_seed(&s->core_rng, gp_rng_derive(sc->seed, 0xffffffff02ULL));
    s->links = calloc(run->n_clients, sizeof(*s->links));
    if (!s->links) {
        snprintf(err, err_len, "out of memory setting up the simulation");
        return GP_ERR_NOMEM;
    }
    gp_sim_env_init(s);
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.bugs = sc->server.bugs;
    cfg.agent = (gp_agent_timing){sc->server.think.min_ms, sc->server.think.max_ms,
                                  sc->server.tool.min_ms, sc->server.tool.max_ms};
    cfg.agent_failure_rate = sc->faults.agent_failure;
    cfg.auth_timeout_ms = sc->server.auth_timeout_ms;
    cfg.stuck_after_ms = sc->server.stuck_after_ms;
    cfg.max_message_bytes = sc->server.max_message_bytes;
    cfg.max_connections = sc->server.max_connections;
    int rc = GP_OK;
    s->srv = gp_server_create(&cfg, &s->env, &rc);
    if (!s->srv) {
        snprintf(err, err_len, "the core refused the server settings: %s",
                 gp_err_message(rc));
        return rc;
    }
    run->mem.base_count = s->alloc.count;
    run->mem.base_bytes = s->alloc.bytes;
    s->wrong_key = gp_jwt_key_create("not-the-server-secret", 21);
    s->sh.sc = sc;
    s->sh.wrong_key = s->wrong_key;
    s->sh.epoch_s = (int64_t)(GP_SIM_EPOCH_MS / 1000);
    s->sh.key = gp_jwt_key_create(cfg.jwt_secret, cfg.jwt_secret_len);
    if (!s->wrong_key || !s->sh.key) {
        snprintf(err, err_len, "out of memory setting up the simulation");
        return GP_ERR_NOMEM;
    }
    run->wire.complete = true;
    run->evidence = GP_EV_LIFECYCLE | GP_EV_LOG | GP_EV_HEALTH | GP_EV_REGISTRY | GP_EV_MEMORY;
    return GP_OK;
}

static void teardown(gp_sim *s)
{
    gp_event ev;
    while (gp_eventq_pop(&s->q, &ev))
        if (ev.kind != EV_SERVER_TIMER)
            free(ev.ptr);
    gp_eventq_free(&s->q);
    gp_server_destroy(s->srv);
    gp_jwt_key_destroy((gp_jwt_key *)s->sh.key);
    gp_jwt_key_destroy(s->wrong_key);
    free(s->links);
    s->run->sh = NULL;
    s->run->trace = NULL;
}

/* The server's side at the end: its figures, its registry, what it holds. */
static void read_server(gp_sim *s)
{
    gp_run *run = s->run;
    gp_server_health(s->srv, &run->health);
    run->registry_left = gp_registry_count(gp_server_registry(s->srv));
    run->mem.known = true;
    run->mem.end_count = s->alloc.count;
    run->mem.end_bytes = s->alloc.bytes;
    run->mem.peak_count = s->alloc.peak_count;
    run->mem.peak_bytes = s->alloc.peak_bytes;
}

int gp_sim_run(gp_run *run, const gp_sim_options *opt, char *err, size_t err_len)
{
    gp_sim s = {0};
    gp_sim_options none = {.trace_client = UINT32_MAX, .server_log_level = GP_LOG_WARNING};
    if (!opt)
        opt = &none;
    int rc = setup(&s, run, opt, err, err_len);
    if (rc != GP_OK) {
        teardown(&s);
        return rc;
    }
    run->mode = "sim";
    for (uint32_t i = 0; i < run->n_clients; i++)
        gp_sim_push(&s, run->clients[i].plan.start_ms, EV_CLIENT_START, i, 0, NULL);
    gp_sim_push(&s, run->sc.report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
    gp_event ev;
    uint64_t next_progress = 0;
    while (!s.nomem && gp_eventq_pop(&s.q, &ev)) {
        if (ev.at_ms > run->sc.limits.run_timeout_ms) {
            if (ev.kind != EV_SERVER_TIMER)
                free(ev.ptr);
            break;
        }
        if (opt->interrupt && *opt->interrupt) {
            run->interrupted = true;
            if (ev.kind != EV_SERVER_TIMER)
                free(ev.ptr);
            break;
        }
        assert(ev.at_ms >= s.now); /* virtual time never goes back */
        s.now = ev.at_ms;
        dispatch(&s, &ev);
        run->events++;
        if (opt->progress && run->events >= next_progress) {
            opt->progress(opt->progress_ctx, run->n_clients - run->pending, run->n_clients);
            next_progress = run->events + 65536;
        }
        if (run->pending == 0 && s.open_links == 0)
            break;
    }
    if (s.nomem) {
        snprintf(err, err_len, "out of memory during the simulation");
        teardown(&s);
        return GP_ERR_NOMEM;
    }
    /* every client settled unless the run timed out */
    assert(run->pending == 0 || s.now >= run->sc.limits.run_timeout_ms ||
           gp_eventq_peek(&s.q) != NULL || run->interrupted);
    sample(&s); /* the last, partial bucket */
    run->end_ms = s.now;
    read_server(&s);
    gp_drive_finish(run, s.now);
    if (opt->progress)
        opt->progress(opt->progress_ctx, run->n_clients, run->n_clients);
    teardown(&s);
    gp_checks_judge(run);
    return GP_OK;
}
