/* test_scenario.c: scenario files (gp_scenario.h, docs/scenarios.md).  Every
 * kind of mistake in a file or a --set override is refused with the right
 * code and an error naming the file and the field; left-out fields take the
 * defaults; every shipped scenario loads; overrides change exactly what they
 * name; and gp_scenario_to_json() writes every field so that its output
 * parses back to an equal struct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gp_checks_list.h"
#include "gp_error.h"
#include "gp_scenario.h"

#ifndef GP_SOURCE_DIR
#define GP_SOURCE_DIR "."
#endif

#define ORIGIN "origin.json"

/* ---- helpers ------------------------------------------------------------- */

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("error text\n  %s\ndoes not contain\n  %s", hay, needle);
}

static void assert_starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("error text\n  %s\ndoes not start with\n  %s", s, prefix);
}

static int parse(gp_scenario *sc, const char *json, char *err, size_t err_len)
{
    return gp_scenario_parse(sc, json, strlen(json), ORIGIN, err, err_len);
}

/* Parsing `json` fails with rc_want and "origin.json: FIELD: ...DETAIL...". */
static void assert_parse_error(const char *json, int rc_want, const char *field,
                               const char *detail)
{
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    int rc = parse(&sc, json, err, sizeof(err));
    if (rc != rc_want)
        fail_msg("%s: got %s (%s), want %s", json, gp_err_name(rc), err,
                 gp_err_name(rc_want));
    char head[256];
    snprintf(head, sizeof(head), ORIGIN ": %s: ", field);
    assert_starts_with(err, head);
    if (detail)
        assert_contains(err, detail);
}

/* Applying `assignment` fails with rc_want and "--set ASSIGNMENT: FIELD: ...". */
static void assert_set_error(const char *assignment, int rc_want, const char *field,
                             const char *detail)
{
    gp_scenario sc, before;
    char err[GP_SCENARIO_ERR_MAX] = "";
    gp_scenario_defaults(&sc);
    before = sc;
    int rc = gp_scenario_set(&sc, assignment, err, sizeof(err));
    if (rc != rc_want)
        fail_msg("%s: got %s (%s), want %s", assignment, gp_err_name(rc), err,
                 gp_err_name(rc_want));
    char head[400];
    snprintf(head, sizeof(head), "--set %s: %s%s", assignment, field ? field : "",
             field ? ": " : "");
    assert_starts_with(err, head);
    if (detail)
        assert_contains(err, detail);
    /* A refused single value leaves the scenario as it was. */
    assert_memory_equal(&sc, &before, sizeof(sc));
}

static void set_ok(gp_scenario *sc, const char *assignment)
{
    char err[GP_SCENARIO_ERR_MAX] = "";
    int rc = gp_scenario_set(sc, assignment, err, sizeof(err));
    if (rc != GP_OK)
        fail_msg("%s: %s: %s", assignment, gp_err_name(rc), err);
}

/* Equal apart from `path`, which names where each came from. */
static void assert_scenario_equal(const gp_scenario *a, const gp_scenario *b)
{
    gp_scenario x = *a, y = *b;
    memset(x.path, 0, sizeof(x.path));
    memset(y.path, 0, sizeof(y.path));
    assert_memory_equal(&x, &y, sizeof(x));
}

/* sc written by to_json and parsed back must equal sc. */
static void assert_round_trip(const gp_scenario *sc)
{
    char *json = gp_scenario_to_json(sc);
    assert_non_null(json);
    gp_scenario back;
    char err[GP_SCENARIO_ERR_MAX] = "";
    int rc = gp_scenario_parse(&back, json, strlen(json), "to_json", err, sizeof(err));
    if (rc != GP_OK)
        fail_msg("to_json output does not parse: %s\n%s", err, json);
    assert_scenario_equal(sc, &back);
    char *again = gp_scenario_to_json(&back);
    assert_non_null(again);
    assert_string_equal(json, again);
    free(again);
    free(json);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults_values(void **state)
{
    (void)state;
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    assert_string_equal(sc.name, "unnamed");
    assert_string_equal(sc.description, "");
    assert_string_equal(sc.path, "");
    assert_true(sc.seed == 1);
    assert_int_equal(sc.clients.count, 100);
    assert_int_equal(sc.clients.arrival, GP_ARRIVAL_UNIFORM);
    assert_int_equal(sc.clients.window_ms, 1000);
    assert_true(sc.clients.header_auth_fraction == 0.5);
    assert_int_equal(sc.clients.requests, 1);
    assert_int_equal(sc.clients.request_gap.min_ms, 0);
    assert_int_equal(sc.clients.request_gap.max_ms, 0);
    assert_int_equal(sc.clients.user_pool, 0);
    assert_int_equal(sc.network.latency, GP_LATENCY_UNIFORM);
    assert_int_equal(sc.network.latency_min_ms, 1);
    assert_int_equal(sc.network.latency_max_ms, 10);
    assert_int_equal(sc.network.latency_mean_ms, 5);
    assert_true(sc.network.drop_rate == 0 && sc.network.duplicate_rate == 0 &&
                sc.network.reorder_rate == 0);
    assert_int_equal(sc.network.retransmit_ms, 200);
    assert_int_equal(sc.server.bugs, 0);
    assert_int_equal(sc.server.accept_delay.min_ms, 0);
    assert_int_equal(sc.server.accept_delay.max_ms, 1);
    assert_int_equal(sc.server.think.min_ms, 20);
    assert_int_equal(sc.server.think.max_ms, 80);
    assert_int_equal(sc.server.tool.min_ms, 10);
    assert_int_equal(sc.server.tool.max_ms, 40);
    assert_int_equal(sc.server.stuck_after_ms, 2000);
    assert_int_equal(sc.server.auth_timeout_ms, 5000);
    assert_int_equal(sc.server.max_message_bytes, 65536);
    assert_int_equal(sc.server.max_connections, 0);
    assert_true(sc.faults.accept_race == 0 && sc.faults.slow_accept == 0 &&
                sc.faults.early_message == 0 && sc.faults.agent_failure == 0);
    for (int p = 0; p < GP_PHASE_COUNT; p++)
        assert_true(sc.faults.disconnect[p] == 0);
    for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++)
        assert_true(sc.faults.bad_token[t] == 0);
    assert_int_equal(sc.faults.slow_accept_ms, 1500);
    assert_int_equal(sc.limits.ready_timeout_ms, 10000);
    assert_int_equal(sc.limits.request_timeout_ms, 10000);
    assert_true(sc.limits.run_timeout_ms == 3600000);
    assert_true(sc.expect.min_transition_success_rate == 1.0);
    assert_true(sc.expect.min_completion_rate == 1.0);
    assert_int_equal(sc.expect.violations_len, 0);
    assert_int_equal(sc.report.bucket_ms, 100);
    assert_int_equal(sc.live.handshakes_in_flight, 256);
    assert_int_equal(sc.live.source_addresses, 0);
    /* The defaults must themselves be a valid scenario. */
    assert_int_equal(gp_scenario_validate(&sc, NULL, 0), GP_OK);
}

static void test_defaults_when_fields_absent(void **state)
{
    (void)state;
    gp_scenario def, sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    gp_scenario_defaults(&def);
    assert_int_equal(parse(&sc, "{}", err, sizeof(err)), GP_OK);
    assert_string_equal(sc.path, ORIGIN);
    assert_scenario_equal(&sc, &def);
    /* Empty sections are fine and change nothing. */
    assert_int_equal(parse(&sc, "{\"clients\": {}, \"server\": {\"agent\": {}},"
                                " \"faults\": {\"disconnect\": {}}}",
                           err, sizeof(err)), GP_OK);
    assert_scenario_equal(&sc, &def);
    /* A range given in part keeps the default of the other end. */
    assert_int_equal(parse(&sc, "{\"server\": {\"agent\": {\"think_ms\": {\"max\": 500}}}}",
                           err, sizeof(err)), GP_OK);
    assert_int_equal(sc.server.think.min_ms, 20);
    assert_int_equal(sc.server.think.max_ms, 500);
    assert_int_equal(sc.server.tool.max_ms, 40);
}

/* ---- errors in files ----------------------------------------------------- */

static void test_error_syntax(void **state)
{
    (void)state;
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    int rc = parse(&sc, "{\n  \"seed\": 1,\n  \"name\": ,\n}\n", err, sizeof(err));
    assert_int_equal(rc, GP_ERR_BAD_JSON);
    assert_starts_with(err, ORIGIN ":3:");
    /* Duplicate keys would mean different things to different readers. */
    rc = parse(&sc, "{\"seed\": 1,\n\"seed\": 2}", err, sizeof(err));
    assert_int_equal(rc, GP_ERR_BAD_JSON);
    assert_starts_with(err, ORIGIN ":2:");
    assert_contains(err, "duplicate");
    /* Seeds above 2^63 - 1 must be strings; the error says so. */
    rc = parse(&sc, "{\"seed\": 18446744073709551615}", err, sizeof(err));
    assert_int_equal(rc, GP_ERR_BAD_JSON);
    assert_contains(err, "decimal string");
    /* Trailing garbage and an empty file. */
    assert_int_equal(parse(&sc, "{} x", err, sizeof(err)), GP_ERR_BAD_JSON);
    assert_int_equal(parse(&sc, "", err, sizeof(err)), GP_ERR_BAD_JSON);
    assert_starts_with(err, ORIGIN ":");
}

static void test_error_top_level_not_object(void **state)
{
    (void)state;
    assert_parse_error("[1, 2]", GP_ERR_INVALID_ARG, "(top level)",
                       "expected an object with fields name, description, seed, "
                       "profile, clients, network, server, faults, limits, expect, report, live, "
                       "got [1,2]");
    assert_parse_error("\"golden\"", GP_ERR_INVALID_ARG, "(top level)", "got \"golden\"");
    assert_parse_error("null", GP_ERR_INVALID_ARG, "(top level)", "got null");
}

static void test_error_unknown_top_level_field(void **state)
{
    (void)state;
    assert_parse_error("{\"name\": \"x\", \"sede\": 7}", GP_ERR_INVALID_ARG, "sede",
                       "unknown field (allowed at the top level: name, description, "
                       "seed, profile, clients, network, server, faults, limits, expect, report, "
                       "live)");
}

/* Every error of a file at once, one line each, in the file's order, then
 * the cross-field rules; a mistyped field gets a "did you mean". */
static void test_every_error_reported_at_once(void **state)
{
    (void)state;
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    const char *json = "{\"clients\": {\"count\": -3, \"arival\": \"uniform\"},"
                       " \"faults\": {\"disconect\": {}, \"accept_race\": 2},"
                       " \"network\": {\"latency\": {\"distribution\": \"uniform\","
                       " \"min_ms\": 50, \"max_ms\": 10}}}";
    int rc = parse(&sc, json, err, sizeof(err));
    assert_int_not_equal(rc, GP_OK);
    const char *want[] = {
        ORIGIN ": clients.count: expected an integer",
        ORIGIN ": clients.arival: unknown field (allowed in clients: ",
        ORIGIN ": faults.disconect: unknown field (allowed in faults: ",
        ORIGIN ": faults.accept_race: expected a number between 0 and 1, got 2",
        ORIGIN ": network.latency: min_ms (50) is greater than max_ms (10)",
    };
    const char *line = err;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_non_null(line);
        if (strncmp(line, want[i], strlen(want[i])) != 0)
            fail_msg("line %zu: %.120s\nwant: %s", i + 1, line, want[i]);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    assert_null(line); /* nothing more */
    assert_contains(err, "arrival, window_ms");
    assert_contains(err, "; did you mean \"arrival\"?");
    assert_contains(err, "; did you mean \"disconnect\"?");
    /* nothing close: no suggestion */
    assert_parse_error("{\"faults\": {\"zzzzzzzz\": 1}}", GP_ERR_INVALID_ARG,
                       "faults.zzzzzzzz", "unknown field");
    parse(&sc, "{\"faults\": {\"zzzzzzzz\": 1}}", err, sizeof(err));
    assert_null(strstr(err, "did you mean"));
    /* a flood of errors stays within the buffer and says so */
    char big[16384];
    size_t used = (size_t)snprintf(big, sizeof(big), "{");
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(big + used, sizeof(big) - used, "%s\"unknown_%03d\": 1",
                                 i ? "," : "", i);
    snprintf(big + used, sizeof(big) - used, "}");
    assert_int_equal(parse(&sc, big, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_true(strlen(err) < sizeof(err));
    assert_contains(err, "(more errors not shown)");
    /* an override still stops at its one error */
    gp_scenario_defaults(&sc);
    assert_int_not_equal(gp_scenario_set(&sc, "faults.acept_race=0.1", err, sizeof(err)), GP_OK);
    assert_null(strchr(err, '\n'));
    assert_contains(err, "did you mean \"accept_race\"?");
}

static void test_error_unknown_nested_field(void **state)
{
    (void)state;
    assert_parse_error("{\"faults\": {\"disconect\": {\"ready\": 0.1}}}",
                       GP_ERR_INVALID_ARG, "faults.disconect",
                       "unknown field (allowed in faults: accept_race, slow_accept, "
                       "slow_accept_ms, disconnect, bad_token, early_message, no_auth, "
                       "bad_input, edge_token, agent_failure, until_ms)");
    assert_parse_error("{\"server\": {\"agent\": {\"think_ms\": {\"min\": 1, \"mx\": 2}}}}",
                       GP_ERR_INVALID_ARG, "server.agent.think_ms.mx",
                       "(allowed in server.agent.think_ms: min, max)");
    /* A dotted key must not reach a nested field by the back door. */
    assert_parse_error("{\"faults.accept_race\": 0.1}", GP_ERR_INVALID_ARG,
                       "faults.accept_race", "unknown field");
    assert_parse_error("{\"clients\": {\"\": 1}}", GP_ERR_INVALID_ARG, "clients.",
                       "unknown field");
}

static void test_error_wrong_type(void **state)
{
    (void)state;
    assert_parse_error("{\"clients\": {\"count\": \"abc\"}}", GP_ERR_INVALID_ARG,
                       "clients.count",
                       "expected an integer between 1 and 2000000, got \"abc\"");
    assert_parse_error("{\"faults\": {\"accept_race\": \"abc\"}}", GP_ERR_INVALID_ARG,
                       "faults.accept_race",
                       "expected a number between 0 and 1, got \"abc\"");
    assert_parse_error("{\"clients\": {\"count\": 1.5}}", GP_ERR_INVALID_ARG,
                       "clients.count", "got 1.5");
    assert_parse_error("{\"clients\": 5}", GP_ERR_INVALID_ARG, "clients",
                       "expected an object with fields count, arrival");
    assert_parse_error("{\"server\": {\"agent\": {\"think_ms\": 5}}}", GP_ERR_INVALID_ARG,
                       "server.agent.think_ms", "expected an object with fields min, max, got 5");
    assert_parse_error("{\"clients\": {\"arrival\": \"burst\"}}", GP_ERR_INVALID_ARG,
                       "clients.arrival",
                       "expected one of \"all_at_once\", \"uniform\", \"ramp\", got \"burst\"");
    assert_parse_error("{\"network\": {\"latency\": {\"distribution\": \"normal\"}}}",
                       GP_ERR_INVALID_ARG, "network.latency.distribution",
                       "\"fixed\", \"uniform\", \"exponential\"");
    assert_parse_error("{\"name\": 7}", GP_ERR_INVALID_ARG, "name", "expected a string, got 7");
    assert_parse_error("{\"name\": null}", GP_ERR_INVALID_ARG, "name", "got null");
    assert_parse_error("{\"server\": {\"bugs\": \"accept_race\"}}", GP_ERR_INVALID_ARG,
                       "server.bugs", "expected an array of bug names");
    assert_parse_error("{\"server\": {\"bugs\": [3]}}", GP_ERR_INVALID_ARG,
                       "server.bugs[0]", "expected a bug name, got 3");
}

static void test_error_negative_count(void **state)
{
    (void)state;
    assert_parse_error("{\"clients\": {\"count\": -5}}", GP_ERR_INVALID_ARG,
                       "clients.count", "got -5");
    assert_parse_error("{\"clients\": {\"count\": 0}}", GP_ERR_INVALID_ARG,
                       "clients.count", "got 0");
    assert_parse_error("{\"clients\": {\"count\": 10000001}}", GP_ERR_INVALID_ARG,
                       "clients.count", "got 10000001");
    assert_parse_error("{\"server\": {\"max_connections\": 4294967296}}",
                       GP_ERR_INVALID_ARG, "server.max_connections",
                       "between 0 and 4294967295");
}

static void test_error_rate_above_one(void **state)
{
    (void)state;
    assert_parse_error("{\"network\": {\"drop_rate\": 1.5}}", GP_ERR_INVALID_ARG,
                       "network.drop_rate", "expected a number between 0 and 1, got 1.5");
    assert_parse_error("{\"expect\": {\"min_completion_rate\": 2}}", GP_ERR_INVALID_ARG,
                       "expect.min_completion_rate", "got 2");
    /* Both ends are allowed, as integers too. */
    gp_scenario sc;
    assert_int_equal(parse(&sc, "{\"faults\": {\"agent_failure\": 1}, "
                                "\"clients\": {\"header_auth_fraction\": 0}}", NULL, 0),
                     GP_OK);
    assert_true(sc.faults.agent_failure == 1.0);
    assert_true(sc.clients.header_auth_fraction == 0.0);
}

static void test_error_rate_below_zero(void **state)
{
    (void)state;
    assert_parse_error("{\"faults\": {\"disconnect\": {\"ready\": -0.1}}}",
                       GP_ERR_INVALID_ARG, "faults.disconnect.ready", "got -0.1");
}

static void test_error_range_min_above_max(void **state)
{
    (void)state;
    assert_parse_error("{\"server\": {\"agent\": {\"think_ms\": {\"min\": 100, \"max\": 50}}}}",
                       GP_ERR_INVALID_ARG, "server.agent.think_ms",
                       "min (100) is greater than max (50)");
    /* Against the default of the end left out. */
    assert_parse_error("{\"server\": {\"agent\": {\"tool_ms\": {\"min\": 41}}}}",
                       GP_ERR_INVALID_ARG, "server.agent.tool_ms",
                       "min (41) is greater than max (40)");
    assert_parse_error("{\"clients\": {\"request_gap_ms\": {\"min\": 2, \"max\": 1}}}",
                       GP_ERR_INVALID_ARG, "clients.request_gap_ms", NULL);
    assert_parse_error("{\"server\": {\"accept_delay_ms\": {\"min\": 2}}}",
                       GP_ERR_INVALID_ARG, "server.accept_delay_ms", NULL);
}

static void test_error_unknown_bug(void **state)
{
    (void)state;
    assert_parse_error("{\"server\": {\"bugs\": [\"accept_race\", \"id_regen\"]}}",
                       GP_ERR_INVALID_ARG, "server.bugs[1]",
                       "unknown bug \"id_regen\" (known bugs: id_regeneration, "
                       "accept_race, swallow_transition_errors)");
    assert_parse_error("{\"server\": {\"bugs\": [\"accept_race\", \"accept_race\"]}}",
                       GP_ERR_INVALID_ARG, "server.bugs[1]", "listed twice");
}

static void test_error_unknown_check(void **state)
{
    (void)state;
    assert_parse_error("{\"expect\": {\"violations\": [\"stuck_connection\"]}}",
                       GP_ERR_INVALID_ARG, "expect.violations[0]",
                       "unknown check \"stuck_connection\" (known checks: "
                       "missing_agent_events, events_out_of_order");
    assert_parse_error("{\"expect\": {\"violations\": [\"false_ready\", \"false_ready\"]}}",
                       GP_ERR_INVALID_ARG, "expect.violations[1]", "listed twice");
}

static void test_error_disconnect_sum_over_one(void **state)
{
    (void)state;
    assert_parse_error("{\"faults\": {\"disconnect\": {\"connecting\": 0.3, "
                       "\"authenticating\": 0.3, \"ready\": 0.3, \"processing\": 0.3}}}",
                       GP_ERR_INVALID_ARG, "faults.disconnect",
                       "the rates add up to 1.2, more than 1");
    assert_parse_error("{\"faults\": {\"bad_token\": {\"bad_signature\": 0.5, "
                       "\"expired\": 0.5, \"alg_none\": 0.01}}}",
                       GP_ERR_INVALID_ARG, "faults.bad_token", "more than 1");
    /* Exactly 1 is allowed, rounding error included. */
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    assert_int_equal(parse(&sc, "{\"faults\": {\"disconnect\": {\"connecting\": 0.1, "
                                "\"authenticating\": 0.2, \"ready\": 0.3, "
                                "\"processing\": 0.4}}}", err, sizeof(err)),
                     GP_OK);
}

static void test_error_requests_per_client(void **state)
{
    (void)state;
    assert_parse_error("{\"clients\": {\"requests_per_client\": 0}}", GP_ERR_INVALID_ARG,
                       "clients.requests_per_client",
                       "expected an integer between 1 and 16, got 0");
    assert_parse_error("{\"clients\": {\"requests_per_client\": 17}}", GP_ERR_INVALID_ARG,
                       "clients.requests_per_client",
                       "expected an integer between 1 and 16, got 17");
    gp_scenario sc;
    assert_int_equal(parse(&sc, "{\"clients\": {\"requests_per_client\": 16}}", NULL, 0),
                     GP_OK);
    assert_int_equal(sc.clients.requests, 16);
}

static void test_error_missing_window(void **state)
{
    (void)state;
    assert_parse_error("{\"clients\": {\"arrival\": \"uniform\", \"window_ms\": 0}}",
                       GP_ERR_INVALID_ARG, "clients.window_ms",
                       "must be at least 1 when clients.arrival is \"uniform\"");
    assert_parse_error("{\"clients\": {\"arrival\": \"ramp\", \"window_ms\": 0}}",
                       GP_ERR_INVALID_ARG, "clients.window_ms", "\"ramp\"");
    gp_scenario sc;
    assert_int_equal(parse(&sc, "{\"clients\": {\"arrival\": \"all_at_once\", "
                                "\"window_ms\": 0}}", NULL, 0), GP_OK);
}

static void test_error_other_rules(void **state)
{
    (void)state;
    assert_parse_error("{\"network\": {\"latency\": {\"distribution\": \"exponential\", "
                       "\"min_ms\": 1, \"mean_ms\": 600, \"max_ms\": 500}}}",
                       GP_ERR_INVALID_ARG, "network.latency", "min_ms <= mean_ms <= max_ms");
    assert_parse_error("{\"network\": {\"latency\": {\"min_ms\": 20, \"max_ms\": 10}}}",
                       GP_ERR_INVALID_ARG, "network.latency",
                       "min_ms (20) is greater than max_ms (10)");
    /* A fixed latency uses min_ms alone. */
    gp_scenario sc;
    assert_int_equal(parse(&sc, "{\"network\": {\"latency\": {\"distribution\": \"fixed\", "
                                "\"min_ms\": 20, \"max_ms\": 10, \"mean_ms\": 0}}}", NULL, 0),
                     GP_OK);
    assert_parse_error("{\"report\": {\"bucket_ms\": 0}}", GP_ERR_INVALID_ARG,
                       "report.bucket_ms", "got 0");
    assert_parse_error("{\"server\": {\"stuck_after_ms\": 0}}", GP_ERR_INVALID_ARG,
                       "server.stuck_after_ms", "got 0");
    assert_parse_error("{\"limits\": {\"run_timeout_ms\": 0}}", GP_ERR_INVALID_ARG,
                       "limits.run_timeout_ms", "got 0");
}

static void test_error_string_limits(void **state)
{
    (void)state;
    char json[GP_SCENARIO_DESC_MAX + 64];
    snprintf(json, sizeof(json), "{\"name\": \"%0*d\"}", GP_SCENARIO_NAME_MAX, 0);
    assert_parse_error(json, GP_ERR_TOO_LONG, "name", "too long: 128 bytes, at most 127");
    snprintf(json, sizeof(json), "{\"name\": \"%0*d\"}", GP_SCENARIO_NAME_MAX - 1, 0);
    gp_scenario sc;
    assert_int_equal(parse(&sc, json, NULL, 0), GP_OK);
    assert_int_equal(strlen(sc.name), GP_SCENARIO_NAME_MAX - 1);
    snprintf(json, sizeof(json), "{\"description\": \"%0*d\"}", GP_SCENARIO_DESC_MAX, 0);
    assert_parse_error(json, GP_ERR_TOO_LONG, "description", "at most 1023");
    assert_parse_error("{\"name\": \"\"}", GP_ERR_INVALID_ARG, "name", "must not be empty");
}

static void test_error_seed(void **state)
{
    (void)state;
    assert_parse_error("{\"seed\": -1}", GP_ERR_INVALID_ARG, "seed", "got -1");
    assert_parse_error("{\"seed\": \"12a\"}", GP_ERR_INVALID_ARG, "seed", "got \"12a\"");
    assert_parse_error("{\"seed\": \" 12\"}", GP_ERR_INVALID_ARG, "seed", NULL);
    assert_parse_error("{\"seed\": \"18446744073709551616\"}", GP_ERR_INVALID_ARG, "seed",
                       NULL);
    assert_parse_error("{\"seed\": 1e3}", GP_ERR_INVALID_ARG, "seed", NULL);
    gp_scenario sc;
    assert_int_equal(parse(&sc, "{\"seed\": \"18446744073709551615\"}", NULL, 0), GP_OK);
    assert_true(sc.seed == UINT64_MAX);
    assert_int_equal(parse(&sc, "{\"seed\": 9223372036854775807}", NULL, 0), GP_OK);
    assert_true(sc.seed == 9223372036854775807ull);
    assert_int_equal(parse(&sc, "{\"seed\": 0}", NULL, 0), GP_OK);
    assert_true(sc.seed == 0);
}

static void test_error_file_not_found(void **state)
{
    (void)state;
    const char *path = GP_SOURCE_DIR "/scenarios/no_such_scenario.json";
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "", want[GP_SCENARIO_ERR_MAX];
    assert_int_equal(gp_scenario_load(&sc, path, err, sizeof(err)), GP_ERR_NOT_FOUND);
    snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
    assert_string_equal(err, want);
    /* A directory, or a FIFO (which would block a plain open for ever), is
     * not a scenario file. */
    assert_int_equal(gp_scenario_load(&sc, GP_SOURCE_DIR "/scenarios", err, sizeof(err)),
                     GP_ERR_INVALID_ARG);
    assert_starts_with(err, GP_SOURCE_DIR "/scenarios: not a regular file");
    char fifo[] = "/tmp/gp_test_fifo_XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(gp_scenario_load(&sc, fifo, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "not a regular file"));
    unlink(fifo);
}

static void test_error_file_names_path(void **state)
{
    (void)state;
    char path[] = "/tmp/gp_test_scenario_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("{\n  \"faults\": {\n    \"disconect\": {}\n  }\n}\n", f);
    fclose(f);
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "", want[GP_SCENARIO_ERR_MAX];
    int rc = gp_scenario_load(&sc, path, err, sizeof(err));
    remove(path);
    assert_int_equal(rc, GP_ERR_INVALID_ARG);
    snprintf(want, sizeof(want), "%s: faults.disconect: unknown field", path);
    assert_starts_with(err, want);
}

static void test_error_buffer_limits(void **state)
{
    (void)state;
    gp_scenario sc;
    /* No buffer: the code still comes back. */
    assert_int_equal(parse(&sc, "{", NULL, 0), GP_ERR_BAD_JSON);
    assert_int_equal(parse(&sc, "{\"x\": 1}", NULL, 0), GP_ERR_INVALID_ARG);
    /* A short buffer is cut, never overrun. */
    char err[12];
    memset(err, 'z', sizeof(err));
    assert_int_equal(parse(&sc, "{\"x\": 1}", err, 8), GP_ERR_INVALID_ARG);
    assert_string_equal(err, "origin.");
    assert_int_equal(err[8], 'z');
}

/* ---- shipped scenarios --------------------------------------------------- */

/* Loads every *.json in dir; returns how many; ORs their bugs into *bugs. */
static int load_all(const char *dir, bool bug_dir, gp_bug_set *bugs)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[1024], err[GP_SCENARIO_ERR_MAX] = "";
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        gp_scenario sc;
        int rc = gp_scenario_load(&sc, path, err, sizeof(err));
        if (rc != GP_OK)
            fail_msg("%s: %s", gp_err_name(rc), err);
        if (strlen(sc.description) < 40)
            fail_msg("%s: the description should tell a person what it tests", path);
        if (bug_dir && (sc.server.bugs == 0 || sc.expect.violations_len == 0))
            fail_msg("%s: a bug scenario switches a bug on and expects violations", path);
        if (!bug_dir && sc.server.bugs != 0)
            fail_msg("%s: scenarios outside bugs/ run the fixed server", path);
        *bugs |= sc.server.bugs;
        n++;
    }
    closedir(d);
    return n;
}

static void test_shipped_scenarios_load(void **state)
{
    (void)state;
    gp_bug_set bugs = 0, bug_dir_bugs = 0;
    assert_true(load_all(GP_SOURCE_DIR "/scenarios", false, &bugs) >= 7);
    assert_true(load_all(GP_SOURCE_DIR "/scenarios/bugs", true, &bug_dir_bugs) >= 3);
    /* DESIGN.md: every bug of the catalog has a scenario that must fail. */
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (!(bug_dir_bugs & GP_BUG_BIT(b)))
            fail_msg("no scenario under scenarios/bugs/ switches on %s",
                     gp_bug_name((gp_bug)b));
}

static void load_ok(gp_scenario *sc, const char *rel)
{
    char path[1024], err[GP_SCENARIO_ERR_MAX] = "";
    snprintf(path, sizeof(path), "%s/%s", GP_SOURCE_DIR, rel);
    int rc = gp_scenario_load(sc, path, err, sizeof(err));
    if (rc != GP_OK)
        fail_msg("%s: %s", gp_err_name(rc), err);
    assert_string_equal(sc->path, path);
}

static void test_shipped_scenario_contents(void **state)
{
    (void)state;
    gp_scenario sc;
    load_ok(&sc, "scenarios/golden_path.json");
    assert_int_equal(sc.clients.count, 10000);
    assert_int_equal(sc.clients.arrival, GP_ARRIVAL_UNIFORM);
    assert_int_equal(sc.clients.window_ms, 10000);
    assert_int_equal(sc.clients.requests, 1);
    assert_int_equal(sc.server.bugs, 0);
    assert_true(sc.faults.accept_race == 0 && sc.faults.agent_failure == 0);

    load_ok(&sc, "scenarios/lossy_network.json");
    assert_int_equal(sc.network.latency, GP_LATENCY_EXPONENTIAL);
    assert_int_equal(sc.network.latency_min_ms, 1);
    assert_int_equal(sc.network.latency_mean_ms, 20);
    assert_int_equal(sc.network.latency_max_ms, 500);
    assert_true(sc.network.drop_rate == 0.02 && sc.network.duplicate_rate == 0.01 &&
                sc.network.reorder_rate == 0.05);

    load_ok(&sc, "scenarios/thundering_herd.json");
    assert_int_equal(sc.clients.count, 5000);
    assert_int_equal(sc.clients.arrival, GP_ARRIVAL_ALL_AT_ONCE);
    assert_true(sc.faults.early_message == 0.05 && sc.faults.slow_accept == 0.02);

    load_ok(&sc, "scenarios/bugs/swallow_transition_errors.json");
    assert_int_equal(sc.server.bugs, GP_BUG_BIT(GP_BUG_SWALLOW_TRANSITION_ERRORS) |
                                         GP_BUG_BIT(GP_BUG_ACCEPT_RACE));
    assert_true(sc.faults.accept_race == 0.3);
    assert_int_equal(sc.expect.violations_len, 2);
    assert_string_equal(sc.expect.violations[0], "invalid_transitions");
    assert_string_equal(sc.expect.violations[1], "false_ready");
}

/* ---- --set --------------------------------------------------------------- */

static void test_set_overrides(void **state)
{
    (void)state;
    gp_scenario sc, want;
    gp_scenario_defaults(&sc);
    want = sc;

    set_ok(&sc, "clients.count=500");
    want.clients.count = 500;
    set_ok(&sc, "faults.accept_race=0.25");
    want.faults.accept_race = 0.25;
    set_ok(&sc, "clients.arrival=ramp"); /* a bare word is a string */
    want.clients.arrival = GP_ARRIVAL_RAMP;
    set_ok(&sc, "network.latency.distribution=\"fixed\"");
    want.network.latency = GP_LATENCY_FIXED;
    set_ok(&sc, "name=my run");
    strcpy(want.name, "my run");
    set_ok(&sc, "server.agent.think_ms={\"min\":1,\"max\":2}");
    want.server.think = (gp_range_ms){1, 2};
    set_ok(&sc, "server.agent.tool_ms.min=5");
    want.server.tool.min_ms = 5;
    set_ok(&sc, "server.bugs=[\"accept_race\",\"id_regeneration\"]");
    want.server.bugs = GP_BUG_BIT(GP_BUG_ACCEPT_RACE) | GP_BUG_BIT(GP_BUG_ID_REGENERATION);
    set_ok(&sc, "faults={\"slow_accept\":0.5,\"disconnect\":{\"ready\":0.2}}");
    want.faults.slow_accept = 0.5;
    want.faults.disconnect[GP_PHASE_READY] = 0.2;
    set_ok(&sc, "seed=18446744073709551615"); /* too big for JSON: taken as a string */
    want.seed = UINT64_MAX;
    set_ok(&sc, "expect.violations=[\"false_ready\"]");
    want.expect.violations_len = 1;
    strcpy(want.expect.violations[0], "false_ready");
    assert_memory_equal(&sc, &want, sizeof(sc));

    /* Lists replace: an empty one clears. */
    set_ok(&sc, "server.bugs=[]");
    assert_int_equal(sc.server.bugs, 0);
    assert_int_equal(gp_scenario_validate(&sc, NULL, 0), GP_OK);
}

static void test_set_errors(void **state)
{
    (void)state;
    assert_set_error("clients.count=abc", GP_ERR_INVALID_ARG, "clients.count",
                     "expected an integer between 1 and 2000000, got \"abc\"");
    assert_set_error("clients.count=0", GP_ERR_INVALID_ARG, "clients.count", "got 0");
    assert_set_error("faults.accept_race=2", GP_ERR_INVALID_ARG, "faults.accept_race",
                     "expected a number between 0 and 1, got 2");
    assert_set_error("clients.arrival=burst", GP_ERR_INVALID_ARG, "clients.arrival",
                     "got \"burst\"");
    assert_set_error("server.bugs=[\"nope\"]", GP_ERR_INVALID_ARG, "server.bugs[0]",
                     "unknown bug \"nope\" (known bugs: id_regeneration");
    assert_set_error("server.bugs=accept_race", GP_ERR_INVALID_ARG, "server.bugs",
                     "expected an array of bug names");
    assert_set_error("expect.violations=[\"nope\"]", GP_ERR_INVALID_ARG,
                     "expect.violations[0]", "unknown check");
    assert_set_error("server.agent.think_ms=5", GP_ERR_INVALID_ARG, "server.agent.think_ms",
                     "expected an object with fields min, max");
    assert_set_error("name=", GP_ERR_INVALID_ARG, "name", "must not be empty");
    assert_set_error("nosuch=1", GP_ERR_INVALID_ARG, "nosuch",
                     "unknown field (allowed at the top level: name,");
    assert_set_error("server.agnt.think_ms=1", GP_ERR_INVALID_ARG, "server.agnt",
                     "unknown field (allowed in server: bugs, accept_delay_ms, upgrade_before_accept, agent,");
    assert_set_error("server.agent.think_ms.avg=1", GP_ERR_INVALID_ARG,
                     "server.agent.think_ms.avg", "(allowed in server.agent.think_ms: min, max)");
    assert_set_error("server.bugs.x=1", GP_ERR_INVALID_ARG, "server.bugs.x",
                     "server.bugs is a value, not an object");
    assert_set_error("server..agent=1", GP_ERR_INVALID_ARG, "server.", "unknown field");
    assert_set_error("server.agent.think_ms={\"min\":1", GP_ERR_BAD_JSON,
                     "server.agent.think_ms", "value is not valid JSON");
    assert_set_error("clients.count", GP_ERR_INVALID_ARG, NULL, "expected PATH=VALUE");
    assert_set_error("=5", GP_ERR_INVALID_ARG, NULL, "expected PATH=VALUE");
}

static void test_set_then_validate(void **state)
{
    (void)state;
    gp_scenario sc;
    char err[GP_SCENARIO_ERR_MAX] = "";
    load_ok(&sc, "scenarios/accept_race.json");
    /* One end at a time may pass through an invalid state... */
    set_ok(&sc, "server.agent.think_ms.min=500");
    /* ...which gp_scenario_validate then reports against the file. */
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_ERR_INVALID_ARG);
    char want[GP_SCENARIO_ERR_MAX];
    snprintf(want, sizeof(want),
             "%s/scenarios/accept_race.json: server.agent.think_ms: min (500) is greater "
             "than max (80)", GP_SOURCE_DIR);
    assert_string_equal(err, want);
    set_ok(&sc, "server.agent.think_ms.max=900");
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_OK);

    set_ok(&sc, "faults.disconnect.ready=0.7");
    set_ok(&sc, "faults.disconnect.processing=0.7");
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_contains(err, ": faults.disconnect: the rates add up to 1.4");

    /* A scenario built in code is named "scenario"; bad values in the struct
     * are caught as they would be in a file. */
    gp_scenario_defaults(&sc);
    sc.network.reorder_rate = 1.5;
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_string_equal(err, "scenario: network.reorder_rate: expected a number "
                             "between 0 and 1, got 1.5");
    gp_scenario_defaults(&sc);
    sc.expect.violations_len = 1;
    strcpy(sc.expect.violations[0], "nope");
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_contains(err, "expect.violations");
    gp_scenario_defaults(&sc);
    sc.server.bugs = GP_BUG_BIT(GP_BUG_COUNT);
    assert_int_equal(gp_scenario_validate(&sc, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_contains(err, "server.bugs");
}

/* ---- to_json ------------------------------------------------------------- */

static void test_to_json_round_trip_defaults(void **state)
{
    (void)state;
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    assert_round_trip(&sc);
}

/* Every field away from its default: a field that to_json forgot, or that
 * the parser cannot read, comes back as the default and fails the compare. */
static void test_to_json_round_trip_every_field(void **state)
{
    (void)state;
    gp_scenario sc, def;
    gp_scenario_defaults(&sc);
    def = sc;
    strcpy(sc.name, "every \"field\" \xc3\xa9");
    strcpy(sc.description, "line one\nline two");
    sc.seed = UINT64_MAX - 1; /* written as a string */
    sc.clients.count = 12345;
    sc.clients.arrival = GP_ARRIVAL_RAMP;
    sc.clients.window_ms = 777;
    sc.clients.header_auth_fraction = 1.0 / 3.0;
    sc.clients.requests = 16;
    sc.clients.request_gap = (gp_range_ms){3, 4};
    sc.clients.user_pool = 9;
    sc.network.latency = GP_LATENCY_EXPONENTIAL;
    sc.network.latency_min_ms = 2;
    sc.network.latency_max_ms = 900;
    sc.network.latency_mean_ms = 30;
    sc.network.drop_rate = 0.1;
    sc.network.retransmit_ms = 150;
    sc.network.duplicate_rate = 0.2;
    sc.network.reorder_rate = 1e-9;
    sc.server.bugs = GP_BUG_BIT(GP_BUG_COUNT) - 1;
    sc.server.accept_delay = (gp_range_ms){5, 6};
    sc.server.think = (gp_range_ms){7, 8};
    sc.server.tool = (gp_range_ms){9, 10};
    sc.server.stuck_after_ms = 11;
    sc.server.auth_timeout_ms = 12;
    sc.server.max_message_bytes = 13;
    sc.server.max_connections = 14;
    sc.faults.accept_race = 0.01;
    sc.faults.slow_accept = 0.02;
    sc.faults.slow_accept_ms = 15;
    for (int p = 0; p < GP_PHASE_COUNT; p++)
        sc.faults.disconnect[p] = 0.03 + 0.01 * p;
    for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++)
        sc.faults.bad_token[t] = 0.02 + 0.005 * t;
    for (int k = 0; k < GP_BAD_INPUT_COUNT; k++)
        sc.faults.bad_input[k] = 0.01 + 0.004 * k;
    for (int e = 0; e < GP_EDGE_TOKEN_COUNT; e++)
        sc.faults.edge_token[e] = 0.15 + 0.1 * e;
    sc.faults.no_auth = 0.0625;
    sc.faults.until_ms = 21;
    sc.faults.early_message = 0.11;
    sc.faults.agent_failure = 0.12;
    sc.limits.ready_timeout_ms = 16;
    sc.limits.request_timeout_ms = 17;
    sc.limits.run_timeout_ms = 5000000000ull;
    sc.expect.min_transition_success_rate = 0.5;
    sc.expect.min_completion_rate = 0.25;
    sc.expect.violations_len = 2;
    strcpy(sc.expect.violations[0], "faults_not_fired");
    strcpy(sc.expect.violations[1], "isolation");
    sc.report.bucket_ms = 18;
    sc.live.handshakes_in_flight = 19;
    sc.live.source_addresses = 20;
    assert_int_equal(gp_scenario_validate(&sc, NULL, 0), GP_OK);
    assert_round_trip(&sc);

    /* File order, the file's shape. */
    char *json = gp_scenario_to_json(&sc);
    assert_non_null(json);
    assert_starts_with(json, "{\n  \"name\": ");
    assert_contains(json, "\"seed\": \"18446744073709551614\"");
    assert_contains(json, "\"think_ms\": {\n        \"min\": 7,\n        \"max\": 8\n");
    const char *order[] = {"\"name\"", "\"description\"", "\"seed\"", "\"clients\"",
                           "\"network\"", "\"server\"", "\"faults\"", "\"limits\"",
                           "\"expect\"", "\"report\"", "\"live\""};
    const char *prev = json;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *at = strstr(json, order[i]);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    free(json);
    (void)def;
}

static void test_to_json_shipped_round_trip(void **state)
{
    (void)state;
    gp_scenario sc;
    load_ok(&sc, "scenarios/lossy_network.json");
    assert_round_trip(&sc);
    /* Rates that have a short exact decimal are written with it. */
    char *json = gp_scenario_to_json(&sc);
    assert_non_null(json);
    assert_contains(json, "\"drop_rate\": 0.02,");
    assert_contains(json, "\"header_auth_fraction\": 0.5,");
    assert_contains(json, "\"min_completion_rate\": 1.0,");
    free(json);
    load_ok(&sc, "scenarios/bugs/id_regeneration.json");
    assert_round_trip(&sc);
}

/* ---- names --------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(gp_phase_name(GP_PHASE_CONNECTING), "connecting");
    assert_string_equal(gp_phase_name(GP_PHASE_AUTHENTICATING), "authenticating");
    assert_string_equal(gp_phase_name(GP_PHASE_READY), "ready");
    assert_string_equal(gp_phase_name(GP_PHASE_PROCESSING), "processing");
    assert_null(gp_phase_name(GP_PHASE_COUNT));
    assert_string_equal(gp_bad_token_name(GP_BAD_TOKEN_SIGNATURE), "bad_signature");
    assert_string_equal(gp_bad_token_name(GP_BAD_TOKEN_EXPIRED), "expired");
    assert_string_equal(gp_bad_token_name(GP_BAD_TOKEN_ALG_NONE), "alg_none");
    assert_null(gp_bad_token_name(GP_BAD_TOKEN_COUNT));
    assert_string_equal(gp_arrival_name(GP_ARRIVAL_ALL_AT_ONCE), "all_at_once");
    assert_string_equal(gp_arrival_name(GP_ARRIVAL_RAMP), "ramp");
    assert_null(gp_arrival_name((gp_arrival)3));
    assert_string_equal(gp_latency_dist_name(GP_LATENCY_EXPONENTIAL), "exponential");
    assert_null(gp_latency_dist_name((gp_latency_dist)3));

    /* The file paths are built from the same names the reports print. */
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    for (int p = 0; p < GP_PHASE_COUNT; p++) {
        char a[128];
        snprintf(a, sizeof(a), "faults.disconnect.%s=0.%d", gp_phase_name((gp_phase)p), p + 1);
        set_ok(&sc, a);
        assert_true(sc.faults.disconnect[p] == (p + 1) / 10.0);
    }
    for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++) {
        char a[128];
        snprintf(a, sizeof(a), "faults.bad_token.%s=%d.0e-2", gp_bad_token_name((gp_bad_token)t),
                 t + 1);
        set_ok(&sc, a);
        assert_true(sc.faults.bad_token[t] == (t + 1) / 100.0);
    }
    for (int k = 0; k < GP_BAD_INPUT_COUNT; k++) {
        char a[128];
        snprintf(a, sizeof(a), "faults.bad_input.%s=%d.0e-2", gp_bad_input_name((gp_bad_input)k),
                 k + 1);
        set_ok(&sc, a);
        assert_true(sc.faults.bad_input[k] == (k + 1) / 100.0);
    }
    for (int e = 0; e < GP_EDGE_TOKEN_COUNT; e++) {
        char a[128];
        snprintf(a, sizeof(a), "faults.edge_token.%s=%d.0e-1",
                 gp_edge_token_name((gp_edge_token)e), e + 1);
        set_ok(&sc, a);
        assert_true(sc.faults.edge_token[e] == (e + 1) / 10.0);
    }
    assert_null(gp_bad_input_name(GP_BAD_INPUT_COUNT));
    assert_null(gp_edge_token_name(GP_EDGE_TOKEN_COUNT));
}

static void test_check_names(void **state)
{
    (void)state;
    static const char *const names[] = {
#define NAME(e, name, doc) name,
        GP_CHECK_MAP(NAME)
#undef NAME
    };
    size_t n = sizeof(names) / sizeof(names[0]);
    assert_true(n <= GP_EXPECT_VIOLATIONS_MAX);
    for (size_t i = 0; i < n; i++) {
        assert_true(strlen(names[i]) < GP_CHECK_NAME_MAX);
        assert_true(gp_scenario_check_name_known(names[i]));
    }
    assert_false(gp_scenario_check_name_known("nope"));
    assert_false(gp_scenario_check_name_known("FALSE_READY"));
    assert_false(gp_scenario_check_name_known(""));
    assert_false(gp_scenario_check_name_known(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_values),
        cmocka_unit_test(test_defaults_when_fields_absent),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_top_level_not_object),
        cmocka_unit_test(test_error_unknown_top_level_field),
        cmocka_unit_test(test_error_unknown_nested_field),
        cmocka_unit_test(test_every_error_reported_at_once),
        cmocka_unit_test(test_error_wrong_type),
        cmocka_unit_test(test_error_negative_count),
        cmocka_unit_test(test_error_rate_above_one),
        cmocka_unit_test(test_error_rate_below_zero),
        cmocka_unit_test(test_error_range_min_above_max),
        cmocka_unit_test(test_error_unknown_bug),
        cmocka_unit_test(test_error_unknown_check),
        cmocka_unit_test(test_error_disconnect_sum_over_one),
        cmocka_unit_test(test_error_requests_per_client),
        cmocka_unit_test(test_error_missing_window),
        cmocka_unit_test(test_error_other_rules),
        cmocka_unit_test(test_error_string_limits),
        cmocka_unit_test(test_error_seed),
        cmocka_unit_test(test_error_file_not_found),
        cmocka_unit_test(test_error_file_names_path),
        cmocka_unit_test(test_error_buffer_limits),
        cmocka_unit_test(test_shipped_scenarios_load),
        cmocka_unit_test(test_shipped_scenario_contents),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_set_then_validate),
        cmocka_unit_test(test_to_json_round_trip_defaults),
        cmocka_unit_test(test_to_json_round_trip_every_field),
        cmocka_unit_test(test_to_json_shipped_round_trip),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_check_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
