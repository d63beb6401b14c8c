/* gp_cli_shard_live.h: a live run's shard (gp_cli_shard_live.c) -- which
 * clients it runs, what it leaves for goldpath merge, and the codec of those
 * records that gp_cli_merge_live.c reads back. */
#ifndef GP_CLI_SHARD_LIVE_H
#define GP_CLI_SHARD_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gp_cli.h"
#include "gp_cli_shard.h"
#include "gp_live.h"

/* gp_run_init, or with --shard I/N the clients i % N == I of the scenario,
 * each keeping its index in the whole run for its draws (gp_run_init_subset).
 * GP_OK or GP_ERR_NOMEM. */
int gp_cli_run_init(gp_run *run, const gp_scenario *sc, const gp_cli_common *o);

/* Writes shard.json, shard_records.jsonl and shard_server.log (when the run
 * read a server log) into DIR, once the run was judged.  ports: each
 * client's local port (gp_live_options.client_ports); profile: the path of
 * the protocol profile the run used ("" or NULL: goldpath.v1).  GP_OK, or a
 * negative gp_err with err. */
int gp_cli_shard_write_run(const gp_run *run, const gp_cli_common *o, const char *dir,
                           const gp_live_stats *st, const uint16_t *ports, const char *profile,
                           char *err, size_t err_len);

/* The records' codec. */
json_t *gp_cli_health_json(const gp_health *h);
bool gp_cli_health_take(json_t *o, gp_health *h);
json_t *gp_cli_pairs_json(const gp_transition_stats *t);
bool gp_cli_pairs_take(json_t *o, gp_transition_stats *t);
/* Adds a "wire" object's counts to w. */
bool gp_cli_wire_take(json_t *o, gp_wire *w);
/* Fills c (made by gp_vclient_init: its plan) from a "client" line; 0 or -1. */
int gp_cli_client_take(json_t *o, gp_vclient *c, uint16_t *port);

/* The server's counters over a longer span: h (read at the end, counted
 * since base_last) becomes the count since base_first, an earlier reading;
 * the success rate is computed again.  Gauges stay as they are. */
void gp_cli_health_span(gp_health *h, const gp_health *base_last, const gp_health *base_first);
void gp_cli_pairs_span(gp_transition_stats *t, const gp_transition_stats *base_last,
                       const gp_transition_stats *base_first);

#endif
