/* test_bugs.c: each switch of the bug catalog shows its symptoms, and the
 * fixed server given the same inputs shows none.  A harness that cannot see a
 * known bug is worth nothing; neither is a bug switch that does nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gp_registry.h"
#include "server_fixture.h"

static char T1;

/* Open, accept, authenticate (before accept when `early`), ask the agent,
 * wait 3 s of virtual time.  Returns the handle. */
static gp_conn_handle drive(fixture *fx, bool early)
{
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    char msg[1200];
    snprintf(msg, sizeof(msg), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, "user123"));
    if (!early)
        gp_server_on_accept_complete(fx->srv, h);
    fx_send(fx, h, msg);
    if (early)
        gp_server_on_accept_complete(fx->srv, h);
    fx_send(fx, h, "{\"type\":\"agent_execution\",\"request_id\":\"r-1\","
                   "\"data\":{\"message\":\"Analyze the current market trends\"}}");
    fake_env_advance(fx->fe, fx->srv, 3000);
    return h;
}

static size_t agent_events(fixture *fx)
{
    size_t n = 0, total = fake_env_sent_count(fx->fe, &T1);
    for (size_t i = 0; i < total; i++) {
        gp_msg m;
        fx_sent(fx, &T1, i, &m);
        n += gp_agent_step_of(m.type) >= 0;
        gp_msg_clear(&m);
    }
    return n;
}

static void test_id_regeneration_symptoms(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_ID_REGENERATION));
    gp_conn_handle h = drive(fx, false);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    /* the four log lines of the incident */
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_WARNING,
                     "Invalid state transition for conn_websocket_"), 2);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "Failed to transition state machine to AUTHENTICATED for conn_websocket_"), 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "Failed to transition to SERVICES_READY for conn_websocket_"), 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "state machine never reached ready state: ApplicationConnectionState.CONNECTING"), 1);
    assert_int_equal(hl.stuck_detected_total, 1);
    assert_int_equal(hl.stuck_in_connecting, 1);
    assert_int_equal(hl.connection_id_mismatches, 1);
    assert_int_equal(hl.connections_ready_total, 0);
    assert_int_equal(agent_events(fx), 0);
    assert_string_equal(fx_last_error(fx, &T1), "NOT_READY");
    fx_close(fx, h);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

static void test_accept_race_symptoms(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_ACCEPT_RACE));
    gp_conn_handle h = drive(fx, true);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(
        hl.transitions.pair_failed[GP_STATE_CONNECTING][GP_STATE_AUTHENTICATED], 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "Failed to transition state machine to AUTHENTICATED"), 1);
    assert_int_equal(hl.stuck_detected_total, 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "never reached ready state: ApplicationConnectionState.ACCEPTED"), 1);
    assert_int_equal(hl.connections_ready_total, 0);
    assert_int_equal(agent_events(fx), 0);
    fx_close(fx, h);
    fx_free(fx);
}

/* Swallowed errors need a failing step to show: with the accept race the
 * route climbs on through three refused steps and announces a ready
 * connection whose machine is not ready. */
static void test_swallow_transition_errors_symptoms(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_SWALLOW_TRANSITION_ERRORS) |
                         GP_BUG_BIT(GP_BUG_ACCEPT_RACE));
    gp_conn_handle h = drive(fx, true);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.transitions_failed, 3);
    assert_int_equal(hl.connections_ready_total, 1);
    gp_msg m;
    fx_sent(fx, &T1, 0, &m);
    assert_int_equal(m.type, GP_MSG_CONNECTION_READY);
    assert_string_equal(m.state, "CONNECTING"); /* ready announced, not ready */
    gp_msg_clear(&m);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_ACCEPTED);
    assert_int_equal(agent_events(fx), 5);
    fx_free(fx);
}

/* Alone, with nothing failing, swallow_transition_errors changes nothing. */
static void test_swallow_alone_is_silent(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_SWALLOW_TRANSITION_ERRORS));
    drive(fx, true);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.transitions_failed, 0);
    assert_int_equal(agent_events(fx), 5);
    fx_free(fx);
}

/* The control: the fixed server, both orders, no symptom at all. */
static void test_fixed_server_no_symptoms(void **state)
{
    (void)state;
    for (int early = 0; early < 2; early++) {
        fixture *fx = fx_new(0);
        gp_conn_handle h = drive(fx, early);
        gp_health hl;
        gp_server_health(fx->srv, &hl);
        assert_int_equal(hl.transitions_failed, 0);
        assert_int_equal(hl.stuck_detected_total, 0);
        assert_int_equal(hl.connection_id_mismatches, 0);
        assert_int_equal(agent_events(fx), 5);
        assert_int_equal(fake_env_count_logs(fx->fe, -1, "Invalid state transition"), 0);
        fx_close(fx, h);
        fx_free(fx);
    }
}

static void test_bug_names(void **state)
{
    (void)state;
    for (int b = 0; b < GP_BUG_COUNT; b++) {
        assert_non_null(gp_bug_name((gp_bug)b));
        assert_int_equal(gp_bug_parse(gp_bug_name((gp_bug)b)), b);
        assert_true(strlen(gp_bug_summary((gp_bug)b)) > 10);
    }
    assert_int_equal(gp_bug_parse("id_regeneration"), GP_BUG_ID_REGENERATION);
    assert_int_equal(gp_bug_parse("no_such_bug"), GP_BUG_COUNT);
    assert_null(gp_bug_name(GP_BUG_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_regeneration_symptoms),
        cmocka_unit_test(test_accept_race_symptoms),
        cmocka_unit_test(test_swallow_transition_errors_symptoms),
        cmocka_unit_test(test_swallow_alone_is_silent),
        cmocka_unit_test(test_fixed_server_no_symptoms),
        cmocka_unit_test(test_bug_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
