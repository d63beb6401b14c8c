/* gp_srv_log.c: the incident's log format on stderr, for the core's lines,
 * the driver's own and libwebsockets'.  See gp_srv_log.h.
 *
 * Lines carry client-supplied text (request ids, token fragments, reasons),
 * so the sink escapes every byte that could end a line or steer a terminal:
 * one call is always exactly one line, whatever the core or lws handed us. */
#include "gp_srv_log.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Length of the well-formed UTF-8 sequence at p (at most n bytes), or 0
 * when the bytes there are not one (a stray continuation byte, a truncated
 * or overlong sequence, a surrogate, a code point past U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* True for code points a terminal or a log viewer may take as a line break
 * or a control: C1 controls (U+0080-U+009F, NEL among them) and the
 * Unicode line and paragraph separators (U+2028, U+2029). */
static bool utf8_is_control(const unsigned char *p, size_t len)
{
    if (len == 2)
        return p[0] == 0xC2 && p[1] <= 0x9F;
    return len == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9);
}

size_t gp_srv_log_escape(char *out, size_t cap, const char *line)
{
    if (cap == 0)
        return 0;
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)line;
    size_t n = strlen(line), w = 0;
    for (size_t i = 0; i < n;) {
        char esc[16];
        size_t esc_len = 0, take = 1;
        unsigned c = p[i];
        if (c == '\\') {
            esc[esc_len++] = '\\';
            esc[esc_len++] = '\\';
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[esc_len++] = '\\';
            esc[esc_len++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c >= 0x20 && c < 0x7F) {
            esc[esc_len++] = (char)c;
        } else {
            size_t seq = c >= 0x80 ? utf8_seq_len(p + i, n - i) : 0;
            take = seq ? seq : 1;
            if (seq && !utf8_is_control(p + i, seq)) {
                memcpy(esc, p + i, seq); /* printable UTF-8: kept */
                esc_len = seq;
            } else {
                for (size_t k = 0; k < take; k++) { /* \xNN each byte */
                    esc[esc_len++] = '\\';
                    esc[esc_len++] = 'x';
                    esc[esc_len++] = hex[p[i + k] >> 4];
                    esc[esc_len++] = hex[p[i + k] & 15];
                }
            }
        }
        if (w + esc_len >= cap)
            break; /* cut between escapes, never inside one */
        memcpy(out + w, esc, esc_len);
        w += esc_len;
        i += take;
    }
    out[w] = '\0';
    return w;
}

size_t gp_srv_log_format(char *buf, size_t cap, uint64_t realtime_us,
                         const char *level_name, const char *line)
{
    if (cap < 2)
        return 0;
    time_t secs = (time_t)(realtime_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (unsigned)(realtime_us % 1000000u),
                     level_name);
    if (n < 0)
        return 0;
    size_t len = (size_t)n;
    if (len >= cap - 1)
        len = cap - 2; /* a prefix that does not fit: cut, keep the newline */
    else
        len += gp_srv_log_escape(buf + len, cap - 1 - len, line);
    buf[len++] = '\n';
    buf[len] = '\0';
    return len;
}

void gp_srv_log_write(gp_log_level level, const char *line)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    char buf[2048];
    size_t len = gp_srv_log_format(buf, sizeof(buf), us, gp_log_level_name(level), line);
    /* stderr is unbuffered; one write keeps the line whole.  A failed write
     * to stderr has nowhere to be reported. */
    ssize_t w = write(STDERR_FILENO, buf, len);
    (void)w;
}

void gp_srv_logf(gp_log_level min, gp_log_level level, const char *fmt, ...)
{
    if (level < min)
        return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    gp_srv_log_write(level, line);
}

static void lws_emit(int lws_level, const char *line)
{
    /* lws 4.1.6 logs every adoption with a read buffer at ERR level
     * ("adopt_socket_readbuf: calling service"): that is the front door's
     * normal handover (gp_srv_door.c), not an error. */
    if (strstr(line, "calling service"))
        return;
    char copy[768];
    snprintf(copy, sizeof(copy), "lws: %s", line);
    size_t n = strlen(copy);
    while (n && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
        copy[--n] = '\0';
    gp_srv_log_write(lws_level & LLL_ERR ? GP_LOG_ERROR : GP_LOG_WARNING, copy);
}

void gp_srv_log_route_lws(void)
{
    int levels = LLL_ERR | LLL_WARN;
    const char *debug = getenv("GP_SERVER_LWS_LOG"); /* undocumented, for debugging lws */
    if (debug)
        levels = atoi(debug);
    lws_set_log_level(levels, lws_emit);
}
