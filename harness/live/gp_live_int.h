/* gp_live_int.h: the live driver's insides, shared by its files -- the URL
 * and source addresses, the timer heap, the tiny HTTP client, the /health and
 * /metrics parsers, the server process, and the driver state itself. */
#ifndef GP_LIVE_INT_H
#define GP_LIVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>
#include <uv.h>

#include "gp_drive.h"
#include "gp_eventq.h"
#include "gp_live.h"
#include "gp_profile.h"

#define GP_LIVE_PER_SOURCE 20000 /* connections per source address (of ~28k ports) */
#define GP_LIVE_SOURCES_MAX 250
#define GP_LIVE_FD_RESERVE 128   /* fds kept for lws, HTTP, logs, stdio (the server keeps 96) */
#define GP_LIVE_RX_BUFFER 1024   /* lws's per-connection receive buffer */
#define GP_LIVE_PROTOCOL "goldpath.v1"
#define GP_LIVE_SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt" /* Debian's bundle */

/* ---- the server's address (gp_live_url.c) ---------------------------------- */

typedef struct gp_live_url {
    char host[128];
    int port;
    char path[256];
    bool path_given; /* the URL named a path (else path is the default, /ws) */
    bool tls;        /* wss:// (and https:// for /health and /metrics) */
    bool insecure;   /* TLS without checking the certificate (--insecure) */
} gp_live_url;

/* Parses ws://HOST[:PORT][/PATH] (default port 80, path /ws).  Returns GP_OK
 * or GP_ERR_INVALID_ARG with the reason in err. */
int gp_live_url_parse(const char *url, gp_live_url *out, char *err, size_t err_len);
bool gp_live_host_is_loopback(const char *host);
/* How many 127.0.0.x source addresses to bind to (0: none, the kernel's
 * choice): live.source_addresses, or when 0 as many as the connections open
 * at once (at most open_max) need.  GP_ERR_INVALID_ARG when
 * live.source_addresses cannot work. */
int gp_live_source_count(const gp_scenario *sc, const gp_live_url *url, uint64_t open_max,
                         uint32_t *out, char *err, size_t err_len);
/* Connects to the server of u (a TCP probe, timeout_ms at most).  Returns
 * GP_OK, or GP_ERR_NOT_FOUND with "cannot reach HOST:PORT: why" in err. */
int gp_live_probe(const gp_live_url *u, int timeout_ms, char *err, size_t err_len);
/* A TLS handshake with the server of u (wss://) as the clients will make it:
 * the CA file (NULL: the system's), the client certificate, the server name
 * (NULL: the URL's host), the certificate checked unless insecure.  GP_OK,
 * or GP_ERR_INVALID_ARG with what failed and what to do about it in err. */
int gp_live_tls_probe(const gp_live_url *u, const gp_live_options *opt, char *err,
                      size_t err_len);

/* "127.0.0.<k+1>" into out. */
void gp_live_source_name(uint32_t k, char *out, size_t out_len);

/* Raises the soft fd limit to the hard one; *open_max: most sockets to keep
 * open at once, *fd_limit: the limit.  GP_ERR_FULL with the reason when the
 * scenario's clients arrive all at once and cannot all be open together. */
int gp_live_fd_budget(const gp_scenario *sc, uint64_t *open_max, uint64_t *fd_limit,
                      char *err, size_t err_len);

/* ---- plain HTTP GET over the lws context (gp_live_http.c) -------------------- */

/* status: the HTTP status, or -1 when the request failed; body is
 * NUL-terminated and owned by the gp_live_http. */
typedef void (*gp_live_http_done)(void *ctx, int status, const char *body, size_t len);

typedef struct gp_live_http {
    struct lws *wsi;
    char *body;
    size_t len, cap;
    int status;
    bool busy; /* a request is under way; done() not called yet */
    gp_live_http_done done;
    void *done_ctx;
} gp_live_http;

/* Starts GET path on the server of u.  done() is called exactly once, from
 * the service loop (or before this returns, when the connect fails at once).
 * Returns GP_OK, or GP_ERR_FULL when a request is already under way. */
int gp_live_http_get(gp_live_http *h, struct lws_context *cx, const gp_live_url *u,
                     const char *path, gp_live_http_done done, void *ctx);
/* The protocol callback of the "gp-http" protocol; user is the gp_live_http. */
int gp_live_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                          void *in, size_t len);
void gp_live_http_free(gp_live_http *h);

/* ---- /health and /metrics (gp_live_health.c) --------------------------------- */

/* Fills out (zeroed first) from /health's JSON.  Returns GP_OK or
 * GP_ERR_BAD_JSON / GP_ERR_BAD_FIELD with the reason in err. */
int gp_live_health_parse(const char *json, size_t len, gp_health *out, char *err,
                         size_t err_len);

/* The figures read from /metrics: the same gp_health fields, and which were
 * present (bit per GP_LIVE_M_*). */
enum {
    GP_LIVE_M_ACTIVE = 1u << 0,
    GP_LIVE_M_BY_STATE = 1u << 1,
    GP_LIVE_M_ATTEMPTED = 1u << 2,
    GP_LIVE_M_FAILED = 1u << 3,
    GP_LIVE_M_MISMATCHES = 1u << 4,
    GP_LIVE_M_CONNECTIONS = 1u << 5,
    GP_LIVE_M_READY = 1u << 6,
    GP_LIVE_M_STUCK = 1u << 7,
    GP_LIVE_M_COMPLETED = 1u << 8,
    GP_LIVE_M_REQ_FAILED = 1u << 9,
    GP_LIVE_M_INVALID_24H = 1u << 10,
    GP_LIVE_M_PAIRS = 1u << 11,
};

typedef struct gp_live_metrics {
    gp_health h;
    uint32_t seen;
} gp_live_metrics;

/* Reads the goldpath_* lines of a Prometheus text page.  Unknown lines are
 * skipped.  Never fails. */
void gp_live_metrics_parse(const char *text, size_t len, gp_live_metrics *out);

/* Compares every figure /metrics showed with /health's.  Returns true when
 * they agree; otherwise false with the first difference in detail. */
bool gp_live_metrics_agree(const gp_health *health, const gp_live_metrics *m, char *detail,
                           size_t detail_len);

/* The figures of h since `base`, a snapshot taken before the run (a server
 * given with --url may have served others before): every counter minus
 * base's, gauges (open connections, per state) as they are, and the success
 * rate recomputed when base had counted steps already. */
void gp_live_health_since(gp_health *h, const gp_health *base);

/* Per-pair transition counts: from /metrics when it had them, otherwise the
 * totals of /health alone. */
void gp_live_health_set_transitions(gp_health *h, const gp_live_metrics *m);

/* ---- the server process (gp_live_server.c) ---------------------------------- */

typedef struct gp_live_server {
    int pid; /* 0: not running */
    int port;
    bool group;          /* started with --server-cmd: its own process group */
    char dir[64];        /* private temporary folder (ready file) */
    char ready_path[96];
    int exit_status;     /* after stop: exit code, or 128 + signal */
    double cpu_s;
    uint64_t peak_rss_kib;
} gp_live_server;

/* Finds goldpath-server: `given`, else $GOLDPATH_SERVER, else next to this
 * executable (../sut/server/ from the build's harness/ folder, or the same
 * folder), else $PATH.  Returns GP_OK or GP_ERR_NOT_FOUND with a message. */
int gp_live_server_find(const char *given, char *out, size_t out_len, char *err,
                        size_t err_len);

/* Starts the server on a free loopback port with the scenario's server
 * settings (at most max_connections at once) and waits (bounded) until it
 * listens.  Returns GP_OK with s->port set, or GP_ERR_NOT_FOUND with why (and
 * the log's last lines) in err. */
int gp_live_server_start(gp_live_server *s, const char *binary, const gp_scenario *sc,
                         uint64_t max_connections, const char *secret,
                         const char *log_path, char *err, size_t err_len);

/* Starts the user's server under test: cmd run by /bin/sh with {port}
 * replaced by a free loopback port, stdout and stderr into log_path, the
 * secret (when given) in its environment as secret_env; ready when the port
 * accepts a connection, or, with ready_pattern, when a log line matches it.
 * Bounded wait; the log's last lines in err when it fails. */
int gp_live_server_start_cmd(gp_live_server *s, const char *cmd, const char *ready_pattern,
                             const char *secret_env, const char *secret, const char *log_path,
                             char *err, size_t err_len);

/* Reads the server's peak RSS while it runs (VmHWM), 0 when unknown. */
uint64_t gp_live_server_peak_rss(const gp_live_server *s);
/* Reads the server's resident memory now (VmRSS), 0 when unknown. */
uint64_t gp_live_server_rss(const gp_live_server *s);

/* SIGTERM, then waits (bounded, SIGKILL after) and records exit status, CPU
 * and peak RSS.  Safe to call when not running. */
void gp_live_server_stop(gp_live_server *s);

/* ---- the driver (conn, net, log, loop, setup, sample, judge) ------------------- */

/* gp_live_net_send's tag bit and an outgoing message's flag: a binary frame */
#define GP_LIVE_OUT_BINARY (1u << 7)

/* One message held by the driver's network: outgoing (with LWS_PRE bytes
 * of headroom) or arriving for the client. */
typedef struct gp_live_out {
    struct gp_live_out *next;
    uint64_t due_ms;   /* not before this run time (0: at once) */
    uint64_t key;      /* reorder key: the request it belongs to, 0: none */
    uint8_t tag;       /* outgoing: the client's GP_VC_TAG_* */
    uint8_t flags;     /* arriving: GP_VC_DELIVERY_*; outgoing: GP_LIVE_OUT_BINARY */
    bool held;         /* waiting to be overtaken by the next message */
    size_t len;
    unsigned char buf[];
} gp_live_out;

typedef struct gp_live_queue {
    gp_live_out *head, *tail;
} gp_live_queue;

enum { GP_LINK_IDLE = 0, GP_LINK_CONNECTING, GP_LINK_OPEN, GP_LINK_GONE };

/* A client's transport. */
typedef struct gp_live_link {
    struct lws *wsi;
    gp_live_queue out;  /* to the server, written in WRITEABLE */
    gp_live_queue in;   /* from the server, held by the driver's network */
    char *rx;           /* a fragmented message being joined */
    uint32_t rx_len;
    int16_t peer_code;  /* close code the server sent, 0: none */
    int16_t close_code; /* close code the client asked for */
    uint8_t st;         /* GP_LINK_* */
    bool close_wanted;  /* the client closed: close once the queue is out */
    bool in_flight;     /* counted in handshakes in flight */
    bool reset;         /* the driver's network reset it */
    uint16_t local_port; /* the client's port, as the server's log names it */
    uint32_t accept_delay_ms; /* asked of the server through its fault hook */
    uint64_t t_open;    /* run ms of ESTABLISHED */
    int http_status;    /* the upgrade answered with an HTTP status, not 101 */
    uint64_t last_out_due, last_in_due; /* order kept per direction */
    gp_rng rng;         /* the driver's network draws for this link */
} gp_live_link;

/* Timer kinds of the driver's own queue beyond the clients' gp_vc_timer. */
enum { GP_LIVE_EV_LINK_OUT = 100, GP_LIVE_EV_LINK_IN };

typedef struct gp_live gp_live;
struct gp_live {
    gp_run *run;
    const gp_scenario *sc;
    const gp_live_options *opt;
    gp_live_stats *stats;
    gp_live_url url;
    char host_header[160];
    struct lws_context *cx;
    gp_vc_shared sh;
    gp_jwt_key *key, *wrong_key;
    const gp_profile *profile; /* the server's protocol (NULL: goldpath.v1) */
    gp_profile_keys pkeys;
    gp_live_link *links;
    uint32_t *order;      /* clients by start time */
    uint32_t next_start;  /* index into order */
    uint32_t in_flight, in_flight_max;
    uint64_t open_max;    /* the fd budget: most sockets open at once */
    uint64_t busy;        /* links connecting or open: sockets in use */
    uint64_t ws_open;     /* links open (handshake done) */
    uint32_t n_sources;
    char (*sources)[16];
    bool hooks;           /* the server honours goldpath's fault hooks (we started it) */
    bool netem;           /* the scenario asks the driver's network for faults */
    bool add_latency;     /* ... or for latency beyond the real network's */
    gp_eventq timers; /* the clients' timers (client, kind, a = arg) and link wake-ups */
    uv_loop_t loop;       /* libuv (epoll): lws's poll() loop costs O(fds) per wait */
    uv_timer_t tick_timer, wait_timer;
    bool loop_ready;      /* loop and timers initialised */
    uint64_t tick_at_ms;  /* when the tick is scheduled, UINT64_MAX: not */
    uint64_t wait_until_ms;
    bool (*wait_done)(const struct gp_live *lv);
    uint64_t t0_ns;       /* monotonic clock at run time 0 */
    uint64_t t0_unix_us;  /* the wall clock then: the server's log is stamped with it */
    uint64_t next_sample_ms, next_progress_ms;
    gp_live_http http;    /* /health samples during the run */
    gp_health last;       /* the last sample's figures */
    gp_live_metrics metrics; /* /metrics at the end */
    gp_health base;       /* /health before the run */
    gp_live_metrics base_metrics;
    bool base_known;
    int fetch_status;     /* of the last GET at the end */
    bool last_known;
    uint64_t sampled_attempted, sampled_failed;
    /* a profile's metrics map: each figure before the run (counters are
     * compared as differences) */
    double map_base[16];
    bool map_base_known;
    long log_offset;      /* where this run's lines start in the server's log */
    bool stop, nomem;
};

/* Ms since the run started; the run clock starts at 1 so that 0 keeps
 * meaning "never" in the clients' records. */
uint64_t gp_live_now_ms(const gp_live *lv);
/* Asks the loop to run its tick at run time at_ms (or now). */
void gp_live_wake(gp_live *lv, uint64_t at_ms);
/* Queues a timer of the driver (kind: gp_vc_timer or GP_LIVE_EV_*). */
void gp_live_timer(gp_live *lv, uint32_t client, uint64_t at_ms, uint32_t kind, uint64_t arg);
/* Runs the loop until done(lv) (may be NULL) or ms have passed (checked
 * every 10 ms). */
void gp_live_run_until(gp_live *lv, uint64_t ms, bool (*done)(const gp_live *lv));
void gp_live_tracef(gp_live *lv, uint32_t client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* gp_live_conn.c */
extern const lws_retry_bo_t gp_live_no_idle_policy;
void gp_live_io_init(gp_live *lv);
/* Starts client i: its connect (paced by the caller) and its script. */
void gp_live_start_client(gp_live *lv, uint32_t i);
/* The protocol callback of GP_LIVE_PROTOCOL; user is the gp_live_link. */
int gp_live_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                        void *in, size_t len);
/* Frees what a link holds (queues, partial message). */
void gp_live_link_release(gp_live_link *l);
/* Hands client i a message the driver's network delivers now. */
void gp_live_deliver(gp_live *lv, uint32_t i, const char *data, size_t len, unsigned flags);
/* Drops client i's socket as a network reset would (the client sees 1006). */
void gp_live_reset(gp_live *lv, uint32_t i);

/* gp_live_net.c: the driver's network -- the scenario's drops (as
 * retransmission delays, then a reset), duplicates, reorders and added
 * latency, on both directions, each recorded as a fact. */
/* A message from client i (tag GP_VC_TAG_*) enters the network. */
void gp_live_net_send(gp_live *lv, uint32_t i, const char *data, size_t len, unsigned tag);
/* A message from the server for client i came off the socket. */
void gp_live_net_receive(gp_live *lv, uint32_t i, const char *data, size_t len);
/* A wake-up of link i's queue (GP_LIVE_EV_LINK_OUT or _IN) is due. */
void gp_live_net_wake(gp_live *lv, uint32_t i, uint32_t kind);
/* The next outgoing message of link l that may be written now, or NULL. */
gp_live_out *gp_live_net_next_out(gp_live *lv, gp_live_link *l, uint64_t now);
void gp_live_queue_free(gp_live_queue *q);

/* gp_live_log.c: the server's log after the run -- lifecycle steps for the
 * judge, log signatures, facts (agent failures), opened ids, traces. */
/* Reads the log from lv->log_offset.  Returns true when it was read. */
bool gp_live_read_log(gp_live *lv, const char *path);

/* gp_live_setup.c: each returns GP_OK or a gp_err with the reason in err. */
/* The profile's keys and what it decides of each client's plan (where its
 * token goes). */
int gp_live_setup_profile(gp_live *lv, char *err, size_t err_len);
int gp_live_setup_clients(gp_live *lv, const char *secret, char *err, size_t err_len);
int gp_live_make_loop(gp_live *lv, char *err, size_t err_len);
int gp_live_make_context(gp_live *lv, uint64_t fd_limit, char *err, size_t err_len);
/* Frees everything set up (lws context first, then the loop); idempotent. */
void gp_live_teardown(gp_live *lv);

/* gp_live_judge.c */
/* Fills the stats' rate and first/last times from the clients. */
void gp_live_compute_stats(gp_live *lv);

/* gp_live_sample.c */
/* A timeline row for the bucket ending at t_ms; asks /health for the
 * server's side when no request is under way. */
void gp_live_sample(gp_live *lv, uint64_t t_ms);
/* Reads /health and /metrics before the clients start: what the server had
 * counted already is not this run's. */
void gp_live_baseline(gp_live *lv);
/* Fetches /health (until it shows no open connection, bounded) and
 * /metrics at the end; fills run->health and the evidence it gives. */
void gp_live_final_health(gp_live *lv);

#endif
