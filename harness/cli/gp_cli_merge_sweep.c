/* gp_cli_merge_sweep.c: the shards of one sweep merged (goldpath merge).
 * Every run's result line, taken in task order from the shard that ran it,
 * is what the unsharded sweep took from its workers, so the merged folder is
 * the unsharded sweep's byte for byte; its sweep.json records the command of
 * the whole sweep: the shards' without --shard, with --out OUT. */
#include "gp_cli_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_folder.h"
#include "gp_render.h"
#include "gp_sweep.h"
#include "gp_sweep_exec.h"
#include "gp_sweep_files.h"

typedef struct sweep_lines {
    const gp_sweep *sw;
    const gp_merge_shard *s;
    char **line;  /* by task */
    size_t *len;
    size_t tasks;
    char err[600];
} sweep_lines;

static int take_line(void *ctx, char *line, size_t len)
{
    sweep_lines *x = ctx;
    json_t *root = json_loadb(line, len, 0, NULL);
    json_int_t t = -1;
    bool ok = root && gp_merge_jint(root, "task", 0, (json_int_t)x->tasks - 1, &t);
    json_decref(root);
    if (!ok) {
        snprintf(x->err, sizeof(x->err), "%s/%s: a line that is not a run's result", x->s->dir,
                 GP_CLI_SHARD_RECORDS);
        return -1;
    }
    if ((uint64_t)t % x->s->shards != x->s->shard || x->line[t]) {
        snprintf(x->err, sizeof(x->err), "%s/%s: run %lld %s", x->s->dir, GP_CLI_SHARD_RECORDS,
                 (long long)t, x->line[t] ? "twice" : "is not this shard's");
        return -1;
    }
    x->line[t] = malloc(len + 1);
    if (!x->line[t]) {
        snprintf(x->err, sizeof(x->err), "out of memory");
        return -1;
    }
    memcpy(x->line[t], line, len + 1);
    x->len[t] = len;
    return 0;
}

/* The sweep of the shards' first: its scenario (scenario.json read back,
 * which must write the same bytes again) and settings.  0, or -1 with err. */
static int sweep_of(gp_sweep *sw, const gp_merge_shard *s, char *err, size_t err_len)
{
    json_t *info = json_object_get(s->root, "sweep");
    const char *vary = gp_merge_jstr(info, "vary"), *arg = gp_merge_jstr(info, "scenario_arg"),
               *over = gp_merge_jstr(info, "overrides");
    json_t *variants = json_object_get(info, "variants");
    json_int_t seeds = 0, runs = 0;
    if (!vary || !arg || !over || !json_is_array(variants) ||
        json_array_size(variants) > GP_SWEEP_VARIANTS_MAX ||
        !gp_merge_jint(info, "seeds", 1, GP_SWEEP_SEEDS_MAX, &seeds) ||
        !gp_merge_jint(info, "runs", 0, GP_SWEEP_RUNS_MAX, &runs)) {
        snprintf(err, err_len, "%s/%s: its \"sweep\" settings are missing or wrong", s->dir,
                 GP_CLI_SHARD_FILE);
        return -1;
    }
    char path[1200];
    snprintf(path, sizeof(path), "%s/scenario.json", s->dir);
    if (gp_scenario_parse(&sw->base, s->scenario_json, s->scenario_len, path, err, err_len) !=
        GP_OK)
        return -1;
    char *again = gp_scenario_to_json(&sw->base);
    bool same = again && strlen(again) + 1 == s->scenario_len &&
                memcmp(again, s->scenario_json, s->scenario_len - 1) == 0;
    free(again);
    if (!same) {
        snprintf(err, err_len, "%s does not read back as the scenario it describes (written "
                               "by another goldpath?)", path);
        return -1;
    }
    if (gp_sweep_parse_vary(&sw->spec, vary, err, err_len) != 0)
        return -1;
    sw->spec.seeds = (uint32_t)seeds;
    sw->spec.variants_len = (uint32_t)json_array_size(variants);
    for (uint32_t v = 0; v < sw->spec.variants_len; v++) {
        const char *text = json_string_value(json_array_get(variants, v));
        snprintf(sw->spec.variants[v], sizeof(sw->spec.variants[v]), "%s", text ? text : "");
    }
    snprintf(sw->scenario_arg, sizeof(sw->scenario_arg), "%s", arg);
    snprintf(sw->overrides, sizeof(sw->overrides), "%s", over);
    if ((size_t)runs != gp_sweep_task_count(&sw->spec)) {
        snprintf(err, err_len, "%s/%s: %lld runs, but its settings make %zu", s->dir,
                 GP_CLI_SHARD_FILE, (long long)runs, gp_sweep_task_count(&sw->spec));
        return -1;
    }
    return gp_sweep_begin(sw) == GP_OK ? 0 : (snprintf(err, err_len, "out of memory"), -1);
}

static int write_sweep(gp_sweep *sw, const gp_merge_shard *s, const gp_merge_opts *o,
                       char *err, size_t err_len)
{
    char command[8192], note[2048];
    gp_cli_words_text(&s->command, o->out, command, sizeof(command));
    if (gp_folder_claim(o->out, err, err_len) != GP_OK ||
        gp_sweep_write(sw, o->out, command, err, err_len) != 0)
        return 2;
    gp_render_status st =
        gp_render_folder(o->out, gp_merge_plots(s, o), note, sizeof(note), err, err_len);
    if (st == GP_RENDER_NO_PLOTS)
        fprintf(stderr, "goldpath: %s\n", note);
    else if (st == GP_RENDER_ERROR)
        return 2;
    if (o->junit && gp_sweep_write_junit(sw, o->junit, err, err_len) != 0)
        return 2;
    if (!o->quiet)
        gp_cli_sweep_print_table(sw, stdout);
    printf("  merged %u shards: %s/report.html\n", s->shards, o->out);
    return 0;
}

int gp_merge_sweep(gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o)
{
    char err[GP_SCENARIO_ERR_MAX + 600];
    gp_sweep *sw = calloc(1, sizeof(*sw));
    sweep_lines x = {0};
    int code = 2;
    if (!sw || sweep_of(sw, &shards[0], err, sizeof(err)) != 0)
        goto out;
    x.tasks = gp_sweep_task_count(&sw->spec);
    x.line = calloc(x.tasks + 1, sizeof(*x.line));
    x.len = calloc(x.tasks + 1, sizeof(*x.len));
    if (!x.line || !x.len) {
        snprintf(err, sizeof(err), "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < n; k++) {
        x.s = &shards[k];
        int rc = gp_merge_each_record(&shards[k], take_line, &x, err, sizeof(err));
        if (rc > 0 || (rc < 0 && x.err[0])) {
            snprintf(err, sizeof(err), "%s", x.err);
            goto out;
        }
        if (rc < 0)
            goto out;
    }
    for (size_t t = 0; t < x.tasks; t++) {
        if (!x.line[t]) {
            snprintf(err, sizeof(err), "run %zu is in no shard's records (shard %zu, %s, "
                                       "stopped before it?)",
                     t, t % n, shards[t % n].dir);
            goto out;
        }
        if (gp_sweep_take(sw, t, x.line[t], x.len[t], err, sizeof(err)) != GP_OK)
            goto out;
    }
    code = write_sweep(sw, &shards[0], o, err, sizeof(err));
out:
    if (code == 2)
        fprintf(stderr, "goldpath merge: %s\n", err);
    for (size_t t = 0; x.line && t < x.tasks; t++)
        free(x.line[t]);
    free(x.line);
    free(x.len);
    if (sw)
        gp_sweep_free(sw);
    free(sw);
    return code;
}
