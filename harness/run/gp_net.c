/* gp_net.c: the network fault model (gp_net.h). */
#include "gp_net.h"

#include "gp_agent.h"
#include "gp_codec.h"
#include "gp_error.h"

static double unit(gp_net_draw draw, void *ctx)
{
    return (double)(draw(ctx) >> 11) * 0x1.0p-53;
}

bool gp_net_chance(double p, gp_net_draw draw, void *ctx)
{
    if (!(p > 0.0))
        return false;
    return p >= 1.0 || unit(draw, ctx) < p;
}

uint64_t gp_net_range(uint64_t lo, uint64_t hi, gp_net_draw draw, void *ctx)
{
    return hi <= lo ? lo : lo + draw(ctx) % (hi - lo + 1);
}

uint64_t gp_net_latency(const gp_scenario *sc, gp_net_draw draw, void *ctx)
{
    uint64_t lo = sc->network.latency_min_ms, hi = sc->network.latency_max_ms;
    switch (sc->network.latency) {
    case GP_LATENCY_FIXED:
        return lo;
    case GP_LATENCY_UNIFORM:
        return gp_net_range(lo, hi, draw, ctx);
    case GP_LATENCY_EXPONENTIAL: {
        /* inverse transform without libm: -ln(u) as halvings (each ln 2)
         * plus a series for the rest, deterministic on every machine */
        double mean = (double)sc->network.latency_mean_ms - (double)lo;
        double u = unit(draw, ctx), x = 0.0;
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

uint64_t gp_net_reorder_key(const char *data, size_t len, bool to_server)
{
    gp_msg m;
    if (gp_msg_parse(data, len, to_server ? GP_SIDE_SERVER : GP_SIDE_CLIENT, &m, NULL, 0) !=
        GP_OK)
        return 0;
    uint64_t key = 0;
    bool eligible = to_server ? m.type == GP_MSG_AGENT_EXECUTION
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
