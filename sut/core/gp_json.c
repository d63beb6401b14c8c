/* gp_json.c: see gp_json.h. */
#include "gp_json.h"

#include <stdlib.h>

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
