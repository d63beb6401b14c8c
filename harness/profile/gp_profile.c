/* gp_profile.c: loading and validating protocol profiles (gp_profile.h).
 *
 * The file is walked once, object by object: each key is looked up in that
 * object's table of allowed keys (an unknown key gets the list and a "did you
 * mean"), each value checked for its type, and every error is collected, one
 * line each, so that a user fixes a profile in one go, as with scenarios. */
#include "gp_profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_agent.h"
#include "gp_error.h"
#include "gp_jptr.h"
#include "gp_json.h"
#include "gp_lifecycle.h"
#include "gp_suggest.h"

#define FILE_MAX (1024 * 1024)

typedef struct ctx {
    const char *origin;
    char *err;
    size_t err_len;
    int errors;
} ctx;

static void fail(ctx *cx, const char *field, const char *fmt, ...)
{
    cx->errors++;
    if (!cx->err || !cx->err_len)
        return;
    size_t at = strnlen(cx->err, cx->err_len);
    if (at + 64 >= cx->err_len)
        return;
    int n = snprintf(cx->err + at, cx->err_len - at, "%s%s: %s: ", at ? "\n" : "", cx->origin,
                     field);
    if (n < 0 || (size_t)n >= cx->err_len - at)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->err + at + (size_t)n, cx->err_len - at - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Keys of obj not in allowed[]: an error each, with a suggestion. */
static void keys_known(ctx *cx, const char *where, json_t *obj, const char *const *allowed,
                       size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (ok)
            continue;
        char list[512] = "";
        size_t w = 0;
        for (size_t i = 0; i < n && w < sizeof(list); i++)
            w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? ", " : "", allowed[i]);
        const char *best = gp_suggest(k, allowed, n);
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", where, where[0] ? "." : "", k);
        fail(cx, path, "unknown field (allowed%s%s: %s)%s%s%s", where[0] ? " in " : " at the top level",
             where, list, best ? "; did you mean \"" : "", best ? best : "", best ? "\"?" : "");
    }
}

#define KNOWN(cx, where, obj, ...)                                                 \
    do {                                                                           \
        static const char *const allowed_[] = {__VA_ARGS__};                     \
        keys_known(cx, where, obj, allowed_, sizeof(allowed_) / sizeof(allowed_[0])); \
    } while (0)

/* An object field (NULL when absent; an error when not an object). */
static json_t *obj_at(ctx *cx, json_t *parent, const char *where, const char *key, bool required)
{
    json_t *v = json_object_get(parent, key);
    char path[256];
    snprintf(path, sizeof(path), "%s%s%s", where, where[0] ? "." : "", key);
    if (!v) {
        if (required)
            fail(cx, path, "required (an object)");
        return NULL;
    }
    if (!json_is_object(v)) {
        fail(cx, path, "expected an object");
        return NULL;
    }
    return v;
}

/* A string field into out; false when absent or wrong. */
static bool str_at(ctx *cx, json_t *parent, const char *where, const char *key, char *out,
                   size_t out_len, bool required)
{
    json_t *v = json_object_get(parent, key);
    char path[256];
    snprintf(path, sizeof(path), "%s%s%s", where, where[0] ? "." : "", key);
    if (!v) {
        if (required)
            fail(cx, path, "required (a string)");
        return false;
    }
    if (!json_is_string(v)) {
        fail(cx, path, "expected a string");
        return false;
    }
    if (json_string_length(v) >= out_len) {
        fail(cx, path, "too long (at most %zu bytes)", out_len - 1);
        return false;
    }
    snprintf(out, out_len, "%s", json_string_value(v));
    return true;
}

static bool ptr_at(ctx *cx, json_t *parent, const char *where, const char *key, char *out,
                   size_t out_len, bool required)
{
    if (!str_at(cx, parent, where, key, out, out_len, required))
        return false;
    if (!gp_jptr_valid(out)) {
        char path[256];
        snprintf(path, sizeof(path), "%s.%s", where, key);
        fail(cx, path, "\"%s\" is not a JSON Pointer (\"/data/id\": a / before each key)", out);
        out[0] = '\0';
        return false;
    }
    return true;
}

static bool int_at(ctx *cx, json_t *parent, const char *where, const char *key, int64_t lo,
                   int64_t hi, int64_t *out)
{
    json_t *v = json_object_get(parent, key);
    if (!v)
        return false;
    char path[256];
    snprintf(path, sizeof(path), "%s.%s", where, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        fail(cx, path, "expected an integer from %lld to %lld", (long long)lo, (long long)hi);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* A match object: pointer -> value. */
static json_t *match_at(ctx *cx, json_t *parent, const char *where, const char *key,
                        bool required)
{
    json_t *m = obj_at(cx, parent, where, key, required);
    if (!m)
        return NULL;
    const char *ptr;
    json_t *v;
    json_object_foreach(m, ptr, v) {
        if (!gp_jptr_valid(ptr) || !*ptr) {
            char path[256];
            snprintf(path, sizeof(path), "%s.%s", where, key);
            fail(cx, path, "key \"%s\" is not a JSON Pointer to a field (\"/type\")", ptr);
        }
    }
    if (json_object_size(m) == 0) {
        char path[256];
        snprintf(path, sizeof(path), "%s.%s", where, key);
        fail(cx, path, "an empty match matches every message");
    }
    return m;
}

static void template_at(ctx *cx, json_t *t, const char *field, const char *const *known,
                        size_t n)
{
    char why[512];
    if (t && gp_template_check(t, known, n, why, sizeof(why)) != GP_OK)
        fail(cx, field, "%s", why);
}

static int proto_error_of(const char *name)
{
    gp_proto_error e = gp_proto_error_parse(name);
    return e < GP_PROTO_ERROR_COUNT ? (int)e : -1;
}

/* ---- the sections -------------------------------------------------------- */

static void read_transport(ctx *cx, gp_profile *p, json_t *t)
{
    snprintf(p->ws_path, sizeof(p->ws_path), "/");
    if (!t)
        return;
    KNOWN(cx, "transport", t, "path", "subprotocols", "headers", "origin");
    if (str_at(cx, t, "transport", "path", p->ws_path, sizeof(p->ws_path), false) &&
        p->ws_path[0] != '/')
        fail(cx, "transport.path", "must start with / (\"%s\")", p->ws_path);
    json_t *sp = json_object_get(t, "subprotocols");
    if (sp) {
        size_t i;
        json_t *v;
        size_t w = 0;
        if (!json_is_array(sp))
            fail(cx, "transport.subprotocols", "expected an array of strings");
        json_array_foreach(sp, i, v) {
            if (!json_is_string(v) || strpbrk(json_string_value(v), ", ")) {
                fail(cx, "transport.subprotocols", "[%zu]: expected a token (no comma or space)", i);
                continue;
            }
            w += (size_t)snprintf(p->subprotocols + w, sizeof(p->subprotocols) - w, "%s%s",
                                  w ? "," : "", json_string_value(v));
        }
    }
    json_t *h = obj_at(cx, t, "transport", "headers", false);
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v) {
        if (p->headers_len == GP_PROFILE_HEADERS_MAX || !json_is_string(v) ||
            strlen(k) >= 256 || json_string_length(v) >= 256 || strpbrk(k, ": \r\n") ||
            strpbrk(json_string_value(v), "\r\n")) {
            fail(cx, "transport.headers", "\"%s\": at most %d headers, names without ':' or "
                                          "spaces, string values on one line", k,
                 GP_PROFILE_HEADERS_MAX);
            continue;
        }
        snprintf(p->headers[p->headers_len][0], 256, "%s", k);
        snprintf(p->headers[p->headers_len++][1], 256, "%s", json_string_value(v));
    }
    str_at(cx, t, "transport", "origin", p->origin, sizeof(p->origin), false);
}

static const char *const token_vars[] = {"token"};
static const char *const claim_vars[] = {"user", "now", "client"};
static const char *const request_vars[] = {"request_id", "message", "user", "client", "seq"};
static const char *const response_vars[] = {"message", "digest", "request_id", "user"};

static void read_auth(ctx *cx, gp_profile *p, json_t *a)
{
    p->refusal_error = -1;
    if (!a) {
        p->auth_by[GP_AUTH_NONE] = true;
        return;
    }
    KNOWN(cx, "auth", a, "in", "header", "message", "query", "cookie", "token", "refusal",
          "timeout_close");
    json_t *in = json_object_get(a, "in");
    static const char *const wheres[GP_AUTH_WHERE_COUNT] = {"message", "header", "query",
                                                            "cookie", "none"};
    size_t n = in ? (json_is_array(in) ? json_array_size(in) : 1) : 0;
    if (!in || (!json_is_string(in) && !json_is_array(in)) || n == 0)
        fail(cx, "auth.in", "required: where the token goes, one or two of \"message\", "
                            "\"header\", \"query\", \"cookie\", \"none\"");
    for (size_t i = 0; i < n; i++) {
        json_t *w = json_is_array(in) ? json_array_get(in, i) : in;
        int k = -1;
        for (int j = 0; j < GP_AUTH_WHERE_COUNT && json_is_string(w); j++)
            if (strcmp(json_string_value(w), wheres[j]) == 0)
                k = j;
        if (k < 0) {
            const char *best = json_is_string(w) ? gp_suggest(json_string_value(w), wheres,
                                                              GP_AUTH_WHERE_COUNT) : NULL;
            fail(cx, "auth.in", "[%zu]: expected \"message\", \"header\", \"query\", \"cookie\" "
                                "or \"none\"%s%s%s", i, best ? "; did you mean \"" : "",
                 best ? best : "", best ? "\"?" : "");
            continue;
        }
        p->auth_by[k] = true;
    }
    int ways = 0;
    for (int k = 0; k < GP_AUTH_WHERE_COUNT; k++)
        ways += p->auth_by[k];
    if (ways > 1 && !(ways == 2 && p->auth_by[GP_AUTH_MESSAGE] && p->auth_by[GP_AUTH_HEADER]))
        fail(cx, "auth.in", "two ways only as [\"message\", \"header\"] (the scenario's "
                            "clients.header_auth_fraction chooses between them)");
    json_t *h = obj_at(cx, a, "auth", "header", p->auth_by[GP_AUTH_HEADER]);
    if (h) {
        KNOWN(cx, "auth.header", h, "name", "value");
        str_at(cx, h, "auth.header", "name", p->auth_header_name, sizeof(p->auth_header_name),
               true);
        if (!str_at(cx, h, "auth.header", "value", p->auth_header_value,
                    sizeof(p->auth_header_value), false))
            snprintf(p->auth_header_value, sizeof(p->auth_header_value), "{token}");
        json_t *t = json_string(p->auth_header_value);
        template_at(cx, t, "auth.header.value", token_vars, 1);
        json_decref(t);
    }
    json_t *m = json_object_get(a, "message");
    if (p->auth_by[GP_AUTH_MESSAGE] && !m)
        fail(cx, "auth.message", "required with \"in\": \"message\" (the first message, a "
                                 "template with {token})");
    if (m) {
        if (!json_is_object(m))
            fail(cx, "auth.message", "expected an object (the message, with {token} in it)");
        p->auth_message = m;
        template_at(cx, m, "auth.message", token_vars, 1);
    }
    if (p->auth_by[GP_AUTH_QUERY])
        str_at(cx, a, "auth", "query", p->auth_query, sizeof(p->auth_query), true);
    if (p->auth_by[GP_AUTH_COOKIE])
        str_at(cx, a, "auth", "cookie", p->auth_cookie, sizeof(p->auth_cookie), true);
    /* the token */
    json_t *t = obj_at(cx, a, "auth", "token", !p->auth_by[GP_AUTH_NONE]);
    p->alg = GP_MINT_HS256;
    if (t) {
        KNOWN(cx, "auth.token", t, "alg", "secret", "secret_env", "key_file", "claims",
              "user_claim", "tokens_file");
        char alg[16] = "HS256";
        str_at(cx, t, "auth.token", "alg", alg, sizeof(alg), false);
        if (gp_mint_alg_parse(alg, &p->alg) != GP_OK || p->alg == GP_MINT_NONE)
            fail(cx, "auth.token.alg", "\"%s\": expected HS256, HS384, HS512, RS256 or ES256", alg);
        str_at(cx, t, "auth.token", "secret", p->secret, sizeof(p->secret), false);
        str_at(cx, t, "auth.token", "secret_env", p->secret_env, sizeof(p->secret_env), false);
        str_at(cx, t, "auth.token", "key_file", p->key_file, sizeof(p->key_file), false);
        str_at(cx, t, "auth.token", "tokens_file", p->tokens_file, sizeof(p->tokens_file), false);
        str_at(cx, t, "auth.token", "user_claim", p->user_claim, sizeof(p->user_claim), false);
        bool hs = p->alg == GP_MINT_HS256 || p->alg == GP_MINT_HS384 || p->alg == GP_MINT_HS512;
        if (!p->tokens_file[0] && hs && !p->secret[0] && !p->secret_env[0])
            fail(cx, "auth.token", "an HMAC token needs \"secret\" or \"secret_env\" (or "
                                   "\"tokens_file\" of pre-issued tokens)");
        if (!p->tokens_file[0] && !hs && !p->key_file[0])
            fail(cx, "auth.token", "%s needs \"key_file\" (a PEM private key)", alg);
        json_t *c = json_object_get(t, "claims");
        if (!p->tokens_file[0] && !json_is_object(c))
            fail(cx, "auth.token.claims", "required: the claims, an object with {user} and "
                                          "{now} placeholders (\"exp\": \"{now+3600}\")");
        if (json_is_object(c)) {
            p->claims = c;
            template_at(cx, c, "auth.token.claims", claim_vars, 3);
        }
    }
    json_t *r = obj_at(cx, a, "auth", "refusal", !p->auth_by[GP_AUTH_NONE]);
    if (r) {
        KNOWN(cx, "auth.refusal", r, "http_status", "error", "close_code");
        int64_t x;
        if (int_at(cx, r, "auth.refusal", "http_status", 400, 599, &x))
            p->refusal_http = (int)x;
        if (int_at(cx, r, "auth.refusal", "close_code", 1000, 4999, &x))
            p->refusal_close = (int)x;
        char code[64];
        if (str_at(cx, r, "auth.refusal", "error", code, sizeof(code), false))
            p->refusal_error = 0; /* resolved against errors.codes later */
        if (!p->refusal_http && !p->refusal_close)
            fail(cx, "auth.refusal", "say how a bad token is refused: \"http_status\" (the "
                                     "upgrade is answered so) or \"close_code\" (after "
                                     "\"error\", when given)");
    }
    int64_t x;
    if (int_at(cx, a, "auth", "timeout_close", 1000, 4999, &x))
        p->timeout_close = (int)x;
    if (p->refusal_http && p->auth_by[GP_AUTH_MESSAGE])
        fail(cx, "auth.refusal.http_status", "a token in the first message cannot be refused at "
                                             "the upgrade: use \"close_code\" (and \"error\")");
}

static void read_ready(ctx *cx, gp_profile *p, json_t *r)
{
    if (!r)
        return;
    KNOWN(cx, "ready", r, "match", "connection_id", "user", "state", "early_requests");
    char early[16] = "refused";
    if (str_at(cx, r, "ready", "early_requests", early, sizeof(early), false) &&
        strcmp(early, "refused") != 0 && strcmp(early, "held") != 0)
        fail(cx, "ready.early_requests", "\"%s\": expected \"refused\" (answered NOT_READY) "
                                         "or \"held\" (run once ready)", early);
    p->early_held = strcmp(early, "held") == 0;
    p->ready_match = match_at(cx, r, "ready", "match", true);
    ptr_at(cx, r, "ready", "connection_id", p->ready_id, sizeof(p->ready_id), false);
    ptr_at(cx, r, "ready", "user", p->ready_user, sizeof(p->ready_user), false);
    json_t *st = obj_at(cx, r, "ready", "state", false);
    if (st) {
        KNOWN(cx, "ready.state", st, "pointer", "value");
        ptr_at(cx, st, "ready.state", "pointer", p->ready_state, sizeof(p->ready_state), true);
        str_at(cx, st, "ready.state", "value", p->ready_state_value, sizeof(p->ready_state_value),
               true);
    }
}

static void read_events(ctx *cx, gp_profile *p, json_t *e)
{
    if (!e)
        return;
    KNOWN(cx, "events", e, "type", "request_id", "connection_id", "sequence", "response");
    ptr_at(cx, e, "events", "type", p->ev_type, sizeof(p->ev_type), true);
    ptr_at(cx, e, "events", "request_id", p->ev_request_id, sizeof(p->ev_request_id), true);
    ptr_at(cx, e, "events", "connection_id", p->ev_connection_id, sizeof(p->ev_connection_id),
           false);
    json_t *seq = json_object_get(e, "sequence");
    if (!json_is_array(seq) || json_array_size(seq) == 0 ||
        json_array_size(seq) > GP_PROFILE_STEPS_MAX) {
        fail(cx, "events.sequence", "required: an array of 1 to %d events ({\"type\": ...}), "
                                    "in order, the last one terminal", GP_PROFILE_STEPS_MAX);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(seq, i, v) {
        char where[64];
        snprintf(where, sizeof(where), "events.sequence[%zu]", i);
        gp_profile_step *s = &p->steps[p->n_steps++];
        s->min = 1;
        if (!json_is_object(v)) {
            fail(cx, where, "expected an object {\"type\": ..., \"repeat\": false, \"min\": 1}");
            continue;
        }
        KNOWN(cx, where, v, "type", "repeat", "min", "counter");
        if (ptr_at(cx, v, where, "counter", s->counter, sizeof(s->counter), false) &&
            !json_is_true(json_object_get(v, "repeat")))
            fail(cx, where, "counter: only a repeated event (\"repeat\": true) has a counter");
        str_at(cx, v, where, "type", s->type, sizeof(s->type), true);
        json_t *rep = json_object_get(v, "repeat");
        if (rep && !json_is_boolean(rep))
            fail(cx, where, "repeat: expected true or false");
        s->repeat = json_is_true(rep);
        int64_t m;
        if (int_at(cx, v, where, "min", 0, 1, &m))
            s->min = (uint8_t)m;
        for (int k = 0; k < p->n_steps - 1; k++)
            if (strcmp(p->steps[k].type, s->type) == 0)
                fail(cx, where, "type \"%s\" is listed twice (use \"repeat\": true)", s->type);
    }
    if (p->n_steps && p->steps[p->n_steps - 1].repeat)
        fail(cx, "events.sequence", "the last event ends the run: it cannot repeat");
    if (p->n_steps && p->steps[p->n_steps - 1].min == 0)
        fail(cx, "events.sequence", "the last event ends the run: it cannot be left out");
    json_t *r = obj_at(cx, e, "events", "response", false);
    if (r) {
        KNOWN(cx, "events.response", r, "pointer", "min_length", "contains", "pattern");
        ptr_at(cx, r, "events.response", "pointer", p->response, sizeof(p->response), true);
        int64_t x;
        if (int_at(cx, r, "events.response", "min_length", 0, 1 << 20, &x))
            p->response_min = (uint32_t)x;
        if (str_at(cx, r, "events.response", "contains", p->response_contains,
                   sizeof(p->response_contains), false)) {
            json_t *t = json_string(p->response_contains);
            template_at(cx, t, "events.response.contains", response_vars, 4);
            json_decref(t);
        }
        char pat[512], why[256];
        if (str_at(cx, r, "events.response", "pattern", pat, sizeof(pat), false) &&
            gp_rx_compile(&p->response_pattern, pat, why, sizeof(why)) != GP_OK)
            fail(cx, "events.response.pattern", "%s", why);
    }
}

static void read_errors(ctx *cx, gp_profile *p, json_t *e, json_t *auth)
{
    if (!e)
        return;
    KNOWN(cx, "errors", e, "match", "code", "request_id", "codes");
    p->error_match = match_at(cx, e, "errors", "match", true);
    ptr_at(cx, e, "errors", "code", p->err_code, sizeof(p->err_code), true);
    ptr_at(cx, e, "errors", "request_id", p->err_request_id, sizeof(p->err_request_id), false);
    json_t *codes = obj_at(cx, e, "errors", "codes", false);
    const char *k;
    json_t *v;
    json_object_foreach(codes, k, v) {
        char where[128];
        snprintf(where, sizeof(where), "errors.codes.%s", k);
        int means = json_is_string(v) ? proto_error_of(json_string_value(v)) : -1;
        if (means < 0 || strlen(k) >= sizeof(p->codes[0]) || p->codes_len == GP_PROFILE_CODES_MAX) {
            fail(cx, where, "expected what the code means, one of BAD_MESSAGE, NOT_READY, "
                            "ALREADY_AUTHENTICATED, AUTH_REQUIRED, AUTH_FAILED, AGENT_FAILED, "
                            "TOO_MANY_REQUESTS, SHUTTING_DOWN");
            continue;
        }
        snprintf(p->codes[p->codes_len], sizeof(p->codes[0]), "%s", k);
        p->code_means[p->codes_len++] = means;
    }
    /* the refusal's error code, in the server's words */
    json_t *ref = auth ? json_object_get(auth, "refusal") : NULL;
    json_t *code = ref ? json_object_get(ref, "error") : NULL;
    if (json_is_string(code)) {
        p->refusal_error = -1;
        for (int i = 0; i < p->codes_len; i++)
            if (strcmp(p->codes[i], json_string_value(code)) == 0)
                p->refusal_error = p->code_means[i];
        if (p->refusal_error < 0)
            p->refusal_error = proto_error_of(json_string_value(code));
        if (p->refusal_error < 0)
            fail(cx, "auth.refusal.error", "\"%s\" is not in errors.codes",
                 json_string_value(code));
    }
}

static void read_log_rx(ctx *cx, json_t *l, const char *key, gp_rx *rx, bool *has,
                        const char *const *groups, size_t n)
{
    char pat[512], why[256], where[64];
    snprintf(where, sizeof(where), "log.%s", key);
    if (!str_at(cx, l, "log", key, pat, sizeof(pat), false))
        return;
    if (gp_rx_compile(rx, pat, why, sizeof(why)) != GP_OK) {
        fail(cx, where, "%s", why);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (gp_rx_group(rx, groups[i]) < 0)
            fail(cx, where, "needs a named group (?<%s>...)", groups[i]);
    *has = true;
}

static void read_log(ctx *cx, gp_profile *p, json_t *l)
{
    /* the default line: goldpath-server's "<ISO-8601> <LEVEL> <text>" */
    char why[256];
    gp_rx_compile(&p->log_line, "^(?<ts>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?) (?<level>[A-Z]+) (?<text>.*)$",
                  why, sizeof(why));
    static const char *const names[8] = {"CONNECTING", "ACCEPTED", "AUTHENTICATED",
                                         "SERVICES_READY", "PROCESSING_READY", "CLOSING",
                                         "CLOSED", "FAILED"};
    for (int s = 0; s < 8; s++)
        snprintf(p->states[s], sizeof(p->states[s]), "%s", names[s]);
    if (!l)
        return;
    p->log_given = true;
    KNOWN(cx, "log", l, "line", "step", "refused_step", "opened", "closed", "peer", "ready",
          "id_change", "agent_failed", "states", "signatures");
    static const char *const line_g[] = {"ts", "level", "text"};
    static const char *const step_g[] = {"id", "from", "to"};
    static const char *const id_g[] = {"id"};
    static const char *const peer_g[] = {"id", "port"};
    static const char *const change_g[] = {"id", "new"};
    static const char *const fail_g[] = {"id", "request"};
    bool line_has = false;
    if (json_object_get(l, "line")) {
        gp_rx_free(&p->log_line);
        read_log_rx(cx, l, "line", &p->log_line, &line_has, line_g, 3);
    }
    read_log_rx(cx, l, "step", &p->log_step, &p->log_has[0], step_g, 3);
    read_log_rx(cx, l, "refused_step", &p->log_refused, &p->log_has[1], step_g, 3);
    read_log_rx(cx, l, "opened", &p->log_opened, &p->log_has[2], id_g, 1);
    read_log_rx(cx, l, "closed", &p->log_closed, &p->log_has[3], id_g, 1);
    read_log_rx(cx, l, "peer", &p->log_peer, &p->log_has[4], peer_g, 2);
    read_log_rx(cx, l, "ready", &p->log_ready, &p->log_has[5], id_g, 1);
    read_log_rx(cx, l, "id_change", &p->log_id_change, &p->log_has[6], change_g, 2);
    read_log_rx(cx, l, "agent_failed", &p->log_agent_failed, &p->log_has[7], fail_g, 2);
    json_t *st = obj_at(cx, l, "log", "states", false);
    if (st) {
        KNOWN(cx, "log.states", st, "CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY",
              "PROCESSING_READY", "CLOSING", "CLOSED", "FAILED");
        for (int s = 0; s < 8; s++)
            str_at(cx, st, "log.states", names[s], p->states[s], sizeof(p->states[s]), false);
    }
    json_t *sigs = obj_at(cx, l, "log", "signatures", false);
    const char *k;
    json_t *v;
    json_object_foreach(sigs, k, v) {
        char where[128];
        snprintf(where, sizeof(where), "log.signatures.%s", k);
        bool name_ok = strlen(k) > 0 && strlen(k) < sizeof(p->sigs[0].name);
        for (const char *c = k; *c && name_ok; c++)
            name_ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                      *c == '.' || *c == '-';
        if (p->sigs_len == GP_PROFILE_SIGS_MAX || !name_ok) {
            fail(cx, where, "at most %d signatures, each named with a-z, 0-9, _ . - (counted "
                            "as profile.<name>)", GP_PROFILE_SIGS_MAX);
            continue;
        }
        gp_profile_sig *s = &p->sigs[p->sigs_len];
        json_t *pat = json_is_object(v) ? json_object_get(v, "pattern") : v;
        json_t *lvl = json_is_object(v) ? json_object_get(v, "level") : NULL;
        if (json_is_object(v))
            KNOWN(cx, where, v, "pattern", "level");
        if (!json_is_string(pat)) {
            fail(cx, where, "expected a pattern, or {\"pattern\": ..., \"level\": ...}");
            continue;
        }
        if (gp_rx_compile(&s->rx, json_string_value(pat), why, sizeof(why)) != GP_OK) {
            fail(cx, where, "%s", why);
            continue;
        }
        if (json_is_string(lvl))
            snprintf(s->level, sizeof(s->level), "%s", json_string_value(lvl));
        snprintf(s->name, sizeof(s->name), "%s", k);
        p->sigs_len++;
    }
}

static void read_metrics(ctx *cx, gp_profile *p, json_t *m)
{
    if (!m)
        return;
    KNOWN(cx, "metrics", m, "path", "map");
    if (!str_at(cx, m, "metrics", "path", p->metrics_path, sizeof(p->metrics_path), false))
        snprintf(p->metrics_path, sizeof(p->metrics_path), "/metrics");
    json_t *map = obj_at(cx, m, "metrics", "map", true);
    static const char *const figures[] = {
        "active_connections", "stuck", "connections_total", "ready_total", "requests_total",
        "requests_completed_total", "requests_failed_total", "transitions_attempted",
        "transitions_failed", "transitions_succeeded", "id_mismatches", "registry_size"};
    if (map)
        keys_known(cx, "metrics.map", map, figures, sizeof(figures) / sizeof(figures[0]));
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        if (!json_is_string(v) || json_string_length(v) >= 256 || p->metrics_len == 16) {
            char where[128];
            snprintf(where, sizeof(where), "metrics.map.%s", k);
            fail(cx, where, "expected an expression over the server's series (a selector, "
                            "sum(...), + and -)");
            continue;
        }
        snprintf(p->metrics_map[p->metrics_len][0], 256, "%s", k);
        snprintf(p->metrics_map[p->metrics_len++][1], 256, "%s", json_string_value(v));
    }
}

int gp_profile_parse(gp_profile *p, const char *json, size_t len, const char *origin,
                     char *err, size_t err_len)
{
    memset(p, 0, sizeof(*p));
    ctx cx = {origin ? origin : "profile", err, err_len, 0};
    if (err && err_len)
        err[0] = '\0';
    snprintf(p->path, sizeof(p->path), "%s", cx.origin);
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (err && err_len)
            snprintf(err, err_len, "%s:%d:%d: %s", cx.origin, je.line, je.column, je.text);
        return GP_ERR_BAD_JSON;
    }
    p->root = root;
    if (!json_is_object(root)) {
        fail(&cx, "(top level)", "expected an object");
        return GP_ERR_INVALID_ARG;
    }
    KNOWN(&cx, "", root, "name", "description", "transport", "auth", "ready", "request",
          "events", "errors", "keepalive", "log", "metrics", "health");
    str_at(&cx, root, "", "name", p->name, sizeof(p->name), true);
    json_t *d = json_object_get(root, "description");
    if (d && !json_is_string(d))
        fail(&cx, "description", "expected a string");
    read_transport(&cx, p, obj_at(&cx, root, "", "transport", false));
    json_t *auth = obj_at(&cx, root, "", "auth", true);
    read_auth(&cx, p, auth);
    read_ready(&cx, p, obj_at(&cx, root, "", "ready", true));
    json_t *req = json_object_get(root, "request");
    if (!json_is_object(req))
        fail(&cx, "request", "required: the request message, a template with {request_id} "
                             "and {message}");
    else {
        p->request = req;
        template_at(&cx, req, "request", request_vars, 5);
        char *text = gp_json_dump(req, JSON_COMPACT);
        if (text && !strstr(text, "{request_id}"))
            fail(&cx, "request", "must carry {request_id}: events are matched to their request "
                                 "by it");
        if (text && !strstr(text, "{message}"))
            fail(&cx, "request", "must carry {message}: a response is judged against it");
        free(text);
    }
    read_events(&cx, p, obj_at(&cx, root, "", "events", true));
    read_errors(&cx, p, obj_at(&cx, root, "", "errors", false), auth);
    json_t *ka = obj_at(&cx, root, "", "keepalive", false);
    if (ka) {
        KNOWN(&cx, "keepalive", ka, "interval_ms", "message", "reply");
        int64_t x;
        if (int_at(&cx, ka, "keepalive", "interval_ms", 10, 3600000, &x))
            p->ping_ms = (uint32_t)x;
        else
            fail(&cx, "keepalive.interval_ms", "required: how often to ping (ms)");
        p->ping = obj_at(&cx, ka, "keepalive", "message", true);
        p->pong_match = match_at(&cx, ka, "keepalive", "reply", false);
    }
    read_log(&cx, p, obj_at(&cx, root, "", "log", false));
    read_metrics(&cx, p, obj_at(&cx, root, "", "metrics", false));
    json_t *h = json_object_get(root, "health");
    if (h && !json_is_string(h))
        fail(&cx, "health", "expected \"goldpath\" (goldpath-server's /health) or absent");
    else if (h && strcmp(json_string_value(h), "goldpath") != 0)
        fail(&cx, "health", "\"%s\": only \"goldpath\" is known (use metrics for other servers)",
             json_string_value(h));
    p->goldpath_health = h != NULL;
    return cx.errors ? GP_ERR_INVALID_ARG : GP_OK;
}

int gp_profile_load(gp_profile *p, const char *path, char *err, size_t err_len)
{
    memset(p, 0, sizeof(*p));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return GP_ERR_NOT_FOUND;
    }
    char *buf = malloc(FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > FILE_MAX) {
        snprintf(err, err_len, "%s: %s", path,
                 !buf ? "out of memory" : bad ? "cannot read" : "larger than 1 MiB");
        free(buf);
        return GP_ERR_IO;
    }
    int rc = gp_profile_parse(p, buf, n, path, err, err_len);
    free(buf);
    return rc;
}

void gp_profile_free(gp_profile *p)
{
    gp_rx_free(&p->response_pattern);
    gp_rx *all[] = {&p->log_line, &p->log_step, &p->log_refused, &p->log_opened, &p->log_closed,
                    &p->log_peer, &p->log_ready, &p->log_id_change, &p->log_agent_failed};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        gp_rx_free(all[i]);
    for (int i = 0; i < p->sigs_len; i++)
        gp_rx_free(&p->sigs[i].rx);
    json_decref(p->root);
    memset(p, 0, sizeof(*p));
}

int gp_profile_check_scenario(const gp_profile *p, const gp_scenario *sc, char *err,
                              size_t err_len)
{
    bool message_auth = p->auth_by[GP_AUTH_MESSAGE];
    if (!message_auth && sc->faults.accept_race > 0) {
        snprintf(err, err_len, "%s: faults.accept_race needs a first message before "
                               "authentication, and profile %s authenticates at the upgrade "
                               "(auth.in); with a server that holds early requests, race it with "
                               "faults.early_message", sc->path, p->name);
        return GP_ERR_INVALID_ARG;
    }
    for (int e = 0; e < GP_EDGE_TOKEN_COUNT; e++) {
        if (sc->faults.edge_token[e] > 0 && p->tokens_file[0]) {
            snprintf(err, err_len, "%s: faults.edge_token.%s needs tokens goldpath makes, and "
                                   "profile %s gives a list of tokens (auth.token.tokens_file)",
                     sc->path, gp_edge_token_name((gp_edge_token)e), p->name);
            return GP_ERR_INVALID_ARG;
        }
    }
    for (int k = 0; k < GP_BAD_INPUT_COUNT; k++) {
        if (sc->faults.bad_input[k] > 0) {
            snprintf(err, err_len, "%s: faults.bad_input.%s is judged by goldpath.v1's bad-input "
                                   "table (docs/protocol.md), and a profile describes no answers "
                                   "to bad input; run this scenario without --profile, or set "
                                   "faults.bad_input to 0 for profile %s",
                     sc->path, gp_bad_input_name(k), p->name);
            return GP_ERR_INVALID_ARG;
        }
    }
    if (p->auth_by[GP_AUTH_NONE]) {
        double bad = sc->faults.no_auth;
        for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++)
            bad += sc->faults.bad_token[t];
        if (bad > 0) {
            snprintf(err, err_len, "%s: faults.bad_token and faults.no_auth need a server that "
                                   "authenticates, and profile %s says auth.in \"none\"",
                     sc->path, p->name);
            return GP_ERR_INVALID_ARG;
        }
    }
    if (message_auth && sc->faults.no_auth > 0 && !p->timeout_close) {
        snprintf(err, err_len, "%s: faults.no_auth needs auth.timeout_close in profile %s (the "
                               "close code of a connection that never authenticates)",
                 sc->path, p->name);
        return GP_ERR_INVALID_ARG;
    }
    for (uint32_t k = 0; k < sc->expect.signatures_len; k++) {
        const char *name = sc->expect.signatures[k].name;
        bool defined = strncmp(name, "profile.", 8) != 0;
        for (int i = 0; i < p->sigs_len && !defined; i++)
            defined = strcmp(p->sigs[i].name, name + 8) == 0;
        if (!defined) {
            snprintf(err, err_len, "%s: expect.log_signatures.%s: profile %s defines no "
                                   "signature \"%s\" (log.signatures)",
                     sc->path, name, p->name, name + 8);
            return GP_ERR_INVALID_ARG;
        }
    }
    /* the faults about the user id need the user in the token */
    const char *about_user = sc->faults.bad_token[GP_BAD_TOKEN_BAD_SUB] > 0 ? "bad_token.bad_sub"
                             : sc->faults.bad_token[GP_BAD_TOKEN_SUB_TOO_LONG] > 0
                                 ? "bad_token.sub_too_long"
                             : sc->faults.edge_token[GP_EDGE_TOKEN_LONGEST_SUB] > 0
                                 ? "edge_token.longest_sub"
                                 : NULL;
    if (about_user && !p->user_claim[0] && !p->tokens_file[0]) {
        snprintf(err, err_len, "%s: faults.%s needs auth.token.user_claim in profile %s",
                 sc->path, about_user, p->name);
        return GP_ERR_INVALID_ARG;
    }
    return GP_OK;
}

/* ---- at run time ------------------------------------------------------------ */

void gp_pin_clear(gp_pin *m)
{
    json_decref(m->json);
    memset(m, 0, sizeof(*m));
}

int gp_profile_read(const gp_profile *p, const char *data, size_t len, gp_pin *out)
{
    memset(out, 0, sizeof(*out));
    out->code = GP_PROTO_ERROR_COUNT;
    json_t *j = json_loadb(data, len, 0, NULL);
    if (!j)
        return GP_ERR_BAD_JSON;
    out->json = j;
    if (p->ready_match && gp_jmatch(j, p->ready_match)) {
        out->kind = GP_PIN_READY;
        out->connection_id = p->ready_id[0] ? gp_jptr_text(j, p->ready_id, out->buf[0], 32) : NULL;
        out->user_id = p->ready_user[0] ? gp_jptr_text(j, p->ready_user, out->buf[1], 32) : NULL;
        out->state = p->ready_state[0] ? gp_jptr_text(j, p->ready_state, out->buf[2], 32) : NULL;
        return GP_OK;
    }
    if (p->error_match && gp_jmatch(j, p->error_match)) {
        out->kind = GP_PIN_ERROR;
        const char *code = gp_jptr_text(j, p->err_code, out->buf[0], 32);
        for (int i = 0; code && i < p->codes_len; i++)
            if (strcmp(code, p->codes[i]) == 0)
                out->code = p->code_means[i];
        if (code && out->code == GP_PROTO_ERROR_COUNT)
            out->code = (int)gp_proto_error_parse(code);
        out->request_id = p->err_request_id[0] ? gp_jptr_text(j, p->err_request_id, out->buf[1], 32)
                                               : NULL;
        return GP_OK;
    }
    if (p->pong_match && gp_jmatch(j, p->pong_match)) {
        out->kind = GP_PIN_PONG;
        return GP_OK;
    }
    const char *type = gp_jptr_text(j, p->ev_type, out->buf[0], 32);
    for (int s = 0; type && s < p->n_steps; s++)
        if (strcmp(type, p->steps[s].type) == 0) {
            out->kind = GP_PIN_EVENT;
            out->step = s;
            out->request_id = gp_jptr_text(j, p->ev_request_id, out->buf[1], 32);
            out->connection_id = p->ev_connection_id[0]
                                     ? gp_jptr_text(j, p->ev_connection_id, out->buf[2], 32)
                                     : NULL;
            if (s == p->n_steps - 1 && p->response[0])
                out->response = gp_jptr_text(j, p->response, out->buf[3], 32);
            json_t *n = p->steps[s].counter[0] ? gp_jptr_get(j, p->steps[s].counter) : NULL;
            if (json_is_integer(n)) {
                out->has_counter = true;
                out->counter = json_integer_value(n);
            }
            return GP_OK;
        }
    out->kind = GP_PIN_OTHER;
    return GP_OK;
}

/* Renders template t with vars into out as compact JSON. */
static int render(json_t *t, const gp_tvars *vars, char *out, size_t out_len, size_t *len)
{
    json_t *r = gp_template_render(t, vars);
    if (!r)
        return GP_ERR_NOMEM;
    char *s = gp_json_dump(r, JSON_COMPACT);
    json_decref(r);
    if (!s)
        return GP_ERR_NOMEM;
    size_t n = strlen(s);
    int rc = n + 1 > out_len ? GP_ERR_TOO_LONG : GP_OK;
    if (rc == GP_OK) {
        memcpy(out, s, n + 1);
        *len = n;
    }
    free(s);
    return rc;
}

int gp_profile_request(const gp_profile *p, const char *rid, const char *message,
                       const char *user, uint32_t client, int k, char *out, size_t out_len,
                       size_t *len)
{
    gp_tvars v = {.n = 0};
    gp_tvars_text(&v, "request_id", rid);
    gp_tvars_text(&v, "message", message);
    gp_tvars_text(&v, "user", user);
    gp_tvars_number(&v, "client", client);
    gp_tvars_number(&v, "seq", k + 1);
    return render(p->request, &v, out, out_len, len);
}

int gp_profile_auth_message(const gp_profile *p, const char *token, char *out, size_t out_len,
                            size_t *len)
{
    gp_tvars v = {.n = 0};
    gp_tvars_text(&v, "token", token);
    return render(p->auth_message, &v, out, out_len, len);
}

int gp_profile_ping(const gp_profile *p, char *out, size_t out_len, size_t *len)
{
    gp_tvars v = {.n = 0};
    return render(p->ping, &v, out, out_len, len);
}

bool gp_profile_response_ok(const gp_profile *p, const char *response, const char *message,
                            const char *rid, const char *user)
{
    if (!response)
        return false;
    if (p->response_contains[0]) {
        char digest[32], want[1024];
        snprintf(digest, sizeof(digest), "%08x", (unsigned)gp_agent_digest(message));
        gp_tvars v = {.n = 0};
        gp_tvars_text(&v, "message", message);
        gp_tvars_text(&v, "digest", digest);
        gp_tvars_text(&v, "request_id", rid);
        gp_tvars_text(&v, "user", user);
        if (gp_template_string(p->response_contains, &v, want, sizeof(want)) < 0 ||
            !strstr(response, want))
            return false;
    }
    regmatch_t m[GP_RX_GROUPS_MAX + 1];
    if (p->response_pattern.ready && !gp_rx_match(&p->response_pattern, response, m))
        return false;
    return true;
}

int gp_profile_state_of(const gp_profile *p, const char *name)
{
    for (int s = 0; s < 8; s++)
        if (strcmp(p->states[s], name) == 0)
            return s;
    return -1;
}

/* ---- tokens ---------------------------------------------------------------- */

int gp_profile_keys_open(const gp_profile *p, gp_profile_keys *k, char *err, size_t err_len)
{
    memset(k, 0, sizeof(*k));
    if (p->auth_by[GP_AUTH_NONE])
        return GP_OK;
    if (p->tokens_file[0]) {
        int rc = gp_token_list_load(p->tokens_file, &k->tokens, err, err_len);
        if (rc != GP_OK)
            return rc;
        if (k->tokens.len == 0) {
            snprintf(err, err_len, "%s: auth.token.tokens_file %s holds no token", p->path,
                     p->tokens_file);
            return GP_ERR_INVALID_ARG;
        }
        k->loaded = true;
        return GP_OK;
    }
    char why[512];
    bool hs = p->alg == GP_MINT_HS256 || p->alg == GP_MINT_HS384 || p->alg == GP_MINT_HS512;
    if (hs) {
        const char *secret = p->secret[0] ? p->secret : NULL;
        const char *env = p->secret_env[0] ? getenv(p->secret_env) : NULL;
        if (env && *env)
            secret = env;
        if (!secret) {
            snprintf(err, err_len, "%s: auth.token: the secret is in $%s, which is not set "
                                   "(export %s=... with the server's secret)",
                     p->path, p->secret_env, p->secret_env);
            return GP_ERR_INVALID_ARG;
        }
        k->good = gp_mint_create(p->alg, secret, strlen(secret), NULL, why, sizeof(why));
    } else {
        k->good = gp_mint_create(p->alg, NULL, 0, p->key_file, why, sizeof(why));
    }
    if (k->good)
        k->wrong = gp_mint_create_random(p->alg, why, sizeof(why));
    if (!k->good || !k->wrong) {
        snprintf(err, err_len, "%s: auth.token: %s", p->path, why);
        gp_profile_keys_close(k);
        return GP_ERR_INVALID_ARG;
    }
    k->loaded = true;
    return GP_OK;
}

void gp_profile_keys_close(gp_profile_keys *k)
{
    gp_mint_destroy(k->good);
    gp_mint_destroy(k->wrong);
    gp_token_list_free(&k->tokens);
    memset(k, 0, sizeof(*k));
}

/* Cuts the signature: keep its dot (drop = 0), drop the dot too (1), or cut
 * n characters off its end (n >= 2). */
static void cut_signature(char *tok, int how)
{
    char *dot = strrchr(tok, '.');
    if (!dot)
        return;
    if (how == 0)
        dot[1] = '\0';
    else if (how == 1)
        dot[0] = '\0';
    else if ((int)strlen(dot + 1) > how)
        tok[strlen(tok) - (size_t)how] = '\0';
}

/* The claims for user at now_s (a JSON text), with extra claims set. */
static char *claims_text(const gp_profile *p, const char *user, uint32_t client, int64_t now_s,
                         const char *set_key, json_t *set_value)
{
    gp_tvars v = {.n = 0};
    gp_tvars_text(&v, "user", user);
    gp_tvars_number(&v, "now", now_s);
    gp_tvars_number(&v, "client", client);
    json_t *c = gp_template_render(p->claims, &v);
    if (!c) {
        json_decref(set_value);
        return NULL;
    }
    if (set_key)
        json_object_set_new(c, set_key, set_value);
    char *s = gp_json_dump(c, JSON_COMPACT);
    json_decref(c);
    return s;
}

int gp_profile_token(const gp_profile *p, const gp_profile_keys *k, int kind, const char *user,
                     uint32_t client, int64_t now_s, char *out, size_t out_len)
{
    if (k->tokens.len) { /* pre-issued: one per client, bad ones by tampering */
        const char *t = k->tokens.tokens[client % k->tokens.len];
        if (strlen(t) + 1 > out_len)
            return GP_ERR_TOO_LONG;
        strcpy(out, t);
        char *dot = strrchr(out, '.');
        switch (kind) {
        case GP_BAD_TOKEN_SIGNATURE:
        case GP_BAD_TOKEN_EXPIRED:
        case GP_BAD_TOKEN_BAD_SUB:
        case GP_BAD_TOKEN_NOT_YET_VALID:
        case GP_BAD_TOKEN_EXPIRES_NOW:
        case GP_BAD_TOKEN_SUB_TOO_LONG:
            if (dot && dot[1]) /* another signature of the same length */
                dot[1] = dot[1] == 'A' ? 'B' : 'A';
            break;
        case GP_BAD_TOKEN_ALG_NONE:
        case GP_BAD_TOKEN_NO_SIGNATURE:
            cut_signature(out, 0);
            break;
        case GP_BAD_TOKEN_TRUNCATED:
            cut_signature(out, 4);
            break;
        case GP_BAD_TOKEN_ALG_OTHER:
        case GP_BAD_TOKEN_MALFORMED:
            cut_signature(out, 1);
            break;
        default:
            break;
        }
        return GP_OK;
    }
    const gp_mint *key = kind == GP_BAD_TOKEN_SIGNATURE ? k->wrong : k->good;
    char header[96];
    const char *alg = gp_mint_alg_name(p->alg);
    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    char *payload = NULL;
    int cut = -1;
    switch (kind) {
    case GP_BAD_TOKEN_EXPIRED: /* made two hours ago: an exp of {now+3600} is past */
        payload = claims_text(p, user, client, now_s - 7200, NULL, NULL);
        break;
    case GP_BAD_TOKEN_NOT_YET_VALID:
        payload = claims_text(p, user, client, now_s + 3600, "nbf", json_integer(now_s + 3600));
        break;
    case GP_BAD_TOKEN_EXPIRES_NOW: /* exp this second: expired on it (the user is the
                                      sub_too_long one when that is the kind) */
        payload = claims_text(p, user, client, now_s, "exp", json_integer(now_s));
        break;
    case GP_PROFILE_EDGE_TOKEN(GP_EDGE_TOKEN_NBF_NOW): /* valid from this second */
        payload = claims_text(p, user, client, now_s, "nbf", json_integer(now_s));
        break;
    case GP_BAD_TOKEN_BAD_SUB: {
        char bad[160];
        snprintf(bad, sizeof(bad), "%s/x y", user);
        payload = claims_text(p, user, client, now_s, p->user_claim, json_string(bad));
        break;
    }
    case GP_BAD_TOKEN_ALG_NONE:
        snprintf(header, sizeof(header), "{\"alg\":\"none\",\"typ\":\"JWT\"}");
        cut = 0;
        break;
    case GP_BAD_TOKEN_NO_SIGNATURE:
        cut = 0;
        break;
    case GP_BAD_TOKEN_TRUNCATED:
        cut = 4;
        break;
    case GP_BAD_TOKEN_ALG_OTHER:
        snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
                 p->alg == GP_MINT_HS512 ? "HS256" : "HS512");
        break;
    case GP_BAD_TOKEN_MALFORMED:
        cut = 1;
        break;
    default:
        break;
    }
    if (!payload)
        payload = claims_text(p, user, client, now_s, NULL, NULL);
    if (!payload)
        return GP_ERR_NOMEM;
    int rc = gp_mint_sign(key, header, payload, out, out_len);
    free(payload);
    if (rc == GP_OK && cut >= 0)
        cut_signature(out, cut);
    return rc;
}
