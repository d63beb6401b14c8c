/* gp_json.h: jansson helpers shared by the core and the harness. */
#ifndef GP_JSON_H
#define GP_JSON_H

#include <stddef.h>

#include <jansson.h>

/* The JSON text of `value` (json_dumpb flags) in a buffer from malloc(), so
 * that the caller frees it with free() whatever allocator jansson itself was
 * given (the simulator gives it a pool).  NULL when out of memory or when
 * jansson cannot encode the value. */
char *gp_json_dump(const json_t *value, size_t flags);

#endif
