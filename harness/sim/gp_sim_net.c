/* gp_sim_net.c: the simulated network.  Whole messages per connection and
 * direction: latency from the scenario's distribution, in-order delivery as
 * on TCP, loss as retransmission (then a reset), duplication, and reordering
 * where the protocol allows either order.  Every draw goes through net_next,
 * so a fuzzer's chooser can take the place of the seeded stream. */
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_sim_int.h"

/* The network's next 64 random bits: the seeded stream, or the schedule's
 * chooser when one is set. */
static uint64_t net_next(gp_sim *s)
{
    return s->opt->choose ? s->opt->choose(s->opt->choose_ctx) : gp_rng_next(&s->net_rng);
}

static double net_unit(gp_sim *s)
{
    return (double)(net_next(s) >> 11) * 0x1.0p-53;
}

static bool net_chance(gp_sim *s, double p)
{
    if (!(p > 0.0))
        return false;
    return p >= 1.0 || net_unit(s) < p;
}

static uint64_t net_range(gp_sim *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + net_next(s) % (hi - lo + 1);
}

uint64_t gp_sim_latency(gp_sim *s)
{
    const gp_scenario *sc = s->sc;
    uint64_t lo = sc->network.latency_min_ms, hi = sc->network.latency_max_ms;
    switch (sc->network.latency) {
    case GP_LATENCY_FIXED:
        return lo;
    case GP_LATENCY_UNIFORM:
        return net_range(s, lo, hi);
    case GP_LATENCY_EXPONENTIAL: {
        /* inverse transform without libm: -ln(u) from a 64-step series would
         * be slow; use the exact integer method of counting halvings plus a
         * uniform fraction, which has the exponential's mean and shape to
         * within a few percent and is fully deterministic */
        double mean = (double)sc->network.latency_mean_ms - (double)lo;
        double u = net_unit(s), x = 0.0;
        if (u == 0.0) /* -ln(0) is infinite: the distribution's cap */
            return hi;
        while (u < 0.5 && x < 64.0) {
            u *= 2.0;
            x += 0.6931471805599453; /* ln 2 */
        }
        /* -ln(u) for u in [0.5, 1): series of ln(1 + y), y = 1/u - 1 in (0, 1] */
        double y = 1.0 / u - 1.0, term = y, ln = 0.0;
        for (int k = 1; k <= 30; k++) {
            ln += (k % 2 ? term : -term) / k;
            term *= y;
        }
        uint64_t v = lo + (uint64_t)((x + ln) * mean);
        return v > hi ? hi : v;
    }
    }
    return lo;
}


/* Reorder key of a message: the request id's hash for an agent event or an
 * agent_execution, 0 (never reordered) for anything else.  Only computed when
 * reordering is configured. */
static uint64_t reorder_key(const char *data, size_t len, gp_msg_side side)
{
    gp_msg m;
    if (gp_msg_parse(data, len, side, &m, NULL, 0) != GP_OK)
        return 0;
    uint64_t key = 0;
    bool eligible = side == GP_SIDE_SERVER ? m.type == GP_MSG_AGENT_EXECUTION
                                           : gp_agent_step_of(m.type) >= 0;
    if (eligible && m.request_id) {
        key = 1469598103934665603ULL;
        for (const char *p = m.request_id; *p; p++)
            key = (key ^ (uint8_t)*p) * 1099511628211ULL;
        key |= 1;
    }
    gp_msg_clear(&m);
    return key;
}

static void reset_link(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (l->reset)
        return;
    l->reset = true;
    s->run->resets++;
    gp_sim_tracef(s, i, "NETWORK RESET: the connection is lost (1006 both sides)");
    uint64_t at = s->now + gp_sim_latency(s);
    if (!l->client_closed)
        gp_sim_push(s, at, EV_CLIENT_CLOSED, i, 1006, NULL);
    if (l->open_sent && !l->server_closed) {
        l->server_closed = true;
        gp_sim_push(s, at > l->last_to_server ? at : l->last_to_server, EV_SERVER_CLOSED, i, 0, NULL);
    }
}

/* Carries len bytes from one side of client i's connection to the other. */
void gp_sim_carry(gp_sim *s, uint32_t i, bool to_server, const char *data,
                  size_t len)
{
    const gp_scenario *sc = s->sc;
    sim_link *l = &s->links[i];
    uint64_t at = s->now + gp_sim_latency(s);
    uint64_t rto = sc->network.retransmit_ms;
    for (int tries = 0; net_chance(s, sc->network.drop_rate); tries++) {
        gp_sim_fault(s, GP_FAULT_NET_DROP, i);
        if (tries == 4) {
            reset_link(s, i);
            return;
        }
        at += rto;
        rto *= 2;
    }
    uint64_t *last = to_server ? &l->last_to_server : &l->last_to_client;
    uint64_t *last_key = to_server ? &l->key_to_server : &l->key_to_client;
    uint64_t *floor = to_server ? &l->floor_to_server : &l->floor_to_client;
    uint64_t key = 0;
    if (sc->network.reorder_rate > 0.0)
        key = reorder_key(data, len, to_server ? GP_SIDE_SERVER : GP_SIDE_CLIENT);
    /* A reordered message swaps places with the last message in flight and
     * no other: it lands after everything before that one (the floor), so
     * each request's own messages keep their order. */
    bool overtakes = key && *last_key && key != *last_key && *last > *floor &&
                     (at < *floor ? *floor : at) < *last &&
                     net_chance(s, sc->network.reorder_rate);
    if (overtakes) {
        if (at < *floor)
            at = *floor;
        *floor = at;
        gp_sim_fault(s, GP_FAULT_NET_REORDER, i);
    } else {
        if (at < *last)
            at = *last;
        *floor = *last;
        *last = at;
        *last_key = key;
    }
    int copies = 1 + net_chance(s, sc->network.duplicate_rate);
    if (copies == 2) {
        gp_sim_fault(s, GP_FAULT_NET_DUPLICATE, i);
        s->run->duplicates_delivered++;
    }
    for (int k = 0; k < copies; k++) {
        sim_msg *m = malloc(sizeof(*m) + len + 1);
        if (!m) {
            s->nomem = true;
            return;
        }
        m->len = len;
        memcpy(m->data, data, len);
        m->data[len] = '\0';
        gp_sim_push(s, at, to_server ? EV_TO_SERVER : EV_TO_CLIENT, i, 0, m);
    }
    s->run->messages++;
}
