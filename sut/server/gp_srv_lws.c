/* gp_srv_lws.c: goldpath-server's libwebsockets context, protocol list and
 * event loop.
 *
 * One protocol, "goldpath.v1", first in the list: lws gives the first
 * protocol to WebSocket upgrades that offer no subprotocol, and to plain
 * HTTP, so one callback serves /ws with or without the subprotocol, /health
 * and /metrics.  The event loop is libuv (epoll) on a loop this file owns
 * and hands to lws as a "foreign" loop, so it can stop it; `--event-loop
 * poll` uses lws's own poll() loop instead.  Signals and the graceful
 * shutdown are gp_srv_shutdown.c's.
 *
 * The vhosts: "goldpath-door" listens and hands each accepted socket to the
 * front door as a raw socket (gp_srv_door.c), with TLS when --tls-cert is
 * given; "goldpath" serves WebSocket and HTTP on the sockets the door hands
 * over; with TLS, "goldpath-pipe" holds our ends of the socketpairs TLS
 * connections are handed over through (gp_srv_tlslink.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef GP_SRV_HAVE_UV
#include <uv.h>
#endif

#include "gp_srv.h"
#include "gp_srv_log.h"

void gp_srv_lws_request_stop(gp_srv *srv)
{
    if (srv->stop)
        return;
    srv->stop = true;
#ifdef GP_SRV_HAVE_UV
    if (srv->uv_loop) {
        uv_stop(srv->uv_loop);
        return;
    }
#endif
    lws_cancel_service(srv->ctx);
}

int gp_srv_lws_fd_guard(gp_srv *srv, const struct lws_filter_network_conn_args *a)
{
    if (!a || (uint64_t)a->accept_fd <= srv->accept_fd_max)
        return 0;
    /* Near the fd limit: hang up now rather than meet EMFILE later.  Said at
     * most once a second, so a flood cannot flood the log. */
    uint64_t now = gp_srv_mono_ms();
    if (now - srv->fd_guard_logged_ms >= 1000) {
        srv->fd_guard_logged_ms = now;
        gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                    "Hanging up on new sockets: fd %d is near the file-descriptor "
                    "limit (%llu open at most)", (int)a->accept_fd,
                    (unsigned long long)srv->accept_fd_max);
    }
    return 1;
}

bool gp_srv_adopt(gp_srv *srv, int fd, const char *buf, size_t len)
{
    srv->adopting = true;
    srv->adopt_seen = false;
    struct lws *wsi = lws_adopt_socket_vhost_readbuf(srv->vhost, fd, buf, len);
    srv->adopting = false;
    /* NULL after the callback saw the connection: lws served what it had
     * read (a 404, a refusal, a whole HTTP exchange) and closed it. */
    return wsi || srv->adopt_seen;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                    void *in, size_t len)
{
    gp_srv *srv = lws_context_user(lws_get_context(wsi));
    gp_session *s = user;
    if (srv && srv->adopting)
        srv->adopt_seen = true;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return gp_srv_http_confirm_upgrade(srv, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return s ? gp_srv_ws_established(srv, wsi, s) : -1;
    case LWS_CALLBACK_RECEIVE:
        return s ? gp_srv_ws_receive(srv, wsi, s, in, len) : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s ? gp_srv_ws_writeable(srv, wsi, s) : -1;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* RFC 6455 5.5.1: a close payload is empty or holds a 2-byte code.
         * lws 4.1.6 echoes a 1-byte payload as it came: answer 1002. */
        if (len == 1) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR,
                             (unsigned char *)"close frame of 1 byte", 21);
            return -1;
        }
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (s)
            gp_srv_ws_closed(srv, wsi, s);
        return 0;
    case LWS_CALLBACK_HTTP:
        if (!s)
            return -1;
        return gp_srv_http_request(srv, wsi, s, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return s ? gp_srv_http_writeable(srv, wsi, s) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (s)
            gp_srv_http_release(s);
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (srv && srv->core)
            gp_srv_shutdown_on_wake(srv);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {
        .name = GP_SRV_SUBPROTOCOL,
        .callback = callback,
        .per_session_data_size = sizeof(gp_session),
        .rx_buffer_size = 1024, /* bigger messages arrive in several RECEIVEs */
        .tx_packet_size = 4096,
    },
    {0}, /* lws 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};


/* Binds a throw-away socket to the listen address, to report a port in use
 * (or an address not on this host) with its errno before lws is involved.
 * Returns 0, or the errno of socket/bind.  Addresses that are not numeric
 * (lws also takes interface names) are left to lws. */
static int probe_bind(const char *addr, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        len = sizeof(*v6);
    } else {
        return 0;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* as lws does */
    int rc = bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* TLS: the vhost for our ends of the socketpairs (no listener, no TLS),
 * and the table from a WebSocket-side fd to its link, for the peer line.
 * False when out of memory. */
static bool start_pipe(gp_srv *srv, uint64_t options)
{
    srv->tls_by_fd_len = (size_t)srv->fd_limit;
    srv->tls_by_fd = calloc(srv->tls_by_fd_len, sizeof(*srv->tls_by_fd));
    if (!srv->tls_by_fd)
        return false;
    struct lws_context_creation_info vh;
    memset(&vh, 0, sizeof(vh));
    vh.options = options;
    vh.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    vh.protocols = gp_srv_pipe_protocols;
    vh.vhost_name = "goldpath-pipe";
    srv->vhost_pipe = lws_create_vhost(srv->ctx, &vh);
    return srv->vhost_pipe != NULL;
}

bool gp_srv_lws_start(gp_srv *srv, char *msg, size_t msg_len)
{
    int err = probe_bind(srv->opt.bind, srv->opt.port);
    if (err) {
        snprintf(msg, msg_len, "could not listen on %s port %d: %s", srv->opt.bind,
                 srv->opt.port, strerror(err));
        return false;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    uint64_t options = LWS_SERVER_OPTION_VALIDATE_UTF8 |
                       LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    if (!strchr(srv->opt.bind, ':'))
        options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    void *foreign_loops[1] = {NULL};
    if (srv->opt.loop == GP_SRV_LOOP_UV) {
#ifdef GP_SRV_HAVE_UV
        uv_loop_t *loop = malloc(sizeof(*loop));
        if (!loop || uv_loop_init(loop) != 0) {
            free(loop);
            snprintf(msg, msg_len, "could not create the libuv event loop");
            return false;
        }
        srv->uv_loop = loop;
        foreign_loops[0] = loop;
        info.foreign_loops = foreign_loops;
        options |= LWS_SERVER_OPTION_LIBUV;
#else
        snprintf(msg, msg_len, "this build has no libuv: use --event-loop poll");
        return false;
#endif
    }
    /* Two vhosts: one listens and hands every accepted socket to the front
     * door as a raw socket (gp_srv_door.c); the other serves WebSocket and
     * HTTP on the sockets the door passes on, with the head already read. */
    info.options = options | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (srv->opt.tls_cert)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = srv;
    /* The door passes on complete heads only, so a header table is held
     * for the moment it takes lws to parse one. */
    info.max_http_header_pool = 256;
    /* Room for a token of GP_TOKEN_LEN_MAX (4096) bytes in the Authorization
     * header plus the other upgrade headers (the lws default is 4096 for
     * all of them together, and a request over it is dropped unanswered). */
    info.max_http_header_data = 8192;
    info.timeout_secs = 10;
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        snprintf(msg, msg_len, "could not create the libwebsockets context");
        return false;
    }
    /* No idle pings or hang-ups from lws: with them it re-sorts a timer per
     * connection on every frame (lws_dll2_add_sorted was a sixth of the
     * server's CPU at 15,000 connections).  Idle clients are the protocol's
     * business: the auth timeout and the stuck check. */
    static const lws_retry_bo_t no_idle_policy = {.secs_since_valid_ping = 0,
                                                  .secs_since_valid_hangup = 0};
    struct lws_context_creation_info vh;
    memset(&vh, 0, sizeof(vh));
    vh.options = options;
    vh.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    vh.protocols = protocols;
    vh.vhost_name = "goldpath";
    vh.server_string = "goldpath-server";
    vh.retry_and_idle_policy = &no_idle_policy;
    vh.keepalive_timeout = 5;
    srv->vhost = lws_create_vhost(srv->ctx, &vh);
    memset(&vh, 0, sizeof(vh));
    vh.options = options | LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
    vh.port = srv->opt.port;
    vh.iface = srv->opt.bind;
    vh.protocols = gp_srv_door_protocols;
    vh.vhost_name = "goldpath-door";
    vh.listen_accept_role = "raw-skt";
    vh.listen_accept_protocol = GP_SRV_DOOR_PROTOCOL;
    vh.retry_and_idle_policy = &no_idle_policy;
    if (srv->opt.tls_cert) {
        /* TLS on the listening vhost: lws does the handshake on each
         * accepted raw socket, the door reads the decrypted head, and the
         * connection reaches the WebSocket/HTTP vhost through a socketpair
         * (gp_srv_tlslink.c).  HTTP/1.1 only: the door reads HTTP/1.1
         * heads, so h2 must not be offered in ALPN. */
        vh.ssl_cert_filepath = srv->opt.tls_cert;
        vh.ssl_private_key_filepath = srv->opt.tls_key;
        vh.alpn = "http/1.1";
        vh.ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
        /* lws 4.1.6 reads this option from the vhost's info too: without
         * it the vhost quietly serves plain TCP. */
        vh.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        if (!start_pipe(srv, options)) {
            srv->start_failed = true;
            snprintf(msg, msg_len, "could not set up TLS (out of memory?)");
            return false;
        }
    }
    srv->vhost_listen = srv->vhost ? lws_create_vhost(srv->ctx, &vh) : NULL;
    srv->port = srv->vhost_listen ? lws_get_vhost_listen_port(srv->vhost_listen) : -1;
    if (srv->opt.tls_cert && srv->vhost && !srv->vhost_listen) {
        srv->start_failed = true;
        snprintf(msg, msg_len,
                 "could not listen with TLS on %s port %d: libwebsockets refused "
                 "--tls-cert %s / --tls-key %s (its log lines above say why)",
                 srv->opt.bind, srv->opt.port, srv->opt.tls_cert, srv->opt.tls_key);
        return false;
    }
    if (!srv->vhost || srv->port <= 0) {
        srv->start_failed = true;
        snprintf(msg, msg_len,
                 "could not listen on %s port %d (address in use, or not an address of this host?)",
                 srv->opt.bind, srv->opt.port);
        return false;
    }
    gp_srv_signals_install(srv->ctx);
    return true;
}

int gp_srv_lws_run(gp_srv *srv)
{
#ifdef GP_SRV_HAVE_UV
    if (srv->uv_loop) {
        while (!srv->stop) {
            uv_run(srv->uv_loop, UV_RUN_DEFAULT);
            gp_srv_shutdown_on_wake(srv);
        }
        return srv->exit_code;
    }
#endif
    while (!srv->stop) {
        if (lws_service(srv->ctx, 0) < 0) {
            gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR, "The event loop failed; stopping");
            return 1;
        }
        gp_srv_shutdown_on_wake(srv);
    }
    return srv->exit_code;
}

void gp_srv_lws_stop(gp_srv *srv)
{
    gp_srv_signals_forget();
    if (srv->ctx) {
        lws_sul_cancel(&srv->timer_sul);
        lws_sul_cancel(&srv->deadline_sul);
        gp_srv_door_stop(srv);
        lws_context_destroy(srv->ctx);
        srv->ctx = NULL;
    }
    free(srv->tls_by_fd);
    srv->tls_by_fd = NULL;
    srv->tls_by_fd_len = 0;
#ifdef GP_SRV_HAVE_UV
    if (srv->uv_loop && srv->start_failed) {
        /* A context that never got its vhost leaves libuv close callbacks
         * that point into lws's unloaded libuv plugin: running the loop
         * would jump there.  Exiting anyway: keep the loop (still
         * referenced, so not a leak to LeakSanitizer) and do not run it. */
        return;
    }
    if (srv->uv_loop) {
        /* lws closes its libuv handles asynchronously: let them finish. */
        uv_run(srv->uv_loop, UV_RUN_DEFAULT);
        uv_loop_close(srv->uv_loop);
        free(srv->uv_loop);
        srv->uv_loop = NULL;
    }
#endif
}
