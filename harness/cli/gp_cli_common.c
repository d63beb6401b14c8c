/* gp_cli_common.c: option parsing shared by the subcommands, with errors that
 * say which option was wrong and what it takes. */
#include "gp_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_u64(const char *cmd, const char *opt, const char *v, uint64_t max,
                     uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!v || !*v || *v == '-') {
        fprintf(stderr, "goldpath %s: %s needs a whole number\n", cmd, opt);
        return -1;
    }
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x > max) {
        fprintf(stderr, "goldpath %s: %s: \"%s\" is not a whole number from 0 to %llu\n", cmd,
                opt, v, (unsigned long long)max);
        return -1;
    }
    *out = x;
    return 0;
}

int gp_cli_parse_common(int argc, char **argv, const char *cmd, gp_cli_common *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x = 0;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            gp_cli_help(cmd);
            return 1;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_u64(cmd, a, v, UINT64_MAX, &o->seed))
                return -1;
            o->seed_given = true;
            i++;
        } else if (strcmp(a, "--clients") == 0) {
            if (parse_u64(cmd, a, v, GP_CLIENTS_MAX, &x))
                return -1;
            if (x == 0) {
                fprintf(stderr, "goldpath %s: --clients must be at least 1\n", cmd);
                return -1;
            }
            o->clients = (uint32_t)x;
            o->clients_given = true;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!v || !strchr(v, '=')) {
                fprintf(stderr, "goldpath %s: --set needs PATH=VALUE, e.g. --set faults.accept_race=0.2\n", cmd);
                return -1;
            }
            if (o->sets_len == GP_CLI_SETS_MAX) {
                fprintf(stderr, "goldpath %s: at most %d --set options\n", cmd, GP_CLI_SETS_MAX);
                return -1;
            }
            o->sets[o->sets_len++] = v;
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (!v) {
                fprintf(stderr, "goldpath %s: --out needs a folder\n", cmd);
                return -1;
            }
            o->out = v;
            i++;
        } else if (strcmp(a, "--trace-client") == 0) {
            if (parse_u64(cmd, a, v, UINT32_MAX - 1, &x))
                return -1;
            o->trace_client = (uint32_t)x;
            o->trace_client_given = true;
            i++;
        } else if (strcmp(a, "--mode") == 0) {
            if (!v || (strcmp(v, "sim") != 0 && strcmp(v, "live") != 0)) {
                fprintf(stderr, "goldpath %s: --mode takes sim or live\n", cmd);
                return -1;
            }
            o->mode_live = strcmp(v, "live") == 0;
            i++;
        } else if (strcmp(a, "--url") == 0) {
            if (!v || strncmp(v, "ws://", 5) != 0) {
                fprintf(stderr, "goldpath %s: --url takes ws://HOST:PORT/PATH\n", cmd);
                return -1;
            }
            o->url = v;
            i++;
        } else if (strcmp(a, "--server-log") == 0) {
            if (!v) {
                fprintf(stderr, "goldpath %s: --server-log needs the server's log file\n", cmd);
                return -1;
            }
            o->server_log = v;
            i++;
        } else if (strcmp(a, "--junit") == 0) {
            if (!v) {
                fprintf(stderr, "goldpath %s: --junit needs a file name\n", cmd);
                return -1;
            }
            o->junit = v;
            i++;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = true;
        } else if (strcmp(a, "--no-plots") == 0) {
            o->no_plots = true;
        } else if (a[0] == '-') {
            fprintf(stderr, "goldpath %s: unknown option %s (see goldpath help %s)\n", cmd, a, cmd);
            return -1;
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            fprintf(stderr, "goldpath %s: one scenario only (got %s and %s)\n", cmd, o->scenario, a);
            return -1;
        }
    }
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
