/* gp_srv_flags.c: goldpath-server's flag table and parser.
 *
 * getopt_long does the splitting (`--port 8765`, `--port=8765`, `-p 8765`,
 * `--`, unambiguous abbreviations), so the server's command line behaves like
 * every other GNU-style tool and like `goldpath`'s own.  What getopt_long
 * cannot do is said here: every error names the flag and the value it got
 * ("--port takes a TCP port 0-65535 ..., got '70000'"), and a mistyped long
 * flag gets the likely one from the core's gp_suggest ("did you mean
 * --port?").  The table also drives --help (gp_srv_usage.c). */
#include "gp_srv_flags.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gp_bugs.h"
#include "gp_suggest.h"

#define G_LISTEN "Listening"
#define G_AUTH "Authentication"
#define G_TIMING "Limits and timings"
#define G_DEFENCE "Defences (docs/server.md, \"Limits and defences\")"
#define G_DIAG "Diagnostics"

const gp_srv_flag gp_srv_flag_table[GP_SRV_F_COUNT] = {
    [GP_SRV_F_PORT] = {"port", 'p', "N", G_LISTEN, "TCP port; 0 picks a free one"},
    [GP_SRV_F_BIND] = {"bind", 'b', "ADDR", G_LISTEN,
                       "address to listen on, IPv4 or IPv6\n"
                       "(0.0.0.0: every interface)"},
    [GP_SRV_F_READY_FILE] = {"ready-file", 0, "PATH", G_LISTEN,
                             "once listening, write the port there (atomically)"},
    [GP_SRV_F_MAX_CONNECTIONS] = {"max-connections", 0, "N", G_LISTEN,
                                  "WebSocket connections at once; when given, it\n"
                                  "must fit the fd limit (`ulimit -n`)"},
    [GP_SRV_F_EVENT_LOOP] = {"event-loop", 0, "uv|poll", G_LISTEN,
                             "libuv (epoll) or libwebsockets' poll() loop"},
    [GP_SRV_F_TLS_CERT] = {"tls-cert", 0, "FILE", G_LISTEN,
                           "PEM certificate (chain) file: serve wss:// and\n"
                           "https:// instead of ws:// and http:// (needs --tls-key)"},
    [GP_SRV_F_TLS_KEY] = {"tls-key", 0, "FILE", G_LISTEN,
                          "PEM private key file of --tls-cert"},
    [GP_SRV_F_JWT_SECRET] = {"jwt-secret", 0, "SECRET", G_AUTH,
                             "HS256 secret for the tokens (beats $" GP_SRV_SECRET_ENV ")"},
    [GP_SRV_F_AUTH_TIMEOUT_MS] = {"auth-timeout-ms", 0, "MS", G_AUTH,
                                  "close 4408 when not authenticated by then"},
    [GP_SRV_F_MAX_MESSAGE] = {"max-message", 0, "BYTES", G_TIMING,
                              "largest message; one byte more closes 1009"},
    [GP_SRV_F_STUCK_AFTER_MS] = {"stuck-after-ms", 0, "MS", G_TIMING,
                                 "not ready after this long counts as stuck"},
    [GP_SRV_F_SHUTDOWN_GRACE_MS] = {"shutdown-grace-ms", 0, "MS", G_TIMING,
                                    "on SIGINT/SIGTERM, wait this long for requests in\n"
                                    "flight before closing 1001"},
    [GP_SRV_F_THINK_MS] = {"think-ms", 0, "MIN:MAX", G_TIMING,
                           "the reference agent's think time, drawn uniformly"},
    [GP_SRV_F_TOOL_MS] = {"tool-ms", 0, "MIN:MAX", G_TIMING, "the reference agent's tool time"},
    [GP_SRV_F_AGENT_FAILURE_RATE] = {"agent-failure-rate", 0, "R", G_TIMING,
                                     "chance (0-1) a request fails with AGENT_FAILED"},
    [GP_SRV_F_ACCEPT_DELAY_MS] = {"accept-delay-ms", 0, "MS", G_TIMING,
                                  "complete each accept MS after the handshake, as a slow\n"
                                  "server would (makes --bug accept_race visible)"},
    [GP_SRV_F_HEADER_TIMEOUT_MS] = {"header-timeout-ms", 0, "MS", G_DEFENCE,
                                    "a request head must be complete MS after the\n"
                                    "connection opened, or it is dropped"},
    [GP_SRV_F_MAX_HEADER_CONNECTIONS] = {"max-header-connections", 0, "N", G_DEFENCE,
                                         "connections still sending headers, in all;\n"
                                         "over it the oldest is dropped"},
    [GP_SRV_F_MAX_HEADER_CONNECTIONS_PER_IP] = {"max-header-connections-per-ip", 0, "N",
                                                G_DEFENCE, "the same, from one address"},
    [GP_SRV_F_PREAUTH_MEMORY_MAX] = {"preauth-memory-max", 0, "BYTES", G_DEFENCE,
                                     "what unauthenticated connections may hold\n"
                                     "together; over it, close 1013"},
    [GP_SRV_F_SEND_STALL_MS] = {"send-stall-ms", 0, "MS", G_DEFENCE,
                                "output held above the high-water mark this long:\n"
                                "close 1008 \"client is not reading\""},
    [GP_SRV_F_LOG_LEVEL] = {"log-level", 0, "LEVEL", G_DIAG, "debug, info, warning or error"},
    [GP_SRV_F_QUIET] = {"quiet", 'q', NULL, G_DIAG,
                        "warnings and errors only (--log-level warning)"},
    [GP_SRV_F_BUG] = {"bug", 0, "NAME", G_DIAG, "switch on one of these known bugs (repeatable)"},
    [GP_SRV_F_FAULT_HOOKS] = {"fault-hooks", 0, NULL, G_DIAG,
                              "honour fault-injection query parameters on /ws\n"
                              "(gp_accept_delay_ms=N): for goldpath's own live runs\n"
                              "only -- NEVER use it in production"},
    [GP_SRV_F_HELP] = {"help", 'h', NULL, G_DIAG, "this text"},
    [GP_SRV_F_VERSION] = {"version", 'V', NULL, G_DIAG, "print \"goldpath-server VERSION\""},
};

const char *gp_srv_flags_name(size_t i)
{
    static char names[GP_SRV_F_COUNT][48];
    if (i >= GP_SRV_F_COUNT)
        return NULL;
    snprintf(names[i], sizeof(names[i]), "--%s", gp_srv_flag_table[i].name);
    return names[i];
}

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
    if (!s || *s < '0' || *s > '9')
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

#define U32_MAX_MS 86400000u /* a day: longer timings are mistakes */

/* A whole number of milliseconds in [lo, U32_MAX_MS] for `flag`. */
static gp_srv_flags_result set_ms(parse_ctx *p, const char *flag, const char *v, uint64_t lo,
                                  uint64_t hi, uint32_t *out)
{
    uint64_t n;
    if (!parse_u64(v, lo, hi, &n))
        return fail(p, "%s takes a whole number of milliseconds from %llu to %llu (got '%s')",
                    flag, (unsigned long long)lo, (unsigned long long)hi, v);
    *out = (uint32_t)n;
    return GP_SRV_FLAGS_RUN;
}

/* A whole count in [lo, hi] for `flag` ("bytes" or "a count"). */
static gp_srv_flags_result set_count(parse_ctx *p, const char *flag, const char *what,
                                     const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!parse_u64(v, lo, hi, out))
        return fail(p, "%s takes %s from %llu to %llu (got '%s')", flag, what,
                    (unsigned long long)lo, (unsigned long long)hi, v);
    return GP_SRV_FLAGS_RUN;
}

static gp_srv_flags_result set_path(parse_ctx *p, const char *flag, const char *v,
                                    const char **out)
{
    if (!*v)
        return fail(p, "%s takes a file path (got '')", flag);
    *out = v;
    return GP_SRV_FLAGS_RUN;
}

/* Applies flag `id` with its value v ("" for switches).  RUN, or ERROR with
 * err set. */
static gp_srv_flags_result apply(parse_ctx *p, gp_srv_flag_id id, const char *v)
{
    gp_srv_options *o = p->opt;
    gp_server_config *c = &o->core;
    uint64_t n = 0;
    gp_srv_flags_result r = GP_SRV_FLAGS_RUN;
    switch (id) {
    case GP_SRV_F_PORT:
        if (!parse_u64(v, 0, 65535, &n))
            return fail(p, "--port takes a TCP port 0-65535 (0: pick a free one), got '%s'", v);
        o->port = (int)n;
        break;
    case GP_SRV_F_BIND:
        if (!*v)
            return fail(p, "--bind takes an IP address to listen on, e.g. 127.0.0.1 (got '')");
        o->bind = v;
        break;
    case GP_SRV_F_READY_FILE:
        return set_path(p, "--ready-file", v, &o->ready_file);
    case GP_SRV_F_MAX_CONNECTIONS:
        r = set_count(p, "--max-connections", "a count", v, 1, GP_SRV_MAX_CONNECTIONS_MAX, &n);
        c->max_connections = (uint32_t)n;
        o->max_connections_given = true;
        break;
    case GP_SRV_F_EVENT_LOOP:
        if (strcmp(v, "uv") == 0)
            o->loop = GP_SRV_LOOP_UV;
        else if (strcmp(v, "poll") == 0)
            o->loop = GP_SRV_LOOP_POLL;
        else
            return fail(p, "--event-loop takes uv or poll (got '%s')", v);
        break;
    case GP_SRV_F_TLS_CERT:
        return set_path(p, "--tls-cert", v, &o->tls_cert);
    case GP_SRV_F_TLS_KEY:
        return set_path(p, "--tls-key", v, &o->tls_key);
    case GP_SRV_F_JWT_SECRET:
        if (!*v)
            return fail(p, "--jwt-secret takes a non-empty secret (got '')");
        c->jwt_secret = v;
        c->jwt_secret_len = strlen(v);
        o->secret_is_dev = false;
        o->secret_source = "--jwt-secret";
        break;
    case GP_SRV_F_AUTH_TIMEOUT_MS:
        return set_ms(p, "--auth-timeout-ms", v, 1, U32_MAX_MS, &c->auth_timeout_ms);
    case GP_SRV_F_MAX_MESSAGE:
        r = set_count(p, "--max-message", "bytes", v, 1, GP_SRV_MAX_MESSAGE_BYTES_MAX, &n);
        c->max_message_bytes = (size_t)n;
        break;
    case GP_SRV_F_STUCK_AFTER_MS:
        return set_ms(p, "--stuck-after-ms", v, 1, U32_MAX_MS, &c->stuck_after_ms);
    case GP_SRV_F_SHUTDOWN_GRACE_MS:
        return set_ms(p, "--shutdown-grace-ms", v, 0, U32_MAX_MS, &c->shutdown_grace_ms);
    case GP_SRV_F_THINK_MS:
        if (!parse_range(v, U32_MAX_MS, &c->agent.think_ms_min, &c->agent.think_ms_max))
            return fail(p, "--think-ms takes MIN:MAX in milliseconds with MIN <= MAX, e.g. 20:80 (got '%s')", v);
        break;
    case GP_SRV_F_TOOL_MS:
        if (!parse_range(v, U32_MAX_MS, &c->agent.tool_ms_min, &c->agent.tool_ms_max))
            return fail(p, "--tool-ms takes MIN:MAX in milliseconds with MIN <= MAX, e.g. 10:40 (got '%s')", v);
        break;
    case GP_SRV_F_AGENT_FAILURE_RATE:
        if (!parse_rate(v, &c->agent_failure_rate))
            return fail(p, "--agent-failure-rate takes a probability from 0 to 1, e.g. 0.05 (got '%s')", v);
        break;
    case GP_SRV_F_ACCEPT_DELAY_MS:
        return set_ms(p, "--accept-delay-ms", v, 0, U32_MAX_MS, &o->accept_delay_ms);
    case GP_SRV_F_HEADER_TIMEOUT_MS:
        return set_ms(p, "--header-timeout-ms", v, 100, GP_SRV_HEADER_TIMEOUT_MS_MAX,
                      &o->header_timeout_ms);
    case GP_SRV_F_MAX_HEADER_CONNECTIONS:
        r = set_count(p, "--max-header-connections", "a count", v, 1, GP_SRV_HEADER_CONNS_MAX, &n);
        o->header_conns_max = (uint32_t)n;
        break;
    case GP_SRV_F_MAX_HEADER_CONNECTIONS_PER_IP:
        r = set_count(p, "--max-header-connections-per-ip", "a count", v, 1,
                      GP_SRV_HEADER_CONNS_MAX, &n);
        o->header_conns_per_ip_max = (uint32_t)n;
        break;
    case GP_SRV_F_PREAUTH_MEMORY_MAX:
        r = set_count(p, "--preauth-memory-max", "bytes", v, 65536, GP_SRV_PREAUTH_MEMORY_MAX, &n);
        o->preauth_memory_max = (size_t)n;
        break;
    case GP_SRV_F_SEND_STALL_MS:
        return set_ms(p, "--send-stall-ms", v, 1, U32_MAX_MS, &o->send_stall_ms);
    case GP_SRV_F_LOG_LEVEL:
        return parse_log_level(p, v);
    case GP_SRV_F_QUIET:
        o->log_level = GP_LOG_WARNING;
        break;
    case GP_SRV_F_BUG:
        return parse_bug(p, v);
    case GP_SRV_F_FAULT_HOOKS:
        o->fault_hooks = true;
        break;
    case GP_SRV_F_HELP:
        return GP_SRV_FLAGS_HELP;
    case GP_SRV_F_VERSION:
        return GP_SRV_FLAGS_VERSION;
    case GP_SRV_F_COUNT:
        break;
    }
    return r;
}

/* The error for a long flag getopt_long did not take: unknown (with a
 * suggestion), ambiguous (with the candidates), or given a value it does not
 * take.  `word` is the argument as written ("--prot=9"). */
static gp_srv_flags_result bad_long(parse_ctx *p, const char *word)
{
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    const char *names[GP_SRV_F_COUNT];
    char matches[256] = "";
    int exact = -1, prefixed = 0;
    for (size_t i = 0; i < GP_SRV_F_COUNT; i++) {
        names[i] = gp_srv_flags_name(i);
        if (strncmp(gp_srv_flag_table[i].name, name, len) != 0)
            continue;
        if (strlen(gp_srv_flag_table[i].name) == len)
            exact = (int)i;
        prefixed++;
        strncat(matches, prefixed > 1 ? ", " : "", sizeof(matches) - strlen(matches) - 1);
        strncat(matches, names[i], sizeof(matches) - strlen(matches) - 1);
    }
    if (exact < 0 && prefixed == 1) /* an abbreviation getopt took: only '=' is wrong */
        for (size_t i = 0; i < GP_SRV_F_COUNT; i++)
            if (strncmp(gp_srv_flag_table[i].name, name, len) == 0)
                exact = (int)i;
    if (exact >= 0 && name[len] == '=' && !gp_srv_flag_table[exact].arg)
        return fail(p, "--%s takes no value (got '%s')", gp_srv_flag_table[exact].name,
                    name + len + 1);
    if (prefixed > 1 && len > 0)
        return fail(p, "flag --%.*s is ambiguous: it could be %s (see --help)", (int)len, name,
                    matches);
    char bare[64];
    snprintf(bare, sizeof(bare), "--%.*s", (int)(len < 60 ? len : 60), name);
    const char *near = gp_suggest(bare, names, GP_SRV_F_COUNT);
    if (near)
        return fail(p, "unknown flag %s (did you mean %s? see --help)", bare, near);
    return fail(p, "unknown flag %s (see --help)", bare);
}

static void defaults(gp_srv_options *opt, const char *env_secret)
{
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
}

gp_srv_flags_result gp_srv_flags_parse(int argc, char **argv,
                                       const char *env_secret,
                                       gp_srv_options *opt, char *err,
                                       size_t err_len)
{
    parse_ctx p = {.opt = opt, .err = err, .err_len = err_len};
    if (err_len)
        err[0] = '\0';
    defaults(opt, env_secret);
    struct option longs[GP_SRV_F_COUNT + 1];
    /* '+': stop at the first operand rather than move it to the end (the
     * server takes none, and the word in an error is then the right one);
     * ':' next: a missing value returns ':'. */
    char shorts[2 * GP_SRV_F_COUNT + 3] = "+:";
    size_t s = 2;
    for (size_t i = 0; i < GP_SRV_F_COUNT; i++) {
        const gp_srv_flag *f = &gp_srv_flag_table[i];
        longs[i] = (struct option){f->name, f->arg ? required_argument : no_argument, NULL,
                                   1000 + (int)i};
        if (f->short_name) {
            shorts[s++] = f->short_name;
            if (f->arg)
                shorts[s++] = ':';
        }
    }
    shorts[s] = '\0';
    longs[GP_SRV_F_COUNT] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* glibc: a full restart, so the parser can run more than once */
    for (;;) {
        int prev = optind ? optind : 1;
        int c = getopt_long(argc, argv, shorts, longs, NULL);
        if (c == -1)
            break;
        /* The word just read: the option itself, or, for a separate value,
         * the one before it.  glibc advances optind past both. */
        const char *word = argv[prev < argc ? prev : argc - 1];
        if (c == ':') {
            int id = -1;
            for (size_t i = 0; i < GP_SRV_F_COUNT; i++)
                if ((optopt >= 1000 && optopt - 1000 == (int)i) ||
                    (optopt > 0 && optopt < 1000 && gp_srv_flag_table[i].short_name == optopt))
                    id = (int)i;
            if (id < 0)
                return fail(&p, "%s needs a value (see --help)", word);
            return fail(&p, "--%s needs a value (see --help)", gp_srv_flag_table[id].name);
        }
        if (c == '?') {
            if (word[0] == '-' && word[1] == '-')
                return bad_long(&p, word);
            if (optopt > 0 && optopt < 1000)
                return fail(&p, "unknown flag -%c (see --help)", optopt);
            return fail(&p, "unknown flag %s (see --help)", word);
        }
        int id = -1;
        if (c >= 1000 && c < 1000 + GP_SRV_F_COUNT)
            id = c - 1000;
        else
            for (size_t i = 0; i < GP_SRV_F_COUNT; i++)
                if (gp_srv_flag_table[i].short_name == c)
                    id = (int)i;
        if (id < 0)
            return fail(&p, "unknown flag %s (see --help)", word);
        gp_srv_flags_result r = apply(&p, (gp_srv_flag_id)id, optarg ? optarg : "");
        if (r != GP_SRV_FLAGS_RUN)
            return r;
    }
    if (optind < argc)
        return fail(&p, "unexpected argument '%s'%s (goldpath-server takes no arguments "
                        "besides its flags; see --help)", argv[optind],
                    optind > 1 && strcmp(argv[optind - 1], "--") == 0 ? " after --" : "");
    if (!opt->tls_cert != !opt->tls_key)
        return fail(&p, "%s needs %s as well: TLS takes a certificate and its private key "
                        "(or neither, for plain ws:// and http://)",
                    opt->tls_cert ? "--tls-cert" : "--tls-key",
                    opt->tls_cert ? "--tls-key" : "--tls-cert");
    return GP_SRV_FLAGS_RUN;
}
