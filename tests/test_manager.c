/* test_manager.c: cmocka tests of connect_user() (gp_manager.h), the fix of
 * the incident and its bug switch.
 *
 * A spy generator stands in for the id manager so that "the generator is never
 * called when an id is given" is observed, not inferred from the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "gp_error.h"
#include "gp_ids.h"
#include "gp_manager.h"
#include "gp_registry.h"

typedef struct spy {
    int calls;
    uint64_t last_counter;
    int rc; /* what the spy returns */
} spy;

/* Writes conn_websocket_<counter>_0000beef, or fails with spy->rc. */
static int spy_generate(void *gen_ctx, char *out, size_t out_len,
                        uint64_t counter, const gp_env *env)
{
    (void)env;
    spy *s = gen_ctx;
    s->calls++;
    s->last_counter = counter;
    if (s->rc != GP_OK)
        return s->rc;
    return gp_id_unified(out, out_len, counter, 0xbeef);
}

static void install_spy(gp_manager *mgr, spy *s)
{
    memset(s, 0, sizeof(*s));
    mgr->generate = spy_generate;
    mgr->generate_ctx = s;
}

static int dummy_socket;

static void test_connect_user_with_given_id_never_calls_generator(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_manager mgr;
    gp_manager_init(&mgr, &fe->env);
    spy s;
    install_spy(&mgr, &s);
    char out[GP_ID_LEN_MAX + 1];
    const char *given[] = {"ws_1725960687000_1757498281", "conn_websocket_1_a1b2c3d4"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(gp_manager_connect_user(&mgr, "user123", &dummy_socket,
                                                 given[i], out, sizeof(out)),
                         GP_OK);
        assert_string_equal(out, given[i]);
    }
    assert_int_equal(s.calls, 0);
    assert_int_equal(mgr.generated, 0);
    assert_int_equal(mgr.counter, 0);
    assert_int_equal(mgr.connected, 2);
    assert_int_equal(fe->random_calls, 0);
    assert_int_equal(
        fake_env_count_logs(fe, GP_LOG_INFO,
                            "connect_user: using provided connection id "
                            "ws_1725960687000_1757498281 for user user123"),
        1);
    assert_int_equal(fake_env_count_logs(fe, -1, "generated"), 0);
    fake_env_free(fe);
}

static void test_connect_user_without_id_generates_once(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 7);
    gp_manager mgr;
    gp_manager_init(&mgr, &fe->env);
    assert_ptr_equal(mgr.generate, gp_manager_default_generate);
    assert_false(mgr.id_regeneration);
    char out[GP_ID_LEN_MAX + 1];

    assert_int_equal(gp_manager_connect_user(&mgr, "alice", &dummy_socket, NULL,
                                             out, sizeof(out)),
                     GP_OK);
    assert_true(gp_id_is_unified(out));
    assert_true(strncmp(out, "conn_websocket_1_", 17) == 0);
    assert_int_equal(mgr.generated, 1);
    assert_int_equal(mgr.counter, 1);
    assert_int_equal(fe->random_calls, 1);
    char line[256];
    snprintf(line, sizeof(line),
             "connect_user: generated connection id %s for user alice", out);
    assert_int_equal(fake_env_count_logs(fe, GP_LOG_INFO, line), 1);

    /* "" counts as no id; the counter moves on. */
    char second[GP_ID_LEN_MAX + 1];
    assert_int_equal(gp_manager_connect_user(&mgr, "alice", &dummy_socket, "",
                                             second, sizeof(second)),
                     GP_OK);
    assert_true(strncmp(second, "conn_websocket_2_", 17) == 0);
    assert_string_not_equal(out, second);
    assert_int_equal(mgr.generated, 2);
    assert_int_equal(mgr.connected, 2);

    /* The same seed gives the same id: entropy comes from the env only. */
    fake_env *fe2 = fake_env_new(1000, 7);
    gp_manager mgr2;
    gp_manager_init(&mgr2, &fe2->env);
    char again[GP_ID_LEN_MAX + 1];
    assert_int_equal(gp_manager_connect_user(&mgr2, "bob", NULL, NULL, again,
                                             sizeof(again)),
                     GP_OK);
    assert_string_equal(again, out);
    fake_env_free(fe2);
    fake_env_free(fe);
}

static void test_id_regeneration_ignores_given_id(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_manager mgr;
    gp_manager_init(&mgr, &fe->env);
    mgr.id_regeneration = true;
    spy s;
    install_spy(&mgr, &s);
    char out[GP_ID_LEN_MAX + 1];
    const char *prelim = "ws_1725960687000_1757498281";
    assert_int_equal(gp_manager_connect_user(&mgr, "user123", &dummy_socket, prelim,
                                             out, sizeof(out)),
                     GP_OK);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.last_counter, 1);
    assert_string_equal(out, "conn_websocket_1_0000beef");
    assert_string_not_equal(out, prelim);
    assert_int_equal(fake_env_count_logs(fe, GP_LOG_INFO,
                                         "connect_user: generated connection id "
                                         "conn_websocket_1_0000beef for user user123"),
                     1);
    /* Even a malformed id is ignored rather than refused, as the broken
     * manager did. */
    assert_int_equal(gp_manager_connect_user(&mgr, "user123", &dummy_socket,
                                             "ws_test_12345_67890", out, sizeof(out)),
                     GP_OK);
    assert_string_equal(out, "conn_websocket_2_0000beef");
    assert_int_equal(s.calls, 2);
    fake_env_free(fe);
}

static void test_bad_given_id_is_refused(void **state)
{
    (void)state;
    gp_manager mgr;
    gp_manager_init(&mgr, NULL);
    spy s;
    install_spy(&mgr, &s);
    char out[GP_ID_LEN_MAX + 1];
    const char *bad[] = {"ws_test_12345_67890", "conn_websocket_1_A1B2C3D4",
                         "test_connection", "ws_10594514_1757498281_92a8758b"};
    for (size_t i = 0; i < 4; i++) {
        strcpy(out, "stale");
        assert_int_equal(gp_manager_connect_user(&mgr, "user123", &dummy_socket,
                                                 bad[i], out, sizeof(out)),
                         GP_ERR_BAD_ID);
        assert_string_equal(out, "");
    }
    assert_int_equal(s.calls, 0);
    assert_int_equal(mgr.connected, 0);
}

static void test_empty_user_is_invalid(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 1);
    gp_manager mgr;
    gp_manager_init(&mgr, &fe->env);
    spy s;
    install_spy(&mgr, &s);
    char out[GP_ID_LEN_MAX + 1];
    strcpy(out, "stale");
    assert_int_equal(gp_manager_connect_user(&mgr, "", &dummy_socket, NULL, out,
                                             sizeof(out)),
                     GP_ERR_INVALID_ARG);
    assert_string_equal(out, "");
    assert_int_equal(gp_manager_connect_user(&mgr, NULL, &dummy_socket,
                                             "ws_1_1", out, sizeof(out)),
                     GP_ERR_INVALID_ARG);
    char user[GP_USER_LEN_MAX + 2];
    memset(user, 'u', sizeof(user) - 1);
    user[sizeof(user) - 1] = '\0';
    assert_int_equal(gp_manager_connect_user(&mgr, user, &dummy_socket, "ws_1_1",
                                             out, sizeof(out)),
                     GP_ERR_TOO_LONG);
    assert_int_equal(s.calls, 0);
    assert_int_equal(mgr.connected, 0);
    assert_int_equal(fe->logs_len, 0);
    fake_env_free(fe);
}

static void test_generator_failure_and_small_buffer(void **state)
{
    (void)state;
    gp_manager mgr;
    gp_manager_init(&mgr, NULL);
    char out[GP_ID_LEN_MAX + 1];
    /* No env: the default generator has no entropy and says so. */
    assert_int_equal(gp_manager_connect_user(&mgr, "u", NULL, NULL, out, sizeof(out)),
                     GP_ERR_INVALID_ARG);
    assert_string_equal(out, "");
    assert_int_equal(mgr.generated, 1);
    assert_int_equal(mgr.counter, 0); /* no id was handed out */

    spy s;
    install_spy(&mgr, &s);
    s.rc = GP_ERR_NOMEM;
    assert_int_equal(gp_manager_connect_user(&mgr, "u", NULL, NULL, out, sizeof(out)),
                     GP_ERR_NOMEM);
    assert_int_equal(mgr.counter, 0);
    s.rc = GP_OK;
    char small[10];
    assert_int_equal(gp_manager_connect_user(&mgr, "u", NULL, NULL, small,
                                             sizeof(small)),
                     GP_ERR_TOO_LONG);
    assert_string_equal(small, "");
    assert_int_equal(gp_manager_connect_user(&mgr, "u", NULL,
                                             "ws_1725960687000_1757498281", small,
                                             sizeof(small)),
                     GP_ERR_TOO_LONG);
    assert_string_equal(small, "");
    assert_int_equal(gp_manager_connect_user(&mgr, "u", NULL, NULL, out, sizeof(out)),
                     GP_OK);
    assert_string_equal(out, "conn_websocket_1_0000beef");
    assert_int_equal(mgr.connected, 1);
}

/* The fix end to end: the route passes the preliminary id, so the machine
 * that reached ACCEPTED is the one that climbs to PROCESSING_READY. */
static void test_pass_through_keeps_same_machine(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1725960687000u, 1);
    gp_registry *reg = gp_registry_create(0);
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    gp_manager mgr;
    gp_manager_init(&mgr, &fe->env);
    spy s;
    install_spy(&mgr, &s);

    char prelim[GP_ID_LEN_MAX + 1];
    assert_int_equal(gp_id_preliminary(prelim, sizeof(prelim), fe->now_ms,
                                       1757498281u),
                     GP_OK);
    gp_machine *m;
    assert_int_equal(gp_registry_register(reg, prelim, NULL, fe->now_ms, &m), GP_OK);
    assert_int_equal(gp_registry_transition(reg, m, GP_STATE_ACCEPTED, fe->now_ms,
                                            &st, &fe->env),
                     GP_OK);

    char id[GP_ID_LEN_MAX + 1];
    assert_int_equal(gp_manager_connect_user(&mgr, "user123", &dummy_socket, prelim,
                                             id, sizeof(id)),
                     GP_OK);
    assert_string_equal(id, prelim);
    assert_int_equal(s.calls, 0);
    gp_machine *same = gp_registry_get(reg, id);
    assert_ptr_equal(same, m);
    assert_int_equal(same->state, GP_STATE_ACCEPTED);

    const gp_state climb[] = {GP_STATE_AUTHENTICATED, GP_STATE_SERVICES_READY,
                              GP_STATE_PROCESSING_READY};
    for (size_t i = 0; i < 3; i++) {
        fake_env_advance(fe, NULL, 10);
        assert_int_equal(gp_registry_transition(reg, same, climb[i], fe->now_ms,
                                                &st, &fe->env),
                         GP_OK);
    }
    assert_int_equal(same->state, GP_STATE_PROCESSING_READY);
    assert_int_equal(st.attempted, 4);
    assert_int_equal(st.failed, 0);
    assert_int_equal(gp_registry_count(reg), 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_PROCESSING_READY), 1);
    assert_int_equal(fake_env_count_logs(fe, -1, "Invalid state transition"), 0);
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms + 1000000, 2000, NULL,
                                            NULL),
                     0);
    gp_registry_destroy(reg);
    fake_env_free(fe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_user_with_given_id_never_calls_generator),
        cmocka_unit_test(test_connect_user_without_id_generates_once),
        cmocka_unit_test(test_id_regeneration_ignores_given_id),
        cmocka_unit_test(test_bad_given_id_is_refused),
        cmocka_unit_test(test_empty_user_is_invalid),
        cmocka_unit_test(test_generator_failure_and_small_buffer),
        cmocka_unit_test(test_pass_through_keeps_same_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
