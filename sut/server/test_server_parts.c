/* test_server_parts.c: unit tests of goldpath-server's pure parts -- the
 * timer heap, the output queue, the flag parser and --help, the histograms
 * and what starts and ends them, the log format and the fd-limit decision.  The live behaviour is tested from Python against the
 * running server (tests/protocol). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gp_fdlimit.h"
#include "gp_outq.h"
#include "gp_codec.h"
#include "gp_error.h"
#include "gp_srv_flags.h"
#include "gp_srv_log.h"
#include "gp_srv_metrics.h"
#include "gp_srv_timers.h"
#include "gp_eventq.h"

static void heap_orders_by_due_then_start(void **state)
{
    (void)state;
    gp_eventq h; /* the server keeps the core's timers in the core's queue */
    gp_eventq_init(&h);
    /* 300 timers at pseudo-random dues with many ties. */
    uint64_t x = 12345;
    for (uint32_t i = 0; i < 300; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        gp_event ev = {.at_ms = (x >> 33) % 20, .kind = GP_TIMER_AGENT_STEP, .client = i, .a = i + 1};
        assert_true(gp_eventq_push(&h, ev) == 0);
    }
    gp_event e, prev = {0};
    int n = 0;
    while (gp_eventq_pop_due(&h, UINT64_MAX, &e)) {
        if (n) {
            assert_true(e.at_ms >= prev.at_ms);
            if (e.at_ms == prev.at_ms)
                assert_true(e.client > prev.client); /* ties keep start order */
        }
        prev = e;
        n++;
    }
    assert_int_equal(n, 300);
    assert_null(gp_eventq_peek(&h));
    gp_eventq_free(&h);
}

static void heap_pops_only_due(void **state)
{
    (void)state;
    gp_eventq h; /* the server keeps the core's timers in the core's queue */
    gp_eventq_init(&h);
    assert_true(gp_eventq_push(&h, (gp_event){.at_ms = 100, .kind = GP_TIMER_AUTH_TIMEOUT, .a = 7}) == 0);
    assert_true(gp_eventq_push(&h, (gp_event){.at_ms = 50, .kind = GP_TIMER_STUCK_CHECK, .a = 8}) == 0);
    gp_event e;
    assert_false(gp_eventq_pop_due(&h, 49, &e));
    assert_true(gp_eventq_pop_due(&h, 50, &e));
    assert_int_equal(e.a, 8);
    assert_int_equal(e.kind, GP_TIMER_STUCK_CHECK);
    assert_false(gp_eventq_pop_due(&h, 99, &e));
    assert_int_equal(gp_eventq_peek(&h)->at_ms, 100);
    assert_true(gp_eventq_pop_due(&h, 1000, &e));
    assert_false(gp_eventq_pop_due(&h, 1000, &e));
    gp_eventq_free(&h);
}

/* The driver's timers against a plain array model: random adds, pops and
 * cancellations; every pop is the model's earliest (due, then start order)
 * and a cancelled connection's timers never fire. */
static void timers_match_a_model(void **state)
{
    (void)state;
    enum { N = 4000 };
    static gp_srv_timer model[N];
    static bool live[N];
    size_t added = 0, pending = 0;
    gp_srv_timers t;
    gp_srv_timers_init(&t);
    uint64_t x = 99, now = 0;
    while (added < N) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned op = (unsigned)(x >> 60);
        if (op < 9) { /* add */
            uint64_t conn = (x >> 20) % 50; /* 0: a server timer */
            gp_srv_timer e = {.at_ms = now + (x >> 33) % 40, .seq = added,
                              .conn = conn, .kind = 1, .arg = (uint32_t)added};
            assert_int_equal(gp_srv_timers_add(&t, e.at_ms, e.conn, e.kind, e.arg), 0);
            model[added] = e;
            live[added++] = true;
            pending++;
        } else if (op < 13) { /* pop what is due */
            now += (x >> 40) % 7;
            gp_srv_timer got;
            while (gp_srv_timers_pop_due(&t, now, &got)) {
                size_t best = N;
                for (size_t i = 0; i < added; i++)
                    if (live[i] && (best == N || model[i].at_ms < model[best].at_ms))
                        best = i; /* first of equal dues = earliest start */
                assert_true(best < N);
                assert_int_equal(got.arg, model[best].arg);
                assert_true(got.at_ms <= now);
                live[best] = false;
                pending--;
            }
        } else { /* a connection closes */
            uint64_t conn = 1 + (x >> 20) % 49;
            size_t want = 0;
            for (size_t i = 0; i < added; i++)
                if (live[i] && model[i].conn == conn) {
                    live[i] = false;
                    want++;
                }
            assert_int_equal(gp_srv_timers_cancel_conn(&t, conn), want);
            pending -= want;
        }
        assert_int_equal(gp_srv_timers_count(&t), pending);
    }
    gp_srv_timers_free(&t);
}

/* Churn: connections that come and go, each leaving a long timer behind,
 * must not make the structure grow (issue 10, item 5). */
static void timers_do_not_grow_with_churn(void **state)
{
    (void)state;
    gp_srv_timers t;
    gp_srv_timers_init(&t);
    size_t bytes_after_warmup = 0;
    for (uint64_t conn = 1; conn <= 200000; conn++) {
        /* auth timeout, stuck check, far in the future */
        assert_int_equal(gp_srv_timers_add(&t, 3600000, conn, 1, 0), 0);
        assert_int_equal(gp_srv_timers_add(&t, 2000, conn, 2, 0), 0);
        if (conn > 100) /* 100 connections open at any time */
            assert_int_equal(gp_srv_timers_cancel_conn(&t, conn - 100), 2);
        if (conn == 1000)
            bytes_after_warmup = gp_srv_timers_bytes(&t);
    }
    assert_int_equal(gp_srv_timers_count(&t), 200);
    assert_int_equal(gp_srv_timers_conns(&t), 100);
    assert_true(gp_srv_timers_bytes(&t) <= bytes_after_warmup);
    assert_int_equal(gp_srv_timers_cancel_conn(&t, 12345), 0); /* gone */
    for (uint64_t conn = 199901; conn <= 200000; conn++)
        assert_int_equal(gp_srv_timers_cancel_conn(&t, conn), 2);
    assert_int_equal(gp_srv_timers_count(&t), 0);
    gp_srv_timer e;
    assert_false(gp_srv_timers_pop_due(&t, UINT64_MAX, &e));
    gp_srv_timers_free(&t);
}

static void outq_fifo_headroom_and_limit(void **state)
{
    (void)state;
    gp_outq q = {0};
    assert_true(gp_outq_empty(&q));
    assert_int_equal(gp_outq_push(&q, "abc", 3, 16, 10), GP_OUTQ_OK);
    assert_int_equal(gp_outq_push(&q, "defgh", 5, 16, 10), GP_OUTQ_OK);
    /* 8 queued: 3 more would pass 10 */
    assert_int_equal(gp_outq_push(&q, "ijk", 3, 16, 10), GP_OUTQ_FULL);
    assert_int_equal(q.count, 2);
    assert_int_equal(q.bytes, 8);
    gp_outq_msg *m = gp_outq_head(&q);
    assert_memory_equal(m->bytes + 16, "abc", 3);
    gp_outq_pop(&q);
    m = gp_outq_head(&q);
    assert_int_equal(m->len, 5);
    assert_memory_equal(m->bytes + 16, "defgh", 5);
    assert_int_equal(gp_outq_push(&q, "ij", 2, 16, 10), GP_OUTQ_OK);
    gp_outq_clear(&q);
    assert_true(gp_outq_empty(&q));
    assert_int_equal(q.bytes, 0);
    assert_int_equal(gp_outq_push(&q, "x", 11, 0, 10), GP_OUTQ_FULL);
}

static gp_srv_flags_result parse(gp_srv_options *o, char *err, const char *env,
                                 int argc, ...)
{
    char *argv[32] = {"goldpath-server"};
    va_list ap;
    va_start(ap, argc);
    for (int i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return gp_srv_flags_parse(argc, argv, env, o, err, 256);
}

static void flags_defaults_and_values(void **state)
{
    (void)state;
    gp_srv_options o;
    char err[256];
    assert_int_equal(parse(&o, err, NULL, 1), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 8765);
    assert_string_equal(o.bind, "127.0.0.1");
    assert_true(o.secret_is_dev);
    assert_int_equal(o.core.max_message_bytes, 65536);
    assert_int_equal(o.core.auth_timeout_ms, 5000);
    assert_false(o.max_connections_given);

    assert_int_equal(parse(&o, err, "from-env", 19, "--port", "0", "--bind=0.0.0.0",
                           "--bug", "accept_race", "--bug", "id_regeneration",
                           "--think-ms", "5:9", "--tool-ms=1:2", "--max-message", "300",
                           "--auth-timeout-ms", "300", "--max-connections", "12",
                           "--agent-failure-rate", "0.25"),
                     GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 0);
    assert_string_equal(o.bind, "0.0.0.0");
    assert_false(o.secret_is_dev);
    assert_string_equal(o.secret_source, "GOLDPATH_JWT_SECRET");
    assert_memory_equal(o.core.jwt_secret, "from-env", 8);
    assert_int_equal(o.core.bugs, GP_BUG_BIT(GP_BUG_ACCEPT_RACE) | GP_BUG_BIT(GP_BUG_ID_REGENERATION));
    assert_int_equal(o.core.agent.think_ms_min, 5);
    assert_int_equal(o.core.agent.think_ms_max, 9);
    assert_int_equal(o.core.agent.tool_ms_max, 2);
    assert_int_equal(o.core.max_message_bytes, 300);
    assert_int_equal(o.core.max_connections, 12);
    assert_true(o.max_connections_given);
    assert_true(o.core.agent_failure_rate == 0.25);

    /* the flag beats the environment */
    assert_int_equal(parse(&o, err, "from-env", 3, "--jwt-secret", "s3"), GP_SRV_FLAGS_RUN);
    assert_memory_equal(o.core.jwt_secret, "s3", 2);
    assert_int_equal(o.core.jwt_secret_len, 2);
    assert_int_equal(parse(&o, err, NULL, 4, "--port", "1", "--help"), GP_SRV_FLAGS_HELP);
}

static void flags_errors_name_the_flag(void **state)
{
    (void)state;
    gp_srv_options o;
    char err[256];
    struct { const char *flag, *value, *expect; } cases[] = {
        {"--port", "65536", "--port"},
        {"--port", "-1", "--port"},
        {"--port", "80x", "--port"},
        {"--think-ms", "9:5", "--think-ms"},
        {"--think-ms", "5", "MIN:MAX"},
        {"--tool-ms", ":5", "--tool-ms"},
        {"--agent-failure-rate", "1.5", "--agent-failure-rate"},
        {"--max-message", "0", "--max-message"},
        {"--auth-timeout-ms", "", "--auth-timeout-ms"},
        {"--max-connections", "0", "--max-connections"},
        {"--log-level", "loud", "--log-level"},
        {"--event-loop", "epoll", "--event-loop"},
        {"--accept-delay-ms", "x", "--accept-delay-ms"},
        {"--bug", "no_such_bug", "known: id_regeneration, accept_race, swallow_transition_errors"},
        {"--frobnicate", "1", "unknown flag --frobnicate"},
        {"--jwt-secret", "", "--jwt-secret"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(&o, err, NULL, 3, cases[i].flag, cases[i].value),
                         GP_SRV_FLAGS_ERROR);
        if (!strstr(err, cases[i].expect))
            fail_msg("%s %s: '%s' lacks '%s'", cases[i].flag, cases[i].value, err,
                     cases[i].expect);
    }
    assert_int_equal(parse(&o, err, NULL, 2, "--port"), GP_SRV_FLAGS_ERROR);
    assert_non_null(strstr(err, "--port needs a value"));
    assert_int_equal(parse(&o, err, NULL, 2, "stray"), GP_SRV_FLAGS_ERROR);
}

/* getopt_long's forms: --flag=value, --flag value, short flags, "--",
 * abbreviations; and what it cannot say by itself. */
static void flags_getopt_forms(void **state)
{
    (void)state;
    gp_srv_options o;
    char err[256];
    assert_int_equal(parse(&o, err, NULL, 2, "--port=8766"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 8766);
    assert_int_equal(parse(&o, err, NULL, 3, "--port", "8767"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 8767);
    assert_int_equal(parse(&o, err, NULL, 6, "-p", "9", "-b", "::1", "-q"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 9);
    assert_string_equal(o.bind, "::1");
    assert_int_equal(o.log_level, GP_LOG_WARNING);
    assert_int_equal(parse(&o, err, NULL, 2, "-p7"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 7);
    /* the last one wins, as everywhere */
    assert_int_equal(parse(&o, err, NULL, 4, "-q", "--log-level", "debug"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.log_level, GP_LOG_DEBUG);
    /* "--" ends the flags; the server takes no operands */
    assert_int_equal(parse(&o, err, NULL, 4, "--port", "5", "--"), GP_SRV_FLAGS_RUN);
    assert_int_equal(o.port, 5);
    assert_int_equal(parse(&o, err, NULL, 3, "--", "--port"), GP_SRV_FLAGS_ERROR);
    assert_non_null(strstr(err, "unexpected argument '--port' after --"));
    /* a value that looks like a flag is still the value */
    assert_int_equal(parse(&o, err, NULL, 3, "--port", "-1"), GP_SRV_FLAGS_ERROR);
    assert_string_equal(err, "--port takes a TCP port 0-65535 (0: pick a free one), got '-1'");
    assert_int_equal(parse(&o, err, NULL, 3, "-p", "1.5"), GP_SRV_FLAGS_ERROR);
    assert_non_null(strstr(err, "--port takes a TCP port 0-65535 (0: pick a free one), got '1.5'"));
    assert_int_equal(parse(&o, err, NULL, 2, "--stuck-after-ms=abc"), GP_SRV_FLAGS_ERROR);
    assert_non_null(strstr(err, "--stuck-after-ms takes a whole number of milliseconds from 1 to "
                                "86400000 (got 'abc')"));
    assert_int_equal(parse(&o, err, NULL, 2, "--port="), GP_SRV_FLAGS_ERROR);
    assert_non_null(strstr(err, "got ''"));
    /* help and version */
    assert_int_equal(parse(&o, err, NULL, 2, "-h"), GP_SRV_FLAGS_HELP);
    assert_int_equal(parse(&o, err, NULL, 2, "--version"), GP_SRV_FLAGS_VERSION);
    assert_int_equal(parse(&o, err, NULL, 2, "-V"), GP_SRV_FLAGS_VERSION);
    /* first come, first served: a bad flag before --help is reported */
    assert_int_equal(parse(&o, err, NULL, 3, "--port=x", "--help"), GP_SRV_FLAGS_ERROR);
    /* mistyped, ambiguous, valued switches, missing values, short ones */
    struct { int argc; const char *a, *b; const char *expect; } cases[] = {
        {2, "--prot", NULL, "unknown flag --prot (did you mean --port? see --help)"},
        {3, "--bnid", "x", "unknown flag --bnid (did you mean --bind? see --help)"},
        {2, "--stuck-afer-ms=5", NULL, "did you mean --stuck-after-ms?"},
        {2, "--versoin", NULL, "did you mean --version?"},
        {2, "--zzzzzzzz", NULL, "unknown flag --zzzzzzzz (see --help)"},
        {3, "--max", "5", "flag --max is ambiguous: it could be --max-connections, --max-message"},
        {2, "--tls=x", NULL, "it could be --tls-cert, --tls-key"},
        {2, "--fault-hooks=1", NULL, "--fault-hooks takes no value (got '1')"},
        {2, "--quiet=yes", NULL, "--quiet takes no value"},
        {2, "-p", NULL, "--port needs a value"},
        {2, "--bind", NULL, "--bind needs a value"},
        {2, "-x", NULL, "unknown flag -x"},
        {2, "stray", NULL, "unexpected argument 'stray'"},
        {3, "--tls-cert", "c.pem", "--tls-cert needs --tls-key as well"},
        {3, "--tls-key", "k.pem", "--tls-key needs --tls-cert as well"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(&o, err, NULL, cases[i].argc, cases[i].a, cases[i].b),
                         GP_SRV_FLAGS_ERROR);
        if (!strstr(err, cases[i].expect))
            fail_msg("%s: '%s' lacks '%s'", cases[i].a, err, cases[i].expect);
    }
    assert_int_equal(parse(&o, err, NULL, 4, "--tls-cert", "c.pem", "--tls-key=k.pem"),
                     GP_SRV_FLAGS_RUN);
    assert_string_equal(o.tls_cert, "c.pem");
    assert_string_equal(o.tls_key, "k.pem");
    assert_int_equal(parse(&o, err, NULL, 1), GP_SRV_FLAGS_RUN);
    assert_null(o.tls_cert);
}

/* --help lists every flag the parser takes, each with its default. */
static void flags_usage_lists_every_flag_with_default(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    gp_srv_flags_usage(f);
    fclose(f);
    size_t n = 0;
    for (const char *name; (name = gp_srv_flags_name(n)); n++) {
        /* the flag's own entry: "      --name" or "  -x, --name" at a line start */
        const char *at = NULL;
        for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
            const char *bol = p;
            while (bol > text && bol[-1] != '\n')
                bol--;
            /* "      --name" and "  -x, --name" both put it at column 6 */
            char after = p[strlen(name)];
            if (p - bol == 6 && (after == ' ' || after == '\n')) {
                at = p;
                break;
            }
        }
        if (!at)
            fail_msg("--help has no entry for %s", name);
        if (strcmp(name, "--help") == 0 || strcmp(name, "--version") == 0)
            continue;
        /* its text runs to the next entry or heading */
        const char *end = at;
        while ((end = strchr(end + 1, '\n')) && end[1] == ' ' && end[2] == ' ' &&
               end[3] == ' ' && end[4] == ' ' && end[5] == ' ' && end[6] == ' ' && end[7] == ' ')
            ;
        size_t span = end ? (size_t)(end - at) : strlen(at);
        char entry[1024];
        snprintf(entry, sizeof(entry), "%.*s", (int)span, at);
        if (!strstr(entry, "(default: "))
            fail_msg("--help gives no default for %s: '%s'", name, entry);
    }
    assert_int_equal(n, GP_SRV_F_COUNT);
    assert_non_null(strstr(text, "(default: 8765)"));
    assert_non_null(strstr(text, "--think-ms MIN:MAX"));
    assert_non_null(strstr(text, "(default: 20:80)"));
    assert_non_null(strstr(text, "-V, --version"));
    assert_non_null(strstr(text, "swallow_transition_errors"));
    free(text);
}

static void histo_buckets_sum_and_text(void **state)
{
    (void)state;
    static const double bounds[] = {0.001, 0.01, 0.1};
    gp_histo h;
    gp_histo_init(&h, "x_seconds", "An x.", bounds, 3);
    gp_histo_observe_us(&h, 1000);   /* exactly on a bound: that bucket (le) */
    gp_histo_observe_us(&h, 0);
    gp_histo_observe_us(&h, 1001);   /* just over: the next */
    gp_histo_observe_us(&h, 200000); /* over every bound: +Inf only */
    char text[1024];
    size_t n = gp_histo_render(&h, text, sizeof(text));
    assert_int_equal(n, strlen(text));
    assert_string_equal(text,
                        "# HELP x_seconds An x.\n# TYPE x_seconds histogram\n"
                        "x_seconds_bucket{le=\"0.001\"} 2\n"
                        "x_seconds_bucket{le=\"0.01\"} 3\n"
                        "x_seconds_bucket{le=\"0.1\"} 3\n"
                        "x_seconds_bucket{le=\"+Inf\"} 4\n"
                        "x_seconds_sum 0.202001\n"
                        "x_seconds_count 4\n");
    char small[40];
    assert_int_equal(gp_histo_render(&h, small, sizeof(small)), n); /* the size it needs */
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(gp_histo_render(&h, NULL, 0), n);
    /* the server's own bounds are ascending and fit */
    gp_histo_init(&h, "r", "r", gp_srv_ready_bounds_s, gp_srv_ready_bounds_count);
    gp_histo_init(&h, "q", "q", gp_srv_request_bounds_s, gp_srv_request_bounds_count);
}

/* Encodes a message as the core does. */
static size_t encode(const gp_msg *m, char *buf, size_t cap)
{
    size_t len = 0;
    assert_int_equal(gp_msg_encode(m, buf, cap, &len), GP_OK);
    return len;
}

static void out_classify_finds_starts_and_ends(void **state)
{
    (void)state;
    char buf[1024];
    uint64_t k = 0, k1 = 0, k2 = 0;
    const char *rid = "r\"1\\"; /* a quote and a backslash: escaped on the wire */
    gp_msg ready = {.type = GP_MSG_CONNECTION_READY, .connection_id = "ws_1_2",
                    .user_id = "alice", .state = "PROCESSING_READY"};
    assert_int_equal(gp_srv_out_classify(buf, encode(&ready, buf, sizeof(buf)), &k),
                     GP_SRV_OUT_READY);
    gp_msg started = {.type = GP_MSG_AGENT_STARTED, .request_id = rid,
                      .connection_id = "ws_1_2", .agent_type = "supervisor"};
    assert_int_equal(gp_srv_out_classify(buf, encode(&started, buf, sizeof(buf)), &k1),
                     GP_SRV_OUT_STARTED);
    assert_true(k1 != 0);
    /* a response that quotes keys a naive scan would take for the real ones */
    gp_msg done = {.type = GP_MSG_AGENT_COMPLETED, .request_id = rid, .connection_id = "ws_1_2",
                   .response = "\"type\":\"connection_ready\",\"request_id\":\"evil\""};
    size_t len = encode(&done, buf, sizeof(buf));
    assert_int_equal(gp_srv_out_classify(buf, len, &k), GP_SRV_OUT_COMPLETED);
    assert_true(k == k1);
    gp_msg other = started;
    other.request_id = "r\"2\\";
    gp_srv_out_classify(buf, encode(&other, buf, sizeof(buf)), &k2);
    assert_true(k2 != k1);
    gp_msg failed = {.type = GP_MSG_ERROR, .code = "AGENT_FAILED", .message = "no",
                     .request_id = rid};
    assert_int_equal(gp_srv_out_classify(buf, encode(&failed, buf, sizeof(buf)), &k),
                     GP_SRV_OUT_FAILED);
    assert_true(k == k1);
    /* other errors for the same id (a duplicate request refused) end nothing */
    gp_msg dup = {.type = GP_MSG_ERROR, .code = "BAD_MESSAGE", .message = "dup",
                  .request_id = rid};
    assert_int_equal(gp_srv_out_classify(buf, encode(&dup, buf, sizeof(buf)), &k),
                     GP_SRV_OUT_OTHER);
    gp_msg thinking = {.type = GP_MSG_AGENT_THINKING, .request_id = rid,
                       .connection_id = "ws_1_2", .thought = "agent_completed"};
    assert_int_equal(gp_srv_out_classify(buf, encode(&thinking, buf, sizeof(buf)), &k),
                     GP_SRV_OUT_OTHER);
    gp_msg pong = {.type = GP_MSG_PONG};
    assert_int_equal(gp_srv_out_classify(buf, encode(&pong, buf, sizeof(buf)), &k),
                     GP_SRV_OUT_OTHER);
    assert_int_equal(gp_srv_out_classify("{\"type\":\"agent_comp", 20, &k), GP_SRV_OUT_OTHER);
}

static void reqclock_matches_requests(void **state)
{
    (void)state;
    gp_srv_reqclock c = {0};
    uint64_t start = 0;
    assert_false(gp_srv_reqclock_end(&c, 7, &start)); /* nothing yet, nothing allocated */
    assert_null(c.v);
    assert_true(gp_srv_reqclock_start(&c, 3, 7, 100));
    assert_true(gp_srv_reqclock_start(&c, 3, 8, 200));
    assert_true(gp_srv_reqclock_start(&c, 3, 9, 300));
    assert_false(gp_srv_reqclock_start(&c, 3, 10, 400)); /* full: not measured */
    assert_true(gp_srv_reqclock_end(&c, 8, &start));
    assert_int_equal(start, 200);
    assert_false(gp_srv_reqclock_end(&c, 8, &start)); /* once */
    assert_true(gp_srv_reqclock_end(&c, 9, &start));
    assert_int_equal(start, 300);
    assert_true(gp_srv_reqclock_start(&c, 3, 11, 500));
    assert_true(gp_srv_reqclock_end(&c, 7, &start));
    assert_int_equal(start, 100);
    assert_int_equal(c.n, 1);
    gp_srv_reqclock_free(&c);
    assert_null(c.v);
    assert_int_equal(c.n, 0);
}

static void log_format_is_the_incidents(void **state)
{
    (void)state;
    char buf[128];
    /* 2025-09-10T09:58:03.224757Z, as in the incident */
    size_t n = gp_srv_log_format(buf, sizeof(buf), 1757498283224757ULL, "WARNING",
                                 "Invalid state transition for ws_1");
    assert_string_equal(buf, "2025-09-10T09:58:03.224757Z WARNING Invalid state transition for ws_1\n");
    assert_int_equal(n, strlen(buf));
    char small[40];
    n = gp_srv_log_format(small, sizeof(small), 1757498283000001ULL, "ERROR",
                          "a line that is far too long for this buffer");
    assert_int_equal(n, sizeof(small) - 1);
    assert_int_equal(small[n - 1], '\n');
    assert_non_null(strstr(small, ".000001Z ERROR a"));
}

/* Whatever a client smuggles into a logged text, one call is one line. */
static void log_escapes_control_bytes(void **state)
{
    (void)state;
    char out[256];
    gp_srv_log_escape(out, sizeof(out), "a\nb\rc\td\\e\x1b[31mf\x7fg\x01");
    assert_string_equal(out, "a\\nb\\rc\\td\\\\e\\x1b[31mf\\x7fg\\x01");
    /* UTF-8 is kept; broken UTF-8, C1 controls (NEL) and U+2028 are not. */
    gp_srv_log_escape(out, sizeof(out), "caf\xc3\xa9 \xff\xc3 \xc2\x85 \xe2\x80\xa8 \xed\xa0\x80");
    assert_string_equal(out, "caf\xc3\xa9 \\xff\\xc3 \\xc2\\x85 \\xe2\\x80\\xa8 "
                             "\\xed\\xa0\\x80");
    /* Cut between escapes, never inside one. */
    assert_int_equal(gp_srv_log_escape(out, 5, "ab\ncd"), 4);
    assert_string_equal(out, "ab\\n");
    assert_int_equal(gp_srv_log_escape(out, 4, "ab\ncd"), 2);
    char buf[128];
    size_t n = gp_srv_log_format(buf, sizeof(buf), 1757498283224757ULL, "INFO",
                                 "id r-1\n2025-09-10T09:58:03.000000Z ERROR forged");
    assert_int_equal(n, strlen(buf));
    assert_ptr_equal(strchr(buf, '\n'), buf + n - 1); /* one line */
    assert_non_null(strstr(buf, "r-1\\n2025"));
}

static void fdlimit_fits_or_explains(void **state)
{
    (void)state;
    gp_fdlimit lim = {.soft_before = 1024, .soft = 1024, .hard = 1024};
    char msg[512];
    uint32_t max = 10000;
    assert_true(gp_fdlimit_fit(&lim, false, 1, &max, msg, sizeof(msg)));
    assert_int_equal(max, 1024 - GP_FDLIMIT_MARGIN);
    max = 10000;
    assert_false(gp_fdlimit_fit(&lim, true, 1, &max, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "--max-connections 10000"));
    assert_non_null(strstr(msg, "at most 928"));
    assert_non_null(strstr(msg, "ulimit -n"));
    max = 928;
    assert_true(gp_fdlimit_fit(&lim, true, 1, &max, msg, sizeof(msg)));
    assert_int_equal(max, 928);
    lim.soft = 50;
    max = 10;
    assert_false(gp_fdlimit_fit(&lim, false, 1, &max, msg, sizeof(msg)));
    assert_true(gp_fdlimit_accept_guard(&(gp_fdlimit){.soft = 1024}) < 1024);
    /* over TLS a connection takes three fds */
    lim = (gp_fdlimit){.soft = 1024, .hard = 1024};
    max = 10000;
    assert_true(gp_fdlimit_fit(&lim, false, 3, &max, msg, sizeof(msg)));
    assert_int_equal(max, (1024 - GP_FDLIMIT_MARGIN) / 3);
    max = 400;
    assert_false(gp_fdlimit_fit(&lim, true, 3, &max, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "it needs 1296 fds (400 connections x 3 fds each over TLS"));
    assert_non_null(strstr(msg, "at most 309"));
    max = 309;
    assert_true(gp_fdlimit_fit(&lim, true, 3, &max, msg, sizeof(msg)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_orders_by_due_then_start),
        cmocka_unit_test(heap_pops_only_due),
        cmocka_unit_test(timers_match_a_model),
        cmocka_unit_test(timers_do_not_grow_with_churn),
        cmocka_unit_test(outq_fifo_headroom_and_limit),
        cmocka_unit_test(flags_defaults_and_values),
        cmocka_unit_test(flags_errors_name_the_flag),
        cmocka_unit_test(flags_getopt_forms),
        cmocka_unit_test(flags_usage_lists_every_flag_with_default),
        cmocka_unit_test(histo_buckets_sum_and_text),
        cmocka_unit_test(out_classify_finds_starts_and_ends),
        cmocka_unit_test(reqclock_matches_requests),
        cmocka_unit_test(log_format_is_the_incidents),
        cmocka_unit_test(log_escapes_control_bytes),
        cmocka_unit_test(fdlimit_fits_or_explains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
