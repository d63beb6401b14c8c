/* gp_run.h: one run of a scenario and everything it found -- the clients'
 * records, the fault ledger, the timeline, the server's figures and the
 * checks.  Drivers (the simulator, live mode) fill a gp_run; gp_checks
 * judges it; gp_report writes it out. */
#ifndef GP_RUN_H
#define GP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_scenario.h"
#include "gp_server.h"
#include "gp_vclient.h"

/* X(enum suffix, name) -- every fault class the ledger tracks. */
#define GP_FAULT_MAP(X)                                                        \
    X(ACCEPT_RACE, "accept_race")                                              \
    X(SLOW_ACCEPT, "slow_accept")                                              \
    X(DISCONNECT_CONNECTING, "disconnect.connecting")                          \
    X(DISCONNECT_AUTHENTICATING, "disconnect.authenticating")                  \
    X(DISCONNECT_READY, "disconnect.ready")                                    \
    X(DISCONNECT_PROCESSING, "disconnect.processing")                          \
    X(BAD_SIGNATURE, "bad_token.bad_signature")                                \
    X(EXPIRED, "bad_token.expired")                                            \
    X(ALG_NONE, "bad_token.alg_none")                                          \
    X(EARLY_MESSAGE, "early_message")                                          \
    X(AGENT_FAILURE, "agent_failure")                                          \
    X(NET_DROP, "network.drop")                                                \
    X(NET_DUPLICATE, "network.duplicate")                                      \
    X(NET_REORDER, "network.reorder")

typedef enum gp_fault {
#define GP_FAULT_ENUM(e, name) GP_FAULT_##e,
    GP_FAULT_MAP(GP_FAULT_ENUM)
#undef GP_FAULT_ENUM
    GP_FAULT_COUNT
} gp_fault;

const char *gp_fault_name(gp_fault f);
/* The rate the scenario configures for f (0 when off). */
double gp_fault_rate(const gp_scenario *sc, gp_fault f);

/* The ledger counts firings per state of the server-side machine at the
 * time; index GP_STATE_COUNT is "no machine yet / gone". */
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

/* Per-client flags the driver attributes from the server's side. */
enum {
    GP_CF_STUCK = 1u << 0,      /* the server reported this connection stuck */
    GP_CF_INVALID = 1u << 1,    /* an illegal step on this connection */
    GP_CF_MISMATCH = 1u << 2,   /* connect_user gave it another id */
    GP_CF_OPENED = 1u << 3,     /* its open reached the server */
};

typedef struct gp_check_result {
    bool passed;
    bool applies; /* false: not judged in this run (reported as skipped) */
    uint64_t count; /* violations found */
    uint32_t examples[5]; /* client indices */
    uint32_t examples_len;
    char detail[256];
} gp_check_result;

typedef struct gp_percentiles {
    uint64_t n;
    double p50, p90, p99, max;
} gp_percentiles;

typedef enum gp_latency_kind {
    GP_LAT_CONNECT = 0, /* start -> open */
    GP_LAT_READY,       /* start -> connection_ready */
    GP_LAT_FIRST_EVENT, /* first request sent -> first agent event */
    GP_LAT_COMPLETED,   /* start -> last request answered */
    GP_LAT_COUNT
} gp_latency_kind;

const char *gp_latency_kind_name(gp_latency_kind k);

typedef struct gp_run {
    gp_scenario sc;
    char scenario_arg[1024];  /* SCENARIO as given on the command line */
    char overrides[2048];     /* " --set a=b ..." as given, for replay commands */
    const char *mode;         /* "sim" or "live" */
    uint32_t n_clients;
    gp_vclient *clients;
    uint8_t *flags;           /* GP_CF_* per client */
    gp_health health;         /* the server's figures at the end */
    bool health_known;        /* false when the server could not be asked */
    uint64_t registry_left;   /* registry entries after every client closed */
    gp_fault_ledger ledger;
    gp_timeline_row *timeline;
    size_t timeline_len, timeline_cap;
    uint64_t end_ms;          /* virtual (or real) ms when the run ended */
    uint64_t events;          /* events the driver processed */
    uint64_t messages;        /* messages carried either way */
    uint64_t resets;          /* connections the network reset */
    uint64_t duplicates_delivered;
    /* outcome counts */
    uint64_t outcome[GP_VC_FAILED + 1];
    uint64_t ready, completed, expected_to_complete;
    gp_check_result checks[GP_CHECK_COUNT];
    gp_percentiles latency[GP_LAT_COUNT];
    bool passed;              /* every applicable check passed */
    bool expected_violations_found; /* every expect.violations check failed */
    /* wall-clock figures: never in summary.json (perf.json only) */
    double wall_s, cpu_s;
    uint64_t peak_rss_kib;
} gp_run;

/* Allocates the per-client arrays for sc->clients.count clients and inits
 * each client.  Returns GP_OK or GP_ERR_NOMEM. */
int gp_run_init(gp_run *run, const gp_scenario *sc);
void gp_run_free(gp_run *run);

/* Appends a timeline row.  Returns GP_OK or GP_ERR_NOMEM. */
int gp_run_add_row(gp_run *run, const gp_timeline_row *row);

/* Counts a fault firing in `state` (GP_STATE_COUNT: none). */
void gp_run_fault(gp_run *run, gp_fault f, gp_state state);

/* Settles every client, counts outcomes, computes percentiles, and judges
 * every check (sets checks[], passed, expected_violations_found). */
void gp_run_judge(gp_run *run);

/* The command that replays client k of this run (into out). */
void gp_run_replay_command(const gp_run *run, uint32_t client, char *out,
                           size_t out_len);

#endif
