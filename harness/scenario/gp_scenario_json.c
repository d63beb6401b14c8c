/* gp_scenario_json.c: gp_scenario_to_json -- the scenario as run, every
 * field written in the file format, in the table's order, with the fewest
 * digits that read back exactly (the report's scenario.json loads back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_json.h"
#include "gp_scenario_int.h"

static json_t *field_json(const gp_scenario *sc, const field *f)
{
    const void *p = gp_field_at_c(sc, f);
    switch (f->kind) {
    case FK_STRING:
        return json_stringn(p, strnlen(p, (size_t)f->max + 1));
    case FK_U32:
        return json_integer(*(const uint32_t *)p);
    case FK_U64: {
        uint64_t u = *(const uint64_t *)p;
        if (u <= (uint64_t)INT64_MAX)
            return json_integer((json_int_t)u);
        char s[24];
        snprintf(s, sizeof(s), "%llu", (unsigned long long)u);
        return json_string(s);
    }
    case FK_RATE:
        return json_real(*(const double *)p);
    case FK_ARRIVAL:
        return gp_arrival_name(sc->clients.arrival)
                   ? json_string(gp_arrival_name(sc->clients.arrival)) : NULL;
    case FK_LATENCY:
        return gp_latency_dist_name(sc->network.latency)
                   ? json_string(gp_latency_dist_name(sc->network.latency)) : NULL;
    case FK_BUGS: {
        json_t *a = json_array();
        for (int b = 0; a && b < GP_BUG_COUNT; b++)
            if ((sc->server.bugs & GP_BUG_BIT(b)) &&
                json_array_append_new(a, json_string(gp_bug_name((gp_bug)b))) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case FK_ONLY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < sc->clients.only_len && i < GP_ONLY_MAX; i++)
            if (json_array_append_new(a, json_integer(sc->clients.only[i])) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case FK_CHECKS: {
        json_t *a = json_array();
        uint32_t n = sc->expect.violations_len;
        for (uint32_t i = 0; a && i < n && i < GP_EXPECT_VIOLATIONS_MAX; i++) {
            const char *name = sc->expect.violations[i];
            if (json_array_append_new(a, json_stringn(name, strnlen(name, GP_CHECK_NAME_MAX))) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case FK_BOOL:
        return json_boolean(*(const bool *)p);
    case FK_ENUM: {
        int e = *(const int *)p;
        return e >= 0 && (uint64_t)e < f->max ? json_string(f->names[e]) : NULL;
    }
    case FK_EVIDENCE: {
        const char *name = gp_evidence_name(*(const gp_evidence *)p);
        return name ? json_string(name) : NULL;
    }
    case FK_SIGS: {
        json_t *o = json_object();
        for (uint32_t i = 0; o && i < sc->expect.signatures_len; i++) {
            const gp_signature_expect *e = &sc->expect.signatures[i];
            json_t *b = json_object();
            if (b && e->min >= 0)
                json_object_set_new(b, "min", json_integer((json_int_t)e->min));
            if (b && e->max >= 0)
                json_object_set_new(b, "max", json_integer((json_int_t)e->max));
            if (b && e->per_client >= 0.0)
                json_object_set_new(b, "per_client", json_real(e->per_client));
            if (!b || json_object_set_new(o, e->name, b) != 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

/* Stores v (stolen) at dotted `path` under root, creating the objects on the
 * way.  Returns 0, or -1 when out of memory. */
static int put(json_t *root, const char *path, json_t *v)
{
    json_t *obj = root;
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        char key[GP_FIELD_PATH_MAX];
        snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
        json_t *next = json_object_get(obj, key);
        if (next == NULL && json_object_set_new(obj, key, next = json_object()) != 0) {
            json_decref(v);
            return -1;
        }
        obj = next;
        path = dot + 1;
    }
    return json_object_set_new(obj, path, v);
}

/* Rates are written with the fewest digits that read back exactly (one
 * precision for the whole dump, jansson has no other), so 0.1 stays 0.1 unless
 * some other rate needs 17 digits, and the output parses back to an equal
 * struct.  NULL also when a value
 * cannot be written (a rate that is not finite, a name that is not UTF-8). */
char *gp_scenario_to_json(const gp_scenario *sc)
{
    json_t *root = json_object();
    int digits = 1;
    for (size_t i = 0; root && i < gp_field_count; i++) {
        const field *f = &gp_fields[i];
        json_t *v = field_json(sc, f);
        if (v == NULL || put(root, f->path, v) != 0) {
            json_decref(root);
            return NULL;
        }
        if (f->kind == FK_RATE) {
            int d = gp_scenario_real_digits(*(const double *)gp_field_at_c(sc, f));
            digits = d > digits ? d : digits;
        }
    }
    char *s = root ? gp_json_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                          JSON_REAL_PRECISION(digits))
                   : NULL;
    json_decref(root);
    return s;
}
