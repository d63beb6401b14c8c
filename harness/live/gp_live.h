/* gp_live.h: live mode -- the virtual clients of gp_vclient over real
 * sockets, with a libwebsockets client in one process and one service loop.
 *
 * The driver feeds the unchanged virtual clients from real events (a
 * handshake completed, a message arrived, a close, a timer on the monotonic
 * clock) and fills a gp_run the way the simulator does, so the same checks
 * and the same report apply.  What it cannot see over the wire (the server's
 * registry, its per-connection state) comes from the server's /health and
 * /metrics at the end.  Handshakes are paced (a bounded number in flight),
 * connections are spread over several 127.0.0.x source addresses when one
 * would run out of ephemeral ports, and the fd limit is raised and checked
 * before anything starts.
 *
 * Without a URL, gp_live_run starts a goldpath-server on a free loopback port
 * with the scenario's server settings and stops it afterwards. */
#ifndef GP_LIVE_H
#define GP_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "gp_run.h"

typedef struct gp_live_options {
    const char *url;         /* ws://HOST:PORT/PATH, or NULL: start a server */
    const char *server_path; /* goldpath-server to start; NULL: look for it */
    /* The server's log: where the server goldpath starts writes it (its
     * stdout and stderr), or, with url, a file the server under test writes,
     * read from where it ends when the run starts.  It is the evidence of the
     * lifecycle steps and the log signatures; NULL: none. */
    const char *server_log;
    const char *jwt_secret;  /* the server's secret; NULL: the dev secret */
    /* Client whose every event goes to trace(); UINT32_MAX: none. */
    uint32_t trace_client;
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    /* Called now and then with clients finished and total (may be NULL). */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* When set and non-zero (a signal handler sets it), the run stops within
     * a fifth of a second, closes its sockets and is concluded as it stands
     * (run->interrupted): the server stopped, its log read, the checks
     * judged. */
    const volatile sig_atomic_t *interrupt;
    /* The server's protocol (NULL: goldpath.v1).  With a profile and no url,
     * server_cmd starts the server under test. */
    const struct gp_profile *profile;
    /* A command that starts the server under test ({port}: a free port goldpath
     * picked), its log read from its output; ready when the port accepts, or
     * when a log line matches server_ready (a regular expression). */
    const char *server_cmd;
    const char *server_ready;
    /* TLS for wss:// URLs. */
    const char *tls_ca;      /* CA file to trust (NULL: the system's) */
    const char *tls_cert;    /* client certificate (PEM), with tls_key */
    const char *tls_key;
    const char *tls_sni;     /* the server name to send and check (NULL: the URL's host) */
    bool tls_insecure;       /* accept any certificate: for self-signed test servers only */
} gp_live_options;

/* Wall-clock figures of a live run that gp_run does not hold. */
typedef struct gp_live_stats {
    char url[512];             /* the server the clients talked to */
    uint32_t source_addresses; /* 127.0.0.x addresses used (0: not bound) */
    uint64_t open_peak;        /* most WebSocket connections open at once */
    uint64_t connect_errors;   /* handshakes that failed */
    char connect_error[256];   /* the first one's reason, as libwebsockets gave it */
    uint64_t first_start_ms, last_done_ms; /* run clock, for the rate below */
    double golden_paths_per_s; /* completed / (last done - first start) */
    bool server_started;       /* we started (and stopped) the server */
    int server_pid;
    int server_exit;           /* exit status; 128 + signal when killed */
    double server_cpu_s;       /* user + system CPU of the started server */
    uint64_t server_peak_rss_kib;
    bool metrics_known;        /* /metrics was read */
} gp_live_stats;

/* Checks a server URL (ws://HOST[:PORT][/PATH], HOST a name, IPv4 or
 * [IPv6]).  Returns GP_OK, or GP_ERR_INVALID_ARG with what is wrong in err. */
int gp_live_url_check(const char *url, char *err, size_t err_len);

/* Checks that every fault and setting in sc can be injected over real
 * sockets (with_url: against a server goldpath does not start).  Returns
 * GP_OK, or GP_ERR_INVALID_ARG with a message naming the field in err. */
int gp_live_check_scenario(const gp_scenario *sc, bool with_url, char *err, size_t err_len);

/* Runs run->sc live, filling `run` (clients, ledger, timeline, health, then
 * gp_run_judge) and *stats.  `run` must come from gp_run_init.  Returns GP_OK
 * once the run was judged (checks may have failed); otherwise a negative
 * gp_err with a message in err: GP_ERR_INVALID_ARG for a scenario or URL live
 * mode cannot run, GP_ERR_FULL when the clients would not fit in the fd limit,
 * GP_ERR_NOT_FOUND when the server cannot be found, started or reached,
 * GP_ERR_NOMEM. */
int gp_live_run(gp_run *run, const gp_live_options *opt, gp_live_stats *stats,
                char *err, size_t err_len);

#endif
