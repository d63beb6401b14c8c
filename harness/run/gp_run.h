/* gp_run.h: one run of a scenario and everything it observed -- the clients'
 * records and the facts the driver recorded about them, the lifecycle judge's
 * view of every connection, what crossed the wire, the server's log lines,
 * the fault ledger, the timeline, the server's own figures -- and the
 * verdicts the checks reach (harness/checks).
 *
 * Drivers (the simulator, live mode) report what happens through one
 * driver-neutral set of calls (gp_drive.h), so the bookkeeping per event
 * exists once; the checks then judge from observations, never from the
 * server's word: the server's figures are cross-checked against them. */
#ifndef GP_RUN_H
#define GP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_codec.h"
#include "gp_judge.h"
#include "gp_logsig.h"
#include "gp_scenario.h"
#include "gp_server.h"
#include "gp_vclient.h"

/* Who injects a fault. */
typedef enum gp_fault_side {
    GP_FAULT_BY_CLIENTS = 0, /* the virtual client's script (its plan) */
    GP_FAULT_BY_NETWORK,     /* the driver's network (simulated, or live at the driver) */
    GP_FAULT_BY_ACCEPT,      /* the driver's control of the server's accept */
    GP_FAULT_BY_SERVER,  /* the server itself, configured to (agent failures) */
} gp_fault_side;

/* X(enum suffix, name, scenario field, side) -- every fault class: the one
 * table of faults. */
#define GP_FAULT_MAP(X)                                                        \
    X(ACCEPT_RACE, "accept_race", "faults.accept_race", GP_FAULT_BY_ACCEPT)        \
    X(SLOW_ACCEPT, "slow_accept", "faults.slow_accept", GP_FAULT_BY_ACCEPT)        \
    X(DISCONNECT_CONNECTING, "disconnect.connecting", "faults.disconnect.connecting", GP_FAULT_BY_CLIENTS) \
    X(DISCONNECT_AUTHENTICATING, "disconnect.authenticating", "faults.disconnect.authenticating", GP_FAULT_BY_CLIENTS) \
    X(DISCONNECT_READY, "disconnect.ready", "faults.disconnect.ready", GP_FAULT_BY_CLIENTS) \
    X(DISCONNECT_PROCESSING, "disconnect.processing", "faults.disconnect.processing", GP_FAULT_BY_CLIENTS) \
    X(BAD_SIGNATURE, "bad_token.bad_signature", "faults.bad_token.bad_signature", GP_FAULT_BY_CLIENTS) \
    X(EXPIRED, "bad_token.expired", "faults.bad_token.expired", GP_FAULT_BY_CLIENTS) \
    X(ALG_NONE, "bad_token.alg_none", "faults.bad_token.alg_none", GP_FAULT_BY_CLIENTS) \
    X(NO_SIGNATURE, "bad_token.no_signature", "faults.bad_token.no_signature", GP_FAULT_BY_CLIENTS) \
    X(TRUNCATED, "bad_token.truncated_signature", "faults.bad_token.truncated_signature", GP_FAULT_BY_CLIENTS) \
    X(ALG_OTHER, "bad_token.alg_other", "faults.bad_token.alg_other", GP_FAULT_BY_CLIENTS) \
    X(BAD_SUB, "bad_token.bad_sub", "faults.bad_token.bad_sub", GP_FAULT_BY_CLIENTS) \
    X(NOT_YET_VALID, "bad_token.not_yet_valid", "faults.bad_token.not_yet_valid", GP_FAULT_BY_CLIENTS) \
    X(MALFORMED, "bad_token.malformed", "faults.bad_token.malformed", GP_FAULT_BY_CLIENTS) \
    X(EXPIRES_NOW, "bad_token.expires_now", "faults.bad_token.expires_now", GP_FAULT_BY_CLIENTS) \
    X(SUB_TOO_LONG, "bad_token.sub_too_long", "faults.bad_token.sub_too_long", GP_FAULT_BY_CLIENTS) \
    X(EARLY_MESSAGE, "early_message", "faults.early_message", GP_FAULT_BY_CLIENTS) \
    X(NO_AUTH, "no_auth", "faults.no_auth", GP_FAULT_BY_CLIENTS) \
    X(BI_NOT_JSON, "bad_input.not_json", "faults.bad_input.not_json", GP_FAULT_BY_CLIENTS) \
    X(BI_UNKNOWN_TYPE, "bad_input.unknown_type", "faults.bad_input.unknown_type", GP_FAULT_BY_CLIENTS) \
    X(BI_WRONG_FIELD, "bad_input.wrong_field_type", "faults.bad_input.wrong_field_type", GP_FAULT_BY_CLIENTS) \
    X(BI_EARLY_GARBAGE, "bad_input.garbage_before_auth", "faults.bad_input.garbage_before_auth", GP_FAULT_BY_CLIENTS) \
    X(BI_EARLY_PING, "bad_input.ping_before_auth", "faults.bad_input.ping_before_auth", GP_FAULT_BY_CLIENTS) \
    X(BI_PING, "bad_input.ping", "faults.bad_input.ping", GP_FAULT_BY_CLIENTS) \
    X(BI_SECOND_AUTH, "bad_input.second_auth", "faults.bad_input.second_auth", GP_FAULT_BY_CLIENTS) \
    X(BI_SECOND_BAD_AUTH, "bad_input.second_bad_auth", "faults.bad_input.second_bad_auth", GP_FAULT_BY_CLIENTS) \
    X(BI_BINARY, "bad_input.binary_frame", "faults.bad_input.binary_frame", GP_FAULT_BY_CLIENTS) \
    X(BI_OVERSIZE, "bad_input.over_size_limit", "faults.bad_input.over_size_limit", GP_FAULT_BY_CLIENTS) \
    X(BI_AT_LIMIT, "bad_input.at_size_limit", "faults.bad_input.at_size_limit", GP_FAULT_BY_CLIENTS) \
    X(BI_PIPELINED, "bad_input.pipelined_request", "faults.bad_input.pipelined_request", GP_FAULT_BY_CLIENTS) \
    X(EDGE_NBF_NOW, "edge_token.nbf_now", "faults.edge_token.nbf_now", GP_FAULT_BY_CLIENTS) \
    X(EDGE_LONGEST_SUB, "edge_token.longest_sub", "faults.edge_token.longest_sub", GP_FAULT_BY_CLIENTS) \
    X(AGENT_FAILURE, "agent_failure", "faults.agent_failure", GP_FAULT_BY_SERVER) \
    X(NET_DROP, "network.drop", "network.drop_rate", GP_FAULT_BY_NETWORK)         \
    X(NET_DUPLICATE, "network.duplicate", "network.duplicate_rate", GP_FAULT_BY_NETWORK) \
    X(NET_REORDER, "network.reorder", "network.reorder_rate", GP_FAULT_BY_NETWORK)

typedef enum gp_fault {
#define GP_FAULT_ENUM(e, name, field, side) GP_FAULT_##e,
    GP_FAULT_MAP(GP_FAULT_ENUM)
#undef GP_FAULT_ENUM
    GP_FAULT_COUNT
} gp_fault;

const char *gp_fault_name(gp_fault f);
const char *gp_fault_field(gp_fault f);
gp_fault_side gp_fault_side_of(gp_fault f);
const char *gp_fault_side_name(gp_fault_side s);
/* The rate the scenario configures for f (0 when off). */
double gp_fault_rate(const gp_scenario *sc, gp_fault f);

/* The ledger counts firings per state of the server-side machine at the
 * time; index GP_STATE_COUNT is "not known / no machine". */
typedef struct gp_fault_ledger {
    uint64_t fired[GP_FAULT_COUNT];
    uint64_t by_state[GP_FAULT_COUNT][GP_STATE_COUNT + 1];
} gp_fault_ledger;

/* One row of timeline.csv: the bucket ending at t_ms. */
typedef struct gp_timeline_row {
    uint64_t t_ms;
    uint64_t attempted, succeeded; /* lifecycle steps in the bucket */
    uint64_t by_state[GP_STATE_PROCESSING_READY + 1]; /* at the bucket's end */
    uint64_t active;
    uint64_t ready_total, completed_total; /* clients, cumulative */
} gp_timeline_row;

/* What crossed the wire, as the driver saw it (the simulator sees every
 * message the server sends; live mode what the clients received). */
typedef struct gp_wire {
    bool complete;   /* every message the server sent was seen (simulation) */
    uint64_t opens;  /* connections the server accepted (on_open succeeded) */
    uint64_t refused; /* connections the server refused at open */
    uint64_t sent_total, received_total; /* by the server */
    uint64_t sent[GP_MSG_TYPE_COUNT];
    uint64_t received[GP_MSG_TYPE_COUNT];
    uint64_t errors[GP_PROTO_ERROR_COUNT];
    uint64_t unparseable; /* sent messages that did not parse */
    uint64_t closes_auth_timeout; /* closes with 4408 the server sent */
} gp_wire;

/* Memory the server held (simulation: the core's allocations through the
 * environment's allocator; live: the started server's RSS). */
typedef struct gp_mem_figures {
    bool known;
    uint64_t base_count, base_bytes; /* after the server was created */
    uint64_t end_count, end_bytes;   /* once every client had gone */
    uint64_t peak_count, peak_bytes;
    uint64_t rss_base_kib, rss_end_kib; /* live */
    bool exit_known;   /* live: the server goldpath started was stopped */
    int exit_status;   /* its exit status (128 + signal when killed) */
} gp_mem_figures;

/* Evidence a run had (bits): a check that needs evidence the run lacks is
 * not judged, which fails the run unless the scenario says the server does
 * not offer it (expect.server_health, expect.server_log). */
enum {
    GP_EV_LIFECYCLE = 1u << 0, /* every lifecycle step (observer or the server's log) */
    GP_EV_LOG = 1u << 1,       /* the server's log lines */
    GP_EV_HEALTH = 1u << 2,    /* the server's own figures (/health) */
    GP_EV_REGISTRY = 1u << 3,  /* the registry's size at the end */
    GP_EV_MEMORY = 1u << 4,    /* the server's memory */
};

typedef enum gp_verdict {
    GP_VERDICT_PASSED = 0,
    GP_VERDICT_FAILED,
    GP_VERDICT_CAUGHT,      /* an expected violation, found */
    GP_VERDICT_MISSED,      /* an expected violation, not found */
    GP_VERDICT_UNJUDGED,    /* the evidence was missing: fails */
    GP_VERDICT_NOT_OFFERED, /* the evidence is declared absent: reported, passes */
} gp_verdict;

const char *gp_verdict_name(gp_verdict v);
/* True for the verdicts under which the run passes. */
bool gp_verdict_ok(gp_verdict v);

#define GP_EXAMPLES_MAX 5

typedef struct gp_check_result {
    gp_verdict verdict;
    bool not_judged;   /* set by a judge that lacked what it needed (fails) */
    bool nothing_asked; /* set by a judge with nothing to judge by design (passes) */
    bool violated;  /* violations found (count > 0) */
    uint64_t count; /* violations found */
    uint32_t examples[GP_EXAMPLES_MAX]; /* client indices */
    uint32_t examples_len;
    char evidence[64]; /* what it was judged from */
    char detail[320];
} gp_check_result;

/* An expectation beyond the check table: a latency threshold, a log
 * signature's bounds.  One JUnit case each, like the checks. */
typedef struct gp_expectation {
    char name[96];
    char what[160];
    gp_check_result r;
} gp_expectation;

#define GP_RUN_EXPECTATIONS_MAX (GP_LATX_COUNT * 4 + GP_LOGSIG_MAX + GP_EXPECT_SIGNATURES_MAX + 8)

typedef struct gp_percentiles {
    uint64_t n;
    double p50, p90, p99, max;
} gp_percentiles;

typedef enum gp_latency_kind {
    GP_LAT_CONNECT = 0, /* start -> open */
    GP_LAT_READY,       /* start -> connection_ready */
    GP_LAT_FIRST_EVENT, /* a request sent -> its first event */
    GP_LAT_COMPLETED,   /* a request sent -> its answer */
    GP_LAT_COUNT
} gp_latency_kind;

const char *gp_latency_kind_name(gp_latency_kind k);

/* Latencies measured as they happen (per request), in ms. */
typedef struct gp_latency_samples {
    uint32_t *v;
    size_t len, cap;
} gp_latency_samples;

typedef struct gp_run {
    gp_scenario sc;
    char scenario_arg[1024];  /* SCENARIO as given on the command line */
    char overrides[2048];     /* " --set a=b ..." as given, for replay commands */
    const char *mode;         /* "sim" or "live" */
    char profile_name[64];    /* live: the server's protocol profile ("" goldpath.v1) */
    /* --events: one JSON object per line, per client outcome and per time
     * bucket, written as the run goes (gp_events.h); NULL: none */
    FILE *events_out;
    uint32_t n_clients;
    gp_vclient *clients;
    gp_vc_shared *sh;         /* the driver's, for the calls of gp_drive.h */
    /* Observations */
    gp_judge judge;           /* the lifecycle judge (gp_judge.h) */
    gp_logsig logsig;         /* the log oracle (gp_logsig.h) */
    gp_wire wire;
    gp_mem_figures mem;
    gp_latency_samples samples[GP_LAT_COUNT];
    unsigned evidence;        /* GP_EV_* this run had */
    char evidence_why[256];   /* why evidence is missing, for the report */
    /* The server's own figures, cross-checked */
    gp_health health;         /* at the end (live: since the run started) */
    uint64_t registry_left;   /* registry entries after every client closed */
    char health_conflict[256]; /* the server's two pages disagree (live: /metrics vs /health) */
    /* Which of the server's figures are known, by their names in the
     * cross-check ("active_connections", "requests", ...), comma-separated
     * with commas around: ",requests,active_connections,".  "" all of them
     * (goldpath-server's /health); a profile's metrics map names a few. */
    char health_only[512];
    gp_fault_ledger ledger;
    /* Live, the server's steps are known only once its log is read after the
     * run: the faults wait here, in the order they fired, to be filed under
     * the state their connection was in at that moment (gp_drive.h). */
    bool fault_states_later;
    uint64_t (*clock_us)(void *ctx); /* run microseconds (live); NULL: now_ms * 1000 */
    void *clock_ctx;
    struct gp_deferred_fault {
        uint64_t at_us;
        uint32_t client;
        uint8_t fault;
    } *deferred;
    size_t deferred_len, deferred_cap, deferred_next;
    gp_timeline_row *timeline;
    size_t timeline_len, timeline_cap;
    uint64_t end_ms;          /* virtual (or real) ms when the run ended */
    uint64_t events;          /* events the driver processed */
    uint64_t messages;        /* messages carried either way */
    uint64_t resets;          /* connections the network reset */
    uint64_t duplicates_delivered;
    /* outcome counts */
    uint64_t pending;         /* clients without an outcome yet */
    uint64_t outcome[GP_VC_OUTCOME_COUNT];
    uint64_t ready, completed, expected_to_complete;
    /* Verdicts (harness/checks) */
    gp_check_result checks[GP_CHECK_COUNT];
    gp_expectation expectations[GP_RUN_EXPECTATIONS_MAX];
    uint32_t expectations_len;
    gp_percentiles latency[GP_LAT_COUNT];
    bool passed;              /* every expectation held */
    bool interrupted;         /* stopped before its end (Ctrl-C) */
    /* Tracing (may be NULL): one client's story, both sides */
    uint32_t trace_client;    /* UINT32_MAX: none */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
    /* The server-side state of client i's connection now, for the fault
     * ledger (may be NULL: unknown). */
    gp_state (*state_of)(void *ctx, uint32_t client);
    void *state_ctx;
    /* wall-clock figures: never in summary.json (perf.json only) */
    double wall_s, cpu_s;
    uint64_t peak_rss_kib;
} gp_run;

/* Allocates the per-client arrays for sc->clients.count clients and inits
 * each client, the judge and the log oracle.  Returns GP_OK or
 * GP_ERR_NOMEM. */
int gp_run_init(gp_run *run, const gp_scenario *sc);
/* The same for a subset of the scenario's clients: client k of the run is
 * client who[k] of the whole scenario, with that client's own draws (its
 * plan, start, messages, network), so that a run of a few clients is the
 * story of those clients in the whole run (goldpath shrink). */
int gp_run_init_subset(gp_run *run, const gp_scenario *sc, const uint32_t *who, uint32_t n);
void gp_run_free(gp_run *run);

/* Appends a timeline row.  Returns GP_OK or GP_ERR_NOMEM. */
int gp_run_add_row(gp_run *run, const gp_timeline_row *row);

/* Counts a fault firing in `state` (GP_STATE_COUNT: not known). */
void gp_run_fault(gp_run *run, gp_fault f, gp_state state);
/* Counts fault f as fired now, and files its state later (live). */
void gp_run_fault_fired(gp_run *run, gp_fault f);
void gp_run_fault_state(gp_run *run, gp_fault f, gp_state state);

/* Records one latency sample of kind k (ms). */
void gp_run_latency(gp_run *run, gp_latency_kind k, uint64_t ms);

/* The command that replays client k of this run (into out). */
void gp_run_replay_command(const gp_run *run, uint32_t client, char *out,
                           size_t out_len);

/* One line of client i's trace (no-op unless i is the traced client). */
void gp_run_tracef(const gp_run *run, uint32_t client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
