/* gp_jwt.c: HS256 JSON Web Tokens (gp_jwt.h) on OpenSSL 3.0 libcrypto and
 * jansson.
 *
 * The key holds an HMAC-SHA256 EVP_MAC context keyed once; each token
 * duplicates it, so the key is never written after creation (it can be
 * shared read-only) and no per-token key schedule is computed.
 *
 * Decisions where RFC 7519 / PROTOCOL.md leave room:
 * - base64url without padding only (RFC 7515 section 2): '=', '+', '/',
 *   whitespace or a part of length 1 mod 4 make the token malformed.
 * - The signature is checked by encoding the expected MAC and comparing the
 *   texts with CRYPTO_memcmp, so only the one canonical spelling of a
 *   signature verifies (no malleability through unused trailing bits).
 * - Duplicate keys in the header or the payload, a "\u0000" in them, and a
 *   header with "crit" (we understand no extension, RFC 7515 4.1.11) make the
 *   token malformed.
 * - exp may be any JSON number (NumericDate allows fractions); a fraction is
 *   rounded up, so "expired when now_s >= exp" stays exact.  A number outside
 *   int64 is GP_ERR_JWT_EXP.  iat is read the same way when it is a number
 *   and ignored otherwise.
 * - nbf, when present, is honoured (RFC 7519 4.1.5): a token is refused
 *   before ceil(nbf), the same rounding as exp, so a fraction never lets a
 *   token in early.  An nbf that is not a number (null included) or lies
 *   outside int64 makes the token malformed: the issuer meant something we
 *   cannot read, and guessing would accept a token too early.  Other claims
 *   (iss, aud, ...) are ignored. */
#include "gp_jwt.h"
#include "gp_json.h"

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_codec.h" /* GP_TOKEN_LEN_MAX */
#include "gp_error.h"

#define GP_JWT_MAC_LEN 32
#define GP_JWT_SIG_B64_LEN 43 /* base64url of 32 bytes, unpadded */

struct gp_jwt_key {
    EVP_MAC_CTX *ctx; /* keyed HMAC-SHA256; only ever duplicated */
};

gp_jwt_key *gp_jwt_key_create(const void *secret, size_t secret_len)
{
    if (secret == NULL || secret_len == 0)
        return NULL;
    gp_jwt_key *key = calloc(1, sizeof *key);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (key == NULL || mac == NULL)
        goto fail;
    key->ctx = EVP_MAC_CTX_new(mac); /* holds its own reference to mac */
    if (key->ctx == NULL)
        goto fail;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(key->ctx, secret, secret_len, params) != 1)
        goto fail;
    EVP_MAC_free(mac);
    return key;
fail:
    EVP_MAC_free(mac);
    gp_jwt_key_destroy(key);
    return NULL;
}

void gp_jwt_key_destroy(gp_jwt_key *key)
{
    if (key == NULL)
        return;
    EVP_MAC_CTX_free(key->ctx);
    free(key);
}

bool gp_jwt_sub_is_valid(const char *sub)
{
    if (sub == NULL)
        return false;
    size_t n = 0;
    for (const char *p = sub; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '@' || c == '-';
        if (!ok || n >= GP_USER_LEN_MAX)
            return false;
    }
    return n >= 1;
}

/* ---- base64url (the codec itself is OpenSSL's EVP block coder) ---------- */

/* Length of the unpadded base64url text of n bytes. */
static size_t gp_b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* Encodes n bytes as unpadded base64url into out, which must have room for
 * gp_b64url_len(n) characters (no NUL is written).  Returns the length. */
static size_t gp_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    /* Chunks of a multiple of 3 bytes carry no padding, so only the last
     * chunk needs trimming. */
    enum { CHUNK = 768 };
    unsigned char tmp[CHUNK / 3 * 4 + 1];
    size_t w = 0;
    while (n > 0) {
        size_t take = n < CHUNK ? n : CHUNK;
        int got = EVP_EncodeBlock(tmp, in, (int)take);
        for (int i = 0; i < got; i++) {
            unsigned char c = tmp[i];
            if (c == '=')
                break;
            out[w++] = c == '+' ? '-' : c == '/' ? '_' : (char)c;
        }
        in += take;
        n -= take;
    }
    return w;
}

static bool gp_b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* True when in[0..n) is well-formed unpadded base64url. */
static bool gp_b64url_valid(const char *in, size_t n)
{
    if (n % 4 == 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!gp_b64url_char((unsigned char)in[i]))
            return false;
    return true;
}

/* Decodes well-formed unpadded base64url (gp_b64url_valid) into out, which
 * has room for n / 4 * 3 + 2 bytes.  Returns the decoded length, or -1 when
 * OpenSSL refuses the input. */
static long gp_b64url_decode(const char *in, size_t n, unsigned char *out)
{
    enum { CHUNK = 1024 }; /* characters, a multiple of 4 */
    unsigned char tmp[CHUNK];
    size_t w = 0;
    while (n > 0) {
        size_t take = n < CHUNK ? n : CHUNK;
        size_t padded = (take + 3) / 4 * 4;
        for (size_t i = 0; i < take; i++)
            tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
        for (size_t i = take; i < padded; i++)
            tmp[i] = '=';
        int got = EVP_DecodeBlock(out + w, tmp, (int)padded);
        if (got < 0)
            return -1;
        /* EVP_DecodeBlock counts padding as zero bytes. */
        w += (size_t)got - (padded - take);
        in += take;
        n -= take;
    }
    return (long)w;
}

/* ---- signing ------------------------------------------------------------ */

/* HMAC-SHA256 of data[0..n) under key into mac.  Returns GP_OK or
 * GP_ERR_CRYPTO. */
static int gp_jwt_mac(const gp_jwt_key *key, const char *data, size_t n,
                      unsigned char mac[GP_JWT_MAC_LEN])
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(key->ctx);
    if (ctx == NULL)
        return GP_ERR_CRYPTO;
    size_t mac_len = 0;
    int ok = EVP_MAC_update(ctx, (const unsigned char *)data, n) == 1 &&
             EVP_MAC_final(ctx, mac, &mac_len, GP_JWT_MAC_LEN) == 1 &&
             mac_len == GP_JWT_MAC_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok ? GP_OK : GP_ERR_CRYPTO;
}

int gp_jwt_sign_raw(const gp_jwt_key *key, const char *header_json,
                    const char *payload_json, char *out, size_t out_len)
{
    if (key == NULL || header_json == NULL || payload_json == NULL ||
        out == NULL)
        return GP_ERR_INVALID_ARG;
    size_t h_len = strlen(header_json), p_len = strlen(payload_json);
    size_t h_b64 = gp_b64url_len(h_len), p_b64 = gp_b64url_len(p_len);
    size_t need = h_b64 + 1 + p_b64 + 1 + GP_JWT_SIG_B64_LEN + 1;
    if (need > out_len) {
        if (out_len > 0)
            out[0] = '\0';
        return GP_ERR_TOO_LONG;
    }
    size_t w = gp_b64url_encode((const unsigned char *)header_json, h_len, out);
    out[w++] = '.';
    w += gp_b64url_encode((const unsigned char *)payload_json, p_len, out + w);
    unsigned char mac[GP_JWT_MAC_LEN];
    int rc = gp_jwt_mac(key, out, w, mac);
    if (rc != GP_OK) {
        out[0] = '\0';
        return rc;
    }
    out[w++] = '.';
    w += gp_b64url_encode(mac, sizeof mac, out + w);
    out[w] = '\0';
    return GP_OK;
}

int gp_jwt_sign(const gp_jwt_key *key, const char *sub, int64_t iat,
                int64_t exp, char *out, size_t out_len)
{
    if (!gp_jwt_sub_is_valid(sub))
        return GP_ERR_JWT_SUB;
    /* sub is plain ASCII without quotes or backslashes, so it needs no
     * escaping. */
    char payload[GP_USER_LEN_MAX + 96];
    if (iat >= 0)
        snprintf(payload, sizeof payload,
                 "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld}", sub,
                 (long long)iat, (long long)exp);
    else
        snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":%lld}",
                 sub, (long long)exp);
    return gp_jwt_sign_raw(key, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                           payload, out, out_len);
}

/* ---- verification ------------------------------------------------------- */

/* The base64url of {"alg":"HS256","typ":"JWT"}: the header gp_jwt_sign
 * writes and most issuers write.  A token whose header is exactly these
 * bytes is verified without parsing it (test_jwt checks that the two
 * agree). */
static const char gp_jwt_usual_header[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/* Decodes one base64url part (already checked well-formed) and parses it as
 * a JSON object.  Returns the object (caller decrefs) or NULL; *nomem is set
 * when that was for want of memory, not for the token. */
static json_t *gp_jwt_part_json(const char *part, size_t n, bool *nomem)
{
    unsigned char raw[GP_TOKEN_LEN_MAX / 4 * 3 + 2];
    long got = gp_b64url_decode(part, n, raw);
    if (got <= 0)
        return NULL;
    int rc;
    json_t *v = gp_json_load((const char *)raw, (size_t)got, JSON_REJECT_DUPLICATES, NULL, &rc);
    *nomem |= rc == GP_ERR_NOMEM;
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Reads a NumericDate claim: any JSON number inside int64, a fraction
 * rounded up.  Returns true and sets *out, or false. */
static bool gp_jwt_numeric_date(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* 0x1p63 is the first double above INT64_MAX; doubles this large
         * have no fraction, so rounding up below cannot overflow. */
        if (!(d >= -0x1p63 && d < 0x1p63))
            return false;
        int64_t i = (int64_t)d; /* toward zero */
        *out = (double)i < d ? i + 1 : i;
        return true;
    }
    return false;
}

/* Contract in gp_jwt.h.  Also GP_ERR_INVALID_ARG for a NULL key or claims
 * and GP_ERR_CRYPTO when libcrypto fails.  *claims is zeroed first and
 * filled only on GP_OK. */
int gp_jwt_verify(const gp_jwt_key *key, const char *token, size_t token_len,
                  int64_t now_s, gp_jwt_claims *claims)
{
    if (key == NULL || claims == NULL)
        return GP_ERR_INVALID_ARG;
    memset(claims, 0, sizeof *claims);
    if (token == NULL || token_len == 0 || token_len > GP_TOKEN_LEN_MAX)
        return GP_ERR_JWT_MALFORMED;

    /* Exactly three parts.  The token is a byte range, not a C string: a NUL
     * inside it is not base64url and is refused below. */
    const char *dot1 = memchr(token, '.', token_len);
    if (dot1 == NULL)
        return GP_ERR_JWT_MALFORMED;
    const char *rest = dot1 + 1;
    const char *end = token + token_len;
    const char *dot2 = memchr(rest, '.', (size_t)(end - rest));
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)))
        return GP_ERR_JWT_MALFORMED;
    size_t h_len = (size_t)(dot1 - token);
    size_t p_len = (size_t)(dot2 - rest);
    const char *sig = dot2 + 1;
    size_t s_len = (size_t)(end - sig);
    if (!gp_b64url_valid(token, h_len) || !gp_b64url_valid(rest, p_len) ||
        !gp_b64url_valid(sig, s_len))
        return GP_ERR_JWT_MALFORMED;

    /* The usual header's bytes are known to parse to an object with alg
     * HS256 and no crit: it needs no parse of its own. */
    bool usual = h_len == sizeof gp_jwt_usual_header - 1 &&
                 memcmp(token, gp_jwt_usual_header, h_len) == 0;
    bool nomem = false;
    json_t *header = usual ? NULL : gp_jwt_part_json(token, h_len, &nomem);
    json_t *payload = gp_jwt_part_json(rest, p_len, &nomem);
    int rc = nomem ? GP_ERR_NOMEM : GP_ERR_JWT_MALFORMED;
    if ((!usual && header == NULL) || payload == NULL ||
        (!usual && json_object_get(header, "crit") != NULL))
        goto out;

    rc = GP_ERR_JWT_ALG;
    const json_t *alg = usual ? NULL : json_object_get(header, "alg");
    if (!usual && (!json_is_string(alg) || json_string_length(alg) != 5 ||
                   memcmp(json_string_value(alg), "HS256", 5) != 0))
        goto out;

    unsigned char mac[GP_JWT_MAC_LEN];
    rc = gp_jwt_mac(key, token, (size_t)(dot2 - token), mac);
    if (rc != GP_OK)
        goto out;
    char expect[GP_JWT_SIG_B64_LEN];
    gp_b64url_encode(mac, sizeof mac, expect);
    /* The length is public; the bytes are compared in constant time. */
    rc = GP_ERR_JWT_SIGNATURE;
    if (s_len != GP_JWT_SIG_B64_LEN ||
        CRYPTO_memcmp(expect, sig, GP_JWT_SIG_B64_LEN) != 0)
        goto out;

    rc = GP_ERR_JWT_EXP;
    int64_t exp;
    if (!gp_jwt_numeric_date(json_object_get(payload, "exp"), &exp))
        goto out;
    rc = GP_ERR_JWT_EXPIRED;
    if (now_s >= exp)
        goto out;

    int64_t nbf = 0;
    const json_t *nbf_v = json_object_get(payload, "nbf");
    if (nbf_v != NULL) {
        rc = GP_ERR_JWT_MALFORMED;
        if (!gp_jwt_numeric_date(nbf_v, &nbf))
            goto out;
        rc = GP_JWT_ERR_NOT_YET_VALID;
        if (now_s < nbf)
            goto out;
    }

    rc = GP_ERR_JWT_SUB;
    const json_t *sub = json_object_get(payload, "sub");
    if (!json_is_string(sub) || !gp_jwt_sub_is_valid(json_string_value(sub)))
        goto out;

    memcpy(claims->sub, json_string_value(sub), json_string_length(sub) + 1);
    claims->exp = exp;
    claims->has_iat =
        gp_jwt_numeric_date(json_object_get(payload, "iat"), &claims->iat);
    if (!claims->has_iat)
        claims->iat = 0;
    claims->has_nbf = nbf_v != NULL;
    claims->nbf = nbf;
    rc = GP_OK;
out:
    json_decref(header);
    json_decref(payload);
    return rc;
}
