/* gp_timer_heap.c: binary min-heap of core timers keyed by (due_ms, seq).
 * See gp_timer_heap.h for why the server keeps its own heap. */
#include "gp_timer_heap.h"

#include <stdlib.h>

static bool before(const gp_timer_entry *a, const gp_timer_entry *b)
{
    if (a->due_ms != b->due_ms)
        return a->due_ms < b->due_ms;
    return a->seq < b->seq;
}

static void swap(gp_timer_entry *a, gp_timer_entry *b)
{
    gp_timer_entry t = *a;
    *a = *b;
    *b = t;
}

void gp_timer_heap_init(gp_timer_heap *h)
{
    *h = (gp_timer_heap){0};
}

void gp_timer_heap_free(gp_timer_heap *h)
{
    free(h->items);
    *h = (gp_timer_heap){0};
}

bool gp_timer_heap_push(gp_timer_heap *h, uint64_t due_ms, uint64_t conn,
                        gp_timer_kind kind, uint32_t arg)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        gp_timer_entry *grown = realloc(h->items, cap * sizeof(*grown));
        if (!grown)
            return false;
        h->items = grown;
        h->cap = cap;
    }
    size_t i = h->len++;
    h->items[i] = (gp_timer_entry){.due_ms = due_ms, .seq = h->next_seq++,
                                   .conn = conn, .arg = arg, .kind = kind};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&h->items[i], &h->items[parent]))
            break;
        swap(&h->items[i], &h->items[parent]);
        i = parent;
    }
    return true;
}

const gp_timer_entry *gp_timer_heap_peek(const gp_timer_heap *h)
{
    return h->len ? &h->items[0] : NULL;
}

bool gp_timer_heap_pop_due(gp_timer_heap *h, uint64_t now_ms, gp_timer_entry *out)
{
    if (!h->len || h->items[0].due_ms > now_ms)
        return false;
    *out = h->items[0];
    h->items[0] = h->items[--h->len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->len && before(&h->items[l], &h->items[m]))
            m = l;
        if (r < h->len && before(&h->items[r], &h->items[m]))
            m = r;
        if (m == i)
            break;
        swap(&h->items[i], &h->items[m]);
        i = m;
    }
    return true;
}
