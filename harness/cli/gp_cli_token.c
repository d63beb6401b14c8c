/* gp_cli_token.c: `goldpath token` prints a token for the server's secret. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp_cli.h"
#include "gp_error.h"
#include "gp_jwt.h"
#include "gp_server.h"

int gp_cli_token(int argc, char **argv)
{
    const char *sub = NULL, *secret = getenv("GOLDPATH_JWT_SECRET");
    long long ttl = 3600;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            gp_cli_help("token");
            return 0;
        } else if (strcmp(argv[i], "--sub") == 0 && v) {
            sub = v;
            i++;
        } else if (strcmp(argv[i], "--secret") == 0 && v) {
            secret = v;
            i++;
        } else if (strcmp(argv[i], "--ttl") == 0 && v) {
            char *end;
            errno = 0;
            ttl = strtoll(v, &end, 10);
            if (errno || *end || ttl <= 0 || ttl > 10LL * 366 * 24 * 3600) {
                fprintf(stderr, "goldpath token: --ttl takes a number of seconds from 1 to 316224000 (ten years), got \"%s\"\n", v);
                return 2;
            }
            i++;
        } else if (!v && (strcmp(argv[i], "--sub") == 0 || strcmp(argv[i], "--secret") == 0 ||
                          strcmp(argv[i], "--ttl") == 0)) {
            fprintf(stderr, "goldpath token: %s needs a value (see goldpath help token)\n", argv[i]);
            return 2;
        } else {
            fprintf(stderr, "goldpath token: unexpected \"%s\" (see goldpath help token)\n", argv[i]);
            return 2;
        }
    }
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
    int rc = gp_jwt_sign(key, sub, now, now + ttl, token, sizeof(token));
    gp_jwt_key_destroy(key);
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath token: %s\n", gp_err_message(rc));
        return 2;
    }
    printf("%s\n", token);
    return 0;
}
