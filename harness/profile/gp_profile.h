/* gp_profile.h: protocol profiles -- how live mode drives and judges a
 * WebSocket server that does not speak goldpath.v1 (docs/your-server.md).
 *
 * A profile is a JSON file, validated strictly (errors name the field, like
 * scenario files).  It says:
 *   transport   the upgrade path, subprotocols offered, extra headers, origin;
 *   auth        where the token goes (header, first message, query string,
 *               cookie, or nowhere), how it is made (minted per user with a
 *               secret or a private key and a claims template, or taken from
 *               a file of pre-issued tokens), and how the server refuses one;
 *   ready       which message means ready, and where its connection id is;
 *   request     the message that asks for a run (a template);
 *   events      the events of a run: their types in order (some repeatable,
 *               the last terminal), where the request id comes back, the
 *               response and what it must look like;
 *   errors      the error message, where its code and request id are, and
 *               what each code means in goldpath's terms;
 *   keepalive   pings, when the server needs them;
 *   log         how to read the server's log: its lines, lifecycle steps,
 *               connection ids, signatures;
 *   metrics     a Prometheus endpoint and a mapping of goldpath's figures to
 *               the server's series.
 * The virtual clients and every check work from it; the simulator always
 * runs the bundled core with goldpath.v1 (profile NULL). */
#ifndef GP_PROFILE_H
#define GP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gp_codec.h"
#include "gp_mint.h"
#include "gp_rx.h"
#include "gp_scenario.h"

#define GP_PROFILE_STEPS_MAX 16
#define GP_PROFILE_ERR_MAX 4096
#define GP_PROFILE_CODES_MAX 32
#define GP_PROFILE_HEADERS_MAX 8
#define GP_PROFILE_SIGS_MAX 16

typedef enum gp_auth_where {
    GP_AUTH_MESSAGE = 0, /* the first message (a template with {token}) */
    GP_AUTH_HEADER,      /* a header of the upgrade request */
    GP_AUTH_QUERY,       /* a query parameter of the upgrade URL */
    GP_AUTH_COOKIE,      /* a cookie of the upgrade request */
    GP_AUTH_NONE,        /* the server does not authenticate */
    GP_AUTH_WHERE_COUNT
} gp_auth_where;

/* One event of a run, in order. */
typedef struct gp_profile_step {
    char type[64];
    bool repeat;   /* may come several times in a row (streamed tokens) */
    uint8_t min;   /* 0: may be left out; 1: must come */
    char counter[64]; /* a repeated event's number (JSON Pointer): must rise, "" none */
} gp_profile_step;

/* A log signature the profile adds: a pattern with (?<id>...). */
typedef struct gp_profile_sig {
    char name[64];
    char level[16]; /* "" any */
    gp_rx rx;
} gp_profile_sig;

typedef struct gp_profile {
    char name[64];
    char path[1024];      /* the file it came from ("built-in" for the default) */
    /* transport */
    char ws_path[256];
    char subprotocols[256];   /* comma-separated, as lws takes them ("" none) */
    char headers[GP_PROFILE_HEADERS_MAX][2][256];
    int headers_len;
    char origin[256];
    /* auth */
    bool auth_by[GP_AUTH_WHERE_COUNT]; /* the ways offered (message and header may mix) */
    char auth_header_name[64], auth_header_value[256]; /* value a template: "Bearer {token}" */
    json_t *auth_message;     /* template */
    char auth_query[64], auth_cookie[64];
    gp_mint_alg alg;
    char secret_env[64];      /* the environment variable holding the secret */
    char secret[256];         /* or the secret itself ("" none) */
    char key_file[1024];      /* RS256/ES256 private key (PEM) */
    json_t *claims;           /* template: {user}, {now} */
    char user_claim[64];      /* the claim holding the user ("" none) */
    char tokens_file[1024];   /* pre-issued tokens, one per line ("" minted) */
    int refusal_http;         /* a bad token: the upgrade answered with this status, or 0 */
    int refusal_error;        /* gp_proto_error a bad token gets before the close, or -1 */
    int refusal_close;        /* and the close code, or 0 */
    int timeout_close;        /* no auth (message auth): close code at the timeout, 0: none */
    /* ready */
    json_t *ready_match;
    char ready_id[128], ready_user[128], ready_state[128], ready_state_value[64];
    /* a request sent before ready: refused (NOT_READY, goldpath.v1), or held
     * by the server and run once the connection is ready */
    bool early_held;
    /* request */
    json_t *request;          /* template: {request_id}, {message}, {user}, {client}, {seq} */
    /* events */
    char ev_type[128], ev_request_id[128], ev_connection_id[128];
    gp_profile_step steps[GP_PROFILE_STEPS_MAX];
    int n_steps;
    char response[128];       /* pointer of the response in the terminal event */
    uint32_t response_min;
    char response_contains[256]; /* template: {message}, {digest}, {request_id}, {user} */
    gp_rx response_pattern;   /* ready when given */
    /* errors */
    json_t *error_match;
    char err_code[128], err_request_id[128];
    char codes[GP_PROFILE_CODES_MAX][64]; /* the server's code ... */
    int code_means[GP_PROFILE_CODES_MAX]; /* ... means this gp_proto_error */
    int codes_len;
    /* keepalive */
    uint32_t ping_ms;
    json_t *ping;
    json_t *pong_match;
    /* log (NULL patterns: the line kind is not read) */
    bool log_given;
    gp_rx log_line;           /* (?<ts>) (?<level>) (?<text>) */
    gp_rx log_step, log_refused, log_opened, log_closed, log_peer, log_ready, log_id_change,
        log_agent_failed;
    bool log_has[8];
    char states[8][64];       /* the server's names of goldpath's states, by gp_state */
    gp_profile_sig sigs[GP_PROFILE_SIGS_MAX]; /* counted as profile.<name> */
    int sigs_len;
    /* metrics */
    char metrics_path[256];
    char metrics_map[16][2][256]; /* goldpath figure -> expression */
    int metrics_len;
    /* health: goldpath-server's /health (goldpath.v1 only) */
    bool goldpath_health;
    json_t *root;             /* the parsed file (the templates point into it) */
} gp_profile;

/* Loads and validates a profile file.  Every error of the file at once, one
 * per line, "FILE: FIELD: what is wrong", in err. */
int gp_profile_load(gp_profile *p, const char *path, char *err, size_t err_len);
int gp_profile_parse(gp_profile *p, const char *json, size_t len, const char *origin,
                     char *err, size_t err_len);
void gp_profile_free(gp_profile *p);

/* What a scenario asks that the profile cannot do (early messages with
 * connect-time auth, ...): GP_OK, or an error naming the field. */
int gp_profile_check_scenario(const gp_profile *p, const gp_scenario *sc, char *err,
                              size_t err_len);

/* ---- at run time --------------------------------------------------------- */

/* An inbound message, classified. */
enum { GP_PIN_OTHER = 0, GP_PIN_READY, GP_PIN_EVENT, GP_PIN_ERROR, GP_PIN_PONG };

typedef struct gp_pin {
    int kind;
    int step;                 /* GP_PIN_EVENT: index in steps */
    bool has_counter;         /* the step's counter was there, as a number */
    int64_t counter;
    int code;                 /* GP_PIN_ERROR: gp_proto_error, or GP_PROTO_ERROR_COUNT */
    const char *request_id, *connection_id, *user_id, *state, *response;
    char buf[4][32];          /* numbers given as text */
    json_t *json;             /* owns the strings above */
} gp_pin;

/* Parses and classifies a message (GP_OK), or GP_ERR_BAD_JSON when it is not
 * JSON.  gp_pin_clear releases it. */
int gp_profile_read(const gp_profile *p, const char *data, size_t len, gp_pin *out);
void gp_pin_clear(gp_pin *m);

/* The request message for request id rid (k: 0-based index, -1: early). */
int gp_profile_request(const gp_profile *p, const char *rid, const char *message,
                       const char *user, uint32_t client, int k, char *out, size_t out_len,
                       size_t *len);
/* The auth message carrying token. */
int gp_profile_auth_message(const gp_profile *p, const char *token, char *out, size_t out_len,
                            size_t *len);
/* The keepalive message. */
int gp_profile_ping(const gp_profile *p, char *out, size_t out_len, size_t *len);

/* True when the response answers `message` as the profile says. */
bool gp_profile_response_ok(const gp_profile *p, const char *response, const char *message,
                            const char *rid, const char *user);

/* The profile's name for goldpath's state s (its own names). */
int gp_profile_state_of(const gp_profile *p, const char *name);

#endif

/* ---- tokens ---------------------------------------------------------------- */

/* The keys of a run: the profile's (minted tokens), a random one of the same
 * kind (tokens with a bad signature), and the pre-issued tokens. */
typedef struct gp_profile_keys {
    gp_mint *good, *wrong;
    gp_token_list tokens;
    bool loaded;
} gp_profile_keys;

/* Opens the keys: the secret from auth.token.secret_env (or secret), the key
 * file, the tokens file.  Errors name the field and the file or variable. */
int gp_profile_keys_open(const gp_profile *p, gp_profile_keys *k, char *err, size_t err_len);
void gp_profile_keys_close(gp_profile_keys *k);

/* kind of gp_profile_token for a good token at a rule's edge (gp_edge_token e) */
#define GP_PROFILE_EDGE_TOKEN(e) (100 + (e))

/* The token of client `client` for `user` at now_s: valid (kind < 0), of bad
 * kind gp_bad_token, or GP_PROFILE_EDGE_TOKEN(e).  Returns GP_OK,
 * GP_ERR_TOO_LONG, GP_ERR_CRYPTO. */
int gp_profile_token(const gp_profile *p, const gp_profile_keys *k, int kind, const char *user,
                     uint32_t client, int64_t now_s, char *out, size_t out_len);
