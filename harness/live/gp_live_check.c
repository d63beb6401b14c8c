/* gp_live_check.c: what live mode refuses before it opens a socket.
 *
 * The simulator controls the network and the server's accept; a live run has
 * whatever network it has and a server whose accept it cannot delay.  A
 * scenario that asks for one of those (latency other than the defaults, drops,
 * duplicates, reordering, accept races, slow or delayed accepts) would run
 * without the fault and pass for the wrong reason, so it is refused with the
 * field named.  Client faults (disconnects, bad tokens, early messages), the
 * server's agent failures and its bug switches all work over real sockets. */
#include <stdio.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live.h"

static int refuse(char *err, size_t err_len, const char *field, const char *value,
                  const char *why, const char *fix)
{
    snprintf(err, err_len,
             "live mode cannot run this scenario: %s is %s, but %s; run it with --mode sim, "
             "or live with --set %s",
             field, value, why, fix);
    return GP_ERR_INVALID_ARG;
}

static int refuse_rate(char *err, size_t err_len, const char *field, double rate,
                       const char *why)
{
    char value[32], fix[96];
    snprintf(value, sizeof(value), "%g", rate);
    snprintf(fix, sizeof(fix), "%s=0", field);
    return refuse(err, err_len, field, value, why, fix);
}

static int check_network(const gp_scenario *sc, char *err, size_t err_len)
{
    const char *tcp = "TCP delivers every message once and in order: live mode cannot inject that";
    if (sc->network.drop_rate > 0.0)
        return refuse_rate(err, err_len, "network.drop_rate", sc->network.drop_rate, tcp);
    if (sc->network.duplicate_rate > 0.0)
        return refuse_rate(err, err_len, "network.duplicate_rate", sc->network.duplicate_rate,
                           tcp);
    if (sc->network.reorder_rate > 0.0)
        return refuse_rate(err, err_len, "network.reorder_rate", sc->network.reorder_rate, tcp);
    gp_scenario d;
    gp_scenario_defaults(&d);
    const char *net = "a live run has the real network's latency, not a simulated one";
    if (sc->network.latency != d.network.latency)
        return refuse(err, err_len, "network.latency.distribution",
                      gp_latency_dist_name(sc->network.latency), net,
                      "network.latency.distribution=uniform");
    if (sc->network.latency_min_ms != d.network.latency_min_ms ||
        sc->network.latency_max_ms != d.network.latency_max_ms ||
        sc->network.latency_mean_ms != d.network.latency_mean_ms) {
        char value[64], fix[160];
        snprintf(value, sizeof(value), "min %u / mean %u / max %u ms",
                 sc->network.latency_min_ms, sc->network.latency_mean_ms,
                 sc->network.latency_max_ms);
        snprintf(fix, sizeof(fix), "'network.latency={\"min_ms\":%u,\"mean_ms\":%u,\"max_ms\":%u}' "
                 "(the defaults)", d.network.latency_min_ms, d.network.latency_mean_ms,
                 d.network.latency_max_ms);
        return refuse(err, err_len, "network.latency", value, net, fix);
    }
    return GP_OK;
}

static int check_accept(const gp_scenario *sc, char *err, size_t err_len)
{
    gp_scenario d;
    gp_scenario_defaults(&d);
    const char *acc = "the live driver cannot control when the server's accept completes";
    if (sc->faults.accept_race > 0.0)
        return refuse_rate(err, err_len, "faults.accept_race", sc->faults.accept_race, acc);
    if (sc->faults.slow_accept > 0.0)
        return refuse_rate(err, err_len, "faults.slow_accept", sc->faults.slow_accept, acc);
    if (sc->server.accept_delay.min_ms != d.server.accept_delay.min_ms ||
        sc->server.accept_delay.max_ms != d.server.accept_delay.max_ms) {
        char value[48], fix[96];
        snprintf(value, sizeof(value), "%u to %u ms", sc->server.accept_delay.min_ms,
                 sc->server.accept_delay.max_ms);
        snprintf(fix, sizeof(fix), "'server.accept_delay_ms={\"min\":%u,\"max\":%u}' (the default)",
                 d.server.accept_delay.min_ms, d.server.accept_delay.max_ms);
        return refuse(err, err_len, "server.accept_delay_ms", value, acc, fix);
    }
    return GP_OK;
}

int gp_live_check_scenario(const gp_scenario *sc, char *err, size_t err_len)
{
    int rc = check_network(sc, err, err_len);
    if (rc == GP_OK)
        rc = check_accept(sc, err, err_len);
    return rc;
}
