/* gp_html.c: shared HTML page parts; see gp_html.h. */
#include "gp_html.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "gp_esc.h"

/* The project's version, from CMake (harness/report/CMakeLists.txt): the
 * one `goldpath --version` prints. */
#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

const char *gp_html_version(void)
{
    return GP_VERSION;
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}\n"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;"
    "border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.92em}\n"
    "th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.88em}\n"
    "code{background:#f6f6f6;padding:0 .2em;overflow-wrap:anywhere}\n"
    "td.check code{white-space:nowrap}td.replay{font-size:.85em;width:34%}\n"
    "pre{background:#f6f6f6;border:1px solid #e2e2e2;padding:.6em;overflow-x:auto}\n"
    ".passed{background:#e6f4e6;color:#17622a;font-weight:bold}\n"
    ".failed{background:#fbe4e4;color:#a01515;font-weight:bold}\n"
    ".skipped{background:#f0f0f0;color:#666}\n"
    ".badge{display:inline-block;padding:.15em .6em;border-radius:.3em}\n"
    ".nw{white-space:nowrap}.muted{color:#777}.note{background:#fff8e1;border:1px solid #f0dc9a;padding:.5em}\n"
    "figure{margin:1em 0}figure img{width:100%;max-width:100%;height:auto;border:1px solid #eee}\n"
    "code.cmd{overflow-wrap:anywhere}.flag{white-space:nowrap}\n"
    ".edited{background:#fff3cd;color:#7a5b00;font-weight:bold;font-size:.85em}\n"
    "figcaption{font-size:.9em;color:#555}\n";

void gp_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    gp_esc_xml(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
}

void gp_html_end(FILE *f)
{
    fputs("<p class=\"muted\">Written by goldpath " GP_VERSION ". This page and the files next "
          "to it open from disk; it loads nothing else.</p>\n</body>\n</html>\n",
          f);
}

/* The next word of a shell command at *p (a single-quoted part may hold
 * spaces), as [start, end); false at the end. */
static bool next_word(const char **p, const char **start, const char **end)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    *start = s;
    bool quoted = false;
    for (; *s && (quoted || *s != ' '); s++)
        if (*s == '\'')
            quoted = !quoted;
    *end = s;
    *p = s;
    return true;
}

static void write_span(FILE *f, const char *a, const char *b)
{
    char buf[2048];
    size_t n = (size_t)(b - a) < sizeof(buf) - 1 ? (size_t)(b - a) : sizeof(buf) - 1;
    memcpy(buf, a, n);
    buf[n] = '\0';
    gp_esc_xml(f, buf);
}

void gp_html_command(FILE *f, const char *cmd)
{
    fputs("<code class=\"cmd\">", f);
    const char *p = cmd, *a, *b, *c, *d;
    bool first = true;
    while (next_word(&p, &a, &b)) {
        fputs(first ? "" : " ", f);
        first = false;
        const char *q = p;
        /* an option and its value stay on one line: --seed 5 */
        if (a[0] == '-' && next_word(&q, &c, &d) && c[0] != '-') {
            fputs("<span class=\"flag\">", f);
            write_span(f, a, d);
            fputs("</span>", f);
            p = q;
        } else if (a[0] == '-') {
            fputs("<span class=\"flag\">", f);
            write_span(f, a, b);
            fputs("</span>", f);
        } else {
            write_span(f, a, b);
        }
    }
    fputs("</code>", f);
}

bool gp_html_exists(const char *dir, const char *name)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool gp_html_plot(FILE *f, const char *dir, const char *stem, const char *heading)
{
    char svg[256], png[256];
    snprintf(svg, sizeof(svg), "%s.svg", stem);
    snprintf(png, sizeof(png), "%s.png", stem);
    bool has_svg = gp_html_exists(dir, svg), has_png = gp_html_exists(dir, png);
    if (!has_svg && !has_png)
        return false;
    fputs("<figure>\n<img src=\"", f);
    gp_esc_xml(f, has_svg ? svg : png);
    fputs("\" alt=\"", f);
    gp_esc_xml(f, heading);
    fputs("\" width=\"900\" height=\"500\">\n<figcaption>", f);
    gp_esc_xml(f, heading);
    if (has_svg) {
        fputs(" &middot; <a href=\"", f);
        gp_esc_xml(f, svg);
        fputs("\">SVG</a>", f);
    }
    if (has_png) {
        fputs(" &middot; <a href=\"", f);
        gp_esc_xml(f, png);
        fputs("\">PNG</a>", f);
    }
    fputs("</figcaption>\n</figure>\n", f);
    return true;
}

void gp_html_pre_file(FILE *f, const char *dir, const char *name)
{
    char path[1200], buf[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *in = fopen(path, "r");
    if (!in) {
        fputs("<p class=\"note\">", f);
        gp_esc_xml(f, name);
        fputs(" could not be read.</p>\n", f);
        return;
    }
    fputs("<pre>", f);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf) - 1, in)) > 0) {
        buf[n] = '\0';
        /* a NUL inside the file would end the chunk early: such a file is
         * not text, and the page shows what comes before it */
        gp_esc_xml(f, buf);
    }
    fclose(in);
    fputs("</pre>\n", f);
}

void gp_html_file_link(FILE *f, const char *dir, const char *name, const char *what)
{
    if (!gp_html_exists(dir, name))
        return;
    fputs("<li><a href=\"", f);
    gp_esc_xml(f, name);
    fputs("\"><code>", f);
    gp_esc_xml(f, name);
    fputs("</code></a> &mdash; ", f);
    gp_esc_xml(f, what);
    fputs("</li>\n", f);
}

void gp_html_td(FILE *f, const char *text)
{
    fputs("<td>", f);
    gp_esc_xml(f, text);
    fputs("</td>", f);
}

void gp_html_td_class(FILE *f, const char *cls, const char *text)
{
    fprintf(f, "<td class=\"%s\">", cls);
    gp_esc_xml(f, text);
    fputs("</td>", f);
}
