/* gp_error.h: the one list of goldpath error codes.
 *
 * Every fallible function in the core returns 0 (GP_OK) or one of these
 * negative codes.  The list is an X-macro so that the enum, the names and the
 * messages can never drift apart (the approach of libuv's UV_ERRNO_MAP). */
#ifndef GP_ERROR_H
#define GP_ERROR_H

#define GP_ERROR_MAP(X)                                                        \
    X(NOMEM, -1, "out of memory")                                              \
    X(INVALID_ARG, -2, "invalid argument")                                     \
    X(ILLEGAL_TRANSITION, -3, "illegal state transition")                      \
    X(EXISTS, -4, "already exists")                                            \
    X(NOT_FOUND, -5, "not found")                                              \
    X(FULL, -6, "limit reached")                                               \
    X(BAD_ID, -7, "malformed connection id")                                   \
    X(BAD_JSON, -8, "not valid JSON")                                          \
    X(NOT_OBJECT, -9, "message is not a JSON object")                          \
    X(BAD_TYPE, -10, "missing or unknown message type")                        \
    X(BAD_FIELD, -11, "missing field or field of the wrong type")              \
    X(TOO_LONG, -12, "value too long")                                         \
    X(JWT_MALFORMED, -13, "token is not a well-formed JWT")                    \
    X(JWT_ALG, -14, "token algorithm is not HS256")                            \
    X(JWT_SIGNATURE, -15, "token signature does not verify")                   \
    X(JWT_EXPIRED, -16, "token has expired")                                   \
    X(JWT_SUB, -17, "token subject is missing or malformed")                   \
    X(JWT_EXP, -18, "token expiry is missing or malformed")                    \
    X(CRYPTO, -19, "cryptographic library failure")                            \
    X(UNKNOWN_BUG, -20, "unknown bug name")                                    \
    X(IO, -21, "input/output error (a file could not be read or written)")    \
    X(JWT_NOT_YET_VALID, -22, "token is not valid yet (nbf is in the future)")

typedef enum gp_err {
    GP_OK = 0,
#define GP_ERR_ENUM(name, code, msg) GP_ERR_##name = (code),
    GP_ERROR_MAP(GP_ERR_ENUM)
#undef GP_ERR_ENUM
} gp_err;

/* Returns the symbolic name of `code` ("GP_ERR_BAD_ID"), "GP_OK" for 0 and
 * "GP_ERR_UNKNOWN" for a value outside the list.  Never NULL. */
const char *gp_err_name(int code);

/* Returns a sentence for a person.  Never NULL. */
const char *gp_err_message(int code);

#endif
