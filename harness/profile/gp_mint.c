/* gp_mint.c: JWT minting for protocol profiles (gp_mint.h) on OpenSSL 3
 * libcrypto, and the loader of pre-issued token lists.
 *
 * Speed: everything that does not depend on the token is done once, in
 * gp_mint_create.  HMAC keys become a keyed EVP_MAC_CTX and RS256/ES256 keys
 * an EVP_MD_CTX already through EVP_DigestSignInit; each token copies that
 * context and signs.  Copying never writes to the source, which is what
 * makes one gp_mint usable from several threads at once, and it skips the
 * algorithm fetch and key setup that dominate short messages.
 *
 * base64url is coded here rather than through EVP_EncodeBlock: it is a
 * dozen lines, needs no character translation pass, and the decoder can
 * insist on the canonical spelling (unused trailing bits zero), so a
 * signature has exactly one accepted text. */
#include "gp_mint.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "gp_error.h"
#include "gp_json.h"

#define GP_MINT_PEM_BYTES_MAX (1024 * 1024)
#define GP_MINT_RSA_BITS_MIN 2048
#define GP_MINT_RSA_BITS_MAX 16384
#define GP_MINT_SIG_BYTES_MAX (GP_MINT_RSA_BITS_MAX / 8)
#define GP_MINT_ES256_HALF 32
#define GP_MINT_TOKEN_BYTES_MAX (1024 * 1024) /* what gp_mint_verify reads */

/* What each alg is made of.  Indexed by gp_mint_alg. */
static const struct {
    const char *name;
    const char *digest; /* NULL for none */
    size_t hmac_len;    /* HS*: the MAC and the random key length; else 0 */
} gp_mint_algs[] = {
    [GP_MINT_HS256] = {"HS256", "SHA256", 32},
    [GP_MINT_HS384] = {"HS384", "SHA384", 48},
    [GP_MINT_HS512] = {"HS512", "SHA512", 64},
    [GP_MINT_RS256] = {"RS256", "SHA256", 0},
    [GP_MINT_ES256] = {"ES256", "SHA256", 0},
    [GP_MINT_NONE] = {"none", NULL, 0},
};
#define GP_MINT_ALG_COUNT (sizeof gp_mint_algs / sizeof gp_mint_algs[0])

struct gp_mint {
    gp_mint_alg alg;
    EVP_MAC_CTX *mac;      /* HS*: keyed; only ever duplicated */
    EVP_PKEY *pkey;        /* RS256/ES256 */
    EVP_MD_CTX *sign_tmpl; /* RS256/ES256: after DigestSignInit; only copied */
    size_t sig_len;        /* bytes of the JWS signature */
};

static bool gp_mint_alg_valid(gp_mint_alg alg)
{
    return (unsigned)alg < GP_MINT_ALG_COUNT;
}

static bool gp_mint_is_hmac(gp_mint_alg alg)
{
    return alg == GP_MINT_HS256 || alg == GP_MINT_HS384 || alg == GP_MINT_HS512;
}

int gp_mint_alg_parse(const char *name, gp_mint_alg *out)
{
    if (name == NULL || out == NULL)
        return GP_ERR_INVALID_ARG;
    for (size_t i = 0; i < GP_MINT_ALG_COUNT; i++)
        if (strcmp(name, gp_mint_algs[i].name) == 0) {
            *out = (gp_mint_alg)i;
            return GP_OK;
        }
    return GP_ERR_INVALID_ARG;
}

const char *gp_mint_alg_name(gp_mint_alg alg)
{
    return gp_mint_alg_valid(alg) ? gp_mint_algs[alg].name : "?";
}

/* printf into err when there is room for anything. */
static void gp_mint_errf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gp_mint_errf(char *err, size_t err_len, const char *fmt, ...)
{
    if (err == NULL || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* The oldest libcrypto error as text (for a person), then the queue emptied
 * so that nothing of ours is left for the thread's next caller to find. */
static void gp_mint_crypto_reason(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, buf, n);
    else
        snprintf(buf, n, "no reason given");
    ERR_clear_error();
}

/* ---- base64url -------------------------------------------------------- */

static const char gp_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Length of the unpadded base64url text of n bytes (n < SIZE_MAX / 2). */
static size_t gp_b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* Writes gp_b64url_len(n) characters (no NUL) to out; returns that. */
static size_t gp_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t w = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[w++] = gp_b64url_alphabet[v >> 18];
        out[w++] = gp_b64url_alphabet[(v >> 12) & 63];
        out[w++] = gp_b64url_alphabet[(v >> 6) & 63];
        out[w++] = gp_b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        out[w++] = gp_b64url_alphabet[in[i] >> 2];
        out[w++] = gp_b64url_alphabet[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[w++] = gp_b64url_alphabet[v >> 10];
        out[w++] = gp_b64url_alphabet[(v >> 4) & 63];
        out[w++] = gp_b64url_alphabet[(v & 15) << 2];
    }
    return w;
}

/* The 6-bit value of a base64url character, or -1. */
static int gp_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes n characters of canonical unpadded base64url into out (room for
 * n / 4 * 3 + 2 bytes).  Returns the byte count, or -1 for a character
 * outside the alphabet, a length of 1 mod 4, or unused bits that are not
 * zero (a second spelling of the same bytes). */
static long gp_b64url_decode(const char *in, size_t n, unsigned char *out)
{
    if (n % 4 == 1)
        return -1;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int v = gp_b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)w;
}

/* ---- keys ------------------------------------------------------------- */

void gp_mint_destroy(gp_mint *m)
{
    if (m == NULL)
        return;
    EVP_MAC_CTX_free(m->mac);
    EVP_MD_CTX_free(m->sign_tmpl);
    EVP_PKEY_free(m->pkey);
    free(m);
}

gp_mint_alg gp_mint_get_alg(const gp_mint *m)
{
    assert(m != NULL);
    return m->alg;
}

static gp_mint *gp_mint_create_hmac(gp_mint_alg alg, const void *secret,
                                    size_t secret_len, char *err,
                                    size_t err_len)
{
    gp_mint *m = calloc(1, sizeof *m);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (m == NULL || mac == NULL)
        goto fail;
    m->alg = alg;
    m->sig_len = gp_mint_algs[alg].hmac_len;
    m->mac = EVP_MAC_CTX_new(mac); /* holds its own reference to mac */
    if (m->mac == NULL)
        goto fail;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)gp_mint_algs[alg].digest, 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(m->mac, secret, secret_len, params) != 1)
        goto fail;
    EVP_MAC_free(mac);
    return m;
fail:;
    char why[256];
    gp_mint_crypto_reason(why, sizeof why);
    gp_mint_errf(err, err_len, "%s key: %s", gp_mint_algs[alg].name,
                 m == NULL ? "out of memory" : why);
    EVP_MAC_free(mac);
    gp_mint_destroy(m);
    return NULL;
}

/* Checks that pkey suits alg (an RSA key of 2048 to 16384 bits for RS256, a
 * P-256 key for ES256).  `what` names the key's origin in the message. */
static bool gp_mint_key_fits(gp_mint_alg alg, EVP_PKEY *pkey, const char *what,
                             char *err, size_t err_len)
{
    const char *type = EVP_PKEY_get0_type_name(pkey);
    if (type == NULL)
        type = "unknown";
    if (alg == GP_MINT_RS256) {
        if (!EVP_PKEY_is_a(pkey, "RSA")) {
            gp_mint_errf(err, err_len,
                         "%s: wrong key type for RS256: an %s key, RS256 needs an RSA key",
                         what, type);
            return false;
        }
        int bits = EVP_PKEY_get_bits(pkey);
        if (bits < GP_MINT_RSA_BITS_MIN || bits > GP_MINT_RSA_BITS_MAX) {
            gp_mint_errf(err, err_len,
                         "%s: RSA key too %s: %d bits, RS256 needs %d to %d",
                         what, bits < GP_MINT_RSA_BITS_MIN ? "small" : "large",
                         bits, GP_MINT_RSA_BITS_MIN, GP_MINT_RSA_BITS_MAX);
            return false;
        }
        return true;
    }
    if (!EVP_PKEY_is_a(pkey, "EC")) {
        gp_mint_errf(err, err_len,
                     "%s: wrong key type for ES256: an %s key, ES256 needs an EC P-256 key",
                     what, type);
        return false;
    }
    char group[64] = "";
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, NULL) != 1)
        snprintf(group, sizeof group, "(explicit parameters)");
    ERR_clear_error();
    if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0 &&
        strcmp(group, "secp256r1") != 0) {
        gp_mint_errf(err, err_len,
                     "%s: wrong curve for ES256: an EC key on %s, ES256 needs P-256 (prime256v1)",
                     what, group);
        return false;
    }
    return true;
}

/* Makes the gp_mint of an RS256/ES256 key; takes ownership of pkey (freed on
 * failure too). */
static gp_mint *gp_mint_from_pkey(gp_mint_alg alg, EVP_PKEY *pkey,
                                  const char *what, char *err, size_t err_len)
{
    if (!gp_mint_key_fits(alg, pkey, what, err, err_len)) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    gp_mint *m = calloc(1, sizeof *m);
    if (m == NULL) {
        EVP_PKEY_free(pkey);
        gp_mint_errf(err, err_len, "%s: out of memory", what);
        return NULL;
    }
    m->alg = alg;
    m->pkey = pkey;
    m->sig_len = alg == GP_MINT_ES256 ? 2 * GP_MINT_ES256_HALF
                                      : (size_t)EVP_PKEY_get_size(pkey);
    m->sign_tmpl = EVP_MD_CTX_new();
    if (m->sign_tmpl == NULL ||
        EVP_DigestSignInit_ex(m->sign_tmpl, NULL, gp_mint_algs[alg].digest,
                              NULL, NULL, pkey, NULL) != 1) {
        char why[256];
        gp_mint_crypto_reason(why, sizeof why);
        gp_mint_errf(err, err_len, "%s: cannot prepare %s signing: %s", what,
                     gp_mint_algs[alg].name, why);
        gp_mint_destroy(m);
        return NULL;
    }
    return m;
}

/* Reads at most GP_MINT_PEM_BYTES_MAX bytes of path into a NUL-terminated
 * buffer from malloc.  NULL with err set on failure. */
static char *gp_mint_read_file(const char *path, size_t *len, char *err,
                               size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        gp_mint_errf(err, err_len, "key file '%s': cannot read: %s", path,
                     strerror(errno));
        return NULL;
    }
    char *buf = malloc(GP_MINT_PEM_BYTES_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        gp_mint_errf(err, err_len, "key file '%s': out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, GP_MINT_PEM_BYTES_MAX + 1, f);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno != 0 || n > GP_MINT_PEM_BYTES_MAX) {
        if (read_errno != 0)
            gp_mint_errf(err, err_len, "key file '%s': cannot read: %s", path,
                         strerror(read_errno));
        else
            gp_mint_errf(err, err_len,
                         "key file '%s': not a PEM private key (larger than %d bytes)",
                         path, GP_MINT_PEM_BYTES_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* A passphrase callback that never asks (OpenSSL's default would prompt on
 * the terminal) and records that a passphrase was wanted. */
static int gp_mint_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)u = true;
    return -1;
}

/* Says why a PEM text gave no private key. */
static void gp_mint_pem_refusal(const char *path, const char *pem,
                                bool wanted_passphrase, char *err,
                                size_t err_len)
{
    const char *begin = strstr(pem, "-----BEGIN ");
    if (wanted_passphrase) {
        gp_mint_errf(err, err_len,
                     "key file '%s': an encrypted PEM private key; passphrases are not "
                     "supported (decrypt it: openssl pkey -in KEY -out PLAIN)",
                     path);
    } else if (begin == NULL) {
        gp_mint_errf(err, err_len,
                     "key file '%s': not a PEM private key (no -----BEGIN line)", path);
    } else {
        const char *label = begin + strlen("-----BEGIN ");
        size_t n = strcspn(label, "-\r\n");
        if (n > 40)
            n = 40;
        if (strstr(pem, "PRIVATE KEY-----") != NULL)
            gp_mint_errf(err, err_len,
                         "key file '%s': not a PEM private key (a damaged '%.*s' block "
                         "OpenSSL cannot read)",
                         path, (int)n, label);
        else
            gp_mint_errf(err, err_len,
                         "key file '%s': not a PEM private key (it holds '%.*s')", path,
                         (int)n, label);
    }
}

static gp_mint *gp_mint_create_pem(gp_mint_alg alg, const char *path,
                                   char *err, size_t err_len)
{
    size_t len = 0;
    char *pem = gp_mint_read_file(path, &len, err, err_len);
    if (pem == NULL)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    bool wanted_passphrase = false;
    EVP_PKEY *pkey = bio == NULL ? NULL
                                 : PEM_read_bio_PrivateKey(bio, NULL, gp_mint_no_passphrase,
                                                           &wanted_passphrase);
    BIO_free(bio);
    ERR_clear_error();
    if (pkey == NULL) {
        gp_mint_pem_refusal(path, pem, wanted_passphrase, err, err_len);
        OPENSSL_cleanse(pem, len);
        free(pem);
        return NULL;
    }
    OPENSSL_cleanse(pem, len);
    free(pem);
    char what[512];
    snprintf(what, sizeof what, "key file '%s'", path);
    return gp_mint_from_pkey(alg, pkey, what, err, err_len);
}

gp_mint *gp_mint_create(gp_mint_alg alg, const void *secret, size_t secret_len,
                        const char *pem_path, char *err, size_t err_len)
{
    if (!gp_mint_alg_valid(alg)) {
        gp_mint_errf(err, err_len, "unknown alg %d (expected one of %s)", (int)alg,
                     GP_MINT_ALG_NAMES);
        return NULL;
    }
    const char *name = gp_mint_algs[alg].name;
    if (gp_mint_is_hmac(alg)) {
        if (pem_path != NULL) {
            gp_mint_errf(err, err_len, "%s takes a shared secret, not a key file ('%s')",
                         name, pem_path);
            return NULL;
        }
        if (secret == NULL || secret_len == 0) {
            gp_mint_errf(err, err_len, "%s needs a secret of at least 1 byte", name);
            return NULL;
        }
        return gp_mint_create_hmac(alg, secret, secret_len, err, err_len);
    }
    if (secret != NULL || secret_len != 0) {
        gp_mint_errf(err, err_len, "%s takes %s, not a shared secret", name,
                     alg == GP_MINT_NONE ? "no key" : "a PEM private key file");
        return NULL;
    }
    if (alg == GP_MINT_NONE) {
        if (pem_path != NULL) {
            gp_mint_errf(err, err_len, "none takes no key file ('%s')", pem_path);
            return NULL;
        }
        gp_mint *m = calloc(1, sizeof *m);
        if (m == NULL)
            gp_mint_errf(err, err_len, "none: out of memory");
        else
            m->alg = GP_MINT_NONE;
        return m;
    }
    if (pem_path == NULL) {
        gp_mint_errf(err, err_len, "%s needs a PEM private key file", name);
        return NULL;
    }
    return gp_mint_create_pem(alg, pem_path, err, err_len);
}

gp_mint *gp_mint_create_random(gp_mint_alg alg, char *err, size_t err_len)
{
    if (!gp_mint_alg_valid(alg) || alg == GP_MINT_NONE)
        return gp_mint_create(alg, NULL, 0, NULL, err, err_len);
    if (gp_mint_is_hmac(alg)) {
        unsigned char key[64];
        size_t n = gp_mint_algs[alg].hmac_len;
        if (RAND_bytes(key, (int)n) != 1) {
            ERR_clear_error();
            gp_mint_errf(err, err_len, "%s: no random bytes from libcrypto",
                         gp_mint_algs[alg].name);
            return NULL;
        }
        gp_mint *m = gp_mint_create_hmac(alg, key, n, err, err_len);
        OPENSSL_cleanse(key, sizeof key);
        return m;
    }
    EVP_PKEY *pkey = alg == GP_MINT_RS256
                         ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)GP_MINT_RSA_BITS_MIN)
                         : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL) {
        char why[256];
        gp_mint_crypto_reason(why, sizeof why);
        gp_mint_errf(err, err_len, "random %s key: %s", gp_mint_algs[alg].name, why);
        return NULL;
    }
    return gp_mint_from_pkey(alg, pkey, "random key", err, err_len);
}

/* ---- signing ---------------------------------------------------------- */

/* HMAC of data[0..n) into mac (m->sig_len bytes). */
static int gp_mint_hmac(const gp_mint *m, const char *data, size_t n,
                        unsigned char *mac)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(m->mac);
    size_t got = 0;
    int ok = ctx != NULL &&
             EVP_MAC_update(ctx, (const unsigned char *)data, n) == 1 &&
             EVP_MAC_final(ctx, mac, &got, m->sig_len) == 1 && got == m->sig_len;
    EVP_MAC_CTX_free(ctx);
    return ok ? GP_OK : GP_ERR_CRYPTO;
}

/* ECDSA's DER signature as the JWS R||S (two 32-byte big-endian halves). */
static bool gp_mint_der_to_raw(const unsigned char *der, size_t der_len,
                               unsigned char raw[2 * GP_MINT_ES256_HALF])
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (es == NULL)
        return false;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(es, &r, &s);
    bool ok = BN_bn2binpad(r, raw, GP_MINT_ES256_HALF) == GP_MINT_ES256_HALF &&
              BN_bn2binpad(s, raw + GP_MINT_ES256_HALF, GP_MINT_ES256_HALF) ==
                  GP_MINT_ES256_HALF;
    ECDSA_SIG_free(es);
    return ok;
}

/* RS256/ES256 signature of data[0..n) into sig (m->sig_len bytes). */
static int gp_mint_pkey_sign(const gp_mint *m, const char *data, size_t n,
                             unsigned char *sig)
{
    unsigned char buf[GP_MINT_SIG_BYTES_MAX];
    size_t len = sizeof buf;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_MD_CTX_copy_ex(ctx, m->sign_tmpl) == 1 &&
             EVP_DigestSign(ctx, buf, &len, (const unsigned char *)data, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok && m->alg == GP_MINT_ES256) {
        ok = gp_mint_der_to_raw(buf, len, sig);
    } else if (ok) {
        ok = len == m->sig_len; /* RSA: always the modulus length */
        if (ok)
            memcpy(sig, buf, len);
    }
    if (!ok)
        ERR_clear_error();
    return ok ? GP_OK : GP_ERR_CRYPTO;
}

int gp_mint_sign(const gp_mint *m, const char *header_json,
                 const char *payload_json, char *out, size_t out_len)
{
    if (out != NULL && out_len > 0)
        out[0] = '\0';
    if (m == NULL || payload_json == NULL || out == NULL)
        return GP_ERR_INVALID_ARG;
    char default_header[48];
    if (header_json == NULL) {
        snprintf(default_header, sizeof default_header,
                 "{\"alg\":\"%s\",\"typ\":\"JWT\"}", gp_mint_algs[m->alg].name);
        header_json = default_header;
    }
    size_t h_len = strlen(header_json), p_len = strlen(payload_json);
    if (h_len > SIZE_MAX / 4 || p_len > SIZE_MAX / 4)
        return GP_ERR_TOO_LONG;
    size_t need = gp_b64url_len(h_len) + 1 + gp_b64url_len(p_len) + 1 +
                  gp_b64url_len(m->sig_len) + 1;
    if (need > out_len)
        return GP_ERR_TOO_LONG;
    size_t w = gp_b64url_encode((const unsigned char *)header_json, h_len, out);
    out[w++] = '.';
    w += gp_b64url_encode((const unsigned char *)payload_json, p_len, out + w);
    unsigned char sig[GP_MINT_SIG_BYTES_MAX];
    int rc = GP_OK;
    if (gp_mint_is_hmac(m->alg))
        rc = gp_mint_hmac(m, out, w, sig);
    else if (m->alg != GP_MINT_NONE)
        rc = gp_mint_pkey_sign(m, out, w, sig);
    if (rc != GP_OK) {
        out[0] = '\0';
        return rc;
    }
    out[w++] = '.';
    w += gp_b64url_encode(sig, m->sig_len, out + w);
    out[w] = '\0';
    return GP_OK;
}

/* ---- verification ----------------------------------------------------- */

/* True when the header part (base64url, h_len characters) decodes to a JSON
 * object whose "alg" is exactly `alg`.  *rc says why not. */
static bool gp_mint_header_alg_is(const char *h, size_t h_len, const char *alg,
                                  int *rc)
{
    unsigned char *raw = malloc(h_len / 4 * 3 + 3);
    if (raw == NULL) {
        *rc = GP_ERR_NOMEM;
        return false;
    }
    long n = gp_b64url_decode(h, h_len, raw);
    json_t *hdr = NULL;
    *rc = GP_ERR_JWT_MALFORMED;
    if (n > 0)
        hdr = gp_json_load((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES,
                           NULL, rc);
    free(raw);
    if (hdr == NULL) {
        if (*rc != GP_ERR_NOMEM)
            *rc = GP_ERR_JWT_MALFORMED;
        return false;
    }
    bool ok = false;
    *rc = GP_ERR_JWT_MALFORMED;
    if (json_is_object(hdr)) {
        const json_t *a = json_object_get(hdr, "alg");
        ok = json_is_string(a) && json_string_length(a) == strlen(alg) &&
             strcmp(json_string_value(a), alg) == 0;
        *rc = GP_ERR_JWT_ALG;
    }
    json_decref(hdr);
    return ok;
}

/* Verifies an RS256/ES256 signature (JWS form) over data[0..n). */
static int gp_mint_pkey_verify(const gp_mint *m, const char *data, size_t n,
                               const unsigned char *sig, size_t sig_len)
{
    if (sig_len != m->sig_len)
        return GP_ERR_JWT_SIGNATURE;
    unsigned char *der = NULL;
    int der_len = 0;
    if (m->alg == GP_MINT_ES256) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, GP_MINT_ES256_HALF, NULL);
        BIGNUM *s = BN_bin2bn(sig + GP_MINT_ES256_HALF, GP_MINT_ES256_HALF, NULL);
        if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(es);
            ERR_clear_error();
            return GP_ERR_CRYPTO;
        }
        der_len = i2d_ECDSA_SIG(es, &der); /* es owns r and s now */
        ECDSA_SIG_free(es);
        if (der_len <= 0) {
            ERR_clear_error();
            return GP_ERR_CRYPTO;
        }
        sig = der;
        sig_len = (size_t)der_len;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = GP_ERR_CRYPTO;
    if (ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL, gp_mint_algs[m->alg].digest,
                                               NULL, NULL, m->pkey, NULL) == 1)
        rc = EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)data, n) == 1
                 ? GP_OK
                 : GP_ERR_JWT_SIGNATURE;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}

int gp_mint_verify(const gp_mint *m, const char *token, size_t len)
{
    if (m == NULL || token == NULL)
        return GP_ERR_INVALID_ARG;
    if (len == 0 || len > GP_MINT_TOKEN_BYTES_MAX)
        return GP_ERR_JWT_MALFORMED;
    const char *end = token + len;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL ||
        dot1 == token)
        return GP_ERR_JWT_MALFORMED;
    const char *sig_b64 = dot2 + 1;
    size_t sig_b64_len = (size_t)(end - sig_b64);
    unsigned char sig[GP_MINT_SIG_BYTES_MAX];
    if (sig_b64_len > gp_b64url_len(sizeof sig))
        return GP_ERR_JWT_SIGNATURE;
    long sig_len = gp_b64url_decode(sig_b64, sig_b64_len, sig);
    if (sig_len < 0)
        return GP_ERR_JWT_MALFORMED;
    /* The payload is not read, but it must be base64url like the rest. */
    for (const char *p = dot1 + 1; p < dot2; p++)
        if (gp_b64url_value((unsigned char)*p) < 0)
            return GP_ERR_JWT_MALFORMED;
    if ((size_t)(dot2 - dot1 - 1) % 4 == 1)
        return GP_ERR_JWT_MALFORMED;

    int rc;
    if (!gp_mint_header_alg_is(token, (size_t)(dot1 - token),
                               gp_mint_algs[m->alg].name, &rc))
        return rc;
    size_t signed_len = (size_t)(dot2 - token);
    if (m->alg == GP_MINT_NONE)
        return sig_len == 0 ? GP_OK : GP_ERR_JWT_SIGNATURE;
    if (gp_mint_is_hmac(m->alg)) {
        unsigned char mac[64];
        rc = gp_mint_hmac(m, token, signed_len, mac);
        if (rc != GP_OK)
            return rc;
        /* The length is public; the bytes are compared in constant time. */
        return (size_t)sig_len == m->sig_len &&
                       CRYPTO_memcmp(mac, sig, m->sig_len) == 0
                   ? GP_OK
                   : GP_ERR_JWT_SIGNATURE;
    }
    return gp_mint_pkey_verify(m, token, signed_len, sig, (size_t)sig_len);
}

/* ---- pre-issued tokens ------------------------------------------------ */

/* NULL when tok[0..n) looks like a compact JWS, else why not (into why).
 * tok starts at column col0 + 1 of its line. */
static const char *gp_token_shape(const char *tok, size_t n, size_t col0, char *why,
                                  size_t why_len)
{
    size_t part = 0, part_len = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || tok[i] == '.') {
            if (i < n && part == 2) {
                snprintf(why, why_len, "more than three parts (a third '.' at column %zu)",
                         col0 + i + 1);
                return why;
            }
            if (part < 2 && part_len == 0) {
                snprintf(why, why_len, "the %s part is empty",
                         part == 0 ? "header" : "payload");
                return why;
            }
            if (part_len % 4 == 1) {
                snprintf(why, why_len,
                         "part %zu has %zu characters, not a base64url length",
                         part + 1, part_len);
                return why;
            }
            part += i < n;
            part_len = 0;
            continue;
        }
        if (gp_b64url_value((unsigned char)tok[i]) < 0) {
            unsigned char c = (unsigned char)tok[i];
            if (isprint(c))
                snprintf(why, why_len, "'%c' at column %zu is not base64url", c,
                         col0 + i + 1);
            else
                snprintf(why, why_len, "byte 0x%02x at column %zu is not base64url", c,
                         col0 + i + 1);
            return why;
        }
        part_len++;
    }
    if (part != 2) {
        snprintf(why, why_len, "%zu part%s, needs three (header.payload.signature)",
                 part + 1, part == 0 ? "" : "s");
        return why;
    }
    return NULL;
}

void gp_token_list_free(gp_token_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->len; i++)
        free(list->tokens[i]);
    free(list->tokens);
    list->tokens = NULL;
    list->len = 0;
}

static bool gp_token_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Adds tok[0..n) to list (cap entries allocated).  GP_OK or GP_ERR_NOMEM. */
static int gp_token_list_push(gp_token_list *list, size_t *cap, const char *tok,
                              size_t n)
{
    if (list->len == *cap) {
        size_t new_cap = *cap == 0 ? 64 : *cap * 2;
        char **grown = realloc(list->tokens, new_cap * sizeof *grown);
        if (grown == NULL)
            return GP_ERR_NOMEM;
        list->tokens = grown;
        *cap = new_cap;
    }
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return GP_ERR_NOMEM;
    memcpy(copy, tok, n);
    copy[n] = '\0';
    list->tokens[list->len++] = copy;
    return GP_OK;
}

int gp_token_list_load(const char *path, gp_token_list *out, char *err,
                       size_t err_len)
{
    if (out != NULL)
        *out = (gp_token_list){NULL, 0};
    if (path == NULL || out == NULL) {
        gp_mint_errf(err, err_len, "token list: no file given");
        return GP_ERR_INVALID_ARG;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        gp_mint_errf(err, err_len, "tokens file '%s': cannot read: %s", path,
                     strerror(errno));
        return GP_ERR_IO;
    }
    gp_token_list list = {NULL, 0};
    size_t cap = 0, line_no = 0, line_cap = 0;
    char *line = NULL;
    char why[128];
    int rc = GP_OK;
    for (;;) {
        errno = 0;
        ssize_t got = getline(&line, &line_cap, f);
        if (got < 0) {
            if (ferror(f)) {
                rc = errno == ENOMEM ? GP_ERR_NOMEM : GP_ERR_IO;
                gp_mint_errf(err, err_len, "tokens file '%s': cannot read after line %zu: %s",
                             path, line_no, strerror(errno != 0 ? errno : EIO));
            }
            break;
        }
        line_no++;
        size_t n = (size_t)got;
        if (memchr(line, '\0', n) != NULL) {
            rc = GP_ERR_JWT_MALFORMED;
            gp_mint_errf(err, err_len, "tokens file '%s' line %zu: a NUL byte", path,
                         line_no);
            break;
        }
        size_t a = 0;
        while (a < n && gp_token_blank(line[a]))
            a++;
        while (n > a && gp_token_blank(line[n - 1]))
            n--;
        if (a == n || line[a] == '#')
            continue;
        if (n - a > GP_TOKEN_LIST_LINE_LEN_MAX) {
            rc = GP_ERR_JWT_MALFORMED;
            gp_mint_errf(err, err_len,
                         "tokens file '%s' line %zu: %zu characters, more than %d",
                         path, line_no, n - a, GP_TOKEN_LIST_LINE_LEN_MAX);
            break;
        }
        if (gp_token_shape(line + a, n - a, a, why, sizeof why) != NULL) {
            rc = GP_ERR_JWT_MALFORMED;
            gp_mint_errf(err, err_len,
                         "tokens file '%s' line %zu: not a compact JWS token: %s", path,
                         line_no, why);
            break;
        }
        if (list.len == GP_TOKEN_LIST_LEN_MAX) {
            rc = GP_ERR_FULL;
            gp_mint_errf(err, err_len, "tokens file '%s' line %zu: more than %d tokens",
                         path, line_no, GP_TOKEN_LIST_LEN_MAX);
            break;
        }
        rc = gp_token_list_push(&list, &cap, line + a, n - a);
        if (rc != GP_OK) {
            gp_mint_errf(err, err_len, "tokens file '%s' line %zu: out of memory", path,
                         line_no);
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc == GP_OK && list.len == 0) {
        rc = GP_ERR_NOT_FOUND;
        if (line_no == 0)
            gp_mint_errf(err, err_len, "tokens file '%s': no tokens (the file is empty)",
                         path);
        else
            gp_mint_errf(err, err_len,
                         "tokens file '%s': no tokens (%zu lines, all blank or comments)",
                         path, line_no);
    }
    if (rc != GP_OK) {
        gp_token_list_free(&list);
        return rc;
    }
    *out = list;
    return GP_OK;
}
