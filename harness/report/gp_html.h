/* gp_html.h: the pieces every goldpath HTML page shares -- one inline style
 * sheet, no scripts, no external resources, so that a page opens from disk
 * with no server and no network; pictures are files next to the page,
 * referenced by relative paths, and only when they exist. */
#ifndef GP_HTML_H
#define GP_HTML_H

#include <stdbool.h>
#include <stdio.h>

/* The document head (title escaped), the style sheet and <body>. */
void gp_html_begin(FILE *f, const char *title);
void gp_html_end(FILE *f);

/* goldpath's version ("0.1.0"), as `goldpath --version` prints it. */
const char *gp_html_version(void);

/* True when DIR/NAME exists as a regular file. */
bool gp_html_exists(const char *dir, const char *name);

/* A figure for the plot STEM when DIR/STEM.svg or DIR/STEM.png exists (the
 * SVG shown, both linked).  Returns whether anything was written. */
bool gp_html_plot(FILE *f, const char *dir, const char *stem, const char *heading);

/* DIR/NAME's text, escaped, in a <pre>; a note when it cannot be read. */
void gp_html_pre_file(FILE *f, const char *dir, const char *name);

/* A link to DIR/NAME (escaped) when the file exists; nothing otherwise. */
void gp_html_file_link(FILE *f, const char *dir, const char *name, const char *what);

/* A shell command in <code class="cmd">, escaped, each option kept on one
 * line with its value (<span class="flag">--seed 5</span>): a command that
 * wraps in a narrow cell never breaks inside a flag. */
void gp_html_command(FILE *f, const char *cmd);

/* <td> with escaped text, and with a class. */
void gp_html_td(FILE *f, const char *text);
void gp_html_td_class(FILE *f, const char *cls, const char *text);

#endif
