/* gp_vclient.h: a virtual client -- the golden path of PROTOCOL.md as a
 * script, its per-client checks, and its record.
 *
 * Transport-agnostic: the simulator and the live driver both feed it what
 * happens (socket open, a message, a close, a timer) and it answers through a
 * gp_vc_io (send, close, timers).  Everything a client will do -- its start
 * time, auth style, which faults it carries -- is drawn when it is created
 * from its own stream of the run's seed, so a client's plan does not depend
 * on the order events happen in. */
#ifndef GP_VCLIENT_H
#define GP_VCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_checks_list.h"
#include "gp_jwt.h"
#include "gp_rng.h"
#include "gp_scenario.h"

typedef enum gp_check {
#define GP_CHECK_ENUM(e, name, what) GP_CHECK_##e,
    GP_CHECK_MAP(GP_CHECK_ENUM)
#undef GP_CHECK_ENUM
    GP_CHECK_COUNT
} gp_check;

const char *gp_check_name(gp_check c);
const char *gp_check_summary(gp_check c);
/* GP_CHECK_COUNT when unknown. */
gp_check gp_check_parse(const char *name);

typedef enum gp_vc_outcome {
    GP_VC_PENDING = 0,
    GP_VC_COMPLETED,    /* every request answered, closed normally */
    GP_VC_REFUSED,      /* bad token refused (expected) */
    GP_VC_DISCONNECTED, /* planned disconnect carried out (expected) */
    GP_VC_RESET,        /* the simulated network reset the connection (expected under drops) */
    GP_VC_FAILED,       /* anything else: see gp_vc_failure */
} gp_vc_outcome;

#define GP_VC_FAILURE_MAP(X)                                                   \
    X(NONE, "none")                                                            \
    X(READY_TIMEOUT, "no connection_ready within limits.ready_timeout_ms")     \
    X(REQUEST_TIMEOUT, "a request got no answer within limits.request_timeout_ms") \
    X(UNEXPECTED_CLOSE, "the server closed the connection unexpectedly")       \
    X(UNEXPECTED_ERROR, "the server sent an unexpected error")                \
    X(BAD_TOKEN_ACCEPTED, "the server accepted a bad token")                   \
    X(UNPARSEABLE, "the server sent a message that does not parse")           \
    X(CONNECT_FAILED, "the connection could not be opened")                   \
    X(RUN_TIMEOUT, "the run ended before the client finished")

typedef enum gp_vc_failure {
#define GP_VC_FAIL_ENUM(e, text) GP_VC_FAIL_##e,
    GP_VC_FAILURE_MAP(GP_VC_FAIL_ENUM)
#undef GP_VC_FAIL_ENUM
    GP_VC_FAIL_COUNT
} gp_vc_failure;

const char *gp_vc_outcome_name(gp_vc_outcome o);
const char *gp_vc_failure_text(gp_vc_failure f);

/* Client timers. */
typedef enum gp_vc_timer {
    GP_VC_TIMER_READY_TIMEOUT = 0,
    GP_VC_TIMER_SEND_REQUEST,     /* arg: request index */
    GP_VC_TIMER_REQUEST_TIMEOUT,  /* arg: request index */
} gp_vc_timer;

/* What a client will do, drawn at creation. */
typedef struct gp_vc_plan {
    uint64_t start_ms;    /* virtual ms after the run starts */
    bool header_auth;     /* Authorization header instead of an auth message */
    int8_t bad_token;     /* gp_bad_token, or -1 */
    int8_t disconnect;    /* gp_phase, or -1 */
    bool early_message;   /* agent_execution before connection_ready */
    bool accept_race;     /* first message reaches the server before accept completes */
    bool slow_accept;     /* accept completes slow_accept_ms late */
    uint32_t accept_delay_ms;
} gp_vc_plan;

/* Times are virtual (or real, live) ms after the run started; 0 = never. */
typedef struct gp_vclient {
    uint32_t index;
    uint8_t phase;        /* internal script position */
    uint8_t outcome;      /* gp_vc_outcome */
    uint8_t failure;      /* gp_vc_failure */
    uint8_t requests_sent, requests_done, requests_failed;
    uint8_t next_step[GP_REQUESTS_PER_CLIENT_MAX];
    uint16_t duplicates_seen;
    int16_t close_code;
    uint32_t violations;  /* bit per gp_check found by this client */
    gp_vc_plan plan;
    gp_rng rng;
    uint64_t t_start, t_open, t_ready, t_first_event, t_request0, t_done;
    char opened_id[GP_ID_LEN_MAX + 1]; /* the id the socket opened with, "" when unknown */
    char ready_id[GP_ID_LEN_MAX + 1];  /* connection_ready's id */
} gp_vclient;

typedef struct gp_vc_shared gp_vc_shared;

typedef struct gp_vc_io {
    void *ctx;
    uint64_t (*now_ms)(void *ctx); /* ms since the run started */
    void (*send)(void *ctx, gp_vclient *c, const char *data, size_t len);
    void (*close)(void *ctx, gp_vclient *c, int code);
    void (*timer)(void *ctx, gp_vclient *c, uint64_t delay_ms, gp_vc_timer kind,
                  uint32_t arg);
} gp_vc_io;

struct gp_vc_shared {
    const gp_scenario *sc;
    const gp_jwt_key *key;       /* the server's secret */
    const gp_jwt_key *wrong_key; /* for bad-signature tokens */
    int64_t epoch_s;             /* Unix seconds at run time 0 (token times) */
    gp_vc_io io;
};

/* Fills c for client `index` of the scenario: its own stream
 * gp_rng_derive(seed, index) and its plan. */
void gp_vclient_init(gp_vclient *c, const gp_scenario *sc, uint32_t index);

/* The user id of c ("user_<n>") into out. */
void gp_vclient_user(const gp_vclient *c, const gp_scenario *sc, char *out,
                     size_t out_len);

/* The token c presents (valid or its planned bad kind) into out; returns
 * GP_OK or a gp_err. */
int gp_vclient_token(const gp_vc_shared *sh, const gp_vclient *c, char *out,
                     size_t out_len);

/* The client starts connecting (the driver opens the socket).  Starts the
 * ready timeout; a connecting-phase disconnect closes at once. */
void gp_vclient_start(const gp_vc_shared *sh, gp_vclient *c);

/* The socket is open.  opened_id is the server's preliminary id when the
 * driver knows it (the simulator does), else NULL. */
void gp_vclient_on_open(const gp_vc_shared *sh, gp_vclient *c,
                        const char *opened_id);

/* A text message from the server. */
void gp_vclient_on_message(const gp_vc_shared *sh, gp_vclient *c,
                           const char *data, size_t len);

/* The connection closed with `code` (1006: reset / no close frame). */
void gp_vclient_on_close(const gp_vc_shared *sh, gp_vclient *c, int code);

/* A timer the client started fired. */
void gp_vclient_on_timer(const gp_vc_shared *sh, gp_vclient *c,
                         gp_vc_timer kind, uint32_t arg);

/* The run is over: a client still pending fails with RUN_TIMEOUT, and the
 * missing-events violation is settled. */
void gp_vclient_finish(const gp_vc_shared *sh, gp_vclient *c);

/* True when the plan expects this client to complete the golden path (no bad
 * token, no planned disconnect). */
bool gp_vclient_expects_completion(const gp_vclient *c);

#endif
