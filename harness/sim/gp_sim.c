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

static gp_state conn_state(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || l->server_closed)
        return GP_STATE_COUNT;
    gp_state st = gp_server_conn_state(s->srv, l->h);
    return st;
}

void gp_sim_fault(gp_sim *s, gp_fault f, uint32_t i)
{
    gp_state st = conn_state(s, i);
    gp_run_fault(s->run, f, st);
    gp_sim_tracef(s, i, "FAULT %s (server state %s)", gp_fault_name(f),
           st == GP_STATE_COUNT ? "none" : gp_state_name(st));
}

/* After any call into the server on behalf of client i: attribute what the
 * server's running totals say happened to that connection. */
static void attribute(gp_sim *s, uint32_t i)
{
    gp_server_tally t;
    gp_server_tally_get(s->srv, &t);
    uint8_t *f = &s->run->flags[i];
    if (t.stuck_detected != s->tally.stuck_detected)
        *f |= GP_CF_STUCK;
    if (t.transitions_failed != s->tally.transitions_failed)
        *f |= GP_CF_INVALID;
    if (t.id_mismatches != s->tally.id_mismatches)
        *f |= GP_CF_MISMATCH;
    if (t.requests_failed != s->tally.requests_failed)
        for (uint64_t k = s->tally.requests_failed; k < t.requests_failed; k++)
            gp_sim_fault(s, GP_FAULT_AGENT_FAILURE, i);
    s->tally = t;
}
/* ---- events --------------------------------------------------------------- */

static void settle(gp_sim *s, uint32_t i, uint8_t outcome_before)
{
    gp_vclient *c = &s->run->clients[i];
    if (outcome_before == GP_VC_PENDING && c->outcome != GP_VC_PENDING) {
        s->pending--;
        gp_sim_tracef(s, i, "client outcome: %s%s%s", gp_vc_outcome_name(c->outcome),
               c->failure ? " - " : "", c->failure ? gp_vc_failure_text(c->failure) : "");
    }
}

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
    gp_sim_tracef(s, i, "client starts connecting (%s auth)", c->plan.header_auth ? "header" : "message");
    uint64_t at = s->now + gp_sim_latency(s);
    l->open_sent = true;
    l->last_to_server = at;
    gp_sim_push(s, at, EV_SERVER_OPEN, i, 0, bearer);
    if (c->plan.bad_token >= 0 && c->plan.header_auth)
        gp_sim_fault(s, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), i);
    gp_vclient_start(&s->sh, c);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        gp_sim_fault(s, GP_FAULT_DISCONNECT_CONNECTING, i);
}

static void grow_slots(gp_sim *s, size_t slot)
{
    if (slot < s->slot_cap)
        return;
    size_t cap = s->slot_cap ? s->slot_cap : 1024;
    while (cap <= slot)
        cap *= 2;
    uint32_t *grown = realloc(s->slot_client, cap * sizeof(*grown));
    if (!grown) {
        s->nomem = true;
        return;
    }
    s->slot_client = grown;
    s->slot_cap = cap;
}

static void on_server_open(gp_sim *s, uint32_t i, char *bearer)
{
    gp_vclient *c = &s->run->clients[i];
    sim_link *l = &s->links[i];
    int rc = gp_server_on_open(s->srv, (void *)(uintptr_t)(i + 1), bearer, &l->h);
    free(bearer);
    if (rc != GP_OK) {
        gp_sim_tracef(s, i, "server refuses the connection: %s", gp_err_message(rc));
        l->server_closed = true;
        if (!l->client_closed)
            gp_sim_push(s, s->now + gp_sim_latency(s), EV_CLIENT_CLOSED, i, 1013, NULL);
        return;
    }
    l->server_open = true;
    s->run->flags[i] |= GP_CF_OPENED;
    size_t slot = (size_t)(l->h & 0xffffffffu) - 1;
    grow_slots(s, slot);
    if (slot < s->slot_cap)
        s->slot_client[slot] = i;
    char *id = strdup(gp_server_conn_id(s->srv, l->h));
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
            gp_sim_fault(s, GP_FAULT_SLOW_ACCEPT, i);
        }
        /* the 101 leaves when accept completes, ahead of anything else the
         * server sends on this connection */
        l->last_to_client = accept_at + gp_sim_latency(s);
        gp_sim_push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    }
    gp_sim_push(s, accept_at, EV_SERVER_ACCEPT, i, 0, NULL);
    attribute(s, i);
}

static void on_server_accept(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || l->accepted)
        return;
    l->accepted = true;
    gp_server_on_accept_complete(s->srv, l->h);
    gp_sim_tracef(s, i, "server accept completes");
    attribute(s, i);
}

static void on_client_open(gp_sim *s, uint32_t i, const char *id)
{
    gp_vclient *c = &s->run->clients[i];
    if (s->links[i].client_closed)
        return;
    gp_sim_tracef(s, i, "client sees the socket open");
    if (c->plan.early_message)
        gp_sim_fault(s, GP_FAULT_EARLY_MESSAGE, i);
    if (c->plan.bad_token >= 0 && !c->plan.header_auth)
        gp_sim_fault(s, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), i);
    gp_vclient_on_open(&s->sh, c, id);
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        gp_sim_fault(s, GP_FAULT_DISCONNECT_AUTHENTICATING, i);
}

static void on_to_server(gp_sim *s, uint32_t i, sim_msg *m)
{
    sim_link *l = &s->links[i];
    if (!l->server_open) /* closed already: the message is lost with it */
        return;
    if (l->accept_deferred && !l->accepted) {
        gp_sim_fault(s, GP_FAULT_ACCEPT_RACE, i);
        l->accept_deferred = false;
        gp_sim_push(s, s->now + 1, EV_SERVER_ACCEPT, i, 0, NULL);
    }
    gp_server_on_message(s->srv, l->h, m->data, m->len, false);
    attribute(s, i);
}

static void on_to_client(gp_sim *s, uint32_t i, sim_msg *m)
{
    gp_vclient *c = &s->run->clients[i];
    if (s->links[i].client_closed)
        return;
    int before_ready = c->t_ready == 0, before_event = c->t_first_event == 0;
    gp_vclient_on_message(&s->sh, c, m->data, m->len);
    if (before_ready && c->t_ready && c->plan.disconnect == GP_PHASE_READY)
        gp_sim_fault(s, GP_FAULT_DISCONNECT_READY, i);
    if (before_event && c->t_first_event && c->plan.disconnect == GP_PHASE_PROCESSING)
        gp_sim_fault(s, GP_FAULT_DISCONNECT_PROCESSING, i);
}

static void on_server_closed(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open)
        return;
    gp_sim_tracef(s, i, "server sees the connection closed");
    gp_server_on_close(s->srv, l->h);
    l->server_open = false;
    attribute(s, i);
}

static void on_client_closed(gp_sim *s, uint32_t i, int code)
{
    sim_link *l = &s->links[i];
    if (l->client_closed)
        return;
    l->client_closed = true;
    gp_sim_tracef(s, i, "client sees the connection closed: %d", code);
    gp_vclient_on_close(&s->sh, &s->run->clients[i], code);
}

static void on_server_timer(gp_sim *s, uint64_t h, uint64_t packed)
{
    gp_timer_kind kind = (gp_timer_kind)(packed >> 32);
    uint32_t arg = (uint32_t)packed;
    const char *id = h ? gp_server_conn_id(s->srv, h) : NULL;
    size_t slot = (size_t)(h & 0xffffffffu);
    uint32_t i = UINT32_MAX;
    if (id && slot >= 1 && slot <= s->slot_cap)
        i = s->slot_client[slot - 1];
    gp_server_on_timer(s->srv, h, kind, arg);
    if (i != UINT32_MAX)
        attribute(s, i);
    else
        gp_server_tally_get(s->srv, &s->tally);
}

static void sample(gp_sim *s)
{
    gp_server_tally t;
    gp_server_tally_get(s->srv, &t);
    gp_timeline_row row = {.t_ms = s->now,
                           .attempted = t.transitions_attempted - s->prev_attempted,
                           .succeeded = t.transitions_succeeded - s->prev_succeeded,
                           .active = gp_server_connection_count(s->srv),
                           .ready_total = s->run->ready,
                           .completed_total = s->run->completed};
    const gp_registry *reg = gp_server_registry(s->srv);
    for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
        row.by_state[st] = gp_registry_count_state(reg, (gp_state)st);
    s->prev_attempted = t.transitions_attempted;
    s->prev_succeeded = t.transitions_succeeded;
    if (gp_run_add_row(s->run, &row) != GP_OK)
        s->nomem = true;
}

static void dispatch(gp_sim *s, gp_event *ev)
{
    uint32_t i = ev->client;
    uint8_t before = i < s->run->n_clients ? s->run->clients[i].outcome : 0;
    uint64_t ready_before = i < s->run->n_clients ? s->run->clients[i].t_ready : 0;
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
        gp_vclient_on_timer(&s->sh, &s->run->clients[i],
                            (gp_vc_timer)(ev->a >> 32), (uint32_t)ev->a);
        break;
    case EV_SAMPLE:
        sample(s);
        if (s->pending || gp_server_connection_count(s->srv))
            gp_sim_push(s, s->now + s->sc->report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
        break;
    }
    free(ev->ptr);
    if (i < s->run->n_clients) {
        gp_vclient *c = &s->run->clients[i];
        if (!ready_before && c->t_ready)
            s->run->ready++;
        if (before == GP_VC_PENDING && c->outcome == GP_VC_COMPLETED)
            s->run->completed++;
        settle(s, i, before);
    }
}
/* ---- the run --------------------------------------------------------------- */

static int setup(gp_sim *s, gp_run *run, const gp_sim_options *opt, char *err,
                 size_t err_len)
{
    const gp_scenario *sc = &run->sc;
    s->run = run;
    s->sc = sc;
    s->opt = opt;
    gp_eventq_init(&s->q);
    gp_rng_seed(&s->net_rng, gp_rng_derive(sc->seed, 0xffffffff01ULL));
    gp_rng_seed(&s->core_rng, gp_rng_derive(sc->seed, 0xffffffff02ULL));
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
    s->wrong_key = gp_jwt_key_create("not-the-server-secret", 21);
    s->sh.sc = sc;
    s->sh.wrong_key = s->wrong_key;
    s->sh.epoch_s = (int64_t)(GP_SIM_EPOCH_MS / 1000);
    s->sh.key = gp_jwt_key_create(cfg.jwt_secret, cfg.jwt_secret_len);
    s->links = calloc(run->n_clients, sizeof(*s->links));
    if (!s->wrong_key || !s->sh.key || !s->links) {
        snprintf(err, err_len, "out of memory setting up the simulation");
        return GP_ERR_NOMEM;
    }
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
    free(s->slot_client);
}

int gp_sim_run(gp_run *run, const gp_sim_options *opt, char *err, size_t err_len)
{
    gp_sim s = {0};
    gp_sim_options none = {.trace_client = UINT32_MAX};
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
    s.pending = run->n_clients;
    gp_event ev;
    uint64_t next_progress = 0;
    while (!s.nomem && gp_eventq_pop(&s.q, &ev)) {
        if (ev.at_ms > run->sc.limits.run_timeout_ms) {
            if (ev.kind != EV_SERVER_TIMER)
                free(ev.ptr);
            break;
        }
        s.now = ev.at_ms;
        dispatch(&s, &ev);
        run->events++;
        if (opt->progress && run->events >= next_progress) {
            opt->progress(opt->progress_ctx, run->n_clients - s.pending, run->n_clients);
            next_progress = run->events + 65536;
        }
        if (s.pending == 0 && gp_server_connection_count(s.srv) == 0)
            break;
    }
    if (s.nomem) {
        snprintf(err, err_len, "out of memory during the simulation");
        teardown(&s);
        return GP_ERR_NOMEM;
    }
    sample(&s); /* the last, partial bucket */
    run->end_ms = s.now;
    gp_server_health(s.srv, &run->health);
    run->health_known = true;
    run->registry_left = gp_registry_count(gp_server_registry(s.srv));
    if (opt->progress)
        opt->progress(opt->progress_ctx, run->n_clients, run->n_clients);
    teardown(&s);
    gp_run_judge(run);
    return GP_OK;
}
