/* gp_srv.h: goldpath-server's driver state, shared by its files.
 *
 * goldpath-server is a thin libwebsockets driver over sut/core: lws owns the
 * sockets, the core owns every decision.  The files split the driver by job:
 *   gp_srv_env.c   the gp_env the core calls (clock, entropy, timers, send,
 *                  close, log) and the one lws_sul that drives the timers
 *   gp_srv_ws.c    WebSocket callbacks: open, reassembly, writes, close
 *   gp_srv_http.c  GET /health, GET /metrics, and refusing other requests
 *   gp_srv_lws.c   the lws context, the protocol list, the loop
 *   gp_srv_shutdown.c  SIGINT/SIGTERM and the graceful shutdown
 *   gp_srv_door.c  the front door: every socket until its request head is in
 *   gp_srv_tls.c, gp_srv_tlslink.c  --tls-cert/--tls-key, and TLS connections
 *                  handed over through a socketpair
 *   gp_srv_figures.c, gp_srv_metrics.c  the driver's figures and histograms
 *   gp_srv_main.c  flags, the fd-limit check, start-up lines, exit codes
 * Not a public interface: only these files include it. */
#ifndef GP_SRV_H
#define GP_SRV_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdint.h>

#include "gp_outq.h"
#include "gp_server.h"
#include "gp_srv_flags.h"
#include "gp_srv_metrics.h"
#include "gp_srv_timers.h"

/* Largest payload queued for one connection (bytes): a hard stop, only
 * reached when the core keeps sending while reading is paused (large agent
 * events); the connection is then closed 1008.  Back-pressure normally holds
 * a queue near the high-water mark (gp_srv_flow.c). */
#define GP_SRV_OUTQ_BYTES_MAX (1024u * 1024u)
/* Back-pressure: stop reading a connection whose queue reaches HIGH bytes,
 * resume at LOW. */
#define GP_SRV_OUTQ_HIGH_BYTES (256u * 1024u)
#define GP_SRV_OUTQ_LOW_BYTES (64u * 1024u)
/* The WebSocket protocol name (PROTOCOL.md). */
#define GP_SRV_SUBPROTOCOL "goldpath.v1"
/* Slack after the core's shutdown grace for close handshakes (ms). */
#define GP_SRV_CLOSE_SLACK_MS 3000u

/* One lws connection's user space (lws allocates it zeroed, per wsi).  Used
 * by WebSocket connections and by plain HTTP requests on the same protocol. */
typedef struct gp_session {
    /* WebSocket */
    gp_conn_handle handle;   /* 0: not (or no longer) known to the core */
    bool counted;            /* counted in gp_srv.sessions */
    gp_outq outq;
    int close_code;          /* 0: no close pending */
    bool close_started;      /* handed to lws: write nothing more */
    char close_reason[96];
    struct lws *wsi;                  /* for close_sul */
    lws_sorted_usec_list_t close_sul; /* starts the close outside WRITEABLE */
    lws_sorted_usec_list_t accept_sul; /* a delayed accept completes */
    /* reassembly of one message across frames and RECEIVE callbacks */
    char *rx;
    size_t rx_len, rx_cap;
    bool rx_active;  /* inside a message */
    bool rx_binary;
    bool rx_discard; /* delivered early (too big or binary): drop the rest */
    /* back-pressure and the pre-authentication budget (gp_srv_flow.c) */
    bool rx_paused;                   /* lws_rx_flow_control(wsi, 0) in force */
    lws_sorted_usec_list_t stall_sul; /* closes it when the queue stays high */
    bool authed;                      /* reached AUTHENTICATED: not counted */
    size_t core_held;                 /* bytes handed to the core before accept */
    size_t preauth_charged;           /* what it counts in srv->preauth_bytes */
    /* latency histograms (gp_srv_env.c): monotonic microseconds */
    uint64_t opened_us;               /* ESTABLISHED */
    uint64_t msg_rx_us;               /* the message being handed to the core */
    bool ready_measured;              /* connection_ready seen (once) */
    gp_srv_reqclock reqs;             /* its requests in flight */
    /* HTTP */
    char *http_body;
    size_t http_body_len;
} gp_session;

/* The front door's state (gp_srv_door.c): connections still sending their
 * request headers, oldest first. */
typedef struct gp_door_session gp_door_session;
typedef struct gp_srv_door_state {
    gp_door_session *oldest, *newest;
    uint32_t count;
    uint64_t timeouts_total, evictions_total, refusals_total;
    uint64_t logged_ms;                /* last "Dropping connections" line */
    lws_sorted_usec_list_t sweep_sul;  /* the oldest's header deadline */
} gp_srv_door_state;

typedef struct gp_srv {
    gp_srv_options opt;
    gp_env env;
    gp_server *core;
    struct lws_context *ctx;
    struct lws_vhost *vhost;        /* WebSocket and HTTP (adopted sockets) */
    struct lws_vhost *vhost_listen; /* listens; its sockets go to the door */
    struct lws_vhost *vhost_pipe;   /* TLS: our ends of the socketpairs */
    void *uv_loop;              /* uv_loop_t * in GP_SRV_LOOP_UV mode */
    bool start_failed;          /* context made, but no listening vhost */
    int port;                   /* the port actually bound */
    uint64_t accept_fd_max;     /* sockets above this fd are dropped */
    uint64_t fd_limit;          /* the soft RLIMIT_NOFILE the server runs with */
    /* A handover in progress (gp_srv_adopt): lws serves the bytes already
     * read at once, so an adoption can end with the connection served and
     * closed, and NULL returned as for a failure.  The WebSocket/HTTP
     * callback notes that it saw the new connection. */
    bool adopting, adopt_seen;
    uint64_t fd_guard_logged_ms; /* last "near the fd limit" line (monotonic) */
    /* timers */
    gp_srv_timers timers; /* the core's timers, and the driver's accept delays */
    lws_sorted_usec_list_t timer_sul;
    uint64_t timer_sul_due_ms;  /* UINT64_MAX: not armed */
    uint64_t last_now_ms;       /* now_ms never goes backwards */
    /* WebSocket sessions from ESTABLISHED to CLOSED, refused ones included */
    uint64_t sessions;
    /* defences (gp_srv_flow.c), shown on /metrics and /health */
    size_t preauth_bytes;              /* held by unauthenticated connections */
    uint64_t preauth_refusals_total;   /* closed 1013 over the budget */
    uint64_t rx_pauses_total;          /* reading paused by back-pressure */
    uint64_t slow_reader_closes_total; /* closed 1008 after --send-stall-ms */
    gp_srv_door_state door;
    /* /metrics only the driver can compute (gp_srv_figures.c) */
    /* TLS (gp_srv_tlslink.c) */
    uint64_t tls_links;                /* connections handed over through a pair */
    struct gp_tls_link **tls_by_fd;    /* the link of each WebSocket-side fd */
    size_t tls_by_fd_len;
    gp_histo time_to_ready;            /* ESTABLISHED to connection_ready sent */
    gp_histo request_duration;         /* agent_execution to its end sent */
    uint64_t connections_closed_total; /* connections the core opened, closed */
    /* shutdown */
    int signals_handled;        /* signals seen by the loop so far */
    bool shutting_down;
    bool stop;                  /* leave the loop */
    int exit_code;
    lws_sorted_usec_list_t deadline_sul;
} gp_srv;

/* ---- gp_srv_env.c ---- */

/* Fills srv->env for the core (ctx = srv). */
void gp_srv_env_init(gp_srv *srv);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t gp_srv_mono_ms(void);
/* Microseconds of CLOCK_MONOTONIC (the histograms' clock). */
uint64_t gp_srv_mono_us(void);
/* Frees what the timers hold (call after the lws context is gone). */
void gp_srv_env_free(gp_srv *srv);
/* Drops the timers of a connection the core has just closed. */
void gp_srv_env_conn_closed(gp_srv *srv, gp_conn_handle h);

/* ---- gp_srv_ws.c ---- */

int gp_srv_ws_established(gp_srv *srv, struct lws *wsi, gp_session *s);
int gp_srv_ws_receive(gp_srv *srv, struct lws *wsi, gp_session *s,
                      const void *in, size_t len);
int gp_srv_ws_writeable(gp_srv *srv, struct lws *wsi, gp_session *s);
void gp_srv_ws_closed(gp_srv *srv, struct lws *wsi, gp_session *s);
/* Queues a close of a session the core does not know (refused) or that the
 * driver closes itself: the close frame goes out after the queue drains. */
void gp_srv_ws_close_later(struct lws *wsi, gp_session *s, int code,
                           const char *reason);

/* ---- gp_srv_flow.c ---- */

/* After a message was queued: past the high-water mark, pause reading and
 * start the stall timer. */
void gp_srv_flow_after_push(gp_srv *srv, struct lws *wsi, gp_session *s);
/* After a message was written: re-counts the budget; under the low-water
 * mark, resume reading. */
void gp_srv_flow_after_pop(gp_srv *srv, struct lws *wsi, gp_session *s);
/* A close is pending: resume reading so the client's close frame is read. */
void gp_srv_flow_closing(struct lws *wsi, gp_session *s);
/* Re-counts what s holds against the pre-authentication budget (nothing
 * once it has authenticated).  Call after anything s holds changed. */
void gp_srv_flow_account(gp_srv *srv, gp_session *s);
/* Whether an unauthenticated s may hold more_bytes more.  When not, s's
 * queue is freed, it is closed with 1013, and false is returned. */
bool gp_srv_flow_preauth_admit(gp_srv *srv, struct lws *wsi, gp_session *s,
                               size_t more_bytes);
/* At CLOSED: cancels the stall timer and gives back what s counted. */
void gp_srv_flow_release(gp_srv *srv, gp_session *s);

/* ---- gp_srv_figures.c ---- */

/* Append the driver's figures to /metrics' text or /health's JSON object.
 * Both take a malloc'd body and return it grown (NULL when out of memory,
 * the body freed).  /metrics also gets the build info, the latency
 * histograms and the counters only the driver keeps; h is the core's
 * snapshot the page was rendered from. */
char *gp_srv_figures_prometheus(const gp_srv *srv, const gp_health *h, char *body);
char *gp_srv_figures_json(const gp_srv *srv, char *body);

/* ---- gp_srv_door.c ---- */

/* The listening vhost's protocols: one, that takes accepted sockets as raw
 * sockets until their request head is complete. */
#define GP_SRV_DOOR_PROTOCOL "gp-front-door"
extern const struct lws_protocols gp_srv_door_protocols[];
/* Cancels the door's timer (before the context goes). */
void gp_srv_door_stop(gp_srv *srv);

/* ---- gp_srv_tls.c, gp_srv_tlslink.c ---- */

/* Reads --tls-cert and --tls-key with OpenSSL: true when they are a PEM
 * certificate and its unencrypted PEM private key; else false with a
 * sentence naming the flag and the file in msg. */
bool gp_srv_tls_check(const gp_srv_options *opt, char *msg, size_t len);

typedef struct gp_tls_link gp_tls_link;
#define GP_SRV_PIPE_PROTOCOL "gp-tls-pipe"
/* The protocols of the vhost that holds our ends of the socketpairs. */
extern const struct lws_protocols gp_srv_pipe_protocols[];
/* Hands the TLS connection `tls` (the door's raw wsi, its head complete)
 * to the WebSocket/HTTP vhost through a socketpair; head[0..len) is what
 * the door read (the head and anything after it).  Returns the link, or
 * NULL after an ERROR line (the caller drops `tls`). */
gp_tls_link *gp_srv_tlslink_open(gp_srv *srv, struct lws *tls, const char *head, size_t len);
/* The door's callbacks on a linked wsi: decrypted bytes from the client,
 * WRITEABLE, and CLOSE (after which the door forgets the link). */
int gp_srv_tlslink_rx(gp_srv *srv, gp_tls_link *l, const void *in, size_t len);
int gp_srv_tlslink_writeable(gp_srv *srv, gp_tls_link *l);
void gp_srv_tlslink_closed(gp_srv *srv, gp_tls_link *l);
/* The TLS client's address for the WebSocket/HTTP connection on fd (its end
 * of a pair): true and *ss, *len; false when fd is not such an end. */
bool gp_srv_tlslink_peer(const gp_srv *srv, int fd, struct sockaddr_storage *ss,
                         socklen_t *len);

/* ---- gp_srv_http.c ---- */

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 0 lets the upgrade go on, >0 after an
 * HTTP refusal was written (wrong path, shutting down). */
int gp_srv_http_confirm_upgrade(gp_srv *srv, struct lws *wsi);
/* LWS_CALLBACK_HTTP for `path`. */
int gp_srv_http_request(gp_srv *srv, struct lws *wsi, gp_session *s,
                        const char *path);
int gp_srv_http_writeable(gp_srv *srv, struct lws *wsi, gp_session *s);
/* Frees the body of an HTTP exchange (idempotent). */
void gp_srv_http_release(gp_session *s);

/* ---- gp_srv_lws.c ---- */

/* Hands fd, with the bytes already read from it, to the WebSocket/HTTP
 * vhost (lws_adopt_socket_vhost_readbuf).  True when lws took it: it is
 * served (perhaps already answered and closed), and owns fd; false when the
 * adoption failed (lws has closed fd). */
bool gp_srv_adopt(gp_srv *srv, int fd, const char *buf, size_t len);

/* Creates the lws context and listens.  Returns false with a sentence in
 * msg on failure (port in use, bad address, event loop unavailable). */
bool gp_srv_lws_start(gp_srv *srv, char *msg, size_t msg_len);
/* Runs the loop until a shutdown completes; returns the exit code. */
int gp_srv_lws_run(gp_srv *srv);
/* Destroys the context (closing what is left) and the event loop. */
void gp_srv_lws_stop(gp_srv *srv);
/* Leaves the loop soon (from inside a callback). */
void gp_srv_lws_request_stop(gp_srv *srv);
/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: 1 hangs up on a socket whose fd
 * is near the fd limit, 0 lets it in. */
int gp_srv_lws_fd_guard(gp_srv *srv, const struct lws_filter_network_conn_args *a);

/* ---- gp_srv_shutdown.c ---- */

/* Routes SIGINT/SIGTERM to the loop woken through ctx; ignores SIGPIPE. */
void gp_srv_signals_install(struct lws_context *ctx);
/* Blocks SIGINT/SIGTERM and forgets the context (before destroying it). */
void gp_srv_signals_forget(void);
/* On every wake of the loop: acts on signals that arrived since the last. */
void gp_srv_shutdown_on_wake(gp_srv *srv);
/* Leaves the loop once shutting down and the last session has closed. */
void gp_srv_shutdown_check_done(gp_srv *srv);

#endif
