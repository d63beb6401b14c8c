/* gp_cli_token.c: `goldpath token` prints a token for the server's secret. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp_cli.h"
#include "gp_cli_opts.h"
#include "gp_error.h"
#include "gp_jwt.h"
#include "gp_server.h"

typedef struct token_opts {
    const char *sub, *secret;
    long long ttl;
} token_opts;

enum { T_SUB, T_SECRET, T_TTL };

static int on_token_option(void *ctx, int id, const char *opt, const char *v)
{
    token_opts *t = ctx;
    uint64_t x;
    switch (id) {
    case T_SUB:
        t->sub = v;
        return 0;
    case T_SECRET:
        t->secret = v;
        return 0;
    default:
        if (gp_cli_number("token", opt, v, 1, 10ULL * 366 * 24 * 3600, &x) != 0)
            return -1;
        t->ttl = (long long)x;
        return 0;
    }
}

static int on_token_operand(void *ctx, const char *arg)
{
    (void)ctx;
    fprintf(stderr, "goldpath token: unexpected \"%s\" (see goldpath help token)\n", arg);
    return -1;
}

int gp_cli_token(int argc, char **argv)
{
    static const gp_cli_option opts[] = {
        {"sub", 0, true, T_SUB}, {"secret", 0, true, T_SECRET}, {"ttl", 0, true, T_TTL}};
    token_opts t = {.secret = getenv("GOLDPATH_JWT_SECRET"), .ttl = 3600};
    int rc = gp_cli_getopt("token", argc, argv, opts, 3, on_token_option, on_token_operand, &t);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    const char *sub = t.sub, *secret = t.secret;
    long long ttl = t.ttl;
    if (!sub) {
        fprintf(stderr, "goldpath token: --sub USER is required\n");
        return 2;
    }
    if (!gp_jwt_sub_is_valid(sub)) {
        fprintf(stderr, "goldpath token: --sub \"%s\": a user id is 1 to 128 characters of A-Za-z0-9_.@-\n", sub);
        return 2;
    }
    if (!secret || !*secret)
        secret = gp_dev_jwt_secret;
    gp_jwt_key *key = gp_jwt_key_create(secret, strlen(secret));
    if (!key) {
        fprintf(stderr, "goldpath token: could not prepare the key\n");
        return 2;
    }
    char token[2048];
    long long now = (long long)time(NULL);
    rc = gp_jwt_sign(key, sub, now, now + ttl, token, sizeof(token));
    gp_jwt_key_destroy(key);
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath token: %s\n", gp_err_message(rc));
        return 2;
    }
    printf("%s\n", token);
    return 0;
}
