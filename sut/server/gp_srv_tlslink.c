/* gp_srv_tlslink.c: TLS in front of the same WebSocket/HTTP vhost.
 *
 * With --tls-cert and --tls-key the listening vhost speaks TLS: lws does
 * the handshake on each accepted socket and the front door (gp_srv_door.c)
 * reads the decrypted request head, judges it and applies its deadline and
 * limits exactly as on plain TCP.  What cannot be done as on plain TCP is
 * the handover: the door dup()s a plain socket into the WebSocket/HTTP vhost,
 * but a TLS session cannot move to another wsi.  So a TLS connection is
 * handed over through a socketpair instead:
 *
 *   client ==TLS== [door's raw wsi] <-> link <-> [pipe wsi] ==socketpair==
 *                                                  [WebSocket/HTTP wsi]
 *
 * One end of the pair is adopted by the WebSocket/HTTP vhost with the head
 * as its first bytes (lws_adopt_socket_vhost_readbuf, as on plain TCP), the
 * other by a vhost of its own as a raw socket ("pipe").  The link copies
 * bytes both ways: what the client sends (decrypted by lws) to the pipe,
 * what the server writes (read from the pipe) to the client (encrypted by
 * lws).  Everything above the socket -- the protocol, the close codes, the
 * figures, the defences -- is the plain server's, unchanged.
 *
 * Each direction holds what its socket has not taken yet; past
 * GP_TLSLINK_HIGH_BYTES the other side stops being read (TCP then slows the
 * sender down), and it resumes once that is written.  When one side closes,
 * what it sent is still written to the other, then that one closes too.  A
 * TLS connection costs three fds (the TCP socket and the pair): the
 * fd-limit check counts them (gp_fdlimit.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

/* Stop reading one side when the other has this much unwritten: a message
 * of the default --max-message passes in one go, and a connection holds
 * at most about this much per direction (outside the pre-authentication
 * budget, which counts what the WebSocket side holds). */
#define GP_TLSLINK_HIGH_BYTES (64u * 1024u)

/* Bytes for one socket, with LWS_PRE headroom for lws_write. */
typedef struct link_bytes {
    unsigned char *buf; /* LWS_PRE + cap */
    size_t len, cap;
} link_bytes;

struct gp_tls_link {
    gp_srv *srv;
    struct lws *tls;  /* the client's end (the door's raw wsi); NULL once closed */
    struct lws *pipe; /* our end of the pair; NULL once closed */
    int ws_fd;        /* the end the WebSocket/HTTP vhost serves */
    link_bytes to_pipe, to_tls;
    bool tls_paused, pipe_paused;
    struct sockaddr_storage peer; /* the client, for the log's peer line */
    socklen_t peer_len;
};

static bool bytes_add(link_bytes *b, const void *in, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *grown = realloc(b->buf, LWS_PRE + cap);
        if (!grown)
            return false;
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + LWS_PRE + b->len, in, len);
    b->len += len;
    return true;
}

static void bytes_free(link_bytes *b)
{
    free(b->buf);
    *b = (link_bytes){0};
}

static void kill_later(struct lws *wsi)
{
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Frees the link once both ends have closed. */
static void release(gp_tls_link *l)
{
    if (l->tls || l->pipe)
        return;
    gp_srv *srv = l->srv;
    if (l->ws_fd >= 0 && (size_t)l->ws_fd < srv->tls_by_fd_len &&
        srv->tls_by_fd[l->ws_fd] == l)
        srv->tls_by_fd[l->ws_fd] = NULL;
    bytes_free(&l->to_pipe);
    bytes_free(&l->to_tls);
    free(l);
    srv->tls_links--;
    gp_srv_shutdown_check_done(srv);
}

/* Queues in[0..len) for `to` (written at its next WRITEABLE); pauses
 * `from` when too much is waiting.  False when out of memory. */
static bool forward(link_bytes *b, struct lws *to, struct lws *from, bool *from_paused,
                    const void *in, size_t len)
{
    if (!to)
        return true; /* that side has gone: nobody to tell */
    if (!bytes_add(b, in, len))
        return false;
    lws_callback_on_writable(to);
    if (b->len >= GP_TLSLINK_HIGH_BYTES && !*from_paused) {
        *from_paused = true;
        lws_rx_flow_control(from, 0);
    }
    return true;
}

/* WRITEABLE on `self`: writes what waits for it (lws keeps what the socket
 * does not take now and holds WRITEABLE back until it has), resumes the
 * other side, and closes self once the other side has gone and nothing is
 * left to write. */
static int flush(link_bytes *b, struct lws *self, struct lws *other, bool *other_paused)
{
    if (b->len) {
        int n = lws_write(self, b->buf + LWS_PRE, b->len, LWS_WRITE_RAW);
        if (n < 0)
            return -1;
        bytes_free(b); /* an idle connection holds no buffer */
    }
    if (*other_paused && other) {
        *other_paused = false;
        lws_rx_flow_control(other, 1);
    }
    if (!other) {
        if (lws_partial_buffered(self))
            lws_callback_on_writable(self); /* lws still holds some: close after */
        else
            kill_later(self);
    }
    return 0;
}

/* ---- the client's end (called from the door) ---- */

int gp_srv_tlslink_rx(gp_srv *srv, gp_tls_link *l, const void *in, size_t len)
{
    (void)srv;
    if (!forward(&l->to_pipe, l->pipe, l->tls, &l->tls_paused, in, len))
        return -1;
    return 0;
}

int gp_srv_tlslink_writeable(gp_srv *srv, gp_tls_link *l)
{
    (void)srv;
    return flush(&l->to_tls, l->tls, l->pipe, &l->pipe_paused);
}

void gp_srv_tlslink_closed(gp_srv *srv, gp_tls_link *l)
{
    (void)srv;
    l->tls = NULL;
    l->tls_paused = false;
    if (l->pipe) {
        if (l->to_pipe.len)
            lws_callback_on_writable(l->pipe); /* flush, then close */
        else
            kill_later(l->pipe);
    }
    release(l);
}

/* ---- our end of the pair ---- */

/* The server's end of the pair has closed.  On a socketpair that shows as
 * POLLHUP, and lws closes on it without reading what is still in the
 * socket: the last answer (an HTTP response, a close frame) would be lost.
 * So whatever is left is read here, before lws closes the fd. */
static void drain(gp_tls_link *l, struct lws *wsi)
{
    int fd = (int)lws_get_socket_fd(wsi);
    char buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0 || !l->tls || !bytes_add(&l->to_tls, buf, (size_t)n))
            return;
    }
}

static int pipe_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    (void)user;
    gp_tls_link *l = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_RAW_RX:
        if (!l)
            return -1;
        if (!forward(&l->to_tls, l->tls, l->pipe, &l->pipe_paused, in, len))
            return -1;
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE:
        return l ? flush(&l->to_pipe, l->pipe, l->tls, &l->tls_paused) : 0;
    case LWS_CALLBACK_RAW_CLOSE:
        if (!l)
            return 0;
        drain(l, wsi);
        lws_set_opaque_user_data(wsi, NULL);
        l->pipe = NULL;
        l->pipe_paused = false;
        if (l->tls) {
            if (l->to_tls.len)
                lws_callback_on_writable(l->tls);
            else
                kill_later(l->tls);
        }
        release(l);
        return 0;
    default:
        return 0;
    }
}

const struct lws_protocols gp_srv_pipe_protocols[] = {
    {
        .name = GP_SRV_PIPE_PROTOCOL,
        .callback = pipe_callback,
        .per_session_data_size = 0,
        .rx_buffer_size = 16384,
    },
    {0}, /* lws 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};

gp_tls_link *gp_srv_tlslink_open(gp_srv *srv, struct lws *tls, const char *head, size_t len)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Could not hand a TLS connection over (socketpair: %s); dropping it",
                    strerror(errno));
        return NULL;
    }
    gp_tls_link *l = calloc(1, sizeof(*l));
    if (!l) {
        close(sp[0]);
        close(sp[1]);
        return NULL;
    }
    *l = (gp_tls_link){.srv = srv, .tls = tls, .ws_fd = sp[0]};
    l->peer_len = sizeof(l->peer);
    if (getpeername((int)lws_get_socket_fd(tls), (struct sockaddr *)&l->peer, &l->peer_len) != 0)
        l->peer_len = 0;
    srv->tls_links++;
    if ((size_t)sp[0] < srv->tls_by_fd_len)
        srv->tls_by_fd[sp[0]] = l;
    lws_adopt_desc_t pipe = {.vh = srv->vhost_pipe, .type = LWS_ADOPT_SOCKET,
                             .fd.sockfd = sp[1], .vh_prot_name = GP_SRV_PIPE_PROTOCOL,
                             .opaque = l};
    l->pipe = lws_adopt_descriptor_vhost_via_info(&pipe); /* closes sp[1] on failure */
    if (!l->pipe) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Could not hand a TLS connection over (lws adoption failed); dropping it");
        close(sp[0]);
        l->tls = NULL;
        release(l);
        return NULL;
    }
    /* Served now, perhaps answered and closed already (a 404): the pipe
     * then reads the answer and the end of the stream.  If lws could not
     * take sp[0] at all it has closed it, and the pipe sees just the end. */
    if (!gp_srv_adopt(srv, sp[0], head, len))
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR,
                    "Could not hand a TLS connection over (lws adoption failed); dropping it");
    return l;
}

bool gp_srv_tlslink_peer(const gp_srv *srv, int fd, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    if (fd < 0 || (size_t)fd >= srv->tls_by_fd_len || !srv->tls_by_fd[fd])
        return false;
    const gp_tls_link *l = srv->tls_by_fd[fd];
    if (!l->peer_len || l->peer_len > *len)
        return false;
    memcpy(ss, &l->peer, l->peer_len);
    *len = l->peer_len;
    return true;
}
