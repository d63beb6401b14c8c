/* gp_cli_opts.c: getopt_long for every subcommand (gp_cli_opts.h). */
#include "gp_cli_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_cli.h"
#include "gp_suggest.h"

#define OPTS_MAX 48
#define ID_HELP (-1000)
#define ID_VERSION (-1001)

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

void gp_cli_version(void)
{
    printf("goldpath %s\n", GP_VERSION);
}

int gp_cli_number(const char *cmd, const char *opt, const char *value, uint64_t lo,
                  uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    bool digits = value && *value >= '0' && *value <= '9';
    unsigned long long x = digits ? strtoull(value, &end, 10) : 0;
    if (!digits || errno || *end || x < lo || x > hi) {
        fprintf(stderr, "goldpath %s: %s: \"%s\" is not a whole number from %llu to %llu\n", cmd,
                opt, value ? value : "", (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* The option names as "--name", for suggestions. */
static void suggest(const char *cmd, const char *given, const gp_cli_option *opts,
                    size_t count)
{
    char names[OPTS_MAX + 2][48];
    const char *ptrs[OPTS_MAX + 2];
    size_t n = 0;
    for (size_t k = 0; k < count && n < OPTS_MAX; k++, n++) {
        snprintf(names[n], sizeof(names[n]), "--%s", opts[k].name);
        ptrs[n] = names[n];
    }
    ptrs[n++] = "--help";
    ptrs[n++] = "--version";
    char bare[64];
    snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(given, "="), given);
    const char *near = gp_suggest(bare, ptrs, n);
    if (near)
        fprintf(stderr, "goldpath %s: unknown option %s (did you mean %s? see goldpath help %s)\n",
                cmd, bare, near, cmd);
    else
        fprintf(stderr, "goldpath %s: unknown option %s (see goldpath help %s)\n", cmd, bare,
                cmd);
}

int gp_cli_getopt(const char *cmd, int argc, char **argv, const gp_cli_option *opts,
                  size_t count, gp_cli_on_option on_option, gp_cli_on_operand on_operand,
                  void *ctx)
{
    struct option longs[OPTS_MAX + 3];
    char shorts[2 * OPTS_MAX + 8] = ":h"; /* ':' first: a missing value returns ':' */
    size_t s = strlen(shorts);
    if (count > OPTS_MAX)
        count = OPTS_MAX;
    for (size_t k = 0; k < count; k++) {
        longs[k] = (struct option){opts[k].name, opts[k].takes_value ? required_argument
                                                                      : no_argument,
                                   NULL, 1000 + (int)k};
        if (opts[k].short_name) {
            shorts[s++] = (char)opts[k].short_name;
            if (opts[k].takes_value)
                shorts[s++] = ':';
        }
    }
    shorts[s] = '\0';
    longs[count] = (struct option){"help", no_argument, NULL, ID_HELP};
    longs[count + 1] = (struct option){"version", no_argument, NULL, ID_VERSION};
    longs[count + 2] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* glibc: start afresh (every subcommand parses its own argv) */
    for (;;) {
        int c = getopt_long(argc, argv, shorts, longs, NULL);
        if (c == -1)
            break;
        const char *word = argv[optind > 1 ? optind - 1 : 1]; /* the option just read */
        if (c == 'h' || c == ID_HELP) {
            gp_cli_help(cmd);
            return 1;
        }
        if (c == ID_VERSION) {
            gp_cli_version();
            return 1;
        }
        if (c == ':') {
            fprintf(stderr, "goldpath %s: %s needs a value (see goldpath help %s)\n", cmd,
                    word, cmd);
            return -1;
        }
        if (c == '?') {
            if (optopt >= 1000 && strchr(word, '=')) {
                fprintf(stderr, "goldpath %s: %.*s takes no value\n", cmd,
                        (int)strcspn(word, "="), word);
                return -1;
            }
            if (optopt && optopt < 1000 && word[0] == '-' && word[1] != '-')
                fprintf(stderr, "goldpath %s: unknown option -%c (see goldpath help %s)\n", cmd,
                        optopt, cmd);
            else
                suggest(cmd, word, opts, count);
            return -1;
        }
        int id = -1;
        char as_written[64];
        if (c >= 1000 && c < 1000 + (int)count) {
            id = opts[c - 1000].id;
            snprintf(as_written, sizeof(as_written), "--%s", opts[c - 1000].name);
        } else {
            for (size_t k = 0; k < count; k++)
                if (opts[k].short_name == c) {
                    id = opts[k].id;
                    snprintf(as_written, sizeof(as_written), "--%s", opts[k].name);
                }
        }
        if (id == -1) {
            suggest(cmd, word, opts, count);
            return -1;
        }
        if (on_option(ctx, id, as_written, optarg) != 0)
            return -1;
    }
    for (int i = optind; i < argc; i++)
        if (on_operand(ctx, argv[i]) != 0)
            return -1;
    return 0;
}
