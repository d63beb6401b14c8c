/* gp_scenario.h: scenario files -- what a run does, as data.
 *
 * A scenario is a JSON object (docs/scenarios.md documents every field).  It
 * is parsed with jansson and validated strictly: unknown fields are errors,
 * and every error names the file, the field (a dotted path such as
 * faults.disconnect.ready) and what was expected.  Fields left out take the
 * defaults of gp_scenario_defaults().  Command-line overrides (--seed,
 * --clients, --set path=value) go through gp_scenario_set() with the same
 * paths and the same validation. */
#ifndef GP_SCENARIO_H
#define GP_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_bugs.h"

#define GP_SCENARIO_NAME_MAX 128
#define GP_SCENARIO_DESC_MAX 1024
#define GP_SCENARIO_ERR_MAX 4096      /* every error of a file, one line each */
#define GP_SCENARIO_ERR_LINE_MAX 1024 /* one error */
#define GP_REQUESTS_PER_CLIENT_MAX 16
#define GP_ONLY_MAX 64 /* clients.only: a shrunk scenario's clients */
#define GP_CLIENTS_MAX 2000000u /* measured: 1,000,000 simulated clients in 45 s, 600 MB */
#define GP_EXPECT_VIOLATIONS_MAX 24
#define GP_CHECK_NAME_MAX 48
#define GP_EXPECT_SIGNATURES_MAX 16
#define GP_SIGNATURE_NAME_MAX 64

typedef enum gp_arrival {
    GP_ARRIVAL_ALL_AT_ONCE = 0, /* every client starts at t = 0 */
    GP_ARRIVAL_UNIFORM,         /* start times uniform over window_ms */
    GP_ARRIVAL_RAMP,            /* rate rising linearly from 0 over window_ms */
} gp_arrival;

typedef enum gp_latency_dist {
    GP_LATENCY_FIXED = 0, /* always min_ms */
    GP_LATENCY_UNIFORM,   /* uniform in [min_ms, max_ms] */
    GP_LATENCY_EXPONENTIAL, /* min_ms + exponential(mean_ms - min_ms), capped at max_ms */
} gp_latency_dist;

typedef struct gp_range_ms {
    uint32_t min_ms, max_ms;
} gp_range_ms;

/* Client disconnect phases, in the order a connection lives them. */
typedef enum gp_phase {
    GP_PHASE_CONNECTING = 0, /* socket opened, before the client saw it open */
    GP_PHASE_AUTHENTICATING, /* open, before connection_ready */
    GP_PHASE_READY,          /* after connection_ready, before the first request */
    GP_PHASE_PROCESSING,     /* after the first agent event, before the request completes */
    GP_PHASE_COUNT
} gp_phase;

/* The bad-input table of PROTOCOL.md as client faults (faults.bad_input.*):
 * each sends one message the protocol names an answer for, and expects that
 * answer exactly. */
typedef enum gp_bad_input {
    GP_BAD_INPUT_NOT_JSON = 0,   /* after ready: not JSON -> BAD_MESSAGE, stays open */
    GP_BAD_INPUT_UNKNOWN_TYPE,   /* after ready: an unknown type -> BAD_MESSAGE */
    GP_BAD_INPUT_WRONG_FIELD,    /* after ready: data.message a number -> BAD_MESSAGE */
    GP_BAD_INPUT_EARLY_GARBAGE,  /* before auth: not JSON -> BAD_MESSAGE, stays open */
    GP_BAD_INPUT_EARLY_PING,     /* before auth: ping -> AUTH_REQUIRED, then close 4401 */
    GP_BAD_INPUT_PING,           /* after ready: ping -> one pong */
    GP_BAD_INPUT_SECOND_AUTH,    /* after ready: auth again -> ALREADY_AUTHENTICATED */
    GP_BAD_INPUT_SECOND_BAD_AUTH,/* after ready: auth with a bad token -> ALREADY_AUTHENTICATED */
    GP_BAD_INPUT_BINARY,         /* after ready: a binary frame -> close 1003 */
    GP_BAD_INPUT_OVERSIZE,       /* after ready: one byte over the size limit -> close 1009 */
    GP_BAD_INPUT_AT_LIMIT,       /* the first request exactly at the size limit: served */
    GP_BAD_INPUT_PIPELINED,      /* a request right behind the auth: NOT_READY or a run, not silence */
    GP_BAD_INPUT_COUNT
} gp_bad_input;

/* When a client sends its next request (clients.request_mode). */
typedef enum gp_request_mode {
    GP_REQUEST_PIPELINED = 0, /* a gap after the previous request was sent: they overlap */
    GP_REQUEST_SEQUENTIAL,    /* a gap after the previous request was answered */
    GP_REQUEST_MODE_COUNT
} gp_request_mode;

/* Bad tokens a client may present. */
/* Each breaks one refusal rule of PROTOCOL.md; every one must be answered
 * AUTH_FAILED, then close 4401. */
typedef enum gp_bad_token {
    GP_BAD_TOKEN_SIGNATURE = 0, /* signed with another secret */
    GP_BAD_TOKEN_EXPIRED,       /* exp in the past */
    GP_BAD_TOKEN_ALG_NONE,      /* alg "none", no signature */
    GP_BAD_TOKEN_NO_SIGNATURE,  /* HS256 header, the signature left empty */
    GP_BAD_TOKEN_TRUNCATED,     /* the right signature, cut short */
    GP_BAD_TOKEN_ALG_OTHER,     /* alg HS512 (signed as HS256) */
    GP_BAD_TOKEN_BAD_SUB,       /* a sub with characters the protocol forbids */
    GP_BAD_TOKEN_NOT_YET_VALID, /* nbf an hour ahead */
    GP_BAD_TOKEN_MALFORMED,     /* not three base64url parts */
    GP_BAD_TOKEN_EXPIRES_NOW,   /* exp the current second: expired "on" exp (RFC 7519) */
    GP_BAD_TOKEN_SUB_TOO_LONG,  /* a sub of 129 characters, one over the limit */
    GP_BAD_TOKEN_COUNT
} gp_bad_token;

/* Good tokens at the edge of a rule (faults.edge_token.*): each must be
 * accepted like any other, and the client complete. */
typedef enum gp_edge_token {
    GP_EDGE_TOKEN_NBF_NOW = 0,  /* nbf the current second: valid from now on */
    GP_EDGE_TOKEN_LONGEST_SUB,  /* a sub of exactly 128 characters */
    GP_EDGE_TOKEN_COUNT
} gp_edge_token;

/* Whether the server under test offers a kind of evidence (expect.server_*). */
typedef enum gp_evidence {
    GP_EVIDENCE_REQUIRED = 0, /* it must: a check that cannot read it fails */
    GP_EVIDENCE_NONE,         /* it does not: the checks that need it are not judged */
    GP_EVIDENCE_COUNT
} gp_evidence;

/* The latencies expect.latency puts thresholds on. */
typedef enum gp_latency_expect_kind {
    GP_LATX_READY = 0,    /* start -> connection_ready */
    GP_LATX_FIRST_EVENT,  /* request sent -> its first event */
    GP_LATX_COMPLETED,    /* request sent -> its answer */
    GP_LATX_COUNT
} gp_latency_expect_kind;

/* Thresholds in ms (virtual in simulation, real live); 0: none. */
typedef struct gp_latency_expect {
    uint32_t p50_ms, p90_ms, p99_ms, max_ms;
} gp_latency_expect;

/* expect.log_signatures.<name>: how often a log signature may appear in the
 * run.  -1: no bound.  per_client < 0: no per-client figure; otherwise the
 * count must be exactly per_client x clients. */
typedef struct gp_signature_expect {
    char name[GP_SIGNATURE_NAME_MAX];
    int64_t min, max;
    double per_client;
} gp_signature_expect;

/* Names used in files and reports: "connecting", ...; "bad_signature", ... */
const char *gp_phase_name(gp_phase p);
const char *gp_bad_input_name(gp_bad_input k);
const char *gp_bad_token_name(gp_bad_token t);
const char *gp_edge_token_name(gp_edge_token t);
const char *gp_arrival_name(gp_arrival a);
const char *gp_latency_dist_name(gp_latency_dist d);
const char *gp_evidence_name(gp_evidence e);
const char *gp_latency_expect_name(gp_latency_expect_kind k); /* "ready_ms", ... */

typedef struct gp_scenario {
    char name[GP_SCENARIO_NAME_MAX];
    char description[GP_SCENARIO_DESC_MAX];
    char path[1024]; /* file it came from ("" when built in code) */
    uint64_t seed;

    struct {
        uint32_t count;          /* clients.count, 1..GP_CLIENTS_MAX */
        gp_arrival arrival;      /* clients.arrival: "all_at_once" | "uniform" | "ramp" */
        uint32_t window_ms;      /* clients.window_ms */
        double header_auth_fraction; /* clients.header_auth_fraction: share using the Authorization header */
        uint32_t requests;       /* clients.requests_per_client, 1..16 */
        gp_range_ms request_gap; /* clients.request_gap_ms: wait before each request */
        gp_request_mode request_mode; /* clients.request_mode */
        /* clients.varied_requests: share of requests that take another shape
         * (another or no agent_type, no request_id, a message over 1 KiB) */
        double varied_requests;
        /* clients.only: run only these clients of the scenario (each with its
         * own draws, as in the whole run); empty: all clients.count */
        uint32_t only[GP_ONLY_MAX];
        uint32_t only_len;
        uint32_t user_pool;      /* clients.user_pool: distinct users (0 = one per client) */
    } clients;

    struct {
        gp_latency_dist latency; /* network.latency.distribution */
        uint32_t latency_min_ms, latency_max_ms, latency_mean_ms;
        double drop_rate;        /* network.drop_rate */
        uint32_t retransmit_ms;  /* network.retransmit_ms */
        double duplicate_rate;   /* network.duplicate_rate */
        double reorder_rate;     /* network.reorder_rate */
    } network;

    struct {
        gp_bug_set bugs;          /* server.bugs: list of names */
        gp_range_ms accept_delay; /* server.accept_delay_ms */
        /* server.upgrade_before_accept: the 101 leaves when the connection
         * opens and the accept completes accept_delay_ms later, as when a
         * framework answers the upgrade before the application's accept
         * step has run (simulation; a client may then race the accept) */
        bool upgrade_before_accept;
        gp_range_ms think;        /* server.agent.think_ms */
        gp_range_ms tool;         /* server.agent.tool_ms */
        uint32_t stuck_after_ms;  /* server.stuck_after_ms */
        uint32_t auth_timeout_ms; /* server.auth_timeout_ms */
        uint32_t max_message_bytes; /* server.max_message_bytes */
        uint32_t max_connections;   /* server.max_connections (0: none) */
    } server;

    struct {
        double accept_race;                /* faults.accept_race */
        double slow_accept;                /* faults.slow_accept */
        uint32_t slow_accept_ms;           /* faults.slow_accept_ms */
        double disconnect[GP_PHASE_COUNT]; /* faults.disconnect.<phase> */
        double bad_token[GP_BAD_TOKEN_COUNT]; /* faults.bad_token.<kind> */
        double early_message;              /* faults.early_message */
        double no_auth;                    /* faults.no_auth */
        double bad_input[GP_BAD_INPUT_COUNT]; /* faults.bad_input.<kind> */
        double edge_token[GP_EDGE_TOKEN_COUNT]; /* faults.edge_token.<kind> */
        double agent_failure;              /* faults.agent_failure */
        uint32_t until_ms;                 /* faults.until_ms: no fault after this (0: never ends) */
    } faults;

    struct {
        uint32_t ready_timeout_ms;   /* limits.ready_timeout_ms */
        uint32_t request_timeout_ms; /* limits.request_timeout_ms */
        uint64_t run_timeout_ms;     /* limits.run_timeout_ms (virtual time) */
    } limits;

    struct {
        double min_transition_success_rate; /* expect.min_transition_success_rate */
        double min_completion_rate;         /* expect.min_completion_rate */
        /* expect.liveness_ms: once faults end (faults.until_ms), every
         * connection ready or closed and every request answered within this
         * long (0: not asked) */
        uint32_t liveness_ms;
        uint32_t violations_len;            /* expect.violations */
        char violations[GP_EXPECT_VIOLATIONS_MAX][GP_CHECK_NAME_MAX];
        gp_latency_expect latency[GP_LATX_COUNT]; /* expect.latency.<kind>_ms.<p> */
        gp_evidence server_health;          /* expect.server_health */
        gp_evidence server_log;             /* expect.server_log */
        uint32_t signatures_len;            /* expect.log_signatures */
        gp_signature_expect signatures[GP_EXPECT_SIGNATURES_MAX];
        uint32_t server_memory_per_connection_bytes; /* 0: no budget */
    } expect;

    struct {
        uint32_t bucket_ms; /* report.bucket_ms: timeline.csv granularity */
        bool connections_csv; /* report.connections_csv: write connections.csv (default true) */
    } report;

    struct {
        uint32_t handshakes_in_flight; /* live.handshakes_in_flight */
        uint32_t source_addresses;     /* live.source_addresses (0: as needed) */
        /* live.server_cmd: the server under test, started by goldpath ({port},
         * {scenario_dir}, {bugs} replaced); "" none */
        char server_cmd[1024];
        char server_ready[256];        /* live.server_ready: a log line's pattern */
    } live;
    /* profile: the protocol profile of the server under test, a path
     * relative to the scenario file ("" goldpath.v1) */
    char profile[512];
} gp_scenario;

/* The defaults every field takes when the file leaves it out. */
void gp_scenario_defaults(gp_scenario *sc);

/* Loads and validates `path`.  On error returns a negative gp_err and writes
 * "PATH: FIELD: what was wrong (expected ...)" (or "PATH:LINE:COL: ..." for
 * JSON syntax) into err.  *sc is then unspecified. */
int gp_scenario_load(gp_scenario *sc, const char *path, char *err,
                     size_t err_len);

/* Same from a string; `origin` names it in errors. */
int gp_scenario_parse(gp_scenario *sc, const char *json, size_t len,
                      const char *origin, char *err, size_t err_len);

/* Applies one override "path=value" (value is JSON: 0.1, "ramp", ["a","b"],
 * or a bare word taken as a string) with the same validation as the file.
 * Errors name the override. */
int gp_scenario_set(gp_scenario *sc, const char *assignment, char *err,
                    size_t err_len);

/* Checks cross-field rules (min <= max, rates in [0, 1], the disconnect and
 * bad-token rates adding up to at most 1, known check names in
 * expect.violations).  gp_scenario_load/parse call it; call it again after
 * gp_scenario_set. */
int gp_scenario_validate(const gp_scenario *sc, char *err, size_t err_len);

/* The scenario as JSON, every field written (for reports: "the scenario as
 * run").  malloc'd string, caller frees; NULL when out of memory. */
char *gp_scenario_to_json(const gp_scenario *sc);

/* True when `name` is one of the run checks (gp_check names). */
bool gp_scenario_check_name_known(const char *name);

/* True when `name` is one of the log signatures (gp_signatures_list.h). */
bool gp_scenario_signature_known(const char *name);

/* The expectation of signature `name` in sc, or NULL when sc sets none. */
const gp_signature_expect *gp_scenario_signature_expect(const gp_scenario *sc,
                                                        const char *name);

#endif
