/* gp_mem.c: the core's allocation calls through a gp_allocator (gp_mem.h). */
#include "gp_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *gp_mem_alloc(const gp_allocator *a, size_t size)
{
    return a ? a->alloc(a->ctx, size) : malloc(size);
}

void *gp_mem_calloc(const gp_allocator *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = gp_mem_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *gp_mem_resize(const gp_allocator *a, void *ptr, size_t size)
{
    return a ? a->resize(a->ctx, ptr, size) : realloc(ptr, size);
}

void gp_mem_free(const gp_allocator *a, void *ptr)
{
    if (!ptr)
        return;
    if (a)
        a->release(a->ctx, ptr);
    else
        free(ptr);
}

char *gp_mem_strdup(const gp_allocator *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = gp_mem_alloc(a, n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}
