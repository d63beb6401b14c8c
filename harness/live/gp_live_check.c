/* gp_live_check.c: what live mode refuses before it opens a socket.
 *
 * Live mode injects what the simulator does: client faults in the virtual
 * clients, network faults (drops as retransmissions and resets, duplicates,
 * reorders, added latency) in the driver's own network between the clients
 * and their sockets, and the server's accept faults (the accept race, slow
 * and delayed accepts) through the fault hooks of a goldpath-server it starts
 * itself.  Only that last part cannot be done against a server given with
 * --url: a scenario that asks for it is refused with the field named, since
 * it would run without the fault and pass for the wrong reason. */
#include <stdio.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live.h"

static int refuse(char *err, size_t err_len, const char *field, const char *value,
                  const char *fix)
{
    snprintf(err, err_len,
             "live mode cannot run this scenario against --url: %s is %s, but only a "
             "goldpath-server that goldpath starts itself lets the driver control when its "
             "accept completes; run it without --url, with --mode sim, or with --set %s",
             field, value, fix);
    return GP_ERR_INVALID_ARG;
}

int gp_live_check_scenario(const gp_scenario *sc, bool with_url, char *err, size_t err_len)
{
    if (!with_url)
        return GP_OK;
    char value[48];
    if (sc->faults.accept_race > 0.0) {
        snprintf(value, sizeof(value), "%g", sc->faults.accept_race);
        return refuse(err, err_len, "faults.accept_race", value, "faults.accept_race=0");
    }
    if (sc->faults.slow_accept > 0.0) {
        snprintf(value, sizeof(value), "%g", sc->faults.slow_accept);
        return refuse(err, err_len, "faults.slow_accept", value, "faults.slow_accept=0");
    }
    gp_scenario d;
    gp_scenario_defaults(&d);
    if (sc->server.accept_delay.min_ms != d.server.accept_delay.min_ms ||
        sc->server.accept_delay.max_ms != d.server.accept_delay.max_ms) {
        char fix[96];
        snprintf(value, sizeof(value), "%u to %u ms", sc->server.accept_delay.min_ms,
                 sc->server.accept_delay.max_ms);
        snprintf(fix, sizeof(fix), "'server.accept_delay_ms={\"min\":%u,\"max\":%u}'",
                 d.server.accept_delay.min_ms, d.server.accept_delay.max_ms);
        return refuse(err, err_len, "server.accept_delay_ms", value, fix);
    }
    return GP_OK;
}
