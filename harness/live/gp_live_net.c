/* gp_live_net.c: the live driver's network -- the scenario's network faults
 * injected between the virtual clients and their real sockets, in both
 * directions, with the same model as the simulator (gp_net.h):
 *   - a lost transmission is sent again after the retransmission time,
 *     doubling; the fifth loss in a row resets the connection (the socket is
 *     dropped and the client sees 1006);
 *   - a duplicated message is written (or handed to the client) twice;
 *   - a message may be overtaken by the next one when the protocol allows
 *     either order (different requests);
 *   - latency beyond the real network's when the scenario asks for a
 *     distribution other than the default.
 * Each is recorded as a fact of that client (gp_drive_fact).  A message
 * waits in its link's queue until it is due; order per direction is kept.
 * Without network faults or latency, messages go straight through. */
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"
#include "gp_net.h"

/* How long a message waits to be overtaken before it goes anyway (ms). */
#define HOLD_MS 50
/* Losses in a row that reset a connection. */
#define LOSSES_RESET 5

static uint64_t draw(void *ctx)
{
    return gp_rng_next(ctx);
}

void gp_live_queue_free(gp_live_queue *q)
{
    while (q->head) {
        gp_live_out *next = q->head->next;
        free(q->head);
        q->head = next;
    }
    q->tail = NULL;
}

static void push(gp_live_queue *q, gp_live_out *m)
{
    m->next = NULL;
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
}

static gp_live_out *pop(gp_live_queue *q)
{
    gp_live_out *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head)
            q->tail = NULL;
    }
    return m;
}

static gp_live_out *make(gp_live *lv, const char *data, size_t len, size_t headroom)
{
    gp_live_out *m = malloc(sizeof(*m) + headroom + len + 1);
    if (!m) {
        lv->nomem = true;
        return NULL;
    }
    memset(m, 0, sizeof(*m));
    m->len = len;
    memcpy(m->buf + headroom, data, len);
    m->buf[headroom + len] = '\0';
    return m;
}

/* The fate of one message: when it may arrive (0: lost for good, the link
 * is reset), whether it waits to be overtaken, whether it is duplicated. */
typedef struct fate {
    uint64_t due;
    bool held, twice;
} fate;

static fate decide(gp_live *lv, uint32_t i, uint64_t *last_due, const char *data, size_t len,
                   bool to_server)
{
    const gp_scenario *sc = lv->sc;
    gp_live_link *l = &lv->links[i];
    uint64_t now = gp_live_now_ms(lv);
    fate f = {.due = now};
    if (lv->add_latency)
        f.due += gp_net_latency(sc, draw, &l->rng);
    uint64_t rto = sc->network.retransmit_ms;
    for (int losses = 1; gp_net_chance(sc->network.drop_rate, draw, &l->rng); losses++) {
        gp_drive_fact(lv->run, i, GP_FACT_DROP, 0);
        if (losses == LOSSES_RESET) {
            f.due = 0;
            return f;
        }
        f.due += rto;
        rto *= 2;
    }
    if (f.due < *last_due)
        f.due = *last_due;
    *last_due = f.due;
    if (sc->network.reorder_rate > 0.0 && gp_net_reorder_key(data, len, to_server))
        f.held = gp_net_chance(sc->network.reorder_rate, draw, &l->rng);
    f.twice = gp_net_chance(sc->network.duplicate_rate, draw, &l->rng);
    return f;
}

/* ---- to the server ------------------------------------------------------------------ */

void gp_live_net_send(gp_live *lv, uint32_t i, const char *data, size_t len, unsigned tag)
{
    gp_live_link *l = &lv->links[i];
    fate f = {0};
    if (lv->netem || lv->add_latency) {
        f = decide(lv, i, &l->last_out_due, data, len, true);
        if (f.due == 0) {
            gp_live_reset(lv, i);
            return;
        }
    }
    unsigned binary = tag & GP_LIVE_OUT_BINARY;
    tag &= ~GP_LIVE_OUT_BINARY;
    for (int copy = 0; copy < 1 + f.twice; copy++) {
        gp_live_out *m = make(lv, data, len, LWS_PRE);
        if (!m)
            return;
        m->due_ms = f.due;
        m->tag = (uint8_t)tag;
        m->flags = (uint8_t)binary;
        m->held = f.held && copy == 0;
        if (lv->sc->network.reorder_rate > 0.0)
            m->key = gp_net_reorder_key(data, len, true);
        push(&l->out, m);
    }
    if (f.twice)
        gp_drive_fact(lv->run, i, GP_FACT_DUP_TO_SERVER, (int)tag);
    if (f.due > gp_live_now_ms(lv))
        gp_live_timer(lv, i, f.due, GP_LIVE_EV_LINK_OUT, 0);
    else if (l->st == GP_LINK_OPEN && l->wsi)
        lws_callback_on_writable(l->wsi);
}

/* A held head is overtaken by the message behind it when that one is of
 * another request and due; it goes anyway once it has waited HOLD_MS. */
static gp_live_out *next_due(gp_live *lv, uint32_t i, gp_live_queue *q, uint64_t now,
                             uint32_t wake_kind)
{
    gp_live_out *h = q->head;
    if (!h)
        return NULL;
    if (h->due_ms > now) {
        gp_live_timer(lv, i, h->due_ms, wake_kind, 0);
        return NULL;
    }
    if (h->held) {
        gp_live_out *n = h->next;
        if (n && n->due_ms <= now && n->key && n->key != h->key) {
            h->next = n->next;
            if (q->tail == n)
                q->tail = h;
            h->held = false;
            gp_drive_fact(lv->run, i, GP_FACT_REORDER, 0);
            return n;
        }
        if (now < h->due_ms + HOLD_MS) {
            gp_live_timer(lv, i, h->due_ms + HOLD_MS, wake_kind, 0);
            return NULL;
        }
        h->held = false;
    }
    return pop(q);
}

gp_live_out *gp_live_net_next_out(gp_live *lv, gp_live_link *l, uint64_t now)
{
    return next_due(lv, (uint32_t)(l - lv->links), &l->out, now, GP_LIVE_EV_LINK_OUT);
}

/* ---- to the client ------------------------------------------------------------------ */

static void deliver_due(gp_live *lv, uint32_t i)
{
    gp_live_link *l = &lv->links[i];
    uint64_t now = gp_live_now_ms(lv);
    gp_live_out *m;
    while (!l->reset && (m = next_due(lv, i, &l->in, now, GP_LIVE_EV_LINK_IN)) != NULL) {
        gp_live_deliver(lv, i, (const char *)m->buf, m->len, m->flags);
        free(m);
    }
}

void gp_live_net_receive(gp_live *lv, uint32_t i, const char *data, size_t len)
{
    gp_live_link *l = &lv->links[i];
    if (!lv->netem && !lv->add_latency && !l->in.head) {
        gp_live_deliver(lv, i, data, len, 0);
        return;
    }
    fate f = {.due = gp_live_now_ms(lv)};
    if (lv->netem || lv->add_latency) {
        f = decide(lv, i, &l->last_in_due, data, len, false);
        if (f.due == 0) {
            gp_live_reset(lv, i);
            return;
        }
    }
    for (int copy = 0; copy < 1 + f.twice; copy++) {
        gp_live_out *m = make(lv, data, len, 0);
        if (!m)
            return;
        m->due_ms = f.due;
        m->flags = copy ? GP_VC_DELIVERY_DUPLICATE : 0;
        m->held = f.held && copy == 0;
        if (lv->sc->network.reorder_rate > 0.0)
            m->key = gp_net_reorder_key(data, len, false);
        push(&l->in, m);
    }
    if (f.twice)
        gp_drive_fact(lv->run, i, GP_FACT_DUP_TO_CLIENT, 0);
    deliver_due(lv, i);
}

void gp_live_net_wake(gp_live *lv, uint32_t i, uint32_t kind)
{
    gp_live_link *l = &lv->links[i];
    if (kind == GP_LIVE_EV_LINK_IN)
        deliver_due(lv, i);
    else if (l->st == GP_LINK_OPEN && l->wsi && l->out.head)
        lws_callback_on_writable(l->wsi);
}
