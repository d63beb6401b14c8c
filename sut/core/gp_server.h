/* gp_server.h: the reference server's logic as calls, with no I/O.
 *
 * A driver reports what happens on its transport (a socket opened, its accept
 * completed, a message arrived, it closed, a timer fired) and the core answers
 * through the environment (send, close, timers, log).  The route is the
 * incident's, fixed: the preliminary id assigned at open is passed to
 * connect_user, so the connection keeps one id and one state machine from
 * CONNECTING to PROCESSING_READY.  The bug catalog switches bring the broken
 * behaviours back on demand (gp_bugs.h). */
#ifndef GP_SERVER_H
#define GP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_agent.h"
#include "gp_bugs.h"
#include "gp_env.h"
#include "gp_lifecycle.h"

/* Identifies one connection inside a server: slot and generation, never 0.
 * A handle of a connection that has gone is ignored by every call. */
typedef uint64_t gp_conn_handle;

typedef struct gp_server_config {
    gp_bug_set bugs;                 /* 0: the fixed server */
    gp_agent_timing agent;           /* think/tool durations */
    double agent_failure_rate;       /* chance a request fails (AGENT_FAILED) */
    uint32_t auth_timeout_ms;        /* default 5000 */
    uint32_t stuck_after_ms;         /* default 2000 */
    uint32_t shutdown_grace_ms;      /* default 10000 */
    size_t max_message_bytes;        /* default 65536 */
    uint32_t max_connections;        /* 0: no limit */
    uint32_t max_requests_in_flight; /* per connection, default 16 */
    uint32_t max_pending_messages;   /* held before accept, default 64 */
    const void *jwt_secret;          /* copied at create */
    size_t jwt_secret_len;
} gp_server_config;

/* The defaults above, the dev-only secret, no bugs. */
void gp_server_config_defaults(gp_server_config *cfg);

/* The embedded secret used when none is configured.  For development only. */
extern const char gp_dev_jwt_secret[];

/* What /health and /metrics expose, and more. */
typedef struct gp_health {
    bool shutting_down;
    uint64_t active_connections;
    uint64_t registry_size;       /* machines in the state registry */
    bool registry_known;          /* registry_size was reported (a reader's flag) */
    uint64_t by_state[GP_STATE_COUNT];
    uint64_t stuck_in_connecting; /* now: not ready, not terminal, too long */
    double state_transition_success_rate;
    uint64_t transitions_attempted;
    uint64_t transitions_failed;
    uint64_t invalid_state_transitions_24h;
    uint64_t connection_id_mismatches;
    uint64_t connections_total;        /* opened */
    uint64_t connections_ready_total;  /* connection_ready sent */
    uint64_t stuck_detected_total;     /* reported by the stuck check */
    uint64_t auth_failures_total;      /* AUTH_FAILED + AUTH_REQUIRED */
    uint64_t auth_timeouts_total;
    uint64_t requests_total;           /* agent_execution accepted */
    uint64_t requests_completed_total; /* agent_completed sent */
    uint64_t requests_failed_total;    /* AGENT_FAILED sent */
    uint64_t events_sent_total;        /* the five agent events */
    uint64_t errors_sent_total[GP_PROTO_ERROR_COUNT];
    uint64_t messages_received_total;
    uint64_t messages_sent_total;
    gp_transition_stats transitions;
} gp_health;

typedef struct gp_server gp_server;

/* Creates a server.  `cfg` is copied; `env` must outlive the server.
 * Returns NULL and sets *err (may be NULL) on failure: GP_ERR_INVALID_ARG for
 * a config that makes no sense (zero max_message_bytes, think/tool min > max,
 * failure rate outside [0, 1]), GP_ERR_NOMEM, GP_ERR_CRYPTO. */
gp_server *gp_server_create(const gp_server_config *cfg, const gp_env *env,
                            int *err);

/* Frees the server and everything in it.  Sends and closes nothing. */
void gp_server_destroy(gp_server *srv);

/* A socket opened (upgrade done, accept not yet complete).  Assigns the
 * preliminary id, registers a machine in CONNECTING and starts the auth and
 * stuck timers.  bearer_token (may be NULL) is the token of an
 * `Authorization: Bearer` header; it is checked once accept completes.
 * Returns GP_OK and *out, or GP_ERR_FULL (max_connections reached or shutting
 * down: the driver should refuse the socket), GP_ERR_NOMEM. */
int gp_server_on_open(gp_server *srv, void *transport, const char *bearer_token,
                      gp_conn_handle *out);

/* The transport's accept completed: CONNECTING -> ACCEPTED, then header auth
 * if any, then the messages held since open, in order. */
void gp_server_on_accept_complete(gp_server *srv, gp_conn_handle h);

/* One whole message (fragments already joined) of len bytes. */
void gp_server_on_message(gp_server *srv, gp_conn_handle h, const char *data,
                          size_t len, bool binary);

/* The transport is gone (either side closed it).  The machine goes to CLOSED
 * and leaves the registry; the handle is dead afterwards. */
void gp_server_on_close(gp_server *srv, gp_conn_handle h);

/* A timer started through env->timer_start fired. */
void gp_server_on_timer(gp_server *srv, gp_conn_handle h, gp_timer_kind kind,
                        uint32_t arg);

/* Begins a graceful shutdown: refuse new connections, close idle ones with
 * 1001 now, the others when their requests finish or after the grace period. */
void gp_server_shutdown(gp_server *srv);

/* Live connections (opened, not yet reported closed). */
size_t gp_server_connection_count(const gp_server *srv);

/* The current connection id of h (the preliminary id unless a bug changed it),
 * or NULL for a dead handle. */
const char *gp_server_conn_id(const gp_server *srv, gp_conn_handle h);

/* The state of h's machine; GP_STATE_CLOSED for a dead handle. */
gp_state gp_server_conn_state(const gp_server *srv, gp_conn_handle h);

/* The state machine of h (registry-owned), or NULL. */
const gp_machine *gp_server_conn_machine(const gp_server *srv,
                                         gp_conn_handle h);

/* The registry (for tests and checks at the end of a run). */
const struct gp_registry *gp_server_registry(const gp_server *srv);

/* Cheap running totals, for drivers that attribute events to connections
 * (the simulator compares them before and after each call). */
typedef struct gp_server_tally {
    uint64_t stuck_detected;
    uint64_t transitions_attempted;
    uint64_t transitions_succeeded;
    uint64_t transitions_failed;
    uint64_t id_mismatches;
    uint64_t requests_failed;
} gp_server_tally;

void gp_server_tally_get(const gp_server *srv, gp_server_tally *out);

/* Changes the chance that a request fails from now on (a simulator's fault
 * schedule ending: faults.until_ms). */
void gp_server_set_agent_failure_rate(gp_server *srv, double rate);

/* The gauges of /health that cost nothing to read (no scan): for drivers that
 * sample them often (the simulator, every time bucket). */
typedef struct gp_server_gauges {
    uint64_t active_connections;
    uint64_t registry_size;
    uint64_t by_state[GP_STATE_COUNT];
} gp_server_gauges;

void gp_server_gauges_get(const gp_server *srv, gp_server_gauges *out);

/* Fills *out with the server's figures at env->now_ms(). */
void gp_server_health(const gp_server *srv, gp_health *out);

/* Renders /health's JSON (PROTOCOL.md) as a malloc'd NUL-terminated string
 * (caller frees), or NULL when out of memory. */
char *gp_health_to_json(const gp_health *h);

/* Renders /metrics in Prometheus text format (goldpath_* names) as a malloc'd
 * NUL-terminated string (caller frees), or NULL when out of memory. */
char *gp_health_to_prometheus(const gp_health *h);

#endif
