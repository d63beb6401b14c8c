/* gp_check_faults.c: every fault the scenario configures was injected at
 * least once (a run cannot pass by injecting nothing), with a reason when
 * a fault cannot fire in the scenario as written. */
#include <stdio.h>
#include <string.h>

#include "gp_checks_int.h"

/* Why fault f cannot fire in sc as written, or NULL when it can. */
static const char *cannot_fire(const gp_scenario *sc, gp_fault f)
{
    double bad = 0.0;
    for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++)
        bad += sc->faults.bad_token[t];
    if (f != GP_FAULT_NO_AUTH && gp_fault_side_of(f) == GP_FAULT_BY_CLIENTS &&
        sc->faults.no_auth >= 1.0)
        return "every client is a faults.no_auth client, which has no other fault";
    if (f == GP_FAULT_NET_REORDER && sc->clients.requests < 2)
        return "reordering needs two requests in flight (clients.requests_per_client >= 2)";
    if (f == GP_FAULT_NET_REORDER && sc->clients.request_mode == GP_REQUEST_SEQUENTIAL)
        return "reordering needs two requests in flight, and clients.request_mode "
               "\"sequential\" sends one at a time";
    if (f == GP_FAULT_DISCONNECT_PROCESSING && sc->faults.agent_failure >= 1.0)
        return "every request fails before its events";
    if (f == GP_FAULT_SLOW_ACCEPT && sc->faults.accept_race >= 1.0)
        return "a client meets one accept fault at most, and every client has an accept race";
    if ((f == GP_FAULT_AGENT_FAILURE || f == GP_FAULT_DISCONNECT_READY ||
         f == GP_FAULT_DISCONNECT_PROCESSING) &&
        bad + sc->faults.no_auth >= 1.0 - 1e-9)
        return "no client gets as far as ready: every one has a bad token or never authenticates";
    return NULL;
}

void gp_check_faults_fired(const gp_run *run, gp_check_result *r)
{
    char missing[600] = "";
    for (int f = 0; f < GP_FAULT_COUNT; f++) {
        if (gp_fault_rate(&run->sc, (gp_fault)f) <= 0.0 || run->ledger.fired[f] != 0)
            continue;
        r->count++;
        const char *why = cannot_fire(&run->sc, (gp_fault)f);
        char chance[160];
        double expect = gp_fault_rate(&run->sc, (gp_fault)f) * (double)run->n_clients;
        if (!why && gp_fault_side_of((gp_fault)f) == GP_FAULT_BY_CLIENTS && expect < 10.0) {
            /* drawn per client: with few clients, none may be drawn */
            snprintf(chance, sizeof(chance),
                     "about %.1f of %u clients expected at this rate, none drawn; raise "
                     "clients.count or the rate", expect, run->n_clients);
            why = chance;
        }
        size_t len = strlen(missing);
        snprintf(missing + len, sizeof(missing) - len, "%s%s%s%s%s", len ? "; " : "",
                 gp_fault_name((gp_fault)f), why ? " (" : "", why ? why : "", why ? ")" : "");
    }
    gp_check_evidence(r, "the fault ledger");
    if (r->count)
        gp_check_detail(r, "configured but never injected: %s", missing);
    else
        gp_check_detail(r, "every configured fault was injected");
}
