/* gp_esc.h: escaping text for the formats reports are written in -- HTML and
 * XML (report.html, JUnit), gnuplot string literals (plots.gp), CSV fields
 * and POSIX shell words (replay commands).  Text from scenarios and
 * summaries is data: it must never change the structure of what it lands
 * in. */
#ifndef GP_ESC_H
#define GP_ESC_H

#include <stddef.h>
#include <stdio.h>

/* Writes `s` as HTML/XML character data or attribute value: & < > " ' become
 * entities; control characters other than tab, newline and carriage return
 * (not allowed in XML 1.0) become '?'.  NULL writes nothing. */
void gp_esc_xml(FILE *out, const char *s);

/* Writes `s` as the inside of a gnuplot single-quoted string ('' for ').
 * Newlines become spaces: a gnuplot string cannot span lines. */
void gp_esc_gnuplot(FILE *out, const char *s);

/* Writes `s` as one CSV field: quoted (with "" for ") when it holds a
 * comma, a quote or a line break; as is otherwise. */
void gp_esc_csv(FILE *out, const char *s);

/* Writes `s` into out as one POSIX shell word: as is when it has only
 * characters that need no quoting, else in single quotes ('\'' for ').
 * Truncates to out_len - 1 bytes; always terminates. */
void gp_esc_shell(const char *s, char *out, size_t out_len);

#endif
