/* gp_sim_env.c: the two environments the simulator provides -- gp_env for
 * the core (virtual time, the core's random stream, timers as events, sends
 * and closes through the simulated network, logs kept for a traced client)
 * and gp_vc_io for the virtual clients. */
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_sim_int.h"


static uint32_t client_of(void *transport)
{
    return (uint32_t)((uintptr_t)transport - 1);
}

static uint64_t env_now(void *ctx)
{
    return GP_SIM_EPOCH_MS + ((gp_sim *)ctx)->now;
}

static uint64_t env_random(void *ctx)
{
    gp_sim *s = ctx;
    return s->opt->choose ? s->opt->choose(s->opt->choose_ctx) : gp_rng_next(&s->core_rng);
}

static void env_timer(void *ctx, uint64_t delay_ms, uint64_t conn,
                      gp_timer_kind kind, uint32_t arg)
{
    gp_sim *s = ctx;
    gp_sim_push(s, s->now + delay_ms, EV_SERVER_TIMER, UINT32_MAX, conn,
         (void *)(uintptr_t)(((uint64_t)kind << 32) | arg));
}

static void env_send(void *ctx, void *transport, const char *data, size_t len)
{
    gp_sim *s = ctx;
    uint32_t i = client_of(transport);
    gp_sim_tracef(s, i, "server -> client: %.*s", (int)len, data);
    if (s->links[i].reset)
        return;
    gp_sim_carry(s, i, false, data, len);
}

static void env_close(void *ctx, void *transport, int code, const char *reason)
{
    gp_sim *s = ctx;
    uint32_t i = client_of(transport);
    sim_link *l = &s->links[i];
    gp_sim_tracef(s, i, "server closes: %d %s", code, reason);
    if (l->server_closing || l->reset)
        return;
    l->server_closing = true;
    /* The close frame travels behind the messages already sent; the server
     * learns the transport is gone once the close handshake completes. */
    uint64_t at = s->now + gp_sim_latency(s);
    if (at < l->last_to_client)
        at = l->last_to_client;
    l->last_to_client = at;
    gp_sim_push(s, at, EV_CLIENT_CLOSED, i, (uint64_t)code, NULL);
    if (!l->server_closed) {
        l->server_closed = true;
        gp_sim_push(s, at + gp_sim_latency(s), EV_SERVER_CLOSED, i, 0, NULL);
    }
}

static void env_log(void *ctx, gp_log_level level, const char *line)
{
    gp_sim *s = ctx;
    (void)level;
    uint32_t k = s->opt->trace_client;
    if (k == UINT32_MAX || k >= s->run->n_clients)
        return;
    const gp_vclient *c = &s->run->clients[k];
    sim_link *l = &s->links[k];
    const char *id = l->server_open && !l->server_closed ? gp_server_conn_id(s->srv, l->h) : NULL;
    if ((c->opened_id[0] && strstr(line, c->opened_id)) || (id && strstr(line, id)))
        gp_sim_tracef(s, k, "server log %s: %s", gp_log_level_name(level), line);
}

/* ---- the clients' environment ---------------------------------------------- */

static uint64_t io_now(void *ctx)
{
    return ((gp_sim *)ctx)->now;
}

static void io_send(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    gp_sim *s = ctx;
    sim_link *l = &s->links[c->index];
    gp_sim_tracef(s, c->index, "client -> server: %.*s", (int)len, data);
    if (l->client_closed || l->reset)
        return;
    gp_sim_carry(s, c->index, true, data, len);
}

static void io_close(void *ctx, gp_vclient *c, int code)
{
    gp_sim *s = ctx;
    uint32_t i = c->index;
    sim_link *l = &s->links[i];
    gp_sim_tracef(s, i, "client closes: %d", code);
    if (l->client_closed)
        return;
    l->client_closed = true;
    if (l->open_sent && !l->server_closed && !l->reset) {
        l->server_closed = true;
        uint64_t at = s->now + gp_sim_latency(s);
        if (at < l->last_to_server)
            at = l->last_to_server;
        l->last_to_server = at;
        gp_sim_push(s, at, EV_SERVER_CLOSED, i, 0, NULL);
    }
}

static void io_timer(void *ctx, gp_vclient *c, uint64_t delay_ms,
                     gp_vc_timer kind, uint32_t arg)
{
    gp_sim *s = ctx;
    gp_sim_push(s, s->now + delay_ms, EV_CLIENT_TIMER, c->index,
         ((uint64_t)kind << 32) | arg, NULL);
}

void gp_sim_env_init(gp_sim *s)
{
    s->env = (gp_env){.ctx = s, .now_ms = env_now, .random_u64 = env_random,
                      .timer_start = env_timer, .send = env_send,
                      .close = env_close, .log = env_log,
                      .log_level_min = s->opt->trace_client == UINT32_MAX
                                           ? GP_LOG_ERROR + 1
                                           : GP_LOG_DEBUG};
    s->sh.io = (gp_vc_io){.ctx = s, .now_ms = io_now, .send = io_send,
                          .close = io_close, .timer = io_timer};
}
