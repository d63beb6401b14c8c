/* gp_jptr.c: JSON Pointers, matches and templates (gp_jptr.h). */
#include "gp_jptr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

bool gp_jptr_valid(const char *ptr)
{
    if (!ptr)
        return false;
    if (*ptr == '\0')
        return true;
    if (*ptr != '/')
        return false;
    for (const char *p = ptr; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return false;
    return true;
}

json_t *gp_jptr_get(json_t *root, const char *ptr)
{
    if (!root || !ptr)
        return NULL;
    json_t *cur = root;
    const char *p = ptr;
    while (*p) {
        if (*p != '/')
            return NULL;
        p++;
        char key[256];
        size_t k = 0;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '~') {
                c = *p == '0' ? '~' : *p == '1' ? '/' : 0;
                if (!c)
                    return NULL;
                p++;
            }
            if (k + 1 >= sizeof(key))
                return NULL;
            key[k++] = c;
        }
        key[k] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, key);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long i = strtoul(key, &end, 10);
            if (!k || *end || (k > 1 && key[0] == '0'))
                return NULL;
            cur = json_array_get(cur, i);
        } else {
            return NULL;
        }
        if (!cur)
            return NULL;
    }
    return cur;
}

const char *gp_jptr_text(json_t *root, const char *ptr, char *buf, size_t n)
{
    json_t *v = gp_jptr_get(root, ptr);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v) && buf && n) {
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    return NULL;
}

bool gp_jmatch(json_t *msg, json_t *match)
{
    const char *ptr;
    json_t *want;
    json_object_foreach(match, ptr, want) {
        json_t *got = gp_jptr_get(msg, ptr);
        if (!got || !json_equal(got, want))
            return false;
    }
    return true;
}

void gp_tvars_text(gp_tvars *v, const char *name, const char *text)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->names[i], name) == 0) {
            v->texts[i] = text;
            return;
        }
    if (v->n < 16) {
        v->names[v->n] = name;
        v->texts[v->n++] = text;
    }
}

void gp_tvars_number(gp_tvars *v, const char *name, int64_t x)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->names[i], name) == 0) {
            v->texts[i] = NULL;
            v->numbers[i] = x;
            return;
        }
    if (v->n < 16) {
        v->names[v->n] = name;
        v->texts[v->n] = NULL;
        v->numbers[v->n++] = x;
    }
}

/* Splits "name+N" / "name-N" / "name": the name's length and the offset. */
static bool parse_ph(const char *s, size_t len, size_t *name_len, int64_t *offset)
{
    size_t i = 0;
    while (i < len && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
                       (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
        i++;
    if (i == 0)
        return false;
    *name_len = i;
    *offset = 0;
    if (i == len)
        return true;
    if (s[i] != '+' && s[i] != '-')
        return false;
    int sign = s[i] == '-' ? -1 : 1;
    int64_t x = 0;
    size_t j = i + 1;
    if (j == len)
        return false;
    for (; j < len; j++) {
        if (s[j] < '0' || s[j] > '9' || x > INT64_MAX / 10 - 10)
            return false;
        x = x * 10 + (s[j] - '0');
    }
    *offset = sign * x;
    return true;
}

static int var_index(const gp_tvars *v, const char *name, size_t len)
{
    for (int i = 0; i < v->n; i++)
        if (strlen(v->names[i]) == len && strncmp(v->names[i], name, len) == 0)
            return i;
    return -1;
}

long gp_template_string(const char *t, const gp_tvars *vars, char *out, size_t out_len)
{
    size_t w = 0;
    for (const char *p = t; *p;) {
        const char *piece = p;
        size_t piece_len = 1;
        char num[32];
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p += 2;
        } else if (*p == '{') {
            const char *end = strchr(p, '}');
            size_t name_len;
            int64_t off;
            if (!end || !parse_ph(p + 1, (size_t)(end - p - 1), &name_len, &off))
                return -1;
            int i = var_index(vars, p + 1, name_len);
            if (i < 0)
                return -1;
            if (vars->texts[i] && off == 0) {
                piece = vars->texts[i];
                piece_len = strlen(piece);
            } else if (!vars->texts[i]) {
                snprintf(num, sizeof(num), "%" PRId64, vars->numbers[i] + off);
                piece = num;
                piece_len = strlen(num);
            } else {
                return -1; /* an offset on a text */
            }
            p = end + 1;
        } else {
            p++;
        }
        if (w + piece_len + 1 > out_len)
            return -1;
        memcpy(out + w, piece, piece_len);
        w += piece_len;
    }
    if (w + 1 > out_len)
        return -1;
    out[w] = '\0';
    return (long)w;
}

/* A string that is exactly one numeric placeholder: its value. */
static bool whole_number(const char *s, const gp_tvars *vars, int64_t *x)
{
    size_t len = strlen(s), name_len;
    int64_t off;
    if (len < 3 || s[0] != '{' || s[len - 1] != '}' || s[1] == '{' ||
        memchr(s + 1, '{', len - 2) || !parse_ph(s + 1, len - 2, &name_len, &off))
        return false;
    int i = var_index(vars, s + 1, name_len);
    if (i < 0 || vars->texts[i])
        return false;
    *x = vars->numbers[i] + off;
    return true;
}

json_t *gp_template_render(json_t *t, const gp_tvars *vars)
{
    if (json_is_string(t)) {
        const char *s = json_string_value(t);
        int64_t x;
        if (whole_number(s, vars, &x))
            return json_integer((json_int_t)x);
        if (!strchr(s, '{') && !strchr(s, '}'))
            return json_incref(t);
        size_t cap = strlen(s) + 4096;
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        json_t *r = gp_template_string(s, vars, buf, cap) >= 0 ? json_string(buf) : NULL;
        free(buf);
        return r;
    }
    if (json_is_object(t)) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(t, k, v) {
            json_t *r = gp_template_render(v, vars);
            if (!r || !o || json_object_set_new(o, k, r) != 0) {
                json_decref(r);
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    if (json_is_array(t)) {
        json_t *a = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(t, i, v) {
            json_t *r = gp_template_render(v, vars);
            if (!r || !a || json_array_append_new(a, r) != 0) {
                json_decref(r);
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    return json_incref(t);
}

static int check_string(const char *s, const char *const *known, size_t n, char *err,
                        size_t err_len)
{
    for (const char *p = s; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}') {
            snprintf(err, err_len, "a lone '}' in \"%s\" (write }} for a brace)", s);
            return GP_ERR_INVALID_ARG;
        }
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        size_t name_len;
        int64_t off;
        if (!end || !parse_ph(p + 1, (size_t)(end - p - 1), &name_len, &off)) {
            snprintf(err, err_len, "a malformed placeholder in \"%s\" (write {{ for a brace)", s);
            return GP_ERR_INVALID_ARG;
        }
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strlen(known[i]) == name_len && strncmp(known[i], p + 1, name_len) == 0;
        if (!ok) {
            int w = snprintf(err, err_len, "unknown placeholder {%.*s} in \"%s\" (known:", (int)name_len,
                             p + 1, s);
            for (size_t i = 0; i < n && w > 0 && (size_t)w < err_len; i++)
                w += snprintf(err + w, err_len - (size_t)w, " {%s}", known[i]);
            if (w > 0 && (size_t)w < err_len)
                snprintf(err + w, err_len - (size_t)w, ")");
            return GP_ERR_INVALID_ARG;
        }
        p = end;
    }
    return GP_OK;
}

int gp_template_check(json_t *t, const char *const *known, size_t n, char *err, size_t err_len)
{
    if (json_is_string(t))
        return check_string(json_string_value(t), known, n, err, err_len);
    if (json_is_object(t)) {
        const char *k;
        json_t *v;
        json_object_foreach(t, k, v) {
            int rc = gp_template_check(v, known, n, err, err_len);
            if (rc != GP_OK)
                return rc;
        }
    } else if (json_is_array(t)) {
        size_t i;
        json_t *v;
        json_array_foreach(t, i, v) {
            int rc = gp_template_check(v, known, n, err, err_len);
            if (rc != GP_OK)
                return rc;
        }
    }
    return GP_OK;
}
