/* gp_sim_env.c: the two environments the simulator provides -- gp_env for
 * the core (virtual time, the core's random stream, timers as events, sends
 * and closes through the simulated network, an allocator that counts what the
 * core holds, its log written to server.log and read by the log oracle, and
 * an observer of every lifecycle step) and gp_vc_io for the virtual
 * clients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_sim_int.h"

uint32_t gp_sim_client_of(const void *transport)
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
    if (s->opt->choose)
        return s->opt->choose(s->opt->choose_ctx);
    /* the client whose connection is being served draws from its own stream */
    return s->current < s->run->n_clients ? gp_rng_next(&s->links[s->current].core_rng)
                                          : gp_rng_next(&s->core_rng);
}

static void env_timer(void *ctx, uint64_t delay_ms, uint64_t conn,
                      gp_timer_kind kind, uint32_t arg)
{
    gp_sim *s = ctx;
    /* armed while serving a client's connection: its draws when it fires */
    gp_sim_push(s, s->now + delay_ms, EV_SERVER_TIMER, s->current, conn,
         (void *)(uintptr_t)(((uint64_t)kind << 32) | arg));
}

static void env_send(void *ctx, void *transport, const char *data, size_t len)
{
    gp_sim *s = ctx;
    uint32_t i = gp_sim_client_of(transport);
    gp_sim_tracef(s, i, "server -> client: %.*s", (int)len, data);
    gp_drive_server_sent(s->run, i, data, len, s->now);
    if (s->links[i].reset)
        return;
    gp_sim_carry(s, i, false, data, len, 0);
}

static void env_close(void *ctx, void *transport, int code, const char *reason)
{
    gp_sim *s = ctx;
    uint32_t i = gp_sim_client_of(transport);
    sim_link *l = &s->links[i];
    gp_sim_tracef(s, i, "server closes: %d %s", code, reason);
    gp_drive_server_closed(s->run, i, code);
    if (l->server_closing || l->reset)
        return;
    l->server_closing = true;
    /* The close frame travels behind the messages already sent; the server
     * learns the transport is gone once the close handshake completes. */
    uint64_t at = s->now + gp_sim_latency(s, i);
    if (at < l->last_to_client)
        at = l->last_to_client;
    l->last_to_client = at;
    gp_sim_push(s, at, EV_CLIENT_CLOSED, i, (uint64_t)code, NULL);
    if (!l->server_closed) {
        l->server_closed = true;
        gp_sim_push(s, at + gp_sim_latency(s, i), EV_SERVER_CLOSED, i, 0, NULL);
    }
}

/* server.log: the same format as goldpath-server's, on the virtual clock. */
static void write_log(gp_sim *s, const char *level, const char *line)
{
    FILE *f = s->opt->server_log;
    if (!f)
        return;
    uint64_t ms = GP_SIM_EPOCH_MS + s->now;
    uint64_t secs = ms / 1000;
    uint64_t days = secs / 86400, rem = secs % 86400;
    /* civil date from days since 1970-01-01 (Howard Hinnant's algorithm) */
    int64_t z = (int64_t)days + 719468, era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    fprintf(f, "%04lld-%02u-%02uT%02u:%02u:%02u.%03u000Z %s %s\n", (long long)y, m, d,
            (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
            (unsigned)(ms % 1000), level, line);
}

/* A line below WARNING about the traced client goes to its trace. */
static void trace_log(gp_sim *s, const char *name, const char *line)
{
    uint32_t k = s->run->trace_client;
    if (k >= s->run->n_clients)
        return;
    const gp_vclient *c = &s->run->clients[k];
    const sim_link *l = &s->links[k];
    const char *id = l->server_open && !l->server_closed ? gp_server_conn_id(s->srv, l->h) : NULL;
    if ((c->opened_id[0] && strstr(line, c->opened_id)) || (id && strstr(line, id)))
        gp_sim_tracef(s, k, "server log %s: %s", name, line);
}

static void env_log(void *ctx, gp_log_level level, const char *line)
{
    gp_sim *s = ctx;
    const char *name = gp_log_level_name(level);
    if (s->opt->server_log && level >= s->opt->server_log_level)
        write_log(s, name, line);
    if (level >= GP_LOG_WARNING)
        gp_drive_log(s->run, UINT32_MAX, name, line);
    else
        trace_log(s, name, line);
}

static void env_observe(void *ctx, const gp_observation *o)
{
    gp_sim *s = ctx;
    gp_observation rel = *o;
    rel.at_ms = s->now;
    gp_drive_observe(s->run, o->transport ? gp_sim_client_of(o->transport) : UINT32_MAX, &rel);
}

/* ---- the core's allocator: a size header in front of each block --------------- */

typedef union header {
    size_t size;
    max_align_t align;
} header;

static void count(sim_alloc *a, int64_t blocks, int64_t bytes)
{
    a->count = (uint64_t)((int64_t)a->count + blocks);
    a->bytes = (uint64_t)((int64_t)a->bytes + bytes);
    if (a->count > a->peak_count)
        a->peak_count = a->count;
    if (a->bytes > a->peak_bytes)
        a->peak_bytes = a->bytes;
}

static void *mem_alloc(void *ctx, size_t size)
{
    header *h = malloc(sizeof(header) + size);
    if (!h)
        return NULL;
    h->size = size;
    count(ctx, 1, (int64_t)size);
    return h + 1;
}

static void *mem_resize(void *ctx, void *ptr, size_t size)
{
    if (!ptr)
        return mem_alloc(ctx, size);
    header *h = (header *)ptr - 1;
    size_t old = h->size;
    header *g = realloc(h, sizeof(header) + size);
    if (!g)
        return NULL;
    g->size = size;
    count(ctx, 0, (int64_t)size - (int64_t)old);
    return g + 1;
}

static void mem_release(void *ctx, void *ptr)
{
    if (!ptr)
        return;
    header *h = (header *)ptr - 1;
    count(ctx, -1, -(int64_t)h->size);
    free(h);
}

/* ---- the clients' environment ---------------------------------------------- */

static uint64_t io_now(void *ctx)
{
    return ((gp_sim *)ctx)->now;
}

static void io_send(void *ctx, gp_vclient *c, const char *data, size_t len, unsigned tag)
{
    gp_sim *s = ctx;
    sim_link *l = &s->links[c->index];
    gp_sim_tracef(s, c->index, "client -> server: %.*s", (int)len, data);
    if (l->client_closed || l->reset)
        return;
    gp_sim_carry(s, c->index, true, data, len, tag);
}

static void io_send_binary(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    gp_sim *s = ctx;
    sim_link *l = &s->links[c->index];
    gp_sim_tracef(s, c->index, "client -> server: a binary frame of %zu bytes", len);
    if (l->client_closed || l->reset)
        return;
    gp_sim_carry(s, c->index, true, data, len, GP_VC_TAG_PROBE | SIM_MSG_BINARY);
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
        uint64_t at = s->now + gp_sim_latency(s, i);
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

static void io_latency(void *ctx, int kind, uint64_t ms)
{
    gp_sim *s = ctx;
    gp_run_latency(s->run, kind == GP_LATX_FIRST_EVENT ? GP_LAT_FIRST_EVENT : GP_LAT_COMPLETED,
                   ms);
}

void gp_sim_env_init(gp_sim *s)
{
    s->alloc = (sim_alloc){.a = {.ctx = &s->alloc, .alloc = mem_alloc, .resize = mem_resize,
                                 .release = mem_release}};
    /* the log oracle reads every warning; below that only what server.log
     * keeps (or the traced client's story) is formatted at all */
    gp_log_level min = GP_LOG_WARNING;
    if (s->opt->server_log && s->opt->server_log_level < min)
        min = s->opt->server_log_level;
    if (s->run->trace_client != UINT32_MAX)
        min = GP_LOG_DEBUG; /* the traced client's story, whole */
    s->env = (gp_env){.ctx = s, .now_ms = env_now, .random_u64 = env_random,
                      .timer_start = env_timer, .send = env_send,
                      .close = env_close, .log = env_log, .log_level_min = min,
                      .observe = env_observe, .alloc = &s->alloc.a};
    s->sh.io = (gp_vc_io){.ctx = s, .now_ms = io_now, .send = io_send,
                          .send_binary = io_send_binary, .close = io_close,
                          .timer = io_timer, .latency = io_latency};
    /* the core's messages and the clients' reuse one encoder's trees (NULL:
     * built each time) */
    s->sh.enc = s->env.enc = gp_msg_encoder_create();
}
