/* gp_csv.c: a small CSV reader for report folders; see gp_csv.h. */
#include "gp_csv.h"
#include "gp_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gp_csv_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *r = line, *w = line;
    if (max == 0)
        return 0;
    for (;;) {
        char *start = w;
        if (*r == '"') {
            r++;
            while (*r) {
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r && *r != ',' && *r != '\n' && *r != '\r')
            *w++ = *r++;
        char end = *r;
        *w = '\0';
        if (n < max)
            fields[n++] = start;
        if (end != ',')
            break;
        r++;
        w++;
        /* w may trail r after unquoting; keep writing where we read next */
        if (w < r)
            w = r;
    }
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        errno = failed ? EIO : ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int gp_csv_load(gp_csv *t, const char *path, char *err, size_t err_len)
{
    memset(t, 0, sizeof(*t));
    size_t len = 0;
    t->buf = slurp(path, &len);
    if (!t->buf) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return GP_ERR_IO;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += t->buf[i] == '\n';
    char *field_tmp[256];
    size_t cap_rows = lines;
    for (char *p = t->buf, *next; p && *p; p = next) {
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        if (*p == '#' || *p == '\0' || *p == '\r')
            continue;
        size_t nf = gp_csv_split(p, field_tmp, 256);
        if (!t->cells) {
            t->ncols = nf;
            t->cells = calloc(cap_rows * nf + 1, sizeof(char *));
            if (!t->cells) {
                snprintf(err, err_len, "%s: out of memory", path);
                gp_csv_free(t);
                return GP_ERR_IO;
            }
        } else {
            t->nrows++;
        }
        char **row = t->cells + t->nrows * t->ncols;
        for (size_t c = 0; c < t->ncols; c++)
            row[c] = c < nf ? field_tmp[c] : "";
    }
    if (!t->cells) {
        snprintf(err, err_len, "%s: empty (no header line)", path);
        gp_csv_free(t);
        return GP_ERR_IO;
    }
    return 0;
}

void gp_csv_free(gp_csv *t)
{
    free(t->cells);
    free(t->buf);
    memset(t, 0, sizeof(*t));
}

int gp_csv_col(const gp_csv *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cells[c], name) == 0)
            return (int)c;
    return -1;
}

const char *gp_csv_cell(const gp_csv *t, size_t row, int col)
{
    if (col < 0 || (size_t)col >= t->ncols || row >= t->nrows)
        return "";
    return t->cells[(row + 1) * t->ncols + (size_t)col];
}

double gp_csv_num(const gp_csv *t, size_t row, int col)
{
    const char *s = gp_csv_cell(t, row, col);
    char *end = NULL;
    double v = strtod(s, &end);
    return end == s ? 0.0 : v;
}
