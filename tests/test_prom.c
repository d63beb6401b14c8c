/* test_prom.c: the Prometheus text parser and expression evaluator
 * (harness/profile/gp_prom.h).
 *
 * The real /metrics text of goldpath-server (gp_health_to_prometheus from
 * the core, with known figures) is parsed and every mapping a profile could
 * write over it is evaluated against the figures; then a histogram and a
 * summary, the matchers (=, !=, =~, !~, anchoring, absent labels), sums
 * and arithmetic, the missing-series error, escapes, special values and
 * timestamps, and every malformed line and expression with the line or
 * column its error must name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_codec.h"
#include "gp_error.h"
#include "gp_lifecycle.h"
#include "gp_prom.h"
#include "gp_server.h"

static gp_prom *parse_ok(const char *text)
{
    gp_prom *p = NULL;
    char err[512] = "";
    int rc = gp_prom_parse(text, strlen(text), &p, err, sizeof err);
    if (rc != GP_OK)
        fail_msg("parse failed (%s): %s", gp_err_name(rc), err);
    assert_non_null(p);
    return p;
}

static double eval_ok(const gp_prom *p, const char *expr)
{
    double v = -12345;
    char err[512] = "";
    int rc = gp_prom_eval(p, expr, &v, err, sizeof err);
    if (rc != GP_OK)
        fail_msg("eval '%s' failed (%s): %s", expr, gp_err_name(rc), err);
    return v;
}

static void want_value(const gp_prom *p, const char *expr, double want)
{
    double got = eval_ok(p, expr);
    if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
        fail_msg("'%s' = %.17g, expected %.17g", expr, got, want);
}

/* gp_prom_eval's refusal: the code, *out untouched, the message holding
 * `must`. */
static void want_eval_error(const gp_prom *p, const char *expr, int rc, const char *must)
{
    double v = 42;
    char err[512] = "";
    int got = gp_prom_eval(p, expr, &v, err, sizeof err);
    if (got != rc || strstr(err, must) == NULL)
        fail_msg("'%s': %s '%s', expected %s with '%s'", expr, gp_err_name(got), err,
                 gp_err_name(rc), must);
    assert_true(v == 42);
    print_message("  %-40s -> %s\n", expr, err);
}

/* gp_prom_parse's refusal: GP_ERR_INVALID_ARG, *out NULL, the message
 * holding `must` (which names the line). */
static void want_parse_error(const char *text, size_t len, const char *must)
{
    gp_prom *p = (gp_prom *)&p;
    char err[512] = "";
    int rc = gp_prom_parse(text, len, &p, err, sizeof err);
    if (rc != GP_ERR_INVALID_ARG || strstr(err, must) == NULL)
        fail_msg("parse: %s '%s', expected '%s'", gp_err_name(rc), err, must);
    assert_null(p);
    print_message("  %s\n", err);
}

/* ---- goldpath-server's own /metrics --------------------------------------- */

static void test_goldpath_server_metrics(void **state)
{
    (void)state;
    gp_health h;
    memset(&h, 0, sizeof h);
    h.active_connections = 7;
    h.registry_size = 9;
    uint64_t by_state_sum = 0;
    for (int s = 0; s < GP_STATE_COUNT; s++) {
        h.by_state[s] = (uint64_t)(s * 3 + 1);
        if (s >= GP_STATE_CONNECTING && s <= GP_STATE_PROCESSING_READY)
            by_state_sum += h.by_state[s];
    }
    h.state_transition_success_rate = 0.987654;
    h.transitions_attempted = 1000;
    h.transitions_failed = 13;
    h.connections_total = 123456789012ULL;
    h.requests_completed_total = 40;
    h.requests_failed_total = 2;
    uint64_t auth_errors = 0;
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++) {
        h.errors_sent_total[e] = (uint64_t)(e + 10);
        if (strncmp(gp_proto_error_name((gp_proto_error)e), "AUTH_", 5) == 0)
            auth_errors += h.errors_sent_total[e];
    }
    h.transitions.pair_attempted[GP_STATE_CONNECTING][GP_STATE_ACCEPTED] = 50;
    h.transitions.pair_failed[GP_STATE_CONNECTING][GP_STATE_ACCEPTED] = 1;
    h.transitions.pair_attempted[GP_STATE_ACCEPTED][GP_STATE_CLOSED] = 20;
    h.transitions.pair_failed[GP_STATE_ACCEPTED][GP_STATE_CLOSED] = 4;
    char *text = gp_health_to_prometheus(&h);
    assert_non_null(text);

    size_t samples = 0;
    for (const char *line = text; *line != '\0'; line = strchr(line, '\n') + 1)
        samples += line[0] != '#' && line[0] != '\n';
    gp_prom *p = parse_ok(text);
    assert_int_equal(gp_prom_series_count(p), samples);
    assert_string_equal(gp_prom_series_name(p, 0), "goldpath_active_connections");

    want_value(p, "goldpath_active_connections", 7);
    want_value(p, "goldpath_registry_size", 9);
    want_value(p, "goldpath_connections_total", 123456789012.0);
    want_value(p, "goldpath_state_transition_success_rate", 0.987654);
    want_value(p, "sum(goldpath_connections_by_state)", (double)by_state_sum);
    char expr[256];
    snprintf(expr, sizeof expr, "goldpath_connections_by_state{state=\"%s\"}",
             gp_state_name(GP_STATE_AUTHENTICATED));
    want_value(p, expr, (double)h.by_state[GP_STATE_AUTHENTICATED]);
    want_value(p, "goldpath_requests_completed_total + goldpath_requests_failed_total", 42);
    want_value(p, "goldpath_transitions_attempted_total - goldpath_transitions_failed_total",
                 987);
    want_value(p, "goldpath_errors_sent_total{code=~\"AUTH_.*\"}", (double)auth_errors);
    want_value(p, "goldpath_transitions_by_pair_total{outcome=\"failed\"}", 5);
    want_value(p, "goldpath_transitions_by_pair_total{from=\"CONNECTING\",outcome=\"attempted\"}",
                 50);
    want_value(p, "goldpath_stuck_in_connecting", 0); /* a 0 that exists is not missing */
    want_eval_error(p, "goldpath_transitions_by_pair_total{from=\"CLOSED\"}", GP_ERR_NOT_FOUND,
                      "4 series named goldpath_transitions_by_pair_total, none with those labels");
    gp_prom_free(p);
    free(text);
}

/* The brief's mapping over a server with runs by outcome. */
static const char chat_text[] =
    "# HELP chat_ws_connections Open WebSocket connections.\n"
    "# TYPE chat_ws_connections gauge\n"
    "chat_ws_connections 12\n"
    "# HELP chat_ws_runs_total Agent runs by outcome.\n"
    "# TYPE chat_ws_runs_total counter\n"
    "chat_ws_runs_total{outcome=\"done\",model=\"small\"} 30\n"
    "chat_ws_runs_total{outcome=\"done\",model=\"large\"} 5\n"
    "chat_ws_runs_total{outcome=\"failed\",model=\"small\"} 2\n"
    "chat_ws_runs_total{outcome=\"cancelled\",model=\"small\"} 1\n"
    "chat_ws_runs_total{outcome=\"doneish\",model=\"small\"} 1000\n"
    "chat_ws_build_info{version=\"1.2.3\"} 1\n";

static void test_chat_mapping(void **state)
{
    (void)state;
    gp_prom *p = parse_ok(chat_text);
    want_value(p, "chat_ws_runs_total{outcome=\"done\"} + chat_ws_runs_total{outcome=\"failed\"}",
                 37);
    want_value(p, "sum(chat_ws_runs_total{outcome=\"done\"})", 35);
    want_value(p, "chat_ws_runs_total", 1038);
    want_value(p, "chat_ws_connections", 12);
    gp_prom_free(p);
}

static void test_histogram_and_summary(void **state)
{
    (void)state;
    gp_prom *p = parse_ok(
        "# HELP rt_seconds Request latency.\n"
        "# TYPE rt_seconds histogram\n"
        "rt_seconds_bucket{le=\"0.005\"} 3\n"
        "rt_seconds_bucket{le=\"0.05\"} 10\n"
        "rt_seconds_bucket{le=\"0.5\"} 24\n"
        "rt_seconds_bucket{le=\"+Inf\"} 25\n"
        "rt_seconds_sum 3.75\n"
        "rt_seconds_count 25\n"
        "# TYPE q_seconds summary\n"
        "q_seconds{quantile=\"0.5\"} 0.012\n"
        "q_seconds{quantile=\"0.99\"} 0.4\n"
        "q_seconds_sum 17.5\n"
        "q_seconds_count 1000\n");
    assert_int_equal(gp_prom_series_count(p), 10);
    want_value(p, "rt_seconds_bucket{le=\"+Inf\"}", 25);
    want_value(p, "rt_seconds_bucket{le=\"+Inf\"} - rt_seconds_count", 0);
    want_value(p, "rt_seconds_bucket{le=~\"0\\\\.0.*\"}", 13); /* regex 0\.0.* */
    want_value(p, "rt_seconds_bucket{le!=\"+Inf\"}", 37);
    want_value(p, "rt_seconds_sum", 3.75);
    want_value(p, "q_seconds{quantile=\"0.99\"}", 0.4);
    want_value(p, "q_seconds_count", 1000);
    gp_prom_free(p);
}

static void test_matchers(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("m{a=\"x\",b=\"1\"} 1\n"
                          "m{a=\"xy\",b=\"2\"} 10\n"
                          "m{a=\"y\"} 100\n"
                          "m 1000\n"
                          "other{a=\"x\"} 10000\n");
    want_value(p, "m", 1111);
    want_value(p, "m{}", 1111);
    want_value(p, "m{a=\"x\"}", 1);
    want_value(p, "m{a!=\"x\"}", 1110);
    want_value(p, "m{a=~\"x\"}", 1); /* anchored: not "xy" */
    want_value(p, "m{a=~\"x.*\"}", 11);
    want_value(p, "m{a=~\"x|y\"}", 101);
    want_value(p, "m{a!~\"x.*\"}", 1100);
    want_value(p, "m{b=\"\"}", 1100); /* an absent label is "" */
    want_value(p, "m{b!=\"\"}", 11);
    want_value(p, "m{a=~\"\"}", 1000);
    want_value(p, "m{a=\"x\",b=\"1\"}", 1);
    want_value(p, " m { a = \"x\" , b = \"1\" , } ", 1);
    want_value(p, "m{a='xy'}", 10);
    want_value(p, "m{a=~`x|y`}", 101);
    want_eval_error(p, "m{a=`x|y`}", GP_ERR_NOT_FOUND, "no series matches m{a=`x|y`}");
    gp_prom_free(p);
}

static void test_matchers_more(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("m{a=\"x\",b=\"1\"} 1\n"
                          "m{a=\"xy\",b=\"2\"} 10\n"
                          "other{a=\"x\"} 10000\n");
    want_eval_error(p, "m{a=\"x\",b=\"2\"}", GP_ERR_NOT_FOUND, "none with those labels");
    want_value(p, "{a=\"x\"}", 10001);
    want_value(p, "{__name__=\"m\"}", 11);
    want_value(p, "{__name__=~\"m|other\",a=\"x\"}", 10001);
    want_eval_error(p, "m{__name__!=\"m\"}", GP_ERR_NOT_FOUND, "no series matches m{__name__!=\"m\"}");
    gp_prom_free(p);
}

static void test_sum_and_arithmetic(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("a 10\nb{x=\"1\"} 3\nb{x=\"2\"} 4\nc 0.5\n");
    want_value(p, "a + b - c", 16.5);
    want_value(p, "a - b - c", 2.5); /* left to right */
    want_value(p, "sum(b)", 7);
    want_value(p, "sum ( b{x=\"1\"} ) + sum(a)", 13);
    want_value(p, "sum(a + b)", 17);
    want_value(p, "(a - (b - c))", 3.5);
    want_value(p, "-a + 1", -9);
    want_value(p, "a - -1", 11);
    want_value(p, "1 + 2.5 - .5 + 1e3 + 2E-1", 1003.2);
    want_value(p, "0", 0);
    want_value(p, "\ta\n+\nc ", 10.5);
    gp_prom_free(p);
}

static void test_missing_series(void **state)
{
    (void)state;
    gp_prom *p = parse_ok(chat_text);
    want_eval_error(p, "chat_ws_run_total", GP_ERR_NOT_FOUND,
                    "column 1: no series matches chat_ws_run_total (no metric named chat_ws_run_total)");
    want_eval_error(p, "chat_ws_runs_total{outcome=\"done\"} + chat_ws_runs_total{outcome=\"lost\"}",
                    GP_ERR_NOT_FOUND,
                    "column 38: no series matches chat_ws_runs_total{outcome=\"lost\"} (5 series "
                    "named chat_ws_runs_total, none with those labels)");
    want_eval_error(p, "sum(chat_ws_runs_total{model=\"huge\"})", GP_ERR_NOT_FOUND,
                    "no series matches chat_ws_runs_total{model=\"huge\"}");
    want_eval_error(p, "{outcome=\"lost\"}", GP_ERR_NOT_FOUND, "no series matches {outcome=\"lost\"}");
    /* a syntax error anywhere comes before a missing series */
    want_eval_error(p, "nope + chat_ws_connections *", GP_ERR_INVALID_ARG, "column 28");
    gp_prom_free(p);
    /* nothing at all */
    gp_prom *empty = NULL;
    char err[128];
    assert_int_equal(gp_prom_parse(NULL, 0, &empty, err, sizeof err), GP_OK);
    assert_int_equal(gp_prom_series_count(empty), 0);
    want_eval_error(empty, "up", GP_ERR_NOT_FOUND, "no series matches up");
    want_value(empty, "1 + 1", 2);
    gp_prom_free(empty);
}

static void test_expression_errors(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("foo{a=\"b\"} 1\n");
    const struct {
        const char *expr, *must;
    } bad[] = {
        {"", "column 1: unexpected end"},
        {"foo +", "column 6: unexpected end"},
        {"foo{a=\"b\"", "column 10: selector not closed"},
        {"foo{a=b}", "column 7: expected a quoted string"},
        {"foo{a~\"b\"}", "column 6: expected =, !=, =~ or !~ after label a"},
        {"foo{a=\"b\" c=\"d\"}", "column 11: expected ',' or '}'"},
        {"foo{,}", "column 5: expected a label name"},
        {"foo{a=\"\\q\"}", "column 8: unknown escape"},
        {"foo{a=\"b}", "column 7: string not closed"},
        {"foo{a=~\"(\"}", "column 8: bad regular expression \"(\""},
        {"{}", "column 1: a selector needs a metric name or a matcher"},
        {"rate(foo[5m])", "column 1: function rate() is not supported"},
        {"sum by (a) (foo)", "column 5: sum by/without is not supported"},
        {"sum(foo) by (a)", "column 10: expected '+', '-' or the end"},
        {"foo * 2", "column 5: expected '+', '-' or the end"},
        {"foo 2", "column 5: expected '+', '-' or the end"},
        {"(foo", "column 5: expected ')' to close the '(' at column 1"},
        {"sum(foo", "column 8: expected ')' to close the sum( at column 4"},
        {"foo)", "column 4: ')' without a matching '('"},
        {"foo + * 2", "column 7: expected a number, a selector, sum( or (, not '*'"},
        {"--1", "column 2: expected a number"},
        {"1e", "column 2: expected '+', '-' or the end"},
        {".", "column 1: not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        want_eval_error(p, bad[i].expr, GP_ERR_INVALID_ARG, bad[i].must);

    char deep[128] = "";
    for (int i = 0; i < GP_PROM_EXPR_DEPTH_MAX; i++)
        strcat(deep, "(");
    strcat(deep, "1");
    for (int i = 0; i < GP_PROM_EXPR_DEPTH_MAX; i++)
        strcat(deep, ")");
    want_value(p, deep, 1);
    char deeper[128] = "(";
    strcat(deeper, deep);
    strcat(deeper, ")");
    want_eval_error(p, deeper, GP_ERR_TOO_LONG, "nested deeper than 32");

    char *longest = malloc(GP_PROM_EXPR_LEN_MAX + 2);
    assert_non_null(longest);
    memset(longest, ' ', GP_PROM_EXPR_LEN_MAX + 1);
    longest[0] = '1';
    longest[GP_PROM_EXPR_LEN_MAX] = '\0';
    want_value(p, longest, 1);
    longest[GP_PROM_EXPR_LEN_MAX] = ' ';
    longest[GP_PROM_EXPR_LEN_MAX + 1] = '\0';
    want_eval_error(p, longest, GP_ERR_TOO_LONG, "longer than 4096");
    free(longest);

    double v;
    assert_int_equal(gp_prom_eval(p, NULL, &v, NULL, 0), GP_ERR_INVALID_ARG);
    assert_int_equal(gp_prom_eval(NULL, "foo", &v, NULL, 0), GP_ERR_INVALID_ARG);
    assert_int_equal(gp_prom_eval(p, "nope", &v, NULL, 0), GP_ERR_NOT_FOUND); /* no err */
    gp_prom_free(p);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    const struct {
        const char *text, *must;
    } bad[] = {
        {"a 1\nb\n", "line 2, column 2: expected a value"},
        {"a 1\n\nb{x=\"1\" 2\n", "line 3, column 9: expected ',' or '}'"},
        {"a{x=1} 2\n", "line 1, column 5: expected '\"'"},
        {"a{x=\"1\\t\"} 2\n", "line 1, column 7: invalid escape in a label value"},
        {"a{x=\"1} 2\n", "line 1, column 5: label value not closed"},
        {"a{x=\"1\"\n", "line 1, column 8: expected ',' or '}'"},
        {"a{x=\"1\",\n", "line 1, column 9: labels not closed by '}'"},
        {"a{1x=\"1\"} 2\n", "line 1, column 3: expected a label name or '}'"},
        {"a 1 2 3\n", "line 1, column 7: unexpected text after the timestamp"},
        {"a 1x\n", "line 1, column 3: value '1x' is not a number"},
        {"a nan(1)\n", "value 'nan(1)' is not a number"},
        {"a 0x\n", "value '0x' is not a number"},
        {"a \v1\n", "line 1, column 3: value '\v1' is not a number"},
        {"a 1 1.5\n", "line 1, column 5: timestamp '1.5' is not an integer"},
        {"a 1 99999999999999999999\n", "timestamp '99999999999999999999' is not an integer"},
        {"# TYPE a countr\n", "line 1, column 10: unknown metric type 'countr'"},
        {"# TYPE a counter extra\n", "line 1, column 18: unexpected text after the TYPE"},
        {"# TYPE a\n", "line 1, column 9: unknown metric type ''"},
        {"# HELP a bad \\t escape\n", "line 1, column 14: invalid escape in HELP text"},
        {"# TYPE 9a counter\n", "line 1, column 8: expected a metric name after TYPE"},
        {"# HELP a{x=\"1\"} text\n", "line 1, column 8: expected a metric name after HELP"},
        {"ok 1\n9a 1\n", "line 2, column 1: expected a metric name"},
        {"{x=\"1\"} 1\n", "line 1, column 1: expected a metric name"},
        {"a{__name__=\"x\"} 1\n", "line 1, column 3: label name __name__ is reserved"},
        {"a{x=\"1\",y=\"2\",x=\"3\"} 1\n", "label x appears twice"},
        {"a{x=\"1\"} 1\nb 2\na{x=\"1\"} 3\n", "line 3: series a{x=\"1\"} repeats the one on line 1"},
        {"a{y=\"2\",x=\"1\"} 1\na{x=\"1\",y=\"2\"} 3\n", "line 2: series a{x=\"1\",y=\"2\"} repeats"},
        {"b 1\na 1\nb 2\na 2\n", "line 3: series b repeats the one on line 1"},
        {"a{x=\"q\\\"\\n\"} 1\na{x=\"q\\\"\\n\"} 1\n",
         "line 2: series a{x=\"q\\\"\\n\"} repeats the one on line 1"},
        {"a{x=\"\xff\"} 1\n", "line 1, column 5: label value is not valid UTF-8"},
        {"a{x=\"\xc0\xaf\"} 1\n", "label value is not valid UTF-8"}, /* overlong '/' */
        {"a{x=\"\xed\xa0\x80\"} 1\n", "label value is not valid UTF-8"}, /* surrogate */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        want_parse_error(bad[i].text, strlen(bad[i].text), bad[i].must);

    /* a long repeated series is named, cut short */
    char *dup = malloc(1024);
    assert_non_null(dup);
    char value[301];
    memset(value, 'v', 300);
    value[300] = '\0';
    snprintf(dup, 1024, "long{x=\"%s\"} 1\nlong{x=\"%s\"} 2\n", value, value);
    want_parse_error(dup, strlen(dup), "line 2: series long{x=\"vvvv");
    char err[512];
    gp_prom *none = NULL;
    assert_int_equal(gp_prom_parse(dup, strlen(dup), &none, err, sizeof err), GP_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "vvv... repeats the one on line 1"));
    free(dup);

    static const char nul[] = "a 1\nb\0 2\n";
    want_parse_error(nul, sizeof nul - 1, "line 2, column 2: a NUL byte");

    /* the longest line accepted, and one byte more */
    size_t n = GP_PROM_LINE_LEN_MAX;
    char *line = malloc(n + 3);
    assert_non_null(line);
    memset(line, ' ', n + 2);
    memcpy(line, "a 1", 3);
    line[n] = '\n';
    gp_prom *p = NULL;
    assert_int_equal(gp_prom_parse(line, n + 1, &p, NULL, 0), GP_OK);
    gp_prom_free(p);
    line[n] = ' ';
    line[n + 1] = '\n';
    want_parse_error(line, n + 2, "line 1, column 1: line longer than 65536 bytes");
    free(line);

    /* the most labels, and one more */
    char many[4096] = "a{";
    for (int i = 0; i < GP_PROM_LABELS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "l%d=\"v\",", i);
    strcat(many, "} 1\n");
    p = parse_ok(many);
    assert_int_equal(gp_prom_series_label_count(p, 0), GP_PROM_LABELS_MAX);
    gp_prom_free(p);
    strcpy(many + strlen(many) - 4, "z=\"v\"} 1\n");
    want_parse_error(many, strlen(many), "more than 64 labels");

    assert_int_equal(gp_prom_parse("a 1", 3, NULL, NULL, 0), GP_ERR_INVALID_ARG);
    assert_int_equal(gp_prom_parse(NULL, 3, &p, NULL, 0), GP_ERR_INVALID_ARG);
}

static void test_escapes(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("# HELP m A \\\\ backslash and a \\n newline.\n"
                          "m{v=\"a\\\"b\\\\c\\nd\"} 1\n"
                          "m{v=\"x,y}z\"} 2\n"
                          "m{v=\"caf\xc3\xa9 \xe2\x9c\x93\"} 4\n"
                          "m{v=\"\"} 8\n");
    const char *name, *value;
    assert_int_equal(gp_prom_series_label(p, 0, 0, &name, &value), 1);
    assert_string_equal(name, "v");
    assert_string_equal(value, "a\"b\\c\nd");
    assert_int_equal(gp_prom_series_label(p, 1, 0, &name, &value), 1);
    assert_string_equal(value, "x,y}z");
    want_value(p, "m{v=\"a\\\"b\\\\c\\nd\"}", 1);
    want_value(p, "m{v='a\"b\\\\c\\nd'}", 1);
    want_value(p, "m{v=\"x,y}z\"}", 2);
    want_value(p, "m{v=\"caf\xc3\xa9 \xe2\x9c\x93\"}", 4);
    want_value(p, "m{v=\"\"}", 8);
    want_value(p, "m{v=~\"a.b.*\"}", 1); /* '.' matches the newline too */
    gp_prom_free(p);
}

static void test_values_and_timestamps(void **state)
{
    (void)state;
    gp_prom *p = parse_ok("up_inf +Inf\n"
                          "down_inf -Inf 1700000000000\n"
                          "not_a_number NaN\n"
                          "plain_inf Inf\n"
                          "exp 1.5e+09\n"
                          "neg -0.25 -1\n"
                          "ts 3 1700000000000   \n"
                          "big 18446744073709551615\n"
                          "tabbed\t\t7\t\n");
    assert_true(isinf(gp_prom_series_value(p, 0)) && gp_prom_series_value(p, 0) > 0);
    assert_true(isinf(gp_prom_series_value(p, 1)) && gp_prom_series_value(p, 1) < 0);
    assert_true(isnan(gp_prom_series_value(p, 2)));
    assert_true(isinf(gp_prom_series_value(p, 3)));
    want_value(p, "exp", 1.5e9);
    want_value(p, "neg", -0.25);
    want_value(p, "ts", 3);
    want_value(p, "big", 18446744073709551615.0);
    want_value(p, "tabbed", 7);
    double v = 0;
    assert_int_equal(gp_prom_eval(p, "up_inf", &v, NULL, 0), GP_OK);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(gp_prom_eval(p, "up_inf + down_inf", &v, NULL, 0), GP_OK);
    assert_true(isnan(v));
    assert_int_equal(gp_prom_eval(p, "not_a_number + 1", &v, NULL, 0), GP_OK);
    assert_true(isnan(v));
    gp_prom_free(p);
}

static void test_accessors_and_layout(void **state)
{
    (void)state;
    /* CRLF endings, no final newline, blank and indented lines, comments
     * that are neither HELP nor TYPE, "# HELP" alone */
    static const char text[] = "# just a comment\r\n"
                               "\r\n"
                               "#HELP m Help without the blank.\r\n"
                               "# HELP\r\n"
                               "   m{z=\"1\",a=\"2\"} 5\r\n"
                               "n 6\r\n"
                               "m{a=\"3\"} 7";
    gp_prom *p = parse_ok(text);
    assert_int_equal(gp_prom_series_count(p), 3);
    assert_string_equal(gp_prom_series_name(p, 0), "m");
    assert_string_equal(gp_prom_series_name(p, 1), "n");
    assert_string_equal(gp_prom_series_name(p, 2), "m");
    assert_null(gp_prom_series_name(p, 3));
    assert_true(gp_prom_series_value(p, 1) == 6);
    assert_true(isnan(gp_prom_series_value(p, 3)));
    assert_int_equal(gp_prom_series_label_count(p, 0), 2);
    assert_int_equal(gp_prom_series_label_count(p, 1), 0);
    assert_int_equal(gp_prom_series_label_count(p, 9), 0);
    const char *name = NULL, *value = NULL;
    assert_int_equal(gp_prom_series_label(p, 0, 0, &name, &value), 1);
    assert_string_equal(name, "a"); /* labels in name order */
    assert_string_equal(value, "2");
    assert_int_equal(gp_prom_series_label(p, 0, 1, &name, &value), 1);
    assert_string_equal(name, "z");
    assert_int_equal(gp_prom_series_label(p, 0, 2, &name, &value), 0);
    assert_int_equal(gp_prom_series_label(p, 1, 0, &name, &value), 0);
    want_value(p, "m", 12);
    assert_int_equal(gp_prom_series_count(NULL), 0);
    gp_prom_free(p);
    gp_prom_free(NULL);
}

/* A scrape of many series: each a separate line, found by label. */
static void test_many_series(void **state)
{
    (void)state;
    enum { N = 20000 };
    size_t cap = (size_t)N * 64;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t w = 0;
    for (int i = 0; i < N; i++)
        w += (size_t)snprintf(text + w, cap - w, "conn_bytes_total{conn=\"c%05d\",dir=\"%s\"} %d\n",
                              i / 2, i % 2 ? "in" : "out", i);
    gp_prom *p = parse_ok(text);
    assert_int_equal(gp_prom_series_count(p), N);
    want_value(p, "conn_bytes_total{conn=\"c01234\"}", 2468 + 2469);
    want_value(p, "conn_bytes_total", (double)N * (N - 1) / 2);
    gp_prom_free(p);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goldpath_server_metrics),
        cmocka_unit_test(test_chat_mapping),
        cmocka_unit_test(test_histogram_and_summary),
        cmocka_unit_test(test_matchers),
        cmocka_unit_test(test_matchers_more),
        cmocka_unit_test(test_sum_and_arithmetic),
        cmocka_unit_test(test_missing_series),
        cmocka_unit_test(test_expression_errors),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_values_and_timestamps),
        cmocka_unit_test(test_accessors_and_layout),
        cmocka_unit_test(test_many_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
