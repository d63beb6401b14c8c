/* fake_env.c: the test environment of fake_env.h. */
#include "fake_env.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fe_now(void *ctx)
{
    return ((fake_env *)ctx)->now_ms;
}

static uint64_t fe_random(void *ctx)
{
    fake_env *fe = ctx;
    fe->random_calls++;
    return gp_rng_next(&fe->rng);
}

static void fe_timer(void *ctx, uint64_t delay_ms, uint64_t conn,
                     gp_timer_kind kind, uint32_t arg)
{
    fake_env *fe = ctx;
    if (fe->timers_len == FAKE_MAX_RECORDS)
        abort();
    fe->timers[fe->timers_len++] = (fake_timer){
        .due_ms = fe->now_ms + delay_ms, .seq = fe->timer_seq++,
        .conn = conn, .kind = kind, .arg = arg, .fired = false};
}

static void fe_send(void *ctx, void *transport, const char *data, size_t len)
{
    fake_env *fe = ctx;
    if (fe->sent_len == FAKE_MAX_RECORDS)
        abort();
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, data, len);
    copy[len] = '\0';
    fe->sent[fe->sent_len++] =
        (fake_sent){.transport = transport, .data = copy, .len = len};
}

static void fe_close(void *ctx, void *transport, int code, const char *reason)
{
    (void)reason;
    fake_env *fe = ctx;
    if (fe->closed_len == FAKE_MAX_RECORDS)
        abort();
    fe->closed[fe->closed_len++] =
        (fake_closed){.transport = transport, .code = code};
}

static void fe_log(void *ctx, gp_log_level level, const char *line)
{
    fake_env *fe = ctx;
    if (fe->logs_len == FAKE_MAX_RECORDS)
        abort();
    char *copy = strdup(line);
    if (!copy)
        abort();
    fe->logs[fe->logs_len++] = (fake_log){.level = level, .line = copy};
}

fake_env *fake_env_new(uint64_t start_ms, uint64_t seed)
{
    fake_env *fe = calloc(1, sizeof(*fe));
    if (!fe)
        abort();
    fe->now_ms = start_ms;
    gp_rng_seed(&fe->rng, seed);
    fe->env = (gp_env){.ctx = fe,
                       .now_ms = fe_now,
                       .random_u64 = fe_random,
                       .timer_start = fe_timer,
                       .send = fe_send,
                       .close = fe_close,
                       .log = fe_log,
                       .log_level_min = GP_LOG_DEBUG};
    return fe;
}

void fake_env_clear_records(fake_env *fe)
{
    for (size_t i = 0; i < fe->sent_len; i++)
        free(fe->sent[i].data);
    for (size_t i = 0; i < fe->logs_len; i++)
        free(fe->logs[i].line);
    fe->sent_len = fe->closed_len = fe->logs_len = 0;
}

void fake_env_free(fake_env *fe)
{
    if (!fe)
        return;
    fake_env_clear_records(fe);
    free(fe);
}

/* The earliest unfired timer due at or before `until`, ties by sequence. */
static fake_timer *next_due(fake_env *fe, uint64_t until)
{
    fake_timer *best = NULL;
    for (size_t i = 0; i < fe->timers_len; i++) {
        fake_timer *t = &fe->timers[i];
        if (t->fired || t->due_ms > until)
            continue;
        if (!best || t->due_ms < best->due_ms ||
            (t->due_ms == best->due_ms && t->seq < best->seq))
            best = t;
    }
    return best;
}

void fake_env_advance(fake_env *fe, gp_server *srv, uint64_t ms)
{
    uint64_t until = fe->now_ms + ms;
    fake_timer *t;
    while ((t = next_due(fe, until)) != NULL) {
        t->fired = true;
        if (t->due_ms > fe->now_ms)
            fe->now_ms = t->due_ms;
        if (srv)
            gp_server_on_timer(srv, t->conn, t->kind, t->arg);
    }
    fe->now_ms = until;
}

size_t fake_env_count_logs(const fake_env *fe, int level, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < fe->logs_len; i++)
        if ((level < 0 || (int)fe->logs[i].level == level) &&
            strstr(fe->logs[i].line, needle))
            n++;
    return n;
}

const char *fake_env_sent_to(const fake_env *fe, void *transport, size_t i)
{
    for (size_t k = 0; k < fe->sent_len; k++)
        if (fe->sent[k].transport == transport && i-- == 0)
            return fe->sent[k].data;
    return NULL;
}

size_t fake_env_sent_count(const fake_env *fe, void *transport)
{
    size_t n = 0;
    for (size_t k = 0; k < fe->sent_len; k++)
        n += fe->sent[k].transport == transport;
    return n;
}

int fake_env_close_code(const fake_env *fe, void *transport)
{
    for (size_t k = 0; k < fe->closed_len; k++)
        if (fe->closed[k].transport == transport)
            return fe->closed[k].code;
    return 0;
}
