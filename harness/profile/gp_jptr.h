/* gp_jptr.h: the small JSON tools a protocol profile is made of.
 *
 *  - JSON Pointers (RFC 6901): "/data/connection_id" names a value in a
 *    message; "" the whole message.
 *  - Matches: an object of pointer -> value ({"/type": "connection_ready"})
 *    that a message matches when every pointer holds an equal value.
 *  - Templates: a JSON value whose strings may hold placeholders in braces
 *    ("{request_id}", "Bearer {token}"); rendering replaces each by its
 *    value.  A string that is exactly one placeholder of a number
 *    ("{now+3600}") becomes a JSON number.  "{{" and "}}" are literal braces.
 *
 * Pure functions over jansson values; nothing here reads a clock. */
#ifndef GP_JPTR_H
#define GP_JPTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The value at pointer `ptr` in `root` (borrowed), or NULL. */
json_t *gp_jptr_get(json_t *root, const char *ptr);
/* The string at `ptr`, or NULL when absent or not a string; a number is
 * written into buf (n bytes) as decimal text and buf is returned. */
const char *gp_jptr_text(json_t *root, const char *ptr, char *buf, size_t n);
/* True when `ptr` is a well-formed JSON Pointer ("" or "/a/b~1c"). */
bool gp_jptr_valid(const char *ptr);

/* True when every pointer of `match` (an object) holds a value equal to
 * match's in msg. */
bool gp_jmatch(json_t *msg, json_t *match);

/* The placeholders a template may use, and their values. */
typedef struct gp_tvars {
    const char *names[16];
    const char *texts[16];   /* the value as text, or NULL when numeric */
    int64_t numbers[16];     /* the value when numeric */
    int n;
} gp_tvars;

void gp_tvars_text(gp_tvars *v, const char *name, const char *text);
void gp_tvars_number(gp_tvars *v, const char *name, int64_t x);

/* Checks that every placeholder in template t is one of `known` (n names;
 * a numeric one may carry +N or -N: "{now+3600}").  On error writes the
 * placeholder and where into err. */
int gp_template_check(json_t *t, const char *const *known, size_t n, char *err, size_t err_len);

/* Renders template t with vars into a new value (caller decrefs), or NULL
 * when out of memory or a placeholder has no value. */
json_t *gp_template_render(json_t *t, const gp_tvars *vars);

/* Renders a string template into out (NUL-terminated).  Returns the length,
 * or -1 when a placeholder has no value or out is too small. */
long gp_template_string(const char *t, const gp_tvars *vars, char *out, size_t out_len);

#endif
