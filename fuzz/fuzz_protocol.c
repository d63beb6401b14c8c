/* fuzz_protocol.c: bytes -> the wire codec and JWT verification.
 *
 * The first byte picks what the rest is (the digits '0'..'4' as 0..4, so that
 * seed files can be text):
 *   0 a message a server receives, 1 a message a client receives: parsed;
 *     a rejection must be one of the codec's documented errors with a
 *     printable reason, and what parses must round-trip (encode, parse again,
 *     same fields; encoding twice gives the same bytes).
 *   2 a token: verified; a rejection must be one of the documented JWT errors
 *     and what verifies must have a valid subject and verify again when
 *     re-signed from its claims.
 *   3 a header and a payload (JSON texts split at the first NUL): signed and
 *     verified, so that the checks after the signature (alg, exp, sub) are
 *     reached; then one byte of the token is changed and the token must no
 *     longer verify.
 *   4 a message built field by field from the bytes: encoded; what encodes
 *     must parse back to the same fields when the fields are within the
 *     protocol's limits.
 * No leak (LeakSanitizer), no crash, no undefined behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_codec.h"
#include "gp_error.h"
#include "gp_fuzz.h"
#include "gp_jwt.h"

#define TARGET "fuzz_protocol"
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            gp_fuzz_fail(TARGET, __VA_ARGS__);                                 \
    } while (0)

/* The secret every token here is signed with; the fixed "now". */
static const char fuzz_secret[] = "fuzz-protocol-secret";
#define FUZZ_NOW_S 1757498281

/* The key is prepared once: creating it per input would be most of the
 * work.  It is never written after creation (gp_jwt.h). */
static gp_jwt_key *fuzz_key;

/* The string fields of a gp_msg, in one list, for comparing and building. */
#define MSG_FIELDS(X)                                                          \
    X(token) X(request_id) X(message) X(agent_type) X(connection_id)          \
    X(user_id) X(state) X(thought) X(tool) X(result) X(response) X(code)

static bool same_str(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static void check_same_msg(const gp_msg *a, const gp_msg *b)
{
    CHECK(a->type == b->type, "round trip changed the type %d -> %d", a->type, b->type);
#define SAME_FIELD(f) CHECK(same_str(a->f, b->f), "round trip changed field " #f);
    MSG_FIELDS(SAME_FIELD)
#undef SAME_FIELD
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* Encodes m into a malloc'd buffer (caller frees) or fails the run. */
static char *encode_or_fail(const gp_msg *m, size_t *len)
{
    size_t need = 0;
    int rc = gp_msg_encode(m, NULL, 0, &need);
    CHECK(rc == GP_ERR_TOO_LONG, "a size query returned %s", gp_err_name(rc));
    char *buf = malloc(need + 1);
    CHECK(buf != NULL, "out of memory");
    rc = gp_msg_encode(m, buf, need + 1, len);
    CHECK(rc == GP_OK && *len == need, "encoding a parsed message returned %s", gp_err_name(rc));
    CHECK(strlen(buf) == *len, "the encoding holds a NUL");
    return buf;
}

static void fuzz_parse(const uint8_t *data, size_t size, gp_msg_side side)
{
    gp_msg m;
    char why[160];
    int rc = gp_msg_parse((const char *)data, size, side, &m, why, sizeof(why));
    if (rc != GP_OK) {
        CHECK(rc == GP_ERR_BAD_JSON || rc == GP_ERR_NOT_OBJECT || rc == GP_ERR_BAD_TYPE ||
                  rc == GP_ERR_BAD_FIELD || rc == GP_ERR_TOO_LONG,
              "parse rejected with %s, not a documented error", gp_err_name(rc));
        CHECK(why[0] != '\0' && printable(why), "a rejection without a printable reason");
        static const gp_msg zero;
        CHECK(memcmp(&m, &zero, sizeof(m)) == 0, "a rejected message left fields behind");
        return;
    }
    CHECK(m.type > GP_MSG_NONE && m.type < GP_MSG_TYPE_COUNT, "parsed type %d", m.type);
    CHECK(!m.request_id || (m.request_id[0] && strlen(m.request_id) <= GP_REQUEST_ID_LEN_MAX),
          "request_id outside its limits");
    CHECK(!m.token || strlen(m.token) <= GP_TOKEN_LEN_MAX, "token over its limit");
    CHECK(!m.agent_type || strlen(m.agent_type) <= GP_AGENT_TYPE_LEN_MAX,
          "agent_type over its limit");
    size_t len1 = 0, len2 = 0;
    char *enc1 = encode_or_fail(&m, &len1);
    gp_msg again;
    rc = gp_msg_parse(enc1, len1, side, &again, why, sizeof(why));
    CHECK(rc == GP_OK, "the encoding of a parsed message does not parse: %s (%s)",
          gp_err_name(rc), why);
    check_same_msg(&m, &again);
    char *enc2 = encode_or_fail(&again, &len2);
    CHECK(len1 == len2 && memcmp(enc1, enc2, len1) == 0, "encoding is not stable");
    free(enc1);
    free(enc2);
    gp_msg_clear(&again);
    gp_msg_clear(&m);
    CHECK(m.root_ == NULL && m.type == GP_MSG_NONE, "gp_msg_clear left the message set");
    gp_msg_clear(&m); /* twice is safe */
}

static bool jwt_error(int rc)
{
    return rc == GP_ERR_JWT_MALFORMED || rc == GP_ERR_JWT_ALG || rc == GP_ERR_JWT_SIGNATURE ||
           rc == GP_ERR_JWT_EXP || rc == GP_ERR_JWT_EXPIRED || rc == GP_ERR_JWT_SUB;
}

/* A token that verified: its claims are sane and re-signing them gives a
 * token that verifies to the same claims. */
static void check_verified(const gp_jwt_claims *c, int64_t now_s)
{
    CHECK(gp_jwt_sub_is_valid(c->sub), "a verified token has the subject \"%s\"", c->sub);
    CHECK(now_s < c->exp, "a token expiring at %lld verified at %lld", (long long)c->exp,
          (long long)now_s);
    CHECK(c->has_iat || c->iat == 0, "iat set without has_iat");
    char token[1024];
    int rc = gp_jwt_sign(fuzz_key, c->sub, c->has_iat && c->iat >= 0 ? c->iat : -1, c->exp,
                         token, sizeof(token));
    CHECK(rc == GP_OK, "re-signing verified claims returned %s", gp_err_name(rc));
    gp_jwt_claims again;
    rc = gp_jwt_verify(fuzz_key, token, strlen(token), now_s, &again);
    CHECK(rc == GP_OK, "a re-signed token does not verify: %s", gp_err_name(rc));
    CHECK(strcmp(again.sub, c->sub) == 0 && again.exp == c->exp,
          "re-signed claims differ");
}

static void fuzz_verify(const uint8_t *data, size_t size)
{
    gp_jwt_claims c;
    int rc = gp_jwt_verify(fuzz_key, (const char *)data, size, FUZZ_NOW_S, &c);
    if (rc == GP_OK)
        check_verified(&c, FUZZ_NOW_S);
    else
        CHECK(jwt_error(rc), "verify rejected with %s, not a documented error", gp_err_name(rc));
}

/* Signs header.payload from the input, verifies it, then changes one byte. */
static void fuzz_sign_verify(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    uint8_t flip_at = data[0];
    data++;
    size--;
    const uint8_t *nul = memchr(data, 0, size);
    size_t h_len = nul ? (size_t)(nul - data) : size;
    size_t p_len = nul ? size - h_len - 1 : 0;
    if (h_len > 1024 || p_len > 1024)
        return;
    char header[1025], payload[1025];
    memcpy(header, data, h_len);
    header[h_len] = '\0';
    memcpy(payload, nul ? nul + 1 : data, p_len);
    payload[p_len] = '\0'; /* a NUL in the payload ends it early */
    char token[GP_TOKEN_LEN_MAX + 1];
    int rc = gp_jwt_sign_raw(fuzz_key, header, payload, token, sizeof(token));
    if (rc != GP_OK) {
        CHECK(rc == GP_ERR_TOO_LONG, "sign_raw returned %s", gp_err_name(rc));
        return;
    }
    size_t len = strlen(token);
    gp_jwt_claims c;
    rc = gp_jwt_verify(fuzz_key, token, len, FUZZ_NOW_S, &c);
    if (rc == GP_OK)
        check_verified(&c, FUZZ_NOW_S);
    else
        CHECK(jwt_error(rc), "verify rejected a signed token with %s", gp_err_name(rc));
    CHECK(rc != GP_ERR_JWT_SIGNATURE, "a token we signed fails its signature check");
    /* Any changed byte must break the token: signature, header or payload. */
    size_t at = flip_at % len;
    token[at] = token[at] == 'A' ? 'B' : 'A';
    rc = gp_jwt_verify(fuzz_key, token, len, FUZZ_NOW_S, &c);
    CHECK(rc != GP_OK, "a token with byte %zu changed still verifies", at);
    CHECK(jwt_error(rc), "verify rejected a changed token with %s", gp_err_name(rc));
}

/* A message of type t with fields from the input, encoded and parsed back. */
static void fuzz_build(const uint8_t *data, size_t size)
{
    gp_fuzz_in in = {data, size};
    gp_msg m = {.type = (gp_msg_type)(gp_fuzz_u8(&in) % (GP_MSG_TYPE_COUNT + 1))};
    uint16_t present = gp_fuzz_u16(&in);
    char bufs[12][80];
    int k = 0;
#define BUILD_FIELD(f)                                                         \
    if (present & (1u << k)) {                                                 \
        gp_fuzz_string(&in, bufs[k], sizeof(bufs[k]) - 1);                     \
        m.f = bufs[k];                                                         \
    }                                                                          \
    k++;
    MSG_FIELDS(BUILD_FIELD)
#undef BUILD_FIELD
    char out[2048];
    size_t len = 0;
    int rc = gp_msg_encode(&m, out, sizeof(out), &len);
    if (rc != GP_OK) {
        /* a required field missing, no type, bad UTF-8; or escapes that
         * outgrow the buffer */
        CHECK(rc == GP_ERR_INVALID_ARG || rc == GP_ERR_TOO_LONG, "encode returned %s",
              gp_err_name(rc));
        return;
    }
    gp_msg_side side = m.type == GP_MSG_AUTH || m.type == GP_MSG_AGENT_EXECUTION ||
                               m.type == GP_MSG_PING
                           ? GP_SIDE_SERVER
                           : GP_SIDE_CLIENT;
    gp_msg back;
    rc = gp_msg_parse(out, len, side, &back, NULL, 0);
    bool in_limits = (!m.request_id || (m.request_id[0] && strlen(m.request_id) <= 64)) &&
                     (!m.agent_type || strlen(m.agent_type) <= 64);
    if (!in_limits) {
        CHECK(rc == GP_OK || rc == GP_ERR_BAD_FIELD || rc == GP_ERR_TOO_LONG,
              "an over-long field parsed back with %s", gp_err_name(rc));
        gp_msg_clear(&back);
        return;
    }
    CHECK(rc == GP_OK, "an encoded %s does not parse back: %s", gp_msg_type_name(m.type),
          gp_err_name(rc));
    CHECK(back.type == m.type, "the type changed on the way back");
    /* Fields the type does not carry are not encoded; the others must be
     * back unchanged. */
#define BACK_FIELD(f) CHECK(!back.f || same_str(back.f, m.f), "field " #f " changed");
    MSG_FIELDS(BACK_FIELD)
#undef BACK_FIELD
    /* ... and none was lost: the parsed message encodes to the same bytes. */
    char again[2048];
    size_t len2 = 0;
    rc = gp_msg_encode(&back, again, sizeof(again), &len2);
    CHECK(rc == GP_OK && len2 == len && memcmp(again, out, len) == 0,
          "a message parsed back does not encode to the same bytes");
    gp_msg_clear(&back);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_key = gp_jwt_key_create(fuzz_secret, sizeof(fuzz_secret) - 1);
    CHECK(fuzz_key != NULL, "cannot create the key");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    /* '0'..'4' select the same modes as 0..4, so seed files can be text */
    switch ((data[0] >= '0' ? data[0] - '0' : data[0]) % 5) {
    case 0:
        fuzz_parse(rest, n, GP_SIDE_SERVER);
        break;
    case 1:
        fuzz_parse(rest, n, GP_SIDE_CLIENT);
        break;
    case 2:
        fuzz_verify(rest, n);
        break;
    case 3:
        fuzz_sign_verify(rest, n);
        break;
    default:
        fuzz_build(rest, n);
        break;
    }
    return 0;
}
