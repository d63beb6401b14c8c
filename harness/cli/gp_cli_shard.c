/* gp_cli_shard.c: shard.json and the command words a shard and a merge
 * record; see gp_cli_shard.h. */
#include "gp_cli_shard.h"

#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_esc.h"
#include "gp_files.h"

#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

/* True when p points into word (after its first byte): a value written in
 * the same word as its option (--jobs=2). */
static bool inside(const char *word, const char *p)
{
    return p && p > word && p <= word + strlen(word);
}

static bool dropped(const char *p, const char *const *drop, size_t drop_len)
{
    for (size_t k = 0; p && k < drop_len; k++)
        if (drop[k] && drop[k] == p)
            return true;
    return false;
}

static bool dropped_inside(const char *word, const char *const *drop, size_t drop_len)
{
    for (size_t k = 0; k < drop_len; k++)
        if (inside(word, drop[k]))
            return true;
    return false;
}

static void add(gp_cli_words *out, const char *w)
{
    if (out->n < GP_CLI_WORDS_MAX)
        out->w[out->n++] = w;
}

void gp_cli_words_of(int argc, char **argv, const char *const *drop, size_t drop_len,
                     const char *out_value, gp_cli_words *out)
{
    out->n = 0;
    out->out_at = -1;
    for (int i = 0; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (i > 0 && dropped(next, drop, drop_len)) {
            i++; /* the option and its value */
            continue;
        }
        if (i > 0 && dropped_inside(argv[i], drop, drop_len))
            continue;
        if (i > 0 && out_value && (next == out_value || inside(argv[i], out_value))) {
            add(out, "--out");
            out->out_at = (int)out->n;
            add(out, out_value);
            i += next == out_value;
            continue;
        }
        add(out, argv[i]);
    }
}

void gp_cli_words_text(const gp_cli_words *words, const char *out_dir, char *out,
                       size_t out_len)
{
    size_t n = (size_t)snprintf(out, out_len, "goldpath");
    for (size_t i = 0; i < words->n && n < out_len; i++) {
        char word[1200];
        const char *w = out_dir && (int)i == words->out_at ? out_dir : words->w[i];
        gp_esc_shell(w, word, sizeof(word));
        n += (size_t)snprintf(out + n, out_len - n, " %s", word);
    }
}

json_t *gp_cli_shard_header(const char *kind, uint32_t shard, uint32_t shards,
                            const char *scenario, uint64_t seed, const gp_cli_words *command)
{
    json_t *words = json_array();
    for (size_t i = 0; i < command->n; i++)
        json_array_append_new(words, json_string(command->w[i]));
    return json_pack("{s:i, s:s, s:s, s:i, s:i, s:s, s:I, s:o, s:i, s:s}", "goldpath_shard",
                     GP_CLI_SHARD_FORMAT, "kind", kind, "goldpath_version", GP_VERSION, "shard",
                     (int)shard, "shards", (int)shards, "scenario", scenario, "seed",
                     (json_int_t)seed, "command", words, "out_at", command->out_at, "records",
                     GP_CLI_SHARD_RECORDS);
}

int gp_cli_shard_write(const char *dir, json_t *root, char *err, size_t err_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, GP_CLI_SHARD_FILE);
    int rc = root ? json_dump_file(root, path, JSON_INDENT(2)) : -1;
    json_decref(root);
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

int gp_cli_shard_write_sweep(const gp_sweep *sw, const char *dir, const char *vary,
                             uint32_t shard, uint32_t shards, const gp_cli_words *command,
                             char *err, size_t err_len)
{
    json_t *root = gp_cli_shard_header("sweep", shard, shards, sw->base.name, sw->base.seed,
                                       command);
    json_t *variants = json_array();
    for (uint32_t v = 0; v < sw->spec.variants_len; v++)
        json_array_append_new(variants, json_string(sw->spec.variants[v]));
    json_t *info = json_pack("{s:s, s:i, s:o, s:s, s:s, s:I, s:I}", "vary", vary, "seeds",
                             (int)sw->spec.seeds, "variants", variants, "scenario_arg",
                             sw->scenario_arg, "overrides", sw->overrides, "runs",
                             (json_int_t)(sw->spec.points * (size_t)gp_sweep_variant_count(&sw->spec) *
                                          sw->spec.seeds),
                             "runs_here", (json_int_t)sw->rows_len);
    if (!root || !info) {
        json_decref(root);
        json_decref(info);
        snprintf(err, err_len, "out of memory writing %s", GP_CLI_SHARD_FILE);
        return -1;
    }
    json_object_set_new(root, "sweep", info);
    return gp_cli_shard_write(dir, root, err, err_len);
}
