/* gp_cli_merge.h: `goldpath merge` -- what its parts share: the shards as
 * read from their folders (shard.json, scenario.json), checked to be one
 * split of one sweep or one live run, and the merge of a live run's shards
 * (gp_cli_merge_live.c). */
#ifndef GP_CLI_MERGE_H
#define GP_CLI_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gp_cli.h"
#include "gp_cli_shard.h"

/* One shard folder. */
typedef struct gp_merge_shard {
    const char *dir;
    json_t *root;          /* shard.json */
    const char *kind;      /* "sweep" or "run" */
    uint32_t shard, shards;
    uint64_t seed;
    char *scenario_json;   /* DIR/scenario.json as written (malloc'd) */
    size_t scenario_len;
    gp_cli_words command;  /* words point into root */
} gp_merge_shard;

typedef struct gp_merge_opts {
    const char *out;       /* OUT */
    const char *junit;     /* --junit FILE */
    bool no_plots, quiet;
} gp_merge_opts;

/* `goldpath merge` (gp_cli_merge.c): 0 merged (a live run: and it passed),
 * 1 a merged live run failed a check, 2 bad usage or shards that cannot be
 * merged. */
int gp_cli_merge(int argc, char **argv);

/* Small readers of shard.json: a string (NULL when missing), an integer in
 * [lo, hi] (false when missing or outside), a non-negative integer (0 when
 * missing), a string ("" when missing). */
const char *gp_merge_jstr(json_t *o, const char *key);
bool gp_merge_jint(json_t *o, const char *key, json_int_t lo, json_int_t hi, json_int_t *out);
uint64_t gp_merge_ju(json_t *o, const char *key);
const char *gp_merge_jstr_or(json_t *o, const char *key);

/* Whether the merged folder gets plots: not with merge's --no-plots, nor
 * when the shards' command had --no-plots (the folder it makes has none). */
bool gp_merge_plots(const gp_merge_shard *s, const gp_merge_opts *o);

/* Reads DIR/shard.json's records file (GP_CLI_SHARD_RECORDS) line by line:
 * fn(ctx, line, len) for each; stops at the first non-zero return, which it
 * returns; -1 with err when the file cannot be read. */
int gp_merge_each_record(const gp_merge_shard *s, int (*fn)(void *ctx, char *line, size_t len),
                         void *ctx, char *err, size_t err_len);

/* Merges the shards (sorted by index, checked) of a sweep into OUT: the exit
 * status, 0 or 2 (the message printed). */
int gp_merge_sweep(gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o);

/* Merges the shards (sorted by index, checked) of a live run into OUT.
 * Returns the exit status: 0 the merged run passed, 1 a check failed, 2 the
 * shards could not be merged (the message printed). */
int gp_merge_live(gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o);

/* ---- a live run's shards (gp_cli_merge_live.c, gp_cli_merge_server.c) ---- */

/* One live shard as the merge reads it. */
typedef struct live_shard {
    const gp_merge_shard *s;
    json_t *run;           /* shard.json's "run" */
    json_t *health;        /* its "health" */
    uint64_t t0_unix_us, end_ms, d_ms; /* d_ms: its start after the first shard's */
    gp_timeline_row *rows;
    size_t rows_len, rows_cap;
} live_shard;

/* Joins the shards' parts of the server's log into DIR/server.log.  1 when
 * written, 0 when no shard read a log or the parts leave a gap (why in
 * run->evidence_why), -1 with err when they are parts of different logs. */
int gp_merge_join_log(live_shard *ls, uint32_t n, gp_run *run, const char *dir, char *err,
                      size_t err_len);

/* The server's figures of the merged run: those the shard that read them
 * last read, counted since the first shard's reading before the run. */
void gp_merge_health(live_shard *ls, uint32_t n, gp_run *run);

/* The timeline: the server's columns from shard `ref`, the clients' summed
 * bucket by bucket.  0, or -1 out of memory. */
int gp_merge_timeline(live_shard *ls, uint32_t n, uint32_t ref, gp_run *run);

#endif
