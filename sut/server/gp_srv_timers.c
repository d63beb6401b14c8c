/* gp_srv_timers.c: the driver's cancellable timers (gp_srv_timers.h).
 *
 * A slot is either free (chained through conn_next) or holds one pending
 * timer: its heap position and its neighbours in its connection's chain.
 * The map sends a connection handle to the first slot of its chain; it uses
 * linear probing with backward-shift deletion, so there are no tombstones
 * and churn cannot fill it with dead entries. */
#include "gp_srv_timers.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

#define NIL UINT32_MAX
#define MAP_CAP_MIN 64u
/* Past this many slots an idle structure gives its arrays back. */
#define SLOTS_KEEP 1024u

struct gp_srv_timer_slot {
    gp_srv_timer t;
    uint32_t heap_pos;  /* NIL when free */
    uint32_t conn_next; /* next in the connection's chain, or in the free chain */
    uint32_t conn_prev;
};

struct gp_srv_timer_conn {
    uint64_t conn; /* 0: empty */
    uint32_t head; /* first slot of the chain */
};

void gp_srv_timers_init(gp_srv_timers *t)
{
    memset(t, 0, sizeof(*t));
    t->free_head = NIL;
}

void gp_srv_timers_free(gp_srv_timers *t)
{
    free(t->slots);
    free(t->heap);
    free(t->map);
    gp_srv_timers_init(t);
}

size_t gp_srv_timers_bytes(const gp_srv_timers *t)
{
    return (size_t)t->slots_cap * sizeof(gp_srv_timer_slot) +
           (size_t)t->heap_cap * sizeof(uint32_t) +
           (size_t)t->map_cap * sizeof(gp_srv_timer_conn);
}

/* ---- the map: handle -> first slot -------------------------------------- */

static uint32_t map_home(const gp_srv_timers *t, uint64_t conn)
{
    return (uint32_t)((conn * 0x9E3779B97F4A7C15ULL) >> 32) & (t->map_cap - 1);
}

/* Index of conn's entry, or of the empty entry where it would go. */
static uint32_t map_find(const gp_srv_timers *t, uint64_t conn)
{
    uint32_t i = map_home(t, conn);
    while (t->map[i].conn && t->map[i].conn != conn)
        i = (i + 1) & (t->map_cap - 1);
    return i;
}

static int map_resize(gp_srv_timers *t, uint32_t cap)
{
    gp_srv_timer_conn *old = t->map;
    uint32_t old_cap = t->map_cap;
    gp_srv_timer_conn *m = calloc(cap, sizeof(*m));
    if (!m)
        return GP_ERR_NOMEM;
    t->map = m;
    t->map_cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].conn)
            t->map[map_find(t, old[i].conn)] = old[i];
    free(old);
    return GP_OK;
}

static void map_delete_at(gp_srv_timers *t, uint32_t i)
{
    uint32_t mask = t->map_cap - 1;
    t->map[i].conn = 0;
    t->map_len--;
    /* Backward shift: move later entries of the probe run into the hole
     * when their home is not between the hole and them. */
    for (uint32_t j = (i + 1) & mask; t->map[j].conn; j = (j + 1) & mask) {
        uint32_t home = map_home(t, t->map[j].conn);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            t->map[i] = t->map[j];
            t->map[j].conn = 0;
            i = j;
        }
    }
    if (t->map_cap > MAP_CAP_MIN && t->map_len < t->map_cap / 8)
        (void)map_resize(t, t->map_cap / 2); /* a failed shrink is harmless */
}

/* ---- the heap of slot indices ------------------------------------------- */

static bool before(const gp_srv_timers *t, uint32_t a, uint32_t b)
{
    const gp_srv_timer *x = &t->slots[a].t, *y = &t->slots[b].t;
    return x->at_ms < y->at_ms || (x->at_ms == y->at_ms && x->seq < y->seq);
}

static void heap_place(gp_srv_timers *t, uint32_t pos, uint32_t slot)
{
    t->heap[pos] = slot;
    t->slots[slot].heap_pos = pos;
}

static void sift_up(gp_srv_timers *t, uint32_t pos)
{
    uint32_t slot = t->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!before(t, slot, t->heap[parent]))
            break;
        heap_place(t, pos, t->heap[parent]);
        pos = parent;
    }
    heap_place(t, pos, slot);
}

static void sift_down(gp_srv_timers *t, uint32_t pos)
{
    uint32_t slot = t->heap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= t->len)
            break;
        if (c + 1 < t->len && before(t, t->heap[c + 1], t->heap[c]))
            c++;
        if (!before(t, t->heap[c], slot))
            break;
        heap_place(t, pos, t->heap[c]);
        pos = c;
    }
    heap_place(t, pos, slot);
}

static void heap_remove(gp_srv_timers *t, uint32_t pos)
{
    assert(pos < t->len);
    uint32_t last = t->heap[--t->len];
    if (pos == t->len)
        return;
    heap_place(t, pos, last);
    sift_down(t, pos);
    sift_up(t, t->slots[last].heap_pos);
}

/* ---- slots ---------------------------------------------------------------- */

static int grow(gp_srv_timers *t)
{
    uint32_t cap = t->slots_cap ? t->slots_cap * 2 : 256;
    gp_srv_timer_slot *s = realloc(t->slots, (size_t)cap * sizeof(*s));
    if (!s)
        return GP_ERR_NOMEM;
    t->slots = s;
    uint32_t *h = realloc(t->heap, (size_t)cap * sizeof(*h));
    if (!h)
        return GP_ERR_NOMEM; /* slots grew: harmless, used next time */
    t->heap = h;
    t->heap_cap = cap;
    for (uint32_t i = cap; i-- > t->slots_cap;) {
        t->slots[i].heap_pos = NIL;
        t->slots[i].conn_next = t->free_head;
        t->free_head = i;
    }
    t->slots_cap = cap;
    return GP_OK;
}

static void slot_release(gp_srv_timers *t, uint32_t i)
{
    t->slots[i].heap_pos = NIL;
    t->slots[i].conn_next = t->free_head;
    t->free_head = i;
    if (t->len == 0 && t->slots_cap > SLOTS_KEEP) {
        /* Idle after a burst: give the arrays back. */
        free(t->slots);
        free(t->heap);
        t->slots = NULL;
        t->heap = NULL;
        t->slots_cap = t->heap_cap = 0;
        t->free_head = NIL;
    }
}

/* Takes slot i out of its connection's chain (and the map when it was the
 * last one). */
static void chain_unlink(gp_srv_timers *t, uint32_t i)
{
    gp_srv_timer_slot *s = &t->slots[i];
    if (!s->t.conn)
        return;
    if (s->conn_next != NIL)
        t->slots[s->conn_next].conn_prev = s->conn_prev;
    if (s->conn_prev != NIL) {
        t->slots[s->conn_prev].conn_next = s->conn_next;
        return;
    }
    uint32_t m = map_find(t, s->t.conn);
    assert(t->map[m].conn == s->t.conn && t->map[m].head == i);
    if (s->conn_next != NIL)
        t->map[m].head = s->conn_next;
    else
        map_delete_at(t, m);
}

int gp_srv_timers_add(gp_srv_timers *t, uint64_t at_ms, uint64_t conn,
                      uint32_t kind, uint32_t arg)
{
    if (conn && (t->map_cap == 0 || (t->map_len + 1) * 2 > t->map_cap)) {
        uint32_t cap = t->map_cap ? t->map_cap * 2 : MAP_CAP_MIN;
        if (map_resize(t, cap) != GP_OK)
            return GP_ERR_NOMEM;
    }
    if (t->free_head == NIL && grow(t) != GP_OK)
        return GP_ERR_NOMEM;
    uint32_t i = t->free_head;
    gp_srv_timer_slot *s = &t->slots[i];
    t->free_head = s->conn_next;
    s->t = (gp_srv_timer){.at_ms = at_ms, .seq = t->next_seq++, .conn = conn,
                          .kind = kind, .arg = arg};
    s->conn_next = s->conn_prev = NIL;
    if (conn) {
        uint32_t m = map_find(t, conn);
        if (t->map[m].conn) {
            s->conn_next = t->map[m].head;
            t->slots[s->conn_next].conn_prev = i;
        } else {
            t->map[m].conn = conn;
            t->map_len++;
        }
        t->map[m].head = i;
    }
    t->heap[t->len] = i;
    s->heap_pos = t->len++;
    sift_up(t, s->heap_pos);
    return GP_OK;
}

bool gp_srv_timers_next_ms(const gp_srv_timers *t, uint64_t *at_ms)
{
    if (t->len == 0)
        return false;
    *at_ms = t->slots[t->heap[0]].t.at_ms;
    return true;
}

bool gp_srv_timers_pop_due(gp_srv_timers *t, uint64_t now_ms, gp_srv_timer *out)
{
    if (t->len == 0 || t->slots[t->heap[0]].t.at_ms > now_ms)
        return false;
    uint32_t i = t->heap[0];
    *out = t->slots[i].t;
    heap_remove(t, 0);
    chain_unlink(t, i);
    slot_release(t, i);
    return true;
}

size_t gp_srv_timers_cancel_conn(gp_srv_timers *t, uint64_t conn)
{
    if (!conn || t->map_len == 0)
        return 0;
    uint32_t m = map_find(t, conn);
    if (!t->map[m].conn)
        return 0;
    uint32_t i = t->map[m].head;
    map_delete_at(t, m);
    size_t n = 0;
    while (i != NIL) {
        uint32_t next = t->slots[i].conn_next;
        heap_remove(t, t->slots[i].heap_pos);
        slot_release(t, i);
        i = next;
        n++;
    }
    return n;
}
