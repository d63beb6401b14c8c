/* gp_prom.c: the Prometheus text format parser and the expression evaluator
 * of gp_prom.h.
 *
 * Storage: the series sit in one growing array; every string and label
 * array lives in an arena of large blocks, so a scrape of thousands of
 * series costs a few allocations and gp_prom_free walks a short list.
 *
 * Numbers go through strtod, which reads the decimal point of the C locale:
 * a program that sets LC_NUMERIC to a comma locale gets loud parse errors,
 * not wrong values (the '.' would be left over and refused). */
#include "gp_prom.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

#define GP_PROM_BLOCK_BYTES (64 * 1024)
#define GP_PROM_NUMBER_LEN_MAX 64

typedef struct gp_prom_label {
    const char *name;
    const char *value;
} gp_prom_label;

typedef struct gp_prom_series {
    const char *name;
    gp_prom_label *labels; /* sorted by name */
    size_t label_count;
    double value;
    long long ts_ms;
    bool has_ts;
    size_t line;
} gp_prom_series;

typedef struct gp_prom_block {
    struct gp_prom_block *next;
    size_t used, cap;
    max_align_t data[]; /* the bytes, aligned for anything */
} gp_prom_block;

struct gp_prom {
    gp_prom_series *series;
    size_t count, cap;
    gp_prom_block *blocks;
};

static void gp_prom_errf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gp_prom_errf(char *err, size_t err_len, const char *fmt, ...)
{
    if (err == NULL || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* n bytes from the arena (aligned to 16), or NULL when out of memory. */
static void *gp_prom_alloc(gp_prom *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    gp_prom_block *b = p->blocks;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > GP_PROM_BLOCK_BYTES ? n : GP_PROM_BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = p->blocks;
        p->blocks = b;
    }
    void *r = (char *)b->data + b->used;
    b->used += n;
    return r;
}

static char *gp_prom_strndup(gp_prom *p, const char *s, size_t n)
{
    char *d = gp_prom_alloc(p, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void gp_prom_free(gp_prom *p)
{
    if (p == NULL)
        return;
    while (p->blocks != NULL) {
        gp_prom_block *next = p->blocks->next;
        free(p->blocks);
        p->blocks = next;
    }
    free(p->series);
    free(p);
}

/* ---- parsing ---------------------------------------------------------- */

/* One line being read.  `s` is the line without its end; errors report
 * line and column. */
typedef struct gp_prom_line {
    const char *s;
    size_t n, i, line;
    char *scratch; /* room for n + 1 bytes: an unescaped value */
    char *err;
    size_t err_len;
} gp_prom_line;

static int gp_prom_line_err(const gp_prom_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int gp_prom_line_err(const gp_prom_line *l, const char *fmt, ...)
{
    if (l->err != NULL && l->err_len > 0) {
        int k = snprintf(l->err, l->err_len, "line %zu, column %zu: ", l->line, l->i + 1);
        if (k >= 0 && (size_t)k < l->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(l->err + k, l->err_len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return GP_ERR_INVALID_ARG;
}

static bool gp_prom_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void gp_prom_skip_blanks(gp_prom_line *l)
{
    while (l->i < l->n && gp_prom_blank(l->s[l->i]))
        l->i++;
}

static bool gp_prom_name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* Length of the metric name (colon true) or label name at l->i; 0 if none. */
static size_t gp_prom_name_len(const gp_prom_line *l, bool colon)
{
    size_t k = l->i;
    while (k < l->n && gp_prom_name_char(l->s[k], k == l->i, colon))
        k++;
    return k - l->i;
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
static bool gp_prom_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t more;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            more = 1, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= more)
            return false;
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += more + 1;
    }
    return true;
}

/* Reads a quoted label value at l->i (on the opening quote) into
 * l->scratch, unescaping \\ \" \n.  Sets *len. */
static int gp_prom_read_label_value(gp_prom_line *l, size_t *len)
{
    if (l->i >= l->n || l->s[l->i] != '"')
        return gp_prom_line_err(l, "expected '\"' to open the label value");
    size_t open = l->i++, w = 0;
    while (l->i < l->n && l->s[l->i] != '"') {
        char c = l->s[l->i];
        if (c == '\\') {
            char e = l->i + 1 < l->n ? l->s[l->i + 1] : '\0';
            if (e != '\\' && e != '"' && e != 'n')
                return gp_prom_line_err(l, "invalid escape in a label value (only \\\\, \\\" and \\n)");
            c = e == 'n' ? '\n' : e;
            l->i++;
        }
        l->scratch[w++] = c;
        l->i++;
    }
    if (l->i >= l->n) {
        l->i = open;
        return gp_prom_line_err(l, "label value not closed by '\"'");
    }
    l->i++;
    if (!gp_prom_utf8_valid((const unsigned char *)l->scratch, w)) {
        l->i = open;
        return gp_prom_line_err(l, "label value is not valid UTF-8");
    }
    l->scratch[w] = '\0';
    *len = w;
    return GP_OK;
}

static int gp_prom_label_cmp(const void *a, const void *b)
{
    return strcmp(((const gp_prom_label *)a)->name, ((const gp_prom_label *)b)->name);
}

/* Reads {name="value",...} at l->i (on '{') into s's labels. */
static int gp_prom_read_labels(gp_prom *p, gp_prom_line *l, gp_prom_series *s)
{
    gp_prom_label labels[GP_PROM_LABELS_MAX];
    size_t count = 0;
    l->i++; /* '{' */
    for (;;) {
        gp_prom_skip_blanks(l);
        if (l->i < l->n && l->s[l->i] == '}')
            break;
        size_t name_len = gp_prom_name_len(l, false);
        if (name_len == 0)
            return gp_prom_line_err(l, l->i >= l->n ? "labels not closed by '}'"
                                                    : "expected a label name or '}'");
        if (name_len == 8 && memcmp(l->s + l->i, "__name__", 8) == 0)
            return gp_prom_line_err(l, "label name __name__ is reserved");
        if (count == GP_PROM_LABELS_MAX)
            return gp_prom_line_err(l, "more than %d labels", GP_PROM_LABELS_MAX);
        const char *name = gp_prom_strndup(p, l->s + l->i, name_len);
        l->i += name_len;
        gp_prom_skip_blanks(l);
        if (l->i >= l->n || l->s[l->i] != '=')
            return gp_prom_line_err(l, "expected '=' after the label name");
        l->i++;
        gp_prom_skip_blanks(l);
        size_t value_len = 0;
        int rc = gp_prom_read_label_value(l, &value_len);
        if (rc != GP_OK)
            return rc;
        const char *value = gp_prom_strndup(p, l->scratch, value_len);
        if (name == NULL || value == NULL)
            return GP_ERR_NOMEM;
        labels[count++] = (gp_prom_label){name, value};
        gp_prom_skip_blanks(l);
        if (l->i < l->n && l->s[l->i] == ',') {
            l->i++;
            continue;
        }
        if (l->i < l->n && l->s[l->i] == '}')
            break;
        return gp_prom_line_err(l, "expected ',' or '}' after a label");
    }
    l->i++; /* '}' */
    qsort(labels, count, sizeof labels[0], gp_prom_label_cmp);
    for (size_t k = 1; k < count; k++)
        if (strcmp(labels[k - 1].name, labels[k].name) == 0)
            return gp_prom_line_err(l, "label %s appears twice", labels[k].name);
    s->label_count = count;
    if (count == 0)
        return GP_OK;
    s->labels = gp_prom_alloc(p, count * sizeof labels[0]);
    if (s->labels == NULL)
        return GP_ERR_NOMEM;
    memcpy(s->labels, labels, count * sizeof labels[0]);
    return GP_OK;
}

/* Length of the token at l->i (up to a blank or the end). */
static size_t gp_prom_token_len(const gp_prom_line *l)
{
    size_t k = l->i;
    while (k < l->n && !gp_prom_blank(l->s[k]))
        k++;
    return k - l->i;
}

/* A sample value: what Go's strconv.ParseFloat reads (strtod, whole token). */
static int gp_prom_read_value(gp_prom_line *l, double *v)
{
    size_t n = gp_prom_token_len(l);
    if (n == 0)
        return gp_prom_line_err(l, "expected a value after the metric");
    char buf[GP_PROM_NUMBER_LEN_MAX + 1];
    char *end = buf;
    if (n <= GP_PROM_NUMBER_LEN_MAX) {
        memcpy(buf, l->s + l->i, n);
        buf[n] = '\0';
        *v = strtod(buf, &end);
    }
    /* strtod would also skip leading white space and read "nan(...)" */
    if (n > GP_PROM_NUMBER_LEN_MAX || end != buf + n || strchr(buf, '(') != NULL ||
        !(buf[0] == '+' || buf[0] == '-' || buf[0] == '.' || (buf[0] >= '0' && buf[0] <= '9') ||
          buf[0] == 'I' || buf[0] == 'i' || buf[0] == 'N' || buf[0] == 'n'))
        return gp_prom_line_err(l, "value '%.*s' is not a number", (int)(n > 40 ? 40 : n),
                                l->s + l->i);
    l->i += n;
    return GP_OK;
}

/* An optional timestamp: an integer count of milliseconds. */
static int gp_prom_read_timestamp(gp_prom_line *l, gp_prom_series *s)
{
    size_t n = gp_prom_token_len(l);
    if (n == 0)
        return GP_OK;
    size_t k = l->s[l->i] == '-' ? 1 : 0;
    bool digits = k < n && n <= 20;
    for (; digits && k < n; k++)
        digits = l->s[l->i + k] >= '0' && l->s[l->i + k] <= '9';
    char buf[24];
    char *end = buf;
    if (digits) {
        memcpy(buf, l->s + l->i, n);
        buf[n] = '\0';
        errno = 0;
        s->ts_ms = strtoll(buf, &end, 10);
    }
    if (!digits || end != buf + n || errno == ERANGE)
        return gp_prom_line_err(l, "timestamp '%.*s' is not an integer (milliseconds)",
                                (int)(n > 40 ? 40 : n), l->s + l->i);
    s->has_ts = true;
    l->i += n;
    return GP_OK;
}

/* A sample line at l->i (on the metric name). */
static int gp_prom_read_sample(gp_prom *p, gp_prom_line *l)
{
    size_t name_len = gp_prom_name_len(l, true);
    if (name_len == 0)
        return gp_prom_line_err(l, "expected a metric name, a comment or a blank line");
    gp_prom_series s = {.line = l->line};
    s.name = gp_prom_strndup(p, l->s + l->i, name_len);
    if (s.name == NULL)
        return GP_ERR_NOMEM;
    l->i += name_len;
    gp_prom_skip_blanks(l);
    int rc = GP_OK;
    if (l->i < l->n && l->s[l->i] == '{') {
        rc = gp_prom_read_labels(p, l, &s);
        gp_prom_skip_blanks(l);
    }
    if (rc == GP_OK)
        rc = gp_prom_read_value(l, &s.value);
    if (rc == GP_OK) {
        gp_prom_skip_blanks(l);
        rc = gp_prom_read_timestamp(l, &s);
    }
    if (rc == GP_OK) {
        gp_prom_skip_blanks(l);
        if (l->i < l->n)
            rc = gp_prom_line_err(l, "unexpected text after the %s",
                                  s.has_ts ? "timestamp" : "value");
    }
    if (rc != GP_OK)
        return rc;
    if (p->count == p->cap) {
        size_t cap = p->cap == 0 ? 64 : p->cap * 2;
        gp_prom_series *grown = realloc(p->series, cap * sizeof *grown);
        if (grown == NULL)
            return GP_ERR_NOMEM;
        p->series = grown;
        p->cap = cap;
    }
    p->series[p->count++] = s;
    return GP_OK;
}

/* A '#' line at l->i (just after the '#'): HELP and TYPE are checked, any
 * other comment skipped. */
static int gp_prom_read_comment(gp_prom_line *l)
{
    gp_prom_skip_blanks(l);
    size_t word = gp_prom_token_len(l);
    bool help = word == 4 && memcmp(l->s + l->i, "HELP", 4) == 0;
    bool type = word == 4 && memcmp(l->s + l->i, "TYPE", 4) == 0;
    if (!help && !type)
        return GP_OK;
    l->i += 4;
    gp_prom_skip_blanks(l);
    if (l->i >= l->n)
        return GP_OK; /* "# HELP" alone: a comment, as Prometheus reads it */
    size_t name_len = gp_prom_name_len(l, true);
    if (name_len == 0 || (l->i + name_len < l->n && !gp_prom_blank(l->s[l->i + name_len])))
        return gp_prom_line_err(l, "expected a metric name after %s", help ? "HELP" : "TYPE");
    l->i += name_len;
    gp_prom_skip_blanks(l);
    if (help) {
        for (; l->i < l->n; l->i++)
            if (l->s[l->i] == '\\') {
                if (l->i + 1 >= l->n || (l->s[l->i + 1] != '\\' && l->s[l->i + 1] != 'n'))
                    return gp_prom_line_err(l, "invalid escape in HELP text (only \\\\ and \\n)");
                l->i++;
            }
        return GP_OK;
    }
    static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
    size_t n = gp_prom_token_len(l);
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (n == strlen(types[k]) && memcmp(l->s + l->i, types[k], n) == 0) {
            l->i += n;
            gp_prom_skip_blanks(l);
            if (l->i < l->n)
                return gp_prom_line_err(l, "unexpected text after the TYPE");
            return GP_OK;
        }
    return gp_prom_line_err(l, "unknown metric type '%.*s' (counter, gauge, histogram, "
                               "summary or untyped)",
                            (int)(n > 40 ? 40 : n), l->s + l->i);
}

static int gp_prom_read_line(gp_prom *p, gp_prom_line *l)
{
    if (memchr(l->s, '\0', l->n) != NULL) {
        l->i = (size_t)((const char *)memchr(l->s, '\0', l->n) - l->s);
        return gp_prom_line_err(l, "a NUL byte");
    }
    gp_prom_skip_blanks(l);
    if (l->i == l->n)
        return GP_OK;
    if (l->s[l->i] == '#') {
        l->i++;
        return gp_prom_read_comment(l);
    }
    return gp_prom_read_sample(p, l);
}

static int gp_prom_series_cmp(const void *a, const void *b)
{
    const gp_prom_series *x = *(const gp_prom_series *const *)a;
    const gp_prom_series *y = *(const gp_prom_series *const *)b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    if (x->label_count != y->label_count)
        return x->label_count < y->label_count ? -1 : 1;
    for (size_t k = 0; k < x->label_count; k++) {
        if ((c = strcmp(x->labels[k].name, y->labels[k].name)) != 0 ||
            (c = strcmp(x->labels[k].value, y->labels[k].value)) != 0)
            return c;
    }
    return 0;
}

static int gp_prom_series_line_cmp(const void *a, const void *b)
{
    int c = gp_prom_series_cmp(a, b);
    if (c != 0)
        return c;
    size_t la = (*(const gp_prom_series *const *)a)->line;
    size_t lb = (*(const gp_prom_series *const *)b)->line;
    return la < lb ? -1 : la > lb;
}

/* Writes s as name{label="value",...} (values escaped as in the text
 * format) into buf, cut short with "..." when it does not fit. */
static void gp_prom_series_text(const gp_prom_series *s, char *buf, size_t n)
{
    size_t w = 0;
    const size_t room = n - 4; /* for "..." and the NUL */
#define GP_PROM_PUT(c)                                                         \
    do {                                                                       \
        if (w < room)                                                          \
            buf[w] = (c);                                                      \
        w++;                                                                   \
    } while (0)
    for (const char *c = s->name; *c; c++)
        GP_PROM_PUT(*c);
    for (size_t k = 0; k < s->label_count; k++) {
        GP_PROM_PUT(k == 0 ? '{' : ',');
        for (const char *c = s->labels[k].name; *c; c++)
            GP_PROM_PUT(*c);
        GP_PROM_PUT('=');
        GP_PROM_PUT('"');
        for (const char *c = s->labels[k].value; *c; c++) {
            if (*c == '\\' || *c == '"' || *c == '\n')
                GP_PROM_PUT('\\');
            GP_PROM_PUT(*c == '\n' ? 'n' : *c);
        }
        GP_PROM_PUT('"');
    }
    if (s->label_count > 0)
        GP_PROM_PUT('}');
#undef GP_PROM_PUT
    if (w <= room)
        buf[w] = '\0';
    else
        memcpy(buf + room, "...", 4);
}

/* Refuses a series given twice, naming the earliest line that repeats one. */
static int gp_prom_check_repeats(const gp_prom *p, char *err, size_t err_len)
{
    if (p->count < 2)
        return GP_OK;
    const gp_prom_series **by = malloc(p->count * sizeof *by);
    if (by == NULL)
        return GP_ERR_NOMEM;
    for (size_t k = 0; k < p->count; k++)
        by[k] = &p->series[k];
    qsort(by, p->count, sizeof *by, gp_prom_series_line_cmp);
    const gp_prom_series *first = NULL, *again = NULL;
    for (size_t k = 1; k < p->count; k++)
        if (gp_prom_series_cmp(&by[k - 1], &by[k]) == 0 &&
            (again == NULL || by[k]->line < again->line)) {
            first = by[k - 1];
            again = by[k];
        }
    free(by);
    if (again == NULL)
        return GP_OK;
    char text[160];
    gp_prom_series_text(again, text, sizeof text);
    gp_prom_errf(err, err_len, "line %zu: series %s repeats the one on line %zu",
                 again->line, text, first->line);
    return GP_ERR_INVALID_ARG;
}

int gp_prom_parse(const char *text, size_t len, gp_prom **out, char *err,
                  size_t err_len)
{
    if (out != NULL)
        *out = NULL;
    if ((text == NULL && len > 0) || out == NULL) {
        gp_prom_errf(err, err_len, "no text to parse");
        return GP_ERR_INVALID_ARG;
    }
    gp_prom *p = calloc(1, sizeof *p);
    char *scratch = malloc(GP_PROM_LINE_LEN_MAX + 1);
    int rc = p == NULL || scratch == NULL ? GP_ERR_NOMEM : GP_OK;
    size_t pos = 0, line = 0;
    while (rc == GP_OK && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n > 0 && text[end - 1] == '\r')
            n--;
        gp_prom_line l = {.s = text + pos, .n = n, .line = ++line,
                          .scratch = scratch, .err = err, .err_len = err_len};
        if (n > GP_PROM_LINE_LEN_MAX)
            rc = gp_prom_line_err(&l, "line longer than %d bytes", GP_PROM_LINE_LEN_MAX);
        else
            rc = gp_prom_read_line(p, &l);
        pos = end + 1;
    }
    if (rc == GP_OK)
        rc = gp_prom_check_repeats(p, err, err_len);
    if (rc == GP_ERR_NOMEM)
        gp_prom_errf(err, err_len, "out of memory at line %zu", line);
    free(scratch);
    if (rc != GP_OK) {
        gp_prom_free(p);
        return rc;
    }
    *out = p;
    return GP_OK;
}

/* ---- accessors -------------------------------------------------------- */

size_t gp_prom_series_count(const gp_prom *p)
{
    return p == NULL ? 0 : p->count;
}

const char *gp_prom_series_name(const gp_prom *p, size_t i)
{
    return p == NULL || i >= p->count ? NULL : p->series[i].name;
}

double gp_prom_series_value(const gp_prom *p, size_t i)
{
    return p == NULL || i >= p->count ? NAN : p->series[i].value;
}

size_t gp_prom_series_label_count(const gp_prom *p, size_t i)
{
    return p == NULL || i >= p->count ? 0 : p->series[i].label_count;
}

int gp_prom_series_label(const gp_prom *p, size_t i, size_t j, const char **name,
                         const char **value)
{
    if (p == NULL || i >= p->count || j >= p->series[i].label_count)
        return 0;
    if (name != NULL)
        *name = p->series[i].labels[j].name;
    if (value != NULL)
        *value = p->series[i].labels[j].value;
    return 1;
}

/* ---- expressions ------------------------------------------------------ */

typedef enum { GP_PROM_EQ, GP_PROM_NE, GP_PROM_RE, GP_PROM_NRE } gp_prom_op;

typedef struct gp_prom_matcher {
    char *label; /* malloc'd */
    char *value; /* malloc'd, unescaped */
    gp_prom_op op;
    bool has_re;
    regex_t re; /* for =~ and !~, anchored */
} gp_prom_matcher;

/* The expression being read.  In a dry pass nothing is looked up, so that
 * a syntax error anywhere is reported before a missing series. */
typedef struct gp_prom_ev {
    const gp_prom *p;
    const char *s;
    size_t n, i;
    int depth;
    bool dry;
    char *err;
    size_t err_len;
} gp_prom_ev;

static int gp_prom_ev_err(const gp_prom_ev *ev, size_t at, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int gp_prom_ev_err(const gp_prom_ev *ev, size_t at, int rc, const char *fmt, ...)
{
    if (ev->err != NULL && ev->err_len > 0) {
        int k = snprintf(ev->err, ev->err_len, "column %zu: ", at + 1);
        if (k >= 0 && (size_t)k < ev->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ev->err + k, ev->err_len - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

static void gp_prom_ev_skip(gp_prom_ev *ev)
{
    while (ev->i < ev->n && (ev->s[ev->i] == ' ' || ev->s[ev->i] == '\t' ||
                             ev->s[ev->i] == '\n' || ev->s[ev->i] == '\r'))
        ev->i++;
}

static bool gp_prom_ev_at(gp_prom_ev *ev, char c)
{
    gp_prom_ev_skip(ev);
    return ev->i < ev->n && ev->s[ev->i] == c;
}

/* Length of the name at ev->i (metric name when colon, else label name). */
static size_t gp_prom_ev_name_len(const gp_prom_ev *ev, bool colon)
{
    size_t k = ev->i;
    while (k < ev->n && gp_prom_name_char(ev->s[k], k == ev->i, colon))
        k++;
    return k - ev->i;
}

/* A quoted string at ev->i into *out (malloc'd, unescaped). */
static int gp_prom_ev_string(gp_prom_ev *ev, char **out)
{
    char q = ev->i < ev->n ? ev->s[ev->i] : '\0';
    if (q != '"' && q != '\'' && q != '`')
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                              "expected a quoted string (\"...\")");
    size_t open = ev->i++, w = 0;
    char *buf = malloc(ev->n - ev->i + 1);
    if (buf == NULL)
        return GP_ERR_NOMEM;
    while (ev->i < ev->n && ev->s[ev->i] != q) {
        char c = ev->s[ev->i];
        if (c == '\\' && q != '`') {
            char e = ev->i + 1 < ev->n ? ev->s[ev->i + 1] : '\0';
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e != '\\' && e != '"' && e != '\'' && e != 'n' && e != 't') {
                free(buf);
                return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                                      "unknown escape in a string (\\\\ \\\" \\' \\n \\t)");
            }
            ev->i++;
        }
        buf[w++] = c;
        ev->i++;
    }
    if (ev->i >= ev->n) {
        free(buf);
        return gp_prom_ev_err(ev, open, GP_ERR_INVALID_ARG, "string not closed by %c", q);
    }
    ev->i++;
    buf[w] = '\0';
    *out = buf;
    return GP_OK;
}

static void gp_prom_matchers_free(gp_prom_matcher *m, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        free(m[k].label);
        free(m[k].value);
        if (m[k].has_re)
            regfree(&m[k].re);
    }
}

/* Compiles m's value as an anchored POSIX extended regular expression. */
static int gp_prom_ev_regex(gp_prom_ev *ev, gp_prom_matcher *m, size_t at)
{
    size_t n = strlen(m->value);
    char *anchored = malloc(n + 5);
    if (anchored == NULL)
        return GP_ERR_NOMEM;
    snprintf(anchored, n + 5, "^(%s)$", m->value);
    int e = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    if (e != 0) {
        char why[128];
        regerror(e, &m->re, why, sizeof why);
        return gp_prom_ev_err(ev, at, GP_ERR_INVALID_ARG,
                              "bad regular expression \"%s\": %s", m->value, why);
    }
    m->has_re = true;
    return GP_OK;
}

/* One matcher (label op string) at ev->i. */
static int gp_prom_ev_matcher(gp_prom_ev *ev, gp_prom_matcher *m)
{
    size_t len = gp_prom_ev_name_len(ev, false);
    if (len == 0)
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                              ev->i >= ev->n ? "selector not closed by '}'"
                                             : "expected a label name");
    m->label = malloc(len + 1);
    if (m->label == NULL)
        return GP_ERR_NOMEM;
    memcpy(m->label, ev->s + ev->i, len);
    m->label[len] = '\0';
    ev->i += len;
    gp_prom_ev_skip(ev);
    const char *o = ev->s + ev->i;
    size_t left = ev->n - ev->i;
    if (left >= 2 && o[0] == '=' && o[1] == '~')
        m->op = GP_PROM_RE;
    else if (left >= 2 && o[0] == '!' && o[1] == '~')
        m->op = GP_PROM_NRE;
    else if (left >= 2 && o[0] == '!' && o[1] == '=')
        m->op = GP_PROM_NE;
    else if (left >= 1 && o[0] == '=')
        m->op = GP_PROM_EQ;
    else
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                              "expected =, !=, =~ or !~ after label %s", m->label);
    ev->i += m->op == GP_PROM_EQ ? 1 : 2;
    gp_prom_ev_skip(ev);
    size_t at = ev->i;
    int rc = gp_prom_ev_string(ev, &m->value);
    if (rc == GP_OK && (m->op == GP_PROM_RE || m->op == GP_PROM_NRE))
        rc = gp_prom_ev_regex(ev, m, at);
    return rc;
}

/* The value of a label of s ("" when s has no such label). */
static const char *gp_prom_label_of(const gp_prom_series *s, const char *label)
{
    if (strcmp(label, "__name__") == 0)
        return s->name;
    for (size_t k = 0; k < s->label_count; k++)
        if (strcmp(s->labels[k].name, label) == 0)
            return s->labels[k].value;
    return "";
}

static bool gp_prom_matches(const gp_prom_series *s, const char *name,
                            const gp_prom_matcher *m, size_t count)
{
    if (name != NULL && strcmp(s->name, name) != 0)
        return false;
    for (size_t k = 0; k < count; k++) {
        const char *v = gp_prom_label_of(s, m[k].label);
        bool hit = m[k].has_re ? regexec(&m[k].re, v, 0, NULL, 0) == 0
                               : strcmp(v, m[k].value) == 0;
        if (hit != (m[k].op == GP_PROM_EQ || m[k].op == GP_PROM_RE))
            return false;
    }
    return true;
}

/* Sums the series a selector matches; none is GP_ERR_NOT_FOUND. */
static int gp_prom_ev_sum(gp_prom_ev *ev, const char *name, const gp_prom_matcher *m,
                          size_t count, size_t start, double *v)
{
    double sum = 0;
    size_t hits = 0, named = 0;
    for (size_t k = 0; k < ev->p->count; k++) {
        const gp_prom_series *s = &ev->p->series[k];
        named += name != NULL && strcmp(s->name, name) == 0;
        if (gp_prom_matches(s, name, m, count)) {
            sum += s->value;
            hits++;
        }
    }
    if (hits > 0) {
        *v = sum;
        return GP_OK;
    }
    int len = (int)(ev->i - start);
    if (name == NULL)
        return gp_prom_ev_err(ev, start, GP_ERR_NOT_FOUND, "no series matches %.*s", len,
                              ev->s + start);
    if (named == 0)
        return gp_prom_ev_err(ev, start, GP_ERR_NOT_FOUND,
                              "no series matches %.*s (no metric named %s)", len,
                              ev->s + start, name);
    return gp_prom_ev_err(ev, start, GP_ERR_NOT_FOUND,
                          "no series matches %.*s (%zu series named %s, none with "
                          "those labels)",
                          len, ev->s + start, named, name);
}

/* A selector at ev->i: name (may be NULL) already read from start. */
static int gp_prom_ev_selector(gp_prom_ev *ev, char *name, size_t start, double *v)
{
    gp_prom_matcher m[GP_PROM_LABELS_MAX];
    size_t count = 0;
    int rc = GP_OK;
    size_t after_name = ev->i;
    if (gp_prom_ev_at(ev, '{')) {
        ev->i++;
        while (rc == GP_OK && !gp_prom_ev_at(ev, '}')) {
            if (count == GP_PROM_LABELS_MAX) {
                rc = gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                                    "more than %d matchers", GP_PROM_LABELS_MAX);
                break;
            }
            memset(&m[count], 0, sizeof m[count]);
            rc = gp_prom_ev_matcher(ev, &m[count++]);
            if (rc == GP_OK && gp_prom_ev_at(ev, ','))
                ev->i++;
            else if (rc == GP_OK && !gp_prom_ev_at(ev, '}'))
                rc = gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                                    ev->i >= ev->n ? "selector not closed by '}'"
                                                   : "expected ',' or '}' after a matcher");
        }
        if (rc == GP_OK)
            ev->i++; /* '}' */
    } else {
        ev->i = after_name;
    }
    if (rc == GP_OK && name == NULL && count == 0)
        rc = gp_prom_ev_err(ev, start, GP_ERR_INVALID_ARG,
                            "a selector needs a metric name or a matcher");
    if (rc == GP_OK && !ev->dry)
        rc = gp_prom_ev_sum(ev, name, m, count, start, v);
    gp_prom_matchers_free(m, count);
    return rc;
}

static int gp_prom_ev_expr(gp_prom_ev *ev, double *v);

/* "(" expr ")" with ev->i on the '('. */
static int gp_prom_ev_group(gp_prom_ev *ev, const char *what, double *v)
{
    size_t open = ev->i++;
    if (++ev->depth > GP_PROM_EXPR_DEPTH_MAX)
        return gp_prom_ev_err(ev, open, GP_ERR_TOO_LONG, "nested deeper than %d",
                              GP_PROM_EXPR_DEPTH_MAX);
    int rc = gp_prom_ev_expr(ev, v);
    if (rc != GP_OK)
        return rc;
    if (!gp_prom_ev_at(ev, ')'))
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                              "expected ')' to close the %s at column %zu", what, open + 1);
    ev->i++;
    ev->depth--;
    return GP_OK;
}

/* A decimal number at ev->i. */
static int gp_prom_ev_number(gp_prom_ev *ev, double *v)
{
    size_t k = ev->i, digits = 0;
    while (k < ev->n && ev->s[k] >= '0' && ev->s[k] <= '9')
        k++, digits++;
    if (k < ev->n && ev->s[k] == '.')
        for (k++; k < ev->n && ev->s[k] >= '0' && ev->s[k] <= '9'; k++)
            digits++;
    if (digits > 0 && k < ev->n && (ev->s[k] == 'e' || ev->s[k] == 'E')) {
        size_t e = k + 1;
        if (e < ev->n && (ev->s[e] == '+' || ev->s[e] == '-'))
            e++;
        if (e < ev->n && ev->s[e] >= '0' && ev->s[e] <= '9') {
            while (e < ev->n && ev->s[e] >= '0' && ev->s[e] <= '9')
                e++;
            k = e;
        }
    }
    char buf[GP_PROM_NUMBER_LEN_MAX + 1];
    if (digits == 0 || k - ev->i > GP_PROM_NUMBER_LEN_MAX)
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG, "not a number");
    memcpy(buf, ev->s + ev->i, k - ev->i);
    buf[k - ev->i] = '\0';
    *v = strtod(buf, NULL);
    ev->i = k;
    return GP_OK;
}

/* A term: [sign] (number | selector | sum(expr) | (expr)). */
static int gp_prom_ev_term(gp_prom_ev *ev, double *v)
{
    double sign = 1;
    if (gp_prom_ev_at(ev, '-') || gp_prom_ev_at(ev, '+')) {
        sign = ev->s[ev->i] == '-' ? -1 : 1;
        ev->i++;
        gp_prom_ev_skip(ev);
    }
    if (ev->i >= ev->n)
        return gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                              "unexpected end: expected a number, a selector, sum( or (");
    char c = ev->s[ev->i];
    size_t start = ev->i;
    int rc;
    double t = 0;
    if ((c >= '0' && c <= '9') || c == '.') {
        rc = gp_prom_ev_number(ev, &t);
    } else if (c == '(') {
        rc = gp_prom_ev_group(ev, "'('", &t);
    } else if (c == '{') {
        rc = gp_prom_ev_selector(ev, NULL, start, &t);
    } else if (gp_prom_name_char(c, true, true)) {
        size_t len = gp_prom_ev_name_len(ev, true);
        char *name = malloc(len + 1);
        if (name == NULL)
            return GP_ERR_NOMEM;
        memcpy(name, ev->s + ev->i, len);
        name[len] = '\0';
        ev->i += len;
        size_t after = ev->i;
        bool is_sum = strcmp(name, "sum") == 0;
        if (gp_prom_ev_at(ev, '(')) {
            rc = is_sum ? gp_prom_ev_group(ev, "sum(", &t)
                        : gp_prom_ev_err(ev, start, GP_ERR_INVALID_ARG,
                                         "function %s() is not supported (only sum)", name);
        } else if (is_sum && gp_prom_ev_name_len(ev, false) > 0) {
            rc = gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                                "sum by/without is not supported: sum(...) adds every "
                                "matching series");
        } else {
            ev->i = after;
            rc = gp_prom_ev_selector(ev, name, start, &t);
        }
        free(name);
    } else {
        rc = gp_prom_ev_err(ev, start, GP_ERR_INVALID_ARG,
                            "expected a number, a selector, sum( or (, not '%c'", c);
    }
    if (rc == GP_OK)
        *v = sign * t;
    return rc;
}

static int gp_prom_ev_expr(gp_prom_ev *ev, double *v)
{
    int rc = gp_prom_ev_term(ev, v);
    while (rc == GP_OK && (gp_prom_ev_at(ev, '+') || gp_prom_ev_at(ev, '-'))) {
        char op = ev->s[ev->i++];
        double t = 0;
        rc = gp_prom_ev_term(ev, &t);
        if (rc == GP_OK)
            *v = op == '+' ? *v + t : *v - t;
    }
    return rc;
}

/* One pass over the whole expression. */
static int gp_prom_ev_run(gp_prom_ev *ev, double *v)
{
    ev->i = 0;
    ev->depth = 0;
    int rc = gp_prom_ev_expr(ev, v);
    if (rc == GP_OK) {
        gp_prom_ev_skip(ev);
        if (ev->i < ev->n)
            rc = gp_prom_ev_err(ev, ev->i, GP_ERR_INVALID_ARG,
                                ev->s[ev->i] == ')' ? "')' without a matching '('"
                                                    : "expected '+', '-' or the end");
    }
    return rc;
}

int gp_prom_eval(const gp_prom *p, const char *expr, double *out, char *err,
                 size_t err_len)
{
    if (p == NULL || expr == NULL || out == NULL) {
        gp_prom_errf(err, err_len, "no metrics or no expression");
        return GP_ERR_INVALID_ARG;
    }
    size_t n = strlen(expr);
    if (n > GP_PROM_EXPR_LEN_MAX) {
        gp_prom_errf(err, err_len, "expression longer than %d bytes", GP_PROM_EXPR_LEN_MAX);
        return GP_ERR_TOO_LONG;
    }
    gp_prom_ev ev = {.p = p, .s = expr, .n = n, .dry = true, .err = err, .err_len = err_len};
    double v = 0;
    int rc = gp_prom_ev_run(&ev, &v);
    if (rc == GP_OK) {
        ev.dry = false;
        rc = gp_prom_ev_run(&ev, &v);
    }
    if (rc == GP_ERR_NOMEM)
        gp_prom_errf(err, err_len, "out of memory");
    if (rc == GP_OK)
        *out = v;
    return rc;
}
