/* test_lifecycle.c: cmocka tests of the connection-lifecycle state machine
 * (gp_lifecycle.h).
 *
 * The legal-step table is written out again here by hand, cell by cell, so
 * that a change to the core's table has to be made twice to go unnoticed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "gp_error.h"
#include "gp_lifecycle.h"

/* Short names for the table below. */
#define C GP_STATE_CONNECTING
#define A GP_STATE_ACCEPTED
#define AU GP_STATE_AUTHENTICATED
#define SR GP_STATE_SERVICES_READY
#define PR GP_STATE_PROCESSING_READY
#define CG GP_STATE_CLOSING
#define CD GP_STATE_CLOSED
#define F GP_STATE_FAILED

/* expected_legal[from][to], rows and columns in enum order:
 *                     C  A  AU SR PR CG CD F */
static const int expected_legal[GP_STATE_COUNT][GP_STATE_COUNT] = {
    /* CONNECTING */     {0, 1, 0, 0, 0, 1, 0, 1},
    /* ACCEPTED */       {0, 0, 1, 0, 0, 1, 0, 1},
    /* AUTHENTICATED */  {0, 0, 0, 1, 0, 1, 0, 1},
    /* SERVICES_READY */ {0, 0, 0, 0, 1, 1, 0, 1},
    /* PROCESSING_READY*/{0, 0, 0, 0, 0, 1, 0, 1},
    /* CLOSING */        {0, 0, 0, 0, 0, 0, 1, 0},
    /* CLOSED */         {0, 0, 0, 0, 0, 0, 0, 0},
    /* FAILED */         {0, 0, 0, 0, 0, 0, 1, 0},
};

/* A legal path from CONNECTING to each state (terminated by -1). */
static const int path_to[GP_STATE_COUNT][6] = {
    [C] = {-1},
    [A] = {A, -1},
    [AU] = {A, AU, -1},
    [SR] = {A, AU, SR, -1},
    [PR] = {A, AU, SR, PR, -1},
    [CG] = {CG, -1},
    [CD] = {CG, CD, -1},
    [F] = {F, -1},
};

static const char *const test_id = "ws_1725960687000_1757498281";

/* Initialises m and drives it to `state` along path_to, at times 1001, ... */
static void drive_to(gp_machine *m, gp_state state)
{
    assert_int_equal(gp_machine_init(m, test_id, "user123", 1000), GP_OK);
    for (int i = 0; path_to[state][i] >= 0; i++)
        assert_int_equal(gp_machine_transition(m, (gp_state)path_to[state][i],
                                               1001 + (uint64_t)i, NULL, NULL),
                         GP_OK);
    assert_int_equal(m->state, state);
}

static void test_all_pairs_match_expected_table(void **state)
{
    (void)state;
    int legal_count = 0;
    for (int from = 0; from < GP_STATE_COUNT; from++) {
        for (int to = 0; to < GP_STATE_COUNT; to++) {
            bool legal = expected_legal[from][to] != 0;
            legal_count += legal;
            assert_int_equal(gp_transition_is_legal((gp_state)from, (gp_state)to),
                             legal);

            gp_machine m;
            drive_to(&m, (gp_state)from);
            gp_transition_stats st;
            memset(&st, 0, sizeof(st));
            int rc = gp_machine_transition(&m, (gp_state)to, 5000, &st, NULL);
            assert_int_equal(rc, legal ? GP_OK : GP_ERR_ILLEGAL_TRANSITION);
            assert_int_equal(m.state, legal ? to : from);
            assert_int_equal(st.attempted, 1);
            assert_int_equal(st.succeeded, legal ? 1 : 0);
            assert_int_equal(st.failed, legal ? 0 : 1);
            assert_int_equal(st.pair_attempted[from][to], 1);
            assert_int_equal(st.pair_failed[from][to], legal ? 0 : 1);
        }
    }
    /* 4 climbs + 5 * 2 give-ups + 2 closes. */
    assert_int_equal(legal_count, 16);
}

static void test_out_of_range_states_are_never_legal(void **state)
{
    (void)state;
    assert_false(gp_transition_is_legal(GP_STATE_CONNECTING, GP_STATE_COUNT));
    assert_false(gp_transition_is_legal(GP_STATE_COUNT, GP_STATE_CLOSED));
    assert_false(gp_transition_is_legal((gp_state)-1, GP_STATE_ACCEPTED));
}

static void test_out_of_range_target_is_rejected_without_counting(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_machine m;
    drive_to(&m, GP_STATE_ACCEPTED);
    gp_machine before;
    memcpy(&before, &m, sizeof(m));
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(gp_machine_transition(&m, GP_STATE_COUNT, 2000, &st, &fe->env),
                     GP_ERR_INVALID_ARG);
    assert_memory_equal(&m, &before, sizeof(m));
    assert_int_equal(st.attempted, 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(fe->logs_len, 0);
    fake_env_free(fe);
}

static void test_illegal_step_leaves_machine_untouched_and_logs(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_machine m;
    drive_to(&m, GP_STATE_ACCEPTED);
    gp_machine before;
    memcpy(&before, &m, sizeof(m));
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));

    assert_int_equal(gp_machine_transition(&m, GP_STATE_PROCESSING_READY, 9000,
                                           &st, &fe->env),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_memory_equal(&m, &before, sizeof(m));
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.pair_failed[A][PR], 1);
    assert_int_equal(st.succeeded, 0);

    const char *want = "Invalid state transition for ws_1725960687000_1757498281: "
                       "ApplicationConnectionState.ACCEPTED -> "
                       "ApplicationConnectionState.PROCESSING_READY";
    assert_int_equal(fe->logs_len, 1);
    assert_int_equal(fe->logs[0].level, GP_LOG_WARNING);
    assert_string_equal(fe->logs[0].line, want);
    assert_int_equal(fake_env_count_logs(fe, GP_LOG_WARNING, want), 1);
    fake_env_free(fe);
}

static void test_legal_step_logs_one_info_line(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_machine m;
    drive_to(&m, GP_STATE_CONNECTING);
    assert_int_equal(gp_machine_transition(&m, GP_STATE_ACCEPTED, 1500, NULL,
                                           &fe->env),
                     GP_OK);
    assert_int_equal(fe->logs_len, 1);
    assert_int_equal(fe->logs[0].level, GP_LOG_INFO);
    assert_string_equal(fe->logs[0].line,
                        "State transition for ws_1725960687000_1757498281: "
                        "ApplicationConnectionState.CONNECTING -> "
                        "ApplicationConnectionState.ACCEPTED");
    fe->env.log_level_min = GP_LOG_WARNING;
    assert_int_equal(gp_machine_transition(&m, GP_STATE_AUTHENTICATED, 1600, NULL,
                                           &fe->env),
                     GP_OK);
    assert_int_equal(fe->logs_len, 1); /* below the level: not even formatted */
    fake_env_free(fe);
}

static void test_log_below_min_level_is_suppressed_but_counted(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    fe->env.log_level_min = GP_LOG_ERROR;
    gp_machine m;
    drive_to(&m, GP_STATE_CONNECTING);
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(gp_machine_transition(&m, GP_STATE_CLOSED, 1500, &st,
                                           &fe->env),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(fe->logs_len, 0);
    assert_int_equal(st.failed, 1);
    fake_env_free(fe);
}

static void test_connecting_to_services_ready_is_refused_and_counted(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_machine m;
    assert_int_equal(gp_machine_init(&m, "conn_websocket_1_a1b2c3d4", "user123",
                                     1000),
                     GP_OK);
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(gp_machine_transition(&m, GP_STATE_SERVICES_READY, 1200,
                                           &st, &fe->env),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(m.state, GP_STATE_CONNECTING);
    assert_int_equal(m.entered_ms, 1000);
    assert_int_equal(m.history_len, 1);
    assert_int_equal(st.attempted, 1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.pair_attempted[C][SR], 1);
    assert_int_equal(st.pair_failed[C][SR], 1);
    assert_int_equal(
        fake_env_count_logs(fe, GP_LOG_WARNING,
                            "Invalid state transition for conn_websocket_1_a1b2c3d4: "
                            "ApplicationConnectionState.CONNECTING -> "
                            "ApplicationConnectionState.SERVICES_READY"),
        1);
    assert_true(gp_transition_success_rate(&st) == 0.0);
    fake_env_free(fe);
}

static void test_history_records_states_and_times(void **state)
{
    (void)state;
    gp_machine m;
    assert_int_equal(gp_machine_init(&m, test_id, NULL, 100), GP_OK);
    assert_string_equal(m.user_id, "");
    assert_int_equal(m.created_ms, 100);
    const gp_state steps[] = {A, AU, SR, PR, CG, CD};
    const uint64_t at[] = {110, 130, 170, 250, 410, 730};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(gp_machine_transition(&m, steps[i], at[i], NULL, NULL),
                         GP_OK);
        assert_int_equal(m.entered_ms, at[i]);
    }
    /* A refused step adds nothing. */
    assert_int_equal(gp_machine_transition(&m, A, 999, NULL, NULL),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(m.history_len, 7);
    assert_int_equal(m.history_dropped, 0);
    assert_int_equal(m.history[0].state, C);
    assert_int_equal(m.history[0].at_ms, 100);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(m.history[i + 1].state, steps[i]);
        assert_int_equal(m.history[i + 1].at_ms, at[i]);
    }
    assert_int_equal(m.created_ms, 100);
    assert_int_equal(m.entered_ms, 730);
}

/* No legal path is longer than 7 entries, so overflow is reached by filling
 * the history by hand: what is tested is that a full history drops and counts
 * instead of writing past the array. */
static void test_history_overflow_is_counted(void **state)
{
    (void)state;
    gp_machine m;
    assert_int_equal(gp_machine_init(&m, test_id, "u", 0), GP_OK);
    m.history_len = GP_HISTORY_MAX;
    gp_history_entry saved[GP_HISTORY_MAX];
    memcpy(saved, m.history, sizeof(saved));
    assert_int_equal(gp_machine_transition(&m, A, 10, NULL, NULL), GP_OK);
    assert_int_equal(gp_machine_transition(&m, AU, 20, NULL, NULL), GP_OK);
    assert_int_equal(m.history_len, GP_HISTORY_MAX);
    assert_int_equal(m.history_dropped, 2);
    assert_memory_equal(m.history, saved, sizeof(saved));
    assert_int_equal(m.state, AU);
    assert_int_equal(m.entered_ms, 20);

    /* One short of full: the last slot is used, then dropping starts. */
    assert_int_equal(gp_machine_init(&m, test_id, "u", 0), GP_OK);
    m.history_len = GP_HISTORY_MAX - 1;
    assert_int_equal(gp_machine_transition(&m, A, 10, NULL, NULL), GP_OK);
    assert_int_equal(m.history_len, GP_HISTORY_MAX);
    assert_int_equal(m.history[GP_HISTORY_MAX - 1].state, A);
    assert_int_equal(m.history[GP_HISTORY_MAX - 1].at_ms, 10);
    assert_int_equal(m.history_dropped, 0);
    assert_int_equal(gp_machine_transition(&m, F, 11, NULL, NULL), GP_OK);
    assert_int_equal(m.history_dropped, 1);
}

static void test_machine_init_rejects_bad_ids(void **state)
{
    (void)state;
    gp_machine m;
    char longest[GP_ID_LEN_MAX + 2];
    memset(longest, 'x', GP_ID_LEN_MAX);
    longest[GP_ID_LEN_MAX] = '\0';
    assert_int_equal(gp_machine_init(&m, longest, NULL, 1), GP_OK);
    assert_string_equal(m.id, longest);

    longest[GP_ID_LEN_MAX] = 'x';
    longest[GP_ID_LEN_MAX + 1] = '\0';
    memset(&m, 0x5a, sizeof(m));
    assert_int_equal(gp_machine_init(&m, longest, NULL, 1), GP_ERR_TOO_LONG);
    gp_machine zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&m, &zero, sizeof(m));

    memset(&m, 0x5a, sizeof(m));
    assert_int_equal(gp_machine_init(&m, NULL, NULL, 1), GP_ERR_INVALID_ARG);
    assert_memory_equal(&m, &zero, sizeof(m));
    assert_int_equal(gp_machine_init(&m, "", NULL, 1), GP_ERR_INVALID_ARG);

    char user[GP_USER_LEN_MAX + 2];
    memset(user, 'u', GP_USER_LEN_MAX + 1);
    user[GP_USER_LEN_MAX + 1] = '\0';
    memset(&m, 0x5a, sizeof(m));
    assert_int_equal(gp_machine_init(&m, test_id, user, 1), GP_ERR_TOO_LONG);
    assert_memory_equal(&m, &zero, sizeof(m));
    user[GP_USER_LEN_MAX] = '\0';
    assert_int_equal(gp_machine_init(&m, test_id, user, 1), GP_OK);
    assert_string_equal(m.user_id, user);
}

static void test_success_rate_is_one_with_no_attempts(void **state)
{
    (void)state;
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    assert_true(gp_transition_success_rate(&st) == 1.0);

    gp_machine m;
    drive_to(&m, GP_STATE_CONNECTING);
    assert_int_equal(gp_machine_transition(&m, A, 1, &st, NULL), GP_OK);
    assert_int_equal(gp_machine_transition(&m, PR, 2, &st, NULL),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(gp_machine_transition(&m, AU, 3, &st, NULL), GP_OK);
    assert_int_equal(gp_machine_transition(&m, AU, 4, &st, NULL),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(st.attempted, 4);
    assert_int_equal(st.succeeded, 2);
    assert_int_equal(st.failed, 2);
    assert_true(gp_transition_success_rate(&st) == 0.5);
}

static void test_state_name_parse_round_trip(void **state)
{
    (void)state;
    const char *names[GP_STATE_COUNT] = {
        "CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY",
        "PROCESSING_READY", "CLOSING", "CLOSED", "FAILED"};
    for (int s = 0; s < GP_STATE_COUNT; s++) {
        assert_string_equal(gp_state_name((gp_state)s), names[s]);
        assert_int_equal(gp_state_parse(names[s]), s);
    }
    assert_string_equal(gp_state_name(GP_STATE_COUNT), "UNKNOWN");
    assert_string_equal(gp_state_name((gp_state)-1), "UNKNOWN");
    assert_int_equal(gp_state_parse("UNKNOWN"), GP_STATE_COUNT);
    assert_int_equal(gp_state_parse("connecting"), GP_STATE_COUNT);
    assert_int_equal(gp_state_parse("CONNECTING "), GP_STATE_COUNT);
    assert_int_equal(gp_state_parse(""), GP_STATE_COUNT);
    assert_int_equal(gp_state_parse(NULL), GP_STATE_COUNT);

    for (int s = 0; s < GP_STATE_COUNT; s++)
        assert_int_equal(gp_state_is_terminal((gp_state)s),
                         s == CG || s == CD || s == F);
}

static void test_stats_add(void **state)
{
    (void)state;
    gp_transition_stats a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    gp_machine m;
    drive_to(&m, GP_STATE_CONNECTING);
    gp_machine_transition(&m, A, 1, &a, NULL);
    gp_machine_transition(&m, SR, 2, &a, NULL);
    drive_to(&m, GP_STATE_CONNECTING);
    gp_machine_transition(&m, A, 1, &b, NULL);
    gp_machine_transition(&m, F, 2, &b, NULL);
    gp_machine_transition(&m, F, 3, &b, NULL);

    gp_transition_stats sum = a;
    gp_transition_stats_add(&sum, &b);
    assert_int_equal(sum.attempted, 5);
    assert_int_equal(sum.succeeded, 3);
    assert_int_equal(sum.failed, 2);
    assert_int_equal(sum.pair_attempted[C][A], 2);
    assert_int_equal(sum.pair_attempted[A][SR], 1);
    assert_int_equal(sum.pair_failed[A][SR], 1);
    assert_int_equal(sum.pair_attempted[A][F], 1);
    assert_int_equal(sum.pair_failed[A][F], 0);
    assert_int_equal(sum.pair_attempted[F][F], 1);
    assert_int_equal(sum.pair_failed[F][F], 1);
    uint64_t cells = 0;
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            cells += sum.pair_attempted[f][t];
    assert_int_equal(cells, 5);
    /* src is left alone. */
    assert_int_equal(b.attempted, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_pairs_match_expected_table),
        cmocka_unit_test(test_out_of_range_states_are_never_legal),
        cmocka_unit_test(test_out_of_range_target_is_rejected_without_counting),
        cmocka_unit_test(test_illegal_step_leaves_machine_untouched_and_logs),
        cmocka_unit_test(test_legal_step_logs_one_info_line),
        cmocka_unit_test(test_log_below_min_level_is_suppressed_but_counted),
        cmocka_unit_test(test_connecting_to_services_ready_is_refused_and_counted),
        cmocka_unit_test(test_history_records_states_and_times),
        cmocka_unit_test(test_history_overflow_is_counted),
        cmocka_unit_test(test_machine_init_rejects_bad_ids),
        cmocka_unit_test(test_success_rate_is_one_with_no_attempts),
        cmocka_unit_test(test_state_name_parse_round_trip),
        cmocka_unit_test(test_stats_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
