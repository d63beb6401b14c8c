/* gp_registry.c: the state registry of gp_registry.h, connection id ->
 * machine.
 *
 * Open addressing with linear probing over a power-of-two table of slots; a
 * slot keeps the id's FNV-1a hash beside the entry pointer so that probing and
 * growing never touch the entries themselves.  Deletion shifts the following
 * run backwards (no tombstones), so lookups stay short after millions of
 * register/unregister cycles.  Entries are allocated one by one so that a
 * machine's address never moves while the table grows.  Nothing depends on
 * pointer values: slot positions follow from the hashes and the order of
 * operations alone. */
#include "gp_registry.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

/* Slots in a fresh table; a power of two. */
#define GP_REGISTRY_SLOTS_MIN 16
/* The table doubles before count reaches 7/10 of its slots. */
#define GP_REGISTRY_LOAD_NUM 7
#define GP_REGISTRY_LOAD_DEN 10

/* A held machine and the state the per-state counts have it in (which lags
 * m.state when the machine was changed behind the registry's back). */
typedef struct gp_registry_entry {
    gp_machine m; /* first, so a gp_machine * of ours converts back */
    gp_state counted_state;
} gp_registry_entry;

typedef struct gp_registry_slot {
    uint64_t hash;
    gp_registry_entry *entry; /* NULL: empty */
} gp_registry_slot;

struct gp_registry {
    gp_registry_slot *slots;
    size_t slots_len; /* power of two */
    size_t count;
    size_t capacity_max; /* 0: unlimited */
    size_t count_by_state[GP_STATE_COUNT];
    const gp_allocator *alloc; /* NULL: the C library */
};

/* 64-bit FNV-1a of a NUL-terminated string. */
static uint64_t gp_registry_hash(const char *id)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

/* Home slot of a hash.  FNV-1a's low bits alone mix poorly for ids that
 * differ only in their last characters, so the high half is folded in. */
static size_t gp_registry_home(const gp_registry *reg, uint64_t hash)
{
    return (size_t)(hash ^ (hash >> 32)) & (reg->slots_len - 1);
}

gp_registry *gp_registry_create(size_t capacity_max)
{
    return gp_registry_create_with(capacity_max, NULL);
}

gp_registry *gp_registry_create_with(size_t capacity_max, const gp_allocator *alloc)
{
    gp_registry *reg = gp_mem_calloc(alloc, 1, sizeof(*reg));
    if (!reg)
        return NULL;
    reg->alloc = alloc;
    reg->slots = gp_mem_calloc(alloc, GP_REGISTRY_SLOTS_MIN, sizeof(*reg->slots));
    if (!reg->slots) {
        gp_mem_free(alloc, reg);
        return NULL;
    }
    reg->slots_len = GP_REGISTRY_SLOTS_MIN;
    reg->capacity_max = capacity_max;
    return reg;
}

void gp_registry_destroy(gp_registry *reg)
{
    if (!reg)
        return;
    const gp_allocator *alloc = reg->alloc;
    for (size_t i = 0; i < reg->slots_len; i++)
        gp_mem_free(alloc, reg->slots[i].entry);
    gp_mem_free(alloc, reg->slots);
    gp_mem_free(alloc, reg);
}

/* The slot index holding `id` (hash `hash`), or SIZE_MAX when absent. */
static size_t gp_registry_find(const gp_registry *reg, const char *id,
                               uint64_t hash)
{
    size_t mask = reg->slots_len - 1;
    for (size_t i = gp_registry_home(reg, hash);; i = (i + 1) & mask) {
        const gp_registry_slot *s = &reg->slots[i];
        if (!s->entry)
            return SIZE_MAX;
        if (s->hash == hash && strcmp(s->entry->m.id, id) == 0)
            return i;
    }
}

/* Puts a slot known to be absent into the first free place of its run.  The
 * table must have a free slot (the load limit guarantees it). */
static void gp_registry_place(gp_registry *reg, gp_registry_slot slot)
{
    size_t mask = reg->slots_len - 1;
    size_t i = gp_registry_home(reg, slot.hash);
    while (reg->slots[i].entry)
        i = (i + 1) & mask;
    reg->slots[i] = slot;
}

/* Doubles the table when one more entry would pass the load limit.  Returns
 * GP_OK or GP_ERR_NOMEM (the table is then unchanged). */
static int gp_registry_reserve_one(gp_registry *reg)
{
    if ((reg->count + 1) * GP_REGISTRY_LOAD_DEN <=
        reg->slots_len * GP_REGISTRY_LOAD_NUM)
        return GP_OK;
    if (reg->slots_len > SIZE_MAX / 2 / sizeof(gp_registry_slot))
        return GP_ERR_NOMEM;
    size_t old_len = reg->slots_len;
    gp_registry_slot *old = reg->slots;
    gp_registry_slot *slots = gp_mem_calloc(reg->alloc, old_len * 2, sizeof(*slots));
    if (!slots)
        return GP_ERR_NOMEM;
    reg->slots = slots;
    reg->slots_len = old_len * 2;
    /* Old table order, so the new layout depends only on the old one. */
    for (size_t i = 0; i < old_len; i++)
        if (old[i].entry)
            gp_registry_place(reg, old[i]);
    gp_mem_free(reg->alloc, old);
    return GP_OK;
}

/* See gp_registry.h.  Arguments are checked before the table is looked at, so
 * a bad id is reported as such even when the registry is full. */
int gp_registry_register(gp_registry *reg, const char *id, const char *user_id,
                         uint64_t now_ms, gp_machine **out)
{
    assert(reg);
    if (out)
        *out = NULL;
    if (!id || id[0] == '\0')
        return GP_ERR_INVALID_ARG;
    if (strlen(id) > GP_ID_LEN_MAX ||
        (user_id && strlen(user_id) > GP_USER_LEN_MAX))
        return GP_ERR_TOO_LONG;

    uint64_t hash = gp_registry_hash(id);
    if (gp_registry_find(reg, id, hash) != SIZE_MAX)
        return GP_ERR_EXISTS;
    if (reg->capacity_max && reg->count >= reg->capacity_max)
        return GP_ERR_FULL;
    int rc = gp_registry_reserve_one(reg);
    if (rc != GP_OK)
        return rc;
    gp_registry_entry *e = gp_mem_alloc(reg->alloc, sizeof(*e));
    if (!e)
        return GP_ERR_NOMEM;
    rc = gp_machine_init(&e->m, id, user_id, now_ms);
    if (rc != GP_OK) {
        gp_mem_free(reg->alloc, e);
        return rc;
    }
    e->counted_state = e->m.state;
    gp_registry_place(reg, (gp_registry_slot){.hash = hash, .entry = e});
    reg->count++;
    reg->count_by_state[e->counted_state]++;
    if (out)
        *out = &e->m;
    return GP_OK;
}

/* Empties slot `hole` and shifts back every later entry of the run that may
 * move closer to its home slot, so no lookup ever stops early at the hole. */
static void gp_registry_remove_slot(gp_registry *reg, size_t hole)
{
    size_t mask = reg->slots_len - 1;
    reg->slots[hole] = (gp_registry_slot){0};
    for (size_t j = (hole + 1) & mask; reg->slots[j].entry;
         j = (j + 1) & mask) {
        size_t home = gp_registry_home(reg, reg->slots[j].hash);
        /* The entry at j stays when its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (hole < home && home <= j)
                               : (hole < home || home <= j);
        if (stays)
            continue;
        reg->slots[hole] = reg->slots[j];
        reg->slots[j] = (gp_registry_slot){0};
        hole = j;
    }
}

/* An empty registry goes back to its first table, so that the memory it
 * holds returns to what it was at creation once every connection has gone
 * (the simulator checks exactly that).  Out of memory it keeps the big one. */
static void gp_registry_release_if_empty(gp_registry *reg)
{
    if (reg->count != 0 || reg->slots_len == GP_REGISTRY_SLOTS_MIN)
        return;
    gp_registry_slot *slots = gp_mem_calloc(reg->alloc, GP_REGISTRY_SLOTS_MIN, sizeof(*slots));
    if (!slots)
        return;
    gp_mem_free(reg->alloc, reg->slots);
    reg->slots = slots;
    reg->slots_len = GP_REGISTRY_SLOTS_MIN;
}

int gp_registry_unregister(gp_registry *reg, const char *id)
{
    assert(reg);
    if (!id)
        return GP_ERR_NOT_FOUND;
    size_t i = gp_registry_find(reg, id, gp_registry_hash(id));
    if (i == SIZE_MAX)
        return GP_ERR_NOT_FOUND;
    gp_registry_entry *e = reg->slots[i].entry;
    assert(reg->count_by_state[e->counted_state] > 0);
    reg->count_by_state[e->counted_state]--;
    reg->count--;
    gp_registry_remove_slot(reg, i);
    gp_mem_free(reg->alloc, e);
    gp_registry_release_if_empty(reg);
    return GP_OK;
}

/* NULL for a NULL id as for an unknown one. */
gp_machine *gp_registry_get(const gp_registry *reg, const char *id)
{
    assert(reg);
    if (!id)
        return NULL;
    size_t i = gp_registry_find(reg, id, gp_registry_hash(id));
    return i == SIZE_MAX ? NULL : &reg->slots[i].entry->m;
}

size_t gp_registry_count(const gp_registry *reg)
{
    assert(reg);
    return reg->count;
}

/* 0 for a state outside the enum. */
size_t gp_registry_count_state(const gp_registry *reg, gp_state s)
{
    assert(reg);
    if ((int)s < 0 || s >= GP_STATE_COUNT)
        return 0;
    return reg->count_by_state[s];
}

/* See gp_registry.h.  The counts are brought up to date whatever the step's
 * outcome, which also repairs them after a change made behind our back.  A
 * machine not held by `reg` is a programmer error. */
int gp_registry_transition(gp_registry *reg, gp_machine *m, gp_state to,
                           uint64_t now_ms, gp_transition_stats *stats,
                           const gp_env *env)
{
    assert(reg && m);
    assert(gp_registry_get(reg, m->id) == m);
    gp_registry_entry *e = (gp_registry_entry *)m;
    int rc = gp_machine_transition(m, to, now_ms, stats, env);
    if (e->counted_state != m->state) {
        assert(reg->count_by_state[e->counted_state] > 0);
        reg->count_by_state[e->counted_state]--;
        reg->count_by_state[m->state]++;
        e->counted_state = m->state;
    }
    return rc;
}

void gp_registry_foreach(const gp_registry *reg,
                         void (*fn)(gp_machine *m, void *arg), void *arg)
{
    assert(reg && fn);
    for (size_t i = 0; i < reg->slots_len; i++)
        if (reg->slots[i].entry)
            fn(&reg->slots[i].entry->m, arg);
}

/* See gp_registry.h.  A machine whose entered_ms lies after now_ms (a caller
 * whose clock went backwards) has been in its state for no time at all. */
size_t gp_registry_scan_stuck(const gp_registry *reg, uint64_t now_ms,
                              uint64_t stuck_after_ms,
                              void (*fn)(gp_machine *m, void *arg), void *arg)
{
    assert(reg);
    size_t stuck = 0;
    for (size_t i = 0; i < reg->slots_len; i++) {
        gp_registry_entry *e = reg->slots[i].entry;
        if (!e || e->m.state == GP_STATE_PROCESSING_READY ||
            gp_state_is_terminal(e->m.state))
            continue;
        if (now_ms <= e->m.entered_ms ||
            now_ms - e->m.entered_ms <= stuck_after_ms)
            continue;
        stuck++;
        if (fn)
            fn(&e->m, arg);
    }
    return stuck;
}
