/* gp_cli_common.c: option parsing shared by the subcommands, with errors that
 * say which option was wrong and what it takes. */
#include "gp_cli.h"
#include "gp_cli_opts.h"
#include "gp_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_SEED, O_CLIENTS, O_SET, O_OUT, O_TRACE, O_MODE, O_URL, O_SERVER_LOG, O_JUNIT, O_QUIET,
    O_NO_PLOTS, O_EVENTS, O_PROFILE, O_SERVER_CMD, O_SERVER_READY, O_TLS_CA, O_TLS_CERT,
    O_TLS_KEY, O_TLS_SNI, O_INSECURE, O_SHARD,
};

const gp_cli_option gp_cli_common_options[] = {
    {"seed", 0, true, O_SEED},
    {"clients", 0, true, O_CLIENTS},
    {"set", 0, true, O_SET},
    {"out", 0, true, O_OUT},
    {"trace-client", 0, true, O_TRACE},
    {"mode", 0, true, O_MODE},
    {"url", 0, true, O_URL},
    {"server-log", 0, true, O_SERVER_LOG},
    {"junit", 0, true, O_JUNIT},
    {"quiet", 'q', false, O_QUIET},
    {"no-plots", 0, false, O_NO_PLOTS},
    {"events", 0, true, O_EVENTS},
    {"profile", 0, true, O_PROFILE},
    {"server-cmd", 0, true, O_SERVER_CMD},
    {"server-ready", 0, true, O_SERVER_READY},
    {"tls-ca", 0, true, O_TLS_CA},
    {"tls-cert", 0, true, O_TLS_CERT},
    {"tls-key", 0, true, O_TLS_KEY},
    {"tls-sni", 0, true, O_TLS_SNI},
    {"insecure", 0, false, O_INSECURE},
    {"shard", 0, true, O_SHARD},
};
const size_t gp_cli_common_options_len =
    sizeof(gp_cli_common_options) / sizeof(gp_cli_common_options[0]);

int gp_cli_shard_parse(const char *cmd, const char *v, uint32_t *shard, uint32_t *shards)
{
    unsigned long long i = 0, n = 0;
    int used = 0;
    bool digits = v[0] >= '0' && v[0] <= '9';
    if (!digits || sscanf(v, "%llu/%llu%n", &i, &n, &used) != 2 || v[used] != '\0' ||
        !strchr(v, '/') || !(v[strcspn(v, "/") + 1] >= '0' && v[strcspn(v, "/") + 1] <= '9')) {
        fprintf(stderr, "goldpath %s: --shard \"%s\": expected I/N, shard I of N counted from "
                        "0, e.g. --shard 0/4 ... --shard 3/4\n", cmd, v);
        return -1;
    }
    if (n == 0 || n > GP_CLI_SHARDS_MAX) {
        fprintf(stderr, "goldpath %s: --shard \"%s\": N is the number of shards, 1 to %u\n", cmd,
                v, GP_CLI_SHARDS_MAX);
        return -1;
    }
    if (i >= n) {
        fprintf(stderr, "goldpath %s: --shard \"%s\": I counts from 0 and must be below N "
                        "(0 to %llu for %llu shards)\n", cmd, v, n - 1, n);
        return -1;
    }
    *shard = (uint32_t)i;
    *shards = (uint32_t)n;
    return 0;
}

typedef struct common_ctx {
    const char *cmd;
    gp_cli_common *o;
} common_ctx;

int gp_cli_common_apply(const char *cmd, gp_cli_common *o, int id, const char *opt,
                        const char *v)
{
    uint64_t x = 0;
    switch (id) {
    case O_SEED:
        if (gp_cli_number(cmd, opt, v, 0, UINT64_MAX, &o->seed))
            return -1;
        o->seed_given = true;
        return 0;
    case O_CLIENTS:
        if (gp_cli_number(cmd, opt, v, 1, GP_CLIENTS_MAX, &x))
            return -1;
        o->clients = (uint32_t)x;
        o->clients_given = true;
        return 0;
    case O_SET:
        if (!strchr(v, '=')) {
            fprintf(stderr, "goldpath %s: --set \"%s\": expected PATH=VALUE, e.g. --set "
                            "faults.accept_race=0.2\n", cmd, v);
            return -1;
        }
        if (o->sets_len == GP_CLI_SETS_MAX) {
            fprintf(stderr, "goldpath %s: at most %d --set options\n", cmd, GP_CLI_SETS_MAX);
            return -1;
        }
        o->sets[o->sets_len++] = v;
        return 0;
    case O_OUT:
        o->out = v;
        return 0;
    case O_TRACE:
        if (gp_cli_number(cmd, opt, v, 0, UINT32_MAX - 1, &x))
            return -1;
        o->trace_client = (uint32_t)x;
        o->trace_client_given = true;
        return 0;
    case O_MODE:
        if (strcmp(v, "sim") != 0 && strcmp(v, "live") != 0) {
            fprintf(stderr, "goldpath %s: --mode \"%s\": takes sim or live\n", cmd, v);
            return -1;
        }
        o->mode_live = strcmp(v, "live") == 0;
        return 0;
    case O_URL: {
        char err[300];
        if (gp_live_url_check(v, err, sizeof(err)) != 0) {
            fprintf(stderr, "goldpath %s: --url \"%s\": %s\n", cmd, v, err);
            return -1;
        }
        o->url = v;
        return 0;
    }
    case O_SERVER_LOG:
        o->server_log = v;
        return 0;
    case O_JUNIT:
        o->junit = v;
        return 0;
    case O_QUIET:
        o->quiet = true;
        return 0;
    case O_NO_PLOTS:
        o->no_plots = true;
        return 0;
    case O_EVENTS:
        o->events = v;
        return 0;
    case O_PROFILE:
        o->profile = v;
        return 0;
    case O_SERVER_CMD:
        if (!strstr(v, "{port}")) {
            fprintf(stderr, "goldpath %s: --server-cmd \"%s\": the command must take its port "
                            "from the placeholder {port} (goldpath picks a free one)\n", cmd, v);
            return -1;
        }
        o->server_cmd = v;
        return 0;
    case O_SERVER_READY:
        o->server_ready = v;
        return 0;
    case O_TLS_CA:
        o->tls_ca = v;
        return 0;
    case O_TLS_CERT:
        o->tls_cert = v;
        return 0;
    case O_TLS_KEY:
        o->tls_key = v;
        return 0;
    case O_TLS_SNI:
        o->tls_sni = v;
        return 0;
    case O_INSECURE:
        o->insecure = true;
        return 0;
    case O_SHARD:
        if (gp_cli_shard_parse(cmd, v, &o->shard, &o->shards) != 0)
            return -1;
        o->shard_given = true;
        o->shard_text = v;
        return 0;
    }
    return 0;
}

static int on_common_option(void *ctx, int id, const char *opt, const char *v)
{
    common_ctx *cx = ctx;
    return gp_cli_common_apply(cx->cmd, cx->o, id, opt, v);
}

static int on_common_operand(void *ctx, const char *arg)
{
    common_ctx *cx = ctx;
    if (cx->o->scenario) {
        fprintf(stderr, "goldpath %s: one scenario only (got %s and %s)\n", cx->cmd,
                cx->o->scenario, arg);
        return -1;
    }
    cx->o->scenario = arg;
    return 0;
}

int gp_cli_parse_common(int argc, char **argv, const char *cmd, gp_cli_common *o)
{
    memset(o, 0, sizeof(*o));
    o->argc = argc;
    o->argv = argv;
    common_ctx cx = {cmd, o};
    int rc = gp_cli_getopt(cmd, argc, argv, gp_cli_common_options,
                           gp_cli_common_options_len, on_common_option, on_common_operand, &cx);
    if (rc != 0)
        return rc;
    return gp_cli_common_finish(cmd, o);
}

int gp_cli_common_finish(const char *cmd, gp_cli_common *o)
{
    if (!o->scenario) {
        fprintf(stderr, "goldpath %s: which scenario? usage: goldpath %s SCENARIO.json [options]\n",
                cmd, cmd);
        return -1;
    }
    if (o->server_log && !o->url) {
        fprintf(stderr, "goldpath %s: --server-log goes with --url (a server goldpath starts "
                        "writes its log into the report folder)\n", cmd);
        return -1;
    }
    if (o->url && !o->mode_live) {
        fprintf(stderr, "goldpath %s: --url goes with --mode live\n", cmd);
        return -1;
    }
    const char *live_only = o->profile ? "--profile" : o->server_cmd ? "--server-cmd"
                            : o->tls_ca ? "--tls-ca" : o->tls_cert ? "--tls-cert"
                            : o->tls_key ? "--tls-key" : o->tls_sni ? "--tls-sni"
                            : o->insecure ? "--insecure" : o->server_ready ? "--server-ready"
                            : NULL;
    if (live_only && !o->mode_live) {
        fprintf(stderr, "goldpath %s: %s goes with --mode live (the simulator runs goldpath's "
                        "own server and protocol)\n", cmd, live_only);
        return -1;
    }
    if (o->server_cmd && o->url) {
        fprintf(stderr, "goldpath %s: --server-cmd starts the server goldpath tests, --url names "
                        "one that runs already: give one of them\n", cmd);
        return -1;
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, "goldpath %s: --tls-cert and --tls-key go together (a client "
                        "certificate and its key)\n", cmd);
        return -1;
    }
    if (o->shard_given && strcmp(cmd, "run") == 0) {
        /* a simulated run is one deterministic process; a live run's clients
         * split between load generators that drive one server together */
        if (!o->mode_live || !o->url) {
            fprintf(stderr, "goldpath %s: --shard %u/%u splits a live run's clients between "
                            "load generators that test one server together: give --mode live "
                            "--url ws://HOST:PORT/PATH (and --server-log FILE); to split "
                            "simulated runs, shard a sweep (goldpath sweep --shard)\n",
                    cmd, o->shard, o->shards);
            return -1;
        }
        if (o->trace_client_given || o->events) {
            fprintf(stderr, "goldpath %s: --shard goes without %s: trace a client or stream "
                            "the events of an unsharded run\n",
                    cmd, o->trace_client_given ? "--trace-client" : "--events");
            return -1;
        }
    }
    if (o->server_ready && !o->server_cmd) {
        fprintf(stderr, "goldpath %s: --server-ready goes with --server-cmd\n", cmd);
        return -1;
    }
    return 0;
}

void gp_cli_overrides_text(const gp_cli_common *o, char *out, size_t out_len)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < o->sets_len && n < out_len; i++) {
        bool plain = strspn(o->sets[i], "abcdefghijklmnopqrstuvwxyz0123456789_.=-") ==
                     strlen(o->sets[i]);
        n += (size_t)snprintf(out + n, out_len - n, plain ? " --set %s" : " --set '%s'",
                              o->sets[i]);
    }
    if (o->url && n < out_len)
        snprintf(out + n, out_len - n, " --url %s", o->url);
}
