/* gp_jwt.h: JSON Web Tokens signed with HS256 (RFC 7519, RFC 7515).
 *
 * HMAC-SHA256 from OpenSSL's libcrypto, base64url from its EVP encoder, the
 * signature compared in constant time (CRYPTO_memcmp).  Only HS256 is
 * accepted: `none` and every other alg are refused before any MAC is made.
 * Verification takes the current time as a parameter; nothing here reads a
 * clock. */
#ifndef GP_JWT_H
#define GP_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_lifecycle.h" /* GP_USER_LEN_MAX */

/* A key prepared once and used for many tokens.  Opaque. */
typedef struct gp_jwt_key gp_jwt_key;

/* Prepares an HS256 key from `secret` (secret_len bytes, at least 1).
 * Returns NULL on failure (empty secret, out of memory, libcrypto failure). */
gp_jwt_key *gp_jwt_key_create(const void *secret, size_t secret_len);
void gp_jwt_key_destroy(gp_jwt_key *key);

typedef struct gp_jwt_claims {
    char sub[GP_USER_LEN_MAX + 1];
    int64_t exp; /* seconds since the epoch */
    int64_t iat; /* 0 when absent */
    bool has_iat;
    int64_t nbf; /* 0 when absent */
    bool has_nbf;
} gp_jwt_claims;

/* The error of a token used before its nbf (RFC 7519 4.1.5). */
#define GP_JWT_ERR_NOT_YET_VALID GP_ERR_JWT_NOT_YET_VALID

/* True when `sub` is 1 to 128 characters of A-Za-z0-9_.@- */
bool gp_jwt_sub_is_valid(const char *sub);

/* Signs {"alg":"HS256","typ":"JWT"} . {"sub":..,"iat":..,"exp":..} into out
 * (NUL-terminated).  iat < 0 leaves iat out.  Returns GP_OK,
 * GP_ERR_JWT_SUB (sub invalid), GP_ERR_TOO_LONG, GP_ERR_CRYPTO. */
int gp_jwt_sign(const gp_jwt_key *key, const char *sub, int64_t iat,
                int64_t exp, char *out, size_t out_len);

/* Signs an arbitrary header and payload (JSON texts, taken as they are) --
 * for tests and for the harness's bad-token faults.  Returns as gp_jwt_sign. */
int gp_jwt_sign_raw(const gp_jwt_key *key, const char *header_json,
                    const char *payload_json, char *out, size_t out_len);

/* Verifies a compact token of token_len bytes at now_s (seconds since the
 * epoch).  On GP_OK fills *claims.  Errors, checked in this order:
 * GP_ERR_JWT_MALFORMED (not three base64url parts, header or payload not a
 * JSON object, too long), GP_ERR_JWT_ALG (alg missing or not "HS256"),
 * GP_ERR_JWT_SIGNATURE, GP_ERR_JWT_EXP (exp missing or not a number),
 * GP_ERR_JWT_EXPIRED (now_s >= exp), GP_ERR_JWT_MALFORMED (nbf present but
 * not a NumericDate), GP_JWT_ERR_NOT_YET_VALID (now_s < nbf, a fraction
 * rounded up; no leeway, as for exp), GP_ERR_JWT_SUB; and GP_ERR_NOMEM when
 * the header or payload could not be parsed for want of memory (not the
 * token's fault: the caller must not refuse the token for it). */
int gp_jwt_verify(const gp_jwt_key *key, const char *token, size_t token_len,
                  int64_t now_s, gp_jwt_claims *claims);

#endif
