/* test_server.c: the server logic driven through the core with a fake
 * environment -- the golden path, the bad-input table of PROTOCOL.md, held
 * early messages, timers, health figures, shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gp_error.h"
#include "gp_registry.h"
#include "server_fixture.h"

static char T1, T2, T3; /* transports: only their addresses matter */

#define AGENT_REQ(id, text)                                                    \
    "{\"type\":\"agent_execution\",\"request_id\":\"" id "\",\"data\":"       \
    "{\"message\":\"" text "\",\"agent_type\":\"supervisor\"}}"

static void test_golden_path_one_connection(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    const char *prelim = gp_server_conn_id(fx->srv, h);
    char id[64];
    snprintf(id, sizeof(id), "%s", prelim);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    gp_server_on_accept_complete(fx->srv, h);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_ACCEPTED);
    char auth[1200];
    snprintf(auth, sizeof(auth), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, "alice"));
    fx_send(fx, h, auth);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_PROCESSING_READY);

    gp_msg m;
    fx_sent(fx, &T1, 0, &m);
    assert_int_equal(m.type, GP_MSG_CONNECTION_READY);
    assert_string_equal(m.connection_id, id);
    assert_string_equal(m.user_id, "alice");
    assert_string_equal(m.state, "PROCESSING_READY");
    gp_msg_clear(&m);

    fx_send(fx, h, AGENT_REQ("r-1", "Analyze the current market trends"));
    fake_env_advance(fx->fe, fx->srv, 1000);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 6);
    const gp_msg_type order[5] = {GP_MSG_AGENT_STARTED, GP_MSG_AGENT_THINKING,
                                  GP_MSG_TOOL_EXECUTING, GP_MSG_TOOL_COMPLETED,
                                  GP_MSG_AGENT_COMPLETED};
    for (int i = 0; i < 5; i++) {
        fx_sent(fx, &T1, 1 + i, &m);
        assert_int_equal(m.type, order[i]);
        assert_string_equal(m.request_id, "r-1");
        assert_string_equal(m.connection_id, id);
        if (m.type == GP_MSG_AGENT_COMPLETED) {
            assert_true(strlen(m.response) >= 10);
            assert_non_null(strstr(m.response, "market trends"));
        }
        gp_msg_clear(&m);
    }
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.transitions_failed, 0);
    assert_int_equal(hl.transitions_attempted, 4);
    assert_int_equal(hl.requests_completed_total, 1);
    assert_int_equal(hl.events_sent_total, 5);
    assert_int_equal(hl.by_state[GP_STATE_PROCESSING_READY], 1);

    fx_close(fx, h);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.active_connections, 0);
    assert_int_equal(hl.transitions_failed, 0);
    fx_free(fx);
}

static void test_events_timed_by_agent_durations(void **state)
{
    (void)state;
    fixture *fx = fx_new(0); /* think 40 ms, tool 20 ms */
    gp_conn_handle h = fx_ready(fx, &T1, "bob");
    fx_send(fx, h, AGENT_REQ("r-1", "hello there"));
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 2); /* ready, started */
    fake_env_advance(fx->fe, fx->srv, 19);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 2);
    fake_env_advance(fx->fe, fx->srv, 1); /* t=20: thinking */
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 3);
    fake_env_advance(fx->fe, fx->srv, 20); /* t=40: tool_executing */
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 4);
    fake_env_advance(fx->fe, fx->srv, 19);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 4);
    fake_env_advance(fx->fe, fx->srv, 1); /* t=60: tool_completed, completed */
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 6);
    fx_free(fx);
}

static void test_several_requests_each_in_order(void **state)
{
    (void)state;
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.agent = (gp_agent_timing){10, 90, 5, 50}; /* so they interleave */
    fixture *fx = fx_new_config(&cfg);
    gp_conn_handle h = fx_ready(fx, &T1, "carol");
    fx_send(fx, h, AGENT_REQ("a", "first question"));
    fx_send(fx, h, AGENT_REQ("b", "second question"));
    fx_send(fx, h, "{\"type\":\"agent_execution\",\"data\":{\"message\":\"third\"}}");
    fake_env_advance(fx->fe, fx->srv, 1000);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 1 + 15);
    int next_a = 0, next_b = 0, next_c = 0;
    for (size_t i = 1; i < 16; i++) {
        gp_msg m;
        fx_sent(fx, &T1, i, &m);
        int step = gp_agent_step_of(m.type);
        assert_true(step >= 0);
        if (strcmp(m.request_id, "a") == 0)
            assert_int_equal(step, next_a++);
        else if (strcmp(m.request_id, "b") == 0)
            assert_int_equal(step, next_b++);
        else {
            assert_string_equal(m.request_id, "srv-1"); /* server-assigned */
            assert_int_equal(step, next_c++);
        }
        gp_msg_clear(&m);
    }
    assert_int_equal(next_a, 5);
    assert_int_equal(next_b, 5);
    assert_int_equal(next_c, 5);
    fx_free(fx);
}

/* A request_id already in flight is refused (BAD_MESSAGE, the connection
 * stays), and a server-assigned id never collides with a client's. */
static void test_duplicate_request_id_refused(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_ready(fx, &T1, "olga");
    fx_send(fx, h, AGENT_REQ("srv-1", "first"));
    fx_send(fx, h, AGENT_REQ("srv-1", "again"));
    assert_string_equal(fx_last_error(fx, &T1), "BAD_MESSAGE");
    fx_send(fx, h, "{\"type\":\"agent_execution\",\"data\":{\"message\":\"no id\"}}");
    fake_env_advance(fx->fe, fx->srv, 1000);
    size_t n = fake_env_sent_count(fx->fe, &T1), completed = 0;
    for (size_t i = 0; i < n; i++) {
        gp_msg m;
        fx_sent(fx, &T1, i, &m);
        if (m.type == GP_MSG_AGENT_COMPLETED) {
            completed++;
            assert_true(strcmp(m.request_id, "srv-1") == 0 || strcmp(m.request_id, "srv-2") == 0);
        }
        gp_msg_clear(&m);
    }
    assert_int_equal(completed, 2);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 0);
    /* once the first has finished, its id may be used again */
    fx_send(fx, h, AGENT_REQ("srv-1", "third"));
    assert_int_equal(fx_last_type(fx, &T1), GP_MSG_AGENT_STARTED);
    fx_free(fx);
}

static void test_bearer_header_auth(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, fx_token(fx, "dave"));
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 0);
    gp_server_on_accept_complete(fx->srv, h);
    assert_int_equal(fx_last_type(fx, &T1), GP_MSG_CONNECTION_READY);
    /* a second authentication is refused, the connection stays */
    char auth[1200];
    snprintf(auth, sizeof(auth), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, "dave"));
    fx_send(fx, h, auth);
    assert_string_equal(fx_last_error(fx, &T1), "ALREADY_AUTHENTICATED");
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 0);
    fx_free(fx);
}

static void test_bad_bearer_header_closes_4401(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, "not.a.token");
    gp_server_on_accept_complete(fx->srv, h);
    assert_string_equal(fx_last_error(fx, &T1), "AUTH_FAILED");
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 4401);
    fx_close(fx, h);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

/* Row 1 of the table: BAD_MESSAGE, the connection stays open. */
static void test_bad_messages_stay_open(void **state)
{
    (void)state;
    static const char *bad[] = {
        "not json", "[1,2]", "\"text\"", "{}", "{\"type\":7,\"data\":{}}",
        "{\"type\":\"nope\",\"data\":{}}", "{\"type\":\"auth\"}",
        "{\"type\":\"auth\",\"data\":[]}", "{\"type\":\"auth\",\"data\":{\"token\":5}}",
        "{\"type\":\"agent_execution\",\"data\":{}}",
        "{\"type\":\"connection_ready\",\"data\":{}}",
    };
    fixture *fx = fx_new(0);
    for (int authed = 0; authed < 2; authed++) {
        void *t = authed ? (void *)&T2 : (void *)&T1;
        gp_conn_handle h;
        if (authed) {
            h = fx_ready(fx, t, "erin");
        } else {
            h = fx_open(fx, t, NULL);
            gp_server_on_accept_complete(fx->srv, h);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            fx_send(fx, h, bad[i]);
            assert_string_equal(fx_last_error(fx, t), "BAD_MESSAGE");
        }
        assert_int_equal(fake_env_close_code(fx->fe, t), 0);
        assert_false(gp_state_is_terminal(gp_server_conn_state(fx->srv, h)));
    }
    fx_free(fx);
}

static void test_agent_before_ready_is_not_ready(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    fx_send(fx, h, AGENT_REQ("r-9", "too early"));
    assert_string_equal(fx_last_error(fx, &T1), "NOT_READY");
    gp_msg m;
    fx_sent(fx, &T1, 0, &m);
    assert_string_equal(m.request_id, "r-9");
    gp_msg_clear(&m);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 0);
    fx_free(fx);
}

static void test_other_message_before_auth_closes_4401(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    fx_send(fx, h, "{\"type\":\"ping\",\"data\":{}}");
    assert_string_equal(fx_last_error(fx, &T1), "AUTH_REQUIRED");
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 4401);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CLOSING);
    size_t sent = fake_env_sent_count(fx->fe, &T1);
    fx_send(fx, h, "{\"type\":\"ping\",\"data\":{}}"); /* ignored once closing */
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), sent);
    fx_close(fx, h);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

static void test_bad_tokens_close_4401(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    char tok[1024], msg[1300];
    int64_t now_s = (int64_t)(fx->fe->now_ms / 1000);
    const char *cases[4];
    char expired[1024], none_alg[1024], wrong_key[1024];
    assert_int_equal(gp_jwt_sign(fx->key, "u1", now_s - 100, now_s - 10, expired,
                                 sizeof(expired)), 0);
    assert_int_equal(gp_jwt_sign_raw(fx->key, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
                                     "{\"sub\":\"u1\",\"exp\":9999999999}", none_alg,
                                     sizeof(none_alg)), 0);
    gp_jwt_key *other = gp_jwt_key_create("another secret", 14);
    assert_int_equal(gp_jwt_sign(other, "u1", now_s, now_s + 60, wrong_key,
                                 sizeof(wrong_key)), 0);
    gp_jwt_key_destroy(other);
    cases[0] = expired;
    cases[1] = none_alg;
    cases[2] = wrong_key;
    cases[3] = "garbage";
    static char transports[4];
    for (int i = 0; i < 4; i++) {
        gp_conn_handle h = fx_open(fx, &transports[i], NULL);
        gp_server_on_accept_complete(fx->srv, h);
        snprintf(tok, sizeof(tok), "%s", cases[i]);
        snprintf(msg, sizeof(msg), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}", tok);
        fx_send(fx, h, msg);
        assert_string_equal(fx_last_error(fx, &transports[i]), "AUTH_FAILED");
        assert_int_equal(fake_env_close_code(fx->fe, &transports[i]), 4401);
        fx_close(fx, h);
    }
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.auth_failures_total, 4);
    assert_int_equal(hl.transitions_failed, 0);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

static void test_auth_timeout_closes_4408(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    gp_conn_handle h2 = fx_ready(fx, &T2, "frank");
    fake_env_advance(fx->fe, fx->srv, 4999);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 0);
    fake_env_advance(fx->fe, fx->srv, 1);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 4408);
    assert_int_equal(fake_env_close_code(fx->fe, &T2), 0); /* authenticated */
    fx_close(fx, h);
    fx_close(fx, h2);
    fx_free(fx);
}

static void test_binary_closes_1003_and_oversize_1009(void **state)
{
    (void)state;
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.max_message_bytes = 600; /* room for an auth message */
    fixture *fx = fx_new_config(&cfg);
    gp_conn_handle h1 = fx_ready(fx, &T1, "gina");
    gp_server_on_message(fx->srv, h1, "\x01\x02", 2, true);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 1003);
    gp_conn_handle h2 = fx_ready(fx, &T2, "hank");
    char big[700];
    memset(big, 'x', sizeof(big));
    gp_server_on_message(fx->srv, h2, big, 601, false);
    assert_int_equal(fake_env_close_code(fx->fe, &T2), 1009);
    gp_conn_handle h3 = fx_ready(fx, &T3, "ida");
    gp_server_on_message(fx->srv, h3, "{\"type\":\"ping\",\"data\":{}}", 25, false);
    assert_int_equal(fx_last_type(fx, &T3), GP_MSG_PONG);
    fx_close(fx, h1);
    fx_close(fx, h2);
    fx_close(fx, h3);
    assert_int_equal(gp_registry_count(gp_server_registry(fx->srv)), 0);
    fx_free(fx);
}

/* Messages before accept are held, never dropped, and applied in order. */
static void test_early_messages_held_until_accept(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL);
    char auth[1200];
    snprintf(auth, sizeof(auth), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, "jack"));
    fx_send(fx, h, auth);
    fx_send(fx, h, AGENT_REQ("r-1", "queued before accept"));
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 0);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_CONNECTING);
    gp_server_on_accept_complete(fx->srv, h);
    assert_int_equal(gp_server_conn_state(fx->srv, h), GP_STATE_PROCESSING_READY);
    fake_env_advance(fx->fe, fx->srv, 500);
    assert_int_equal(fake_env_sent_count(fx->fe, &T1), 6);
    gp_msg m;
    fx_sent(fx, &T1, 5, &m);
    assert_int_equal(m.type, GP_MSG_AGENT_COMPLETED);
    gp_msg_clear(&m);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.transitions_failed, 0);
    fx_free(fx);
}

static void test_stuck_detection_and_health(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h = fx_open(fx, &T1, NULL); /* never accepted */
    gp_conn_handle h2 = fx_ready(fx, &T2, "kim");
    fake_env_advance(fx->fe, fx->srv, 2000);
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.stuck_in_connecting, 0);
    assert_int_equal(hl.stuck_detected_total, 0);
    fake_env_advance(fx->fe, fx->srv, 1);
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.stuck_in_connecting, 1);
    assert_int_equal(hl.stuck_detected_total, 1);
    assert_int_equal(fake_env_count_logs(fx->fe, GP_LOG_ERROR,
                     "state machine never reached ready state: ApplicationConnectionState.CONNECTING"), 1);
    char *json = gp_health_to_json(&hl);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"stuck_in_connecting\":1"));
    assert_non_null(strstr(json, "\"active_connections\":2"));
    assert_non_null(strstr(json, "\"CONNECTING\":1"));
    assert_non_null(strstr(json, "\"PROCESSING_READY\":1"));
    assert_non_null(strstr(json, "\"status\":\"ok\""));
    free(json);
    char *prom = gp_health_to_prometheus(&hl);
    assert_non_null(prom);
    assert_non_null(strstr(prom, "\ngoldpath_stuck_in_connecting 1\n"));
    assert_non_null(strstr(prom, "goldpath_connections_by_state{state=\"CONNECTING\"} 1\n"));
    assert_non_null(strstr(prom, "# TYPE goldpath_active_connections gauge\n"));
    free(prom);
    fx_close(fx, h);
    fx_close(fx, h2);
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.active_connections, 0);
    assert_int_equal(hl.stuck_in_connecting, 0);
    fx_free(fx);
}

static void test_agent_failure_sends_error(void **state)
{
    (void)state;
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.agent_failure_rate = 1.0;
    fixture *fx = fx_new_config(&cfg);
    gp_conn_handle h = fx_ready(fx, &T1, "leo");
    fx_send(fx, h, AGENT_REQ("r-1", "this will fail"));
    fake_env_advance(fx->fe, fx->srv, 1000);
    assert_string_equal(fx_last_error(fx, &T1), "AGENT_FAILED");
    size_t n = fake_env_sent_count(fx->fe, &T1);
    gp_msg m;
    fx_sent(fx, &T1, n - 1, &m);
    assert_string_equal(m.request_id, "r-1");
    gp_msg_clear(&m);
    assert_true(n >= 3 && n <= 6); /* ready, agent_started, 0-3 more, error */
    gp_health hl;
    gp_server_health(fx->srv, &hl);
    assert_int_equal(hl.requests_failed_total, 1);
    assert_int_equal(hl.requests_completed_total, 0);
    fx_close(fx, h);
    fx_free(fx);
}

static void test_shutdown_waits_for_requests(void **state)
{
    (void)state;
    fixture *fx = fx_new(0);
    gp_conn_handle h1 = fx_ready(fx, &T1, "max");
    gp_conn_handle h2 = fx_ready(fx, &T2, "nina");
    fx_send(fx, h2, AGENT_REQ("r-1", "in flight during shutdown"));
    gp_server_shutdown(fx->srv);
    assert_int_equal(fake_env_close_code(fx->fe, &T1), 1001); /* idle: now */
    assert_int_equal(fake_env_close_code(fx->fe, &T2), 0);
    gp_conn_handle h3 = 0;
    assert_int_equal(gp_server_on_open(fx->srv, &T3, NULL, &h3), GP_ERR_FULL);
    fake_env_advance(fx->fe, fx->srv, 1000);
    assert_int_equal(fx_last_type(fx, &T2), GP_MSG_AGENT_COMPLETED);
    assert_int_equal(fake_env_close_code(fx->fe, &T2), 1001);
    fx_close(fx, h1);
    fx_close(fx, h2);
    assert_int_equal(gp_server_connection_count(fx->srv), 0);
    fx_free(fx);
}

static void test_max_connections_and_dead_handles(void **state)
{
    (void)state;
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.max_connections = 1;
    fixture *fx = fx_new_config(&cfg);
    gp_conn_handle h1 = fx_open(fx, &T1, NULL);
    gp_conn_handle h2 = 0;
    assert_int_equal(gp_server_on_open(fx->srv, &T2, NULL, &h2), GP_ERR_FULL);
    fx_close(fx, h1);
    /* the dead handle is ignored everywhere, even after its slot is reused */
    gp_conn_handle h3 = fx_open(fx, &T3, NULL);
    assert_true(h3 != h1);
    gp_server_on_accept_complete(fx->srv, h1);
    gp_server_on_message(fx->srv, h1, "x", 1, false);
    gp_server_on_close(fx->srv, h1);
    assert_null(gp_server_conn_id(fx->srv, h1));
    assert_int_equal(gp_server_conn_state(fx->srv, h3), GP_STATE_CONNECTING);
    assert_int_equal(gp_server_connection_count(fx->srv), 1);
    fx_close(fx, h3);
    fx_free(fx);
}

static void test_create_rejects_bad_config(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(FX_START_MS, 1);
    gp_server_config cfg;
    int err = 0;
    gp_server_config_defaults(&cfg);
    cfg.agent.think_ms_min = 100;
    cfg.agent.think_ms_max = 10;
    assert_null(gp_server_create(&cfg, &fe->env, &err));
    assert_int_equal(err, GP_ERR_INVALID_ARG);
    gp_server_config_defaults(&cfg);
    cfg.agent_failure_rate = 1.5;
    assert_null(gp_server_create(&cfg, &fe->env, &err));
    assert_int_equal(err, GP_ERR_INVALID_ARG);
    gp_server_config_defaults(&cfg);
    cfg.max_message_bytes = 0;
    assert_null(gp_server_create(&cfg, &fe->env, &err));
    assert_int_equal(err, GP_ERR_INVALID_ARG);
    fake_env_free(fe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_path_one_connection),
        cmocka_unit_test(test_events_timed_by_agent_durations),
        cmocka_unit_test(test_several_requests_each_in_order),
        cmocka_unit_test(test_duplicate_request_id_refused),
        cmocka_unit_test(test_bearer_header_auth),
        cmocka_unit_test(test_bad_bearer_header_closes_4401),
        cmocka_unit_test(test_bad_messages_stay_open),
        cmocka_unit_test(test_agent_before_ready_is_not_ready),
        cmocka_unit_test(test_other_message_before_auth_closes_4401),
        cmocka_unit_test(test_bad_tokens_close_4401),
        cmocka_unit_test(test_auth_timeout_closes_4408),
        cmocka_unit_test(test_binary_closes_1003_and_oversize_1009),
        cmocka_unit_test(test_early_messages_held_until_accept),
        cmocka_unit_test(test_stuck_detection_and_health),
        cmocka_unit_test(test_agent_failure_sends_error),
        cmocka_unit_test(test_shutdown_waits_for_requests),
        cmocka_unit_test(test_max_connections_and_dead_handles),
        cmocka_unit_test(test_create_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
