/* gp_rx.h: regular expressions with named groups, for the patterns a
 * protocol profile gives for a server's log lines.
 *
 * The syntax is POSIX extended (regcomp REG_EXTENDED), plus named groups
 * written as in PCRE, "(?<id>[^ ]+)", so that a pattern says which group is
 * the connection id without counting parentheses.  The names are turned into
 * group numbers, the pattern into plain ERE.  Lines are searched, not
 * anchored (use ^ and $).  Each pattern keeps its longest literal run and
 * looks for it with strstr before running the regex: most log lines match
 * none of a profile's patterns, and are thrown out at that cost. */
#ifndef GP_RX_H
#define GP_RX_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define GP_RX_GROUPS_MAX 9

typedef struct gp_rx {
    regex_t re;
    bool ready;
    char literal[64];           /* must occur in any match ("" when none known) */
    char names[GP_RX_GROUPS_MAX + 1][16]; /* names[g]: group g's name, "" unnamed */
    size_t groups;              /* capture groups in the pattern */
} gp_rx;

/* Compiles pattern.  Returns GP_OK, or GP_ERR_INVALID_ARG with what is
 * wrong (regcomp's message, a bad group name, too many groups) in err. */
int gp_rx_compile(gp_rx *rx, const char *pattern, char *err, size_t err_len);
void gp_rx_free(gp_rx *rx);

/* The group number of `name`, or -1. */
int gp_rx_group(const gp_rx *rx, const char *name);

/* Searches text; on a match fills m (GP_RX_GROUPS_MAX + 1 entries) and
 * returns true. */
bool gp_rx_match(const gp_rx *rx, const char *text, regmatch_t *m);

/* Copies group `name` of a match into out ("" when the group did not take
 * part).  False when the group is unknown or longer than out. */
bool gp_rx_take(const gp_rx *rx, const char *text, const regmatch_t *m, const char *name,
                char *out, size_t out_len);

#endif
