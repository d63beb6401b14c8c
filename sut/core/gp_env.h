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

#include <stddef.h>
#include <stdint.h>

typedef enum gp_log_level {
    GP_LOG_DEBUG = 0,
    GP_LOG_INFO = 1,
    GP_LOG_WARNING = 2,
    GP_LOG_ERROR = 3,
} gp_log_level;

/* Names of the log levels as the incident's logs spell them ("WARNING"). */
const char *gp_log_level_name(gp_log_level level);

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
} gp_env;

#endif
