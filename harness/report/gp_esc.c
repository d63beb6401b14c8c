/* gp_esc.c: escaping for HTML/XML, gnuplot, CSV and the shell; see
 * gp_esc.h. */
#include "gp_esc.h"

#include <string.h>

void gp_esc_xml(FILE *out, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                fputc('?', out);
            else
                fputc(c, out);
        }
    }
}

void gp_esc_gnuplot(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\'')
            fputs("''", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void gp_esc_csv(FILE *out, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Appends c to out[0..*n) when it fits, keeping room for the NUL. */
static void put(char *out, size_t out_len, size_t *n, char c)
{
    if (*n + 1 < out_len)
        out[(*n)++] = c;
}

void gp_esc_shell(const char *s, char *out, size_t out_len)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_.,/:=+-@%";
    if (out_len == 0)
        return;
    if (*s && strspn(s, plain) == strlen(s)) {
        snprintf(out, out_len, "%s", s);
        return;
    }
    size_t n = 0;
    put(out, out_len, &n, '\'');
    for (; *s; s++) {
        if (*s == '\'') {
            put(out, out_len, &n, '\'');
            put(out, out_len, &n, '\\');
            put(out, out_len, &n, '\'');
        }
        put(out, out_len, &n, *s);
    }
    put(out, out_len, &n, '\'');
    out[n] = '\0';
}
