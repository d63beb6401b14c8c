/* gp_mint.h: JSON Web Tokens minted for servers that goldpath did not write.
 *
 * A protocol profile describes how a foreign WebSocket server authenticates;
 * goldpath then needs tokens that server accepts (HS256/384/512 with a shared
 * secret, RS256 or ES256 with the server's signing key, or "none") and tokens
 * it must refuse (the same alg under the wrong key, a header that lies about
 * its alg).  This module signs them (RFC 7515 compact serialisation, RFC 7518
 * algorithms) through OpenSSL 3 libcrypto, and loads lists of tokens that
 * someone else issued.
 *
 * The header and the payload are JSON texts taken exactly as given: nothing
 * here parses, reorders or checks them when signing, so a test can sign any
 * claim set, including a deliberately wrong one.  Nothing reads a clock: a
 * caller that wants iat/exp writes them into the payload.
 *
 * Threads: a gp_mint is immutable once created.  gp_mint_sign and
 * gp_mint_verify take it const and may run on several threads at once on the
 * same gp_mint; create and destroy must not race with any other use. */
#ifndef GP_MINT_H
#define GP_MINT_H

#include <stddef.h>

typedef enum {
    GP_MINT_HS256,
    GP_MINT_HS384,
    GP_MINT_HS512,
    GP_MINT_RS256,
    GP_MINT_ES256,
    GP_MINT_NONE
} gp_mint_alg;

/* The accepted names, for a person's error message. */
#define GP_MINT_ALG_NAMES "HS256, HS384, HS512, RS256, ES256, none"

/* Sets *out from a JWS alg name: "HS256", "HS384", "HS512", "RS256",
 * "ES256" or "none", compared exactly (alg values are case-sensitive,
 * RFC 7515 4.1.1).  Returns GP_OK, or GP_ERR_INVALID_ARG (out untouched) for
 * NULL or any other name. */
int gp_mint_alg_parse(const char *name, gp_mint_alg *out);

/* The JWS name of `alg` ("HS256", ..., "none"); "?" for a value outside the
 * enum.  Never NULL; a static string. */
const char *gp_mint_alg_name(gp_mint_alg alg);

/* A signing key for one alg.  Opaque. */
typedef struct gp_mint gp_mint;

/* Prepares a key.
 *  - HS256/HS384/HS512: `secret` (secret_len bytes, at least 1; any bytes);
 *    pem_path must be NULL.
 *  - RS256: pem_path names a PEM private key file (PKCS#8 "PRIVATE KEY" or
 *    "RSA PRIVATE KEY") holding an RSA key of at least 2048 bits.
 *  - ES256: pem_path names a PEM private key file ("PRIVATE KEY" or
 *    "EC PRIVATE KEY") holding a P-256 (prime256v1) key.
 *  - none: no key; secret and pem_path must be NULL.
 * For RS256/ES256 the secret must be NULL.  Encrypted PEM files are refused
 * (no passphrase is ever asked for on the terminal).
 * Returns the key (free with gp_mint_destroy), or NULL with a sentence in
 * err (err_len bytes, NUL-terminated; err may be NULL) that names the file
 * and says what is wrong: cannot read (with the system's reason), not a PEM
 * private key, encrypted, wrong key type for the alg, key too small / wrong
 * curve; or out of memory / libcrypto failure. */
gp_mint *gp_mint_create(gp_mint_alg alg, const void *secret, size_t secret_len,
                        const char *pem_path, char *err, size_t err_len);

/* A fresh random key of the kind `alg` needs (HS*: as many random bytes as
 * the hash is long; RS256: RSA 2048; ES256: P-256; none: no key), drawn from
 * OpenSSL's generator.  Meant for "bad signature" tokens: same alg, a key the
 * server cannot know.  RSA generation takes tens to hundreds of milliseconds.
 * Returns as gp_mint_create. */
gp_mint *gp_mint_create_random(gp_mint_alg alg, char *err, size_t err_len);

/* Frees the key.  NULL is allowed. */
void gp_mint_destroy(gp_mint *m);

/* The alg the key was made for.  m must not be NULL. */
gp_mint_alg gp_mint_get_alg(const gp_mint *m);

/* Signs base64url(header_json) "." base64url(payload_json) with m's key and
 * writes the compact token, NUL-terminated, into out (out_len bytes).
 * header_json NULL means {"alg":"<alg>","typ":"JWT"}.  Both texts are signed
 * as given, even when the header names another alg.  Signatures: HMAC for
 * HS*, RSASSA-PKCS1-v1_5 SHA-256 for RS256, ECDSA P-256 SHA-256 as the 64
 * bytes R||S for ES256 (RFC 7518 3.4, not DER), empty for none.
 * Returns GP_OK; GP_ERR_INVALID_ARG (NULL m, payload_json or out);
 * GP_ERR_TOO_LONG when out cannot hold the token and its NUL; GP_ERR_CRYPTO
 * when libcrypto fails.  On failure out holds "" when out_len > 0. */
int gp_mint_sign(const gp_mint *m, const char *header_json,
                 const char *payload_json, char *out, size_t out_len);

/* Checks a compact token of len bytes (no NUL needed): three base64url parts
 * (unpadded), a header that is a JSON object whose "alg" equals m's alg
 * name exactly, and a signature that verifies under m's key (for none: an
 * empty signature).  The payload is not read: no exp, nbf or other claim is
 * checked.  Meant for goldpath's own self-checks and for tests.
 * Returns GP_OK; GP_ERR_JWT_MALFORMED (shape, base64url, header JSON);
 * GP_ERR_JWT_ALG (header alg missing or not m's -- whatever the error
 * table's message says, this code means "not the alg of this key");
 * GP_ERR_JWT_SIGNATURE; GP_ERR_INVALID_ARG (NULL m or token); GP_ERR_NOMEM;
 * GP_ERR_CRYPTO. */
int gp_mint_verify(const gp_mint *m, const char *token, size_t len);

/* ---- pre-issued tokens ---------------------------------------------------- */

/* The most tokens one list may hold, and the longest line accepted. */
#define GP_TOKEN_LIST_LEN_MAX 1000000
#define GP_TOKEN_LIST_LINE_LEN_MAX 65536

/* Tokens read from a file, in file order.  tokens[i] are NUL-terminated
 * strings; the list owns them and the array (gp_token_list_free). */
typedef struct gp_token_list {
    char **tokens;
    size_t len;
} gp_token_list;

/* Reads `path`: one token per line; surrounding whitespace (spaces, tabs,
 * CR) trimmed; blank lines and lines whose first non-blank character is '#'
 * skipped.  Each token must look like a compact JWS: three parts of
 * base64url characters separated by two dots, the first two non-empty, the
 * third possibly empty (alg none), no part of a length that is 1 mod 4.
 * Signatures are not checked.
 * Returns GP_OK and fills *out (at least one token), or leaves *out as
 * {NULL, 0} and writes a sentence naming the file (and the line number for a
 * bad line) into err: GP_ERR_IO (cannot read), GP_ERR_JWT_MALFORMED (a line
 * that is not a token, a NUL byte, a line longer than
 * GP_TOKEN_LIST_LINE_LEN_MAX), GP_ERR_FULL (more than GP_TOKEN_LIST_LEN_MAX
 * tokens), GP_ERR_NOT_FOUND (no token at all), GP_ERR_NOMEM,
 * GP_ERR_INVALID_ARG (NULL path or out). */
int gp_token_list_load(const char *path, gp_token_list *out, char *err,
                       size_t err_len);

/* Frees the tokens and the array and sets *list to {NULL, 0}.  NULL and an
 * already freed (zeroed) list are allowed. */
void gp_token_list_free(gp_token_list *list);

#endif
