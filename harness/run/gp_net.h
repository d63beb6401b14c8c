/* gp_net.h: the network fault model both drivers inject -- the scenario's
 * latency distribution and the per-transmission chances -- as pure functions
 * of 64-bit draws, so that the simulator (its seeded stream, or a fuzzer's
 * chooser) and live mode (each link's own stream) decide alike. */
#ifndef GP_NET_H
#define GP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_scenario.h"

/* Where the bits come from. */
typedef uint64_t (*gp_net_draw)(void *ctx);

/* One latency draw (ms) from sc's network.latency distribution. */
uint64_t gp_net_latency(const gp_scenario *sc, gp_net_draw draw, void *ctx);

/* True with probability p (no draw for p <= 0, none for p >= 1). */
bool gp_net_chance(double p, gp_net_draw draw, void *ctx);

/* A uniform integer in [lo, hi] (no draw when hi <= lo). */
uint64_t gp_net_range(uint64_t lo, uint64_t hi, gp_net_draw draw, void *ctx);

/* The reorder key of a message: a hash of its request_id when it is an
 * agent_execution (to_server) or an agent event (to the client), 0 for
 * anything else (never reordered: the protocol orders it). */
uint64_t gp_net_reorder_key(const char *data, size_t len, bool to_server);

#endif
