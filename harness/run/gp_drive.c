/* gp_drive.c: the driver-neutral calls of gp_drive.h -- each hands the event
 * to the client or the judge and accounts, once, for what changed. */
#define _GNU_SOURCE /* memmem */
#include "gp_drive.h"
#include "gp_events.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gp_agent.h"
#include "gp_error.h"
#include "gp_profile.h"

/* What a client looked like before an event. */
typedef struct before {
    uint8_t outcome;
    bool ready, first_event, probe_sent;
} before;

static gp_vclient *client(gp_run *run, uint32_t i)
{
    assert(i < run->n_clients);
    return &run->clients[i];
}

static before take(const gp_vclient *c)
{
    return (before){.outcome = c->outcome, .ready = c->t_ready != 0,
                    .first_event = c->t_first_event != 0, .probe_sent = c->probe_sent != 0};
}

static gp_state state_of(const gp_run *run, uint32_t i)
{
    return gp_judge_state(&run->judge, i);
}

static void fault(gp_run *run, uint32_t i, gp_fault f)
{
    if (run->fault_states_later) {
        /* the steps are not known yet: filed by gp_drive_settle_faults */
        gp_run_fault_fired(run, f);
        gp_run_tracef(run, i, "FAULT %s", gp_fault_name(f));
        if (run->deferred_len == run->deferred_cap) {
            size_t cap = run->deferred_cap ? run->deferred_cap * 2 : 256;
            struct gp_deferred_fault *grown = realloc(run->deferred, cap * sizeof(*grown));
            if (!grown) {
                gp_run_fault_state(run, f, GP_STATE_COUNT);
                return;
            }
            run->deferred = grown;
            run->deferred_cap = cap;
        }
        uint64_t at_us = run->clock_us ? run->clock_us(run->clock_ctx)
                                       : run->sh->io.now_ms(run->sh->io.ctx) * 1000;
        run->deferred[run->deferred_len++] =
            (struct gp_deferred_fault){.at_us = at_us, .client = i, .fault = (uint8_t)f};
        return;
    }
    gp_state st = state_of(run, i);
    gp_run_fault(run, f, st);
    gp_run_tracef(run, i, "FAULT %s (server state %s)", gp_fault_name(f),
                  st == GP_STATE_COUNT ? "not known" : gp_state_name(st));
}

void gp_drive_settle_faults(gp_run *run, uint64_t before_us)
{
    while (run->deferred_next < run->deferred_len &&
           run->deferred[run->deferred_next].at_us < before_us) {
        const struct gp_deferred_fault *d = &run->deferred[run->deferred_next++];
        gp_run_fault_state(run, (gp_fault)d->fault, state_of(run, d->client));
    }
}

/* Readiness, completion, client faults carried out, the outcome. */
static void account(gp_run *run, uint32_t i, before b)
{
    gp_vclient *c = client(run, i);
    if (!b.ready && c->t_ready) {
        run->ready++;
        if (c->plan.disconnect == GP_PHASE_READY)
            fault(run, i, GP_FAULT_DISCONNECT_READY);
    }
    if (!b.first_event && c->t_first_event && c->plan.disconnect == GP_PHASE_PROCESSING)
        fault(run, i, GP_FAULT_DISCONNECT_PROCESSING);
    if (!b.probe_sent && c->probe_sent && c->plan.bad_input >= 0)
        fault(run, i, (gp_fault)(GP_FAULT_BI_NOT_JSON + c->plan.bad_input));
    if (b.outcome == GP_VC_PENDING && c->outcome != GP_VC_PENDING) {
        assert(run->pending > 0);
        run->pending--;
        if (c->outcome == GP_VC_COMPLETED)
            run->completed++;
        gp_run_tracef(run, i, "client outcome: %s%s%s", gp_vc_outcome_name(c->outcome),
                      c->failure ? " - " : "", c->failure ? gp_vc_failure_text(c->failure) : "");
        gp_events_client(run, i, c->t_done);
    }
}

void gp_drive_start(gp_run *run, uint32_t i)
{
    gp_vclient *c = client(run, i);
    before b = take(c);
    gp_run_tracef(run, i, "client starts connecting (%s auth)",
                  c->plan.header_auth ? "header" : "message");
    if (c->plan.bad_token >= 0 && c->plan.header_auth)
        fault(run, i, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token));
    if (c->plan.edge_token >= 0 && c->plan.header_auth)
        fault(run, i, (gp_fault)(GP_FAULT_EDGE_NBF_NOW + c->plan.edge_token));
    gp_vclient_start(run->sh, c);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        fault(run, i, GP_FAULT_DISCONNECT_CONNECTING);
    account(run, i, b);
}

void gp_drive_open(gp_run *run, uint32_t i, const char *opened_id)
{
    gp_vclient *c = client(run, i);
    if (c->outcome != GP_VC_PENDING)
        return;
    before b = take(c);
    gp_run_tracef(run, i, "client sees the socket open%s%s", opened_id ? " as " : "",
                  opened_id ? opened_id : "");
    if (c->plan.early_message)
        fault(run, i, GP_FAULT_EARLY_MESSAGE);
    if (c->plan.no_auth)
        fault(run, i, GP_FAULT_NO_AUTH);
    if (c->plan.bad_token >= 0 && !c->plan.header_auth)
        fault(run, i, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token));
    if (c->plan.edge_token >= 0 && !c->plan.header_auth)
        fault(run, i, (gp_fault)(GP_FAULT_EDGE_NBF_NOW + c->plan.edge_token));
    gp_vclient_on_open(run->sh, c, opened_id);
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        fault(run, i, GP_FAULT_DISCONNECT_AUTHENTICATING);
    account(run, i, b);
}

void gp_drive_message(gp_run *run, uint32_t i, const char *data, size_t len,
                      unsigned flags)
{
    gp_vclient *c = client(run, i);
    before b = take(c);
    gp_run_tracef(run, i, "client receives%s: %.*s",
                  flags & GP_VC_DELIVERY_DUPLICATE ? " (network duplicate)" : "",
                  (int)len, data);
    gp_vclient_on_message(run->sh, c, data, len, flags);
    account(run, i, b);
}

void gp_drive_close(gp_run *run, uint32_t i, int code)
{
    gp_vclient *c = client(run, i);
    before b = take(c);
    gp_run_tracef(run, i, "client sees the connection closed: %d", code);
    gp_vclient_on_close(run->sh, c, code);
    account(run, i, b);
}

void gp_drive_refused(gp_run *run, uint32_t i, int status)
{
    gp_vclient *c = client(run, i);
    before b = take(c);
    gp_run_tracef(run, i, "the server refuses the upgrade: HTTP %d", status);
    gp_vclient_on_refused(run->sh, c, status);
    account(run, i, b);
}

void gp_drive_timer(gp_run *run, uint32_t i, gp_vc_timer kind, uint32_t arg)
{
    gp_vclient *c = client(run, i);
    before b = take(c);
    gp_vclient_on_timer(run->sh, c, kind, arg);
    account(run, i, b);
}

/* ---- facts ---------------------------------------------------------------------- */

static void bump8(uint8_t *v)
{
    if (*v < UINT8_MAX)
        (*v)++;
}

static void bump16(uint16_t *v)
{
    if (*v < UINT16_MAX)
        (*v)++;
}

void gp_drive_fact(gp_run *run, uint32_t i, gp_fact f, int arg)
{
    gp_vclient *c = client(run, i);
    gp_vc_facts *x = &c->facts;
    switch (f) {
    case GP_FACT_DUP_TO_SERVER:
        if (arg >= 0 && arg < GP_VC_TAG_COUNT)
            bump8(&x->dup_to_server[arg]);
        run->duplicates_delivered++;
        fault(run, i, GP_FAULT_NET_DUPLICATE);
        break;
    case GP_FACT_DUP_TO_CLIENT:
        bump16(&x->dup_to_client);
        run->duplicates_delivered++;
        fault(run, i, GP_FAULT_NET_DUPLICATE);
        break;
    case GP_FACT_DROP:
        bump16(&x->drops);
        fault(run, i, GP_FAULT_NET_DROP);
        break;
    case GP_FACT_REORDER:
        bump16(&x->reordered);
        fault(run, i, GP_FAULT_NET_REORDER);
        break;
    case GP_FACT_RESET:
        if (!x->reset) {
            x->reset = 1;
            run->resets++;
            gp_run_tracef(run, i, "NETWORK RESET while %s: the connection is lost",
                          gp_vclient_phase_name(c));
        }
        break;
    case GP_FACT_ACCEPT_RACE:
        x->accept_raced = true;
        fault(run, i, GP_FAULT_ACCEPT_RACE);
        break;
    case GP_FACT_SLOW_ACCEPT:
        x->slow_accept = true;
        fault(run, i, GP_FAULT_SLOW_ACCEPT);
        break;
    case GP_FACT_REFUSED:
        x->refused_full = true;
        break;
    case GP_FACT_AGENT_FAILED:
        if (arg >= 0 && arg < GP_REQUESTS_PER_CLIENT_MAX)
            x->agent_failed |= 1u << arg;
        else
            x->agent_failed_early = true;
        fault(run, i, GP_FAULT_AGENT_FAILURE);
        break;
    }
}

/* ---- the server's side ------------------------------------------------------------ */

/* The index of request id "r-<k+1>" (or a profile's "c<i>-r<k+1>") of client
 * i, -1 for its early request, -2 for none of its own. */
static int request_of(const char *rid)
{
    unsigned k = 0;
    int used = 0;
    if (rid && strcmp(rid, "early-1") == 0)
        return -1;
    unsigned who = 0;
    bool ok = rid && (rid[0] == 'c' ? sscanf(rid, "c%u-r%u%n", &who, &k, &used) == 2
                                    : sscanf(rid, "r-%u%n", &k, &used) == 1);
    if (!ok || rid[used] || k == 0 || k > GP_REQUESTS_PER_CLIENT_MAX)
        return -2;
    return (int)k - 1;
}

void gp_drive_observe(gp_run *run, uint32_t i, const gp_observation *o)
{
    if (o->kind == GP_OBS_AGENT_FAILURE) {
        if (i >= run->n_clients)
            i = gp_judge_conn_of(&run->judge, o->id);
        int k = request_of(o->request_id);
        if (i < run->n_clients && k >= -1)
            gp_drive_fact(run, i, GP_FACT_AGENT_FAILED, k);
        return;
    }
    gp_judge_observe(&run->judge, i, o);
    if (i < run->n_clients && o->kind == GP_OBS_STEP)
        gp_run_tracef(run, i, "server step %s: %s -> %s%s", o->id,
                      gp_state_name((gp_state)o->from), gp_state_name((gp_state)o->to),
                      o->applied ? "" : " (refused)");
}

/* The type (and error code) of a message the server sent, without a full
 * parse when it starts as goldpath's encoder writes it. */
static int peek_profile(const gp_profile *p, const char *data, size_t len, int *code)
{
    gp_pin m;
    if (gp_profile_read(p, data, len, &m) != GP_OK)
        return GP_MSG_NONE;
    int type = GP_MSG_NONE;
    switch (m.kind) {
    case GP_PIN_READY:
        type = GP_MSG_CONNECTION_READY;
        break;
    case GP_PIN_ERROR:
        type = GP_MSG_ERROR;
        *code = m.code;
        break;
    case GP_PIN_PONG:
        type = GP_MSG_PONG;
        break;
    case GP_PIN_EVENT: /* the first and the terminal event stand for started and completed */
        type = m.step == 0 ? GP_MSG_AGENT_STARTED
               : m.step == p->n_steps - 1 ? GP_MSG_AGENT_COMPLETED : GP_MSG_AGENT_THINKING;
        break;
    default:
        type = GP_MSG_NONE;
    }
    gp_pin_clear(&m);
    return type;
}

static int peek(const gp_run *run, const char *data, size_t len, int *code)
{
    *code = -1;
    if (run->sh && run->sh->profile) /* a server of another protocol */
        return peek_profile(run->sh->profile, data, len, code);
    static const char head[] = "{\"type\":\"";
    static const char key[] = "\"code\":\"";
    *code = -1;
    size_t h = sizeof(head) - 1;
    if (len > h && memcmp(data, head, h) == 0) {
        const char *q = memchr(data + h, '"', len - h);
        char name[32];
        size_t n = q ? (size_t)(q - data) - h : sizeof(name);
        if (n < sizeof(name)) {
            memcpy(name, data + h, n);
            name[n] = '\0';
            int type = gp_msg_type_parse(name);
            if (type != GP_MSG_ERROR)
                return type;
            const char *k = memmem(data, len, key, sizeof(key) - 1);
            if (k) {
                const char *v = k + sizeof(key) - 1;
                const char *e = memchr(v, '"', len - (size_t)(v - data));
                n = e ? (size_t)(e - v) : sizeof(name);
                if (n < sizeof(name)) {
                    memcpy(name, v, n);
                    name[n] = '\0';
                    *code = gp_proto_error_parse(name);
                    return type;
                }
            }
        }
    }
    gp_msg m;
    if (gp_msg_parse(data, len, GP_SIDE_CLIENT, &m, NULL, 0) != GP_OK)
        return GP_MSG_NONE;
    int type = m.type;
    if (type == GP_MSG_ERROR)
        *code = gp_proto_error_parse(m.code);
    gp_msg_clear(&m);
    return type;
}

void gp_drive_server_sent(gp_run *run, uint32_t i, const char *data, size_t len,
                          uint64_t at_ms)
{
    gp_wire *w = &run->wire;
    int code;
    int type = peek(run, data, len, &code);
    w->sent_total++;
    /* after its close frame a server sends nothing (RFC 6455 5.5.1) */
    if (w->complete && i < run->judge.n &&
        (run->judge.conns[i].flags & GP_JF_SERVER_CLOSED))
        run->judge.conns[i].flags |= GP_JF_AFTER_CLOSE;
    if (type == GP_MSG_NONE) {
        w->unparseable++;
        return;
    }
    w->sent[type]++;
    if (type == GP_MSG_ERROR && code >= 0 && code < GP_PROTO_ERROR_COUNT)
        w->errors[code]++;
    /* the machine's state when connection_ready left the server: known here
     * when every step is observed as it happens (simulation); live, the
     * server's log says when it sent it */
    if (type == GP_MSG_CONNECTION_READY && w->complete)
        gp_judge_ready_sent(&run->judge, i, at_ms);
}

void gp_drive_server_received(gp_run *run, uint32_t i, const char *data, size_t len)
{
    (void)i;
    gp_wire *w = &run->wire;
    w->received_total++;
    /* what the clients send is goldpath's own encoding: the type is enough */
    static const char head[] = "{\"type\":\"";
    size_t h = sizeof(head) - 1;
    if (len > h && memcmp(data, head, h) == 0) {
        const char *q = memchr(data + h, '"', len - h);
        char name[32];
        size_t n = q ? (size_t)(q - data) - h : sizeof(name);
        if (n < sizeof(name)) {
            memcpy(name, data + h, n);
            name[n] = '\0';
            w->received[gp_msg_type_parse(name)]++;
        }
    }
}

void gp_drive_server_closed(gp_run *run, uint32_t i, int code)
{
    if (i < run->judge.n) {
        uint8_t *f = &run->judge.conns[i].flags;
        *f |= *f & GP_JF_SERVER_CLOSED ? GP_JF_AFTER_CLOSE : GP_JF_SERVER_CLOSED;
    }
    if (code == GP_CLOSE_AUTH_TIMEOUT)
        run->wire.closes_auth_timeout++;
}

static uint32_t conn_of(const void *ctx, const char *id)
{
    return gp_judge_conn_of(ctx, id);
}

uint32_t gp_drive_log(gp_run *run, uint32_t i, const char *level, const char *text)
{
    uint32_t who = gp_logsig_line(&run->logsig, level, text, i, conn_of, &run->judge);
    if (who != UINT32_MAX)
        gp_run_tracef(run, who, "server log %s: %s", level, text);
    return who;
}

/* ---- the end ------------------------------------------------------------------------ */

void gp_drive_finish(gp_run *run, uint64_t at_ms)
{
    gp_drive_settle_faults(run, UINT64_MAX);
    gp_judge_finish(&run->judge, at_ms);
    memset(run->outcome, 0, sizeof(run->outcome));
    run->expected_to_complete = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        gp_vclient *c = &run->clients[i];
        before b = take(c);
        gp_vclient_finish(run->sh, c);
        account(run, i, b);
        run->outcome[c->outcome]++;
        if (gp_vclient_expects_completion(c))
            run->expected_to_complete++;
        if (c->t_ready && c->t_ready >= c->t_start)
            gp_run_latency(run, GP_LAT_READY, c->t_ready - c->t_start);
        if (c->t_open && c->t_open >= c->t_start)
            gp_run_latency(run, GP_LAT_CONNECT, c->t_open - c->t_start);
    }
}
