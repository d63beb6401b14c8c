/* gp_srv_ws.c: goldpath-server's WebSocket callbacks.
 *
 * ESTABLISHED opens the connection in the core (with the Authorization:
 * Bearer token, if any), logs the peer's address, and completes its accept
 * at once: lws has finished the handshake, so there is no accept race here.
 * --accept-delay-ms models a slow accept instead (a per-connection lws_sul
 * completes it later), which is what makes the accept_race bug visible on
 * real sockets; with --fault-hooks a client picks its own delay
 * (gp_accept_delay_ms=N in the upgrade URL).  RECEIVE joins a message's frames and
 * callback chunks into one buffer (up to --max-message + 1 bytes: one more
 * than allowed is how the core recognises "too big" and closes 1009).
 * SERVER_WRITEABLE writes the head of the output queue, one message per
 * call, and once the queue is empty sends the pending close, so an error
 * message always reaches the client before its close frame.  CLOSED tells
 * the core the transport is gone. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>

#include "gp_codec.h"
#include "gp_error.h"
#include "gp_srv.h"
#include "gp_srv_log.h"

/* A connection whose close frame cannot be sent (the client does not read)
 * is dropped after this long (seconds). */
#define GP_SRV_CLOSE_TIMEOUT_S 5
/* Reassembly buffers larger than this are freed between messages, so an
 * idle connection holds no large buffer. */
#define GP_SRV_RX_KEEP_BYTES 4096

void gp_srv_ws_close_later(struct lws *wsi, gp_session *s, int code,
                           const char *reason)
{
    if (s->close_code)
        return;
    s->close_code = code;
    gp_srv_flow_closing(wsi, s);
    /* A close frame carries at most 123 bytes of reason. */
    snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason ? reason : "");
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, GP_SRV_CLOSE_TIMEOUT_S);
    lws_callback_on_writable(wsi);
}

/* Copies the token of an "Authorization: Bearer <token>" header into buf.
 * Returns buf, or NULL when there is no such header (no header, or another
 * scheme such as Basic: the client may still authenticate by message).  An
 * over-long token is reported as "" so that the core refuses it. */
static const char *bearer_token(struct lws *wsi, char *buf, size_t cap)
{
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0)
        return NULL;
    if ((size_t)n >= cap || lws_hdr_copy(wsi, buf, (int)cap, WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
        buf[0] = '\0';
        return buf;
    }
    const char *p = buf;
    while (*p == ' ' || *p == '\t')
        p++;
    /* "Bearer" alone (lws trims the spaces after it) is an empty token. */
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t' && p[6] != '\0'))
        return NULL;
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strlen(p);
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    memmove(buf, p, len);
    buf[len] = '\0';
    return buf;
}

static void accept_complete(gp_srv *srv, gp_session *s)
{
    gp_server_on_accept_complete(srv->core, s->handle);
    s->core_held = 0; /* the core has processed what it held */
    gp_srv_flow_account(srv, s);
}

/* A delayed accept (--accept-delay-ms, or the gp_accept_delay_ms fault
 * hook) completes; CLOSED cancels this sul, so s is alive. */
static void accept_fire(lws_sorted_usec_list_t *sul)
{
    gp_session *s = lws_container_of(sul, gp_session, accept_sul);
    gp_srv *srv = lws_context_user(lws_get_context(s->wsi));
    if (s->handle)
        accept_complete(srv, s);
}

/* "Connection <id> peer <ip>:<port>": links a connection id in the log to
 * the client socket that opened it (a harness knows its local address). */
static void log_peer(gp_srv *srv, struct lws *wsi, gp_conn_handle h)
{
    if (srv->opt.log_level > GP_LOG_INFO)
        return;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    int fd = (int)lws_get_socket_fd(wsi);
    bool known = fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
    if (!known || ss.ss_family == AF_UNIX) { /* over TLS: the link knows the client */
        len = sizeof(ss);
        known = gp_srv_tlslink_peer(srv, fd, &ss, &len);
    }
    if (known) {
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
        }
    }
    const char *id = gp_server_conn_id(srv->core, h);
    bool v6 = strchr(ip, ':') != NULL;
    gp_srv_logf(srv->opt.log_level, GP_LOG_INFO, "Connection %s peer %s%s%s:%u",
                id ? id : "(unknown)", v6 ? "[" : "", ip, v6 ? "]" : "", port);
}

/* --fault-hooks: the upgrade URL's gp_accept_delay_ms=N (0..60000) replaces
 * the accept delay of this one connection.  Anything else is ignored with a
 * WARNING: a fault hook must never make the server refuse a client. */
static void fault_accept_delay(gp_srv *srv, struct lws *wsi, gp_conn_handle h,
                               uint32_t *delay_ms)
{
    char buf[64];
    const char *v = lws_get_urlarg_by_name(wsi, "gp_accept_delay_ms=", buf, (int)sizeof(buf));
    if (!v)
        return;
    const char *id = gp_server_conn_id(srv->core, h);
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || *v == '-' || *v == '+' || n > GP_SRV_FAULT_ACCEPT_DELAY_MS_MAX) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                    "Connection %s: ignoring gp_accept_delay_ms=%s (fault hook takes 0..%u)",
                    id ? id : "(unknown)", v, GP_SRV_FAULT_ACCEPT_DELAY_MS_MAX);
        return;
    }
    *delay_ms = (uint32_t)n;
    gp_srv_logf(srv->opt.log_level, GP_LOG_INFO,
                "Connection %s accept delayed by %lu ms (fault hook)", id ? id : "(unknown)", n);
}

int gp_srv_ws_established(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    s->opened_us = gp_srv_mono_us();
    s->wsi = wsi;
    s->counted = true;
    srv->sessions++;
    char token[GP_TOKEN_LEN_MAX + 32];
    const char *bearer = bearer_token(wsi, token, sizeof(token));
    gp_conn_handle h = 0;
    int rc = gp_server_on_open(srv->core, wsi, bearer, &h);
    if (rc == GP_ERR_FULL) {
        if (srv->shutting_down) {
            gp_srv_ws_close_later(wsi, s, GP_CLOSE_GOING_AWAY, "server shutting down");
        } else {
            gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                        "Refusing a connection: %u connections open (--max-connections)",
                        srv->opt.core.max_connections);
            gp_srv_ws_close_later(wsi, s, GP_CLOSE_TRY_AGAIN, "try again later");
        }
        return 0;
    }
    if (rc != GP_OK) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR, "Could not open a connection: %s",
                    gp_err_message(rc));
        gp_srv_ws_close_later(wsi, s, GP_CLOSE_INTERNAL, "internal error");
        return 0;
    }
    s->handle = h;
    log_peer(srv, wsi, h);
    uint32_t delay_ms = srv->opt.accept_delay_ms;
    if (srv->opt.fault_hooks)
        fault_accept_delay(srv, wsi, h, &delay_ms);
    if (delay_ms)
        lws_sul_schedule(lws_get_context(wsi), 0, &s->accept_sul, accept_fire,
                         (lws_usec_t)delay_ms * LWS_US_PER_MS);
    else
        accept_complete(srv, s);
    return 0;
}

/* Hands the core one whole message (or the first max+1 bytes of one).
 * Before its accept completes the core keeps a copy: that counts against
 * the pre-authentication budget until the accept. */
static void deliver(gp_srv *srv, struct lws *wsi, gp_session *s, const char *data,
                    size_t len)
{
    if (!s->handle)
        return;
    if (gp_server_conn_state(srv->core, s->handle) == GP_STATE_CONNECTING) {
        if (!gp_srv_flow_preauth_admit(srv, wsi, s, len))
            return;
        s->core_held += len;
    }
    s->msg_rx_us = gp_srv_mono_us(); /* a request it starts started now */
    gp_server_on_message(srv->core, s->handle, data ? data : "", len, s->rx_binary);
    s->msg_rx_us = 0;
    gp_srv_flow_account(srv, s);
}

/* Appends to the reassembly buffer, at most up to max+1 bytes in all.
 * Returns false when out of memory. */
static bool rx_append(gp_srv *srv, struct lws *wsi, gp_session *s, const char *in,
                      size_t len, size_t limit, bool *refused)
{
    size_t take = len < limit - s->rx_len ? len : limit - s->rx_len;
    if (s->rx_len + take > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : 1024;
        while (cap < s->rx_len + take)
            cap *= 2;
        if (cap > limit)
            cap = limit;
        if (!gp_srv_flow_preauth_admit(srv, wsi, s, cap - s->rx_cap)) {
            *refused = true;
            return true;
        }
        char *grown = realloc(s->rx, cap);
        if (!grown)
            return false;
        s->rx = grown;
        s->rx_cap = cap;
        gp_srv_flow_account(srv, s);
    }
    memcpy(s->rx + s->rx_len, in, take);
    s->rx_len += take;
    return true;
}

static void rx_reset(gp_srv *srv, gp_session *s)
{
    s->rx_active = false;
    s->rx_discard = false;
    s->rx_binary = false;
    s->rx_len = 0;
    if (s->rx_cap > GP_SRV_RX_KEEP_BYTES) {
        free(s->rx);
        s->rx = NULL;
        s->rx_cap = 0;
        gp_srv_flow_account(srv, s);
    }
}

int gp_srv_ws_receive(gp_srv *srv, struct lws *wsi, gp_session *s,
                      const void *in, size_t len)
{
    if (!s->rx_active) {
        s->rx_active = true;
        s->rx_binary = lws_frame_is_binary(wsi) != 0;
        s->rx_len = 0;
        s->rx_discard = false;
    }
    bool final = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    bool refused = false; /* over the pre-authentication budget: closing */
    size_t limit = srv->opt.core.max_message_bytes + 1;
    if (s->close_code || !s->handle || s->rx_discard) {
        /* closing, refused, or the rest of a message already answered */
    } else if (s->rx_binary) {
        /* The core closes 1003 on a binary message whatever it holds: no
         * need to wait for (or keep) the rest of it.  At most max bytes, so
         * that a binary message always gets 1003, never 1009. */
        deliver(srv, wsi, s, in, len < limit - 1 ? len : limit - 1);
        s->rx_discard = true;
    } else if (final && s->rx_len == 0) {
        deliver(srv, wsi, s, in, len); /* the usual case: one chunk, no copy */
    } else if (!rx_append(srv, wsi, s, in, len, limit, &refused)) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Out of memory joining a message of %zu+ bytes; closing",
                    s->rx_len + len);
        gp_srv_ws_close_later(wsi, s, GP_CLOSE_INTERNAL, "out of memory");
    } else if (refused) {
        s->rx_discard = true;
    } else if (s->rx_len == limit) {
        deliver(srv, wsi, s, s->rx, s->rx_len); /* over the limit: core closes 1009 */
        s->rx_discard = true;
    } else if (final) {
        deliver(srv, wsi, s, s->rx, s->rx_len);
    }
    if (final)
        rx_reset(srv, s);
    return 0;
}

/* Starts lws's close handshake for s->wsi: our code and reason go out in a
 * close frame, then lws waits for the client's close (and CLOSED follows).
 * Runs from the event loop, outside every callback of this wsi, which is what
 * LWS_TO_KILL_SYNC requires; the wsi is alive (CLOSED cancels this sul). */
static void close_now(lws_sorted_usec_list_t *sul)
{
    gp_session *s = lws_container_of(sul, gp_session, close_sul);
    lws_close_reason(s->wsi, (enum lws_close_status)s->close_code,
                     (unsigned char *)s->close_reason, strlen(s->close_reason));
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

int gp_srv_ws_writeable(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    if (s->close_started)
        return 0; /* lws is sending the close frame: nothing more from us */
    gp_outq_msg *m = gp_outq_head(&s->outq);
    if (m) {
        int n = lws_write(wsi, m->bytes + LWS_PRE, m->len, LWS_WRITE_TEXT);
        if (n < 0 || (size_t)n < m->len)
            return -1; /* the socket failed: lws closes it, CLOSED follows */
        gp_outq_pop(&s->outq);
        gp_srv_flow_after_pop(srv, wsi, s);
        if (!gp_outq_empty(&s->outq) || s->close_code)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (s->close_code) {
        /* The queue is drained: now the close frame, from a zero-delay sul
         * (close_now) rather than by returning -1 here, the usual lws idiom.
         * Debian's lws 4.1.6 is a _DEBUG build whose libuv path, after a
         * callback returns -1, calls lws_close_free_wsi a second time ("uv
         * repeat test"): that drops the socket before the close frame is
         * sent, and the client sees 1006 instead of our code. */
        s->close_started = true;
        s->wsi = wsi;
        lws_sul_schedule(lws_get_context(wsi), 0, &s->close_sul, close_now, 0);
        return 0;
    }
    return 0; /* a spurious WRITEABLE: nothing queued, nothing written */
}

void gp_srv_ws_closed(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    (void)wsi;
    lws_sul_cancel(&s->close_sul);
    lws_sul_cancel(&s->accept_sul);
    gp_srv_flow_release(srv, s);
    if (s->handle) {
        gp_conn_handle h = s->handle;
        s->handle = 0;
        srv->connections_closed_total++;
        gp_server_on_close(srv->core, h);
        gp_srv_env_conn_closed(srv, h);
    }
    gp_srv_reqclock_free(&s->reqs); /* requests cut off by the close never ended */
    gp_outq_clear(&s->outq);
    free(s->rx);
    s->rx = NULL;
    s->rx_cap = s->rx_len = 0;
    if (s->counted) {
        s->counted = false;
        srv->sessions--;
    }
    gp_srv_shutdown_check_done(srv);
}
