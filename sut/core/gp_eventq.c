/* gp_eventq.c: a 4-ary min-heap of gp_event by (at_ms, seq).  Four children
 * a node halve the depth of a binary heap; with tens of thousands of pending
 * timers the pops are bound by cache misses, so fewer levels run faster.
 * Events known in bulk up front (a run's arrivals, a million of them) wait
 * in a sorted backlog beside the heap instead: sorted once, taken from its
 * head, they keep the heap as small as what is actually in flight. */
#include "gp_eventq.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    free(q->backlog);
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

static int cmp_event(const void *x, const void *y)
{
    const gp_event *a = x, *b = y;
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

int gp_eventq_push_many(gp_eventq *q, const gp_event *evs, size_t n)
{
    size_t left = q->backlog_len - q->backlog_pos;
    if (n > SIZE_MAX / sizeof(gp_event) - left)
        return GP_ERR_NOMEM;
    gp_event *all = malloc((left + n) * sizeof(*all));
    if (!all && left + n > 0)
        return GP_ERR_NOMEM;
    if (left)
        memcpy(all, q->backlog + q->backlog_pos, left * sizeof(*all));
    for (size_t k = 0; k < n; k++) {
        all[left + k] = evs[k];
        all[left + k].seq = q->next_seq++;
    }
    /* (at_ms, seq) is a total order (seqs are unique), so the sort is
     * deterministic although qsort is not stable */
    qsort(all, left + n, sizeof(*all), cmp_event);
    free(q->backlog);
    q->backlog = all;
    q->backlog_len = left + n;
    q->backlog_pos = 0;
    return GP_OK;
}

/* The backlog's next event when it comes before the heap's top, else NULL. */
static const gp_event *backlog_first(const gp_eventq *q)
{
    if (q->backlog_pos == q->backlog_len)
        return NULL;
    const gp_event *b = &q->backlog[q->backlog_pos];
    return q->len == 0 || before(b, &q->heap[0]) ? b : NULL;
}

bool gp_eventq_pop(gp_eventq *q, gp_event *out)
{
    const gp_event *b = backlog_first(q);
    if (b) {
        *out = *b;
        if (++q->backlog_pos == q->backlog_len) {
            free(q->backlog);
            q->backlog = NULL;
            q->backlog_len = q->backlog_pos = 0;
        }
        return true;
    }
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
    const gp_event *top = gp_eventq_peek(q);
    if (!top || top->at_ms > now_ms)
        return false;
    return gp_eventq_pop(q, out);
}

const gp_event *gp_eventq_peek(const gp_eventq *q)
{
    const gp_event *b = backlog_first(q);
    return b ? b : q->len ? &q->heap[0] : NULL;
}
