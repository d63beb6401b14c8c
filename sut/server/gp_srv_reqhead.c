/* gp_srv_reqhead.c: judging and rewriting a request head (gp_srv_reqhead.h).
 *
 * Deliberately small: it reads the header lines it needs and copies the
 * rest byte for byte.  Malformed heads are passed on untouched: lws parses
 * them properly and refuses what it cannot parse. */
#include "gp_srv_reqhead.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t gp_reqhead_end(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* One header line: name and value (trimmed), and where the line is. */
typedef struct line {
    const char *start; /* of the line */
    size_t len;        /* with its CRLF */
    const char *name, *value;
    size_t name_len, value_len;
} line;

/* Reads the line at p (before end); false at the blank line or on junk. */
static bool next_line(const char *p, const char *end, line *l)
{
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol || eol == p || eol[-1] != '\r' || eol - 1 == p)
        return false;
    l->start = p;
    l->len = (size_t)(eol + 1 - p);
    const char *colon = memchr(p, ':', (size_t)(eol - 1 - p));
    if (!colon) {
        l->name = l->value = p;
        l->name_len = l->value_len = 0;
        return true;
    }
    l->name = p;
    l->name_len = (size_t)(colon - p);
    const char *v = colon + 1, *ve = eol - 1;
    while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    l->value = v;
    l->value_len = (size_t)(ve - v);
    return true;
}

static bool name_is(const line *l, const char *name)
{
    return l->name_len == strlen(name) && strncasecmp(l->name, name, l->name_len) == 0;
}

/* True when the comma-separated list v[0..n) has the token tok (case
 * sensitive when `exact`, as subprotocol names are). */
static bool list_has(const char *v, size_t n, const char *tok, bool exact)
{
    size_t tl = strlen(tok);
    const char *p = v, *end = v + n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end, *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - s) == tl &&
            (exact ? strncmp(s, tok, tl) == 0 : strncasecmp(s, tok, tl) == 0))
            return true;
        p = comma ? comma + 1 : end;
    }
    return false;
}

static gp_reqhead_verdict refuse(unsigned status, const char *phrase, const char *header,
                                 const char *text)
{
    return (gp_reqhead_verdict){.status = status, .phrase = phrase, .header = header,
                                .text = text};
}

gp_reqhead_verdict gp_reqhead_judge(const char *buf, size_t head_len,
                                    const char *subprotocol, char *out,
                                    size_t cap, size_t *out_len)
{
    gp_reqhead_verdict pass = {0};
    *out_len = 0;
    const char *end = buf + head_len;
    const char *p = memchr(buf, '\n', head_len);
    if (!p)
        return pass;
    p++; /* past the request line */
    bool upgrade = false, offers_ours = false;
    int hosts = 0, versions = 0, protocol_lines = 0;
    bool version_13 = true, host_empty = false;
    line l;
    for (const char *q = p; q < end && next_line(q, end, &l); q += l.len) {
        if (name_is(&l, "Upgrade")) {
            upgrade = upgrade || list_has(l.value, l.value_len, "websocket", false);
        } else if (name_is(&l, "Host")) {
            hosts++;
            host_empty = host_empty || l.value_len == 0;
        } else if (name_is(&l, "Sec-WebSocket-Version")) {
            versions++;
            version_13 = version_13 && l.value_len == 2 && memcmp(l.value, "13", 2) == 0;
        } else if (name_is(&l, "Sec-WebSocket-Protocol")) {
            protocol_lines++;
            offers_ours = offers_ours || list_has(l.value, l.value_len, subprotocol, true);
        }
    }
    if (!upgrade)
        return pass; /* plain HTTP: /health, /metrics, refusals */
    if (versions == 0 || !version_13)
        return refuse(426, "Upgrade Required", "Sec-WebSocket-Version: 13",
                      "this server speaks WebSocket version 13 (RFC 6455) only");
    if (hosts != 1 || host_empty)
        return refuse(400, "Bad Request", NULL,
                      "a WebSocket upgrade needs exactly one Host header (RFC 6455 4.1)");
    if (!offers_ours || cap < head_len)
        return pass; /* no list, or one the HTTP callback refuses with 400 */
    /* Offer just ours: lws cannot read a list over 127 bytes. */
    size_t w = (size_t)(p - buf);
    memcpy(out, buf, w);
    for (const char *q = p; q < end && next_line(q, end, &l); q += l.len) {
        if (name_is(&l, "Sec-WebSocket-Protocol"))
            continue;
        memcpy(out + w, l.start, l.len);
        w += l.len;
    }
    int n = snprintf(out + w, cap - w, "Sec-WebSocket-Protocol: %s\r\n\r\n", subprotocol);
    if (n < 0 || (size_t)n >= cap - w)
        return pass;
    *out_len = w + (size_t)n;
    pass.rewritten = true;
    return pass;
}

size_t gp_reqhead_response(const gp_reqhead_verdict *v, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 %u %s\r\nserver: goldpath-server\r\n"
                     "content-type: text/plain; charset=utf-8\r\ncontent-length: %zu\r\n"
                     "%s%sconnection: close\r\n\r\n%s\n",
                     v->status, v->phrase, strlen(v->text) + 1, v->header ? v->header : "",
                     v->header ? "\r\n" : "", v->text);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
