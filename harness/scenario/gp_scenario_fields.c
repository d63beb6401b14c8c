/* gp_scenario_fields.c: the names of the scenario format's enumerations,
 * the table of every settable field (path, kind, place in gp_scenario,
 * bounds) and the defaults.  The table drives parsing, --set, validation and
 * output alike (gp_scenario.c, gp_scenario_json.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gp_scenario_int.h"

/* ---- names ------------------------------------------------------------- */

const char *const gp_phase_names[GP_PHASE_COUNT] = {
    [GP_PHASE_CONNECTING] = "connecting",
    [GP_PHASE_AUTHENTICATING] = "authenticating",
    [GP_PHASE_READY] = "ready",
    [GP_PHASE_PROCESSING] = "processing",
};

const char *const gp_bad_token_names[GP_BAD_TOKEN_COUNT] = {
    [GP_BAD_TOKEN_SIGNATURE] = "bad_signature",
    [GP_BAD_TOKEN_EXPIRED] = "expired",
    [GP_BAD_TOKEN_ALG_NONE] = "alg_none",
    [GP_BAD_TOKEN_NO_SIGNATURE] = "no_signature",
    [GP_BAD_TOKEN_TRUNCATED] = "truncated_signature",
    [GP_BAD_TOKEN_ALG_OTHER] = "alg_other",
    [GP_BAD_TOKEN_BAD_SUB] = "bad_sub",
    [GP_BAD_TOKEN_NOT_YET_VALID] = "not_yet_valid",
    [GP_BAD_TOKEN_MALFORMED] = "malformed",
    [GP_BAD_TOKEN_EXPIRES_NOW] = "expires_now",
    [GP_BAD_TOKEN_SUB_TOO_LONG] = "sub_too_long",
};

const char *const gp_edge_token_names[GP_EDGE_TOKEN_COUNT] = {
    [GP_EDGE_TOKEN_NBF_NOW] = "nbf_now",
    [GP_EDGE_TOKEN_LONGEST_SUB] = "longest_sub",
};

const char *gp_edge_token_name(gp_edge_token t)
{
    return (unsigned)t < GP_EDGE_TOKEN_COUNT ? gp_edge_token_names[t] : NULL;
}

_Static_assert(sizeof(gp_request_mode) == sizeof(int), "FK_ENUM fields are ints");

const char *const gp_bad_input_names[GP_BAD_INPUT_COUNT] = {
    [GP_BAD_INPUT_NOT_JSON] = "not_json",
    [GP_BAD_INPUT_UNKNOWN_TYPE] = "unknown_type",
    [GP_BAD_INPUT_WRONG_FIELD] = "wrong_field_type",
    [GP_BAD_INPUT_EARLY_GARBAGE] = "garbage_before_auth",
    [GP_BAD_INPUT_EARLY_PING] = "ping_before_auth",
    [GP_BAD_INPUT_PING] = "ping",
    [GP_BAD_INPUT_SECOND_AUTH] = "second_auth",
    [GP_BAD_INPUT_SECOND_BAD_AUTH] = "second_bad_auth",
    [GP_BAD_INPUT_BINARY] = "binary_frame",
    [GP_BAD_INPUT_OVERSIZE] = "over_size_limit",
    [GP_BAD_INPUT_AT_LIMIT] = "at_size_limit",
    [GP_BAD_INPUT_PIPELINED] = "pipelined_request",
};

const char *gp_bad_input_name(gp_bad_input k)
{
    return k < GP_BAD_INPUT_COUNT ? gp_bad_input_names[k] : NULL;
}

const char *const gp_request_mode_names[GP_REQUEST_MODE_COUNT] = {
    [GP_REQUEST_PIPELINED] = "pipelined",
    [GP_REQUEST_SEQUENTIAL] = "sequential",
};

const char *const gp_arrival_names[GP_ARRIVAL_COUNT] = {
    [GP_ARRIVAL_ALL_AT_ONCE] = "all_at_once",
    [GP_ARRIVAL_UNIFORM] = "uniform",
    [GP_ARRIVAL_RAMP] = "ramp",
};

const char *const gp_latency_names[GP_LATENCY_COUNT] = {
    [GP_LATENCY_FIXED] = "fixed",
    [GP_LATENCY_UNIFORM] = "uniform",
    [GP_LATENCY_EXPONENTIAL] = "exponential",
};

const char *const gp_check_names[GP_SC_CHECK_COUNT] = {
#define GP_CHECK_NAME(e, name, doc) name,
    GP_CHECK_MAP(GP_CHECK_NAME)
#undef GP_CHECK_NAME
};

const char *const gp_evidence_names[GP_EVIDENCE_COUNT] = {
    [GP_EVIDENCE_REQUIRED] = "required",
    [GP_EVIDENCE_NONE] = "none",
};

const char *const gp_signature_names[GP_SIGNATURE_COUNT] = {
#define GP_SIG_NAME(e, name, level, re, group, what) name,
    GP_SIGNATURE_MAP(GP_SIG_NAME)
#undef GP_SIG_NAME
};

static const char *const gp_latency_expect_names[GP_LATX_COUNT] = {
    [GP_LATX_READY] = "ready_ms",
    [GP_LATX_FIRST_EVENT] = "first_event_ms",
    [GP_LATX_COMPLETED] = "completed_ms",
};

/* Each returns NULL out of range, like gp_bug_name(). */
const char *gp_phase_name(gp_phase p)
{
    return (unsigned)p < GP_PHASE_COUNT ? gp_phase_names[p] : NULL;
}

const char *gp_bad_token_name(gp_bad_token t)
{
    return (unsigned)t < GP_BAD_TOKEN_COUNT ? gp_bad_token_names[t] : NULL;
}

const char *gp_arrival_name(gp_arrival a)
{
    return (unsigned)a < GP_ARRIVAL_COUNT ? gp_arrival_names[a] : NULL;
}

const char *gp_latency_dist_name(gp_latency_dist d)
{
    return (unsigned)d < GP_LATENCY_COUNT ? gp_latency_names[d] : NULL;
}

const char *gp_evidence_name(gp_evidence e)
{
    return (unsigned)e < GP_EVIDENCE_COUNT ? gp_evidence_names[e] : NULL;
}

const char *gp_latency_expect_name(gp_latency_expect_kind k)
{
    return (unsigned)k < GP_LATX_COUNT ? gp_latency_expect_names[k] : NULL;
}

/* A shipped signature, or one a protocol profile may add ("profile.NAME",
 * checked against the profile when a live run starts). */
bool gp_scenario_signature_known(const char *name)
{
    for (size_t i = 0; name && i < GP_SIGNATURE_COUNT; i++)
        if (strcmp(name, gp_signature_names[i]) == 0)
            return true;
    if (name && strncmp(name, "profile.", 8) == 0 && name[8]) {
        for (const char *p = name + 8; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                  *p == '.' || *p == '-'))
                return false;
        return true;
    }
    return false;
}

const gp_signature_expect *gp_scenario_signature_expect(const gp_scenario *sc,
                                                        const char *name)
{
    for (uint32_t i = 0; i < sc->expect.signatures_len; i++)
        if (strcmp(sc->expect.signatures[i].name, name) == 0)
            return &sc->expect.signatures[i];
    return NULL;
}

/* Exact, case-sensitive; NULL is unknown. */
bool gp_scenario_check_name_known(const char *name)
{
    if (name == NULL)
        return false;
    for (size_t i = 0; i < GP_SC_CHECK_COUNT; i++)
        if (strcmp(name, gp_check_names[i]) == 0)
            return true;
    return false;
}

/* ---- the field table --------------------------------------------------- */


#define OFF(member) offsetof(gp_scenario, member)
#define STR(p, m, lo) {p, FK_STRING, OFF(m), lo, sizeof(((gp_scenario *)0)->m) - 1, NULL}
#define U32(p, m, lo, hi) {p, FK_U32, OFF(m), lo, hi, NULL}
#define U32_ANY(p, m) U32(p, m, 0, UINT32_MAX)
#define U32_POS(p, m) U32(p, m, 1, UINT32_MAX)
#define U64(p, m, lo) {p, FK_U64, OFF(m), lo, UINT64_MAX, NULL}
#define RATE(p, m) {p, FK_RATE, OFF(m), 0, 0, NULL}
#define KIND(p, k, m) {p, k, OFF(m), 0, 0, NULL}
#define ENUM(p, m, names, count) {p, FK_ENUM, OFF(m), 0, count, names}
#define RANGE(p, m) U32_ANY(p ".min", m.min_ms), U32_ANY(p ".max", m.max_ms)
#define LATX(p, k)                                                             \
    U32_ANY(p ".p50", expect.latency[k].p50_ms), U32_ANY(p ".p90", expect.latency[k].p90_ms), \
    U32_ANY(p ".p99", expect.latency[k].p99_ms), U32_ANY(p ".max", expect.latency[k].max_ms)

/* File order: to_json writes keys in this order, and the unknown-field
 * errors list the allowed ones in it.  Keep each object's fields together. */
const field gp_fields[] = {
    STR("name", name, 1),
    STR("description", description, 0),
    U64("seed", seed, 0),
    STR("profile", profile, 0),
    U32("clients.count", clients.count, 1, GP_CLIENTS_MAX),
    KIND("clients.arrival", FK_ARRIVAL, clients.arrival),
    U32_ANY("clients.window_ms", clients.window_ms),
    RATE("clients.header_auth_fraction", clients.header_auth_fraction),
    U32("clients.requests_per_client", clients.requests, 1, GP_REQUESTS_PER_CLIENT_MAX),
    RANGE("clients.request_gap_ms", clients.request_gap),
    ENUM("clients.request_mode", clients.request_mode, gp_request_mode_names,
         GP_REQUEST_MODE_COUNT),
    RATE("clients.varied_requests", clients.varied_requests),
    KIND("clients.only", FK_ONLY, clients),
    U32("clients.user_pool", clients.user_pool, 0, GP_CLIENTS_MAX),
    KIND("network.latency.distribution", FK_LATENCY, network.latency),
    U32_ANY("network.latency.min_ms", network.latency_min_ms),
    U32_ANY("network.latency.max_ms", network.latency_max_ms),
    U32_ANY("network.latency.mean_ms", network.latency_mean_ms),
    RATE("network.drop_rate", network.drop_rate),
    U32_POS("network.retransmit_ms", network.retransmit_ms),
    RATE("network.duplicate_rate", network.duplicate_rate),
    RATE("network.reorder_rate", network.reorder_rate),
    KIND("server.bugs", FK_BUGS, server.bugs),
    RANGE("server.accept_delay_ms", server.accept_delay),
    KIND("server.upgrade_before_accept", FK_BOOL, server.upgrade_before_accept),
    RANGE("server.agent.think_ms", server.think),
    RANGE("server.agent.tool_ms", server.tool),
    U32_POS("server.stuck_after_ms", server.stuck_after_ms),
    U32_POS("server.auth_timeout_ms", server.auth_timeout_ms),
    U32_POS("server.max_message_bytes", server.max_message_bytes),
    U32_ANY("server.max_connections", server.max_connections),
    RATE("faults.accept_race", faults.accept_race),
    RATE("faults.slow_accept", faults.slow_accept),
    U32_POS("faults.slow_accept_ms", faults.slow_accept_ms),
    RATE("faults.disconnect.connecting", faults.disconnect[GP_PHASE_CONNECTING]),
    RATE("faults.disconnect.authenticating", faults.disconnect[GP_PHASE_AUTHENTICATING]),
    RATE("faults.disconnect.ready", faults.disconnect[GP_PHASE_READY]),
    RATE("faults.disconnect.processing", faults.disconnect[GP_PHASE_PROCESSING]),
    RATE("faults.bad_token.bad_signature", faults.bad_token[GP_BAD_TOKEN_SIGNATURE]),
    RATE("faults.bad_token.expired", faults.bad_token[GP_BAD_TOKEN_EXPIRED]),
    RATE("faults.bad_token.alg_none", faults.bad_token[GP_BAD_TOKEN_ALG_NONE]),
    RATE("faults.bad_token.no_signature", faults.bad_token[GP_BAD_TOKEN_NO_SIGNATURE]),
    RATE("faults.bad_token.truncated_signature", faults.bad_token[GP_BAD_TOKEN_TRUNCATED]),
    RATE("faults.bad_token.alg_other", faults.bad_token[GP_BAD_TOKEN_ALG_OTHER]),
    RATE("faults.bad_token.bad_sub", faults.bad_token[GP_BAD_TOKEN_BAD_SUB]),
    RATE("faults.bad_token.not_yet_valid", faults.bad_token[GP_BAD_TOKEN_NOT_YET_VALID]),
    RATE("faults.bad_token.malformed", faults.bad_token[GP_BAD_TOKEN_MALFORMED]),
    RATE("faults.bad_token.expires_now", faults.bad_token[GP_BAD_TOKEN_EXPIRES_NOW]),
    RATE("faults.bad_token.sub_too_long", faults.bad_token[GP_BAD_TOKEN_SUB_TOO_LONG]),
    RATE("faults.early_message", faults.early_message),
    RATE("faults.no_auth", faults.no_auth),
    RATE("faults.bad_input.not_json", faults.bad_input[GP_BAD_INPUT_NOT_JSON]),
    RATE("faults.bad_input.unknown_type", faults.bad_input[GP_BAD_INPUT_UNKNOWN_TYPE]),
    RATE("faults.bad_input.wrong_field_type", faults.bad_input[GP_BAD_INPUT_WRONG_FIELD]),
    RATE("faults.bad_input.garbage_before_auth", faults.bad_input[GP_BAD_INPUT_EARLY_GARBAGE]),
    RATE("faults.bad_input.ping_before_auth", faults.bad_input[GP_BAD_INPUT_EARLY_PING]),
    RATE("faults.bad_input.ping", faults.bad_input[GP_BAD_INPUT_PING]),
    RATE("faults.bad_input.second_auth", faults.bad_input[GP_BAD_INPUT_SECOND_AUTH]),
    RATE("faults.bad_input.second_bad_auth", faults.bad_input[GP_BAD_INPUT_SECOND_BAD_AUTH]),
    RATE("faults.bad_input.binary_frame", faults.bad_input[GP_BAD_INPUT_BINARY]),
    RATE("faults.bad_input.over_size_limit", faults.bad_input[GP_BAD_INPUT_OVERSIZE]),
    RATE("faults.bad_input.at_size_limit", faults.bad_input[GP_BAD_INPUT_AT_LIMIT]),
    RATE("faults.bad_input.pipelined_request", faults.bad_input[GP_BAD_INPUT_PIPELINED]),
    RATE("faults.edge_token.nbf_now", faults.edge_token[GP_EDGE_TOKEN_NBF_NOW]),
    RATE("faults.edge_token.longest_sub", faults.edge_token[GP_EDGE_TOKEN_LONGEST_SUB]),
    RATE("faults.agent_failure", faults.agent_failure),
    U32_ANY("faults.until_ms", faults.until_ms),
    U32_POS("limits.ready_timeout_ms", limits.ready_timeout_ms),
    U32_POS("limits.request_timeout_ms", limits.request_timeout_ms),
    U64("limits.run_timeout_ms", limits.run_timeout_ms, 1),
    RATE("expect.min_transition_success_rate", expect.min_transition_success_rate),
    RATE("expect.min_completion_rate", expect.min_completion_rate),
    U32_ANY("expect.liveness_ms", expect.liveness_ms),
    KIND("expect.violations", FK_CHECKS, expect),
    LATX("expect.latency.ready_ms", GP_LATX_READY),
    LATX("expect.latency.first_event_ms", GP_LATX_FIRST_EVENT),
    LATX("expect.latency.completed_ms", GP_LATX_COMPLETED),
    KIND("expect.server_health", FK_EVIDENCE, expect.server_health),
    KIND("expect.server_log", FK_EVIDENCE, expect.server_log),
    KIND("expect.log_signatures", FK_SIGS, expect),
    U32_ANY("expect.server_memory_per_connection_bytes", expect.server_memory_per_connection_bytes),
    U32_POS("report.bucket_ms", report.bucket_ms),
    KIND("report.connections_csv", FK_BOOL, report.connections_csv),
    U32_POS("live.handshakes_in_flight", live.handshakes_in_flight),
    U32_ANY("live.source_addresses", live.source_addresses),
    STR("live.server_cmd", live.server_cmd, 0),
    STR("live.server_ready", live.server_ready, 0),
};
const size_t gp_field_count = sizeof(gp_fields) / sizeof(gp_fields[0]);

/* The ranges checked for min <= max, by group path. */
const gp_range_field gp_ranges[] = {
    {"clients.request_gap_ms", OFF(clients.request_gap)},
    {"server.accept_delay_ms", OFF(server.accept_delay)},
    {"server.agent.think_ms", OFF(server.think)},
    {"server.agent.tool_ms", OFF(server.tool)},
};
const size_t gp_range_count = sizeof(gp_ranges) / sizeof(gp_ranges[0]);

void gp_scenario_defaults(gp_scenario *sc)
{
    /* Zeroed first so that two scenarios with equal fields compare equal
     * with memcmp (padding and the bytes after each string included). */
    memset(sc, 0, sizeof(*sc));
    strcpy(sc->name, "unnamed");
    sc->seed = 1;
    sc->clients.count = 100;
    sc->clients.arrival = GP_ARRIVAL_UNIFORM;
    sc->clients.window_ms = 1000;
    sc->clients.header_auth_fraction = 0.5;
    sc->clients.requests = 1;
    sc->network.latency = GP_LATENCY_UNIFORM;
    sc->network.latency_min_ms = 1;
    sc->network.latency_max_ms = 10;
    sc->network.latency_mean_ms = 5;
    sc->network.retransmit_ms = 200;
    sc->server.accept_delay = (gp_range_ms){0, 1};
    sc->server.think = (gp_range_ms){20, 80};
    sc->server.tool = (gp_range_ms){10, 40};
    sc->server.stuck_after_ms = 2000;
    sc->server.auth_timeout_ms = 5000;
    sc->server.max_message_bytes = 65536;
    sc->faults.slow_accept_ms = 1500;
    sc->limits.ready_timeout_ms = 10000;
    sc->limits.request_timeout_ms = 10000;
    sc->limits.run_timeout_ms = 3600000;
    sc->expect.min_transition_success_rate = 1.0;
    sc->expect.min_completion_rate = 1.0;
    sc->report.bucket_ms = 100;
    sc->report.connections_csv = true;
    sc->live.handshakes_in_flight = 256;
}
