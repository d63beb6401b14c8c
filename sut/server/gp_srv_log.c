/* gp_srv_log.c: the incident's log format on stderr, for the core's lines,
 * the driver's own and libwebsockets'.  See gp_srv_log.h. */
#include "gp_srv_log.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

size_t gp_srv_log_format(char *buf, size_t cap, uint64_t realtime_us,
                         const char *level_name, const char *line)
{
    if (cap < 2)
        return 0;
    time_t secs = (time_t)(realtime_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ %s %s\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (unsigned)(realtime_us % 1000000u),
                     level_name, line);
    if (n < 0)
        return 0;
    size_t len = (size_t)n;
    if (len >= cap) { /* cut: keep the newline */
        len = cap - 1;
        buf[len - 1] = '\n';
        buf[len] = '\0';
    }
    return len;
}

void gp_srv_log_write(gp_log_level level, const char *line)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    char buf[1024];
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
