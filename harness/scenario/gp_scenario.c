/* gp_scenario.c: scenario files (gp_scenario.h, docs/scenarios.md) parsed
 * with jansson and validated strictly; --set overrides.
 *
 * One table (gp_scenario_fields.c) lists every settable field: its dotted path, its kind and where
 * it lives in gp_scenario.  Objects in the file are not listed: a path is an
 * object ("group") when some field's path continues below it, so ranges such
 * as server.agent.think_ms are the group of their .min and .max fields.  The
 * file walk, the --set overrides, the per-field checks of
 * gp_scenario_validate() and gp_scenario_to_json() all go through that table,
 * so a field cannot be readable and not writable, or settable from a file and
 * not from the command line.
 *
 * Decisions where the brief is silent:
 * - An object in the file is merged into the defaults: {"min": 5} for a range
 *   changes min only.  Arrays (server.bugs, expect.violations) replace.
 * - Duplicate keys are a syntax error (JSON_REJECT_DUPLICATES); a key holding
 *   a '.' is an unknown field (it would otherwise reach a nested field).
 * - Names in server.bugs and expect.violations may not repeat.
 * - Rate sums may exceed 1 by 1e-9, so 0.1 + 0.2 + 0.3 + 0.4 is accepted.
 * - Files larger than GP_SCENARIO_FILE_MAX are refused (GP_ERR_TOO_LONG). */
#include "gp_scenario_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "gp_json.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_suggest.h"

#define GP_SCENARIO_FILE_MAX (1024 * 1024)
#define GP_GOT_MAX 64         /* how much of a bad value an error quotes */
#define GP_RATE_SUM_SLACK 1e-9

/* Seeds above INT64_MAX travel as decimal strings because of this. */
_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "jansson integers are 64-bit");

/* ---- errors ------------------------------------------------------------ */

/* Where errors go and what they are about.  A file's errors are collected,
 * one line each, so that a user fixes them all in one go (collect); an
 * override stops at its first. */
typedef struct ctx {
    const char *origin;
    char *err;
    size_t err_len;
    bool collect;
} ctx;

#define GP_MORE_ERRORS "\n(more errors not shown)"

/* Writes "ORIGIN: FIELD: message" (field may be NULL) and returns rc; when
 * collecting, on a line of its own after the errors already written. */
static int fail(const ctx *cx, int rc, const char *field, const char *fmt, ...)
{
    if (cx->err == NULL || cx->err_len == 0)
        return rc;
    size_t at = cx->collect ? strnlen(cx->err, cx->err_len) : 0;
    if (at >= cx->err_len)
        at = 0;
    char line[GP_SCENARIO_ERR_LINE_MAX];
    int n = field ? snprintf(line, sizeof(line), "%s: %s: ", cx->origin, field)
                  : snprintf(line, sizeof(line), "%s: ", cx->origin);
    if (n >= 0 && (size_t)n < sizeof(line)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    if (at == 0) {
        snprintf(cx->err, cx->err_len, "%s", line);
        return rc;
    }
    if (strstr(cx->err, GP_MORE_ERRORS))
        return rc;
    size_t need = 1 + strlen(line) + sizeof(GP_MORE_ERRORS);
    if (at + need <= cx->err_len)
        snprintf(cx->err + at, cx->err_len - at, "\n%s", line);
    else if (at + sizeof(GP_MORE_ERRORS) <= cx->err_len)
        snprintf(cx->err + at, cx->err_len - at, "%s", GP_MORE_ERRORS);
    return rc;
}

/* The fewest significant digits that read back as exactly x. */
int gp_scenario_real_digits(double x)
{
    for (int p = 1; p < 17; p++) {
        char b[40];
        snprintf(b, sizeof(b), "%.*g", p, x);
        if (strtod(b, NULL) == x)
            return p;
    }
    return 17;
}

/* A value as an error quotes it: compact JSON, cut on a UTF-8 boundary. */
static void render(const json_t *v, char *out, size_t n)
{
    if (json_is_real(v)) {
        double x = json_real_value(v);
        snprintf(out, n, "%.*g", gp_scenario_real_digits(x), x);
        return;
    }
    char *s = gp_json_dump(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s == NULL) {
        snprintf(out, n, "(unprintable)");
        return;
    }
    size_t len = strlen(s);
    if (len >= n && n > 4) {
        size_t cut = n - 4;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        snprintf(out, n, "%.*s...", (int)cut, s);
    } else {
        snprintf(out, n, "%s", s);
    }
    free(s);
}

/* "a, b, c" from a table of names. */
static void join(const char *const *names, size_t count, const char *quote,
                 char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count && used < n; i++) {
        int w = snprintf(out + used, n - used, "%s%s%s%s", i ? ", " : "", quote,
                         names[i], quote);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void bug_list(char *out, size_t n)
{
    const char *names[GP_BUG_COUNT];
    for (int b = 0; b < GP_BUG_COUNT; b++)
        names[b] = gp_bug_name((gp_bug)b);
    join(names, GP_BUG_COUNT, "", out, n);
}

/* Says what a field accepts, for "expected ..., got ..." errors. */
static void expected(const field *f, char *out, size_t n)
{
    char names[320];
    switch (f->kind) {
    case FK_STRING:
        snprintf(out, n, "a string");
        break;
    case FK_U32:
        snprintf(out, n, "an integer between %llu and %llu",
                 (unsigned long long)f->min, (unsigned long long)f->max);
        break;
    case FK_U64:
        snprintf(out, n, "an integer between %llu and %llu (as a decimal string above %lld)",
                 (unsigned long long)f->min, (unsigned long long)f->max,
                 (long long)INT64_MAX);
        break;
    case FK_RATE:
        snprintf(out, n, "a number between 0 and 1");
        break;
    case FK_ARRIVAL:
        join(gp_arrival_names, GP_ARRIVAL_COUNT, "\"", names, sizeof(names));
        snprintf(out, n, "one of %s", names);
        break;
    case FK_ENUM:
        join(f->names, (size_t)f->max, "\"", names, sizeof(names));
        snprintf(out, n, "one of %s", names);
        break;
    case FK_BOOL:
        snprintf(out, n, "true or false");
        break;
    case FK_LATENCY:
        join(gp_latency_names, GP_LATENCY_COUNT, "\"", names, sizeof(names));
        snprintf(out, n, "one of %s", names);
        break;
    case FK_BUGS:
        bug_list(names, sizeof(names));
        snprintf(out, n, "an array of bug names (%s)", names);
        break;
    case FK_CHECKS:
        snprintf(out, n, "an array of check names");
        break;
    case FK_ONLY:
        snprintf(out, n, "an array of at most %d distinct client indices (integers from 0)",
                 GP_ONLY_MAX);
        break;
    case FK_EVIDENCE:
        join(gp_evidence_names, GP_EVIDENCE_COUNT, "\"", names, sizeof(names));
        snprintf(out, n, "one of %s", names);
        break;
    case FK_SIGS:
        snprintf(out, n, "an object of log signature names, each with {\"min\": N, "
                         "\"max\": N, \"per_client\": X}");
        break;
    }
}

/* "FIELD: expected X, got GOT" as GP_ERR_INVALID_ARG. */
static int bad_value(const ctx *cx, const char *path, const field *f, const char *got)
{
    char want[400];
    expected(f, want, sizeof(want));
    return fail(cx, GP_ERR_INVALID_ARG, path, "expected %s, got %s", want, got);
}

static int bad_json(const ctx *cx, const char *path, const field *f, const json_t *v)
{
    char got[GP_GOT_MAX];
    render(v, got, sizeof(got));
    return bad_value(cx, path, f, got);
}

/* ---- paths --------------------------------------------------------------- */

static const field *field_find(const char *path)
{
    for (size_t i = 0; i < gp_field_count; i++)
        if (strcmp(gp_fields[i].path, path) == 0)
            return &gp_fields[i];
    return NULL;
}

/* True when field path `p` lies below group `prefix` ("" is the top). */
static bool below(const char *p, const char *prefix)
{
    size_t n = strlen(prefix);
    return n == 0 || (strncmp(p, prefix, n) == 0 && p[n] == '.');
}

static bool is_group(const char *path)
{
    if (path[0] == '\0')
        return true;
    for (size_t i = 0; i < gp_field_count; i++)
        if (below(gp_fields[i].path, path))
            return true;
    return false;
}

/* The keys allowed directly in group `prefix`, in table order, "a, b". */
static void children(const char *prefix, char *out, size_t n)
{
    size_t skip = prefix[0] ? strlen(prefix) + 1 : 0, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < gp_field_count; i++) {
        const char *p = gp_fields[i].path;
        if (!below(p, prefix))
            continue;
        const char *key = p + skip;
        size_t klen = strcspn(key, ".");
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *q = gp_fields[j].path;
            seen = below(q, prefix) && strncmp(q + skip, key, klen) == 0 &&
                   (q[skip + klen] == '.' || q[skip + klen] == '\0');
        }
        if (seen || used >= n)
            continue;
        int w = snprintf(out + used, n - used, "%s%.*s", used ? ", " : "",
                         (int)klen, key);
        if (w > 0)
            used += (size_t)w;
    }
}

/* The allowed key of group `parent` closest to the last component of
 * `path`, into out ("" when none is close). */
static void suggestion(const char *path, const char *parent, char *out, size_t n)
{
    char allowed[600], *names[64];
    size_t count = 0;
    children(parent, allowed, sizeof(allowed));
    for (char *tok = strtok(allowed, ", "); tok && count < 64; tok = strtok(NULL, ", "))
        names[count++] = tok;
    const char *typo = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
    const char *best = gp_suggest(typo, (const char *const *)names, count);
    if (best)
        snprintf(out, n, "; did you mean \"%s\"?", best);
    else if (n)
        out[0] = '\0';
}

static int unknown_field(const ctx *cx, const char *path, const char *parent)
{
    char allowed[600], hint[80];
    children(parent, allowed, sizeof(allowed));
    suggestion(path, parent, hint, sizeof(hint));
    if (parent[0] == '\0')
        return fail(cx, GP_ERR_INVALID_ARG, path,
                    "unknown field (allowed at the top level: %s)%s", allowed, hint);
    return fail(cx, GP_ERR_INVALID_ARG, path, "unknown field (allowed in %s: %s)%s",
                parent, allowed, hint);
}

static int not_object(const ctx *cx, const char *path, const json_t *v)
{
    char allowed[600], got[GP_GOT_MAX];
    children(path, allowed, sizeof(allowed));
    render(v, got, sizeof(got));
    return fail(cx, GP_ERR_INVALID_ARG, path[0] ? path : "(top level)",
                "expected an object with fields %s, got %s", allowed, got);
}

/* ---- applying values ----------------------------------------------------- */

/* Digits only, no sign or spaces, at most UINT64_MAX. */
static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int name_index(const json_t *v, const char *const *names, size_t count)
{
    if (!json_is_string(v))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (strcmp(json_string_value(v), names[i]) == 0)
            return (int)i;
    return -1;
}

static int apply_string(const ctx *cx, gp_scenario *sc, const field *f, const json_t *v)
{
    if (!json_is_string(v))
        return bad_json(cx, f->path, f, v);
    size_t len = json_string_length(v);
    if (len > f->max)
        return fail(cx, GP_ERR_TOO_LONG, f->path, "too long: %zu bytes, at most %llu",
                    len, (unsigned long long)f->max);
    if (len < f->min)
        return fail(cx, GP_ERR_INVALID_ARG, f->path, "must not be empty");
    char *dst = gp_field_at(sc, f);
    memset(dst, 0, (size_t)f->max + 1);
    memcpy(dst, json_string_value(v), len);
    return GP_OK;
}

static int apply_integer(const ctx *cx, gp_scenario *sc, const field *f, const json_t *v)
{
    uint64_t u;
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        u = (uint64_t)json_integer_value(v);
    else if (!(f->kind == FK_U64 && json_is_string(v) &&
               parse_u64(json_string_value(v), &u)))
        return bad_json(cx, f->path, f, v);
    if (u < f->min || u > f->max)
        return bad_json(cx, f->path, f, v);
    if (f->kind == FK_U32)
        *(uint32_t *)gp_field_at(sc, f) = (uint32_t)u;
    else
        *(uint64_t *)gp_field_at(sc, f) = u;
    return GP_OK;
}

/* An array of names: bugs into a gp_bug_set, checks into expect.violations. */
static int apply_names(const ctx *cx, gp_scenario *sc, const field *f, const json_t *v)
{
    if (!json_is_array(v))
        return bad_json(cx, f->path, f, v);
    size_t n = json_array_size(v);
    if (f->kind == FK_CHECKS && n > GP_EXPECT_VIOLATIONS_MAX)
        return fail(cx, GP_ERR_TOO_LONG, f->path, "more than %d names",
                    GP_EXPECT_VIOLATIONS_MAX);
    gp_bug_set bugs = 0;
    char checks[GP_EXPECT_VIOLATIONS_MAX][GP_CHECK_NAME_MAX];
    memset(checks, 0, sizeof(checks));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char path[GP_FIELD_PATH_MAX], got[GP_GOT_MAX], known[600];
        snprintf(path, sizeof(path), "%s[%zu]", f->path, i);
        render(e, got, sizeof(got));
        if (!json_is_string(e))
            return fail(cx, GP_ERR_INVALID_ARG, path, "expected a %s name, got %s",
                        f->kind == FK_BUGS ? "bug" : "check", got);
        const char *name = json_string_value(e);
        if (f->kind == FK_BUGS) {
            gp_bug b = gp_bug_parse(name);
            if (b == GP_BUG_COUNT) {
                bug_list(known, sizeof(known));
                return fail(cx, GP_ERR_INVALID_ARG, path,
                            "unknown bug %s (known bugs: %s)", got, known);
            }
            if (bugs & GP_BUG_BIT(b))
                return fail(cx, GP_ERR_INVALID_ARG, path, "bug %s listed twice", got);
            bugs |= GP_BUG_BIT(b);
            continue;
        }
        if (!gp_scenario_check_name_known(name)) {
            join(gp_check_names, GP_SC_CHECK_COUNT, "", known, sizeof(known));
            return fail(cx, GP_ERR_INVALID_ARG, path,
                        "unknown check %s (known checks: %s)", got, known);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(checks[j], name) == 0)
                return fail(cx, GP_ERR_INVALID_ARG, path, "check %s listed twice", got);
        /* Known names are shorter than GP_CHECK_NAME_MAX (asserted in tests). */
        snprintf(checks[i], GP_CHECK_NAME_MAX, "%s", name);
    }
    if (f->kind == FK_BUGS) {
        sc->server.bugs = bugs;
    } else {
        sc->expect.violations_len = (uint32_t)n;
        memcpy(sc->expect.violations, checks, sizeof(checks));
    }
    return GP_OK;
}

/* One bound of a signature expectation: a whole number >= 0 (min, max) or a
 * number >= 0 (per_client). */
static int sig_bound(const ctx *cx, const char *path, const char *key, const json_t *v,
                     gp_signature_expect *e)
{
    char got[GP_GOT_MAX];
    render(v, got, sizeof(got));
    if (strcmp(key, "per_client") == 0) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0.0))
            return fail(cx, GP_ERR_INVALID_ARG, path, "expected a number >= 0, got %s", got);
        e->per_client = json_number_value(v);
        return GP_OK;
    }
    if (strcmp(key, "min") != 0 && strcmp(key, "max") != 0)
        return fail(cx, GP_ERR_INVALID_ARG, path,
                    "unknown field (allowed: min, max, per_client)");
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(cx, GP_ERR_INVALID_ARG, path, "expected a whole number >= 0, got %s", got);
    *(key[1] == 'i' ? &e->min : &e->max) = (int64_t)json_integer_value(v);
    return GP_OK;
}

/* expect.log_signatures: {"incident.never_ready": {"min": 1}, ...}. */
static int apply_sigs(const ctx *cx, gp_scenario *sc, const field *f, const json_t *v)
{
    if (!json_is_object(v))
        return bad_json(cx, f->path, f, v);
    if (json_object_size(v) > GP_EXPECT_SIGNATURES_MAX)
        return fail(cx, GP_ERR_TOO_LONG, f->path, "more than %d signatures",
                    GP_EXPECT_SIGNATURES_MAX);
    gp_signature_expect list[GP_EXPECT_SIGNATURES_MAX];
    uint32_t n = 0;
    const char *name;
    const json_t *bounds;
    json_object_foreach((json_t *)v, name, bounds) {
        char path[GP_FIELD_PATH_MAX], known[600];
        snprintf(path, sizeof(path), "%s.%s", f->path, name);
        if (!gp_scenario_signature_known(name)) {
            join(gp_signature_names, GP_SIGNATURE_COUNT, "", known, sizeof(known));
            return fail(cx, GP_ERR_INVALID_ARG, path,
                        "unknown log signature (known: %s)", known);
        }
        if (!json_is_object(bounds) || json_object_size(bounds) == 0)
            return fail(cx, GP_ERR_INVALID_ARG, path,
                        "expected an object with min, max and/or per_client");
        gp_signature_expect *e = &list[n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", name);
        e->min = e->max = -1;
        e->per_client = -1.0;
        const char *key;
        const json_t *b;
        json_object_foreach((json_t *)bounds, key, b) {
            char bpath[GP_FIELD_PATH_MAX + 16];
            snprintf(bpath, sizeof(bpath), "%s.%s", path, key);
            int rc = sig_bound(cx, bpath, key, b, e);
            if (rc != GP_OK)
                return rc;
        }
    }
    memset(sc->expect.signatures, 0, sizeof(sc->expect.signatures));
    memcpy(sc->expect.signatures, list, n * sizeof(list[0]));
    sc->expect.signatures_len = n;
    return GP_OK;
}

/* Sets field f from JSON value v, checking that value alone. */
static int apply_leaf(const ctx *cx, gp_scenario *sc, const field *f, const json_t *v)
{
    int i;
    switch (f->kind) {
    case FK_STRING:
        return apply_string(cx, sc, f, v);
    case FK_U32:
    case FK_U64:
        return apply_integer(cx, sc, f, v);
    case FK_RATE:
        if (!json_is_number(v) || !(json_number_value(v) >= 0.0 && json_number_value(v) <= 1.0))
            return bad_json(cx, f->path, f, v);
        *(double *)gp_field_at(sc, f) = json_number_value(v);
        return GP_OK;
    case FK_ARRIVAL:
        if ((i = name_index(v, gp_arrival_names, GP_ARRIVAL_COUNT)) < 0)
            return bad_json(cx, f->path, f, v);
        sc->clients.arrival = (gp_arrival)i;
        return GP_OK;
    case FK_LATENCY:
        if ((i = name_index(v, gp_latency_names, GP_LATENCY_COUNT)) < 0)
            return bad_json(cx, f->path, f, v);
        sc->network.latency = (gp_latency_dist)i;
        return GP_OK;
    case FK_BUGS:
    case FK_CHECKS:
        return apply_names(cx, sc, f, v);
    case FK_ONLY: {
        if (!json_is_array(v) || json_array_size(v) > GP_ONLY_MAX)
            return bad_json(cx, f->path, f, v);
        uint32_t list[GP_ONLY_MAX];
        size_t k;
        json_t *x;
        json_array_foreach(v, k, x) {
            if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                json_integer_value(x) >= (json_int_t)GP_CLIENTS_MAX)
                return bad_json(cx, f->path, f, v);
            list[k] = (uint32_t)json_integer_value(x);
            for (size_t j = 0; j < k; j++)
                if (list[j] == list[k])
                    return fail(cx, GP_ERR_INVALID_ARG, f->path, "client %u listed twice",
                                list[k]);
        }
        memcpy(sc->clients.only, list, json_array_size(v) * sizeof(list[0]));
        sc->clients.only_len = (uint32_t)json_array_size(v);
        return GP_OK;
    }
    case FK_EVIDENCE:
        if ((i = name_index(v, gp_evidence_names, GP_EVIDENCE_COUNT)) < 0)
            return bad_json(cx, f->path, f, v);
        *(gp_evidence *)gp_field_at(sc, f) = (gp_evidence)i;
        return GP_OK;
    case FK_SIGS:
        return apply_sigs(cx, sc, f, v);
    case FK_ENUM:
        if ((i = name_index(v, f->names, (size_t)f->max)) < 0)
            return bad_json(cx, f->path, f, v);
        *(int *)gp_field_at(sc, f) = i;
        return GP_OK;
    case FK_BOOL:
        if (!json_is_boolean(v))
            return bad_json(cx, f->path, f, v);
        *(bool *)gp_field_at(sc, f) = json_is_true(v);
        return GP_OK;
    }
    return fail(cx, GP_ERR_INVALID_ARG, f->path, "unsupported field kind");
}

/* Applies every key of object `obj` found at group `prefix`, strictly. */
static int walk(const ctx *cx, gp_scenario *sc, const char *prefix, json_t *obj)
{
    const char *key;
    json_t *v;
    int first = GP_OK;
    json_object_foreach(obj, key, v) {
        char path[GP_FIELD_PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
        bool plain = key[0] != '\0' && strchr(key, '.') == NULL &&
                     n > 0 && (size_t)n < sizeof(path);
        const field *f = plain ? field_find(path) : NULL;
        int rc;
        if (f)
            rc = apply_leaf(cx, sc, f, v);
        else if (plain && is_group(path))
            rc = json_is_object(v) ? walk(cx, sc, path, v) : not_object(cx, path, v);
        else
            rc = unknown_field(cx, path, prefix);
        if (rc != GP_OK && !cx->collect)
            return rc;
        if (rc != GP_OK && first == GP_OK)
            first = rc;
    }
    return first;
}

/* Sets whatever `path` names: a field, or a group from an object. */
static int apply_path(const ctx *cx, gp_scenario *sc, const char *path, json_t *v)
{
    const field *f = field_find(path);
    if (f)
        return apply_leaf(cx, sc, f, v);
    if (path[0] != '\0' && is_group(path))
        return json_is_object(v) ? walk(cx, sc, path, v) : not_object(cx, path, v);
    /* Name the first component that is wrong, and what its parent allows. */
    char cur[GP_FIELD_PATH_MAX], parent[GP_FIELD_PATH_MAX] = "";
    const char *p = path;
    for (;;) {
        size_t len = strcspn(p, ".");
        snprintf(cur, sizeof(cur), "%.*s", (int)(p - path + len), path);
        if (field_find(cur))
            return fail(cx, GP_ERR_INVALID_ARG, path,
                        "unknown field (%s is a value, not an object)", cur);
        if (cur[0] == '\0' || p[len] == '\0' || !is_group(cur))
            return unknown_field(cx, cur, parent);
        snprintf(parent, sizeof(parent), "%s", cur);
        p += len + 1;
    }
}

/* ---- validation ---------------------------------------------------------- */

/* Checks field f's value in the struct as apply_leaf checks a JSON value. */
static int check_field(const ctx *cx, const gp_scenario *sc, const field *f)
{
    const void *p = gp_field_at_c(sc, f);
    char got[GP_GOT_MAX];
    uint64_t u;
    switch (f->kind) {
    case FK_STRING: {
        size_t len = strnlen(p, (size_t)f->max + 1);
        if (len > f->max)
            return fail(cx, GP_ERR_TOO_LONG, f->path, "not terminated within %llu bytes",
                        (unsigned long long)f->max + 1);
        if (len < f->min)
            return fail(cx, GP_ERR_INVALID_ARG, f->path, "must not be empty");
        return GP_OK;
    }
    case FK_U32:
    case FK_U64:
        u = f->kind == FK_U32 ? *(const uint32_t *)p : *(const uint64_t *)p;
        snprintf(got, sizeof(got), "%llu", (unsigned long long)u);
        return u < f->min || u > f->max ? bad_value(cx, f->path, f, got) : GP_OK;
    case FK_RATE: {
        double x = *(const double *)p;
        snprintf(got, sizeof(got), "%.*g", gp_scenario_real_digits(x), x);
        return x >= 0.0 && x <= 1.0 ? GP_OK : bad_value(cx, f->path, f, got);
    }
    case FK_ARRIVAL:
        snprintf(got, sizeof(got), "%d", (int)sc->clients.arrival);
        return gp_arrival_name(sc->clients.arrival) ? GP_OK : bad_value(cx, f->path, f, got);
    case FK_LATENCY:
        snprintf(got, sizeof(got), "%d", (int)sc->network.latency);
        return gp_latency_dist_name(sc->network.latency) ? GP_OK
                                                         : bad_value(cx, f->path, f, got);
    case FK_BUGS:
        if (sc->server.bugs >> GP_BUG_COUNT)
            return fail(cx, GP_ERR_INVALID_ARG, f->path, "unknown bug bits 0x%x",
                        (unsigned)sc->server.bugs);
        return GP_OK;
    case FK_CHECKS:
        if (sc->expect.violations_len > GP_EXPECT_VIOLATIONS_MAX)
            return fail(cx, GP_ERR_TOO_LONG, f->path, "more than %d names",
                        GP_EXPECT_VIOLATIONS_MAX);
        for (uint32_t i = 0; i < sc->expect.violations_len; i++) {
            const char *name = sc->expect.violations[i];
            if (strnlen(name, GP_CHECK_NAME_MAX) == GP_CHECK_NAME_MAX ||
                !gp_scenario_check_name_known(name))
                return fail(cx, GP_ERR_INVALID_ARG, f->path, "unknown check at [%u]", i);
            for (uint32_t j = 0; j < i; j++)
                if (strcmp(sc->expect.violations[j], name) == 0)
                    return fail(cx, GP_ERR_INVALID_ARG, f->path,
                                "check \"%s\" listed twice", name);
        }
        return GP_OK;
    case FK_BOOL:
        return GP_OK; /* a bool holds nothing else */
    case FK_ONLY:
        if (sc->clients.only_len > GP_ONLY_MAX)
            return fail(cx, GP_ERR_TOO_LONG, f->path, "more than %d clients", GP_ONLY_MAX);
        return GP_OK;
    case FK_ENUM: {
        int e = *(const int *)p;
        snprintf(got, sizeof(got), "%d", e);
        return e >= 0 && (uint64_t)e < f->max ? GP_OK : bad_value(cx, f->path, f, got);
    }
    case FK_EVIDENCE: {
        gp_evidence e = *(const gp_evidence *)p;
        snprintf(got, sizeof(got), "%d", (int)e);
        return gp_evidence_name(e) ? GP_OK : bad_value(cx, f->path, f, got);
    }
    case FK_SIGS:
        if (sc->expect.signatures_len > GP_EXPECT_SIGNATURES_MAX)
            return fail(cx, GP_ERR_TOO_LONG, f->path, "more than %d signatures",
                        GP_EXPECT_SIGNATURES_MAX);
        for (uint32_t i = 0; i < sc->expect.signatures_len; i++) {
            const gp_signature_expect *e = &sc->expect.signatures[i];
            if (!gp_scenario_signature_known(e->name))
                return fail(cx, GP_ERR_INVALID_ARG, f->path, "unknown signature at [%u]", i);
            if (e->min >= 0 && e->max >= 0 && e->min > e->max)
                return fail(cx, GP_ERR_INVALID_ARG, f->path,
                            "%s: min (%lld) is greater than max (%lld)", e->name,
                            (long long)e->min, (long long)e->max);
        }
        return GP_OK;
    }
    return GP_OK;
}

static int check_sum(const ctx *cx, const char *path, const double *rates, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += rates[i];
    if (sum > 1.0 + GP_RATE_SUM_SLACK)
        return fail(cx, GP_ERR_INVALID_ARG, path,
                    "the rates add up to %.*g, more than 1 (each client meets at most one)",
                    gp_scenario_real_digits(sum), sum);
    return GP_OK;
}

static int check_latency(const ctx *cx, const gp_scenario *sc)
{
    uint32_t lo = sc->network.latency_min_ms, hi = sc->network.latency_max_ms,
             mean = sc->network.latency_mean_ms;
    if (sc->network.latency == GP_LATENCY_UNIFORM && lo > hi)
        return fail(cx, GP_ERR_INVALID_ARG, "network.latency",
                    "min_ms (%u) is greater than max_ms (%u)", lo, hi);
    if (sc->network.latency == GP_LATENCY_EXPONENTIAL && (lo > mean || mean > hi))
        return fail(cx, GP_ERR_INVALID_ARG, "network.latency",
                    "the exponential distribution needs min_ms <= mean_ms <= max_ms, "
                    "got %u, %u, %u", lo, mean, hi);
    return GP_OK;
}

/* Keeps the first error; stops at it unless collecting. */
#define NOTE(expr)                                                             \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != GP_OK && first == GP_OK)                                    \
            first = rc_;                                                       \
        if (rc_ != GP_OK && !cx->collect)                                      \
            return first;                                                      \
    } while (0)

static int validate(const ctx *cx, const gp_scenario *sc)
{
    int first = GP_OK;
    for (size_t i = 0; i < gp_field_count; i++)
        NOTE(check_field(cx, sc, &gp_fields[i]));
    for (size_t i = 0; i < gp_range_count; i++) {
        const gp_range_ms *r =
            (const gp_range_ms *)((const char *)sc + gp_ranges[i].offset);
        if (r->min_ms > r->max_ms)
            NOTE(fail(cx, GP_ERR_INVALID_ARG, gp_ranges[i].path,
                      "min (%u) is greater than max (%u)", r->min_ms, r->max_ms));
    }
    if (sc->clients.arrival != GP_ARRIVAL_ALL_AT_ONCE && sc->clients.window_ms == 0)
        NOTE(fail(cx, GP_ERR_INVALID_ARG, "clients.window_ms",
                  "must be at least 1 when clients.arrival is \"%s\"",
                  gp_arrival_name(sc->clients.arrival)));
    NOTE(check_latency(cx, sc));
    NOTE(check_sum(cx, "faults.disconnect", sc->faults.disconnect, GP_PHASE_COUNT));
    NOTE(check_sum(cx, "faults.bad_token", sc->faults.bad_token, GP_BAD_TOKEN_COUNT));
    NOTE(check_sum(cx, "faults.bad_input", sc->faults.bad_input, GP_BAD_INPUT_COUNT));
    NOTE(check_sum(cx, "faults.edge_token", sc->faults.edge_token, GP_EDGE_TOKEN_COUNT));
    return first;
}
#undef NOTE

int gp_scenario_validate(const gp_scenario *sc, char *err, size_t err_len)
{
    ctx cx = {sc->path[0] ? sc->path : "scenario", err, err_len, false};
    return validate(&cx, sc);
}

/* ---- entry points -------------------------------------------------------- */

int gp_scenario_parse(gp_scenario *sc, const char *json, size_t len,
                      const char *origin, char *err, size_t err_len)
{
    ctx cx = {origin ? origin : "scenario", err, err_len, true};
    if (err && err_len)
        err[0] = '\0';
    gp_scenario_defaults(sc);
    if (strlen(cx.origin) >= sizeof(sc->path))
        return fail(&cx, GP_ERR_TOO_LONG, NULL, "path longer than %zu bytes",
                    sizeof(sc->path) - 1);
    strcpy(sc->path, cx.origin);

    json_error_t je;
    /* DECODE_ANY so that "42" gets the same "expected an object" as [1]. */
    json_t *root = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (err && err_len)
            snprintf(err, err_len, "%s:%d:%d: %s%s", cx.origin, je.line, je.column, je.text,
                     strstr(je.text, "too big integer")
                         ? " (write integers above 9223372036854775807 as a decimal string)"
                         : "");
        return GP_ERR_BAD_JSON;
    }
    bool object = json_is_object(root);
    int rc = object ? walk(&cx, sc, "", root) : not_object(&cx, "", root);
    json_decref(root);
    /* a field refused keeps its default, so the cross-field rules that
     * still fail are the file's own */
    int vrc = object ? validate(&cx, sc) : GP_OK;
    return rc != GP_OK ? rc : vrc;
}

int gp_scenario_load(gp_scenario *sc, const char *path, char *err, size_t err_len)
{
    ctx cx = {path, err, err_len, false};
    /* Opened without blocking, then checked: a FIFO with no writer (or a
     * device) must be refused, not waited on for ever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fail(&cx, GP_ERR_NOT_FOUND, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    memset(&st, 0, sizeof(st));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(&cx, GP_ERR_INVALID_ARG, NULL,
                    "not a regular file (a scenario is read from a file, not a %s)",
                    S_ISDIR(st.st_mode) ? "folder" : S_ISFIFO(st.st_mode) ? "pipe" : "device");
    }
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        close(fd);
        return fail(&cx, GP_ERR_NOT_FOUND, NULL, "cannot open: %s", strerror(errno));
    }
    char *buf = malloc(GP_SCENARIO_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return fail(&cx, GP_ERR_NOMEM, NULL, "out of memory");
    }
    size_t n = fread(buf, 1, GP_SCENARIO_FILE_MAX + 1, f);
    int rc = GP_OK;
    if (ferror(f))
        rc = fail(&cx, GP_ERR_NOT_FOUND, NULL, "cannot read: %s", strerror(errno));
    else if (n > GP_SCENARIO_FILE_MAX)
        rc = fail(&cx, GP_ERR_TOO_LONG, NULL, "file larger than %d bytes",
                  GP_SCENARIO_FILE_MAX);
    fclose(f);
    if (rc == GP_OK)
        rc = gp_scenario_parse(sc, buf, n, path, err, err_len);
    free(buf);
    return rc;
}

/* A refused single value leaves *sc unchanged.  An object value is applied
 * key by key in its order, so a refused key leaves the keys before it set:
 * callers stop at the first error anyway.  Cross-field rules are left to
 * gp_scenario_validate(), so that the ends of a range can be set one by one. */
int gp_scenario_set(gp_scenario *sc, const char *assignment, char *err, size_t err_len)
{
    char origin[GP_FIELD_PATH_MAX + 16];
    snprintf(origin, sizeof(origin), "--set %s", assignment);
    ctx cx = {origin, err, err_len, false};
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return fail(&cx, GP_ERR_INVALID_ARG, NULL,
                    "expected PATH=VALUE, e.g. server.agent.think_ms.min=5");
    char path[GP_FIELD_PATH_MAX];
    snprintf(path, sizeof(path), "%.*s", (int)(eq - assignment), assignment);
    const char *text = eq + 1;

    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (v == NULL && text[0] != '\0' && strchr("{[\"", text[0]) != NULL)
        return fail(&cx, GP_ERR_BAD_JSON, path, "value is not valid JSON: %s", je.text);
    if (v == NULL && (v = json_string(text)) == NULL)
        return fail(&cx, GP_ERR_INVALID_ARG, path, "value is not valid UTF-8");
    int rc = apply_path(&cx, sc, path, v);
    json_decref(v);
    return rc;
}
