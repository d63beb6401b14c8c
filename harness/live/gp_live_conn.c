/* gp_live_conn.c: one virtual client's WebSocket over libwebsockets -- the
 * clients' gp_vc_io (send, close, timers), the connect, and the protocol
 * callback that feeds the client what happens on its socket.
 *
 * lws rules kept here (TOOLCHAIN.md): WRITEABLE fires more often than asked,
 * so each link has an output queue and a WRITEABLE writes only what is
 * queued, one message per callback, with LWS_PRE headroom; messages are
 * joined from fragments; a failed connect may both call the error callback
 * and return NULL, so "the link is gone" is handled once, whichever comes
 * first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"

#define RX_MAX (1u << 20) /* a joined message larger than this is dropped */

/* No idle pings or hang-ups: lws would keep a "validity" timer per connection
 * in one sorted list and move it on every frame received, O(connections)
 * each time (a quarter of the client's CPU at 15,000 connections). */
const lws_retry_bo_t gp_live_no_idle_policy = {.secs_since_valid_ping = 0,
                                               .secs_since_valid_hangup = 0};

static gp_live *live_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static uint32_t index_of(const gp_live *lv, const gp_live_link *l)
{
    return (uint32_t)(l - lv->links);
}

void gp_live_link_release(gp_live_link *l)
{
    while (l->out_head) {
        gp_live_out *next = l->out_head->next;
        free(l->out_head);
        l->out_head = next;
    }
    l->out_tail = NULL;
    free(l->rx);
    l->rx = NULL;
    l->rx_len = 0;
}

/* ---- accounting ---------------------------------------------------------------- */

void gp_live_before_take(const gp_live *lv, uint32_t i, gp_live_before *b)
{
    const gp_vclient *c = &lv->run->clients[i];
    *b = (gp_live_before){.outcome = c->outcome, .requests_failed = c->requests_failed,
                          .ready = c->t_ready != 0, .first_event = c->t_first_event != 0};
}

/* The server's state is not visible over the wire: a fault is filed under
 * PROCESSING_READY when the client knows the server is there (it sent
 * connection_ready), otherwise under "none" (unknown). */
static void fault(gp_live *lv, uint32_t i, gp_fault f, gp_state st)
{
    gp_run_fault(lv->run, f, st);
    gp_live_tracef(lv, i, "FAULT %s", gp_fault_name(f));
}

void gp_live_account(gp_live *lv, uint32_t i, const gp_live_before *b)
{
    gp_vclient *c = &lv->run->clients[i];
    if (!b->ready && c->t_ready) {
        lv->run->ready++;
        if (c->plan.disconnect == GP_PHASE_READY)
            fault(lv, i, GP_FAULT_DISCONNECT_READY, GP_STATE_PROCESSING_READY);
    }
    if (!b->first_event && c->t_first_event && c->plan.disconnect == GP_PHASE_PROCESSING)
        fault(lv, i, GP_FAULT_DISCONNECT_PROCESSING, GP_STATE_PROCESSING_READY);
    for (unsigned k = b->requests_failed; k < c->requests_failed; k++)
        fault(lv, i, GP_FAULT_AGENT_FAILURE, GP_STATE_PROCESSING_READY);
    if (b->outcome == GP_VC_PENDING && c->outcome != GP_VC_PENDING) {
        lv->pending--;
        if (c->outcome == GP_VC_COMPLETED)
            lv->run->completed++;
        gp_live_tracef(lv, i, "client outcome: %s%s%s", gp_vc_outcome_name(c->outcome),
                       c->failure ? " - " : "", c->failure ? gp_vc_failure_text(c->failure) : "");
    }
}

/* ---- the clients' gp_vc_io ------------------------------------------------------ */

static uint64_t io_now(void *ctx)
{
    return gp_live_now_ms(ctx);
}

static void io_send(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    gp_live *lv = ctx;
    gp_live_link *l = &lv->links[c->index];
    gp_live_tracef(lv, c->index, "client -> server: %.*s", (int)len, data);
    if (l->st == GP_LINK_GONE || l->close_wanted)
        return;
    gp_live_out *o = malloc(sizeof(*o) + LWS_PRE + len);
    if (!o) {
        lv->nomem = true;
        return;
    }
    o->next = NULL;
    o->len = len;
    memcpy(o->buf + LWS_PRE, data, len);
    if (l->out_tail)
        l->out_tail->next = o;
    else
        l->out_head = o;
    l->out_tail = o;
    if (l->st == GP_LINK_OPEN && l->wsi)
        lws_callback_on_writable(l->wsi);
}

static void io_close(void *ctx, gp_vclient *c, int code)
{
    gp_live *lv = ctx;
    gp_live_link *l = &lv->links[c->index];
    gp_live_tracef(lv, c->index, "client closes: %d", code);
    if (l->close_wanted || l->st == GP_LINK_GONE)
        return;
    l->close_wanted = true;
    l->close_code = (int16_t)code;
    if (l->st == GP_LINK_OPEN && l->wsi)
        lws_callback_on_writable(l->wsi); /* the queue goes out first, then the close */
    else if (l->st == GP_LINK_CONNECTING && l->wsi)
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    /* not connecting yet: a connecting-phase disconnect; the socket is opened
     * and dropped as soon as the handshake completes */
}

static void io_timer(void *ctx, gp_vclient *c, uint64_t delay_ms, gp_vc_timer kind,
                     uint32_t arg)
{
    gp_live *lv = ctx;
    uint64_t at = gp_live_now_ms(lv) + delay_ms;
    gp_event ev = {.at_ms = at, .kind = kind, .client = c->index, .a = arg};
    if (gp_eventq_push(&lv->timers, ev) != GP_OK) {
        lv->nomem = true;
        return;
    }
    gp_live_wake(lv, at);
}

void gp_live_io_init(gp_live *lv)
{
    lv->sh.io = (gp_vc_io){.ctx = lv, .now_ms = io_now, .send = io_send, .close = io_close,
                           .timer = io_timer};
}

/* ---- the link's end ---------------------------------------------------------------- */

/* The socket is gone (connect failed, closed, or destroyed): settles the
 * counters once and tells the client, unless it closed the socket itself. */
static void link_gone(gp_live *lv, gp_live_link *l)
{
    if (l->st == GP_LINK_GONE || l->st == GP_LINK_IDLE)
        return;
    uint32_t i = index_of(lv, l);
    bool was_open = l->st == GP_LINK_OPEN;
    if (l->in_flight) {
        l->in_flight = false;
        lv->in_flight--;
    }
    if (was_open)
        lv->ws_open--;
    else
        lv->stats->connect_errors += !l->close_wanted;
    l->st = GP_LINK_GONE;
    l->wsi = NULL;
    lv->busy--;
    lv->run->events++;
    gp_live_link_release(l);
    if (!l->close_wanted) {
        gp_vclient *c = &lv->run->clients[i];
        gp_live_before b;
        gp_live_before_take(lv, i, &b);
        int code = l->peer_code ? l->peer_code : 1006;
        gp_live_tracef(lv, i, "client sees the connection closed: %d%s", code,
                       was_open ? "" : " (the handshake failed)");
        gp_vclient_on_close(&lv->sh, c, code);
        if (!was_open && c->outcome == GP_VC_FAILED && c->failure == GP_VC_FAIL_UNEXPECTED_CLOSE)
            c->failure = GP_VC_FAIL_CONNECT_FAILED;
        gp_live_account(lv, i, &b);
    }
    gp_live_wake(lv, 0); /* a handshake slot is free; the run may be over */
}

/* ---- connecting ------------------------------------------------------------------- */

void gp_live_start_client(gp_live *lv, uint32_t i)
{
    gp_vclient *c = &lv->run->clients[i];
    gp_live_link *l = &lv->links[i];
    gp_live_before b;
    gp_live_before_take(lv, i, &b);
    l->st = GP_LINK_CONNECTING;
    l->in_flight = true;
    lv->in_flight++;
    lv->busy++;
    gp_live_tracef(lv, i, "client starts connecting (%s auth)",
                   c->plan.header_auth ? "header" : "message");
    if (c->plan.bad_token >= 0 && c->plan.header_auth)
        fault(lv, i, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), GP_STATE_COUNT);
    gp_vclient_start(&lv->sh, c);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        fault(lv, i, GP_FAULT_DISCONNECT_CONNECTING, GP_STATE_COUNT);
    gp_live_account(lv, i, &b); /* before the connect, which may settle it again */
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = lv->cx;
    ci.address = lv->url.host;
    ci.port = lv->url.port;
    ci.path = lv->url.path;
    ci.host = lv->host_header;
    ci.origin = lv->host_header;
    ci.protocol = GP_LIVE_PROTOCOL;
    ci.userdata = l;
    ci.pwsi = &l->wsi;
    ci.retry_and_idle_policy = &gp_live_no_idle_policy;
    if (lv->n_sources)
        ci.iface = lv->sources[i % lv->n_sources];
    if (!lws_client_connect_via_info(&ci))
        link_gone(lv, l); /* a no-op when the error callback has run already */
}

/* Adds "Authorization: Bearer <token>" to the upgrade request. */
static int append_auth(gp_live *lv, gp_live_link *l, char **p, size_t room)
{
    uint32_t i = index_of(lv, l);
    const gp_vclient *c = &lv->run->clients[i];
    if (!c->plan.header_auth)
        return 0;
    char token[1024];
    if (gp_vclient_token(&lv->sh, c, token, sizeof(token)) != GP_OK)
        return 0; /* no header: the server's auth timeout will say so */
    int n = snprintf(*p, room, "Authorization: Bearer %s\r\n", token);
    if (n < 0 || (size_t)n >= room)
        return -1;
    *p += n;
    return 0;
}

static int on_established(gp_live *lv, gp_live_link *l, struct lws *wsi)
{
    uint32_t i = index_of(lv, l);
    gp_vclient *c = &lv->run->clients[i];
    l->wsi = wsi;
    l->st = GP_LINK_OPEN;
    if (l->in_flight) {
        l->in_flight = false;
        lv->in_flight--;
    }
    if (++lv->ws_open > lv->stats->open_peak)
        lv->stats->open_peak = lv->ws_open;
    lv->run->flags[i] |= GP_CF_OPENED;
    lv->run->events++;
    gp_live_wake(lv, 0); /* a handshake slot is free */
    if (l->close_wanted) { /* a connecting-phase disconnect: drop it now */
        lws_callback_on_writable(wsi);
        return 0;
    }
    gp_live_tracef(lv, i, "client sees the socket open");
    gp_live_before b;
    gp_live_before_take(lv, i, &b);
    if (c->plan.early_message)
        fault(lv, i, GP_FAULT_EARLY_MESSAGE, GP_STATE_COUNT);
    if (c->plan.bad_token >= 0 && !c->plan.header_auth)
        fault(lv, i, (gp_fault)(GP_FAULT_BAD_SIGNATURE + c->plan.bad_token), GP_STATE_COUNT);
    gp_vclient_on_open(&lv->sh, c, NULL); /* the preliminary id is not on the wire */
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        fault(lv, i, GP_FAULT_DISCONNECT_AUTHENTICATING, GP_STATE_COUNT);
    gp_live_account(lv, i, &b);
    return 0;
}

static void deliver(gp_live *lv, gp_live_link *l, const char *data, size_t len)
{
    uint32_t i = index_of(lv, l);
    gp_live_tracef(lv, i, "server -> client: %.*s", (int)len, data);
    lv->run->messages++;
    lv->run->events++;
    if (l->close_wanted)
        return; /* the client has left; what still arrives is not its business */
    gp_live_before b;
    gp_live_before_take(lv, i, &b);
    gp_vclient_on_message(&lv->sh, &lv->run->clients[i], data, len);
    gp_live_account(lv, i, &b);
}

static int on_receive(gp_live *lv, gp_live_link *l, struct lws *wsi, const char *in,
                      size_t len)
{
    bool final = lws_is_final_fragment(wsi);
    if (!l->rx && lws_is_first_fragment(wsi) && final) {
        deliver(lv, l, in, len);
        return 0;
    }
    if (l->rx_len + len > RX_MAX) {
        gp_live_tracef(lv, index_of(lv, l), "message over %u bytes dropped", RX_MAX);
        free(l->rx);
        l->rx = NULL;
        l->rx_len = 0;
        return 0;
    }
    char *grown = realloc(l->rx, l->rx_len + len + 1);
    if (!grown) {
        lv->nomem = true;
        return -1;
    }
    memcpy(grown + l->rx_len, in, len);
    l->rx = grown;
    l->rx_len += (uint32_t)len;
    if (final) {
        char *msg = l->rx;
        uint32_t msg_len = l->rx_len;
        l->rx = NULL;
        l->rx_len = 0;
        deliver(lv, l, msg, msg_len);
        free(msg);
    }
    return 0;
}

static int on_writeable(gp_live *lv, gp_live_link *l, struct lws *wsi)
{
    gp_live_out *o = l->out_head;
    if (o) {
        if (lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len)
            return -1;
        l->out_head = o->next;
        if (!l->out_head)
            l->out_tail = NULL;
        free(o);
        lv->run->messages++;
        if (l->out_head || l->close_wanted)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (l->close_wanted) {
        lws_close_reason(wsi, (enum lws_close_status)l->close_code, NULL, 0);
        return -1;
    }
    return 0;
}

int gp_live_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                        void *in, size_t len)
{
    gp_live_link *l = user;
    gp_live *lv = live_of(wsi);
    if (!l || !lv || l < lv->links || l >= lv->links + lv->run->n_clients)
        return 0; /* not one of the clients' sockets */
    if (l->st == GP_LINK_GONE || l->st == GP_LINK_IDLE)
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_auth(lv, l, in, len);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        return on_established(lv, l, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(lv, l, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(lv, l, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *p = in;
        l->peer_code = (int16_t)(len >= 2 ? (p[0] << 8 | p[1]) : 1005);
        gp_live_tracef(lv, index_of(lv, l), "server closes: %d", l->peer_code);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        gp_live_tracef(lv, index_of(lv, l), "connect failed: %s",
                       in ? (const char *)in : "(no reason given)");
        link_gone(lv, l);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        link_gone(lv, l);
        return 0;
    default:
        return 0;
    }
}
