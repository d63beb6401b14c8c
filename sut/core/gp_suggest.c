/* gp_suggest.c: see gp_suggest.h.  Optimal string alignment distance over
 * bytes, with a row cap so that far names cost little. */
#include "gp_suggest.h"

#include <string.h>

#define GP_SUGGEST_LEN_MAX 128

size_t gp_suggest_distance(const char *a, const char *b, size_t cap)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > GP_SUGGEST_LEN_MAX || m > GP_SUGGEST_LEN_MAX)
        return cap + 1;
    if ((n > m ? n - m : m - n) > cap)
        return cap + 1;
    size_t rows[3][GP_SUGGEST_LEN_MAX + 1];
    size_t *two = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        size_t best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                two[j - 2] + 1 < d)
                d = two[j - 2] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > cap)
            return cap + 1;
        size_t *t = two;
        two = prev;
        prev = cur;
        cur = t;
    }
    return prev[m] > cap ? cap + 1 : prev[m];
}

const char *gp_suggest(const char *typo, const char *const *names, size_t count)
{
    if (!typo || !*typo)
        return NULL;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t k = 0; k < count; k++) {
        size_t len = strlen(names[k]);
        size_t cap = len <= 4 ? 1 : len <= 9 ? 2 : 3;
        if (cap >= strlen(typo))
            cap = strlen(typo) - 1;
        size_t d = gp_suggest_distance(typo, names[k], cap);
        if (d <= cap && d < best_d && d > 0) {
            best = names[k];
            best_d = d;
        }
    }
    return best;
}
