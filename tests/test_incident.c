/* test_incident.c: the incident's test plan (seed/000_92ab20af7e92fa44.txt),
 * at the level of the route.  The "must fail before the fix" tests become
 * tests that switch the bug on and assert that its symptoms appear; the
 * "after the fix" tests assert the fixed route keeps one id and one machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gp_ids.h"
#include "gp_registry.h"
#include "server_fixture.h"

static char T1;

static void auth_by_message(fixture *fx, gp_conn_handle h, const char *user)
{
    char msg[1200];
    snprintf(msg, sizeof(msg), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, user));
    fx_send(fx, h, msg);
}

/* 1.1: with id_regeneration the manager hands out a unified id that can never
 * equal the preliminary one, and the route re-creates the machine: ACCEPTED
 * is lost and the new machine starts in CONNECTING. */
static void test_recreation_destroys_accepted_state(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_ID_REGENERATION));
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    char prelim[64];
    snprintf(prelim, sizeof(prelim), "%s", gp_server_conn_id(fx->srv, h));
    assert_true(gp_id_is_preliminary(prelim));
    gp_server_on_accept_complete(fx->srv, h);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_ACCEPTED);
    auth_by_message(fx, h, "user123");
    const char *now_id = gp_server_conn_id(fx->srv, h);
    assert_true(gp_id_is_unified(now_id));
    assert_string_not_equal(now_id, prelim);
    assert_null(gp_registry_get(gp_server_registry(fx->srv), prelim));
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.connection_id_mismatches, 1);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 1);
    fx_close(fx, h);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

/* 1.1: the invalid CONNECTING -> SERVICES_READY attempt after the state loss
 * is refused and counted, with the incident's log lines. */
static void test_connecting_to_services_ready_refused_and_counted(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_ID_REGENERATION));
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    auth_by_message(fx, h, "user123");
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(
        hl.transitions.pair_failed[GP_STATE_CONNECTING][GP_STATE_SERVICES_READY], 1);
    assert_int_equal(
        hl.transitions.pair_attempted[GP_STATE_CONNECTING][GP_STATE_SERVICES_READY], 1);
    assert_int_equal(hl.invalid_state_transitions_24h, hl.transitions_failed);
    assert_true(hl.state_transition_success_rate < 1.0);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_WARNING,
                     "ApplicationConnectionState.CONNECTING -> ApplicationConnectionState.SERVICES_READY"), 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "Failed to transition to SERVICES_READY for conn_websocket_"), 1);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    fx_free(fx);
}

/* 1.2: AUTHENTICATED requires ACCEPTED.  With the accept race the auth message
 * is processed while the machine is still CONNECTING: the step is refused and
 * the incident's error line is logged. */
static void test_authentication_requires_accepted_state(void **state)
{
    (void)state;
    fixture *fx = fx_new(GP_BUG_BIT(GP_BUG_ACCEPT_RACE));
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    auth_by_message(fx, h, "user123");
    char want[160];
    snprintf(want, sizeof(want), "Failed to transition state machine to AUTHENTICATED for %s",
             gp_server_conn_id(fx->srv, h));
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR, want), 1);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 0); /* no connection_ready */
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(
        hl.transitions.pair_failed[GP_STATE_CONNECTING][GP_STATE_AUTHENTICATED], 1);
    fx_free(fx);
}

/* The same inputs on the fixed server: the early auth is held, applied after
 * accept, and the connection becomes ready with no failed step. */
static void test_fixed_server_holds_auth_until_accepted(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    auth_by_message(fx, h, "user123");
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    gp_server_on_accept_complete(fx->srv, h);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_PROCESSING_READY);
    assert_int_equal(fake_env_count_logs(fx->fe, -1, "Failed to transition"), 0);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.transitions_failed, 0);
    fx_free(fx);
}

/* 2.1: pass-through keeps the very same machine (same pointer) from ACCEPTED
 * up to PROCESSING_READY, under the preliminary id, and connection_ready
 * reports that id. */
static void test_pass_through_keeps_the_same_machine(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    const gp_machine *before = gp_server_conn_machine(fx->srv, h);
    char prelim[64];
    snprintf(prelim, sizeof(prelim), "%s", before->id);
    assert_int_equal(before->state, GP_STATE_ACCEPTED);
    auth_by_message(fx, h, "test_user_123");
    const gp_machine *after = gp_server_conn_machine(fx->srv, h);
    assert_ptr_equal(before, after);
    assert_ptr_equal(gp_registry_get(gp_server_registry(fx->srv), prelim), after);
    assert_int_equal(after->state, GP_STATE_PROCESSING_READY);
    assert_int_equal(after->history_len, 5);
    const gp_state climb[5] = {GP_STATE_CONNECTING, GP_STATE_ACCEPTED,
                               GP_STATE_AUTHENTICATED, GP_STATE_SERVICES_READY,
                               GP_STATE_PROCESSING_READY};
    for (int i = 0; i < 5; i++)
        assert_int_equal(after->history[i].state, climb[i]);
    gp_msg m;
    fx_sent(fx, &T1, 0, &m);
    assert_string_equal(m.connection_id, prelim);
    gp_msg_clear(&m);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.connection_id_mismatches, 0);
    fx_free(fx);
}

/* 3.2: the monitoring figures after the fix -- no stuck connections, success
 * rate 1.0, no invalid transitions -- over many connections. */
static void test_health_after_fix_many_connections(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    static char transports[200];
    gp_conn_handle hs[200];
    for (int i = 0; i < 200; i++) {
        char user[32];
        snprintf(user, sizeof(user), "user_%d", i);
        hs[i] = fx_ready(fx, &transports[i], user);
    }
    fake_env_advance(fx->fe, fx->srv, 5000);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.stuck_in_connecting, 0);
    assert_int_equal(hl.stuck_detected_total, 0);
    assert_true(hl.state_transition_success_rate == 1.0);
    assert_int_equal(hl.invalid_state_transitions_24h, 0);
    assert_int_equal(hl.by_state[GP_STATE_PROCESSING_READY], 200);
    for (int i = 0; i < 200; i++)
        fx_close(fx, hs[i]);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recreation_destroys_accepted_state),
        cmocka_unit_test(test_connecting_to_services_ready_refused_and_counted),
        cmocka_unit_test(test_authentication_requires_accepted_state),
        cmocka_unit_test(test_fixed_server_holds_auth_until_accepted),
        cmocka_unit_test(test_pass_through_keeps_the_same_machine),
        cmocka_unit_test(test_health_after_fix_many_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
