/* server_fixture.h: a gp_server on a fake environment, with shortcuts for
 * the steps tests repeat (tokens, the golden path, reading what was sent). */
#ifndef SERVER_FIXTURE_H
#define SERVER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "fake_env.h"
#include "gp_codec.h"
#include "gp_jwt.h"
#include "gp_server.h"

#define FX_START_MS 1757498281000ULL /* the incident's morning */

typedef struct fixture {
    fake_env *fe;
    gp_server *srv;
    gp_server_config cfg;
    gp_jwt_key *key;
} fixture;

/* A fixture with the default config plus `bugs`; agent times fixed at
 * think 40 ms, tool 20 ms. */
fixture *fx_new(gp_bug_set bugs);
/* The same with a config the caller prepared (gp_server_config_defaults). */
fixture *fx_new_config(const gp_server_config *cfg);
void fx_free(fixture *fx);

/* A valid token for `sub`, good for an hour (static buffer, next call
 * overwrites). */
const char *fx_token(fixture *fx, const char *sub);

/* Opens a connection on transport `t` (any distinct pointer), optionally with
 * a bearer token, and asserts success. */
gp_conn_handle fx_open(fixture *fx, void *t, const char *bearer);

/* Sends a text message (NUL-terminated JSON). */
void fx_send(fixture *fx, gp_conn_handle h, const char *json);

/* Opens, accepts, authenticates by message; returns the handle, asserting
 * connection_ready came back. */
gp_conn_handle fx_ready(fixture *fx, void *t, const char *user);

/* Parses the i-th message sent to t (client side); asserts it parses. */
void fx_sent(fixture *fx, void *t, size_t i, gp_msg *out);

/* Type of the last message sent to t, GP_MSG_NONE when none. */
gp_msg_type fx_last_type(fixture *fx, void *t);

/* The `code` of the last message to t when it is an error, else "". */
const char *fx_last_error(fixture *fx, void *t);

/* The driver's part of a close: report it to the core. */
void fx_close(fixture *fx, gp_conn_handle h);

#endif
