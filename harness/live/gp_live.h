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
    /* When set (run->n_clients entries): each client's local port as the
     * server's log names it, 0 when its socket never opened -- what
     * gp_live_judge_log needs to read the log again (goldpath merge). */
    uint16_t *client_ports;
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
    /* What goldpath merge needs to put the shards of a run together: the run
     * clock's origin, where the run's lines start in the server's log, and
     * the server's figures as read before the clients started (counters
     * since the server started) and when (Unix microseconds). */
    uint64_t t0_unix_us;
    long log_offset;
    bool base_known;
    gp_health base;
    bool base_pairs_known;         /* /metrics gave per-pair step counts then */
    gp_transition_stats base_pairs;
    uint64_t base_at_unix_us, final_at_unix_us;
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

/* Reads a live run's server log after the fact, as gp_live_run does at its
 * end, into a run put together from the records of its shards (goldpath
 * merge): the log at `path` from its start, its timestamps on a run clock
 * whose 0 is t0_unix_us.  ports[i] is client i's local port (0: its socket
 * never opened) and opened_ms[i] when it opened on that clock: the log names
 * a connection by its peer's port, and the clients of one port, in the
 * order they opened, are its connections in the log's order.  With a
 * profile, its log patterns and signatures.  Fills run->judge, the log
 * oracle, the clients' opened ids, the facts the log reveals (agent
 * failures) and the evidence bits; the caller then calls gp_drive_finish
 * and gp_checks_judge.  Returns true when the log was read; false
 * (run->evidence_why says why) otherwise, or when out of memory. */
bool gp_live_judge_log(gp_run *run, const char *path, const uint16_t *ports,
                       const uint64_t *opened_ms, uint64_t t0_unix_us,
                       const struct gp_profile *profile);

#endif
