/* gp_json.c: see gp_json.h. */
#include "gp_json.h"

#include <stdlib.h>

#include "gp_error.h"

char *gp_json_dump(const json_t *value, size_t flags)
{
    size_t n = json_dumpb(value, NULL, 0, flags);
    if (n == 0)
        return NULL;
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    if (json_dumpb(value, text, n, flags) != n) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

json_t *gp_json_load(const char *data, size_t len, size_t flags, json_error_t *err, int *rc)
{
    json_error_t local;
    json_error_t *e = err ? err : &local;
    json_t *v = json_loadb(data, len, flags, e);
    if (v) {
        *rc = GP_OK;
        return v;
    }
    if (json_error_code(e) == json_error_out_of_memory || (e->text[0] == '\0' && e->line == -1)) {
        *rc = GP_ERR_NOMEM;
        return NULL;
    }
    json_t *again = json_loadb(data, len, flags, NULL);
    *rc = again ? GP_ERR_NOMEM : GP_ERR_BAD_JSON;
    json_decref(again);
    return NULL;
}
