/* gp_cli_merge.c: `goldpath merge OUT SHARD_DIR...` -- combines the folders
 * of the shards of one sweep (goldpath sweep --shard I/N) or of one live run
 * (goldpath run --mode live --shard I/N) into one report folder, as if one
 * process had done it all.
 *
 * Shards are refused, with exit 2 and a message naming the folders, unless
 * they are one split of one thing: the same kind, goldpath version, seed,
 * scenario.json (byte for byte) and command (but --out), the same N, and
 * indices 0 to N-1 once each.
 *
 * A sweep is merged by gp_cli_merge_sweep.c, a live run by
 * gp_cli_merge_live.c. */
#include "gp_cli_merge.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp_cli_opts.h"
#include "gp_error.h"

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

typedef struct merge_args {
    gp_merge_opts o;
    const char **dirs;
    uint32_t n;
} merge_args;

enum { M_JUNIT = 1, M_NO_PLOTS, M_QUIET };

static int on_option(void *ctx, int id, const char *opt, const char *v)
{
    merge_args *a = ctx;
    (void)opt;
    if (id == M_JUNIT)
        a->o.junit = v;
    else if (id == M_NO_PLOTS)
        a->o.no_plots = true;
    else if (id == M_QUIET)
        a->o.quiet = true;
    return 0;
}

static int on_operand(void *ctx, const char *arg)
{
    merge_args *a = ctx;
    if (!a->o.out) {
        a->o.out = arg;
        return 0;
    }
    if (a->n == GP_CLI_SHARDS_MAX) {
        fprintf(stderr, "goldpath merge: at most %u shard folders\n", GP_CLI_SHARDS_MAX);
        return -1;
    }
    a->dirs[a->n++] = arg;
    return 0;
}

/* ---- reading the shards ------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char *gp_merge_jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *gp_merge_jstr_or(json_t *o, const char *key)
{
    const char *v = gp_merge_jstr(o, key);
    return v ? v : "";
}

uint64_t gp_merge_ju(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

bool gp_merge_jint(json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return false;
    *out = json_integer_value(v);
    return true;
}

/* Reads DIR's shard.json and scenario.json.  0, or -1 after an error. */
static int load_shard(gp_merge_shard *s, const char *dir)
{
    char path[1200];
    memset(s, 0, sizeof(*s));
    s->dir = dir;
    snprintf(path, sizeof(path), "%s/%s", dir, GP_CLI_SHARD_FILE);
    json_error_t je;
    s->root = json_load_file(path, 0, &je);
    if (!s->root) {
        if (access(path, F_OK) != 0)
            fprintf(stderr, "goldpath merge: %s: no %s: not the folder of a shard (one written "
                            "with --shard I/N)\n", dir, GP_CLI_SHARD_FILE);
        else
            fprintf(stderr, "goldpath merge: %s:%d: %s\n", path, je.line, je.text);
        return -1;
    }
    json_int_t format = 0, shard = 0, shards = 0, seed = 0, out_at = -1;
    json_t *words = json_object_get(s->root, "command");
    s->kind = gp_merge_jstr(s->root, "kind");
    if (!gp_merge_jint(s->root, "goldpath_shard", 1, 1000, &format) || format != GP_CLI_SHARD_FORMAT ||
        !s->kind || (strcmp(s->kind, "sweep") != 0 && strcmp(s->kind, "run") != 0) ||
        !gp_merge_jint(s->root, "shards", 1, GP_CLI_SHARDS_MAX, &shards) ||
        !gp_merge_jint(s->root, "shard", 0, shards - 1, &shard) || !gp_merge_jint(s->root, "seed", INT64_MIN,
                                                                 INT64_MAX, &seed) ||
        !gp_merge_jstr(s->root, "goldpath_version") || !json_is_array(words) ||
        json_array_size(words) > GP_CLI_WORDS_MAX ||
        !gp_merge_jint(s->root, "out_at", -1, (json_int_t)json_array_size(words) - 1, &out_at)) {
        fprintf(stderr, "goldpath merge: %s: not a shard.json this goldpath (%s) reads "
                        "(format %lld)\n", path, GP_VERSION, (long long)format);
        return -1;
    }
    s->shard = (uint32_t)shard;
    s->shards = (uint32_t)shards;
    s->seed = (uint64_t)seed;
    s->command.n = json_array_size(words);
    s->command.out_at = (int)out_at;
    for (size_t i = 0; i < s->command.n; i++) {
        s->command.w[i] = json_string_value(json_array_get(words, i));
        if (!s->command.w[i]) {
            fprintf(stderr, "goldpath merge: %s: command word %zu is not a string\n", path, i);
            return -1;
        }
    }
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    s->scenario_json = read_file(path, &s->scenario_len);
    if (!s->scenario_json) {
        fprintf(stderr, "goldpath merge: %s: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static bool same_command(const gp_merge_shard *a, const gp_merge_shard *b)
{
    if (a->command.n != b->command.n || a->command.out_at != b->command.out_at)
        return false;
    for (size_t i = 0; i < a->command.n; i++)
        if ((int)i != a->command.out_at && strcmp(a->command.w[i], b->command.w[i]) != 0)
            return false;
    return true;
}

static int cmp_index(const void *x, const void *y)
{
    const gp_merge_shard *a = x, *b = y;
    return (a->shard > b->shard) - (a->shard < b->shard);
}

/* One split of one thing, every index once.  Sorts by index.  0, or -1
 * after an error. */
static int check_shards(gp_merge_shard *s, uint32_t n)
{
    const gp_merge_shard *a = &s[0];
    for (uint32_t k = 1; k < n; k++) {
        const gp_merge_shard *b = &s[k];
        const char *va = gp_merge_jstr(a->root, "goldpath_version"), *vb = gp_merge_jstr(b->root, "goldpath_version");
        char text_a[2048], text_b[2048];
        if (strcmp(va, vb) != 0) {
            fprintf(stderr, "goldpath merge: %s was written by goldpath %s and %s by goldpath "
                            "%s: merge the shards of one goldpath version\n",
                    a->dir, va, b->dir, vb);
            return -1;
        }
        if (strcmp(a->kind, b->kind) != 0) {
            fprintf(stderr, "goldpath merge: %s is a shard of a %s and %s of a %s\n", a->dir,
                    a->kind, b->dir, b->kind);
            return -1;
        }
        if (a->shards != b->shards) {
            fprintf(stderr, "goldpath merge: %s is shard %u/%u but %s is shard %u/%u: the "
                            "shards of one split only\n",
                    a->dir, a->shard, a->shards, b->dir, b->shard, b->shards);
            return -1;
        }
        if (a->seed != b->seed) {
            fprintf(stderr, "goldpath merge: %s ran seed %llu and %s seed %llu: the shards of "
                            "one %s only\n",
                    a->dir, (unsigned long long)a->seed, b->dir, (unsigned long long)b->seed,
                    a->kind);
            return -1;
        }
        if (a->scenario_len != b->scenario_len ||
            memcmp(a->scenario_json, b->scenario_json, a->scenario_len) != 0) {
            fprintf(stderr, "goldpath merge: %s and %s ran different scenarios (their "
                            "scenario.json differ)\n", a->dir, b->dir);
            return -1;
        }
        if (!same_command(a, b)) {
            gp_cli_words_text(&a->command, "OUT", text_a, sizeof(text_a));
            gp_cli_words_text(&b->command, "OUT", text_b, sizeof(text_b));
            fprintf(stderr, "goldpath merge: %s and %s ran different commands:\n  %s\n  %s\n",
                    a->dir, b->dir, text_a, text_b);
            return -1;
        }
    }
    qsort(s, n, sizeof(*s), cmp_index);
    for (uint32_t k = 0; k + 1 < n; k++)
        if (s[k].shard == s[k + 1].shard) {
            fprintf(stderr, "goldpath merge: %s and %s are both shard %u/%u\n", s[k].dir,
                    s[k + 1].dir, s[k].shard, s[k].shards);
            return -1;
        }
    if (n != s[0].shards) {
        char have[200] = "";
        size_t w = 0;
        for (uint32_t k = 0, want = 0; want < s[0].shards && w < sizeof(have) - 20; want++) {
            if (k < n && s[k].shard == want) {
                k++;
                continue;
            }
            w += (size_t)snprintf(have + w, sizeof(have) - w, "%s%u", w ? ", " : "", want);
        }
        fprintf(stderr, "goldpath merge: %u of %u shards given: shard%s %s missing (each of "
                        "0 to %u once)\n",
                n, s[0].shards, strchr(have, ',') ? "s" : "", have, s[0].shards - 1);
        return -1;
    }
    return 0;
}

bool gp_merge_plots(const gp_merge_shard *s, const gp_merge_opts *o)
{
    /* the folder the shards' command makes: with its --no-plots, none */
    for (size_t i = 0; i < s->command.n; i++)
        if ((int)i != s->command.out_at && strcmp(s->command.w[i], "--no-plots") == 0)
            return false;
    return !o->no_plots;
}

int gp_merge_each_record(const gp_merge_shard *s, int (*fn)(void *ctx, char *line, size_t len),
                         void *ctx, char *err, size_t err_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", s->dir, GP_CLI_SHARD_RECORDS);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0)
        rc = fn(ctx, line, (size_t)len);
    free(line);
    fclose(f);
    return rc;
}

/* ---- the command --------------------------------------------------------------- */

int gp_cli_merge(int argc, char **argv)
{
    merge_args a = {0};
    a.dirs = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*a.dirs));
    if (!a.dirs) {
        fprintf(stderr, "goldpath merge: out of memory\n");
        return 2;
    }
    static const gp_cli_option opts[] = {
        {"junit", 0, true, M_JUNIT},
        {"no-plots", 0, false, M_NO_PLOTS},
        {"quiet", 'q', false, M_QUIET},
    };
    int rc = gp_cli_getopt("merge", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), on_option,
                           on_operand, &a);
    if (rc != 0) {
        free(a.dirs);
        return rc < 0 ? 2 : 0;
    }
    if (!a.o.out || a.n == 0) {
        fprintf(stderr, "goldpath merge: usage: goldpath merge OUT SHARD_DIR... (the folders "
                        "the shards wrote with --shard I/N)\n");
        free(a.dirs);
        return 2;
    }
    char out_real[PATH_MAX], dir_real[PATH_MAX];
    bool out_exists = realpath(a.o.out, out_real) != NULL;
    for (uint32_t k = 0; k < a.n; k++)
        if (strcmp(a.dirs[k], a.o.out) == 0 ||
            (out_exists && realpath(a.dirs[k], dir_real) && strcmp(dir_real, out_real) == 0)) {
            fprintf(stderr, "goldpath merge: %s is a shard's folder: give the merged report a "
                            "folder of its own\n", a.o.out);
            free(a.dirs);
            return 2;
        }
    gp_merge_shard *s = calloc(a.n, sizeof(*s));
    int code = 2;
    uint32_t loaded = 0;
    if (!s) {
        fprintf(stderr, "goldpath merge: out of memory\n");
        goto out;
    }
    for (; loaded < a.n; loaded++)
        if (load_shard(&s[loaded], a.dirs[loaded]) != 0) {
            loaded++;
            goto out;
        }
    if (check_shards(s, a.n) != 0)
        goto out;
    code = strcmp(s[0].kind, "sweep") == 0 ? gp_merge_sweep(s, a.n, &a.o)
                                           : gp_merge_live(s, a.n, &a.o);
out:
    for (uint32_t k = 0; s && k < loaded; k++) {
        json_decref(s[k].root);
        free(s[k].scenario_json);
    }
    free(s);
    free(a.dirs);
    return code;
}
