/* gp_server.c: the reference server's connection lifecycle and route.
 *
 * Connections live in a slot table addressed by handles (slot + generation),
 * so a timer or a driver call for a connection that has gone is recognised
 * and ignored without any pointer escaping to the driver.  The route is the
 * incident's, fixed: the preliminary id assigned at open goes to
 * connect_user, so the machine registered at open is the one that climbs to
 * PROCESSING_READY.  The bug switches bring back the incident's behaviour:
 * see step_failed() for what each does when a lifecycle step fails. */
#include "gp_server_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_ids.h"

const char gp_dev_jwt_secret[] = "goldpath-dev-secret-do-not-use-in-production";

#define GP_NO_SLOT UINT32_MAX
#define GP_MS_PER_HOUR 3600000ULL

void gp_server_config_defaults(gp_server_config *cfg)
{
    *cfg = (gp_server_config){
        .bugs = 0,
        .agent = {.think_ms_min = 20, .think_ms_max = 80,
                  .tool_ms_min = 10, .tool_ms_max = 40},
        .agent_failure_rate = 0.0,
        .auth_timeout_ms = 5000,
        .stuck_after_ms = 2000,
        .shutdown_grace_ms = 10000,
        .max_message_bytes = 65536,
        .max_connections = 0,
        .max_requests_in_flight = 16,
        .max_pending_messages = 64,
        .jwt_secret = gp_dev_jwt_secret,
        .jwt_secret_len = sizeof(gp_dev_jwt_secret) - 1,
    };
}

static bool bug_on(const gp_server *srv, gp_bug b)
{
    return (srv->cfg.bugs & GP_BUG_BIT(b)) != 0;
}

static uint64_t now_ms(const gp_server *srv)
{
    return srv->env->now_ms(srv->env->ctx);
}

/* ---- connection table ---------------------------------------------------- */

gp_conn_handle gp_server_handle_of(const gp_server *srv, const gp_conn *c)
{
    uint32_t slot = (uint32_t)(c - srv->conns);
    return ((uint64_t)c->generation << 32) | (uint64_t)(slot + 1);
}

static gp_conn *conn_get(const gp_server *srv, gp_conn_handle h)
{
    uint32_t slot_plus = (uint32_t)(h & 0xffffffffu);
    if (slot_plus == 0 || slot_plus > srv->conns_cap)
        return NULL;
    gp_conn *c = &srv->conns[slot_plus - 1];
    if (!c->in_use || c->generation != (uint32_t)(h >> 32))
        return NULL;
    return c;
}

static gp_conn *conn_alloc(gp_server *srv)
{
    if (srv->free_head == GP_NO_SLOT) {
        uint32_t cap = srv->conns_cap ? srv->conns_cap * 2 : 64;
        gp_conn *grown = gp_mem_resize(srv->alloc, srv->conns, (size_t)cap * sizeof(*grown));
        if (!grown)
            return NULL;
        for (uint32_t i = srv->conns_cap; i < cap; i++)
            grown[i] = (gp_conn){.next_free = i + 1 < cap ? i + 1 : GP_NO_SLOT};
        srv->free_head = srv->conns_cap;
        srv->conns = grown;
        srv->conns_cap = cap;
    }
    gp_conn *c = &srv->conns[srv->free_head];
    srv->free_head = c->next_free;
    if (++srv->generation_next == 0)
        srv->generation_next = 1;
    *c = (gp_conn){.generation = srv->generation_next, .next_free = GP_NO_SLOT,
                   .in_use = true};
    srv->live++;
    return c;
}

/* Frees what c holds and returns its slot.  When the last connection has
 * gone the slot table itself is released, so that what the core holds goes
 * back to what it held at creation (handles stay unique: generations come
 * from the server-wide counter, not from the slot). */
static void conn_free(gp_server *srv, gp_conn *c)
{
    for (gp_pending *p = c->pending_head; p;) {
        gp_pending *next = p->next;
        gp_mem_free(srv->alloc, p);
        p = next;
    }
    gp_server_agent_release(srv, c);
    gp_mem_free(srv->alloc, c->bearer);
    *c = (gp_conn){.next_free = srv->free_head};
    srv->free_head = (uint32_t)(c - srv->conns);
    if (--srv->live == 0) {
        gp_mem_free(srv->alloc, srv->conns);
        srv->conns = NULL;
        srv->conns_cap = 0;
        srv->free_head = GP_NO_SLOT;
    }
}

/* Tells the observer that machine m (of c) entered or left the registry. */
static void observe_registry(gp_server *srv, gp_conn *c, const gp_machine *m,
                             gp_obs_kind kind)
{
    gp_observation o = {.kind = kind, .transport = c->transport, .id = m->id,
                        .from = (int)m->state, .to = (int)m->state,
                        .after = (int)m->state, .at_ms = now_ms(srv)};
    gp_env_observe(srv->env, &o);
}

/* Registers a machine for c under id and tells the observer. */
static int machine_register(gp_server *srv, gp_conn *c, const char *id,
                            const char *user)
{
    int rc = gp_registry_register(srv->reg, id, user, now_ms(srv), &c->machine);
    if (rc != GP_OK)
        return rc;
    c->machine->owner = c->transport;
    observe_registry(srv, c, c->machine, GP_OBS_REGISTERED);
    return GP_OK;
}

/* Unregisters c's machine (c->machine becomes NULL) and tells the observer. */
static void machine_unregister(gp_server *srv, gp_conn *c)
{
    observe_registry(srv, c, c->machine, GP_OBS_UNREGISTERED);
    gp_registry_unregister(srv->reg, c->machine->id);
    c->machine = NULL;
}

/* ---- lifecycle steps ------------------------------------------------------ */

static void count_invalid(gp_server *srv)
{
    uint64_t hour = now_ms(srv) / GP_MS_PER_HOUR;
    unsigned i = (unsigned)(hour % GP_INVALID_WINDOW_HOURS);
    if (srv->invalid_hour[i] != hour) {
        srv->invalid_hour[i] = hour;
        srv->invalid_count[i] = 0;
    }
    srv->invalid_count[i]++;
}

static int step(gp_server *srv, gp_conn *c, gp_state to)
{
    int rc = gp_registry_transition(srv->reg, c->machine, to, now_ms(srv),
                                    &srv->stats, srv->env);
    if (rc == GP_ERR_ILLEGAL_TRANSITION)
        count_invalid(srv);
    return rc;
}

/* What the route does after a lifecycle step failed. */
typedef enum { ROUTE_FAIL, ROUTE_CONTINUE, ROUTE_ABANDON } route_action;

/* The one failure policy of the route: logs the incident's line for a failed
 * step to `to` and decides what happens next.  The fixed server fails the
 * connection (error + close 1011): it never leaves one hanging.  The bug
 * switches reproduce the incident:
 *   swallow_transition_errors  goes on as if the step had succeeded;
 *   id_regeneration            the incident's route caught the AUTHENTICATED
 *                              failure and went on, then stopped at the next
 *                              failure (SERVICES_READY): abandoned as it is;
 *   accept_race                abandons the connection as it is.
 * A step to AUTHENTICATED refused because the machine is still CONNECTING
 * before accept completed is the accept race of the incident, and says so. */
static route_action step_failed(gp_server *srv, gp_conn *c, gp_state to)
{
    if (to == GP_STATE_AUTHENTICATED)
        gp_server_log(srv, GP_LOG_ERROR,
                      "Failed to transition state machine to AUTHENTICATED for %s",
                      c->machine->id);
    else
        gp_server_log(srv, GP_LOG_ERROR, "Failed to transition to %s for %s",
                      gp_state_name(to), c->machine->id);
    if (to == GP_STATE_AUTHENTICATED && !c->accepted &&
        c->machine->state == GP_STATE_CONNECTING)
        gp_server_log(srv, GP_LOG_ERROR,
                      "This indicates accept() race condition - connection "
                      "cannot process messages: %s", c->machine->id);
    if (bug_on(srv, GP_BUG_SWALLOW_TRANSITION_ERRORS))
        return ROUTE_CONTINUE;
    if (bug_on(srv, GP_BUG_ID_REGENERATION))
        return to == GP_STATE_AUTHENTICATED ? ROUTE_CONTINUE : ROUTE_ABANDON;
    if (bug_on(srv, GP_BUG_ACCEPT_RACE))
        return ROUTE_ABANDON;
    return ROUTE_FAIL;
}

static void fail_conn(gp_server *srv, gp_conn *c, const char *why)
{
    if (!gp_state_is_terminal(c->machine->state))
        step(srv, c, GP_STATE_FAILED);
    gp_server_send_error(srv, c, GP_PROTO_INTERNAL_ERROR, why, NULL);
    gp_server_close_conn(srv, c, GP_CLOSE_INTERNAL, "lifecycle step failed");
}

/* Climbs one step; on failure applies step_failed's decision.  Returns true
 * when the route should go on. */
static bool climb(gp_server *srv, gp_conn *c, gp_state to)
{
    if (step(srv, c, to) == GP_OK)
        return true;
    switch (step_failed(srv, c, to)) {
    case ROUTE_CONTINUE:
        return true;
    case ROUTE_ABANDON:
        return false;
    case ROUTE_FAIL:
        break;
    }
    fail_conn(srv, c, "the connection could not reach the ready state");
    return false;
}

/* ---- sending -------------------------------------------------------------- */

/* A message that could not be sent is lost to the client, which cannot
 * know: the connection is closed with 1011 rather than left to hang. */
static int send_failed(gp_server *srv, gp_conn *c, const gp_msg *m, int rc)
{
    gp_server_log(srv, GP_LOG_ERROR, "Could not encode %s for %s: %s; closing",
                  gp_msg_type_name(m->type), c->machine->id, gp_err_message(rc));
    gp_server_close_conn(srv, c, GP_CLOSE_INTERNAL, "out of memory");
    return rc;
}

int gp_server_send(gp_server *srv, gp_conn *c, const gp_msg *m)
{
    char stack[2048];
    size_t len = 0;
    if (c->closing)
        return GP_ERR_INVALID_ARG; /* nothing may follow a close */
    int rc = gp_msg_encode_with(srv->env->enc, m, stack, sizeof(stack), &len);
    if (rc == GP_OK) {
        srv->env->send(srv->env->ctx, c->transport, stack, len);
    } else if (rc == GP_ERR_TOO_LONG) {
        char *big = gp_mem_alloc(srv->alloc, len + 1);
        if (!big)
            return send_failed(srv, c, m, GP_ERR_NOMEM);
        rc = gp_msg_encode_with(srv->env->enc, m, big, len + 1, &len);
        if (rc == GP_OK)
            srv->env->send(srv->env->ctx, c->transport, big, len);
        gp_mem_free(srv->alloc, big);
    }
    if (rc != GP_OK)
        return send_failed(srv, c, m, rc);
    srv->counters.messages_sent_total++;
    return GP_OK;
}

void gp_server_send_error(gp_server *srv, gp_conn *c, gp_proto_error code,
                          const char *text, const char *request_id)
{
    gp_msg m = {.type = GP_MSG_ERROR,
                .code = gp_proto_error_name(code),
                .message = text,
                .request_id = request_id};
    if (gp_server_send(srv, c, &m) == GP_OK && code < GP_PROTO_ERROR_COUNT)
        srv->counters.errors_sent_total[code]++;
}

void gp_server_close_conn(gp_server *srv, gp_conn *c, int code,
                          const char *reason)
{
    if (c->closing)
        return;
    c->closing = true;
    if (!gp_state_is_terminal(c->machine->state))
        step(srv, c, GP_STATE_CLOSING);
    gp_server_log(srv, GP_LOG_INFO, "Closing connection %s: %d %s",
                  c->machine->id, code, reason);
    srv->env->close(srv->env->ctx, c->transport, code, reason);
}

/* ---- the route ------------------------------------------------------------ */

/* connect_user with the preliminary id, then the climb to PROCESSING_READY and
 * connection_ready.  `user` is the verified token subject. */
static void route_authenticated(gp_server *srv, gp_conn *c, const char *user)
{
    char id[GP_ID_LEN_MAX + 1];
    gp_server_copy_text(c->user_id, sizeof(c->user_id), user);
    int rc = gp_manager_connect_user(&srv->mgr, user, c->transport,
                                     c->prelim_id, id, sizeof(id));
    if (rc != GP_OK) {
        gp_server_log(srv, GP_LOG_ERROR, "connect_user failed for %s: %s",
                      c->prelim_id, gp_err_message(rc));
        fail_conn(srv, c, "the connection could not be bound to its user");
        return;
    }
    if (strcmp(id, c->machine->id) != 0) {
        /* Only the id_regeneration bug gets here: the incident's "migration"
         * drops the machine (and its ACCEPTED state) and starts a new one. */
        srv->counters.connection_id_mismatches++;
        gp_server_log(srv, GP_LOG_WARNING,
                      "Connection id mismatch: %s became %s; migrating state machine",
                      c->machine->id, id);
        machine_unregister(srv, c);
        rc = machine_register(srv, c, id, user);
        if (rc != GP_OK) {
            /* Keep the connection accountable: put a machine back under the
             * preliminary id, failed. */
            machine_register(srv, c, c->prelim_id, user);
            assert(c->machine);
            fail_conn(srv, c, "the state machine could not be re-created");
            return;
        }
    }
    gp_server_copy_text(c->machine->user_id, sizeof(c->machine->user_id), user);
    gp_server_log(srv, GP_LOG_INFO, "Connection %s authenticated as %s",
                  c->machine->id, user);
    if (!climb(srv, c, GP_STATE_AUTHENTICATED) ||
        !climb(srv, c, GP_STATE_SERVICES_READY) ||
        !climb(srv, c, GP_STATE_PROCESSING_READY))
        return;
    gp_msg ready = {.type = GP_MSG_CONNECTION_READY,
                    .connection_id = c->machine->id,
                    .user_id = user,
                    .state = gp_state_name(c->machine->state)};
    if (gp_server_send(srv, c, &ready) == GP_OK) {
        c->ready = true;
        srv->counters.connections_ready_total++;
        gp_server_log(srv, GP_LOG_INFO, "Connection %s ready (%s)",
                      c->machine->id, gp_state_name(c->machine->state));
    }
}

static void authenticate(gp_server *srv, gp_conn *c, const char *token,
                         size_t token_len)
{
    gp_jwt_claims claims;
    int64_t now_s = (int64_t)(now_ms(srv) / 1000);
    int rc = gp_jwt_verify(srv->key, token, token_len, now_s, &claims);
    if (rc == GP_ERR_NOMEM || rc == GP_ERR_CRYPTO) {
        /* not the token's fault: never refuse a good token for it */
        gp_server_log(srv, GP_LOG_ERROR, "Could not check the token of %s: %s; closing",
                      c->machine->id, gp_err_message(rc));
        gp_server_close_conn(srv, c, GP_CLOSE_INTERNAL, "out of memory");
        return;
    }
    if (rc != GP_OK) {
        srv->counters.auth_failures_total++;
        gp_server_log(srv, GP_LOG_WARNING, "Authentication failed for %s: %s",
                      c->machine->id, gp_err_message(rc));
        gp_server_send_error(srv, c, GP_PROTO_AUTH_FAILED, gp_err_message(rc),
                             NULL);
        gp_server_close_conn(srv, c, GP_CLOSE_AUTH_FAILED, "authentication failed");
        return;
    }
    c->authenticated = true;
    route_authenticated(srv, c, claims.sub);
}

/* One message, accepted or (accept_race) not: the bad-input table. */
static void process(gp_server *srv, gp_conn *c, const char *data, size_t len,
                    bool binary)
{
    if (c->closing)
        return;
    if (binary) {
        gp_server_close_conn(srv, c, GP_CLOSE_UNSUPPORTED,
                             "binary frames are not supported");
        return;
    }
    gp_msg m;
    char why[160];
    int rc = gp_msg_parse(data, len, GP_SIDE_SERVER, &m, why, sizeof(why));
    if (rc == GP_ERR_NOMEM) { /* the message is lost: say so by closing */
        gp_server_close_conn(srv, c, GP_CLOSE_INTERNAL, "out of memory");
        return;
    }
    if (rc != GP_OK) {
        gp_server_send_error(srv, c, GP_PROTO_BAD_MESSAGE, why, NULL);
        return;
    }
    switch (m.type) {
    case GP_MSG_AUTH:
        if (c->authenticated)
            gp_server_send_error(srv, c, GP_PROTO_ALREADY_AUTHENTICATED,
                                 "this connection is already authenticated",
                                 NULL);
        else
            authenticate(srv, c, m.token, strlen(m.token));
        break;
    case GP_MSG_AGENT_EXECUTION:
        if (!c->ready)
            gp_server_send_error(srv, c, GP_PROTO_NOT_READY,
                                 "wait for connection_ready before agent_execution",
                                 m.request_id);
        else if (srv->shutting_down)
            gp_server_send_error(srv, c, GP_PROTO_SHUTTING_DOWN,
                                 "the server is shutting down", m.request_id);
        else if (m.request_id && gp_server_agent_in_flight(c, m.request_id))
            gp_server_send_error(srv, c, GP_PROTO_BAD_MESSAGE,
                                 "a request with this request_id is already in flight",
                                 m.request_id);
        else if (c->requests_active >= srv->cfg.max_requests_in_flight)
            gp_server_send_error(srv, c, GP_PROTO_TOO_MANY_REQUESTS,
                                 "too many requests in flight on this connection",
                                 m.request_id);
        else
            gp_server_agent_start(srv, c, &m);
        break;
    case GP_MSG_PING:
        if (!c->authenticated) {
            gp_server_send_error(srv, c, GP_PROTO_AUTH_REQUIRED,
                                 "authenticate first", NULL);
            gp_server_close_conn(srv, c, GP_CLOSE_AUTH_FAILED,
                                 "authentication required");
        } else {
            gp_msg pong = {.type = GP_MSG_PONG};
            gp_server_send(srv, c, &pong);
        }
        break;
    default: /* gp_msg_parse admits no other type on the server side */
        assert(0 && "unexpected message type");
        break;
    }
    gp_msg_clear(&m);
}

/* ---- driver entry points -------------------------------------------------- */

gp_server *gp_server_create(const gp_server_config *cfg, const gp_env *env,
                            int *err)
{
    int rc = GP_ERR_INVALID_ARG;
    gp_server *srv = NULL;
    if (!cfg || !env || !env->now_ms || !env->random_u64 || !env->timer_start ||
        !env->send || !env->close || cfg->max_message_bytes == 0 ||
        cfg->agent.think_ms_min > cfg->agent.think_ms_max ||
        cfg->agent.tool_ms_min > cfg->agent.tool_ms_max ||
        !(cfg->agent_failure_rate >= 0.0 && cfg->agent_failure_rate <= 1.0) ||
        cfg->max_requests_in_flight == 0 || cfg->max_requests_in_flight > 255 ||
        !cfg->jwt_secret || cfg->jwt_secret_len == 0 ||
        cfg->stuck_after_ms == 0)
        goto fail;
    rc = GP_ERR_NOMEM;
    srv = gp_mem_calloc(env->alloc, 1, sizeof(*srv));
    if (!srv)
        goto fail;
    srv->cfg = *cfg;
    srv->env = env;
    srv->alloc = env->alloc;
    srv->free_head = GP_NO_SLOT;
    srv->secret = gp_mem_alloc(srv->alloc, cfg->jwt_secret_len);
    if (!srv->secret)
        goto fail;
    memcpy(srv->secret, cfg->jwt_secret, cfg->jwt_secret_len);
    srv->cfg.jwt_secret = srv->secret;
    srv->reg = gp_registry_create_with(0, srv->alloc);
    if (!srv->reg)
        goto fail;
    rc = GP_ERR_CRYPTO;
    srv->key = gp_jwt_key_create(srv->secret, cfg->jwt_secret_len);
    if (!srv->key)
        goto fail;
    gp_manager_init(&srv->mgr, env);
    srv->mgr.id_regeneration = bug_on(srv, GP_BUG_ID_REGENERATION);
    /* Preliminary ids look like the incident's: a time and an "object id",
     * here an address-like base from the seed plus a serial, unique per
     * server. */
    srv->object_id_base =
        0x7f0000000000ULL + (env->random_u64(env->ctx) & 0xffffffffffULL) * 16;
    if (err)
        *err = GP_OK;
    return srv;
fail:
    gp_server_destroy(srv);
    if (err)
        *err = rc;
    return NULL;
}

void gp_server_destroy(gp_server *srv)
{
    if (!srv)
        return;
    for (uint32_t i = 0; i < srv->conns_cap && srv->conns; i++)
        if (srv->conns[i].in_use)
            conn_free(srv, &srv->conns[i]);
    gp_mem_free(srv->alloc, srv->conns);
    gp_registry_destroy(srv->reg);
    gp_jwt_key_destroy(srv->key);
    gp_mem_free(srv->alloc, srv->secret);
    gp_mem_free(srv->alloc, srv);
}

int gp_server_on_open(gp_server *srv, void *transport, const char *bearer_token,
                      gp_conn_handle *out)
{
    if (srv->shutting_down ||
        (srv->cfg.max_connections && srv->live >= srv->cfg.max_connections))
        return GP_ERR_FULL;
    char id[GP_ID_LEN_MAX + 1];
    uint64_t t = now_ms(srv);
    int rc = gp_id_preliminary(id, sizeof(id), t,
                               srv->object_id_base + 64 * srv->object_serial++);
    if (rc != GP_OK)
        return rc;
    char *bearer = NULL;
    if (bearer_token) {
        bearer = gp_mem_strdup(srv->alloc, bearer_token);
        if (!bearer)
            return GP_ERR_NOMEM;
    }
    gp_conn *c = conn_alloc(srv);
    if (!c) {
        gp_mem_free(srv->alloc, bearer);
        return GP_ERR_NOMEM;
    }
    c->transport = transport;
    rc = machine_register(srv, c, id, NULL);
    if (rc != GP_OK) {
        gp_mem_free(srv->alloc, bearer);
        conn_free(srv, c);
        return rc;
    }
    c->bearer = bearer;
    c->opened_ms = t;
    memcpy(c->prelim_id, id, sizeof(id));
    srv->counters.connections_total++;
    gp_conn_handle h = gp_server_handle_of(srv, c);
    srv->env->timer_start(srv->env->ctx, srv->cfg.auth_timeout_ms, h,
                          GP_TIMER_AUTH_TIMEOUT, 0);
    srv->env->timer_start(srv->env->ctx, (uint64_t)srv->cfg.stuck_after_ms + 1,
                          h, GP_TIMER_STUCK_CHECK, 0);
    gp_server_log(srv, GP_LOG_INFO, "Connection %s opened (CONNECTING)", id);
    *out = h;
    return GP_OK;
}

void gp_server_on_accept_complete(gp_server *srv, gp_conn_handle h)
{
    gp_conn *c = conn_get(srv, h);
    if (!c || c->accepted || c->closing)
        return;
    c->accepted = true;
    if (!climb(srv, c, GP_STATE_ACCEPTED))
        return;
    gp_server_log(srv, GP_LOG_INFO, "Connection %s accepted", c->machine->id);
    if (c->bearer) {
        char *token = c->bearer;
        c->bearer = NULL;
        if (c->authenticated)
            gp_server_send_error(srv, c, GP_PROTO_ALREADY_AUTHENTICATED,
                                 "this connection is already authenticated", NULL);
        else
            authenticate(srv, c, token, strlen(token));
        gp_mem_free(srv->alloc, token);
    }
    /* Messages that arrived before accept are applied now, in order; the
     * connection may close part way, in which case the rest are dropped. */
    while (c->pending_head) {
        gp_pending *p = c->pending_head;
        c->pending_head = p->next;
        c->pending_len--;
        if (!c->pending_head)
            c->pending_tail = NULL;
        process(srv, c, p->data, p->len, p->binary);
        gp_mem_free(srv->alloc, p);
    }
}

void gp_server_on_message(gp_server *srv, gp_conn_handle h, const char *data,
                          size_t len, bool binary)
{
    gp_conn *c = conn_get(srv, h);
    if (!c || c->closing)
        return;
    srv->counters.messages_received_total++;
    if (len > srv->cfg.max_message_bytes) {
        gp_server_close_conn(srv, c, GP_CLOSE_TOO_BIG, "message too big");
        return;
    }
    if (c->accepted || bug_on(srv, GP_BUG_ACCEPT_RACE)) {
        process(srv, c, data, len, binary);
        return;
    }
    if (c->pending_len >= srv->cfg.max_pending_messages) {
        gp_server_close_conn(srv, c, GP_CLOSE_POLICY, "too many messages before accept");
        return;
    }
    gp_pending *p = gp_mem_alloc(srv->alloc, sizeof(*p) + len);
    if (!p) {
        gp_server_close_conn(srv, c, GP_CLOSE_INTERNAL, "out of memory");
        return;
    }
    p->next = NULL;
    p->len = len;
    p->binary = binary;
    memcpy(p->data, data, len);
    if (c->pending_tail)
        c->pending_tail->next = p;
    else
        c->pending_head = p;
    c->pending_tail = p;
    c->pending_len++;
}

void gp_server_on_close(gp_server *srv, gp_conn_handle h)
{
    gp_conn *c = conn_get(srv, h);
    if (!c)
        return;
    gp_state s = c->machine->state;
    if (s != GP_STATE_CLOSING && s != GP_STATE_FAILED && s != GP_STATE_CLOSED)
        step(srv, c, GP_STATE_CLOSING);
    if (c->machine->state != GP_STATE_CLOSED)
        step(srv, c, GP_STATE_CLOSED);
    gp_server_log(srv, GP_LOG_INFO, "Connection %s closed", c->machine->id);
    machine_unregister(srv, c);
    conn_free(srv, c);
}

static void stuck_check(gp_server *srv, gp_conn *c)
{
    if (c->stuck_reported || c->closing)
        return;
    gp_machine *m = c->machine;
    if (m->state == GP_STATE_PROCESSING_READY || gp_state_is_terminal(m->state))
        return; /* ready: nothing more to watch for */
    uint64_t t = now_ms(srv);
    uint64_t due = m->entered_ms + srv->cfg.stuck_after_ms + 1;
    if (t < due) {
        srv->env->timer_start(srv->env->ctx, due - t,
                              gp_server_handle_of(srv, c), GP_TIMER_STUCK_CHECK, 0);
        return;
    }
    c->stuck_reported = true;
    m->stuck_reported = true;
    srv->counters.stuck_detected_total++;
    gp_server_log(srv, GP_LOG_ERROR,
                  "Connection %s state machine never reached ready state: "
                  "ApplicationConnectionState.%s",
                  m->id, gp_state_name(m->state));
}

static void shutdown_sweep(gp_server *srv, bool force)
{
    for (uint32_t i = 0; i < srv->conns_cap; i++) {
        gp_conn *c = &srv->conns[i];
        if (c->in_use && !c->closing && (force || c->requests_active == 0))
            gp_server_close_conn(srv, c, GP_CLOSE_GOING_AWAY,
                                 "server shutting down");
    }
}

void gp_server_on_timer(gp_server *srv, gp_conn_handle h, gp_timer_kind kind,
                        uint32_t arg)
{
    if (kind == GP_TIMER_SHUTDOWN) {
        shutdown_sweep(srv, true);
        return;
    }
    gp_conn *c = conn_get(srv, h);
    if (!c)
        return;
    switch (kind) {
    case GP_TIMER_AUTH_TIMEOUT:
        if (!c->authenticated && !c->closing) {
            srv->counters.auth_timeouts_total++;
            gp_server_log(srv, GP_LOG_WARNING,
                          "Connection %s did not authenticate within %u ms",
                          c->machine->id, srv->cfg.auth_timeout_ms);
            gp_server_close_conn(srv, c, GP_CLOSE_AUTH_TIMEOUT,
                                 "authentication timeout");
        }
        break;
    case GP_TIMER_STUCK_CHECK:
        stuck_check(srv, c);
        break;
    case GP_TIMER_AGENT_STEP:
        gp_server_agent_step(srv, c, arg);
        if (srv->shutting_down && c->requests_active == 0)
            gp_server_close_conn(srv, c, GP_CLOSE_GOING_AWAY,
                                 "server shutting down");
        break;
    default:
        break;
    }
}

void gp_server_shutdown(gp_server *srv)
{
    if (srv->shutting_down)
        return;
    srv->shutting_down = true;
    gp_server_log(srv, GP_LOG_INFO,
                  "Shutting down: %zu connections, grace %u ms", srv->live,
                  srv->cfg.shutdown_grace_ms);
    shutdown_sweep(srv, false);
    srv->env->timer_start(srv->env->ctx, srv->cfg.shutdown_grace_ms, 0,
                          GP_TIMER_SHUTDOWN, 0);
}

size_t gp_server_connection_count(const gp_server *srv)
{
    return srv->live;
}

const char *gp_server_conn_id(const gp_server *srv, gp_conn_handle h)
{
    gp_conn *c = conn_get(srv, h);
    return c ? c->machine->id : NULL;
}

gp_state gp_server_conn_state(const gp_server *srv, gp_conn_handle h)
{
    gp_conn *c = conn_get(srv, h);
    return c ? c->machine->state : GP_STATE_CLOSED;
}

const gp_machine *gp_server_conn_machine(const gp_server *srv, gp_conn_handle h)
{
    gp_conn *c = conn_get(srv, h);
    return c ? c->machine : NULL;
}

const struct gp_registry *gp_server_registry(const gp_server *srv)
{
    return srv->reg;
}
