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

/* json_loadb that tells bad input from a failed allocation.  jansson 2.14
 * reports some allocation failures as syntax errors ("string or '}'
 * expected") and some with no error at all; input that fails to parse is
 * therefore parsed once more, and if the second try succeeds the first
 * failure was memory.  Returns the value (caller decrefs), or NULL with *rc
 * GP_ERR_NOMEM or GP_ERR_BAD_JSON (err, when not NULL, then says why). */
json_t *gp_json_load(const char *data, size_t len, size_t flags, json_error_t *err, int *rc);

#endif
