/* gp_suggest.h: "did you mean": the known name closest to a mistyped one.
 * Shared by goldpath's command line (commands, options, scenario fields) and
 * goldpath-server's flags.  Pure: no I/O. */
#ifndef GP_SUGGEST_H
#define GP_SUGGEST_H

#include <stddef.h>

/* The name of names[0..count) closest to `typo` by edit distance (insert,
 * delete, substitute, or swap two neighbours: one each), when it is close
 * enough to be a likely typo: at most 1 edit for names up to 4 characters, 2
 * up to 9, 3 beyond, and fewer than the typo's own length.  NULL when none
 * is (or typo is NULL).  Ties go to the first in the table. */
const char *gp_suggest(const char *typo, const char *const *names, size_t count);

/* Edit distance of a and b as above, capped at cap + 1 (cheaper). */
size_t gp_suggest_distance(const char *a, const char *b, size_t cap);

#endif
