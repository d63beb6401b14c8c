/* gp_sim.c: the simulator of gp_sim.h -- events, the simulated network, and
 * the two environments (the core's gp_env, the clients' gp_vc_io). */
#include "gp_sim.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_eventq.h"
#include "gp_registry.h"

enum ev_kind {
    EV_CLIENT_START = 0, /* the client begins to connect */
    EV_SERVER_OPEN,      /* the connection reaches the server; ptr: bearer or NULL */
    EV_SERVER_ACCEPT,    /* the server's accept completes */
    EV_CLIENT_OPEN,      /* the client sees the socket open; ptr: opened id */
    EV_TO_SERVER,        /* ptr: sim_msg */
    EV_TO_CLIENT,        /* ptr: sim_msg */
    EV_SERVER_CLOSED,    /* the server learns the transport is gone */
    EV_CLIENT_CLOSED,    /* the client learns it; a: close code */
    EV_SERVER_TIMER,     /* a: handle, ptr: (kind << 32 | arg) */
    EV_CLIENT_TIMER,     /* a: (kind << 32 | arg) */
    EV_SAMPLE,           /* a timeline bucket ends */
};

typedef struct sim_msg {
    size_t len;
    char data[];
} sim_msg;

/* Per-client transport state. */
typedef struct sim_link {
    gp_conn_handle h;
    uint64_t last_to_server, last_to_client; /* last delivery time per direction */
    uint64_t key_to_server, key_to_client;   /* reorder keys of those messages */
    uint64_t floor_to_server, floor_to_client; /* a reordered message lands at or after this */
    bool open_sent;       /* EV_SERVER_OPEN scheduled */
    bool server_open;     /* on_open done */
    bool accepted;        /* accept completed (or scheduled) */
    bool accept_deferred; /* accept_race: waiting for the first message */
    bool server_closing;  /* env->close called or close scheduled */
    bool server_closed;   /* EV_SERVER_CLOSED scheduled */
    bool client_closed;   /* the client closed or saw the close */
    bool reset;
} sim_link;

typedef struct gp_sim {
    gp_run *run;
    const gp_scenario *sc;
    const gp_sim_options *opt;
    gp_eventq q;
    uint64_t now;
    gp_rng net_rng, core_rng;
    gp_env env;
    gp_server *srv;
    gp_vc_shared sh;
    gp_jwt_key *wrong_key;
    sim_link *links;
    uint32_t *slot_client; /* server slot -> client index */
    size_t slot_cap;
    uint64_t pending; /* clients not yet finished */
    gp_server_tally tally;
    uint64_t prev_attempted, prev_succeeded;
    bool nomem;
} gp_sim;

/* ---- helpers -------------------------------------------------------------- */

static void push(gp_sim *s, uint64_t at, enum ev_kind kind, uint32_t client,
                 uint64_t a, void *ptr)
{
    gp_event ev = {.at_ms = at, .kind = kind, .client = client, .a = a, .ptr = ptr};
    if (gp_eventq_push(&s->q, ev) != GP_OK) {
        s->nomem = true;
        free(ptr);
    }
}

static void tracef(gp_sim *s, uint32_t client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tracef(gp_sim *s, uint32_t client, const char *fmt, ...)
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

/* The network's next 64 random bits: the seeded stream, or the schedule's
 * chooser when one is set. */
static uint64_t net_next(gp_sim *s)
{
    return s->opt->choose ? s->opt->choose(s->opt->choose_ctx) : gp_rng_next(&s->net_rng);
}

static double net_unit(gp_sim *s)
{
    return (double)(net_next(s) >> 11) * 0x1.0p-53;
}

static bool net_chance(gp_sim *s, double p)
{
    if (!(p > 0.0))
        return false;
    return p >= 1.0 || net_unit(s) < p;
}

static uint64_t net_range(gp_sim *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + net_next(s) % (hi - lo + 1);
}

static uint64_t latency(gp_sim *s)
{
    const gp_scenario *sc = s->sc;
    uint64_t lo = sc->network.latency_min_ms, hi = sc->network.latency_max_ms;
    switch (sc->network.latency) {
    case GP_LATENCY_FIXED:
        return lo;
    case GP_LATENCY_UNIFORM:
        return net_range(s, lo, hi);
    case GP_LATENCY_EXPONENTIAL: {
        /* inverse transform without libm: -ln(u) from a 64-step series would
         * be slow; use the exact integer method of counting halvings plus a
         * uniform fraction, which has the exponential's mean and shape to
         * within a few percent and is fully deterministic */
        double mean = (double)sc->network.latency_mean_ms - (double)lo;
        double u = net_unit(s), x = 0.0;
        while (u < 0.5 && x < 64.0) {
            u *= 2.0;
            x += 0.6931471805599453; /* ln 2 */
        }
        /* -ln(u) for u in [0.5, 1): series of ln(1 + y), y = 1/u - 1 in (0, 1] */
        double y = 1.0 / u - 1.0, term = y, ln = 0.0;
        for (int k = 1; k <= 30; k++) {
            ln += (k % 2 ? term : -term) / k;
            term *= y;
        }
        uint64_t v = lo + (uint64_t)((x + ln) * mean);
        return v > hi ? hi : v;
    }
    }
    return lo;
}

static gp_state conn_state(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || l->server_closed)
        return GP_STATE_COUNT;
    gp_state st = gp_server_conn_state(s->srv, l->h);
    return st;
}

static void fault(gp_sim *s, gp_fault f, uint32_t i)
{
    gp_state st = conn_state(s, i);
    gp_run_fault(s->run, f, st);
    tracef(s, i, "FAULT %s (server state %s)", gp_fault_name(f),
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
            fault(s, GP_FAULT_AGENT_FAILURE, i);
    s->tally = t;
}

/* ---- the network ---------------------------------------------------------- */

/* Reorder key of a message: the request id's hash for an agent event or an
 * agent_execution, 0 (never reordered) for anything else.  Only computed when
 * reordering is configured. */
static uint64_t reorder_key(const char *data, size_t len, gp_msg_side side)
{
    gp_msg m;
    if (gp_msg_parse(data, len, side, &m, NULL, 0) != GP_OK)
        return 0;
    uint64_t key = 0;
    bool eligible = side == GP_SIDE_SERVER ? m.type == GP_MSG_AGENT_EXECUTION
                                           : gp_agent_step_of(m.type) >= 0;
    if (eligible && m.request_id) {
        key = 1469598103934665603ULL;
        for (const char *p = m.request_id; *p; p++)
            key = (key ^ (uint8_t)*p) * 1099511628211ULL;
        key |= 1;
    }
    gp_msg_clear(&m);
    return key;
}

static void reset_link(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (l->reset)
        return;
    l->reset = true;
    s->run->resets++;
    tracef(s, i, "NETWORK RESET: the connection is lost (1006 both sides)");
    uint64_t at = s->now + latency(s);
    if (!l->client_closed)
        push(s, at, EV_CLIENT_CLOSED, i, 1006, NULL);
    if (l->open_sent && !l->server_closed) {
        l->server_closed = true;
        push(s, at > l->last_to_server ? at : l->last_to_server, EV_SERVER_CLOSED, i, 0, NULL);
    }
}

/* Carries len bytes from one side of client i's connection to the other. */
static void carry(gp_sim *s, uint32_t i, bool to_server, const char *data,
                  size_t len)
{
    const gp_scenario *sc = s->sc;
    sim_link *l = &s->links[i];
    uint64_t at = s->now + latency(s);
    uint64_t rto = sc->network.retransmit_ms;
    for (int tries = 0; net_chance(s, sc->network.drop_rate); tries++) {
        fault(s, GP_FAULT_NET_DROP, i);
        if (tries == 4) {
            reset_link(s, i);
            return;
        }
        at += rto;
        rto *= 2;
    }
    uint64_t *last = to_server ? &l->last_to_server : &l->last_to_client;
    uint64_t *last_key = to_server ? &l->key_to_server : &l->key_to_client;
    uint64_t *floor = to_server ? &l->floor_to_server : &l->floor_to_client;
    uint64_t key = 0;
    if (sc->network.reorder_rate > 0.0)
        key = reorder_key(data, len, to_server ? GP_SIDE_SERVER : GP_SIDE_CLIENT);
    /* A reordered message swaps places with the last message in flight and
     * no other: it lands after everything before that one (the floor), so
     * each request's own messages keep their order. */
    bool overtakes = key && *last_key && key != *last_key && *last > *floor &&
                     (at < *floor ? *floor : at) < *last &&
                     net_chance(s, sc->network.reorder_rate);
    if (overtakes) {
        if (at < *floor)
            at = *floor;
        *floor = at;
        fault(s, GP_FAULT_NET_REORDER, i);
    } else {
        if (at < *last)
            at = *last;
        *floor = *last;
        *last = at;
        *last_key = key;
    }
    int copies = 1 + net_chance(s, sc->network.duplicate_rate);
    if (copies == 2) {
        fault(s, GP_FAULT_NET_DUPLICATE, i);
        s->run->duplicates_delivered++;
    }
    for (int k = 0; k < copies; k++) {
        sim_msg *m = malloc(sizeof(*m) + len + 1);
        if (!m) {
            s->nomem = true;
            return;
        }
        m->len = len;
        memcpy(m->data, data, len);
        m->data[len] = '\0';
        push(s, at, to_server ? EV_TO_SERVER : EV_TO_CLIENT, i, 0, m);
    }
    s->run->messages++;
}

/* ---- the core's environment ----------------------------------------------- */

static uint32_t client_of(void *transport)
{
    return (uint32_t)((uintptr_t)transport - 1);
}

static uint64_t env_now(void *ctx)
{
    return GP_SIM_EPOCH_MS + ((gp_sim *)ctx)->now;
}

static uint64_t env_random(void *ctx)
{
    gp_sim *s = ctx;
    return s->opt->choose ? s->opt->choose(s->opt->choose_ctx) : gp_rng_next(&s->core_rng);
}

static void env_timer(void *ctx, uint64_t delay_ms, uint64_t conn,
                      gp_timer_kind kind, uint32_t arg)
{
    gp_sim *s = ctx;
    push(s, s->now + delay_ms, EV_SERVER_TIMER, UINT32_MAX, conn,
         (void *)(uintptr_t)(((uint64_t)kind << 32) | arg));
}

static void env_send(void *ctx, void *transport, const char *data, size_t len)
{
    gp_sim *s = ctx;
    uint32_t i = client_of(transport);
    tracef(s, i, "server -> client: %.*s", (int)len, data);
    if (s->links[i].reset)
        return;
    carry(s, i, false, data, len);
}

static void env_close(void *ctx, void *transport, int code, const char *reason)
{
    gp_sim *s = ctx;
    uint32_t i = client_of(transport);
    sim_link *l = &s->links[i];
    tracef(s, i, "server closes: %d %s", code, reason);
    if (l->server_closing || l->reset)
        return;
    l->server_closing = true;
    /* The close frame travels behind the messages already sent; the server
     * learns the transport is gone once the close handshake completes. */
    uint64_t at = s->now + latency(s);
    if (at < l->last_to_client)
        at = l->last_to_client;
    l->last_to_client = at;
    push(s, at, EV_CLIENT_CLOSED, i, (uint64_t)code, NULL);
    if (!l->server_closed) {
        l->server_closed = true;
        push(s, at + latency(s), EV_SERVER_CLOSED, i, 0, NULL);
    }
}

static void env_log(void *ctx, gp_log_level level, const char *line)
{
    gp_sim *s = ctx;
    (void)level;
    uint32_t k = s->opt->trace_client;
    if (k == UINT32_MAX || k >= s->run->n_clients)
        return;
    const gp_vclient *c = &s->run->clients[k];
    sim_link *l = &s->links[k];
    const char *id = l->server_open && !l->server_closed ? gp_server_conn_id(s->srv, l->h) : NULL;
    if ((c->opened_id[0] && strstr(line, c->opened_id)) || (id && strstr(line, id)))
        tracef(s, k, "server log %s: %s", gp_log_level_name(level), line);
}

/* ---- the clients' environment ---------------------------------------------- */

static uint64_t io_now(void *ctx)
{
    return ((gp_sim *)ctx)->now;
}

static void io_send(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    gp_sim *s = ctx;
    sim_link *l = &s->links[c->index];
    tracef(s, c->index, "client -> server: %.*s", (int)len, data);
    if (l->client_closed || l->reset)
        return;
    carry(s, c->index, true, data, len);
}

static void io_close(void *ctx, gp_vclient *c, int code)
{
    gp_sim *s = ctx;
    uint32_t i = c->index;
    sim_link *l = &s->links[i];
    tracef(s, i, "client closes: %d", code);
    if (l->client_closed)
        return;
    l->client_closed = true;
    if (l->open_sent && !l->server_closed && !l->reset) {
        l->server_closed = true;
        uint64_t at = s->now + latency(s);
        if (at < l->last_to_server)
            at = l->last_to_server;
        l->last_to_server = at;
        push(s, at, EV_SERVER_CLOSED, i, 0, NULL);
    }
}

static void io_timer(void *ctx, gp_vclient *c, uint64_t delay_ms,
                     gp_vc_timer kind, uint32_t arg)
{
    gp_sim *s = ctx;
    push(s, s->now + delay_ms, EV_CLIENT_TIMER, c->index,
         ((uint64_t)kind << 32) | arg, NULL);
}

/* ---- events --------------------------------------------------------------- */

static void settle(gp_sim *s, uint32_t i, uint8_t outcome_before)
{
    gp_vclient *c = &s->run->clients[i];
    if (outcome_before == GP_VC_PENDING && c->outcome != GP_VC_PENDING) {
        s->pending--;
        tracef(s, i, "client outcome: %s%s%s", gp_vc_outcome_name(c->outcome),
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
    tracef(s, i, "client starts connecting (%s auth)", c->plan.header_auth ? "header" : "message");
    uint64_t at = s->now + latency(s);
    l->open_sent = true;
    l->last_to_server = at;
    push(s, at, EV_SERVER_OPEN, i, 0, bearer);
    if (c->plan.bad_token >= 0 && c->plan.header_auth)
        fault(s, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), i);
    gp_vclient_start(&s->sh, c);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        fault(s, GP_FAULT_DISCONNECT_CONNECTING, i);
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
        tracef(s, i, "server refuses the connection: %s", gp_err_message(rc));
        l->server_closed = true;
        if (!l->client_closed)
            push(s, s->now + latency(s), EV_CLIENT_CLOSED, i, 1013, NULL);
        return;
    }
    l->server_open = true;
    s->run->flags[i] |= GP_CF_OPENED;
    size_t slot = (size_t)(l->h & 0xffffffffu) - 1;
    grow_slots(s, slot);
    if (slot < s->slot_cap)
        s->slot_client[slot] = i;
    char *id = strdup(gp_server_conn_id(s->srv, l->h));
    tracef(s, i, "server opens connection %s (CONNECTING)", id ? id : "?");
    uint64_t accept_at = s->now + c->plan.accept_delay_ms;
    if (c->plan.accept_race) {
        /* The 101 goes out at once; the accept's own completion is late: it
         * happens just after the client's first message has arrived. */
        l->accept_deferred = true;
        accept_at = s->now + 1000; /* fallback when no message ever comes */
        l->last_to_client = s->now + latency(s);
        push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    } else {
        if (c->plan.slow_accept) {
            accept_at = s->now + s->sc->faults.slow_accept_ms;
            fault(s, GP_FAULT_SLOW_ACCEPT, i);
        }
        /* the 101 leaves when accept completes, ahead of anything else the
         * server sends on this connection */
        l->last_to_client = accept_at + latency(s);
        push(s, l->last_to_client, EV_CLIENT_OPEN, i, 0, id);
    }
    push(s, accept_at, EV_SERVER_ACCEPT, i, 0, NULL);
    attribute(s, i);
}

static void on_server_accept(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || l->accepted)
        return;
    l->accepted = true;
    gp_server_on_accept_complete(s->srv, l->h);
    tracef(s, i, "server accept completes");
    attribute(s, i);
}

static void on_client_open(gp_sim *s, uint32_t i, const char *id)
{
    gp_vclient *c = &s->run->clients[i];
    if (s->links[i].client_closed)
        return;
    tracef(s, i, "client sees the socket open");
    if (c->plan.early_message)
        fault(s, GP_FAULT_EARLY_MESSAGE, i);
    if (c->plan.bad_token >= 0 && !c->plan.header_auth)
        fault(s, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), i);
    gp_vclient_on_open(&s->sh, c, id);
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        fault(s, GP_FAULT_DISCONNECT_AUTHENTICATING, i);
}

static void on_to_server(gp_sim *s, uint32_t i, sim_msg *m)
{
    sim_link *l = &s->links[i];
    if (!l->server_open || (l->server_closed && !l->server_closing && l->client_closed &&
                            l->last_to_server < s->now))
        return;
    if (l->accept_deferred && !l->accepted) {
        fault(s, GP_FAULT_ACCEPT_RACE, i);
        l->accept_deferred = false;
        push(s, s->now + 1, EV_SERVER_ACCEPT, i, 0, NULL);
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
        fault(s, GP_FAULT_DISCONNECT_READY, i);
    if (before_event && c->t_first_event && c->plan.disconnect == GP_PHASE_PROCESSING)
        fault(s, GP_FAULT_DISCONNECT_PROCESSING, i);
}

static void on_server_closed(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (!l->server_open)
        return;
    tracef(s, i, "server sees the connection closed");
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
    tracef(s, i, "client sees the connection closed: %d", code);
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
            push(s, s->now + s->sc->report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
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
    s->env = (gp_env){.ctx = s, .now_ms = env_now, .random_u64 = env_random,
                      .timer_start = env_timer, .send = env_send,
                      .close = env_close, .log = env_log,
                      .log_level_min = opt->trace_client == UINT32_MAX
                                           ? GP_LOG_ERROR + 1
                                           : GP_LOG_DEBUG};
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
    s->sh = (gp_vc_shared){.sc = sc,
                           .key = NULL,
                           .wrong_key = s->wrong_key,
                           .epoch_s = (int64_t)(GP_SIM_EPOCH_MS / 1000),
                           .io = {.ctx = s, .now_ms = io_now, .send = io_send,
                                  .close = io_close, .timer = io_timer}};
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
        push(&s, run->clients[i].plan.start_ms, EV_CLIENT_START, i, 0, NULL);
    push(&s, run->sc.report.bucket_ms, EV_SAMPLE, UINT32_MAX, 0, NULL);
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
