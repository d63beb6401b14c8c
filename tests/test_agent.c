/* test_agent.c: the reference agent's pure parts (gp_agent.h): the order of
 * the five events, the delays drawn from the configured timings, and the
 * response and tool texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "gp_agent.h"
#include "gp_rng.h"

static uint64_t draw_rng(void *ctx)
{
    return gp_rng_next(ctx);
}

/* A draw that must not happen. */
static uint64_t draw_forbidden(void *ctx)
{
    (void)ctx;
    fail_msg("gp_agent_plan drew a random number for a fixed timing");
    return 0;
}

/* Returns the values of a script in turn. */
typedef struct script {
    const uint64_t *values;
    size_t len, next;
} script;

static uint64_t draw_script(void *ctx)
{
    script *s = ctx;
    assert_true(s->next < s->len);
    return s->values[s->next++];
}

static void test_step_order(void **state)
{
    (void)state;
    const gp_msg_type want[GP_AGENT_STEPS] = {
        GP_MSG_AGENT_STARTED, GP_MSG_AGENT_THINKING, GP_MSG_TOOL_EXECUTING,
        GP_MSG_TOOL_COMPLETED, GP_MSG_AGENT_COMPLETED};
    for (unsigned i = 0; i < GP_AGENT_STEPS; i++)
        assert_int_equal(gp_agent_step_type(i), want[i]);
    assert_int_equal(gp_agent_step_type(GP_AGENT_STEPS), GP_MSG_NONE);
    assert_int_equal(gp_agent_step_type(~0u), GP_MSG_NONE);
}

static void test_step_of_is_inverse(void **state)
{
    (void)state;
    for (unsigned i = 0; i < GP_AGENT_STEPS; i++)
        assert_int_equal(gp_agent_step_of(gp_agent_step_type(i)), (int)i);
    int events = 0;
    for (int t = 0; t < GP_MSG_TYPE_COUNT; t++) {
        int step = gp_agent_step_of((gp_msg_type)t);
        if (step >= 0) {
            assert_int_equal(gp_agent_step_type((unsigned)step), t);
            events++;
        }
    }
    assert_int_equal(events, GP_AGENT_STEPS);
    assert_int_equal(gp_agent_step_of(GP_MSG_NONE), -1);
    assert_int_equal(gp_agent_step_of(GP_MSG_AGENT_EXECUTION), -1);
    assert_int_equal(gp_agent_step_of(GP_MSG_ERROR), -1);
}

static void test_plan_within_bounds(void **state)
{
    (void)state;
    const gp_agent_timing timing = {.think_ms_min = 10, .think_ms_max = 13,
                                    .tool_ms_min = 100, .tool_ms_max = 102};
    gp_rng rng;
    gp_rng_seed(&rng, 42);
    bool think_seen[4] = {false}, tool_seen[3] = {false};
    for (int i = 0; i < 10000; i++) {
        uint32_t d[GP_AGENT_STEPS];
        gp_agent_plan(&timing, draw_rng, &rng, d);
        uint32_t think = d[1] + d[2];
        assert_int_equal(d[0], 0);
        assert_int_equal(d[4], 0);
        assert_in_range(think, timing.think_ms_min, timing.think_ms_max);
        assert_int_equal(d[1], think / 2); /* half of the think time */
        assert_in_range(d[3], timing.tool_ms_min, timing.tool_ms_max);
        uint32_t sum = d[0] + d[1] + d[2] + d[3] + d[4];
        assert_in_range(sum, timing.think_ms_min + timing.tool_ms_min,
                        timing.think_ms_max + timing.tool_ms_max);
        think_seen[think - timing.think_ms_min] = true;
        tool_seen[d[3] - timing.tool_ms_min] = true;
    }
    /* Both ends of both ranges are reachable. */
    for (int i = 0; i < 4; i++)
        assert_true(think_seen[i]);
    for (int i = 0; i < 3; i++)
        assert_true(tool_seen[i]);
}

static void test_plan_wide_range(void **state)
{
    (void)state;
    const gp_agent_timing timing = {.think_ms_min = 0,
                                    .think_ms_max = UINT32_MAX,
                                    .tool_ms_min = 5, .tool_ms_max = 5000};
    gp_rng rng;
    gp_rng_seed(&rng, 7);
    for (int i = 0; i < 1000; i++) {
        uint32_t d[GP_AGENT_STEPS];
        gp_agent_plan(&timing, draw_rng, &rng, d);
        assert_true((uint64_t)d[1] + d[2] <= UINT32_MAX);
        assert_in_range(d[3], 5, 5000);
    }
}

static void test_plan_fixed_timing(void **state)
{
    (void)state;
    const gp_agent_timing timing = {.think_ms_min = 101, .think_ms_max = 101,
                                    .tool_ms_min = 50, .tool_ms_max = 50};
    uint32_t d[GP_AGENT_STEPS];
    gp_agent_plan(&timing, draw_forbidden, NULL, d);
    const uint32_t want[GP_AGENT_STEPS] = {0, 50, 51, 50, 0};
    assert_memory_equal(d, want, sizeof want);
    /* max below min means min. */
    const gp_agent_timing inverted = {.think_ms_min = 40, .think_ms_max = 3,
                                      .tool_ms_min = 9, .tool_ms_max = 0};
    gp_agent_plan(&inverted, draw_forbidden, NULL, d);
    const uint32_t want_inv[GP_AGENT_STEPS] = {0, 20, 20, 9, 0};
    assert_memory_equal(d, want_inv, sizeof want_inv);
}

/* The draws map to durations in a fixed, documented way: think first, then
 * tool, each lo + r mod (hi - lo + 1). */
static void test_plan_draw_mapping(void **state)
{
    (void)state;
    const gp_agent_timing timing = {.think_ms_min = 10, .think_ms_max = 19,
                                    .tool_ms_min = 0, .tool_ms_max = 99};
    const uint64_t values[] = {7, 1234};
    script s = {values, 2, 0};
    uint32_t d[GP_AGENT_STEPS];
    gp_agent_plan(&timing, draw_script, &s, d);
    assert_int_equal(s.next, 2);
    assert_int_equal(d[1] + d[2], 17);
    assert_int_equal(d[3], 34);
}

static void test_plan_deterministic(void **state)
{
    (void)state;
    const gp_agent_timing timing = {.think_ms_min = 0, .think_ms_max = 1000,
                                    .tool_ms_min = 0, .tool_ms_max = 1000};
    gp_rng a, b;
    gp_rng_seed(&a, 99);
    gp_rng_seed(&b, 99);
    bool varied = false;
    uint32_t first[GP_AGENT_STEPS];
    for (int i = 0; i < 100; i++) {
        uint32_t da[GP_AGENT_STEPS], db[GP_AGENT_STEPS];
        gp_agent_plan(&timing, draw_rng, &a, da);
        gp_agent_plan(&timing, draw_rng, &b, db);
        assert_memory_equal(da, db, sizeof da);
        if (i == 0)
            memcpy(first, da, sizeof da);
        else if (memcmp(first, da, sizeof da) != 0)
            varied = true;
    }
    assert_true(varied);
}

static void test_response_empty_message(void **state)
{
    (void)state;
    char out[512];
    size_t n = gp_agent_response("supervisor", "", out, sizeof out);
    assert_int_equal(n, strlen(out));
    assert_true(n >= 10);
    assert_non_null(strstr(out, "\"\""));
    n = gp_agent_response(NULL, NULL, out, sizeof out);
    assert_int_equal(n, strlen(out));
    assert_true(n >= 10);
}

static void test_response_quotes_message(void **state)
{
    (void)state;
    char out[512];
    gp_agent_response("supervisor", "What is 2+2?", out, sizeof out);
    assert_non_null(strstr(out, "\"What is 2+2?\""));
    assert_non_null(strstr(out, "supervisor"));

    /* Exactly 80 characters are quoted, and the 81st is not. */
    char msg[101];
    for (int i = 0; i < 100; i++)
        msg[i] = (char)('a' + i % 26);
    msg[100] = '\0';
    gp_agent_response("x", msg, out, sizeof out);
    char quoted[90];
    quoted[0] = '"';
    memcpy(quoted + 1, msg, 80);
    quoted[81] = '\0';
    assert_non_null(strstr(out, quoted));
    memcpy(quoted + 1, msg, 81);
    quoted[82] = '\0';
    assert_null(strstr(out, quoted));

    /* Characters, not bytes: 100 two-byte characters quote 80 of them. */
    char wide[201];
    for (int i = 0; i < 100; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[200] = '\0';
    gp_agent_response("x", wide, out, sizeof out);
    char wq[170];
    wq[0] = '"';
    memcpy(wq + 1, wide, 160);
    wq[161] = '\0';
    assert_non_null(strstr(out, wq));
    memcpy(wq + 1, wide, 162);
    wq[163] = '\0';
    assert_null(strstr(out, wq));
}

static bool utf8_complete(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (i + len > n)
            return false;
        i += len;
    }
    return true;
}

static void test_response_truncation(void **state)
{
    (void)state;
    char full[512], out[512];
    const char *msg = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ok";
    size_t n_full = gp_agent_response("a", msg, full, sizeof full);
    for (size_t cap = 1; cap <= n_full + 1; cap++) {
        memset(out, 'z', sizeof out);
        size_t n = gp_agent_response("a", msg, out, cap);
        assert_true(n <= cap - 1);
        assert_int_equal(out[n], '\0');
        assert_memory_equal(out, full, n); /* a prefix of the full text */
        assert_true(utf8_complete(out, n));
        assert_true(n + 3 > cap - 1); /* cut at most one partial character */
    }
    assert_int_equal(gp_agent_response("a", msg, out, 0), 0);
}

static void test_response_deterministic(void **state)
{
    (void)state;
    char a[512], b[512];
    size_t na = gp_agent_response("supervisor", "hello there", a, sizeof a);
    size_t nb = gp_agent_response("supervisor", "hello there", b, sizeof b);
    assert_int_equal(na, nb);
    assert_string_equal(a, b);
    gp_agent_response("supervisor", "hello there!", b, sizeof b);
    assert_string_not_equal(a, b);
    gp_agent_response("researcher", "hello there", b, sizeof b);
    assert_string_not_equal(a, b);
}

static void test_tool_deterministic(void **state)
{
    (void)state;
    assert_string_equal(gp_agent_tool("hello"), gp_agent_tool("hello"));
    assert_non_null(gp_agent_tool(""));
    assert_non_null(gp_agent_tool(NULL));
    /* The choice depends on the message: several tools over 50 messages. */
    const char *tools[8] = {NULL};
    int distinct = 0;
    for (int i = 0; i < 50; i++) {
        char msg[16];
        msg[0] = (char)('a' + i % 26);
        msg[1] = (char)('0' + i / 26);
        msg[2] = '\0';
        const char *t = gp_agent_tool(msg);
        assert_true(strlen(t) > 0);
        bool known = false;
        for (int j = 0; j < distinct; j++)
            known = known || strcmp(tools[j], t) == 0;
        if (!known) {
            assert_true(distinct < 8);
            tools[distinct++] = t;
        }
    }
    assert_true(distinct >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_order),
        cmocka_unit_test(test_step_of_is_inverse),
        cmocka_unit_test(test_plan_within_bounds),
        cmocka_unit_test(test_plan_wide_range),
        cmocka_unit_test(test_plan_fixed_timing),
        cmocka_unit_test(test_plan_draw_mapping),
        cmocka_unit_test(test_plan_deterministic),
        cmocka_unit_test(test_response_empty_message),
        cmocka_unit_test(test_response_quotes_message),
        cmocka_unit_test(test_response_truncation),
        cmocka_unit_test(test_response_deterministic),
        cmocka_unit_test(test_tool_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
