/* test_profile.c: protocol profiles (harness/profile): the shipped profiles
 * load; a profile's mistakes are all reported, naming the field; JSON
 * Pointers, templates and named-group patterns do what the guide
 * (docs/your-server.md) says; messages are classified and made as the profile
 * says; every bad-token kind is bad in the way it claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gp_error.h"
#include "gp_jptr.h"
#include "gp_mint.h"
#include "gp_profile.h"
#include "gp_rx.h"

#include <openssl/evp.h>

static void load_ok(const char *rel)
{
    char path[1024], err[GP_PROFILE_ERR_MAX] = "";
    snprintf(path, sizeof(path), "%s/%s", GP_SOURCE_DIR, rel);
    gp_profile p;
    int rc = gp_profile_load(&p, path, err, sizeof(err));
    if (rc != GP_OK)
        fail_msg("%s: %s", rel, err);
    gp_profile_free(&p);
}

static void test_shipped_profiles_load(void **state)
{
    (void)state;
    load_ok("profiles/goldpath.v1.json");
    load_ok("examples/python-server/profile.json");
    load_ok("tests/profile/faulty.profile.json");
}

static int parse(gp_profile *p, const char *json, char *err, size_t n)
{
    return gp_profile_parse(p, json, strlen(json), "p.json", err, n);
}

static const char minimal[] =
    "{\"name\": \"m\", \"auth\": {\"in\": \"none\"},"
    " \"ready\": {\"match\": {\"/t\": \"ready\"}},"
    " \"request\": {\"op\": \"ask\", \"id\": \"{request_id}\", \"q\": \"{message}\"},"
    " \"events\": {\"type\": \"/t\", \"request_id\": \"/id\","
    "   \"sequence\": [{\"type\": \"part\", \"repeat\": true, \"counter\": \"/n\"}, {\"type\": \"end\"}],"
    "   \"response\": {\"pointer\": \"/answer\", \"min_length\": 5, \"contains\": \"to {message}\"}},"
    " \"errors\": {\"match\": {\"/t\": \"err\"}, \"code\": \"/code\", \"request_id\": \"/id\","
    "   \"codes\": {\"OOPS\": \"AGENT_FAILED\"}}}";

static void test_every_mistake_at_once(void **state)
{
    (void)state;
    gp_profile p;
    char err[GP_PROFILE_ERR_MAX] = "";
    const char *bad =
        "{\"name\": \"x\", \"tranport\": {},"
        " \"auth\": {\"in\": \"querry\", \"token\": {\"alg\": \"HS999\"}},"
        " \"ready\": {\"match\": {\"type\": \"ready\"}},"
        " \"request\": {\"op\": \"{request}\"},"
        " \"events\": {\"type\": \"/t\", \"request_id\": \"id\","
        "   \"sequence\": [{\"type\": \"a\"}, {\"type\": \"b\", \"repeat\": true}]},"
        " \"log\": {\"step\": \"(?<id>x) (?<from>y)\"}}";
    assert_int_equal(parse(&p, bad, err, sizeof(err)), GP_ERR_INVALID_ARG);
    const char *want[] = {
        "p.json: tranport: unknown field", "did you mean \"transport\"?",
        "p.json: auth.in: [0]: expected", "did you mean \"query\"?",
        "p.json: auth.token.alg: \"HS999\"",
        "p.json: ready.match: key \"type\" is not a JSON Pointer",
        "p.json: request: unknown placeholder {request}",
        "p.json: request: must carry {request_id}",
        "p.json: events.request_id: \"id\" is not a JSON Pointer",
        "p.json: events.sequence: the last event ends the run: it cannot repeat",
        "p.json: log.step: needs a named group (?<to>...)",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(err, want[i]))
            fail_msg("missing \"%s\" in:\n%s", want[i], err);
    gp_profile_free(&p);
    /* syntax errors: line and column */
    assert_int_equal(parse(&p, "{\"name\": \"x\",}", err, sizeof(err)), GP_ERR_BAD_JSON);
    assert_non_null(strstr(err, "p.json:1:"));
    gp_profile_free(&p);
    /* an HTTP refusal cannot answer a token sent in a message */
    const char *msg_http =
        "{\"name\": \"x\", \"auth\": {\"in\": \"message\", \"message\": {\"tok\": \"{token}\"},"
        " \"token\": {\"secret\": \"s\", \"claims\": {\"sub\": \"{user}\"}},"
        " \"refusal\": {\"http_status\": 401}}}";
    assert_int_equal(parse(&p, msg_http, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "auth.refusal.http_status"));
    gp_profile_free(&p);
}

static void test_pointers_and_templates(void **state)
{
    (void)state;
    json_t *j = json_loads("{\"a\": {\"b/c\": [10, {\"d~e\": \"x\"}]}, \"n\": 7}", 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(gp_jptr_get(j, "/a/b~1c/0")), 10);
    assert_string_equal(json_string_value(gp_jptr_get(j, "/a/b~1c/1/d~0e")), "x");
    assert_null(gp_jptr_get(j, "/a/b~1c/2"));
    assert_null(gp_jptr_get(j, "/a/b~1c/01"));
    assert_null(gp_jptr_get(j, "a"));
    char buf[32];
    assert_string_equal(gp_jptr_text(j, "/n", buf, sizeof(buf)), "7");
    assert_true(gp_jptr_valid(""));
    assert_false(gp_jptr_valid("/bad~2"));
    json_t *m = json_loads("{\"/n\": 7}", 0, NULL);
    assert_true(gp_jmatch(j, m));
    json_decref(m);
    m = json_loads("{\"/n\": \"7\"}", 0, NULL); /* types matter */
    assert_false(gp_jmatch(j, m));
    json_decref(m);
    json_decref(j);

    gp_tvars v = {.n = 0};
    gp_tvars_text(&v, "user", "alice");
    gp_tvars_number(&v, "now", 1000);
    json_t *t = json_loads("{\"sub\": \"{user}\", \"exp\": \"{now+3600}\", \"iat\": \"{now}\","
                           " \"note\": \"{{literal}} for {user}\", \"list\": [\"{now-1}\"]}", 0, NULL);
    json_t *r = gp_template_render(t, &v);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "sub")), "alice");
    assert_int_equal(json_integer_value(json_object_get(r, "exp")), 4600);
    assert_int_equal(json_integer_value(json_object_get(r, "iat")), 1000);
    assert_string_equal(json_string_value(json_object_get(r, "note")), "{literal} for alice");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "list"), 0)), 999);
    json_decref(r);
    const char *known[] = {"user", "now"};
    char err[256];
    assert_int_equal(gp_template_check(t, known, 2, err, sizeof(err)), GP_OK);
    assert_int_equal(gp_template_check(t, known, 1, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "{now}"));
    json_decref(t);
    char out[16];
    assert_true(gp_template_string("{user} and {user}", &v, out, sizeof(out)) < 0 ||
                strcmp(out, "alice and alice") == 0);
    assert_int_equal(gp_template_string("a much longer text than fits", &v, out, sizeof(out)), -1);
    assert_int_equal(gp_template_string("{nobody}", &v, out, sizeof(out)), -1);
}

static void test_named_groups(void **state)
{
    (void)state;
    gp_rx rx;
    char err[256], id[64], to[64];
    regmatch_t m[GP_RX_GROUPS_MAX + 1];
    assert_int_equal(gp_rx_compile(&rx, "^State for (?<id>[^ :]+): (?<from>[A-Z_]+) -> (?<to>[A-Z_]+)$",
                                   err, sizeof(err)), GP_OK);
    assert_int_equal(gp_rx_group(&rx, "id"), 1);
    assert_int_equal(gp_rx_group(&rx, "to"), 3);
    assert_true(gp_rx_match(&rx, "State for ws_1: CONNECTING -> ACCEPTED", m));
    assert_true(gp_rx_take(&rx, "State for ws_1: CONNECTING -> ACCEPTED", m, "id", id, sizeof(id)));
    assert_string_equal(id, "ws_1");
    assert_true(gp_rx_take(&rx, "State for ws_1: CONNECTING -> ACCEPTED", m, "to", to, sizeof(to)));
    assert_string_equal(to, "ACCEPTED");
    assert_false(gp_rx_match(&rx, "Other line", m));
    gp_rx_free(&rx);
    /* the literal prefilter never throws out a line the pattern matches:
     * optional, repeated and alternative parts are not taken as literal */
    struct {
        const char *re, *line;
    } cases[] = {
        {"ab?c", "ac"},
        {"x(yz)?w", "xw"},
        {"foo|bar", "bar"},
        {"colou*r", "color"},
        {"a\\.b", "a.b"},
        {"[ab]cd", "bcd"},
        {"(?<id>q+)end", "qqend"},
        {"a{0,1}bc", "bc"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(gp_rx_compile(&rx, cases[i].re, err, sizeof(err)), GP_OK);
        if (!gp_rx_match(&rx, cases[i].line, m))
            fail_msg("%s should match %s (literal \"%s\")", cases[i].re, cases[i].line,
                     rx.literal);
        gp_rx_free(&rx);
    }
    assert_int_equal(gp_rx_compile(&rx, "(?P<id>x)", err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_int_equal(gp_rx_compile(&rx, "(unclosed", err, sizeof(err)), GP_ERR_INVALID_ARG);
}

static void test_messages_read_and_made(void **state)
{
    (void)state;
    gp_profile p;
    char err[GP_PROFILE_ERR_MAX] = "";
    assert_int_equal(parse(&p, minimal, err, sizeof(err)), GP_OK);
    gp_pin m;
    const char *ready = "{\"t\": \"ready\"}";
    assert_int_equal(gp_profile_read(&p, ready, strlen(ready), &m), GP_OK);
    assert_int_equal(m.kind, GP_PIN_READY);
    gp_pin_clear(&m);
    const char *part = "{\"t\": \"part\", \"id\": \"c3-r1\", \"n\": 4}";
    assert_int_equal(gp_profile_read(&p, part, strlen(part), &m), GP_OK);
    assert_int_equal(m.kind, GP_PIN_EVENT);
    assert_int_equal(m.step, 0);
    assert_string_equal(m.request_id, "c3-r1");
    assert_true(m.has_counter);
    assert_int_equal(m.counter, 4);
    gp_pin_clear(&m);
    const char *end = "{\"t\": \"end\", \"id\": \"c3-r1\", \"answer\": \"answer to hi\"}";
    assert_int_equal(gp_profile_read(&p, end, strlen(end), &m), GP_OK);
    assert_int_equal(m.step, 1);
    assert_string_equal(m.response, "answer to hi");
    assert_true(gp_profile_response_ok(&p, m.response, "hi", "c3-r1", "u"));
    assert_false(gp_profile_response_ok(&p, m.response, "ho", "c3-r1", "u"));
    gp_pin_clear(&m);
    const char *oops = "{\"t\": \"err\", \"code\": \"OOPS\", \"id\": \"c3-r2\"}";
    assert_int_equal(gp_profile_read(&p, oops, strlen(oops), &m), GP_OK);
    assert_int_equal(m.kind, GP_PIN_ERROR);
    assert_int_equal(m.code, GP_PROTO_AGENT_FAILED);
    gp_pin_clear(&m);
    assert_int_equal(gp_profile_read(&p, "not json", 8, &m), GP_ERR_BAD_JSON);
    gp_pin_clear(&m);
    char out[512];
    size_t len = 0;
    assert_int_equal(gp_profile_request(&p, "c3-r1", "say \"hi\"", "u", 3, 0, out, sizeof(out),
                                        &len), GP_OK);
    json_t *req = json_loads(out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(req, "q")), "say \"hi\"");
    assert_string_equal(json_string_value(json_object_get(req, "id")), "c3-r1");
    json_decref(req);
    gp_profile_free(&p);
}

/* The claims of a compact token, parsed. */
static json_t *claims_of(const char *tok)
{
    const char *a = strchr(tok, '.');
    const char *b = a ? strchr(a + 1, '.') : NULL;
    if (!a)
        return NULL;
    size_t n = b ? (size_t)(b - a - 1) : strlen(a + 1);
    char b64[1024], raw[1024];
    snprintf(b64, sizeof(b64), "%.*s", (int)n, a + 1);
    for (char *c = b64; *c; c++)
        *c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
    while (strlen(b64) % 4)
        strcat(b64, "=");
    int got = EVP_DecodeBlock((unsigned char *)raw, (unsigned char *)b64, (int)strlen(b64));
    if (got <= 0)
        return NULL;
    return json_loadb(raw, (size_t)got, JSON_DISABLE_EOF_CHECK, NULL);
}

static void test_every_bad_token_is_bad(void **state)
{
    (void)state;
    char path[1024], err[GP_PROFILE_ERR_MAX] = "";
    snprintf(path, sizeof(path), "%s/examples/python-server/profile.json", GP_SOURCE_DIR);
    gp_profile p;
    assert_int_equal(gp_profile_load(&p, path, err, sizeof(err)), GP_OK);
    setenv("CHAT_JWT_SECRET", "unit-test-secret", 1);
    gp_profile_keys k;
    assert_int_equal(gp_profile_keys_open(&p, &k, err, sizeof(err)), GP_OK);
    const int64_t now = 1800000000;
    char tok[2048];
    assert_int_equal(gp_profile_token(&p, &k, -1, "user_1", 1, now, tok, sizeof(tok)), GP_OK);
    assert_int_equal(gp_mint_verify(k.good, tok, strlen(tok)), GP_OK);
    json_t *c = claims_of(tok);
    assert_string_equal(json_string_value(json_object_get(c, "uid")), "user_1");
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), now + 3600);
    json_decref(c);
    for (int kind = 0; kind < GP_BAD_TOKEN_COUNT; kind++) {
        assert_int_equal(gp_profile_token(&p, &k, kind, "user_1", 1, now, tok, sizeof(tok)), GP_OK);
        bool sig_ok = gp_mint_verify(k.good, tok, strlen(tok)) == GP_OK;
        json_t *cl = claims_of(tok);
        switch (kind) {
        case GP_BAD_TOKEN_EXPIRED:
            assert_true(sig_ok);
            assert_true(json_integer_value(json_object_get(cl, "exp")) <= now);
            break;
        case GP_BAD_TOKEN_NOT_YET_VALID:
            assert_true(sig_ok);
            assert_true(json_integer_value(json_object_get(cl, "nbf")) > now);
            break;
        case GP_BAD_TOKEN_BAD_SUB:
            assert_true(sig_ok);
            assert_non_null(strchr(json_string_value(json_object_get(cl, "uid")), ' '));
            break;
        case GP_BAD_TOKEN_EXPIRES_NOW: /* expired on its exp second */
            assert_true(sig_ok);
            assert_int_equal(json_integer_value(json_object_get(cl, "exp")), now);
            break;
        case GP_BAD_TOKEN_SUB_TOO_LONG: /* the caller's user is the 129 characters */
            assert_true(sig_ok);
            assert_string_equal(json_string_value(json_object_get(cl, "uid")), "user_1");
            break;
        case GP_BAD_TOKEN_MALFORMED: {
            int dots = 0;
            for (const char *q = tok; *q; q++)
                dots += *q == '.';
            assert_int_equal(dots, 1);
            break;
        }
        default: /* another key, none, no or a cut signature, another alg */
            if (sig_ok)
                fail_msg("bad token kind %d verifies: %s", kind, tok);
        }
        json_decref(cl);
    }
    /* a good token valid from this very second */
    assert_int_equal(gp_profile_token(&p, &k, GP_PROFILE_EDGE_TOKEN(GP_EDGE_TOKEN_NBF_NOW),
                                      "user_1", 1, now, tok, sizeof(tok)),
                     GP_OK);
    assert_int_equal(gp_mint_verify(k.good, tok, strlen(tok)), GP_OK);
    c = claims_of(tok);
    assert_int_equal(json_integer_value(json_object_get(c, "nbf")), now);
    assert_true(json_integer_value(json_object_get(c, "exp")) > now);
    json_decref(c);
    gp_profile_keys_close(&k);
    unsetenv("CHAT_JWT_SECRET");
    assert_int_equal(gp_profile_keys_open(&p, &k, err, sizeof(err)), GP_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "CHAT_JWT_SECRET"));
    gp_profile_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_profiles_load),
        cmocka_unit_test(test_every_mistake_at_once),
        cmocka_unit_test(test_pointers_and_templates),
        cmocka_unit_test(test_named_groups),
        cmocka_unit_test(test_messages_read_and_made),
        cmocka_unit_test(test_every_bad_token_is_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
