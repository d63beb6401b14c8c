/* gp_cli_shard.h: what a shard leaves for `goldpath merge` besides its
 * normal report folder, and the command line a merged folder records.
 *
 * shard.json (GP_CLI_SHARD_FILE) says who the shard is:
 *
 *   {"goldpath_shard": 1, "kind": "sweep" | "run", "goldpath_version": "0.1.0",
 *    "shard": I, "shards": N, "scenario": NAME, "seed": SEED,
 *    "command": ["sweep", "SCENARIO", "--vary", ..., "--out", "DIR"],
 *    "out_at": 7, "records": "shard_records.jsonl", "sweep": {...} | "run": {...}}
 *
 * "command" is the shard's command line as parsed (getopt's order), without
 * --shard and --jobs: the command of the whole sweep or run; "out_at" the
 * index of --out's value in it (-1: none), which a merge replaces with its
 * own folder.  Shards merge only when their kind, version, N, seed,
 * scenario.json and command (but --out) agree, and their indices are 0 to
 * N-1, once each.  The records (GP_CLI_SHARD_RECORDS) are JSON lines: a
 * sweep's result lines (gp_sweep_exec.h), a live run's client records
 * (gp_cli_merge_live.c). */
#ifndef GP_CLI_SHARD_H
#define GP_CLI_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "gp_sweep.h"

#define GP_CLI_SHARD_FILE "shard.json"
#define GP_CLI_SHARD_RECORDS "shard_records.jsonl"
#define GP_CLI_SHARD_LOG "shard_server.log" /* a live shard's part of the server's log */
#define GP_CLI_SHARD_FORMAT 1
#define GP_CLI_WORDS_MAX 512

/* A command line as words ("sweep", "SCENARIO", ...) and where --out's value
 * is among them. */
typedef struct gp_cli_words {
    const char *w[GP_CLI_WORDS_MAX];
    size_t n;
    int out_at; /* -1: no --out */
} gp_cli_words;

/* The words of argv (argv[0] the subcommand, as parsed: getopt puts the
 * options first) without the option words and values that `drop` names by
 * their value pointers (the value getopt handed over: "--jobs 2" drops both
 * words, "--jobs=2" the one), and with --out's value (out_value) written as
 * the two words "--out" VALUE, whose index goes to out_at.  NULL pointers
 * in drop are skipped. */
void gp_cli_words_of(int argc, char **argv, const char *const *drop, size_t drop_len,
                     const char *out_value, gp_cli_words *out);

/* "goldpath WORD ..." with each word quoted for a shell; with out_dir, the
 * word at out_at is out_dir. */
void gp_cli_words_text(const gp_cli_words *words, const char *out_dir, char *out,
                       size_t out_len);

/* shard.json's common part (caller adds "sweep" or "run" and writes it). */
json_t *gp_cli_shard_header(const char *kind, uint32_t shard, uint32_t shards,
                            const char *scenario, uint64_t seed, const gp_cli_words *command);

/* Writes root (stolen) as DIR/shard.json.  0, or -1 with err. */
int gp_cli_shard_write(const char *dir, json_t *root, char *err, size_t err_len);

/* A sweep shard's shard.json: the header and {"vary", "seeds", "variants",
 * "scenario_arg", "overrides", "runs", "runs_here"}. */
int gp_cli_shard_write_sweep(const gp_sweep *sw, const char *dir, const char *vary,
                             uint32_t shard, uint32_t shards, const gp_cli_words *command,
                             char *err, size_t err_len);

/* The table `goldpath sweep` prints (gp_cli_sweep.c), for merge too. */
void gp_cli_sweep_print_table(const gp_sweep *sw, FILE *out);

#endif
