/* gp_vclient.h: a virtual client -- the golden path of PROTOCOL.md as a
 * script, its per-client checks, and its record.
 *
 * Transport-agnostic: the simulator and the live driver both feed it what
 * happens (socket open, a message, a close, a timer) and it answers through a
 * gp_vc_io (send, close, timers).  Everything a client will do -- its start
 * time, auth style, which faults it carries -- is drawn when it is created
 * from its own stream of the run's seed, so a client's plan does not depend
 * on the order events happen in.
 *
 * The client judges only from what it saw and from facts: what the driver
 * actually did to it and its messages (gp_vc_facts: a message the network
 * delivered twice, a reset, an agent failure the server injected).  An
 * anomaly is excused only by such a fact, never because the scenario
 * configures a rate of some fault. */
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
    GP_VC_RESET,        /* the network reset the connection (a recorded fact) */
    GP_VC_FAILED,       /* anything else: see gp_vc_failure */
    GP_VC_OUTCOME_COUNT
} gp_vc_outcome;

#define GP_VC_FAILURE_MAP(X)                                                   \
    X(NONE, "none")                                                            \
    X(READY_TIMEOUT, "no connection_ready within limits.ready_timeout_ms")     \
    X(REQUEST_TIMEOUT, "a request got no answer within limits.request_timeout_ms") \
    X(UNEXPECTED_CLOSE, "the server closed the connection unexpectedly")       \
    X(UNEXPECTED_ERROR, "the server sent an unexpected error")                \
    X(AUTH_REFUSED, "the server refused a valid token with AUTH_FAILED (do the client and server secrets differ?)") \
    X(BAD_TOKEN_ACCEPTED, "the server accepted a bad token")                   \
    X(UNPARSEABLE, "the server sent a message that does not parse")           \
    X(CONNECT_FAILED, "the connection could not be opened")                   \
    X(RUN_TIMEOUT, "the run ended before the client finished")                \
    X(NOT_TIMED_OUT, "the server kept a connection that never authenticated open past its auth timeout") \
    X(UPGRADE_REFUSED, "the server refused the WebSocket upgrade (an HTTP status instead of 101)") \
    X(BAD_INPUT_MISANSWERED, "the server answered a bad input otherwise than the protocol's table says")

typedef enum gp_vc_failure {
#define GP_VC_FAIL_ENUM(e, text) GP_VC_FAIL_##e,
    GP_VC_FAILURE_MAP(GP_VC_FAIL_ENUM)
#undef GP_VC_FAIL_ENUM
    GP_VC_FAIL_COUNT
} gp_vc_failure;

const char *gp_vc_outcome_name(gp_vc_outcome o);
const char *gp_vc_failure_text(gp_vc_failure f);
/* A short name for connections.csv ("ready_timeout", ...). */
const char *gp_vc_failure_name(gp_vc_failure f);

/* Client timers. */
typedef enum gp_vc_timer {
    GP_VC_TIMER_READY_TIMEOUT = 0,
    GP_VC_TIMER_SEND_REQUEST,     /* arg: request index */
    GP_VC_TIMER_REQUEST_TIMEOUT,  /* arg: request index */
    GP_VC_TIMER_STUCK,            /* stuck threshold after open */
    GP_VC_TIMER_AUTH_DEADLINE,    /* no_auth: the close 4408 is overdue */
    GP_VC_TIMER_KEEPALIVE,        /* the profile's ping is due */
} gp_vc_timer;

/* The messages a client sends, as the driver's facts name them. */
enum {
    GP_VC_TAG_AUTH = 0,
    GP_VC_TAG_EARLY,                 /* the early agent_execution */
    GP_VC_TAG_PING,                  /* a profile's keepalive */
    GP_VC_TAG_PROBE,                 /* a faults.bad_input message */
    GP_VC_TAG_REQUEST,               /* + k: request k (0-based) */
    GP_VC_TAG_COUNT = GP_VC_TAG_REQUEST + GP_REQUESTS_PER_CLIENT_MAX
};

/* Delivery flags of gp_vclient_on_message. */
enum {
    GP_VC_DELIVERY_DUPLICATE = 1u << 0, /* a second copy the network delivered */
};

/* What the driver did to this client and its messages: the facts that may
 * explain an anomaly.  Drivers record them (gp_drive_fact); the checks read
 * them. */
typedef struct gp_vc_facts {
    uint8_t dup_to_server[GP_VC_TAG_COUNT]; /* copies of each message delivered twice */
    uint16_t dup_to_client;    /* second copies delivered to the client */
    uint16_t drops;            /* transmissions lost and sent again */
    uint16_t reordered;        /* messages that overtook another */
    uint8_t reset;             /* the network reset the connection: 1 + gp_vc phase */
    bool accept_raced;         /* its first message reached the server before accept */
    bool slow_accept;          /* its accept completed late on purpose */
    bool refused_full;         /* the server refused the socket (connection limit) */
    uint32_t agent_failed;     /* bit k: the server injected a failure into request k */
    bool agent_failed_early;   /* the same for the early request */
} gp_vc_facts;

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
    bool no_auth;         /* never authenticates: expects close 4408 */
    bool after_auth;      /* bad token by message, a request pipelined behind it */
    int8_t bad_input;     /* gp_bad_input: a message of the protocol's bad-input table, or -1 */
    int8_t edge_token;    /* gp_edge_token: a good token at the edge of a rule, or -1 */
} gp_vc_plan;

/* One request's progress.  t_sent is run ms (0: not sent). */
typedef struct gp_vc_req {
    uint32_t t_sent;
    uint32_t t_end;   /* run ms of its answer (its terminal event or error), 0: none */
    uint8_t next;     /* the next event expected, 0..GP_AGENT_STEPS */
    uint8_t end;      /* GP_VC_REQ_* */
    uint8_t dup_used; /* duplicates of it (dup_to_server) accounted for */
    uint8_t echo;     /* next event of a duplicate's run, 0: none under way */
    int8_t last;      /* the last event received (a repeatable one may come again), -1 */
    bool counted;     /* a repeated event's counter seen (profiles) */
    int64_t counter;  /* its last value */
    uint32_t tool;    /* hash of the tool tool_executing named (0: none yet) */
    uint32_t rid;     /* a request sent without request_id: hash of the id the
                         server gave it (0: none seen yet) */
} gp_vc_req;

/* The shape of a request (clients.varied_requests), drawn from the seed for
 * each (client, request) apart from the client's own draws. */
typedef enum gp_vc_shape {
    GP_VC_SHAPE_PLAIN = 0,   /* request_id, agent_type "supervisor", a short message */
    GP_VC_SHAPE_AGENT,       /* another agent_type */
    GP_VC_SHAPE_NO_AGENT,    /* no agent_type: the server's default, "supervisor" */
    GP_VC_SHAPE_NO_ID,       /* no request_id: the server gives one */
    GP_VC_SHAPE_LONG,        /* a message of 1 to 4 KiB */
    GP_VC_SHAPE_COUNT
} gp_vc_shape;

enum { GP_VC_REQ_OPEN = 0, GP_VC_REQ_COMPLETED, GP_VC_REQ_FAILED, GP_VC_REQ_REFUSED };

/* Times are virtual (or real, live) ms after the run started; 0 = never. */
typedef struct gp_vclient {
    uint32_t index;       /* its place in the run */
    uint32_t seed_index;  /* whose draws it makes: its index in the whole
                             scenario (a subset run keeps each client's own) */
    uint8_t phase;        /* internal script position */
    uint8_t outcome;      /* gp_vc_outcome */
    uint8_t failure;      /* gp_vc_failure */
    uint8_t requests_sent, requests_done, requests_failed;
    uint8_t early_answers;     /* NOT_READY answers to the early request */
    uint8_t auth_failed_seen;  /* AUTH_FAILED errors received */
    uint8_t probe_sent;        /* the planned bad input went out */
    uint8_t probe_answers;     /* answers to it (its error, pong, or its request's end) */
    uint8_t pipe_next;         /* the pipelined request's next event */
    uint8_t dup_auth_used;     /* ALREADY_AUTHENTICATED explained by duplicated auths */
    uint16_t duplicates_seen;  /* network duplicates received and set aside */
    int16_t close_code;
    uint32_t violations;  /* bit per gp_check found by this client */
    uint32_t failed_unexplained; /* bit k: AGENT_FAILED for request k without a fact (yet) */
    gp_vc_plan plan;
    gp_vc_facts facts;
    gp_rng rng;
    uint64_t t_start, t_open, t_ready, t_first_event, t_request0, t_done;
    gp_vc_req req[GP_REQUESTS_PER_CLIENT_MAX];
    char opened_id[GP_ID_LEN_MAX + 1]; /* the id the socket opened with, "" when unknown */
    char ready_id[GP_ID_LEN_MAX + 1];  /* connection_ready's id */
} gp_vclient;

typedef struct gp_vc_shared gp_vc_shared;

typedef struct gp_vc_io {
    void *ctx;
    uint64_t (*now_ms)(void *ctx); /* ms since the run started */
    /* tag: GP_VC_TAG_*, which message this is (for the driver's facts) */
    void (*send)(void *ctx, gp_vclient *c, const char *data, size_t len, unsigned tag);
    void (*close)(void *ctx, gp_vclient *c, int code);
    /* A binary frame (faults.bad_input.binary_frame); NULL: the driver has
     * none, and the fault is not drawn. */
    void (*send_binary)(void *ctx, gp_vclient *c, const char *data, size_t len);
    void (*timer)(void *ctx, gp_vclient *c, uint64_t delay_ms, gp_vc_timer kind,
                  uint32_t arg);
    /* A request latency was measured (may be NULL): kind is a
     * gp_latency_expect_kind, ms the latency. */
    void (*latency)(void *ctx, int kind, uint64_t ms);
} gp_vc_io;

struct gp_vc_shared {
    const gp_scenario *sc;
    /* Live mode against a server described by a protocol profile: messages
     * are made and read as it says (NULL: goldpath.v1, the codec's). */
    const struct gp_profile *profile;
    const struct gp_profile_keys *keys;
    const gp_jwt_key *key;       /* the server's secret */
    const gp_jwt_key *wrong_key; /* for bad-signature tokens */
    int64_t epoch_s;             /* Unix seconds at run time 0 (token times) */
    gp_vc_io io;
    /* Reused encoding trees for goldpath.v1's messages (the driver makes and
     * frees it; NULL: each message encoded from scratch, the same bytes). */
    struct gp_msg_encoder *enc;
};

/* Fills c for client `index` of the run, who is client `seed_index` of the
 * whole scenario: its own stream gp_rng_derive(seed, seed_index), its plan,
 * its user and messages -- the same whichever other clients run. */
void gp_vclient_init(gp_vclient *c, const gp_scenario *sc, uint32_t index, uint32_t seed_index);

/* Room for any user id a client has, with its NUL: 129 characters (a
 * faults.bad_token.sub_too_long). */
#define GP_VC_USER_MAX 136
/* The longest sub PROTOCOL.md allows: "1 to 128 characters" */
#define GP_VC_SUB_MAX 128

/* The user id of c into out: "user_<n>"; padded to exactly 128 characters
 * for faults.edge_token.longest_sub, to 129 for faults.bad_token.sub_too_long
 * (out_len >= GP_VC_USER_MAX). */
void gp_vclient_user(const gp_vclient *c, const gp_scenario *sc, char *out,
                     size_t out_len);

/* The shape clients.varied_requests gives request k of c (k >= 0). */
gp_vc_shape gp_vclient_request_shape(const gp_vc_shared *sh, const gp_vclient *c, int k);

/* The message of c's request k ("early" for the early one) into out. */
void gp_vclient_request_message(const gp_vclient *c, int k, char *out, size_t out_len);

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

/* A text message from the server; flags: GP_VC_DELIVERY_*.  Returns the
 * message's type (gp_msg_type, GP_MSG_NONE when it did not parse or was set
 * aside) so that drivers can count what arrived without parsing again. */
int gp_vclient_on_message(const gp_vc_shared *sh, gp_vclient *c,
                          const char *data, size_t len, unsigned flags);

/* The connection closed with `code` (1006: reset / no close frame). */
void gp_vclient_on_close(const gp_vc_shared *sh, gp_vclient *c, int code);

/* The upgrade was answered with HTTP `status` instead of 101 (a server that
 * refuses a token at the upgrade, as a profile may say). */
void gp_vclient_on_refused(const gp_vc_shared *sh, gp_vclient *c, int status);

/* A timer the client started fired. */
void gp_vclient_on_timer(const gp_vc_shared *sh, gp_vclient *c,
                         gp_vc_timer kind, uint32_t arg);

/* The run is over: a client still pending fails with RUN_TIMEOUT, and the
 * checks that need the whole story (missing events, unanswered faults, facts
 * learnt after the run such as the opened id from the server's log) are
 * settled. */
void gp_vclient_finish(const gp_vc_shared *sh, gp_vclient *c);

/* True when this client is expected to complete the golden path: no bad
 * token, no planned disconnect, no silent client, and no reset by the
 * driver's network on record (settled once the run is over). */
bool gp_vclient_expects_completion(const gp_vclient *c);

/* The phase a client was in, for reports ("connecting", "authenticating",
 * "ready", "processing", "over"). */
const char *gp_vclient_phase_name(const gp_vclient *c);

#endif
