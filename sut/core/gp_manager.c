/* gp_manager.c: connect_user() of gp_manager.h, the incident's WebSocket
 * manager with its fix.
 *
 * The fix is one decision: an id that is given is used as is and the
 * generator is not called, so a connection keeps the id (and thereby the state
 * machine) it opened with.  The broken behaviour stays available behind the
 * id_regeneration switch so the harness can prove it notices it. */
#include "gp_manager.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gp_error.h"
#include "gp_ids.h"

/* Room for the longest connect_user log line: fixed text, an id of at most
 * GP_ID_LEN_MAX and a user of at most GP_USER_LEN_MAX. */

/* See gp_manager.h.  gen_ctx is unused.  GP_ERR_INVALID_ARG when env has no
 * random_u64: the core has no other source of entropy. */
int gp_manager_default_generate(void *gen_ctx, char *out, size_t out_len,
                                uint64_t counter, const gp_env *env)
{
    (void)gen_ctx;
    if (!env || !env->random_u64)
        return GP_ERR_INVALID_ARG;
    return gp_id_unified(out, out_len, counter, env->random_u64(env->ctx));
}

void gp_manager_init(gp_manager *mgr, const gp_env *env)
{
    assert(mgr);
    *mgr = (gp_manager){.env = env,
                        .id_regeneration = false,
                        .generate = gp_manager_default_generate,
                        .generate_ctx = NULL};
}

/* One INFO line through the manager's env, when it wants INFO. */
static void gp_manager_log(const gp_manager *mgr, const char *what,
                           const char *id, const char *user_id)
{
    gp_env_log(mgr->env, GP_LOG_INFO, "connect_user: %s connection id %s for user %s",
               what, id, user_id);
}

/* Calls the generator for the next counter.  The counter only advances when
 * an id was handed out; `generated` counts every call.  A generator that
 * claims success but writes no valid id is reported as GP_ERR_BAD_ID, so a
 * successful connect_user always yields a valid id. */
static int gp_manager_generate(gp_manager *mgr, char *out_id, size_t out_len)
{
    mgr->counter++;
    mgr->generated++;
    int rc = mgr->generate(mgr->generate_ctx, out_id, out_len, mgr->counter,
                           mgr->env);
    if (rc == GP_OK && (memchr(out_id, '\0', out_len) == NULL ||
                        !gp_id_is_valid(out_id)))
        rc = GP_ERR_BAD_ID;
    if (rc != GP_OK)
        mgr->counter--;
    return rc;
}

/* See gp_manager.h.  `socket` is opaque and unused by the core: the binding of
 * services to it is the driver's business.  out_id NULL or out_len 0 is
 * GP_ERR_INVALID_ARG; a user id longer than GP_USER_LEN_MAX is
 * GP_ERR_TOO_LONG.  With id_regeneration on, the given id is ignored
 * entirely, malformed or not, as the broken manager did. */
int gp_manager_connect_user(gp_manager *mgr, const char *user_id, void *socket,
                            const char *connection_id, char *out_id,
                            size_t out_len)
{
    (void)socket;
    assert(mgr && mgr->generate);
    if (!out_id || out_len == 0)
        return GP_ERR_INVALID_ARG;
    out_id[0] = '\0';
    if (!user_id || user_id[0] == '\0')
        return GP_ERR_INVALID_ARG;
    if (strlen(user_id) > GP_USER_LEN_MAX)
        return GP_ERR_TOO_LONG;

    bool given = connection_id && connection_id[0] != '\0';
    if (given && !mgr->id_regeneration) {
        if (!gp_id_is_valid(connection_id))
            return GP_ERR_BAD_ID;
        size_t len = strlen(connection_id);
        if (len >= out_len)
            return GP_ERR_TOO_LONG;
        memcpy(out_id, connection_id, len + 1);
        gp_manager_log(mgr, "using provided", out_id, user_id);
    } else {
        int rc = gp_manager_generate(mgr, out_id, out_len);
        if (rc != GP_OK) {
            out_id[0] = '\0';
            return rc;
        }
        gp_manager_log(mgr, "generated", out_id, user_id);
    }
    mgr->connected++;
    return GP_OK;
}
