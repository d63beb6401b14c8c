/* gp_manager.h: the WebSocket manager, connect_user() of the incident.
 *
 * connect_user(user_id, socket, connection_id) binds a user's services to a
 * socket under a connection id.  The fix of the incident: it uses the id it is
 * given, and generates a unified id only when given none.  With the
 * `id_regeneration` bug switched on it ignores the given id and always
 * generates one, as the broken manager did.  The generator is a pointer so a
 * test can swap in a spy and prove it is never called when an id is given. */
#ifndef GP_MANAGER_H
#define GP_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_env.h"
#include "gp_lifecycle.h"

/* Generates a unified id into out; counter is the manager's next counter.
 * Returns GP_OK or a negative gp_err. */
typedef int (*gp_id_generate_fn)(void *gen_ctx, char *out, size_t out_len,
                                 uint64_t counter, const gp_env *env);

/* The default generator: gp_id_unified(counter, env->random_u64()). */
int gp_manager_default_generate(void *gen_ctx, char *out, size_t out_len,
                                uint64_t counter, const gp_env *env);

typedef struct gp_manager {
    const gp_env *env;
    bool id_regeneration;       /* bug switch: ignore the given id */
    gp_id_generate_fn generate; /* never NULL after gp_manager_init */
    void *generate_ctx;
    uint64_t counter;           /* unified ids handed out so far */
    uint64_t generated;         /* calls to `generate` */
    uint64_t connected;         /* successful connect_user calls */
} gp_manager;

/* Sets up `mgr` with the default generator, bug off. */
void gp_manager_init(gp_manager *mgr, const gp_env *env);

/* Binds user_id's services to `socket` and writes the connection id to use
 * into out_id (size out_len).  connection_id NULL or "": a unified id is
 * generated.  Otherwise connection_id must be valid (gp_id_is_valid) and is
 * used as is, without calling the generator -- unless id_regeneration is on,
 * in which case a fresh unified id is generated regardless.
 * Errors: GP_ERR_INVALID_ARG (user_id empty or NULL), GP_ERR_BAD_ID (given id
 * malformed), GP_ERR_TOO_LONG, or the generator's error; out_id is then "". */
int gp_manager_connect_user(gp_manager *mgr, const char *user_id, void *socket,
                            const char *connection_id, char *out_id,
                            size_t out_len);

#endif
