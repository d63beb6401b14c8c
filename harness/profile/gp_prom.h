/* gp_prom.h: Prometheus text exposition format 0.0.4, parsed, and a tiny
 * PromQL subset evaluated over it.
 *
 * A protocol profile maps goldpath's notions (connections open, runs done,
 * runs failed) onto the /metrics of a server goldpath did not write, with
 * expressions such as
 *     chat_ws_runs_total{outcome="done"} + chat_ws_runs_total{outcome="failed"}
 * goldpath scrapes /metrics before and after a run, parses each scrape here
 * and evaluates the mapping on both.  No I/O: the caller brings the text.
 *
 * Parsing follows the format's rules as Prometheus's own text parser does:
 * "# HELP name text" and "# TYPE name type" lines (other '#' lines are
 * comments), samples `name{label="value",...} value [timestamp_ms]` with
 * or without labels, label values with the escapes \\ \" \n, values
 * Go-style (decimal, exponent, +Inf, -Inf, NaN), blank lines ignored.
 * Histogram and summary samples (_bucket, _sum, _count, quantile) are plain
 * samples.  A sample that repeats a series (same name, same labels) is an
 * error: summed twice it would count twice.
 *
 * The expression language:
 *     expr     := term { ("+" | "-") term }
 *     term     := ["+" | "-"] ( number | selector | "sum" "(" expr ")" | "(" expr ")" )
 *     selector := name [ "{" [ matcher { "," matcher } [","] ] "}" ]
 *               | "{" matcher { "," matcher } [","] "}"
 *     matcher  := label ( "=" | "!=" | "=~" | "!~" ) string
 * A selector's value is the sum of every series it matches; a selector that
 * matches nothing is an error (GP_ERR_NOT_FOUND), so that a mapping to a
 * metric the server does not expose fails instead of reading 0.  sum(...) is
 * therefore the identity, accepted because people write it.  Matching works
 * as in PromQL: a missing label has the value "", regular expressions are
 * POSIX extended (not RE2) anchored at both ends, the label "__name__" is the
 * metric name.  Strings are in double quotes, single quotes (escapes \\ \"
 * \' \n \t) or backquotes (raw).  Numbers are decimal (1, 2.5, 1e3).  No
 * other PromQL (by, rate, offsets, *, /) is accepted.
 *
 * Threads: a gp_prom is immutable once parsed; any number of threads may
 * evaluate over one at once. */
#ifndef GP_PROM_H
#define GP_PROM_H

#include <stddef.h>

/* Limits on what is accepted (each a line or a column in the error). */
#define GP_PROM_LINE_LEN_MAX 65536  /* bytes per exposition line */
#define GP_PROM_LABELS_MAX 64       /* labels per series */
#define GP_PROM_EXPR_LEN_MAX 4096   /* bytes per expression */
#define GP_PROM_EXPR_DEPTH_MAX 32   /* nested sum( and ( */

typedef struct gp_prom gp_prom;

/* Parses text[0..len) (a /metrics body; need not be NUL-terminated; a final
 * line without '\n' and a '\r' before '\n' are accepted).  On GP_OK, *out is
 * a new gp_prom that owns copies of everything it needs (free with
 * gp_prom_free); text may be freed at once.  On failure *out is NULL and err
 * (err_len bytes, may be NULL) says "line N, column C: what is wrong".
 * Returns GP_OK, GP_ERR_INVALID_ARG (a malformed line, a repeated series,
 * NULL arguments), GP_ERR_NOMEM. */
int gp_prom_parse(const char *text, size_t len, gp_prom **out, char *err,
                  size_t err_len);

/* Frees p.  NULL is allowed. */
void gp_prom_free(gp_prom *p);

/* Evaluates expr (the grammar above) over p into *out.  Returns GP_OK;
 * GP_ERR_NOT_FOUND when a selector matches no series (err names the
 * selector as written, and says when series of that name exist with other
 * labels); GP_ERR_INVALID_ARG for a syntax error or a bad regular expression
 * (err gives the 1-based column) or NULL arguments; GP_ERR_TOO_LONG for an
 * expression longer than GP_PROM_EXPR_LEN_MAX or nested deeper than
 * GP_PROM_EXPR_DEPTH_MAX; GP_ERR_NOMEM.  *out is set only on GP_OK. */
int gp_prom_eval(const gp_prom *p, const char *expr, double *out, char *err,
                 size_t err_len);

/* The series, in the order of the text. */
size_t gp_prom_series_count(const gp_prom *p);

/* Series i's metric name (several series share a name when their labels
 * differ), or NULL when i >= gp_prom_series_count(p).  Borrowed: valid until
 * gp_prom_free(p). */
const char *gp_prom_series_name(const gp_prom *p, size_t i);

/* Series i's value (NaN when i is out of range). */
double gp_prom_series_value(const gp_prom *p, size_t i);

/* Series i's label count (0 when i is out of range). */
size_t gp_prom_series_label_count(const gp_prom *p, size_t i);

/* Series i's label j, in label-name order: sets *name and *value (borrowed,
 * valid until gp_prom_free) and returns 1, or returns 0 when i or j is out of
 * range. */
int gp_prom_series_label(const gp_prom *p, size_t i, size_t j, const char **name,
                         const char **value);

#endif
