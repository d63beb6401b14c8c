/* gp_env.h: everything the sans-I/O core needs from the outside world.
 *
 * The core never touches a socket, a clock, a random source or stdout.  A
 * driver (goldpath-server on libwebsockets, the deterministic simulator, a
 * test's fake) fills this struct of function pointers and the core calls
 * through it.  That is what lets the same core run on real sockets and inside
 * a simulator where time is virtual and every random choice comes from one
 * seed. */
#ifndef GP_ENV_H
#define GP_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_mem.h"

typedef enum gp_log_level {
    GP_LOG_DEBUG = 0,
    GP_LOG_INFO = 1,
    GP_LOG_WARNING = 2,
    GP_LOG_ERROR = 3,
} gp_log_level;

/* Names of the log levels as the incident's logs spell them ("WARNING"). */
const char *gp_log_level_name(gp_log_level level);

/* What an observer installed in the environment is told (gp_env.observe).
 * Observations are facts about what the core did, reported as it does them,
 * so that a harness can judge the lifecycle with its own rules instead of
 * trusting the core's counters. */
typedef enum gp_obs_kind {
    GP_OBS_STEP = 0,     /* a lifecycle step was attempted on a machine */
    GP_OBS_REGISTERED,   /* a machine was registered (state CONNECTING) */
    GP_OBS_UNREGISTERED, /* a machine left the registry (state: `from`) */
    GP_OBS_AGENT_FAILURE, /* the server chose to fail request `request_id`
                             (its configured agent_failure_rate) */
} gp_obs_kind;

typedef struct gp_observation {
    gp_obs_kind kind;
    void *transport;   /* the connection the machine belongs to, or NULL */
    const char *id;    /* the machine's connection id */
    int from, to;      /* gp_state values: the step attempted (STEP) */
    int after;         /* the machine's state after the call */
    bool applied;      /* STEP: the core reports it applied the step */
    const char *request_id; /* AGENT_FAILURE: the request */
    uint64_t at_ms;    /* env->now_ms() when it happened */
} gp_observation;

/* What a timer is for; the core interprets (kind, arg) when it fires. */
typedef enum gp_timer_kind {
    GP_TIMER_ACCEPT = 0,   /* reserved for drivers that model a slow accept */
    GP_TIMER_AUTH_TIMEOUT, /* no authentication within auth_timeout_ms */
    GP_TIMER_STUCK_CHECK,  /* is the connection ready after stuck_after_ms? */
    GP_TIMER_AGENT_STEP,   /* arg = request slot: emit the request's next event */
    GP_TIMER_SHUTDOWN,     /* grace period of a shutdown is over */
    GP_TIMER_KIND_COUNT
} gp_timer_kind;

typedef struct gp_env {
    void *ctx; /* passed back to every call */

    /* Milliseconds since the Unix epoch.  Real time in the server, virtual
     * time in the simulator.  Must never go backwards. */
    uint64_t (*now_ms)(void *ctx);

    /* 64 random bits from the driver's seeded generator. */
    uint64_t (*random_u64)(void *ctx);

    /* Arrange for gp_server_on_timer(server, conn, kind, arg) to be called
     * delay_ms from now.  Timers are never cancelled: when one fires for a
     * connection that has gone, the core ignores it (conn handles carry a
     * generation).  conn is 0 for timers that belong to no connection. */
    void (*timer_start)(void *ctx, uint64_t delay_ms, uint64_t conn,
                        gp_timer_kind kind, uint32_t arg);

    /* Queue one text message (UTF-8 JSON, len bytes, not NUL-terminated
     * necessarily) for the transport.  The driver copies what it keeps. */
    void (*send)(void *ctx, void *transport, const char *data, size_t len);

    /* Close the transport with a WebSocket close code and reason.  The driver
     * later reports the close through gp_server_on_close(). */
    void (*close)(void *ctx, void *transport, int code, const char *reason);

    /* One formatted log line (no trailing newline). */
    void (*log)(void *ctx, gp_log_level level, const char *line);

    /* Lines below this level are not even formatted (they cost nothing). */
    gp_log_level log_level_min;

    /* Optional (may be NULL): told of every lifecycle step and of every
     * machine registered or unregistered, as it happens. */
    void (*observe)(void *ctx, const gp_observation *o);

    /* Optional (may be NULL: the C library's): what the core allocates with.
     * Must outlive everything created with this env. */
    const gp_allocator *alloc;

    /* Optional (may be NULL: each message is encoded from scratch, the same
     * bytes): the encoder whose reused trees the core encodes its messages
     * with (gp_msg_encode_with).  Made and freed by the driver, used from
     * the core's one thread. */
    struct gp_msg_encoder *enc;
} gp_env;

/* Formats a line and hands it to env->log when level >= env->log_level_min.
 * Control bytes (below 0x20, and 0x7f) and backslashes of the formatted
 * line are escaped (\n, \r, \t, \\, \xNN), so that no text a client
 * sent can start a line of its own in a log.  Lines longer than 511 bytes
 * are cut.  env may be NULL (nothing happens). */
void gp_env_log(const gp_env *env, gp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Escapes `in` as gp_env_log does into out (always NUL-terminated, cut to
 * fit).  Returns the length written. */
size_t gp_log_escape(const char *in, char *out, size_t out_len);

/* Reports an observation when env has an observer. */
void gp_env_observe(const gp_env *env, const gp_observation *o);

#endif
