/* gp_lifecycle.h: the connection-lifecycle state machine.
 *
 * CONNECTING -> ACCEPTED -> AUTHENTICATED -> SERVICES_READY -> PROCESSING_READY,
 * and the terminal side: any live state -> CLOSING or FAILED, CLOSING -> CLOSED,
 * FAILED -> CLOSED.  Nothing else.  An illegal step is refused (the machine is
 * untouched), counted, and logged with the incident's wording:
 *   Invalid state transition for <id>: ApplicationConnectionState.CONNECTING -> ApplicationConnectionState.SERVICES_READY
 * Every attempted step is counted overall and per (from, to) pair in a
 * gp_transition_stats that the caller owns (one per server). */
#ifndef GP_LIFECYCLE_H
#define GP_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "gp_env.h"

#define GP_STATE_MAP(X)                                                        \
    X(CONNECTING)                                                              \
    X(ACCEPTED)                                                                \
    X(AUTHENTICATED)                                                           \
    X(SERVICES_READY)                                                          \
    X(PROCESSING_READY)                                                        \
    X(CLOSING)                                                                 \
    X(CLOSED)                                                                  \
    X(FAILED)

typedef enum gp_state {
#define GP_STATE_ENUM(name) GP_STATE_##name,
    GP_STATE_MAP(GP_STATE_ENUM)
#undef GP_STATE_ENUM
    GP_STATE_COUNT
} gp_state;

/* Longest connection id the core handles, without the NUL. */
#define GP_ID_LEN_MAX 63
/* Longest user id (a JWT `sub`), without the NUL. */
#define GP_USER_LEN_MAX 128
/* History entries a machine keeps; later steps are counted, not stored. */
#define GP_HISTORY_MAX 12

/* "CONNECTING", ...; "UNKNOWN" outside the enum.  Never NULL. */
const char *gp_state_name(gp_state s);
/* Parses a state name; returns GP_STATE_COUNT when `name` is none. */
gp_state gp_state_parse(const char *name);
/* True for CLOSING, CLOSED, FAILED. */
bool gp_state_is_terminal(gp_state s);
/* True when from -> to is a legal step (the transition table above). */
bool gp_transition_is_legal(gp_state from, gp_state to);

typedef struct gp_history_entry {
    gp_state state;
    uint64_t at_ms;
} gp_history_entry;

typedef struct gp_machine {
    char id[GP_ID_LEN_MAX + 1];
    char user_id[GP_USER_LEN_MAX + 1]; /* "" until authenticated */
    gp_state state;
    uint64_t created_ms;
    uint64_t entered_ms;  /* when the current state was entered */
    uint32_t history_len; /* entries stored in history[] */
    uint32_t history_dropped; /* steps beyond GP_HISTORY_MAX */
    gp_history_entry history[GP_HISTORY_MAX];
    bool stuck_reported; /* the stuck check has already reported this machine */
    void *owner; /* the connection's transport, for observers (gp_env.observe) */
} gp_machine;

typedef struct gp_transition_stats {
    uint64_t attempted;
    uint64_t succeeded;
    uint64_t failed; /* illegal steps refused */
    uint64_t pair_attempted[GP_STATE_COUNT][GP_STATE_COUNT];
    uint64_t pair_failed[GP_STATE_COUNT][GP_STATE_COUNT];
} gp_transition_stats;

/* Initialises `m` in CONNECTING with the given id (copied; truncation to
 * GP_ID_LEN_MAX is an error) and user (may be NULL or "").  The first history
 * entry is (CONNECTING, now_ms).  Returns GP_OK or GP_ERR_INVALID_ARG /
 * GP_ERR_TOO_LONG, leaving `m` zeroed on failure. */
int gp_machine_init(gp_machine *m, const char *id, const char *user_id,
                    uint64_t now_ms);

/* Attempts m -> to at now_ms.  Counts the attempt in `stats` (may be NULL).
 * Legal: applies it, appends history, logs
 *   State transition for <id>: ApplicationConnectionState.A -> ApplicationConnectionState.B
 * at INFO, returns GP_OK.  Illegal: leaves `m` as it was, counts a failure,
 * logs the incident's "Invalid state transition" line at WARNING, returns
 * GP_ERR_ILLEGAL_TRANSITION.  Either way the attempt is reported to env's
 * observer (GP_OBS_STEP, with m->owner).  env may be NULL. */
int gp_machine_transition(gp_machine *m, gp_state to, uint64_t now_ms,
                          gp_transition_stats *stats, const gp_env *env);

/* Success rate succeeded / attempted; 1.0 when nothing was attempted. */
double gp_transition_success_rate(const gp_transition_stats *stats);

/* Adds every counter of `src` into `dst`. */
void gp_transition_stats_add(gp_transition_stats *dst,
                             const gp_transition_stats *src);

#endif
