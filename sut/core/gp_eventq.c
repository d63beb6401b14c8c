/* gp_eventq.c: a 4-ary min-heap of gp_event by (at_ms, seq).  Four children
 * a node halve the depth of a binary heap; with tens of thousands of pending
 * timers the pops are bound by cache misses, so fewer levels run faster. */
#include "gp_eventq.h"

#include <stdlib.h>

#include "gp_error.h"

static bool before(const gp_event *x, const gp_event *y)
{
    return x->at_ms < y->at_ms || (x->at_ms == y->at_ms && x->seq < y->seq);
}

void gp_eventq_init(gp_eventq *q)
{
    *q = (gp_eventq){0};
}

void gp_eventq_free(gp_eventq *q)
{
    free(q->heap);
    *q = (gp_eventq){0};
}

int gp_eventq_push(gp_eventq *q, gp_event ev)
{
    ev.seq = q->next_seq++;
    return gp_eventq_push_keep(q, ev);
}

int gp_eventq_push_keep(gp_eventq *q, gp_event ev)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        gp_event *grown = realloc(q->heap, cap * sizeof(*grown));
        if (!grown)
            return GP_ERR_NOMEM;
        q->heap = grown;
        q->cap = cap;
    }
    size_t i = q->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!before(&ev, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ev;
    return GP_OK;
}

bool gp_eventq_pop(gp_eventq *q, gp_event *out)
{
    if (q->len == 0)
        return false;
    *out = q->heap[0];
    gp_event last = q->heap[--q->len];
    size_t i = 0, n = q->len;
    for (;;) {
        size_t first = 4 * i + 1, m = i;
        const gp_event *best = &last;
        for (size_t c = first; c < first + 4 && c < n; c++) {
            if (before(&q->heap[c], best)) {
                m = c;
                best = &q->heap[c];
            }
        }
        if (m == i)
            break;
        q->heap[i] = q->heap[m];
        i = m;
    }
    if (n > 0)
        q->heap[i] = last;
    return true;
}

bool gp_eventq_pop_due(gp_eventq *q, uint64_t now_ms, gp_event *out)
{
    if (q->len == 0 || q->heap[0].at_ms > now_ms)
        return false;
    return gp_eventq_pop(q, out);
}

const gp_event *gp_eventq_peek(const gp_eventq *q)
{
    return q->len ? &q->heap[0] : NULL;
}
