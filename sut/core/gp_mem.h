/* gp_mem.h: the core's allocator, chosen by the driver.
 *
 * Every allocation the core makes for connections, requests, held messages
 * and the registry goes through a gp_allocator, so that a driver can count
 * what the core holds (the simulator checks that it returns to its baseline
 * once every client has gone) or make allocations fail on purpose (the
 * allocation-failure sweep of tests/test_oom.c, in the style of SQLite's
 * test_malloc.c).  A NULL allocator means the C library's.  jansson's own
 * allocations (parsing and encoding messages) are transient and go through
 * jansson's global allocator, not this one. */
#ifndef GP_MEM_H
#define GP_MEM_H

#include <stddef.h>

typedef struct gp_allocator {
    void *ctx;
    /* malloc(3), realloc(3) and free(3) semantics; alloc and resize return
     * NULL on failure (resize then leaves ptr as it was). */
    void *(*alloc)(void *ctx, size_t size);
    void *(*resize)(void *ctx, void *ptr, size_t size);
    void (*release)(void *ctx, void *ptr);
} gp_allocator;

/* Each behaves as its C library namesake through `a` (NULL: the library's
 * own).  gp_mem_calloc checks count * size for overflow and zeroes. */
void *gp_mem_alloc(const gp_allocator *a, size_t size);
void *gp_mem_calloc(const gp_allocator *a, size_t count, size_t size);
void *gp_mem_resize(const gp_allocator *a, void *ptr, size_t size);
void gp_mem_free(const gp_allocator *a, void *ptr);
/* A copy of s (NUL-terminated) or NULL when out of memory. */
char *gp_mem_strdup(const gp_allocator *a, const char *s);

#endif
