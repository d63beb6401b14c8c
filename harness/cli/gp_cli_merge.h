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

/* Reads DIR/shard.json's records file (GP_CLI_SHARD_RECORDS) line by line:
 * fn(ctx, line, len) for each; stops at the first non-zero return, which it
 * returns; -1 with err when the file cannot be read. */
int gp_merge_each_record(const gp_merge_shard *s, int (*fn)(void *ctx, char *line, size_t len),
                         void *ctx, char *err, size_t err_len);

/* Merges the shards (sorted by index, checked) of a live run into OUT.
 * Returns the exit status: 0 the merged run passed, 1 a check failed, 2 the
 * shards could not be merged (the message printed). */
int gp_merge_live(gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o);

#endif
