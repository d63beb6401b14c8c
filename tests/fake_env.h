/* fake_env.h: a gp_env for tests -- a hand-driven clock, a seeded generator,
 * and records of everything the core sent, closed, logged and scheduled.
 *
 * fake_env_advance() moves the clock forward and fires due timers into a
 * server in (time, sequence) order, as the simulator does. */
#ifndef FAKE_ENV_H
#define FAKE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_env.h"
#include "gp_rng.h"
#include "gp_server.h"

#define FAKE_MAX_RECORDS 4096

typedef struct fake_sent {
    void *transport;
    char *data; /* NUL-terminated copy */
    size_t len;
} fake_sent;

typedef struct fake_closed {
    void *transport;
    int code;
} fake_closed;

typedef struct fake_log {
    gp_log_level level;
    char *line;
} fake_log;

typedef struct fake_timer {
    uint64_t due_ms, seq;
    gp_conn_handle conn;
    gp_timer_kind kind;
    uint32_t arg;
    bool fired;
} fake_timer;

typedef struct fake_env {
    gp_env env;
    uint64_t now_ms;
    gp_rng rng;
    uint64_t random_calls;
    fake_sent sent[FAKE_MAX_RECORDS];
    size_t sent_len;
    fake_closed closed[FAKE_MAX_RECORDS];
    size_t closed_len;
    fake_log logs[FAKE_MAX_RECORDS];
    size_t logs_len;
    fake_timer timers[FAKE_MAX_RECORDS];
    size_t timers_len;
    uint64_t timer_seq;
} fake_env;

/* A heap-allocated fake (it is large), clock at start_ms, rng seeded. */
fake_env *fake_env_new(uint64_t start_ms, uint64_t seed);
void fake_env_free(fake_env *fe);

/* Forgets recorded sends, closes and logs (timers stay). */
void fake_env_clear_records(fake_env *fe);

/* Advances the clock by ms, firing every due timer into srv in order; timers
 * started by those firings fire too when due within the window. */
void fake_env_advance(fake_env *fe, gp_server *srv, uint64_t ms);

/* Count of log lines containing `needle` (at `level`, or any level when
 * level < 0). */
size_t fake_env_count_logs(const fake_env *fe, int level, const char *needle);

/* The i-th message sent to transport (0-based), or NULL. */
const char *fake_env_sent_to(const fake_env *fe, void *transport, size_t i);

/* Messages sent to transport. */
size_t fake_env_sent_count(const fake_env *fe, void *transport);

/* The close code given to transport, or 0 when it was not closed. */
int fake_env_close_code(const fake_env *fe, void *transport);

#endif
