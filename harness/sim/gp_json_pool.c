/* gp_json_pool.c: see gp_json_pool.h. */
#include "gp_json_pool.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#define POOL_ALIGN 16
#define POOL_CLASSES 32 /* blocks of 16, 32, ... 512 bytes, header included */
#define POOL_SLAB (256 * 1024)
#define POOL_LARGE 0xffu

typedef union pool_header {
    uint8_t cls; /* size class, or POOL_LARGE for a plain malloc */
    max_align_t align_;
} pool_header;

typedef struct pool_free {
    struct pool_free *next;
} pool_free;

typedef struct pool_state {
    pool_free *free[POOL_CLASSES];
    char *slab;
    size_t slab_left;
    int installed;
} pool_state;

/* The one process-wide state (see the header for why). */
static pool_state pool;

static void *pool_malloc(size_t n)
{
    size_t total = n + sizeof(pool_header);
    size_t cls = (total + POOL_ALIGN - 1) / POOL_ALIGN - 1;
    pool_header *h;
    if (cls >= POOL_CLASSES) {
        h = malloc(total);
        if (!h)
            return NULL;
        h->cls = POOL_LARGE;
        return h + 1;
    }
    if (pool.free[cls]) {
        h = (pool_header *)pool.free[cls];
        pool.free[cls] = pool.free[cls]->next;
    } else {
        size_t size = (cls + 1) * POOL_ALIGN;
        if (pool.slab_left < size) {
            /* the rest of the old slab is given away as free blocks of its size */
            pool.slab = malloc(POOL_SLAB);
            if (!pool.slab) {
                pool.slab_left = 0;
                return NULL;
            }
            pool.slab_left = POOL_SLAB;
        }
        h = (pool_header *)pool.slab;
        pool.slab += size;
        pool.slab_left -= size;
    }
    h->cls = (uint8_t)cls;
    return h + 1;
}

static void pool_release(void *p)
{
    if (!p)
        return;
    pool_header *h = (pool_header *)p - 1;
    if (h->cls == POOL_LARGE) {
        free(h);
        return;
    }
    pool_free *f = (pool_free *)h;
    uint8_t cls = h->cls;
    f->next = pool.free[cls];
    pool.free[cls] = f;
}

void gp_json_pool_install(void)
{
    if (pool.installed)
        return;
    pool.installed = 1;
    json_set_alloc_funcs(pool_malloc, pool_release);
}
