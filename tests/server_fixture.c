/* server_fixture.c: see server_fixture.h. */
#include "server_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

fixture *fx_new_config(const gp_server_config *cfg)
{
    fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx->fe = fake_env_new(FX_START_MS, 42);
    fx->cfg = *cfg;
    int err = 0;
    fx->srv = gp_server_create(&fx->cfg, &fx->fe->env, &err);
    assert_int_equal(err, 0);
    assert_non_null(fx->srv);
    fx->key = gp_jwt_key_create(cfg->jwt_secret, cfg->jwt_secret_len);
    assert_non_null(fx->key);
    return fx;
}

fixture *fx_new(gp_bug_set bugs)
{
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    cfg.bugs = bugs;
    cfg.agent = (gp_agent_timing){40, 40, 20, 20};
    return fx_new_config(&cfg);
}

void fx_free(fixture *fx)
{
    gp_server_destroy(fx->srv);
    gp_jwt_key_destroy(fx->key);
    fake_env_free(fx->fe);
    free(fx);
}

const char *fx_token(fixture *fx, const char *sub)
{
    static char token[1024];
    int64_t now_s = (int64_t)(fx->fe->now_ms / 1000);
    assert_int_equal(gp_jwt_sign(fx->key, sub, now_s, now_s + 3600, token,
                                 sizeof(token)), 0);
    return token;
}

gp_conn_handle fx_open(fixture *fx, void *t, const char *bearer)
{
    gp_conn_handle h = 0;
    assert_int_equal(gp_server_on_open(fx->srv, t, bearer, &h), 0);
    assert_true(h != 0);
    return h;
}

void fx_send(fixture *fx, gp_conn_handle h, const char *json)
{
    gp_server_on_message(fx->srv, h, json, strlen(json), false);
}

gp_conn_handle fx_ready(fixture *fx, void *t, const char *user)
{
    gp_conn_handle h = fx_open(fx, t, NULL);
    gp_server_on_accept_complete(fx->srv, h);
    char msg[1200];
    snprintf(msg, sizeof(msg), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"}}",
             fx_token(fx, user));
    fx_send(fx, h, msg);
    assert_int_equal(fx_last_type(fx, t), GP_MSG_CONNECTION_READY);
    return h;
}

void fx_sent(fixture *fx, void *t, size_t i, gp_msg *out)
{
    const char *data = fake_env_sent_to(fx->fe, t, i);
    assert_non_null(data);
    char why[128];
    int rc = gp_msg_parse(data, strlen(data), GP_SIDE_CLIENT, out, why, sizeof(why));
    if (rc != 0)
        fail_msg("message %zu to %p does not parse (%s): %s", i, t, why, data);
}

gp_msg_type fx_last_type(fixture *fx, void *t)
{
    size_t n = fake_env_sent_count(fx->fe, t);
    if (n == 0)
        return GP_MSG_NONE;
    gp_msg m;
    fx_sent(fx, t, n - 1, &m);
    gp_msg_type type = m.type;
    gp_msg_clear(&m);
    return type;
}

const char *fx_last_error(fixture *fx, void *t)
{
    static char code[64];
    code[0] = '\0';
    size_t n = fake_env_sent_count(fx->fe, t);
    if (n == 0)
        return code;
    gp_msg m;
    fx_sent(fx, t, n - 1, &m);
    if (m.type == GP_MSG_ERROR)
        snprintf(code, sizeof(code), "%s", m.code);
    gp_msg_clear(&m);
    return code;
}

void fx_close(fixture *fx, gp_conn_handle h)
{
    gp_server_on_close(fx->srv, h);
}
