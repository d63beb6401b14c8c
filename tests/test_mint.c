/* test_mint.c: JWT minting for protocol profiles (harness/profile/gp_mint.h).
 *
 * Every alg's tokens are checked by another implementation as well as by
 * gp_mint_verify: HS* by OpenSSL's one-shot HMAC() here (and HS256 against
 * the RFC 7515 A.1 token, byte for byte), RS256 and ES256 by the `openssl
 * dgst -verify` command on keys made by `openssl genpkey` in a scratch
 * folder (ES256's R||S turned back into DER for it).  Then the wrong key,
 * lying headers, malformed tokens, buffers one byte short, every key file
 * refusal, the token-list loader's line numbers and limit, several threads
 * on one key; and the signing speed of each alg, printed (not asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "gp_error.h"
#include "gp_mint.h"
#include "tmp_dir.h"

#define TOKEN_CAP 8192

/* The openssl command, found by CMake; "" when there is none. */
#ifdef GP_OPENSSL_BIN
static const char openssl_cmd[] = GP_OPENSSL_BIN;
#else
static const char openssl_cmd[] = "";
#endif

static const char payload[] = "{\"sub\":\"user-000001\",\"iat\":1700000000,\"exp\":1700003600}";
static const char secret[] = "profile test secret, not for production";

static const gp_mint_alg all_algs[] = {GP_MINT_HS256, GP_MINT_HS384, GP_MINT_HS512,
                                       GP_MINT_RS256, GP_MINT_ES256, GP_MINT_NONE};
#define ALG_COUNT (sizeof all_algs / sizeof all_algs[0])

/* The scratch folder and the key files the openssl command made in it. */
typedef struct keys {
    char *dir;
    bool have_openssl;
    char rsa[256], rsa_pub[256], ec[256], ec_pub[256];
    char rsa1024[256], ec384[256], ed25519[256], encrypted[256], garbage[256];
} keys;

/* ---- helpers, written apart from gp_mint.c ------------------------------ */

static void path_in(const keys *k, char *out, const char *name)
{
    snprintf(out, 256, "%s/%s", k->dir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Runs a shell command; returns its exit status (-1 when it did not run). */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    int st = system(cmd);
    return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* base64url through OpenSSL's EVP block decoder. */
static size_t b64url_decode(const char *in, size_t n, unsigned char *out)
{
    char tmp[TOKEN_CAP];
    size_t padded = (n + 3) / 4 * 4;
    assert_true(padded < sizeof tmp);
    for (size_t i = 0; i < padded; i++)
        tmp[i] = i >= n ? '=' : in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    int got = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)padded);
    assert_true(got >= 0);
    return (size_t)got - (padded - n);
}

/* Splits a token: the signing input's length and the signature's bytes. */
static void split(const char *token, size_t *signed_len, unsigned char *sig, size_t *sig_len)
{
    const char *dot2 = strrchr(token, '.');
    assert_non_null(dot2);
    *signed_len = (size_t)(dot2 - token);
    *sig_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
}

/* The decoded header of a token, NUL-terminated, into out. */
static void header_of(const char *token, char *out)
{
    const char *dot = strchr(token, '.');
    size_t n = b64url_decode(token, (size_t)(dot - token), (unsigned char *)out);
    out[n] = '\0';
}

static gp_mint *make(gp_mint_alg alg, const keys *k)
{
    char err[512] = "";
    gp_mint *m;
    if (alg == GP_MINT_RS256 || alg == GP_MINT_ES256)
        m = gp_mint_create(alg, NULL, 0, alg == GP_MINT_RS256 ? k->rsa : k->ec, err, sizeof err);
    else if (alg == GP_MINT_NONE)
        m = gp_mint_create(alg, NULL, 0, NULL, err, sizeof err);
    else
        m = gp_mint_create(alg, secret, strlen(secret), NULL, err, sizeof err);
    if (m == NULL)
        fail_msg("%s: %s", gp_mint_alg_name(alg), err);
    return m;
}

static void sign(const gp_mint *m, const char *header, const char *body, char *out)
{
    int rc = gp_mint_sign(m, header, body, out, TOKEN_CAP);
    if (rc != GP_OK)
        fail_msg("gp_mint_sign: %s", gp_err_name(rc));
}

static int verify(const gp_mint *m, const char *token)
{
    return gp_mint_verify(m, token, strlen(token));
}

/* `openssl dgst -sha256 -verify` over the token's signing input; ES256's
 * raw signature is turned into DER for it.  Returns the command's status. */
static int openssl_verify(const keys *k, const char *pub, const char *token, bool es256,
                          bool corrupt)
{
    size_t signed_len, sig_len;
    unsigned char sig[2048];
    split(token, &signed_len, sig, &sig_len);
    char input[256], sig_path[256];
    path_in(k, input, "input.bin");
    path_in(k, sig_path, "sig.bin");
    write_file(input, token, signed_len);
    if (corrupt)
        sig[sig_len / 2] ^= 0x01;
    if (es256) {
        assert_int_equal(sig_len, 64);
        ECDSA_SIG *es = ECDSA_SIG_new();
        assert_non_null(es);
        assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
                                        BN_bin2bn(sig + 32, 32, NULL)), 1);
        unsigned char *der = NULL;
        int der_len = i2d_ECDSA_SIG(es, &der);
        assert_true(der_len > 0);
        write_file(sig_path, der, (size_t)der_len);
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    } else {
        write_file(sig_path, sig, sig_len);
    }
    return run("%s dgst -sha256 -verify %s -signature %s %s >/dev/null 2>&1",
               openssl_cmd, pub, sig_path, input);
}

/* ---- fixture: keys from `openssl genpkey` ------------------------------- */

static int keys_setup(void **state)
{
    keys *k = calloc(1, sizeof *k);
    assert_non_null(k);
    k->dir = tmp_dir_make();
    path_in(k, k->rsa, "rsa.pem");
    path_in(k, k->rsa_pub, "rsa_pub.pem");
    path_in(k, k->ec, "ec.pem");
    path_in(k, k->ec_pub, "ec_pub.pem");
    path_in(k, k->rsa1024, "rsa1024.pem");
    path_in(k, k->ec384, "ec384.pem");
    path_in(k, k->ed25519, "ed25519.pem");
    path_in(k, k->encrypted, "encrypted.pem");
    path_in(k, k->garbage, "garbage.pem");
    static const char junk[] = "this is not a key\nat all\n";
    write_file(k->garbage, junk, sizeof junk - 1);
    const char *o = openssl_cmd;
    if (o[0] != '\0') {
    k->have_openssl =
        run("%s genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out %s", o, k->rsa) == 0 &&
        run("%s pkey -in %s -pubout -out %s", o, k->rsa, k->rsa_pub) == 0 &&
        run("%s genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s", o, k->ec) == 0 &&
        run("%s pkey -in %s -pubout -out %s", o, k->ec, k->ec_pub) == 0 &&
        run("%s genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out %s", o,
            k->rsa1024) == 0 &&
        run("%s genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out %s", o,
            k->ec384) == 0 &&
        run("%s genpkey -quiet -algorithm ED25519 -out %s", o, k->ed25519) == 0 &&
        run("%s genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc "
            "-pass pass:secret -out %s",
            o, k->encrypted) == 0;
    assert_true(k->have_openssl); /* the command exists, so it must work */
    }
    *state = k;
    return 0;
}

static int keys_teardown(void **state)
{
    keys *k = *state;
    tmp_dir_remove(k->dir);
    free(k);
    return 0;
}

static void need_openssl(const keys *k)
{
    if (!k->have_openssl) {
        print_message("no openssl command: RS256/ES256 file checks skipped\n");
        skip();
    }
}

/* ---- tests ---------------------------------------------------------------- */

static void test_alg_names(void **state)
{
    (void)state;
    static const char *const names[] = {"HS256", "HS384", "HS512", "RS256", "ES256", "none"};
    for (size_t i = 0; i < ALG_COUNT; i++) {
        gp_mint_alg a = GP_MINT_NONE;
        assert_int_equal(gp_mint_alg_parse(names[i], &a), GP_OK);
        assert_int_equal(a, all_algs[i]);
        assert_string_equal(gp_mint_alg_name(all_algs[i]), names[i]);
    }
    static const char *const bad[] = {"hs256", "HS257", "", "None", "NONE", "RS256 ", "ES512"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gp_mint_alg a = GP_MINT_HS384;
        assert_int_equal(gp_mint_alg_parse(bad[i], &a), GP_ERR_INVALID_ARG);
        assert_int_equal(a, GP_MINT_HS384);
    }
    gp_mint_alg a;
    assert_int_equal(gp_mint_alg_parse(NULL, &a), GP_ERR_INVALID_ARG);
    assert_string_equal(gp_mint_alg_name((gp_mint_alg)42), "?");
    char err[256] = "";
    assert_null(gp_mint_create((gp_mint_alg)42, secret, 3, NULL, err, sizeof err));
    assert_non_null(strstr(err, "unknown alg"));
}

/* RFC 7515 Appendix A.1: the header and payload as the RFC spells them
 * (CR LF inside), so the token must come out byte for byte. */
static void test_hs256_rfc7515_vector(void **state)
{
    (void)state;
    static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    static const char body[] =
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    static const char expect[] =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
        "bS9pc19yb290Ijp0cnVlfQ"
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static const char k_b64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                                "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    unsigned char key[128];
    size_t key_len = b64url_decode(k_b64, strlen(k_b64), key);
    assert_int_equal(key_len, 64);
    char err[256];
    gp_mint *m = gp_mint_create(GP_MINT_HS256, key, key_len, NULL, err, sizeof err);
    assert_non_null(m);
    char token[TOKEN_CAP];
    sign(m, header, body, token);
    assert_string_equal(token, expect);
    assert_int_equal(verify(m, expect), GP_OK);
    gp_mint_destroy(m);
}

static void test_hs_checked_by_hmac(void **state)
{
    const keys *k = *state;
    const struct {
        gp_mint_alg alg;
        const EVP_MD *(*md)(void);
        size_t len;
        const char *header;
    } hs[] = {{GP_MINT_HS256, EVP_sha256, 32, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"},
              {GP_MINT_HS384, EVP_sha384, 48, "{\"alg\":\"HS384\",\"typ\":\"JWT\"}"},
              {GP_MINT_HS512, EVP_sha512, 64, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}"}};
    for (size_t i = 0; i < 3; i++) {
        gp_mint *m = make(hs[i].alg, k);
        assert_int_equal(gp_mint_get_alg(m), hs[i].alg);
        char token[TOKEN_CAP], header[256];
        sign(m, NULL, payload, token);
        header_of(token, header);
        assert_string_equal(header, hs[i].header);
        size_t signed_len, sig_len;
        unsigned char sig[256], mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        split(token, &signed_len, sig, &sig_len);
        assert_non_null(HMAC(hs[i].md(), secret, (int)strlen(secret),
                             (const unsigned char *)token, signed_len, mac, &mac_len));
        assert_int_equal(sig_len, hs[i].len);
        assert_int_equal(mac_len, hs[i].len);
        assert_memory_equal(sig, mac, mac_len);
        assert_int_equal(verify(m, token), GP_OK);
        /* a payload changed after signing */
        char *dot = strchr(token, '.');
        dot[3] = dot[3] == 'A' ? 'B' : 'A';
        assert_int_equal(verify(m, token), GP_ERR_JWT_SIGNATURE);
        gp_mint_destroy(m);
    }
}

static void test_rs256_checked_by_openssl(void **state)
{
    const keys *k = *state;
    need_openssl(k);
    gp_mint *m = make(GP_MINT_RS256, k);
    char token[TOKEN_CAP], header[256];
    sign(m, NULL, payload, token);
    header_of(token, header);
    assert_string_equal(header, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    size_t signed_len, sig_len;
    unsigned char sig[2048];
    split(token, &signed_len, sig, &sig_len);
    assert_int_equal(sig_len, 256);
    assert_int_equal(verify(m, token), GP_OK);
    assert_int_equal(openssl_verify(k, k->rsa_pub, token, false, false), 0);
    /* the control: the command does refuse a damaged signature */
    assert_int_not_equal(openssl_verify(k, k->rsa_pub, token, false, true), 0);
    /* and the public key of the other file refuses it */
    assert_int_not_equal(openssl_verify(k, k->ec_pub, token, false, false), 0);
    gp_mint_destroy(m);
}

static void test_es256_checked_by_openssl(void **state)
{
    const keys *k = *state;
    need_openssl(k);
    gp_mint *m = make(GP_MINT_ES256, k);
    /* ECDSA draws a fresh nonce per signature: several tokens, each one
     * different, each verified (R or S with leading zero bytes included,
     * now and then, which the 32-byte padding must keep) */
    char first[TOKEN_CAP] = "";
    for (int i = 0; i < 8; i++) {
        char token[TOKEN_CAP];
        sign(m, NULL, payload, token);
        size_t signed_len, sig_len;
        unsigned char sig[256];
        split(token, &signed_len, sig, &sig_len);
        assert_int_equal(sig_len, 64);
        assert_int_equal(verify(m, token), GP_OK);
        assert_int_equal(openssl_verify(k, k->ec_pub, token, true, false), 0);
        if (i == 0)
            memcpy(first, token, strlen(token) + 1);
        else
            assert_string_not_equal(first, token);
    }
    assert_int_not_equal(openssl_verify(k, k->ec_pub, first, true, true), 0);
    char header[256];
    header_of(first, header);
    assert_string_equal(header, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}");
    gp_mint_destroy(m);
}

static void test_none(void **state)
{
    const keys *k = *state;
    gp_mint *m = make(GP_MINT_NONE, k);
    char token[TOKEN_CAP], header[256];
    sign(m, NULL, payload, token);
    assert_int_equal(token[strlen(token) - 1], '.');
    header_of(token, header);
    assert_string_equal(header, "{\"alg\":\"none\",\"typ\":\"JWT\"}");
    assert_int_equal(verify(m, token), GP_OK);
    /* a none key accepts no signature, and not a HS256 token */
    gp_mint *hs = make(GP_MINT_HS256, k);
    char hs_token[TOKEN_CAP];
    sign(hs, "{\"alg\":\"none\"}", payload, hs_token);
    assert_int_equal(verify(m, hs_token), GP_ERR_JWT_SIGNATURE);
    sign(hs, NULL, payload, hs_token);
    assert_int_equal(verify(m, hs_token), GP_ERR_JWT_ALG);
    /* and a HS256 key does not take an unsigned token */
    assert_int_equal(verify(hs, token), GP_ERR_JWT_ALG);
    gp_mint_destroy(hs);
    gp_mint_destroy(m);
}

/* Same alg, another key: the "bad signature" tokens. */
static void test_wrong_key(void **state)
{
    (void)state;
    for (size_t i = 0; i + 1 < ALG_COUNT; i++) {
        char err[256] = "";
        gp_mint *a = gp_mint_create_random(all_algs[i], err, sizeof err);
        gp_mint *b = gp_mint_create_random(all_algs[i], err, sizeof err);
        if (a == NULL || b == NULL)
            fail_msg("%s: %s", gp_mint_alg_name(all_algs[i]), err);
        assert_int_equal(gp_mint_get_alg(b), all_algs[i]);
        char ta[TOKEN_CAP], tb[TOKEN_CAP];
        sign(a, NULL, payload, ta);
        sign(b, NULL, payload, tb);
        assert_int_equal(verify(a, ta), GP_OK);
        assert_int_equal(verify(b, tb), GP_OK);
        assert_int_equal(verify(a, tb), GP_ERR_JWT_SIGNATURE);
        assert_int_equal(verify(b, ta), GP_ERR_JWT_SIGNATURE);
        gp_mint_destroy(a);
        gp_mint_destroy(b);
    }
    char err[256];
    gp_mint *n = gp_mint_create_random(GP_MINT_NONE, err, sizeof err);
    assert_non_null(n);
    assert_int_equal(gp_mint_get_alg(n), GP_MINT_NONE);
    gp_mint_destroy(n);
}

/* Headers are signed as given: a header may name another alg (for negative
 * tests), and verification then refuses it for its alg, not its MAC. */
static void test_lying_headers(void **state)
{
    const keys *k = *state;
    gp_mint *m = make(GP_MINT_HS256, k);
    char token[TOKEN_CAP];
    sign(m, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, token);
    size_t signed_len, sig_len;
    unsigned char sig[256], mac[EVP_MAX_MD_SIZE];
    unsigned mac_len;
    split(token, &signed_len, sig, &sig_len);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token, signed_len,
         mac, &mac_len);
    assert_int_equal(sig_len, 32); /* still HS256, whatever the header says */
    assert_memory_equal(sig, mac, 32);
    assert_int_equal(verify(m, token), GP_ERR_JWT_ALG);
    sign(m, "{\"typ\":\"JWT\"}", payload, token);
    assert_int_equal(verify(m, token), GP_ERR_JWT_ALG);
    sign(m, "{\"alg\":\"hs256\"}", payload, token);
    assert_int_equal(verify(m, token), GP_ERR_JWT_ALG);
    sign(m, "[\"alg\",\"HS256\"]", payload, token);
    assert_int_equal(verify(m, token), GP_ERR_JWT_MALFORMED);
    sign(m, "not json", payload, token);
    assert_int_equal(verify(m, token), GP_ERR_JWT_MALFORMED);
    sign(m, "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", payload, token);
    assert_int_equal(verify(m, token), GP_ERR_JWT_MALFORMED);
    /* an arbitrary payload, even not JSON, is signed and verifies */
    sign(m, NULL, "", token);
    assert_int_equal(verify(m, token), GP_OK);
    gp_mint_destroy(m);
}

static void test_malformed_tokens(void **state)
{
    const keys *k = *state;
    gp_mint *m = make(GP_MINT_HS256, k);
    char token[TOKEN_CAP];
    sign(m, NULL, payload, token);
    assert_int_equal(verify(m, token), GP_OK);
    static const char *const bad[] = {"", "abc", "a.b", "a.b.c.d", ".e30.", "e30.e30.A",
                                      "e30=.e30.", "e+0.e30.", "e30.e3 0."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gp_mint_verify(m, bad[i], strlen(bad[i])) != GP_ERR_JWT_MALFORMED)
            fail_msg("'%s' was not refused as malformed", bad[i]);
    /* the last signature character carries 2 unused bits: setting one
     * spells the same bytes another way, which must not verify */
    size_t n = strlen(token);
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, token[n - 1]) - alphabet);
    assert_int_equal(v & 3, 0);
    token[n - 1] = alphabet[v | 1];
    assert_int_equal(verify(m, token), GP_ERR_JWT_MALFORMED);
    /* a token need not be NUL-terminated: only len bytes are read */
    sign(m, NULL, payload, token);
    n = strlen(token);
    token[n] = 'X';
    assert_int_equal(gp_mint_verify(m, token, n), GP_OK);
    assert_int_equal(gp_mint_verify(m, token, n + 1), GP_ERR_JWT_SIGNATURE);
    assert_int_equal(gp_mint_verify(NULL, token, n), GP_ERR_INVALID_ARG);
    gp_mint_destroy(m);
}

/* The exact size fits; one byte less is GP_ERR_TOO_LONG and leaves "". */
static void test_out_too_small(void **state)
{
    const keys *k = *state;
    for (size_t i = 0; i < ALG_COUNT; i++) {
        if ((all_algs[i] == GP_MINT_RS256 || all_algs[i] == GP_MINT_ES256) && !k->have_openssl)
            continue;
        gp_mint *m = make(all_algs[i], k);
        char token[TOKEN_CAP];
        sign(m, NULL, payload, token);
        size_t need = strlen(token) + 1;
        char *exact = malloc(need);
        assert_non_null(exact);
        assert_int_equal(gp_mint_sign(m, NULL, payload, exact, need), GP_OK);
        assert_int_equal(strlen(exact), need - 1);
        assert_int_equal(verify(m, exact), GP_OK);
        exact[0] = 'x';
        assert_int_equal(gp_mint_sign(m, NULL, payload, exact, need - 1), GP_ERR_TOO_LONG);
        assert_int_equal(exact[0], '\0');
        free(exact);
        assert_int_equal(gp_mint_sign(m, NULL, payload, token, 0), GP_ERR_TOO_LONG);
        assert_int_equal(gp_mint_sign(m, NULL, NULL, token, sizeof token), GP_ERR_INVALID_ARG);
        gp_mint_destroy(m);
    }
}

/* gp_mint_create's refusal: NULL, and err names the file and the fault. */
static void expect_refusal(gp_mint_alg alg, const void *sec, size_t sec_len, const char *path,
                           const char *must1, const char *must2)
{
    char err[512] = "";
    gp_mint *m = gp_mint_create(alg, sec, sec_len, path, err, sizeof err);
    if (m != NULL)
        fail_msg("%s with '%s' was accepted", gp_mint_alg_name(alg), path ? path : "(none)");
    if (strstr(err, must1) == NULL || (must2 != NULL && strstr(err, must2) == NULL))
        fail_msg("error '%s' lacks '%s' / '%s'", err, must1, must2 ? must2 : "");
    if (path != NULL && strstr(err, path) == NULL)
        fail_msg("error '%s' does not name the file %s", err, path);
    print_message("  refused: %s\n", err);
    /* no err buffer is fine too */
    assert_null(gp_mint_create(alg, sec, sec_len, path, NULL, 0));
}

static void test_key_file_errors(void **state)
{
    const keys *k = *state;
    expect_refusal(GP_MINT_RS256, NULL, 0, "/nonexistent/goldpath/key.pem", "cannot read",
                   "No such file");
    expect_refusal(GP_MINT_ES256, NULL, 0, k->dir, "cannot read", "Is a directory");
    expect_refusal(GP_MINT_RS256, NULL, 0, k->garbage, "not a PEM private key",
                   "no -----BEGIN");
    expect_refusal(GP_MINT_HS256, secret, 3, k->garbage, "takes a shared secret", NULL);
    expect_refusal(GP_MINT_HS256, NULL, 0, NULL, "at least 1 byte", NULL);
    expect_refusal(GP_MINT_HS512, "", 0, NULL, "at least 1 byte", NULL);
    expect_refusal(GP_MINT_RS256, NULL, 0, NULL, "needs a PEM private key file", NULL);
    expect_refusal(GP_MINT_RS256, secret, 3, NULL, "not a shared secret", NULL);
    expect_refusal(GP_MINT_NONE, secret, 3, NULL, "no key", NULL);
    if (!k->have_openssl)
        return;
    expect_refusal(GP_MINT_RS256, NULL, 0, k->rsa_pub, "not a PEM private key", "PUBLIC KEY");
    expect_refusal(GP_MINT_RS256, NULL, 0, k->ec, "wrong key type for RS256", "EC");
    expect_refusal(GP_MINT_RS256, NULL, 0, k->rsa1024, "RSA key too small", "1024 bits");
    expect_refusal(GP_MINT_ES256, NULL, 0, k->rsa, "wrong key type for ES256", "RSA");
    expect_refusal(GP_MINT_ES256, NULL, 0, k->ed25519, "wrong key type for ES256", "ED25519");
    expect_refusal(GP_MINT_ES256, NULL, 0, k->ec384, "wrong curve for ES256", "secp384r1");
    expect_refusal(GP_MINT_ES256, NULL, 0, k->encrypted, "encrypted", NULL);
    /* a PEM private key with its body damaged */
    char damaged[256];
    path_in(k, damaged, "damaged.pem");
    static const char text[] = "-----BEGIN PRIVATE KEY-----\nAAAAnotakey\n-----END PRIVATE KEY-----\n";
    write_file(damaged, text, sizeof text - 1);
    expect_refusal(GP_MINT_ES256, NULL, 0, damaged, "not a PEM private key", "damaged");
    /* the traditional "EC PRIVATE KEY" form (with its EC PARAMETERS block
     * first) is read too */
    char trad[256];
    path_in(k, trad, "ec_trad.pem");
    assert_int_equal(run("%s ecparam -name prime256v1 -genkey -out %s", openssl_cmd, trad), 0);
    char err[256];
    gp_mint *m = gp_mint_create(GP_MINT_ES256, NULL, 0, trad, err, sizeof err);
    if (m == NULL)
        fail_msg("%s", err);
    gp_mint_destroy(m);
}

static void write_lines(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

/* gp_token_list_load's refusal: the code, and err naming file and line. */
static void expect_list_error(const keys *k, const char *text, int rc, const char *must)
{
    char path[256], err[512] = "";
    path_in(k, path, "tokens.txt");
    write_lines(path, text);
    gp_token_list list = {(char **)1, 99};
    assert_int_equal(gp_token_list_load(path, &list, err, sizeof err), rc);
    assert_null(list.tokens);
    assert_int_equal(list.len, 0);
    if (strstr(err, must) == NULL || strstr(err, path) == NULL)
        fail_msg("error '%s' lacks '%s' or the file name", err, must);
    print_message("  refused: %s\n", err);
}

static void test_token_list(void **state)
{
    const keys *k = *state;
    char path[256], err[512] = "";
    path_in(k, path, "tokens.txt");
    write_lines(path, "# tokens issued by the server under test\n"
                      "\n"
                      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\n"
                      "   e30.e30.   \r\n"
                      "\t# indented comment\n"
                      "   \t\n"
                      "a-_b.cd__.\r\n"
                      "abcd.efgh.ij"); /* no final newline */
    gp_token_list list;
    assert_int_equal(gp_token_list_load(path, &list, err, sizeof err), GP_OK);
    assert_int_equal(list.len, 4);
    assert_string_equal(list.tokens[0], "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    assert_string_equal(list.tokens[1], "e30.e30.");
    assert_string_equal(list.tokens[2], "a-_b.cd__.");
    assert_string_equal(list.tokens[3], "abcd.efgh.ij");
    gp_token_list_free(&list);
    assert_null(list.tokens);
    gp_token_list_free(&list); /* twice is harmless */
    gp_token_list_free(NULL);

    expect_list_error(k, "e30.e30.\n# c\n\nabc.def\n", GP_ERR_JWT_MALFORMED, "line 4");
    expect_list_error(k, "e30.e30.\ne30.e30.\ne3$0.e30.\n", GP_ERR_JWT_MALFORMED,
                      "line 3: not a compact JWS token: '$' at column 3");
    expect_list_error(k, ".e30.abc\n", GP_ERR_JWT_MALFORMED, "line 1: not a compact JWS token: the header part is empty");
    expect_list_error(k, "e30..abc\n", GP_ERR_JWT_MALFORMED, "payload part is empty");
    expect_list_error(k, "\n\ne30.e30.a.b\n", GP_ERR_JWT_MALFORMED, "line 3: not a compact JWS token: more than three");
    expect_list_error(k, "e30.e30.abcde\n", GP_ERR_JWT_MALFORMED, "line 1: not a compact JWS token: part 3 has 5");
    expect_list_error(k, "e30.e30 e30.x\n", GP_ERR_JWT_MALFORMED, "' ' at column 8");
    /* columns count from the start of the line, blanks included */
    expect_list_error(k, "e30.e30.\n  \te30.e3!0.\n", GP_ERR_JWT_MALFORMED,
                      "line 2: not a compact JWS token: '!' at column 10");
    expect_list_error(k, "e30.e30.\ne30.e30.\ne30\0.e30.\n", GP_ERR_JWT_MALFORMED,
                      "line 3"); /* strlen stops at the NUL: "e30" */
    expect_list_error(k, "# nothing\n\n   \n", GP_ERR_NOT_FOUND, "no tokens");
    expect_list_error(k, "", GP_ERR_NOT_FOUND, "no tokens (the file is empty)");

    /* a NUL byte inside a line (write_lines would stop at it) */
    static const char nul[] = "e30.e30.\ne30.e\0.\n";
    write_file(path, nul, sizeof nul - 1);
    assert_int_equal(gp_token_list_load(path, &list, err, sizeof err), GP_ERR_JWT_MALFORMED);
    assert_non_null(strstr(err, "line 2: a NUL byte"));

    char missing[256];
    path_in(k, missing, "no-such-file.txt");
    assert_int_equal(gp_token_list_load(missing, &list, err, sizeof err), GP_ERR_IO);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "cannot read"));
    assert_int_equal(gp_token_list_load(NULL, &list, err, sizeof err), GP_ERR_INVALID_ARG);
}

/* 1,000,000 tokens load; one more is refused on its line. */
static void test_token_list_limit(void **state)
{
    const keys *k = *state;
    char path[256], err[512] = "";
    path_in(k, path, "many.txt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# a million and one\n", f);
    for (int i = 0; i < GP_TOKEN_LIST_LEN_MAX; i++)
        fputs("e30.e30.\n", f);
    assert_int_equal(fclose(f), 0);
    gp_token_list list;
    assert_int_equal(gp_token_list_load(path, &list, err, sizeof err), GP_OK);
    assert_int_equal(list.len, GP_TOKEN_LIST_LEN_MAX);
    gp_token_list_free(&list);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs("e30.e30.\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(gp_token_list_load(path, &list, err, sizeof err), GP_ERR_FULL);
    assert_non_null(strstr(err, "line 1000002: more than 1000000 tokens"));
    assert_null(list.tokens);
}

/* One key, several threads signing and verifying at once. */
typedef struct worker {
    const gp_mint *m;
    int failures;
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;
    char token[TOKEN_CAP], body[128];
    for (int i = 0; i < 200; i++) {
        snprintf(body, sizeof body, "{\"sub\":\"u%d\",\"n\":%d}", i, i);
        if (gp_mint_sign(w->m, NULL, body, token, sizeof token) != GP_OK ||
            gp_mint_verify(w->m, token, strlen(token)) != GP_OK)
            w->failures++;
    }
    return NULL;
}

static void test_threads_share_a_key(void **state)
{
    (void)state;
    const gp_mint_alg algs[] = {GP_MINT_HS256, GP_MINT_ES256, GP_MINT_RS256};
    for (size_t a = 0; a < 3; a++) {
        char err[256];
        gp_mint *m = gp_mint_create_random(algs[a], err, sizeof err);
        assert_non_null(m);
        enum { N = 4 };
        pthread_t t[N];
        worker w[N];
        for (int i = 0; i < N; i++) {
            w[i] = (worker){m, 0};
            assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            assert_int_equal(pthread_join(t[i], NULL), 0);
            assert_int_equal(w[i].failures, 0);
        }
        gp_mint_destroy(m);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tokens per second for each alg, one thread, a typical payload.  Printed
 * for the record; timings are not asserted. */
static void test_speed(void **state)
{
    (void)state;
    for (size_t i = 0; i < ALG_COUNT; i++) {
        char err[256];
        gp_mint *m = gp_mint_create_random(all_algs[i], err, sizeof err);
        assert_non_null(m);
        char token[TOKEN_CAP];
        size_t count = 0;
        double start = now_s(), elapsed = 0;
        while (elapsed < 0.3) {
            for (int j = 0; j < 16; j++, count++)
                assert_int_equal(gp_mint_sign(m, NULL, payload, token, sizeof token), GP_OK);
            elapsed = now_s() - start;
        }
        print_message("  %-5s %10.0f tokens/s (%zu in %.2f s, %zu-byte tokens)\n",
                      gp_mint_alg_name(all_algs[i]), (double)count / elapsed, count,
                      elapsed, strlen(token));
        gp_mint_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_hs256_rfc7515_vector),
        cmocka_unit_test(test_hs_checked_by_hmac),
        cmocka_unit_test(test_rs256_checked_by_openssl),
        cmocka_unit_test(test_es256_checked_by_openssl),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_lying_headers),
        cmocka_unit_test(test_malformed_tokens),
        cmocka_unit_test(test_out_too_small),
        cmocka_unit_test(test_key_file_errors),
        cmocka_unit_test(test_token_list),
        cmocka_unit_test(test_token_list_limit),
        cmocka_unit_test(test_threads_share_a_key),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
