/* gp_srv_flags.c: goldpath-server's flag parser and --help text.
 *
 * Hand-written rather than getopt_long so that every error names the flag
 * and says what it takes ("--think-ms takes MIN:MAX in milliseconds, e.g.
 * 20:80"), and so that `--flag value` and `--flag=value` both work. */
#include "gp_srv_flags.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gp_bugs.h"

typedef struct parse_ctx {
    gp_srv_options *opt;
    char *err;
    size_t err_len;
} parse_ctx;

static gp_srv_flags_result fail(parse_ctx *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static gp_srv_flags_result fail(parse_ctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->err_len, fmt, ap);
    va_end(ap);
    return GP_SRV_FLAGS_ERROR;
}

/* Parses a whole decimal number in [lo, hi]; false on anything else. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* "MIN:MAX" with MIN <= MAX, both in [0, hi]. */
static bool parse_range(const char *s, uint32_t hi, uint32_t *min, uint32_t *max)
{
    const char *colon = s ? strchr(s, ':') : NULL;
    if (!colon || colon == s)
        return false;
    char first[32];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof(first))
        return false;
    memcpy(first, s, n);
    first[n] = '\0';
    uint64_t a, b;
    if (!parse_u64(first, 0, hi, &a) || !parse_u64(colon + 1, 0, hi, &b) || a > b)
        return false;
    *min = (uint32_t)a;
    *max = (uint32_t)b;
    return true;
}

static bool parse_rate(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0.0 && v <= 1.0))
        return false;
    *out = v;
    return true;
}

static gp_srv_flags_result parse_bug(parse_ctx *p, const char *name)
{
    gp_bug b = gp_bug_parse(name);
    if (b == GP_BUG_COUNT) {
        char known[256] = "";
        for (int i = 0; i < GP_BUG_COUNT; i++) {
            strncat(known, i ? ", " : "", sizeof(known) - strlen(known) - 1);
            strncat(known, gp_bug_name((gp_bug)i), sizeof(known) - strlen(known) - 1);
        }
        return fail(p, "--bug: unknown bug name '%s' (known: %s)", name, known);
    }
    p->opt->core.bugs |= GP_BUG_BIT(b);
    return GP_SRV_FLAGS_RUN;
}

static gp_srv_flags_result parse_log_level(parse_ctx *p, const char *v)
{
    static const struct { const char *name; gp_log_level level; } levels[] = {
        {"debug", GP_LOG_DEBUG}, {"info", GP_LOG_INFO},
        {"warning", GP_LOG_WARNING}, {"error", GP_LOG_ERROR}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(v, levels[i].name) == 0) {
            p->opt->log_level = levels[i].level;
            return GP_SRV_FLAGS_RUN;
        }
    }
    return fail(p, "--log-level takes debug, info, warning or error (got '%s')", v);
}

static const char *const known_flags[] = {
    "--port", "--bind", "--jwt-secret", "--bug", "--think-ms", "--tool-ms",
    "--agent-failure-rate", "--stuck-after-ms", "--max-message", "--auth-timeout-ms",
    "--max-connections", "--shutdown-grace-ms", "--log-level", "--ready-file",
    "--event-loop", "--accept-delay-ms", "--fault-hooks", "--preauth-memory-max",
    "--send-stall-ms", "--header-timeout-ms", "--max-header-connections",
    "--max-header-connections-per-ip",
};

/* Flags that take no value. */
static bool flag_is_switch(const char *flag)
{
    return strcmp(flag, "--fault-hooks") == 0;
}

static bool flag_is_known(const char *flag)
{
    for (size_t i = 0; i < sizeof(known_flags) / sizeof(known_flags[0]); i++)
        if (strcmp(flag, known_flags[i]) == 0)
            return true;
    return false;
}

#define U32_MAX_MS 86400000u /* a day: longer timings are mistakes */

/* Applies one flag with its value.  Returns RUN, or ERROR with err set. */
static gp_srv_flags_result apply(parse_ctx *p, const char *flag, const char *v)
{
    gp_srv_options *o = p->opt;
    gp_server_config *c = &o->core;
    uint64_t n;
    if (strcmp(flag, "--port") == 0) {
        if (!parse_u64(v, 0, 65535, &n))
            return fail(p, "--port takes a TCP port 0-65535 (0: pick a free one), got '%s'", v);
        o->port = (int)n;
    } else if (strcmp(flag, "--bind") == 0) {
        if (!*v)
            return fail(p, "--bind takes an IP address to listen on, e.g. 127.0.0.1");
        o->bind = v;
    } else if (strcmp(flag, "--jwt-secret") == 0) {
        if (!*v)
            return fail(p, "--jwt-secret takes a non-empty secret");
        c->jwt_secret = v;
        c->jwt_secret_len = strlen(v);
        o->secret_is_dev = false;
        o->secret_source = "--jwt-secret";
    } else if (strcmp(flag, "--bug") == 0) {
        return parse_bug(p, v);
    } else if (strcmp(flag, "--think-ms") == 0) {
        if (!parse_range(v, U32_MAX_MS, &c->agent.think_ms_min, &c->agent.think_ms_max))
            return fail(p, "--think-ms takes MIN:MAX in milliseconds with MIN <= MAX, e.g. 20:80 (got '%s')", v);
    } else if (strcmp(flag, "--tool-ms") == 0) {
        if (!parse_range(v, U32_MAX_MS, &c->agent.tool_ms_min, &c->agent.tool_ms_max))
            return fail(p, "--tool-ms takes MIN:MAX in milliseconds with MIN <= MAX, e.g. 10:40 (got '%s')", v);
    } else if (strcmp(flag, "--agent-failure-rate") == 0) {
        if (!parse_rate(v, &c->agent_failure_rate))
            return fail(p, "--agent-failure-rate takes a probability from 0 to 1, e.g. 0.05 (got '%s')", v);
    } else if (strcmp(flag, "--stuck-after-ms") == 0) {
        if (!parse_u64(v, 1, U32_MAX_MS, &n))
            return fail(p, "--stuck-after-ms takes milliseconds from 1 to %u (got '%s')", U32_MAX_MS, v);
        c->stuck_after_ms = (uint32_t)n;
    } else if (strcmp(flag, "--max-message") == 0) {
        if (!parse_u64(v, 1, GP_SRV_MAX_MESSAGE_BYTES_MAX, &n))
            return fail(p, "--max-message takes bytes from 1 to %u (got '%s')",
                        GP_SRV_MAX_MESSAGE_BYTES_MAX, v);
        c->max_message_bytes = (size_t)n;
    } else if (strcmp(flag, "--auth-timeout-ms") == 0) {
        if (!parse_u64(v, 1, U32_MAX_MS, &n))
            return fail(p, "--auth-timeout-ms takes milliseconds from 1 to %u (got '%s')", U32_MAX_MS, v);
        c->auth_timeout_ms = (uint32_t)n;
    } else if (strcmp(flag, "--max-connections") == 0) {
        if (!parse_u64(v, 1, GP_SRV_MAX_CONNECTIONS_MAX, &n))
            return fail(p, "--max-connections takes a count from 1 to %u (got '%s')",
                        GP_SRV_MAX_CONNECTIONS_MAX, v);
        c->max_connections = (uint32_t)n;
        o->max_connections_given = true;
    } else if (strcmp(flag, "--shutdown-grace-ms") == 0) {
        if (!parse_u64(v, 0, U32_MAX_MS, &n))
            return fail(p, "--shutdown-grace-ms takes milliseconds from 0 to %u (got '%s')", U32_MAX_MS, v);
        c->shutdown_grace_ms = (uint32_t)n;
    } else if (strcmp(flag, "--log-level") == 0) {
        return parse_log_level(p, v);
    } else if (strcmp(flag, "--ready-file") == 0) {
        if (!*v)
            return fail(p, "--ready-file takes a file path");
        o->ready_file = v;
    } else if (strcmp(flag, "--accept-delay-ms") == 0) {
        if (!parse_u64(v, 0, U32_MAX_MS, &n))
            return fail(p, "--accept-delay-ms takes milliseconds from 0 to %u (got '%s')", U32_MAX_MS, v);
        o->accept_delay_ms = (uint32_t)n;
    } else if (strcmp(flag, "--fault-hooks") == 0) {
        o->fault_hooks = true;
    } else if (strcmp(flag, "--preauth-memory-max") == 0) {
        if (!parse_u64(v, 65536, GP_SRV_PREAUTH_MEMORY_MAX, &n))
            return fail(p, "--preauth-memory-max takes bytes from 65536 to %u (got '%s')",
                        GP_SRV_PREAUTH_MEMORY_MAX, v);
        o->preauth_memory_max = (size_t)n;
    } else if (strcmp(flag, "--send-stall-ms") == 0) {
        if (!parse_u64(v, 1, U32_MAX_MS, &n))
            return fail(p, "--send-stall-ms takes milliseconds from 1 to %u (got '%s')", U32_MAX_MS, v);
        o->send_stall_ms = (uint32_t)n;
    } else if (strcmp(flag, "--header-timeout-ms") == 0) {
        if (!parse_u64(v, 100, GP_SRV_HEADER_TIMEOUT_MS_MAX, &n))
            return fail(p, "--header-timeout-ms takes milliseconds from 100 to %u (got '%s')",
                        GP_SRV_HEADER_TIMEOUT_MS_MAX, v);
        o->header_timeout_ms = (uint32_t)n;
    } else if (strcmp(flag, "--max-header-connections") == 0) {
        if (!parse_u64(v, 1, GP_SRV_HEADER_CONNS_MAX, &n))
            return fail(p, "--max-header-connections takes a count from 1 to %u (got '%s')",
                        GP_SRV_HEADER_CONNS_MAX, v);
        o->header_conns_max = (uint32_t)n;
    } else if (strcmp(flag, "--max-header-connections-per-ip") == 0) {
        if (!parse_u64(v, 1, GP_SRV_HEADER_CONNS_MAX, &n))
            return fail(p, "--max-header-connections-per-ip takes a count from 1 to %u (got '%s')",
                        GP_SRV_HEADER_CONNS_MAX, v);
        o->header_conns_per_ip_max = (uint32_t)n;
    } else if (strcmp(flag, "--event-loop") == 0) {
        if (strcmp(v, "uv") == 0)
            o->loop = GP_SRV_LOOP_UV;
        else if (strcmp(v, "poll") == 0)
            o->loop = GP_SRV_LOOP_POLL;
        else
            return fail(p, "--event-loop takes uv or poll (got '%s')", v);
    } else {
        return fail(p, "unknown flag %s (see --help)", flag);
    }
    return GP_SRV_FLAGS_RUN;
}

gp_srv_flags_result gp_srv_flags_parse(int argc, char **argv,
                                       const char *env_secret,
                                       gp_srv_options *opt, char *err,
                                       size_t err_len)
{
    parse_ctx p = {.opt = opt, .err = err, .err_len = err_len};
    if (err_len)
        err[0] = '\0';
    *opt = (gp_srv_options){
        .port = GP_SRV_PORT_DEFAULT,
        .bind = GP_SRV_BIND_DEFAULT,
        .secret_is_dev = true,
        .secret_source = "built-in",
        .log_level = GP_LOG_INFO,
        .loop = GP_SRV_LOOP_DEFAULT,
        .preauth_memory_max = GP_SRV_PREAUTH_MEMORY_DEFAULT,
        .send_stall_ms = GP_SRV_SEND_STALL_MS_DEFAULT,
        .header_timeout_ms = GP_SRV_HEADER_TIMEOUT_MS_DEFAULT,
        .header_conns_max = GP_SRV_HEADER_CONNS_DEFAULT,
        .header_conns_per_ip_max = GP_SRV_HEADER_CONNS_PER_IP_DEFAULT,
    };
    gp_server_config_defaults(&opt->core);
    opt->core.max_connections = GP_SRV_MAX_CONNECTIONS_DEFAULT;
    if (env_secret && *env_secret) {
        opt->core.jwt_secret = env_secret;
        opt->core.jwt_secret_len = strlen(env_secret);
        opt->secret_is_dev = false;
        opt->secret_source = GP_SRV_SECRET_ENV;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return GP_SRV_FLAGS_HELP;
        if (strncmp(arg, "--", 2) != 0)
            return fail(&p, "unexpected argument '%s' (flags start with --; see --help)", arg);
        char flag[64];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        size_t flag_len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (flag_len >= sizeof(flag))
            return fail(&p, "unknown flag %.40s... (see --help)", arg);
        memcpy(flag, arg, flag_len);
        flag[flag_len] = '\0';
        if (!flag_is_known(flag))
            return fail(&p, "unknown flag %s (see --help)", flag);
        if (flag_is_switch(flag)) {
            if (eq)
                return fail(&p, "%s takes no value (see --help)", flag);
            value = "";
        } else if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return fail(&p, "%s needs a value (see --help)", flag);
            value = argv[++i];
        }
        gp_srv_flags_result r = apply(&p, flag, value);
        if (r != GP_SRV_FLAGS_RUN)
            return r;
    }
    return GP_SRV_FLAGS_RUN;
}

void gp_srv_flags_usage(FILE *out)
{
    gp_server_config d;
    gp_server_config_defaults(&d);
    fprintf(out,
            "usage: goldpath-server [flags]\n"
            "\n"
            "The goldpath reference WebSocket server (PROTOCOL.md): WebSocket at /ws,\n"
            "GET /health (JSON) and GET /metrics (Prometheus) on the same port.\n"
            "\n"
            "Listening:\n"
            "  --port N                 TCP port, 0 picks a free one (default %d)\n"
            "  --bind ADDR              address to listen on (default %s)\n"
            "  --ready-file PATH        write the port there once listening\n"
            "  --max-connections N      WebSocket connections at once; must fit the fd limit\n"
            "                           (default %u, lowered to fit `ulimit -n` when not given)\n"
            "  --event-loop uv|poll     libuv (epoll) or lws's poll() loop (default %s)\n"
            "\n"
            "Authentication:\n"
            "  --jwt-secret SECRET      HS256 secret (default: $%s, else a built-in\n"
            "                           development secret, announced as dev only)\n"
            "  --auth-timeout-ms MS     close 4408 when not authenticated by then (default %u)\n"
            "\n"
            "Limits and timings:\n"
            "  --max-message BYTES      largest message, larger closes 1009 (default %zu)\n"
            "  --stuck-after-ms MS      not ready after this long counts as stuck (default %u)\n"
            "  --shutdown-grace-ms MS   on SIGINT/SIGTERM, wait this long for requests\n"
            "                           in flight before closing 1001 (default %u)\n"
            "  --think-ms MIN:MAX       reference agent think time (default %u:%u)\n"
            "  --tool-ms MIN:MAX        reference agent tool time (default %u:%u)\n"
            "  --agent-failure-rate R   chance a request fails with AGENT_FAILED (default 0)\n"
            "  --accept-delay-ms MS     complete each accept MS after the handshake, as a\n"
            "                           slow server would (default 0; makes accept_race visible)\n"
            "\n"
            "Defences (docs/server.md, \"Limits and defences\"):\n"
            "  --header-timeout-ms MS   a request's headers must be complete MS after the\n"
            "                           connection opened, or it is dropped (default %u)\n"
            "  --max-header-connections N  connections still sending headers, in all; over\n"
            "                           it the oldest is dropped (default %u)\n"
            "  --max-header-connections-per-ip N  the same from one address (default %u)\n"
            "  --preauth-memory-max BYTES  what unauthenticated connections may hold\n"
            "                           together; over it, close 1013 (default %u)\n"
            "  --send-stall-ms MS       output held above the high-water mark this long:\n"
            "                           close 1008 \"client is not reading\" (default %u)\n"
            "\n"
            "Diagnostics:\n"
            "  --log-level LEVEL        debug, info, warning or error (default info)\n"
            "  --bug NAME               switch on a known bug (repeatable):\n",
            GP_SRV_PORT_DEFAULT, GP_SRV_BIND_DEFAULT, GP_SRV_MAX_CONNECTIONS_DEFAULT,
            GP_SRV_LOOP_DEFAULT == GP_SRV_LOOP_UV ? "uv" : "poll", GP_SRV_SECRET_ENV, d.auth_timeout_ms, d.max_message_bytes,
            d.stuck_after_ms, d.shutdown_grace_ms, d.agent.think_ms_min,
            d.agent.think_ms_max, d.agent.tool_ms_min, d.agent.tool_ms_max,
            GP_SRV_HEADER_TIMEOUT_MS_DEFAULT, GP_SRV_HEADER_CONNS_DEFAULT,
            GP_SRV_HEADER_CONNS_PER_IP_DEFAULT, GP_SRV_PREAUTH_MEMORY_DEFAULT,
            GP_SRV_SEND_STALL_MS_DEFAULT);
    for (int i = 0; i < GP_BUG_COUNT; i++)
        fprintf(out, "      %-26s %s\n", gp_bug_name((gp_bug)i), gp_bug_summary((gp_bug)i));
    fprintf(out,
            "  --fault-hooks            honour fault-injection query parameters on /ws\n"
            "                           (gp_accept_delay_ms=N): for goldpath's own live\n"
            "                           runs only -- NEVER use it in production\n"
            "  --help                   this text\n"
            "\n"
            "Exit status: 0 after a clean shutdown, 1 on a runtime failure, 2 for bad\n"
            "usage or a configuration that cannot run (e.g. over the fd limit).\n");
}
