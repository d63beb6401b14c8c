/* gp_live_conn.c: one virtual client's WebSocket over libwebsockets -- the
 * clients' gp_vc_io (send, close, timers), the connect, and the protocol
 * callback that feeds the client (through gp_drive) what happens on its
 * socket.  The driver's network (gp_live_net.c) sits between the two.
 *
 * lws rules kept here (TOOLCHAIN.md): WRITEABLE fires more often than asked,
 * so each link has an output queue and a WRITEABLE writes only what is
 * queued and due, one message per callback, with LWS_PRE headroom; messages
 * are joined from fragments; a failed connect may both call the error
 * callback and return NULL, so "the link is gone" is handled once, whichever
 * comes first. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gp_codec.h"
#include "gp_error.h"
#include "gp_jptr.h"
#include "gp_live_int.h"

#define RX_MAX (1u << 20) /* a joined message larger than this is dropped */
/* How late the server completes the accept of a client planned to race it
 * (ms): far longer than the client takes to send its first message. */
#define ACCEPT_RACE_DELAY_MS 250

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
    gp_live_queue_free(&l->out);
    gp_live_queue_free(&l->in);
    free(l->rx);
    l->rx = NULL;
    l->rx_len = 0;
}

/* ---- the clients' gp_vc_io ------------------------------------------------------ */

static uint64_t io_now(void *ctx)
{
    return gp_live_now_ms(ctx);
}

static void io_send(void *ctx, gp_vclient *c, const char *data, size_t len, unsigned tag)
{
    gp_live *lv = ctx;
    gp_live_link *l = &lv->links[c->index];
    gp_live_tracef(lv, c->index, "client -> server: %.*s", (int)len, data);
    if (l->st == GP_LINK_GONE || l->close_wanted || l->reset)
        return;
    gp_live_net_send(lv, c->index, data, len, tag);
}

static void io_send_binary(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    gp_live *lv = ctx;
    gp_live_link *l = &lv->links[c->index];
    gp_live_tracef(lv, c->index, "client -> server: a binary frame of %zu bytes", len);
    if (l->st == GP_LINK_GONE || l->close_wanted || l->reset)
        return;
    gp_live_net_send(lv, c->index, data, len, GP_VC_TAG_PROBE | GP_LIVE_OUT_BINARY);
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
    gp_live_timer(lv, c->index, gp_live_now_ms(lv) + delay_ms, kind, arg);
}

static void io_latency(void *ctx, int kind, uint64_t ms)
{
    gp_live *lv = ctx;
    gp_run_latency(lv->run, kind == GP_LATX_FIRST_EVENT ? GP_LAT_FIRST_EVENT : GP_LAT_COMPLETED,
                   ms);
}

void gp_live_io_init(gp_live *lv)
{
    lv->sh.io = (gp_vc_io){.ctx = lv,          .now_ms = io_now,
                           .send = io_send,    .send_binary = io_send_binary,
                           .close = io_close,  .timer = io_timer,
                           .latency = io_latency};
}

/* ---- the link's end ---------------------------------------------------------------- */

/* The socket is gone (connect failed, closed, reset or destroyed): settles
 * the counters once and tells the client, unless it closed the socket
 * itself. */
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
        lv->stats->connect_errors += !l->close_wanted && !l->reset;
    if (!was_open && !l->close_wanted && !l->reset && !lv->stats->connect_error[0])
        snprintf(lv->stats->connect_error, sizeof(lv->stats->connect_error),
                 "the connection closed before the WebSocket upgrade completed");
    l->wsi = NULL;
    /* what the driver's network still held for the client arrived ahead of
     * the close, as on TCP -- unless the network reset the connection */
    while (!l->reset && l->in.head) {
        gp_live_out *m = l->in.head;
        l->in.head = m->next;
        if (!l->in.head)
            l->in.tail = NULL;
        gp_live_deliver(lv, i, (const char *)m->buf, m->len, m->flags);
        free(m);
    }
    l->st = GP_LINK_GONE;
    lv->busy--;
    lv->run->events++;
    gp_live_link_release(l);
    if (!l->close_wanted) {
        gp_vclient *c = &lv->run->clients[i];
        int code = l->reset ? GP_CLOSE_ABNORMAL : l->peer_code ? l->peer_code : GP_CLOSE_ABNORMAL;
        if (!was_open && !l->reset)
            gp_live_tracef(lv, i, "the handshake failed%s", l->http_status ? " (HTTP status)" : "");
        if (!was_open && !l->reset && l->http_status) {
            gp_drive_refused(lv->run, i, l->http_status);
            gp_live_wake(lv, 0);
            return;
        }
        gp_drive_close(lv->run, i, code);
        if (!was_open && c->outcome == GP_VC_FAILED && c->failure == GP_VC_FAIL_UNEXPECTED_CLOSE)
            c->failure = GP_VC_FAIL_CONNECT_FAILED;
    }
    gp_live_wake(lv, 0); /* a handshake slot is free; the run may be over */
}

void gp_live_reset(gp_live *lv, uint32_t i)
{
    gp_live_link *l = &lv->links[i];
    if (l->reset || l->st == GP_LINK_GONE)
        return;
    l->reset = true;
    gp_drive_fact(lv->run, i, GP_FACT_RESET, 0);
    if (l->wsi)
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    else
        link_gone(lv, l);
}

/* ---- connecting ------------------------------------------------------------------- */

/* The upgrade path: the scenario's, plus the accept delay the started
 * server's fault hook applies to this connection. */
/* True when client c presents a token at the upgrade (header, query, cookie). */
static bool token_at_upgrade(const gp_live *lv, const gp_vclient *c)
{
    if (c->plan.no_auth)
        return false;
    if (!lv->profile)
        return c->plan.header_auth;
    const gp_profile *p = lv->profile;
    if (p->auth_by[GP_AUTH_QUERY] || p->auth_by[GP_AUTH_COOKIE])
        return true;
    return p->auth_by[GP_AUTH_HEADER] && c->plan.header_auth;
}

/* The upgrade path: the URL's (or the profile's), the token when the profile
 * puts it in the query string, and the accept delay the started server's
 * fault hook applies to this connection. */
static void client_path(gp_live *lv, uint32_t i, char *out, size_t out_len)
{
    const gp_vclient *c = &lv->run->clients[i];
    gp_live_link *l = &lv->links[i];
    l->accept_delay_ms = 0;
    if (lv->hooks) {
        if (c->plan.accept_race)
            l->accept_delay_ms = ACCEPT_RACE_DELAY_MS;
        else if (c->plan.slow_accept)
            l->accept_delay_ms = lv->sc->faults.slow_accept_ms;
        else
            l->accept_delay_ms = c->plan.accept_delay_ms;
    }
    const char *path = lv->url.path;
    if (lv->profile && !lv->url.path_given)
        path = lv->profile->ws_path;
    size_t w = (size_t)snprintf(out, out_len, "%s", path);
    char token[4096];
    if (lv->profile && lv->profile->auth_by[GP_AUTH_QUERY] && token_at_upgrade(lv, c) &&
        gp_vclient_token(&lv->sh, c, token, sizeof(token)) == GP_OK && w < out_len)
        w += (size_t)snprintf(out + w, out_len - w, "%s%s=%s", strchr(out, '?') ? "&" : "?",
                              lv->profile->auth_query, token);
    if (l->accept_delay_ms && w < out_len)
        snprintf(out + w, out_len - w, "%sgp_accept_delay_ms=%u", strchr(out, '?') ? "&" : "?",
                 l->accept_delay_ms);
}

void gp_live_start_client(gp_live *lv, uint32_t i)
{
    gp_vclient *c = &lv->run->clients[i];
    gp_live_link *l = &lv->links[i];
    l->st = GP_LINK_CONNECTING;
    l->in_flight = true;
    lv->in_flight++;
    lv->busy++;
    gp_drive_start(lv->run, i);
    char path[4608];
    client_path(lv, i, path, sizeof(path));
    if (l->accept_delay_ms && c->plan.slow_accept)
        gp_drive_fact(lv->run, i, GP_FACT_SLOW_ACCEPT, 0);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = lv->cx;
    ci.address = lv->url.host;
    ci.port = lv->url.port;
    ci.path = path;
    ci.host = lv->opt->tls_sni ? lv->opt->tls_sni : lv->host_header;
    ci.origin = lv->profile && lv->profile->origin[0] ? lv->profile->origin : lv->host_header;
    ci.protocol = !lv->profile ? GP_LIVE_PROTOCOL
                  : lv->profile->subprotocols[0] ? lv->profile->subprotocols : NULL;
    ci.local_protocol_name = GP_LIVE_PROTOCOL;
    if (lv->url.tls)
        ci.ssl_connection = LCCSCF_USE_SSL |
                            (lv->opt->tls_insecure ? LCCSCF_ALLOW_SELFSIGNED |
                                                         LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                                         LCCSCF_ALLOW_EXPIRED
                                                   : 0);
    ci.userdata = l;
    ci.pwsi = &l->wsi;
    ci.retry_and_idle_policy = &gp_live_no_idle_policy;
    if (lv->n_sources)
        ci.iface = lv->sources[i % lv->n_sources];
    if (!lws_client_connect_via_info(&ci))
        link_gone(lv, l); /* a no-op when the error callback has run already */
}

/* Appends one "Name: value\r\n" header; -1 when it does not fit. */
static int add_header(char **p, size_t *room, const char *name, const char *value)
{
    int n = snprintf(*p, *room, "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= *room)
        return -1;
    *p += n;
    *room -= (size_t)n;
    return 0;
}

/* The upgrade request's own headers: the profile's, and the token where it
 * goes at the upgrade ("Authorization: Bearer <token>" for goldpath.v1). */
static int append_auth(gp_live *lv, gp_live_link *l, char **p, size_t room)
{
    uint32_t i = index_of(lv, l);
    const gp_vclient *c = &lv->run->clients[i];
    const gp_profile *prof = lv->profile;
    for (int h = 0; prof && h < prof->headers_len; h++)
        if (add_header(p, &room, prof->headers[h][0], prof->headers[h][1]) != 0)
            return -1;
    if (!token_at_upgrade(lv, c))
        return 0;
    bool header = prof ? prof->auth_by[GP_AUTH_HEADER] : true;
    bool cookie = prof && prof->auth_by[GP_AUTH_COOKIE];
    if (!header && !cookie)
        return 0;
    char token[4096], value[4608];
    if (gp_vclient_token(&lv->sh, c, token, sizeof(token)) != GP_OK)
        return 0; /* no token: the server's refusal or auth timeout will say so */
    if (cookie) {
        snprintf(value, sizeof(value), "%s=%s", prof->auth_cookie, token);
        return add_header(p, &room, "Cookie", value);
    }
    if (!prof) {
        snprintf(value, sizeof(value), "Bearer %s", token);
        return add_header(p, &room, "Authorization", value);
    }
    gp_tvars v = {.n = 0};
    gp_tvars_text(&v, "token", token);
    if (gp_template_string(prof->auth_header_value, &v, value, sizeof(value)) < 0)
        return 0;
    return add_header(p, &room, prof->auth_header_name, value);
}

/* The client's own port, which the server's log names next to the
 * connection's id ("Connection <id> peer <ip>:<port>"). */
static uint16_t local_port(struct lws *wsi)
{
    struct sockaddr_storage ss;
    socklen_t n = sizeof(ss);
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &n) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

static int on_established(gp_live *lv, gp_live_link *l, struct lws *wsi)
{
    uint32_t i = index_of(lv, l);
    l->wsi = wsi;
    l->st = GP_LINK_OPEN;
    l->t_open = gp_live_now_ms(lv);
    l->local_port = local_port(wsi);
    if (l->in_flight) {
        l->in_flight = false;
        lv->in_flight--;
    }
    if (++lv->ws_open > lv->stats->open_peak)
        lv->stats->open_peak = lv->ws_open;
    lv->run->wire.opens++;
    lv->run->events++;
    gp_live_wake(lv, 0); /* a handshake slot is free */
    if (l->close_wanted) { /* a connecting-phase disconnect: drop it now */
        lws_callback_on_writable(wsi);
        return 0;
    }
    gp_drive_open(lv->run, i, NULL); /* the opened id is in the server's log */
    return 0;
}

void gp_live_deliver(gp_live *lv, uint32_t i, const char *data, size_t len, unsigned flags)
{
    gp_live_link *l = &lv->links[i];
    lv->run->events++;
    if (l->close_wanted || l->st == GP_LINK_GONE)
        return; /* the client has left; what still arrives is not its business */
    gp_drive_message(lv->run, i, data, len, flags);
}

/* A whole message off the socket: what the server sent, into the driver's
 * network on its way to the client. */
static void received(gp_live *lv, gp_live_link *l, const char *data, size_t len)
{
    uint32_t i = index_of(lv, l);
    gp_live_tracef(lv, i, "server -> client: %.*s", (int)len, data);
    lv->run->messages++;
    gp_drive_server_sent(lv->run, i, data, len, gp_live_now_ms(lv));
    gp_live_net_receive(lv, i, data, len);
}

static int on_receive(gp_live *lv, gp_live_link *l, struct lws *wsi, const char *in,
                      size_t len)
{
    bool final = lws_is_final_fragment(wsi);
    if (!l->rx && lws_is_first_fragment(wsi) && final) {
        received(lv, l, in, len);
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
        received(lv, l, msg, msg_len);
        free(msg);
    }
    return 0;
}

static int on_writeable(gp_live *lv, gp_live_link *l, struct lws *wsi)
{
    uint32_t i = index_of(lv, l);
    uint64_t now = gp_live_now_ms(lv);
    gp_live_out *o = gp_live_net_next_out(lv, l, now);
    if (o) {
        enum lws_write_protocol kind =
            o->flags & GP_LIVE_OUT_BINARY ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
        if (lws_write(wsi, o->buf + LWS_PRE, o->len, kind) < (int)o->len) {
            free(o);
            return -1;
        }
        gp_drive_server_received(lv->run, i, (const char *)o->buf + LWS_PRE, o->len);
        if (o->tag == GP_VC_TAG_AUTH || o->tag == GP_VC_TAG_EARLY) {
            /* the first message is on the wire while the server holds its
             * accept back: the accept race, over real sockets */
            const gp_vclient *c = &lv->run->clients[i];
            if (c->plan.accept_race && l->accept_delay_ms &&
                !c->facts.accept_raced && now < l->t_open + l->accept_delay_ms)
                gp_drive_fact(lv->run, i, GP_FACT_ACCEPT_RACE, 0);
        }
        free(o);
        lv->run->messages++;
        if (l->out.head || l->close_wanted)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (l->close_wanted && !l->out.head) {
        lws_close_reason(wsi, (enum lws_close_status)l->close_code, NULL, 0);
        return -1;
    }
    return 0; /* nothing due yet: the queue's wake-up asks again */
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
        if (l->reset)
            return 0;
        return on_receive(lv, l, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (l->reset)
            return -1;
        return on_writeable(lv, l, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        const unsigned char *p = in;
        l->peer_code = (int16_t)(len >= 2 ? (p[0] << 8 | p[1]) : GP_CLOSE_NO_STATUS);
        gp_live_tracef(lv, index_of(lv, l), "server closes: %d", l->peer_code);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        /* an upgrade answered with an HTTP status (a refused token, a wrong
         * path) is told apart from a connection that failed */
        int status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
        if (status >= 200 && status != 101)
            l->http_status = status;
        gp_live_tracef(lv, index_of(lv, l), "connect failed: %s%s%d",
                       in ? (const char *)in : "(no reason given)",
                       l->http_status ? "; HTTP status " : "", l->http_status);
        if (!lv->stats->connect_error[0] && l->http_status)
            snprintf(lv->stats->connect_error, sizeof(lv->stats->connect_error),
                     "%s (HTTP status %d)", in ? (const char *)in : "the upgrade was refused",
                     l->http_status);
        else if (!lv->stats->connect_error[0] && in)
            snprintf(lv->stats->connect_error, sizeof(lv->stats->connect_error), "%s",
                     (const char *)in);
        link_gone(lv, l);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        link_gone(lv, l);
        return 0;
    default:
        return 0;
    }
}
