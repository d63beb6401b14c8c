/* test_codec.c: the wire codec (gp_codec.h) against PROTOCOL.md: every
 * message type round-trips, every bad input gets the documented error with
 * a reason naming the field, and the name tables (message types, protocol
 * error codes, the bug catalog) parse back what they print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gp_bugs.h"
#include "gp_codec.h"
#include "gp_error.h"

#define BUF_LEN 8192

/* The string members of gp_msg, for field-by-field comparison. */
static const size_t field_offsets[] = {
    offsetof(gp_msg, token),         offsetof(gp_msg, request_id),
    offsetof(gp_msg, message),       offsetof(gp_msg, agent_type),
    offsetof(gp_msg, connection_id), offsetof(gp_msg, user_id),
    offsetof(gp_msg, state),         offsetof(gp_msg, thought),
    offsetof(gp_msg, tool),          offsetof(gp_msg, result),
    offsetof(gp_msg, response),      offsetof(gp_msg, code)};

static const char *field_at(const gp_msg *m, size_t off)
{
    const char *p;
    memcpy(&p, (const char *)m + off, sizeof p);
    return p;
}

static gp_msg_side receiver_of(gp_msg_type t)
{
    return (t == GP_MSG_AUTH || t == GP_MSG_AGENT_EXECUTION ||
            t == GP_MSG_PING)
               ? GP_SIDE_SERVER
               : GP_SIDE_CLIENT;
}

/* Encodes `in`, parses it on the receiving side, and asserts the same type
 * and the same fields (NULL stays NULL).  Returns the encoded length. */
static size_t round_trip(const gp_msg *in, char *buf)
{
    size_t len = 0;
    assert_int_equal(gp_msg_encode(in, buf, BUF_LEN, &len), GP_OK);
    assert_int_equal(strlen(buf), len);
    gp_msg out;
    char why[128];
    int rc = gp_msg_parse(buf, len, receiver_of(in->type), &out, why,
                          sizeof why);
    if (rc != GP_OK)
        fail_msg("parse of %s failed: %s (%s)", buf, gp_err_name(rc), why);
    assert_int_equal(out.type, in->type);
    for (size_t i = 0; i < sizeof field_offsets / sizeof *field_offsets; i++) {
        const char *a = field_at(in, field_offsets[i]);
        const char *b = field_at(&out, field_offsets[i]);
        if (a == NULL)
            assert_null(b);
        else
            assert_string_equal(a, b);
    }
    gp_msg_clear(&out);
    assert_null(out.root_);
    return len;
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    char buf[BUF_LEN];
    /* Texts with characters JSON must escape, and non-ASCII UTF-8. */
    const char *tricky = "say \"hi\" \\ back\nslash / tab\t caf\xc3\xa9 "
                         "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
    const gp_msg msgs[] = {
        {.type = GP_MSG_AUTH, .token = "a.b.c"},
        {.type = GP_MSG_AGENT_EXECUTION, .request_id = "r-1",
         .message = tricky, .agent_type = "supervisor"},
        {.type = GP_MSG_AGENT_EXECUTION, .message = ""},
        {.type = GP_MSG_PING},
        {.type = GP_MSG_PONG},
        {.type = GP_MSG_CONNECTION_READY, .connection_id = "ws_1_2",
         .user_id = "alice", .state = "PROCESSING_READY"},
        {.type = GP_MSG_AGENT_STARTED, .request_id = "r-1",
         .connection_id = "ws_1_2", .agent_type = "supervisor"},
        {.type = GP_MSG_AGENT_THINKING, .request_id = "r-1",
         .connection_id = "ws_1_2", .thought = tricky},
        {.type = GP_MSG_TOOL_EXECUTING, .request_id = "r-1",
         .connection_id = "ws_1_2", .tool = "web_search"},
        {.type = GP_MSG_TOOL_COMPLETED, .request_id = "r-1",
         .connection_id = "ws_1_2", .tool = "web_search", .result = "42"},
        {.type = GP_MSG_AGENT_COMPLETED, .request_id = "r-1",
         .connection_id = "ws_1_2", .response = tricky},
        {.type = GP_MSG_ERROR, .code = "BAD_MESSAGE", .message = "no",
         .request_id = "r-9"},
        {.type = GP_MSG_ERROR, .code = "AUTH_REQUIRED", .message = "auth"},
    };
    bool seen[GP_MSG_TYPE_COUNT] = {false};
    for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
        round_trip(&msgs[i], buf);
        seen[msgs[i].type] = true;
    }
    for (int t = GP_MSG_NONE + 1; t < GP_MSG_TYPE_COUNT; t++)
        if (!seen[t])
            fail_msg("type %s has no round-trip case", gp_msg_type_name(t));
}

/* The exact bytes PROTOCOL.md shows. */
static void test_encode_exact_shapes(void **state)
{
    (void)state;
    char buf[BUF_LEN];
    struct {
        gp_msg m;
        const char *json;
    } cases[] = {
        {{.type = GP_MSG_PONG}, "{\"type\":\"pong\",\"data\":{}}"},
        {{.type = GP_MSG_PING}, "{\"type\":\"ping\",\"data\":{}}"},
        {{.type = GP_MSG_AUTH, .token = "t"},
         "{\"type\":\"auth\",\"data\":{\"token\":\"t\"}}"},
        {{.type = GP_MSG_AGENT_EXECUTION, .request_id = "r-1",
          .message = "...", .agent_type = "supervisor"},
         "{\"type\":\"agent_execution\",\"request_id\":\"r-1\",\"data\":{"
         "\"message\":\"...\",\"agent_type\":\"supervisor\"}}"},
        {{.type = GP_MSG_AGENT_EXECUTION, .message = "m"},
         "{\"type\":\"agent_execution\",\"data\":{\"message\":\"m\"}}"},
        {{.type = GP_MSG_CONNECTION_READY, .connection_id = "ws_1_2",
          .user_id = "u", .state = "PROCESSING_READY"},
         "{\"type\":\"connection_ready\",\"data\":{\"connection_id\":"
         "\"ws_1_2\",\"user_id\":\"u\",\"state\":\"PROCESSING_READY\"}}"},
        {{.type = GP_MSG_TOOL_COMPLETED, .request_id = "r", .connection_id = "c",
          .tool = "t", .result = "x"},
         "{\"type\":\"tool_completed\",\"data\":{\"request_id\":\"r\","
         "\"connection_id\":\"c\",\"tool\":\"t\",\"result\":\"x\"}}"},
        {{.type = GP_MSG_ERROR, .code = "NOT_READY", .message = "wait"},
         "{\"type\":\"error\",\"data\":{\"code\":\"NOT_READY\",\"message\":"
         "\"wait\"}}"},
        {{.type = GP_MSG_ERROR, .code = "NOT_READY", .message = "wait",
          .request_id = "r-2"},
         "{\"type\":\"error\",\"data\":{\"code\":\"NOT_READY\",\"message\":"
         "\"wait\",\"request_id\":\"r-2\"}}"},
        /* Fields of other types are not written. */
        {{.type = GP_MSG_PONG, .token = "secret", .message = "x"},
         "{\"type\":\"pong\",\"data\":{}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = 0;
        assert_int_equal(gp_msg_encode(&cases[i].m, buf, sizeof buf, &len),
                         GP_OK);
        assert_string_equal(buf, cases[i].json);
        assert_int_equal(len, strlen(cases[i].json));
    }
}

static void test_encode_errors(void **state)
{
    (void)state;
    char buf[BUF_LEN];
    size_t len = 99;
    const gp_msg missing[] = {
        {.type = GP_MSG_AUTH},
        {.type = GP_MSG_AGENT_EXECUTION, .request_id = "r"},
        {.type = GP_MSG_AGENT_THINKING, .request_id = "r",
         .connection_id = "c"},
        {.type = GP_MSG_AGENT_STARTED, .connection_id = "c",
         .agent_type = "a"},
        {.type = GP_MSG_ERROR, .code = "BAD_MESSAGE"},
        {.type = GP_MSG_NONE},
        {.type = GP_MSG_TYPE_COUNT},
    };
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
        assert_int_equal(gp_msg_encode(&missing[i], buf, sizeof buf, &len),
                         GP_ERR_INVALID_ARG);
        assert_int_equal(len, 0);
    }
    gp_msg bad_utf8 = {.type = GP_MSG_AUTH, .token = "\xff\xfe"};
    assert_int_equal(gp_msg_encode(&bad_utf8, buf, sizeof buf, &len),
                     GP_ERR_INVALID_ARG);
}

static void test_encode_buffer_too_small(void **state)
{
    (void)state;
    char big[BUF_LEN];
    gp_msg m = {.type = GP_MSG_AGENT_THINKING, .request_id = "r-1",
                .connection_id = "ws_1_2", .thought = "pondering"};
    size_t full = 0;
    assert_int_equal(gp_msg_encode(&m, big, sizeof big, &full), GP_OK);

    char small[16];
    size_t len = 0;
    assert_int_equal(gp_msg_encode(&m, small, sizeof small, &len),
                     GP_ERR_TOO_LONG);
    assert_int_equal(len, full);
    assert_string_equal(small, "");
    /* Room for the text but not its NUL is still too small. */
    char exact[BUF_LEN];
    assert_int_equal(gp_msg_encode(&m, exact, full, &len), GP_ERR_TOO_LONG);
    assert_int_equal(len, full);
    assert_int_equal(gp_msg_encode(&m, exact, full + 1, &len), GP_OK);
    assert_int_equal(len, full);
    assert_string_equal(exact, big);
    /* A size query. */
    assert_int_equal(gp_msg_encode(&m, NULL, 0, &len), GP_ERR_TOO_LONG);
    assert_int_equal(len, full);
}

/* gp_msg_encode_with gives gp_msg_encode's result and bytes for a stream
 * of messages of every type, with optional fields coming and going (each
 * set of fields has its own tree), values repeated and changed, a bad UTF-8
 * value between good ones (refused, and the next message of that shape
 * still right), missing required fields and too small buffers. */
static void test_encoder_matches_encode(void **state)
{
    (void)state;
    gp_msg_encoder *enc = gp_msg_encoder_create();
    assert_non_null(enc);
    static const char *const values[] = {"", "r-1", "r-2", "ws_1_2", "a \"quoted\" \\ text",
                                         "line\nbreak\ttab", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
                                         "\xff\xfe", "PROCESSING_READY", "x"};
    const size_t n_values = sizeof values / sizeof *values;
    unsigned long long x = 88172645463325252ULL; /* xorshift: a fixed stream */
    char a[BUF_LEN], b[BUF_LEN];
    for (int i = 0; i < 20000; i++) {
        gp_msg m = {0};
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        m.type = (gp_msg_type)(x % GP_MSG_TYPE_COUNT);
        for (size_t f = 0; f < sizeof field_offsets / sizeof *field_offsets; f++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* most fields present; the bad value rarely */
            const char *v = (x & 7) == 0 ? NULL : values[(x >> 3) % n_values];
            if (v == values[7] && (x >> 12) % 8 != 0)
                v = values[1];
            memcpy((char *)&m + field_offsets[f], &v, sizeof v);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t cap = (x % 16 == 0) ? (size_t)(x >> 8) % 120 : BUF_LEN;
        size_t la = 77, lb = 77;
        memset(a, 'A', sizeof a);
        memset(b, 'A', sizeof b);
        int ra = gp_msg_encode(&m, a, cap, &la);
        int rb = gp_msg_encode_with(enc, &m, b, cap, &lb);
        if (ra != rb || la != lb || memcmp(a, b, cap) != 0)
            fail_msg("message %d (type %d, cap %zu): %s/%zu \"%s\" vs %s/%zu \"%s\"", i,
                     m.type, cap, gp_err_name(ra), la, ra == GP_OK ? a : "",
                     gp_err_name(rb), lb, rb == GP_OK ? b : "");
    }
    /* NULL encoder: gp_msg_encode itself */
    gp_msg ping = {.type = GP_MSG_PING};
    size_t len = 0;
    assert_int_equal(gp_msg_encode_with(NULL, &ping, a, sizeof a, &len), GP_OK);
    assert_string_equal(a, "{\"type\":\"ping\",\"data\":{}}");
    gp_msg_encoder_destroy(enc);
    gp_msg_encoder_destroy(NULL);
}

typedef struct bad_case {
    const char *input;
    gp_msg_side side;
    int rc;
    const char *why_has; /* a substring of the reason */
} bad_case;

static void expect_bad(const char *input, size_t len, gp_msg_side side,
                       int rc, const char *why_has)
{
    gp_msg m;
    memset(&m, 0x5a, sizeof m);
    char why[160];
    int got = gp_msg_parse(input, len, side, &m, why, sizeof why);
    if (got != rc)
        fail_msg("%s: got %s, want %s (%s)", input, gp_err_name(got),
                 gp_err_name(rc), why);
    /* Nothing to release, nothing dangling. */
    gp_msg zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&m, &zero, sizeof m);
    if (strstr(why, why_has) == NULL)
        fail_msg("%s: reason \"%s\" does not mention \"%s\"", input, why,
                 why_has);
}

static void test_parse_bad_inputs(void **state)
{
    (void)state;
    const bad_case cases[] = {
        {"not json", GP_SIDE_SERVER, GP_ERR_BAD_JSON, "not valid JSON"},
        {"", GP_SIDE_SERVER, GP_ERR_BAD_JSON, "not valid JSON"},
        {"{\"type\":\"ping\",\"data\":{}} trailing", GP_SIDE_SERVER,
         GP_ERR_BAD_JSON, "JSON"},
        {"{\"type\":\"ping\",\"type\":\"ping\",\"data\":{}}", GP_SIDE_SERVER,
         GP_ERR_BAD_JSON, "duplicate"},
        {"{\"type\":\"auth\",\"data\":{\"token\":\"a\\u0000b\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_JSON, "JSON"},
        {"{\"type\":\"auth\",\"data\":{\"token\":\"\xc3\x28\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_JSON, "JSON"},
        {"[1,2]", GP_SIDE_SERVER, GP_ERR_NOT_OBJECT, "array"},
        {"\"auth\"", GP_SIDE_SERVER, GP_ERR_NOT_OBJECT, "string"},
        {"42", GP_SIDE_CLIENT, GP_ERR_NOT_OBJECT, "number"},
        {"null", GP_SIDE_CLIENT, GP_ERR_NOT_OBJECT, "null"},
        {"{\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_TYPE, "field type: missing"},
        {"{\"type\":7,\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_TYPE,
         "field type: expected a string"},
        {"{\"type\":\"bogus\",\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_TYPE,
         "unknown"},
        {"{\"type\":\"PING\",\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_TYPE,
         "unknown"},
        {"{\"type\":\"ping\",\"data\":{}}", GP_SIDE_CLIENT, GP_ERR_BAD_TYPE,
         "ping"},
        {"{\"type\":\"auth\",\"data\":{\"token\":\"t\"}}", GP_SIDE_CLIENT,
         GP_ERR_BAD_TYPE, "auth"},
        {"{\"type\":\"pong\",\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_TYPE,
         "pong"},
        {"{\"type\":\"agent_completed\",\"data\":{\"request_id\":\"r\","
         "\"connection_id\":\"c\",\"response\":\"0123456789\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_TYPE, "agent_completed"},
        {"{\"type\":\"ping\"}", GP_SIDE_SERVER, GP_ERR_BAD_FIELD,
         "field data: missing"},
        {"{\"type\":\"ping\",\"data\":[]}", GP_SIDE_SERVER, GP_ERR_BAD_FIELD,
         "field data: expected an object"},
        {"{\"type\":\"pong\",\"data\":null}", GP_SIDE_CLIENT, GP_ERR_BAD_FIELD,
         "field data"},
        {"{\"type\":\"auth\",\"data\":{}}", GP_SIDE_SERVER, GP_ERR_BAD_FIELD,
         "field data.token: missing"},
        {"{\"type\":\"auth\",\"token\":\"t\",\"data\":{}}", GP_SIDE_SERVER,
         GP_ERR_BAD_FIELD, "field data.token: missing"},
        {"{\"type\":\"auth\",\"data\":{\"token\":42}}", GP_SIDE_SERVER,
         GP_ERR_BAD_FIELD, "field data.token: expected a string"},
        {"{\"type\":\"agent_execution\",\"data\":{}}", GP_SIDE_SERVER,
         GP_ERR_BAD_FIELD, "field data.message: missing"},
        {"{\"type\":\"agent_execution\",\"data\":{\"message\":[\"x\"]}}",
         GP_SIDE_SERVER, GP_ERR_BAD_FIELD, "field data.message"},
        {"{\"type\":\"agent_execution\",\"request_id\":5,\"data\":{"
         "\"message\":\"m\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_FIELD, "field request_id: expected a string"},
        {"{\"type\":\"agent_execution\",\"request_id\":null,\"data\":{"
         "\"message\":\"m\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_FIELD, "field request_id"},
        {"{\"type\":\"agent_execution\",\"request_id\":\"\",\"data\":{"
         "\"message\":\"m\"}}",
         GP_SIDE_SERVER, GP_ERR_BAD_FIELD, "field request_id: must not be empty"},
        {"{\"type\":\"agent_execution\",\"data\":{\"message\":\"m\","
         "\"agent_type\":true}}",
         GP_SIDE_SERVER, GP_ERR_BAD_FIELD, "field data.agent_type"},
        {"{\"type\":\"agent_thinking\",\"data\":{\"request_id\":\"r\","
         "\"thought\":\"t\"}}",
         GP_SIDE_CLIENT, GP_ERR_BAD_FIELD, "field data.connection_id: missing"},
        {"{\"type\":\"agent_thinking\",\"data\":{\"request_id\":\"\","
         "\"connection_id\":\"c\",\"thought\":\"t\"}}",
         GP_SIDE_CLIENT, GP_ERR_BAD_FIELD, "field data.request_id"},
        {"{\"type\":\"tool_completed\",\"data\":{\"request_id\":\"r\","
         "\"connection_id\":\"c\",\"tool\":\"t\"}}",
         GP_SIDE_CLIENT, GP_ERR_BAD_FIELD, "field data.result: missing"},
        {"{\"type\":\"error\",\"data\":{\"code\":\"X\"}}", GP_SIDE_CLIENT,
         GP_ERR_BAD_FIELD, "field data.message: missing"},
        {"{\"type\":\"error\",\"data\":{\"message\":\"m\"}}", GP_SIDE_CLIENT,
         GP_ERR_BAD_FIELD, "field data.code: missing"},
        {"{\"type\":\"error\",\"data\":{\"code\":\"X\",\"message\":\"m\","
         "\"request_id\":1}}",
         GP_SIDE_CLIENT, GP_ERR_BAD_FIELD, "field data.request_id"},
        {"{\"type\":\"connection_ready\",\"data\":{\"connection_id\":\"c\","
         "\"user_id\":\"u\"}}",
         GP_SIDE_CLIENT, GP_ERR_BAD_FIELD, "field data.state: missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_bad(cases[i].input, strlen(cases[i].input), cases[i].side,
                   cases[i].rc, cases[i].why_has);
}

/* Builds {"type":"agent_execution","request_id":"<n x r>",...} or the auth
 * message with a token of n bytes into buf. */
static size_t with_request_id(char *buf, size_t cap, size_t n)
{
    char id[256];
    memset(id, 'r', n);
    id[n] = '\0';
    return (size_t)snprintf(buf, cap,
                            "{\"type\":\"agent_execution\",\"request_id\":"
                            "\"%s\",\"data\":{\"message\":\"m\"}}",
                            id);
}

static size_t with_token(char *buf, size_t cap, size_t n)
{
    int w = snprintf(buf, cap, "{\"type\":\"auth\",\"data\":{\"token\":\"");
    memset(buf + w, 't', n);
    return (size_t)(w + (int)n) +
           (size_t)snprintf(buf + w + n, cap - (size_t)w - n, "\"}}");
}

static size_t with_agent_type(char *buf, size_t cap, size_t n)
{
    char at[256];
    memset(at, 'a', n);
    at[n] = '\0';
    return (size_t)snprintf(buf, cap,
                            "{\"type\":\"agent_execution\",\"data\":{"
                            "\"message\":\"m\",\"agent_type\":\"%s\"}}",
                            at);
}

static void test_parse_length_limits(void **state)
{
    (void)state;
    static char buf[GP_TOKEN_LEN_MAX + 256];
    gp_msg m;
    size_t len;

    len = with_request_id(buf, sizeof buf, GP_REQUEST_ID_LEN_MAX);
    assert_int_equal(gp_msg_parse(buf, len, GP_SIDE_SERVER, &m, NULL, 0),
                     GP_OK);
    assert_int_equal(strlen(m.request_id), GP_REQUEST_ID_LEN_MAX);
    gp_msg_clear(&m);
    len = with_request_id(buf, sizeof buf, GP_REQUEST_ID_LEN_MAX + 1);
    expect_bad(buf, len, GP_SIDE_SERVER, GP_ERR_TOO_LONG,
               "field request_id: longer than 64 bytes");

    len = with_token(buf, sizeof buf, GP_TOKEN_LEN_MAX);
    assert_int_equal(gp_msg_parse(buf, len, GP_SIDE_SERVER, &m, NULL, 0),
                     GP_OK);
    assert_int_equal(strlen(m.token), GP_TOKEN_LEN_MAX);
    gp_msg_clear(&m);
    len = with_token(buf, sizeof buf, GP_TOKEN_LEN_MAX + 1);
    expect_bad(buf, len, GP_SIDE_SERVER, GP_ERR_TOO_LONG,
               "field data.token: longer than 4096 bytes");

    len = with_agent_type(buf, sizeof buf, GP_AGENT_TYPE_LEN_MAX);
    assert_int_equal(gp_msg_parse(buf, len, GP_SIDE_SERVER, &m, NULL, 0),
                     GP_OK);
    gp_msg_clear(&m);
    len = with_agent_type(buf, sizeof buf, GP_AGENT_TYPE_LEN_MAX + 1);
    expect_bad(buf, len, GP_SIDE_SERVER, GP_ERR_TOO_LONG,
               "field data.agent_type");
}

static void test_parse_ignores_unknown_fields(void **state)
{
    (void)state;
    const char *in =
        "{\"v\":2,\"type\":\"agent_execution\",\"request_id\":\"r-7\","
        "\"extra\":{\"a\":[1,2]},\"data\":{\"message\":\"hi\",\"foo\":null,"
        "\"request_id\":\"ignored\",\"token\":5}}";
    gp_msg m;
    assert_int_equal(gp_msg_parse(in, strlen(in), GP_SIDE_SERVER, &m, NULL, 0),
                     GP_OK);
    assert_int_equal(m.type, GP_MSG_AGENT_EXECUTION);
    assert_string_equal(m.request_id, "r-7");
    assert_string_equal(m.message, "hi");
    assert_null(m.agent_type);
    /* data.token is not a field of agent_execution: not read, not checked. */
    assert_null(m.token);
    gp_msg_clear(&m);
    gp_msg_clear(&m); /* twice is safe */

    const char *ping = "{\"type\":\"ping\",\"data\":{\"nonce\":1}}";
    assert_int_equal(
        gp_msg_parse(ping, strlen(ping), GP_SIDE_SERVER, &m, NULL, 0), GP_OK);
    assert_int_equal(m.type, GP_MSG_PING);
    gp_msg_clear(&m);
}

/* Parsing a length, not a C string: bytes after len are not read, and a
 * NUL byte inside the range is bad JSON. */
static void test_parse_uses_length(void **state)
{
    (void)state;
    const char in[] = "{\"type\":\"ping\",\"data\":{}}GARBAGE";
    gp_msg m;
    assert_int_equal(gp_msg_parse(in, strlen(in) - 7, GP_SIDE_SERVER, &m,
                                  NULL, 0),
                     GP_OK);
    gp_msg_clear(&m);
    const char nul[] = "{\"type\":\"ping\",\0\"data\":{}}";
    expect_bad(nul, sizeof nul - 1, GP_SIDE_SERVER, GP_ERR_BAD_JSON, "JSON");
    expect_bad(NULL, 0, GP_SIDE_SERVER, GP_ERR_BAD_JSON, "JSON");
}

/* The reason is cut to why_len and stays printable ASCII even when jansson
 * quotes non-ASCII input bytes. */
static void test_parse_why_is_bounded_ascii(void **state)
{
    (void)state;
    const char *in = "{\"type\": \xc3\xa9\xc3\xa9\xc3\xa9}";
    char why[12];
    memset(why, 'x', sizeof why);
    gp_msg m;
    assert_int_equal(gp_msg_parse(in, strlen(in), GP_SIDE_SERVER, &m, why,
                                  sizeof why),
                     GP_ERR_BAD_JSON);
    assert_int_equal(strlen(why), sizeof why - 1);
    char full[256];
    assert_int_equal(gp_msg_parse(in, strlen(in), GP_SIDE_SERVER, &m, full,
                                  sizeof full),
                     GP_ERR_BAD_JSON);
    for (const char *p = full; *p; p++)
        assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void test_msg_type_names(void **state)
{
    (void)state;
    for (int t = GP_MSG_NONE + 1; t < GP_MSG_TYPE_COUNT; t++) {
        const char *name = gp_msg_type_name((gp_msg_type)t);
        assert_non_null(name);
        assert_int_equal(gp_msg_type_parse(name), t);
    }
    assert_string_equal(gp_msg_type_name(GP_MSG_AGENT_EXECUTION),
                        "agent_execution");
    assert_string_equal(gp_msg_type_name(GP_MSG_CONNECTION_READY),
                        "connection_ready");
    assert_null(gp_msg_type_name(GP_MSG_NONE));
    assert_null(gp_msg_type_name(GP_MSG_TYPE_COUNT));
    assert_null(gp_msg_type_name((gp_msg_type)-1));
    assert_int_equal(gp_msg_type_parse("nope"), GP_MSG_NONE);
    assert_int_equal(gp_msg_type_parse("Auth"), GP_MSG_NONE);
    assert_int_equal(gp_msg_type_parse(""), GP_MSG_NONE);
    assert_int_equal(gp_msg_type_parse(NULL), GP_MSG_NONE);
}

static void test_proto_error_names(void **state)
{
    (void)state;
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        assert_int_equal(gp_proto_error_parse(gp_proto_error_name(e)), e);
    assert_string_equal(gp_proto_error_name(GP_PROTO_BAD_MESSAGE),
                        "BAD_MESSAGE");
    assert_string_equal(gp_proto_error_name(GP_PROTO_ALREADY_AUTHENTICATED),
                        "ALREADY_AUTHENTICATED");
    assert_string_equal(gp_proto_error_name(GP_PROTO_ERROR_COUNT),
                        "INTERNAL_ERROR");
    assert_int_equal(gp_proto_error_parse("bad_message"), GP_PROTO_ERROR_COUNT);
    assert_int_equal(gp_proto_error_parse(NULL), GP_PROTO_ERROR_COUNT);
}

static void test_bug_names(void **state)
{
    (void)state;
    for (int b = 0; b < GP_BUG_COUNT; b++) {
        assert_int_equal(gp_bug_parse(gp_bug_name(b)), b);
        assert_true(strlen(gp_bug_summary(b)) > 10);
    }
    assert_int_equal(gp_bug_parse("id_regeneration"), GP_BUG_ID_REGENERATION);
    assert_int_equal(gp_bug_parse("accept_race"), GP_BUG_ACCEPT_RACE);
    assert_int_equal(gp_bug_parse("swallow_transition_errors"),
                     GP_BUG_SWALLOW_TRANSITION_ERRORS);
    assert_int_equal(gp_bug_parse("ID_REGENERATION"), GP_BUG_COUNT);
    assert_int_equal(gp_bug_parse(NULL), GP_BUG_COUNT);
    assert_null(gp_bug_name(GP_BUG_COUNT));
    assert_null(gp_bug_summary(GP_BUG_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_encode_exact_shapes),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_encode_buffer_too_small),
        cmocka_unit_test(test_encoder_matches_encode),
        cmocka_unit_test(test_parse_bad_inputs),
        cmocka_unit_test(test_parse_length_limits),
        cmocka_unit_test(test_parse_ignores_unknown_fields),
        cmocka_unit_test(test_parse_uses_length),
        cmocka_unit_test(test_parse_why_is_bounded_ascii),
        cmocka_unit_test(test_msg_type_names),
        cmocka_unit_test(test_proto_error_names),
        cmocka_unit_test(test_bug_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
