/* test_jwt.c: HS256 tokens (gp_jwt.h).  The RFC 7515 Appendix A.1 example
 * is the test vector (computed independently here with OpenSSL's one-shot
 * HMAC); then every way PROTOCOL.md says a token is refused, each with the
 * error gp_jwt_verify documents, in the documented order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_codec.h"
#include "gp_error.h"
#include "gp_jwt.h"

/* RFC 7515 Appendix A.1. */
static const char rfc_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc_k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                            "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const int64_t rfc_exp = 1300819380;

static const char secret[] = "test secret, not for production";

/* base64url <-> bytes through OpenSSL's EVP block coder, written apart from
 * gp_jwt.c's so that the test does not trust the code under test. */
static size_t b64url_decode(const char *in, unsigned char *out)
{
    size_t n = strlen(in);
    char tmp[8192];
    size_t padded = (n + 3) / 4 * 4;
    assert_true(padded < sizeof tmp);
    for (size_t i = 0; i < padded; i++)
        tmp[i] = i >= n ? '=' : in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    int got = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)padded);
    assert_true(got >= 0);
    return (size_t)got - (padded - n);
}

static void b64url_encode(const void *in, size_t n, char *out)
{
    int got = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    assert_true(got >= 0);
    char *w = out;
    for (int i = 0; i < got && out[i] != '='; i++)
        *w++ = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    *w = '\0';
}

/* header.payload.signature from texts and a signature text. */
static void make_token(char *out, size_t cap, const char *header,
                       const char *payload, const char *sig_b64)
{
    char h[4096], p[8192];
    b64url_encode(header, strlen(header), h);
    b64url_encode(payload, strlen(payload), p);
    int n = snprintf(out, cap, "%s.%s.%s", h, p, sig_b64);
    assert_true(n > 0 && (size_t)n < cap);
}

static int verify(const gp_jwt_key *key, const char *token, int64_t now_s)
{
    gp_jwt_claims claims;
    return gp_jwt_verify(key, token, strlen(token), now_s, &claims);
}

static gp_jwt_key *rfc_key(void)
{
    unsigned char k[128];
    size_t k_len = b64url_decode(rfc_k, k);
    assert_int_equal(k_len, 64);
    gp_jwt_key *key = gp_jwt_key_create(k, k_len);
    assert_non_null(key);
    return key;
}

static void test_rfc7515_a1_vector(void **state)
{
    (void)state;
    /* The vector itself: HMAC-SHA256 of the signing input is the signature. */
    unsigned char k[128], sig[64], mac[EVP_MAX_MD_SIZE];
    size_t k_len = b64url_decode(rfc_k, k);
    const char *dot2 = strrchr(rfc_token, '.');
    size_t sig_len = b64url_decode(dot2 + 1, sig);
    assert_int_equal(sig_len, 32);
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), k, (int)k_len,
                         (const unsigned char *)rfc_token,
                         (size_t)(dot2 - rfc_token), mac, &mac_len));
    assert_int_equal(mac_len, 32);
    assert_memory_equal(mac, sig, 32);

    gp_jwt_key *key = rfc_key();
    /* Signature verifies, exp is in the future, no sub: the last check. */
    assert_int_equal(verify(key, rfc_token, rfc_exp - 1), GP_ERR_JWT_SUB);
    assert_int_equal(verify(key, rfc_token, rfc_exp), GP_ERR_JWT_EXPIRED);
    assert_int_equal(verify(key, rfc_token, rfc_exp + 1), GP_ERR_JWT_EXPIRED);

    /* gp_jwt_sign_raw reproduces the token byte for byte from its texts. */
    unsigned char header[256], payload[256];
    size_t h_len = b64url_decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9",
                                 header);
    header[h_len] = '\0';
    const char *p_start = strchr(rfc_token, '.') + 1;
    char p_b64[256];
    memcpy(p_b64, p_start, (size_t)(dot2 - p_start));
    p_b64[dot2 - p_start] = '\0';
    size_t p_len = b64url_decode(p_b64, payload);
    payload[p_len] = '\0';
    char out[512];
    assert_int_equal(gp_jwt_sign_raw(key, (const char *)header,
                                     (const char *)payload, out, sizeof out),
                     GP_OK);
    assert_string_equal(out, rfc_token);
    gp_jwt_key_destroy(key);
}

static void test_rfc7515_a1_tampered(void **state)
{
    (void)state;
    gp_jwt_key *key = rfc_key();
    const char *dot2 = strrchr(rfc_token, '.');
    size_t prefix = (size_t)(dot2 + 1 - rfc_token);
    unsigned char sig[64];
    size_t sig_len = b64url_decode(dot2 + 1, sig);
    /* Every single-bit change of the signature is refused, before the
     * expiry check (now is past exp here). */
    for (size_t bit = 0; bit < sig_len * 8; bit++) {
        unsigned char bad[64];
        memcpy(bad, sig, sig_len);
        bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        char token[512];
        memcpy(token, rfc_token, prefix);
        b64url_encode(bad, sig_len, token + prefix);
        assert_int_equal(verify(key, token, rfc_exp - 1),
                         GP_ERR_JWT_SIGNATURE);
        assert_int_equal(verify(key, token, rfc_exp + 1),
                         GP_ERR_JWT_SIGNATURE);
    }
    /* The same 32 bytes spelt with non-zero unused bits ("k" -> "l") are not
     * the canonical signature. */
    char token[512];
    strcpy(token, rfc_token);
    assert_int_equal(token[strlen(token) - 1], 'k');
    token[strlen(token) - 1] = 'l';
    assert_int_equal(verify(key, token, rfc_exp - 1), GP_ERR_JWT_SIGNATURE);
    /* A payload with a later exp no longer matches the signature. */
    const char *dot1 = strchr(rfc_token, '.');
    char p_b64[256];
    memcpy(p_b64, dot1 + 1, (size_t)(dot2 - dot1 - 1));
    p_b64[dot2 - dot1 - 1] = '\0';
    unsigned char payload[256];
    size_t p_len = b64url_decode(p_b64, payload);
    payload[p_len] = '\0';
    char *digits = strstr((char *)payload, "1300819380");
    assert_non_null(digits);
    digits[8] = '9';
    int w = (int)(dot1 + 1 - rfc_token);
    memcpy(token, rfc_token, (size_t)w);
    b64url_encode(payload, p_len, token + w);
    strcat(token, dot2);
    assert_int_equal(verify(key, token, rfc_exp - 1), GP_ERR_JWT_SIGNATURE);
    assert_int_equal(verify(key, token, rfc_exp + 5), GP_ERR_JWT_SIGNATURE);
    gp_jwt_key_destroy(key);
}

static void test_sign_verify_round_trip(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    assert_non_null(key);
    char token[1024];
    assert_int_equal(gp_jwt_sign(key, "alice.b@example-1_x", 1000, 2000, token,
                                 sizeof token),
                     GP_OK);
    gp_jwt_claims c;
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 1999, &c), GP_OK);
    assert_string_equal(c.sub, "alice.b@example-1_x");
    assert_int_equal(c.exp, 2000);
    assert_true(c.has_iat);
    assert_int_equal(c.iat, 1000);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 2000, &c),
                     GP_ERR_JWT_EXPIRED);

    /* iat < 0: no iat claim. */
    assert_int_equal(gp_jwt_sign(key, "bob", -1, 2000, token, sizeof token),
                     GP_OK);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 10, &c), GP_OK);
    assert_string_equal(c.sub, "bob");
    assert_false(c.has_iat);

    /* A 128-character subject fits. */
    char sub[GP_USER_LEN_MAX + 1];
    memset(sub, 'u', GP_USER_LEN_MAX);
    sub[GP_USER_LEN_MAX] = '\0';
    assert_int_equal(gp_jwt_sign(key, sub, 1, 2, token, sizeof token), GP_OK);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 1, &c), GP_OK);
    assert_string_equal(c.sub, sub);

    /* The token is a byte range: what follows token_len is not read. */
    size_t len = strlen(token);
    strcat(token, "garbage");
    assert_int_equal(gp_jwt_verify(key, token, len, 1, &c), GP_OK);
    gp_jwt_key_destroy(key);
}

static void test_sign_errors(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    char token[1024];
    assert_int_equal(gp_jwt_sign(key, "a b", 1, 2, token, sizeof token),
                     GP_ERR_JWT_SUB);
    assert_int_equal(gp_jwt_sign(key, "", 1, 2, token, sizeof token),
                     GP_ERR_JWT_SUB);
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2, token, sizeof token),
                     GP_OK);
    size_t need = strlen(token) + 1;
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2, token, need), GP_OK);
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2, token, need - 1),
                     GP_ERR_TOO_LONG);
    assert_null(gp_jwt_key_create(secret, 0));
    assert_null(gp_jwt_key_create(NULL, 4));
    gp_jwt_key_destroy(NULL);
    gp_jwt_key_destroy(key);
}

/* A token with the given header and payload, validly signed by key. */
static void signed_token(const gp_jwt_key *key, const char *header,
                         const char *payload, char *out, size_t cap)
{
    assert_int_equal(gp_jwt_sign_raw(key, header, payload, out, cap), GP_OK);
}

static void test_alg_refused(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    const char *payload = "{\"sub\":\"alice\",\"exp\":2000}";
    char token[1024];

    /* alg none with an empty signature, and with a valid HS256 MAC. */
    make_token(token, sizeof token, "{\"alg\":\"none\"}", payload, "");
    assert_int_equal(verify(key, token, 1), GP_ERR_JWT_ALG);
    signed_token(key, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, token,
                 sizeof token);
    assert_int_equal(verify(key, token, 1), GP_ERR_JWT_ALG);

    const char *headers[] = {
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "{\"alg\":\"RS256\"}",
        "{\"alg\":\"hs256\"}",  "{\"alg\":\"HS256 \"}",
        "{\"typ\":\"JWT\"}",    "{\"alg\":256}",
        "{\"alg\":null}",       "{\"alg\":[\"HS256\"]}",
        "{\"alg\":\"NONE\"}",   "{}"};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        signed_token(key, headers[i], payload, token, sizeof token);
        if (verify(key, token, 1) != GP_ERR_JWT_ALG)
            fail_msg("header %s not refused as ALG", headers[i]);
    }
    /* The same payload under the right header verifies, so the header is
     * what was refused. */
    signed_token(key, "{\"alg\":\"HS256\"}", payload, token, sizeof token);
    assert_int_equal(verify(key, token, 1), GP_OK);
    gp_jwt_key_destroy(key);
}

/* gp_jwt_verify skips the parse of the usual header's exact bytes: a token
 * under that header gets the verdict (and claims) the same header spelled
 * with other bytes gets, for good and bad payloads alike, and the usual
 * header is the one gp_jwt_sign writes. */
static void test_usual_header_verdicts(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    const char *usual = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *spelled = "{\"typ\":\"JWT\", \"alg\":\"HS256\"}";
    char token[1024], other[1024], h[128];
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2000, token, sizeof token), GP_OK);
    b64url_encode(usual, strlen(usual), h);
    assert_memory_equal(token, h, strlen(h));
    assert_int_equal(token[strlen(h)], '.');
    const char *payloads[] = {
        "{\"sub\":\"alice\",\"exp\":2000}", "{\"sub\":\"alice\",\"exp\":5}",
        "{\"sub\":\"a b\",\"exp\":2000}",   "{\"sub\":\"alice\"}",
        "{\"sub\":\"alice\",\"exp\":2000,\"nbf\":1500}",
        "{\"sub\":\"alice\",\"exp\":2000,\"exp\":3000}", "[1]", "{"};
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        signed_token(key, usual, payloads[i], token, sizeof token);
        signed_token(key, spelled, payloads[i], other, sizeof other);
        gp_jwt_claims a, b;
        int ra = gp_jwt_verify(key, token, strlen(token), 10, &a);
        int rb = gp_jwt_verify(key, other, strlen(other), 10, &b);
        if (ra != rb || memcmp(&a, &b, sizeof a) != 0)
            fail_msg("payload %s: %d under the usual header, %d otherwise", payloads[i], ra, rb);
    }
    /* the usual header with a bad signature is still refused */
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2000, token, sizeof token), GP_OK);
    token[strlen(token) - 2] ^= 1;
    assert_int_equal(verify(key, token, 10), GP_ERR_JWT_SIGNATURE);
    gp_jwt_key_destroy(key);
}

static void test_wrong_secret(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    gp_jwt_key *other = gp_jwt_key_create("another secret", 14);
    gp_jwt_key *prefix = gp_jwt_key_create(secret, strlen(secret) - 1);
    char token[1024];
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2000, token, sizeof token),
                     GP_OK);
    assert_int_equal(verify(key, token, 5), GP_OK);
    assert_int_equal(verify(other, token, 5), GP_ERR_JWT_SIGNATURE);
    assert_int_equal(verify(prefix, token, 5), GP_ERR_JWT_SIGNATURE);
    /* A bad signature is reported even when the token has also expired. */
    assert_int_equal(verify(other, token, 5000), GP_ERR_JWT_SIGNATURE);
    /* Signature part of the wrong length. */
    char *dot2 = strrchr(token, '.');
    strcpy(dot2 + 1, "AAAA");
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_SIGNATURE);
    dot2[1] = '\0';
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_SIGNATURE);
    gp_jwt_key_destroy(key);
    gp_jwt_key_destroy(other);
    gp_jwt_key_destroy(prefix);
}

static void test_exp_checks(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char token[1024];
    struct {
        const char *payload;
        int64_t now_s;
        int rc;
    } cases[] = {
        {"{\"sub\":\"a\",\"exp\":100}", 99, GP_OK},
        {"{\"sub\":\"a\",\"exp\":100}", 100, GP_ERR_JWT_EXPIRED},
        {"{\"sub\":\"a\",\"exp\":100}", 101, GP_ERR_JWT_EXPIRED},
        {"{\"sub\":\"a\",\"exp\":-5}", 0, GP_ERR_JWT_EXPIRED},
        {"{\"sub\":\"a\"}", 0, GP_ERR_JWT_EXP},
        {"{\"sub\":\"a\",\"exp\":\"100\"}", 0, GP_ERR_JWT_EXP},
        {"{\"sub\":\"a\",\"exp\":null}", 0, GP_ERR_JWT_EXP},
        {"{\"sub\":\"a\",\"exp\":true}", 0, GP_ERR_JWT_EXP},
        {"{\"sub\":\"a\",\"exp\":[100]}", 0, GP_ERR_JWT_EXP},
        {"{\"sub\":\"a\",\"exp\":1e300}", 0, GP_ERR_JWT_EXP},
        /* NumericDate may have a fraction: expired from ceil(exp) on. */
        {"{\"sub\":\"a\",\"exp\":100.5}", 100, GP_OK},
        {"{\"sub\":\"a\",\"exp\":100.5}", 101, GP_ERR_JWT_EXPIRED},
        {"{\"sub\":\"a\",\"exp\":100.0}", 100, GP_ERR_JWT_EXPIRED},
        /* Expiry is checked before the subject. */
        {"{\"exp\":100}", 100, GP_ERR_JWT_EXPIRED},
        {"{\"sub\":\"a b\"}", 0, GP_ERR_JWT_EXP},
        /* A non-number iat is ignored. */
        {"{\"sub\":\"a\",\"exp\":100,\"iat\":\"x\"}", 0, GP_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        signed_token(key, hdr, cases[i].payload, token, sizeof token);
        int rc = verify(key, token, cases[i].now_s);
        if (rc != cases[i].rc)
            fail_msg("%s at %lld: got %s, want %s", cases[i].payload,
                     (long long)cases[i].now_s, gp_err_name(rc),
                     gp_err_name(cases[i].rc));
    }
    gp_jwt_claims c;
    signed_token(key, hdr, "{\"sub\":\"a\",\"exp\":100.5,\"iat\":7}", token,
                 sizeof token);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 0, &c), GP_OK);
    assert_int_equal(c.exp, 101);
    assert_int_equal(c.iat, 7);
    assert_true(c.has_iat);
    gp_jwt_key_destroy(key);
}

/* RFC 7519 4.1.5: not before.  Checked after exp, before sub. */
static void test_nbf_checks(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char token[1024];
    struct {
        const char *payload;
        int64_t now_s;
        int rc;
    } cases[] = {
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":50}", 49, GP_JWT_ERR_NOT_YET_VALID},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":50}", 50, GP_OK},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":50}", 99, GP_OK},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":-7}", 0, GP_OK},
        /* A fraction rounds up: not valid during second 50. */
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":50.2}", 50, GP_JWT_ERR_NOT_YET_VALID},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":50.2}", 51, GP_OK},
        /* A future nbf past exp: expiry is reported first. */
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":200}", 100, GP_ERR_JWT_EXPIRED},
        /* nbf is checked before the subject. */
        {"{\"sub\":\"a b\",\"exp\":100,\"nbf\":60}", 59, GP_JWT_ERR_NOT_YET_VALID},
        {"{\"sub\":\"a b\",\"exp\":100,\"nbf\":60}", 60, GP_ERR_JWT_SUB},
        /* Present but not a NumericDate: malformed. */
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":\"50\"}", 60, GP_ERR_JWT_MALFORMED},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":null}", 60, GP_ERR_JWT_MALFORMED},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":true}", 60, GP_ERR_JWT_MALFORMED},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":[1]}", 60, GP_ERR_JWT_MALFORMED},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":{}}", 60, GP_ERR_JWT_MALFORMED},
        {"{\"sub\":\"a\",\"exp\":100,\"nbf\":1e300}", 60, GP_ERR_JWT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        signed_token(key, hdr, cases[i].payload, token, sizeof token);
        int rc = verify(key, token, cases[i].now_s);
        if (rc != cases[i].rc)
            fail_msg("%s at %lld: got %s, want %s", cases[i].payload,
                     (long long)cases[i].now_s, gp_err_name(rc),
                     gp_err_name(cases[i].rc));
    }
    gp_jwt_claims c;
    signed_token(key, hdr, "{\"sub\":\"a\",\"exp\":100,\"nbf\":40.5}", token,
                 sizeof token);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 41, &c), GP_OK);
    assert_true(c.has_nbf);
    assert_int_equal(c.nbf, 41);
    signed_token(key, hdr, "{\"sub\":\"a\",\"exp\":100}", token, sizeof token);
    assert_int_equal(gp_jwt_verify(key, token, strlen(token), 41, &c), GP_OK);
    assert_false(c.has_nbf);
    gp_jwt_key_destroy(key);
}

static void test_sub_checks(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    const char *hdr = "{\"alg\":\"HS256\"}";
    char long_sub[300], payload[512], token[2048];
    memset(long_sub, 'x', GP_USER_LEN_MAX + 1);
    long_sub[GP_USER_LEN_MAX + 1] = '\0';
    const char *bad_subs[] = {"\"\"", "\"a b\"", "\"x/y\"", "\"caf\\u00e9\"",
                              "\"tab\\t\"", "42", "null", "[\"a\"]"};
    for (size_t i = 0; i < sizeof bad_subs / sizeof *bad_subs; i++) {
        snprintf(payload, sizeof payload, "{\"sub\":%s,\"exp\":100}",
                 bad_subs[i]);
        signed_token(key, hdr, payload, token, sizeof token);
        if (verify(key, token, 1) != GP_ERR_JWT_SUB)
            fail_msg("sub %s not refused", bad_subs[i]);
    }
    snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":100}", long_sub);
    signed_token(key, hdr, payload, token, sizeof token);
    assert_int_equal(verify(key, token, 1), GP_ERR_JWT_SUB);
    long_sub[GP_USER_LEN_MAX] = '\0';
    snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":100}", long_sub);
    signed_token(key, hdr, payload, token, sizeof token);
    assert_int_equal(verify(key, token, 1), GP_OK);
    signed_token(key, hdr, "{\"exp\":100}", token, sizeof token);
    assert_int_equal(verify(key, token, 1), GP_ERR_JWT_SUB);
    gp_jwt_key_destroy(key);
}

static void test_malformed(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    char good[1024], token[2048];
    assert_int_equal(gp_jwt_sign(key, "alice", 1, 2000, good, sizeof good),
                     GP_OK);
    const char *dot1 = strchr(good, '.');
    const char *dot2 = strrchr(good, '.');
    const char *payload = "{\"sub\":\"alice\",\"exp\":2000}";

    /* Two parts, four parts, one part. */
    snprintf(token, sizeof token, "%.*s", (int)(dot2 - good), good);
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
    snprintf(token, sizeof token, "%s.AAAA", good);
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
    snprintf(token, sizeof token, "%s.", good);
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
    snprintf(token, sizeof token, "%.*s", (int)(dot1 - good), good);
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
    assert_int_equal(verify(key, "", 5), GP_ERR_JWT_MALFORMED);
    assert_int_equal(verify(key, "..", 5), GP_ERR_JWT_MALFORMED);
    gp_jwt_claims c;
    assert_int_equal(gp_jwt_verify(key, NULL, 0, 5, &c), GP_ERR_JWT_MALFORMED);

    /* Characters outside base64url, padding, a length of 1 mod 4. */
    const char *bad_b64[] = {"e!J9", "eyJ=", "ey J9", "e+J9", "e/J9", "eyJhb"};
    for (size_t i = 0; i < sizeof bad_b64 / sizeof *bad_b64; i++) {
        snprintf(token, sizeof token, "%s%s", bad_b64[i], dot1);
        if (verify(key, token, 5) != GP_ERR_JWT_MALFORMED)
            fail_msg("header part %s not refused", bad_b64[i]);
        snprintf(token, sizeof token, "%.*s.%s", (int)(dot2 - good), good,
                 bad_b64[i]);
        if (verify(key, token, 5) != GP_ERR_JWT_MALFORMED)
            fail_msg("signature part %s not refused", bad_b64[i]);
    }
    /* A NUL byte inside the token. */
    size_t len = strlen(good);
    memcpy(token, good, len + 1);
    token[3] = '\0';
    assert_int_equal(gp_jwt_verify(key, token, len, 5, &c),
                     GP_ERR_JWT_MALFORMED);

    /* Header or payload not a JSON object, checked before alg and MAC. */
    struct {
        const char *header, *payload;
    } bad_json[] = {
        {"not json", payload},
        {"{\"alg\":\"HS256\"}", "[\"sub\",\"alice\"]"},
        {"{\"alg\":\"HS256\"}", "\"alice\""},
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":2000"},
        {"[\"HS256\"]", payload},
        {"", payload},
        {"{\"alg\":\"HS256\"}", ""},
        {"{\"alg\":\"none\",\"alg\":\"HS256\"}", payload},
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"sub\":\"b\",\"exp\":2000}"},
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"a\\u0000b\",\"exp\":2000}"},
        {"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", payload},
    };
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        signed_token(key, bad_json[i].header, bad_json[i].payload, token,
                     sizeof token);
        if (verify(key, token, 5) != GP_ERR_JWT_MALFORMED)
            fail_msg("%s . %s not refused as malformed", bad_json[i].header,
                     bad_json[i].payload);
    }
    /* Unsigned garbage in JSON form is malformed before it is unsigned. */
    make_token(token, sizeof token, "{\"alg\":\"none\"}", "[1]", "");
    assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
    gp_jwt_key_destroy(key);
}

/* Tokens of exactly GP_TOKEN_LEN_MAX bytes verify; one byte more is
 * malformed, however well signed. */
static void test_length_limit(void **state)
{
    (void)state;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    static char payload[GP_TOKEN_LEN_MAX], token[2 * GP_TOKEN_LEN_MAX];
    bool hit_max = false, hit_over = false;
    for (size_t pad = 2900; pad < 3100; pad++) {
        int w = snprintf(payload, sizeof payload,
                         "{\"sub\":\"alice\",\"exp\":2000,\"pad\":\"");
        memset(payload + w, 'p', pad);
        strcpy(payload + w + pad, "\"}");
        signed_token(key, "{\"alg\":\"HS256\"}", payload, token, sizeof token);
        size_t len = strlen(token);
        if (len == GP_TOKEN_LEN_MAX) {
            assert_int_equal(verify(key, token, 5), GP_OK);
            hit_max = true;
        } else if (len > GP_TOKEN_LEN_MAX) {
            assert_int_equal(verify(key, token, 5), GP_ERR_JWT_MALFORMED);
            hit_over = hit_over || len == GP_TOKEN_LEN_MAX + 1;
        }
    }
    assert_true(hit_max);
    assert_true(hit_over);
    /* A very long token. */
    static char huge[1 << 20];
    memset(huge, 'A', sizeof huge - 1);
    huge[100] = '.';
    huge[200] = '.';
    assert_int_equal(verify(key, huge, 5), GP_ERR_JWT_MALFORMED);
    gp_jwt_key_destroy(key);
}

static void test_sub_is_valid(void **state)
{
    (void)state;
    char s[GP_USER_LEN_MAX + 2];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    assert_false(gp_jwt_sub_is_valid(s)); /* 129 */
    s[GP_USER_LEN_MAX] = '\0';
    assert_true(gp_jwt_sub_is_valid(s)); /* 128 */
    assert_true(gp_jwt_sub_is_valid("a"));
    assert_true(gp_jwt_sub_is_valid("A-Za-z0-9_.@-"));
    assert_true(gp_jwt_sub_is_valid("user@example.com"));
    assert_false(gp_jwt_sub_is_valid(""));
    assert_false(gp_jwt_sub_is_valid(NULL));
    assert_false(gp_jwt_sub_is_valid("a b"));
    assert_false(gp_jwt_sub_is_valid("x/y"));
    assert_false(gp_jwt_sub_is_valid("a\"b"));
    assert_false(gp_jwt_sub_is_valid("a+b"));
    assert_false(gp_jwt_sub_is_valid("caf\xc3\xa9"));
    assert_false(gp_jwt_sub_is_valid("line\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a1_vector),
        cmocka_unit_test(test_rfc7515_a1_tampered),
        cmocka_unit_test(test_sign_verify_round_trip),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_alg_refused),
        cmocka_unit_test(test_usual_header_verdicts),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_exp_checks),
        cmocka_unit_test(test_nbf_checks),
        cmocka_unit_test(test_sub_checks),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_sub_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
