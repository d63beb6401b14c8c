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
    uint64_t at = s->now + gp_sim_latency(s, i);
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
            gp_sim_push(s, s->now + gp_sim_latency(s, i), EV_CLIENT_CLOSED, i,
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
        l->last_to_client = s->now + gp_sim_latency(s, i);
        gp_sim_push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    } else if (s->sc->server.upgrade_before_accept && !c->plan.slow_accept) {
        /* the 101 leaves at once; the accept step completes on its own time,
         * and whatever the client sends may race it */
        l->last_to_client = s->now + gp_sim_latency(s, i);
        gp_sim_push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    } else {
        if (c->plan.slow_accept) {
            accept_at = s->now + s->sc->faults.slow_accept_ms;
            gp_drive_fact(s->run, i, GP_FACT_SLOW_ACCEPT, 0);
        }
        /* the 101 leaves when accept completes, ahead of anything else the
         * server sends on this connection */
        l->last_to_client = accept_at + gp_sim_latency(s, i);
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
    bool binary = m->flags & SIM_MSG_BINARY;
    if (!l->server_closing) /* a closing connection's input is not read */
        gp_drive_server_received(s->run, i, m->data, m->len);
    gp_server_on_message(s->srv, l->h, m->data, m->len, binary);
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

/* A timeline row from what the judge observed. */
static void sample(gp_sim *s)
{
    const gp_judge *j = &s->run->judge;
    gp_sim_check_figures(s, false);
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
    s->current = i; /* the core's draws while it serves this event are this client's */
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
    case EV_FAULTS_END:
        s->faults_over = true;
        gp_server_set_agent_failure_rate(s->srv, 0.0);
        gp_sim_tracef(s, UINT32_MAX, "faults end (faults.until_ms)");
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
    s->current = UINT32_MAX;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        uint64_t who = run->clients[i].seed_index;
        gp_rng_seed(&s->links[i].net_rng, gp_rng_derive(sc->seed ^ 0x6e6574776f726bULL, who));
        gp_rng_seed(&s->links[i].core_rng, gp_rng_derive(sc->seed ^ 0x636f72652d726eULL, who));
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
    gp_msg_encoder_destroy(s->sh.enc);
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
    gp_sim_check_figures(s, true);
    run->registry_left = gp_registry_count(gp_server_registry(s->srv));
    run->mem.known = true;
    run->mem.end_count = s->alloc.count;
    run->mem.end_bytes = s->alloc.bytes;
    run->mem.peak_count = s->alloc.peak_count;
    run->mem.peak_bytes = s->alloc.peak_bytes;
}

/* ---- PCT: which of the events due together runs first ----------------------- */

/* The activity an event belongs to: client i's own work, the server's work
 * for its connection, or one direction of its network link; events of one
 * activity keep their order (the network is FIFO, the client sequential).
 * UINT64_MAX: the run's own (samples). */
static uint64_t activity_of(const gp_event *ev)
{
    if (ev->client == UINT32_MAX)
        return UINT64_MAX;
    uint64_t base = (uint64_t)ev->client * 4;
    switch ((enum ev_kind)ev->kind) {
    case EV_CLIENT_START:
    case EV_CLIENT_TIMER:
        return base;
    case EV_SERVER_ACCEPT:
    case EV_SERVER_TIMER:
        return base + 1;
    case EV_SERVER_OPEN:
    case EV_TO_SERVER:
    case EV_SERVER_CLOSED:
        return base + 2;
    default: /* EV_CLIENT_OPEN, EV_TO_CLIENT, EV_CLIENT_CLOSED */
        return base + 3;
    }
}

/* An activity's priority: a random one from the run's PCT stream (always at
 * least 16), unless it was dropped at a change point. */
static uint64_t priority_of(const gp_sim *s, uint64_t act)
{
    for (uint32_t k = 0; k < s->pct_dropped; k++)
        if (s->pct_low[k][0] == act + 1)
            return s->pct_low[k][1];
    uint64_t h = act ^ s->pct_rng.s[0];
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h | 16;
}

static void pct_setup(gp_sim *s, const gp_run *run)
{
    gp_rng_seed(&s->pct_rng, gp_rng_derive(run->sc.seed, 0xffffffff03ULL));
    uint32_t d = s->opt->pct_depth ? s->opt->pct_depth : 1;
    s->pct_changes = d - 1 > 15 ? 15 : d - 1;
    /* k, the steps a run takes, estimated from its clients */
    uint64_t k = (uint64_t)run->n_clients * 40 + 1;
    for (uint32_t j = 0; j < s->pct_changes; j++)
        s->pct_change[j] = 1 + gp_rng_below(&s->pct_rng, k);
}

/* Pops the next event: the earliest; of several due at the same millisecond,
 * the oldest of the highest priority activity. */
static bool pct_pop(gp_sim *s, gp_event *out)
{
    if (!gp_eventq_pop(&s->q, out))
        return false;
    size_t n = 0;
    const gp_event *top;
    while (n < 255 && (top = gp_eventq_peek(&s->q)) && top->at_ms == out->at_ms &&
           gp_eventq_pop(&s->q, &s->pct_ties[n]))
        n++;
    if (n == 0)
        return true;
    s->pct_ties[n++] = *out;
    size_t best = 0;
    uint64_t best_p = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t act = activity_of(&s->pct_ties[k]);
        uint64_t p = act == UINT64_MAX ? UINT64_MAX : priority_of(s, act);
        /* ties within an activity: the oldest (lowest seq) */
        if (k == 0 || p > best_p || (p == best_p && s->pct_ties[k].seq < s->pct_ties[best].seq)) {
            best = k;
            best_p = p;
        }
    }
    *out = s->pct_ties[best];
    for (size_t k = 0; k < n; k++)
        if (k != best && gp_eventq_push_keep(&s->q, s->pct_ties[k]) != GP_OK)
            s->nomem = true;
    return true;
}

/* After step pct_steps ran activity `act`: at a change point it drops. */
static void pct_step(gp_sim *s, const gp_event *ev)
{
    s->pct_steps++;
    for (uint32_t j = 0; j < s->pct_changes; j++)
        if (s->pct_change[j] == s->pct_steps && s->pct_dropped < 16) {
            uint64_t act = activity_of(ev);
            if (act != UINT64_MAX) {
                s->pct_low[s->pct_dropped][0] = act + 1;
                s->pct_low[s->pct_dropped][1] = j + 1; /* below every random one */
                s->pct_dropped++;
            }
        }
}

/* Every client's arrival, pushed at once: the queue keeps them in a sorted
 * backlog, so that its heap holds only what is in flight (a million pending
 * arrivals in the heap made every pop a cascade of cache misses). */
static void push_starts(gp_sim *s)
{
    const gp_run *run = s->run;
    gp_event *starts = malloc(((size_t)run->n_clients + 1) * sizeof(*starts));
    if (!starts) {
        s->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < run->n_clients; i++)
        starts[i] = (gp_event){.at_ms = run->clients[i].plan.start_ms,
                               .kind = EV_CLIENT_START, .client = i};
    if (gp_eventq_push_many(&s->q, starts, run->n_clients) != GP_OK)
        s->nomem = true;
    free(starts);
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
    push_starts(&s);
    gp_sim_push(&s, run->sc.report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
    if (run->sc.faults.until_ms)
        gp_sim_push(&s, run->sc.faults.until_ms, EV_FAULTS_END, UINT32_MAX, 0, NULL);
    gp_event ev;
    uint64_t next_progress = 0;
    bool pct = opt->order == GP_SIM_ORDER_PCT;
    if (pct)
        pct_setup(&s, run);
    while (!s.nomem && (pct ? pct_pop(&s, &ev) : gp_eventq_pop(&s.q, &ev))) {
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
        if (pct)
            pct_step(&s, &ev);
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
