/* gp_codec.h: the wire protocol's messages (PROTOCOL.md), parsed and encoded
 * with jansson.
 *
 * Every message is a JSON object with a string `type` and an object `data`.
 * gp_msg_parse turns bytes into a typed gp_msg whose string fields point into
 * a jansson tree the gp_msg owns (free it with gp_msg_clear).  It checks the
 * type against the side that receives it: a server accepts auth,
 * agent_execution and ping; a client accepts connection_ready, the five agent
 * events, error and pong.  Fields the protocol does not define are ignored,
 * so that newer peers keep working; defined fields of the wrong type are
 * errors.  gp_msg_encode writes the compact JSON of a gp_msg. */
#ifndef GP_CODEC_H
#define GP_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define GP_MSG_TYPE_MAP(X)                                                     \
    X(AUTH, "auth")                                                            \
    X(AGENT_EXECUTION, "agent_execution")                                      \
    X(PING, "ping")                                                            \
    X(PONG, "pong")                                                            \
    X(CONNECTION_READY, "connection_ready")                                    \
    X(AGENT_STARTED, "agent_started")                                          \
    X(AGENT_THINKING, "agent_thinking")                                        \
    X(TOOL_EXECUTING, "tool_executing")                                        \
    X(TOOL_COMPLETED, "tool_completed")                                        \
    X(AGENT_COMPLETED, "agent_completed")                                      \
    X(ERROR, "error")

typedef enum gp_msg_type {
    GP_MSG_NONE = 0,
#define GP_MSG_ENUM(name, str) GP_MSG_##name,
    GP_MSG_TYPE_MAP(GP_MSG_ENUM)
#undef GP_MSG_ENUM
    GP_MSG_TYPE_COUNT
} gp_msg_type;

/* The `code` of an error message (PROTOCOL.md's bad-input table and the
 * server's own failures). */
#define GP_PROTO_ERROR_MAP(X)                                                  \
    X(BAD_MESSAGE)                                                             \
    X(NOT_READY)                                                               \
    X(ALREADY_AUTHENTICATED)                                                   \
    X(AUTH_REQUIRED)                                                           \
    X(AUTH_FAILED)                                                             \
    X(AGENT_FAILED)                                                            \
    X(TOO_MANY_REQUESTS)                                                       \
    X(SHUTTING_DOWN)                                                           \
    X(INTERNAL_ERROR)

typedef enum gp_proto_error {
#define GP_PROTO_ENUM(name) GP_PROTO_##name,
    GP_PROTO_ERROR_MAP(GP_PROTO_ENUM)
#undef GP_PROTO_ENUM
    GP_PROTO_ERROR_COUNT
} gp_proto_error;

/* WebSocket close codes the server uses. */
enum {
    GP_CLOSE_NORMAL = 1000,
    GP_CLOSE_GOING_AWAY = 1001,      /* shutting down */
    GP_CLOSE_UNSUPPORTED = 1003,     /* binary frame */
    GP_CLOSE_NO_STATUS = 1005,       /* a close frame without a code (never sent) */
    GP_CLOSE_ABNORMAL = 1006,        /* no close frame: the connection was lost (never sent) */
    GP_CLOSE_POLICY = 1008,          /* a policy limit (too many messages before accept) */
    GP_CLOSE_TOO_BIG = 1009,         /* over --max-message */
    GP_CLOSE_INTERNAL = 1011,        /* a lifecycle step failed */
    GP_CLOSE_TRY_AGAIN = 1013,       /* refused for now (--max-connections) */
    GP_CLOSE_AUTH_FAILED = 4401,     /* AUTH_REQUIRED / AUTH_FAILED */
    GP_CLOSE_AUTH_TIMEOUT = 4408,    /* no auth within the auth timeout */
};

/* Field limits (bytes, without NUL). */
#define GP_TOKEN_LEN_MAX 4096
#define GP_REQUEST_ID_LEN_MAX 64
#define GP_AGENT_TYPE_LEN_MAX 64

/* Which side receives the message being parsed. */
typedef enum gp_msg_side {
    GP_SIDE_SERVER = 0, /* parse what a client sent */
    GP_SIDE_CLIENT = 1, /* parse what a server sent */
} gp_msg_side;

typedef struct gp_msg {
    gp_msg_type type;
    /* Each field is NULL when absent.  Which are required: see PROTOCOL.md;
     * gp_msg_parse enforces it. */
    const char *token;         /* auth */
    const char *request_id;    /* agent_execution (top level, optional), events, error */
    const char *message;       /* agent_execution data.message; error data.message */
    const char *agent_type;    /* agent_execution (optional), agent_started */
    const char *connection_id; /* connection_ready, agent events */
    const char *user_id;       /* connection_ready */
    const char *state;         /* connection_ready */
    const char *thought;       /* agent_thinking */
    const char *tool;          /* tool_executing, tool_completed */
    const char *result;        /* tool_completed */
    const char *response;      /* agent_completed */
    const char *code;          /* error */
    void *root_;               /* jansson tree the fields point into */
} gp_msg;

/* "auth", ... ; NULL for GP_MSG_NONE or out of range. */
const char *gp_msg_type_name(gp_msg_type t);
/* The type named `name` (NUL-terminated), GP_MSG_NONE when none. */
gp_msg_type gp_msg_type_parse(const char *name);
/* "BAD_MESSAGE", ... ; "INTERNAL_ERROR" out of range. */
const char *gp_proto_error_name(gp_proto_error e);
/* The code named `name`, GP_PROTO_ERROR_COUNT when none. */
gp_proto_error gp_proto_error_parse(const char *name);

/* Parses len bytes (need not be NUL-terminated) received by `side`.
 * On success fills *out (release with gp_msg_clear) and returns GP_OK.
 * Errors (out is then zeroed, nothing to release): GP_ERR_BAD_JSON,
 * GP_ERR_NOT_OBJECT, GP_ERR_BAD_TYPE (missing, not a string, unknown, or not
 * one `side` receives), GP_ERR_BAD_FIELD (data missing or not an object, a
 * required field missing, a field of the wrong type, a request_id that is
 * empty), GP_ERR_TOO_LONG (a field over its limit).  When `why` is not NULL a
 * sentence for a person naming the field goes there (truncated to why_len). */
int gp_msg_parse(const char *data, size_t len, gp_msg_side side, gp_msg *out,
                 char *why, size_t why_len);

/* Releases what gp_msg_parse allocated and zeroes *m.  Safe on a zeroed or
 * already-cleared gp_msg. */
void gp_msg_clear(gp_msg *m);

/* Encodes `m` as compact JSON into buf (capacity cap, NUL-terminated when it
 * fits) and stores the length without the NUL in *len_out.  Only the fields of
 * m->type are written; required ones must be non-NULL.  Returns GP_OK,
 * GP_ERR_INVALID_ARG (a required field missing, unknown type),
 * GP_ERR_TOO_LONG (buf too small; *len_out then holds the size needed),
 * GP_ERR_NOMEM. */
int gp_msg_encode(const gp_msg *m, char *buf, size_t cap, size_t *len_out);

/* An encoder that keeps, for each message shape (type and which of its
 * fields are present), the jansson tree of the last message of that shape,
 * and refills its strings for the next one: the objects, keys and hash
 * tables are built once instead of per message.  The bytes written are
 * those gp_msg_encode writes.  Its memory comes from jansson's allocator
 * (json_set_alloc_funcs), as the trees' does.  One encoder serves one
 * thread. */
typedef struct gp_msg_encoder gp_msg_encoder;

/* A new encoder, or NULL when out of memory. */
gp_msg_encoder *gp_msg_encoder_create(void);

/* Frees the encoder and its trees.  NULL is ignored. */
void gp_msg_encoder_destroy(gp_msg_encoder *enc);

/* gp_msg_encode through enc's trees: the same results and the same bytes.
 * enc NULL: gp_msg_encode itself.  On an error the tree of m's shape may
 * keep some of m's fields, which the next message of that shape replaces. */
int gp_msg_encode_with(gp_msg_encoder *enc, const gp_msg *m, char *buf, size_t cap,
                       size_t *len_out);

#endif
