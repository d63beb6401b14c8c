/* gp_srv_metrics.c: histograms, the classification of what the core sends,
 * and the per-connection table of requests in flight (gp_srv_metrics.h). */
#include "gp_srv_metrics.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Time to ready is a handshake plus, with message authentication, one
 * round trip: well under a millisecond on a LAN, seconds with a slow accept
 * (--accept-delay-ms) or a client that authenticates late (the auth
 * timeout is 5 s by default). */
const double gp_srv_ready_bounds_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const size_t gp_srv_ready_bounds_count =
    sizeof(gp_srv_ready_bounds_s) / sizeof(gp_srv_ready_bounds_s[0]);
/* A request is the reference agent's think and tool time (30-120 ms by
 * default, --think-ms and --tool-ms go up to a day). */
const double gp_srv_request_bounds_s[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25,
                                          0.5,   1,    2.5,   5,    10,    30,  60};
const size_t gp_srv_request_bounds_count =
    sizeof(gp_srv_request_bounds_s) / sizeof(gp_srv_request_bounds_s[0]);

void gp_histo_init(gp_histo *h, const char *name, const char *help, const double *bounds_s,
                   size_t nbounds)
{
    assert(nbounds <= GP_HISTO_BOUNDS_MAX);
    for (size_t i = 1; i < nbounds; i++)
        assert(bounds_s[i - 1] < bounds_s[i]);
    *h = (gp_histo){.name = name, .help = help, .bounds_s = bounds_s, .nbounds = nbounds};
}

void gp_histo_observe_us(gp_histo *h, uint64_t us)
{
    size_t i = 0;
    /* Compared in whole microseconds, so that a value exactly on a bound
     * counts in that bound's bucket whatever the float rounding. */
    while (i < h->nbounds && us > (uint64_t)(h->bounds_s[i] * 1e6 + 0.5))
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum_us += us;
}

size_t gp_histo_render(const gp_histo *h, char *out, size_t cap)
{
    size_t need = 0;
#define PUT(...)                                                                         \
    do {                                                                                 \
        int n_ = snprintf(need < cap ? out + need : NULL, need < cap ? cap - need : 0,   \
                          __VA_ARGS__);                                                  \
        if (n_ > 0)                                                                      \
            need += (size_t)n_;                                                          \
    } while (0)
    if (cap)
        out[0] = '\0';
    PUT("# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    uint64_t cum = 0;
    for (size_t i = 0; i < h->nbounds; i++) {
        cum += h->buckets[i];
        PUT("%s_bucket{le=\"%g\"} %llu\n", h->name, h->bounds_s[i], (unsigned long long)cum);
    }
    cum += h->buckets[h->nbounds];
    PUT("%s_bucket{le=\"+Inf\"} %llu\n", h->name, (unsigned long long)cum);
    PUT("%s_sum %llu.%06llu\n", h->name, (unsigned long long)(h->sum_us / 1000000u),
        (unsigned long long)(h->sum_us % 1000000u));
    PUT("%s_count %llu\n", h->name, (unsigned long long)h->count);
#undef PUT
    return need;
}

/* The first occurrence of needle (nlen bytes) in hay[0..len), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle, size_t nlen)
{
    for (size_t i = 0; i + nlen <= len; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

/* The string value of `"key":"` in data: its encoded bytes (escapes as they
 * are) up to the closing quote.  NULL when absent or unterminated. */
static const char *value_of(const char *data, size_t len, const char *key, size_t *vlen)
{
    char pat[32];
    int n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *at = find(data, len, pat, (size_t)n);
    if (!at)
        return NULL;
    const char *v = at + n, *end = data + len;
    for (const char *p = v; p < end; p++) {
        if (*p == '\\') {
            p++; /* the escaped byte, whatever it is */
            continue;
        }
        if (*p == '"') {
            *vlen = (size_t)(p - v);
            return v;
        }
    }
    return NULL;
}

static bool is(const char *v, size_t vlen, const char *word)
{
    return v && vlen == strlen(word) && memcmp(v, word, vlen) == 0;
}

/* FNV-1a, 64 bits; 0 is kept for "no id". */
static uint64_t key_of(const char *v, size_t vlen)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < vlen; i++) {
        h ^= (unsigned char)v[i];
        h *= 0x100000001b3ULL;
    }
    return h ? h : 1;
}

gp_srv_out_kind gp_srv_out_classify(const char *data, size_t len, uint64_t *request_key)
{
    size_t tlen = 0, clen = 0, rlen = 0;
    const char *type = value_of(data, len, "type", &tlen);
    gp_srv_out_kind kind = GP_SRV_OUT_OTHER;
    if (is(type, tlen, "connection_ready"))
        return GP_SRV_OUT_READY;
    if (is(type, tlen, "agent_started"))
        kind = GP_SRV_OUT_STARTED;
    else if (is(type, tlen, "agent_completed"))
        kind = GP_SRV_OUT_COMPLETED;
    else if (is(type, tlen, "error")) {
        const char *code = value_of(data, len, "code", &clen);
        if (!is(code, clen, "AGENT_FAILED"))
            return GP_SRV_OUT_OTHER;
        kind = GP_SRV_OUT_FAILED;
    } else {
        return GP_SRV_OUT_OTHER;
    }
    const char *rid = value_of(data, len, "request_id", &rlen);
    *request_key = rid ? key_of(rid, rlen) : 0;
    return kind;
}

bool gp_srv_reqclock_start(gp_srv_reqclock *c, uint32_t cap, uint64_t key, uint64_t start_us)
{
    if (!c->v) {
        c->v = calloc(cap ? cap : 1, sizeof(*c->v));
        if (!c->v)
            return false;
        c->cap = cap ? cap : 1;
        c->n = 0;
    }
    if (c->n == c->cap)
        return false;
    c->v[c->n++] = (gp_srv_inflight){.key = key, .start_us = start_us};
    return true;
}

bool gp_srv_reqclock_end(gp_srv_reqclock *c, uint64_t key, uint64_t *start_us)
{
    for (uint32_t i = 0; i < c->n; i++) {
        if (c->v[i].key == key) {
            *start_us = c->v[i].start_us;
            c->v[i] = c->v[--c->n];
            return true;
        }
    }
    return false;
}

void gp_srv_reqclock_free(gp_srv_reqclock *c)
{
    free(c->v);
    *c = (gp_srv_reqclock){0};
}
