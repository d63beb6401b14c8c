/* gp_srv_door.c: the front door -- every accepted socket until its request
 * head is complete.
 *
 * Left to itself, lws 4.1.6 gives each new connection an HTTP header table
 * from a pool (max_http_header_pool); a few hundred clients that send their
 * headers one byte a second use the pool up, and every new client waits
 * behind them until lws's 10 s timeout resets it.  So the listening vhost
 * hands accepted sockets to this file as raw sockets instead, and the
 * server itself decides who may take how long:
 *
 *   - a connection must complete its request head within
 *     --header-timeout-ms of being accepted, or it is dropped;
 *   - at most --max-header-connections-per-ip connections from one address
 *     may be sending headers: one more drops that address's oldest;
 *   - at most --max-header-connections in all: one more drops the oldest.
 * A real client sends its head in one packet, so it is never the oldest for
 * long: a slow client can delay nobody but itself.
 *
 * A complete head is judged (gp_srv_reqhead.c: 426, 400, 431, or a
 * rewritten subprotocol list) and then handed to the WebSocket/HTTP vhost
 * with the bytes already read: the socket is dup()ed, adopted there with
 * lws_adopt_socket_vhost_readbuf, and the raw connection closed (a raw
 * close is a plain close(2), so the dup keeps the connection alive).  The
 * handover runs from a zero-delay lws_sul, outside this connection's
 * callbacks, as LWS_TO_KILL_SYNC requires.
 *
 * With TLS (--tls-cert) lws does the handshake on the accepted socket and
 * the door sees the decrypted head; everything above holds as on plain TCP.
 * Only the handover differs: a TLS session cannot be dup()ed, so the raw
 * connection stays, as the client's end of a link through a socketpair
 * (gp_srv_tlslink.c). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gp_srv.h"
#include "gp_srv_log.h"
#include "gp_srv_reqhead.h"

struct gp_door_session {
    gp_door_session *prev, *next; /* the age list, oldest first */
    bool listed;
    struct lws *wsi;
    uint64_t opened_ms;           /* monotonic */
    unsigned char addr[16];       /* the peer's address, for per-address limits */
    uint8_t addr_len;
    char *buf;                    /* the head so far, then what to pass on */
    size_t len, cap;
    bool done;                    /* judged: ignore further input */
    bool refusing;                /* an HTTP refusal is queued in buf */
    bool refused;                 /* ... and written (TLS: close once flushed) */
    lws_sorted_usec_list_t sul;   /* the handover */
    gp_tls_link *link;            /* TLS: handed over through a socketpair */
};

/* ---- the age list ------------------------------------------------------ */

static void unlist(gp_srv *srv, gp_door_session *d)
{
    if (!d->listed)
        return;
    gp_srv_door_state *st = &srv->door;
    if (d->prev)
        d->prev->next = d->next;
    else
        st->oldest = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        st->newest = d->prev;
    d->prev = d->next = NULL;
    d->listed = false;
    st->count--;
}

static void drop(gp_srv *srv, gp_door_session *d)
{
    unlist(srv, d);
    d->done = true;
    lws_set_timeout(d->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* One WARNING line a second at most, whatever the flood. */
static void log_drops(gp_srv *srv, const char *why)
{
    uint64_t now = gp_srv_mono_ms();
    if (now - srv->door.logged_ms < 1000)
        return;
    srv->door.logged_ms = now;
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Dropping connections that are slow to send their headers (%s): "
                "%llu timed out, %llu evicted so far",
                why, (unsigned long long)srv->door.timeouts_total,
                (unsigned long long)srv->door.evictions_total);
}

static void sweep_fire(lws_sorted_usec_list_t *sul);

static void sweep_arm(gp_srv *srv)
{
    gp_door_session *d = srv->door.oldest;
    if (!d)
        return;
    uint64_t due = d->opened_ms + srv->opt.header_timeout_ms, now = gp_srv_mono_ms();
    lws_sul_schedule(srv->ctx, 0, &srv->door.sweep_sul, sweep_fire,
                     (lws_usec_t)(due > now ? due - now : 0) * LWS_US_PER_MS);
}

static void sweep_fire(lws_sorted_usec_list_t *sul)
{
    gp_srv *srv = lws_container_of(sul, gp_srv, door.sweep_sul);
    uint64_t now = gp_srv_mono_ms();
    bool dropped = false;
    gp_door_session *d;
    while ((d = srv->door.oldest) && d->opened_ms + srv->opt.header_timeout_ms <= now) {
        srv->door.timeouts_total++;
        drop(srv, d);
        dropped = true;
    }
    if (dropped)
        log_drops(srv, "--header-timeout-ms");
    sweep_arm(srv);
}

/* The oldest connection from d's address, and how many there are. */
static gp_door_session *same_address(const gp_srv_door_state *st, const gp_door_session *d,
                                     uint32_t *count)
{
    gp_door_session *first = NULL;
    *count = 0;
    for (gp_door_session *e = st->oldest; e; e = e->next) {
        if (e->addr_len == d->addr_len && memcmp(e->addr, d->addr, d->addr_len) == 0) {
            if (!first)
                first = e;
            (*count)++;
        }
    }
    return first;
}

/* Lists d, first making room: while its address is at its limit, that
 * address's oldest goes; while everybody is, the oldest of all goes.  Only
 * connections older than GP_DOOR_EVICT_AGE_MS are evicted: a younger one is
 * no slow client but part of a burst whose heads lws has not read yet (it
 * accepts the whole backlog before it reads any socket), so a burst is let
 * in over the limit for that long rather than cut down. */
#define GP_DOOR_EVICT_AGE_MS 250u
static void admit(gp_srv *srv, gp_door_session *d)
{
    gp_srv_door_state *st = &srv->door;
    for (;;) {
        uint32_t same;
        gp_door_session *victim = same_address(st, d, &same);
        bool per_ip = same >= srv->opt.header_conns_per_ip_max;
        if (!per_ip)
            victim = st->count >= srv->opt.header_conns_max ? st->oldest : NULL;
        if (!victim || d->opened_ms - victim->opened_ms < GP_DOOR_EVICT_AGE_MS)
            break;
        st->evictions_total++;
        drop(srv, victim);
        log_drops(srv, per_ip ? "--max-header-connections-per-ip" : "--max-header-connections");
    }
    d->prev = st->newest;
    if (st->newest)
        st->newest->next = d;
    else
        st->oldest = d;
    st->newest = d;
    d->listed = true;
    st->count++;
    if (st->oldest == d)
        sweep_arm(srv);
}

/* ---- one connection ---------------------------------------------------- */

static void peer_addr(struct lws *wsi, gp_door_session *d)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = (int)lws_get_socket_fd(wsi);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return; /* no address: all such share one "address" */
    if (ss.ss_family == AF_INET) {
        memcpy(d->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        d->addr_len = 4;
    } else if (ss.ss_family == AF_INET6) {
        memcpy(d->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        d->addr_len = 16;
    }
}

/* The handover: the socket, with the bytes read so far, to the WebSocket /
 * HTTP vhost; then the raw connection goes. */
static void handover(lws_sorted_usec_list_t *sul)
{
    gp_door_session *d = lws_container_of(sul, gp_door_session, sul);
    gp_srv *srv = lws_context_user(lws_get_context(d->wsi));
    if (srv->opt.tls_cert) {
        /* TLS: this wsi stays, as the client's end of the link */
        d->link = gp_srv_tlslink_open(srv, d->wsi, d->buf, d->len);
        free(d->buf);
        d->buf = NULL;
        d->len = d->cap = 0;
        if (d->link)
            lws_rx_flow_control(d->wsi, 1);
        else
            lws_set_timeout(d->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    int fd = (int)lws_get_socket_fd(d->wsi);
    int dup_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (dup_fd < 0) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Could not hand a connection over (dup failed); dropping it");
    } else if (!gp_srv_adopt(srv, dup_fd, d->buf, d->len)) {
        /* lws closed dup_fd; nothing more to do for it */
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Could not hand a connection over (lws adoption failed); dropping it");
    }
    lws_set_timeout(d->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/* Queues the answer of a refusing verdict (written in RAW_WRITEABLE); the
 * head is no longer needed. */
static void refuse(gp_srv *srv, struct lws *wsi, gp_door_session *d,
                   const gp_reqhead_verdict *v)
{
    srv->door.refusals_total++;
    d->done = true;
    unlist(srv, d);
    free(d->buf);
    d->cap = LWS_PRE + 1024;
    d->buf = malloc(d->cap);
    d->len = d->buf ? gp_reqhead_response(v, d->buf + LWS_PRE, d->cap - LWS_PRE) : 0;
    if (!d->len) {
        drop(srv, d);
        return;
    }
    d->refusing = true;
    lws_callback_on_writable(wsi);
}

/* Judges a complete head: queues a refusal, or the handover. */
static void judge(gp_srv *srv, struct lws *wsi, gp_door_session *d, size_t head_len)
{
    d->done = true;
    unlist(srv, d);
    char *rewritten = malloc(d->cap);
    size_t rewritten_len = 0;
    gp_reqhead_verdict v = gp_reqhead_judge(d->buf, head_len, GP_SRV_SUBPROTOCOL, rewritten,
                                            rewritten ? d->cap : 0, &rewritten_len);
    if (v.status) {
        free(rewritten);
        refuse(srv, wsi, d, &v);
        return;
    }
    if (v.rewritten) { /* the rewritten head, then whatever followed it */
        memmove(rewritten + rewritten_len, d->buf + head_len, d->len - head_len);
        free(d->buf);
        d->buf = rewritten;
        d->len = rewritten_len + d->len - head_len;
    } else {
        free(rewritten);
    }
    lws_rx_flow_control(wsi, 0); /* nothing more is read here */
    lws_sul_schedule(lws_get_context(wsi), 0, &d->sul, handover, 0);
}

static int door_rx(gp_srv *srv, struct lws *wsi, gp_door_session *d, const char *in,
                   size_t len)
{
    if (d->link)
        return gp_srv_tlslink_rx(srv, d->link, in, len);
    if (d->done)
        return 0; /* a refusal is on its way, or the handover */
    if (d->len + len > GP_REQHEAD_BYTES_MAX) {
        gp_reqhead_verdict v = {.status = 431, .phrase = "Request Header Fields Too Large",
                                .text = "the request head is too large"};
        refuse(srv, wsi, d, &v);
        return 0;
    }
    if (d->len + len > d->cap) { /* grow: most heads fit the first 1 KiB */
        size_t cap = d->cap * 2;
        while (cap < d->len + len)
            cap *= 2;
        if (cap > GP_REQHEAD_BYTES_MAX)
            cap = GP_REQHEAD_BYTES_MAX;
        char *grown = realloc(d->buf, cap);
        if (!grown) {
            drop(srv, d);
            return 0;
        }
        d->buf = grown;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, in, len);
    size_t from = d->len > 3 ? d->len - 3 : 0;
    d->len += len;
    size_t end = gp_reqhead_end(d->buf + from, d->len - from);
    if (end)
        judge(srv, wsi, d, from + end);
    return 0;
}

static int door_writeable(gp_srv *srv, struct lws *wsi, gp_door_session *d)
{
    if (d->link)
        return gp_srv_tlslink_writeable(srv, d->link);
    if (d->refused && !lws_partial_buffered(wsi)) {
        /* TLS: the refusal has left; close (lws says goodbye in TLS) */
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return 0;
    }
    if (!d->refusing)
        return 0;
    d->refusing = false;
    lws_write(wsi, (unsigned char *)d->buf + LWS_PRE, d->len, LWS_WRITE_RAW);
    if (srv->opt.tls_cert) {
        /* No half-close under TLS: the TCP FIN would cut the TLS session
         * short of its close_notify.  Close once lws has written it all. */
        d->refused = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 2);
        lws_callback_on_writable(wsi);
        return 0;
    }
    /* Half-close, then let the client read the answer and hang up; the
     * header timeout of the connection no longer applies, lws's own does. */
    shutdown((int)lws_get_socket_fd(wsi), SHUT_WR);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 2);
    return 0;
}

static int door_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    gp_srv *srv = lws_context_user(lws_get_context(wsi));
    gp_door_session *d = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return gp_srv_lws_fd_guard(srv, user);
    case LWS_CALLBACK_RAW_ADOPT:
        if (!d)
            return -1;
        memset(d, 0, sizeof(*d));
        d->wsi = wsi;
        d->opened_ms = gp_srv_mono_ms();
        d->cap = 1024;
        d->buf = malloc(d->cap);
        if (!d->buf)
            return -1;
        peer_addr(wsi, d);
        admit(srv, d);
        return 0;
    case LWS_CALLBACK_RAW_RX:
        return d ? door_rx(srv, wsi, d, in, len) : -1;
    case LWS_CALLBACK_RAW_WRITEABLE:
        return d ? door_writeable(srv, wsi, d) : 0;
    case LWS_CALLBACK_RAW_CLOSE:
        if (d && d->link) {
            gp_srv_tlslink_closed(srv, d->link);
            d->link = NULL;
        }
        if (d) {
            lws_sul_cancel(&d->sul);
            unlist(srv, d);
            free(d->buf);
            d->buf = NULL;
        }
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols gp_srv_door_protocols[] = {
    {
        .name = GP_SRV_DOOR_PROTOCOL,
        .callback = door_callback,
        .per_session_data_size = sizeof(gp_door_session),
        .rx_buffer_size = 2048,
    },
    {0}, /* lws 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};

void gp_srv_door_stop(gp_srv *srv)
{
    lws_sul_cancel(&srv->door.sweep_sul);
}
