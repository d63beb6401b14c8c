/* gp_live_timers.c: the clients' timers as one binary min-heap ordered by due
 * time, then by the order they were started (so equal times fire in the
 * order asked).  Timers are never cancelled: a virtual client ignores a
 * timer that no longer applies, as in the simulator. */
#include <stdlib.h>

#include "gp_error.h"
#include "gp_live_int.h"

static bool earlier(const gp_live_timer *a, const gp_live_timer *b)
{
    return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

int gp_live_timers_push(gp_live_timers *t, uint64_t at_ms, uint32_t client, uint8_t kind,
                        uint32_t arg)
{
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        gp_live_timer *grown = realloc(t->v, cap * sizeof(*grown));
        if (!grown)
            return GP_ERR_NOMEM;
        t->v = grown;
        t->cap = cap;
    }
    gp_live_timer x = {.at_ms = at_ms, .seq = t->seq++, .client = client, .arg = arg,
                       .kind = kind};
    size_t i = t->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&x, &t->v[parent]))
            break;
        t->v[i] = t->v[parent];
        i = parent;
    }
    t->v[i] = x;
    return GP_OK;
}

uint64_t gp_live_timers_next(const gp_live_timers *t)
{
    return t->len ? t->v[0].at_ms : UINT64_MAX;
}

bool gp_live_timers_pop_due(gp_live_timers *t, uint64_t now_ms, gp_live_timer *out)
{
    if (t->len == 0 || t->v[0].at_ms > now_ms)
        return false;
    *out = t->v[0];
    gp_live_timer last = t->v[--t->len];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= t->len)
            break;
        if (child + 1 < t->len && earlier(&t->v[child + 1], &t->v[child]))
            child++;
        if (!earlier(&t->v[child], &last))
            break;
        t->v[i] = t->v[child];
        i = child;
    }
    if (t->len)
        t->v[i] = last;
    return true;
}

void gp_live_timers_free(gp_live_timers *t)
{
    free(t->v);
    *t = (gp_live_timers){0};
}
