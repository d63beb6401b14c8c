/* gp_env.c: the helpers every core module uses to talk through its gp_env:
 * log lines (formatted, escaped) and observations. */
#include "gp_env.h"

#include <stdarg.h>
#include <stdio.h>

const char *gp_log_level_name(gp_log_level level)
{
    switch (level) {
    case GP_LOG_DEBUG:
        return "DEBUG";
    case GP_LOG_INFO:
        return "INFO";
    case GP_LOG_WARNING:
        return "WARNING";
    case GP_LOG_ERROR:
        return "ERROR";
    }
    return "UNKNOWN";
}

size_t gp_log_escape(const char *in, char *out, size_t out_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (out_len == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char esc[5];
        size_t k = 0;
        if (*p == '\\' || *p == '\n' || *p == '\r' || *p == '\t') {
            esc[k++] = '\\';
            esc[k++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : '\\';
        } else if (*p < 0x20 || *p == 0x7f) {
            esc[k++] = '\\';
            esc[k++] = 'x';
            esc[k++] = hex[*p >> 4];
            esc[k++] = hex[*p & 15];
        } else {
            esc[k++] = (char)*p;
        }
        if (n + k >= out_len)
            break;
        for (size_t j = 0; j < k; j++)
            out[n++] = esc[j];
    }
    out[n] = '\0';
    return n;
}

void gp_env_log(const gp_env *env, gp_log_level level, const char *fmt, ...)
{
    if (!env || !env->log || level < env->log_level_min)
        return;
    char raw[512], line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    gp_log_escape(raw, line, sizeof(line));
    env->log(env->ctx, level, line);
}

void gp_env_observe(const gp_env *env, const gp_observation *o)
{
    if (env && env->observe)
        env->observe(env->ctx, o);
}
