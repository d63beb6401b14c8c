/* gp_sim_net.c: the simulated network.  Whole messages per connection and
 * direction: latency from the scenario's distribution (gp_net.h, shared with
 * live mode), in-order delivery as on TCP, loss as retransmission (then a
 * reset), duplication, and reordering where the protocol allows either
 * order.  Every draw goes through net_next, so a fuzzer's chooser can take
 * the place of the seeded stream. */
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_net.h"
#include "gp_sim_int.h"

/* Client i's link's next 64 random bits: its own seeded stream, or the
 * schedule's chooser when one is set. */
typedef struct link_draw {
    gp_sim *s;
    uint32_t i;
} link_draw;

static uint64_t draw(void *ctx)
{
    link_draw *d = ctx;
    gp_sim *s = d->s;
    if (s->opt->choose)
        return s->opt->choose(s->opt->choose_ctx);
    return d->i < s->run->n_clients ? gp_rng_next(&s->links[d->i].net_rng)
                                    : gp_rng_next(&s->net_rng);
}

static bool net_chance(gp_sim *s, uint32_t i, double p)
{
    if (s->faults_over) /* faults.until_ms has passed: a sound network */
        return false;
    link_draw d = {s, i};
    return gp_net_chance(p, draw, &d);
}

uint64_t gp_sim_latency(gp_sim *s, uint32_t i)
{
    link_draw d = {s, i};
    return gp_net_latency(s->sc, draw, &d);
}

static void reset_link(gp_sim *s, uint32_t i)
{
    sim_link *l = &s->links[i];
    if (l->reset)
        return;
    l->reset = true;
    gp_drive_fact(s->run, i, GP_FACT_RESET, 0);
    uint64_t at = s->now + gp_sim_latency(s, i);
    if (!l->client_closed)
        gp_sim_push(s, at, EV_CLIENT_CLOSED, i, GP_CLOSE_ABNORMAL, NULL);
    if (l->open_sent && !l->server_closed) {
        l->server_closed = true;
        gp_sim_push(s, at > l->last_to_server ? at : l->last_to_server, EV_SERVER_CLOSED, i, 0, NULL);
    }
}

static bool push_copy(gp_sim *s, uint32_t i, bool to_server, uint64_t at, const char *data,
                      size_t len, unsigned flags)
{
    sim_msg *m = malloc(sizeof(*m) + len + 1);
    if (!m) {
        s->nomem = true;
        return false;
    }
    m->len = len;
    m->flags = flags;
    memcpy(m->data, data, len);
    m->data[len] = '\0';
    gp_sim_push(s, at, to_server ? EV_TO_SERVER : EV_TO_CLIENT, i, 0, m);
    return true;
}

/* Carries len bytes from one side of client i's connection to the other.
 * Every fault it injects is recorded as a fact of that client (gp_drive_fact),
 * for that message: the checks excuse nothing else. */
void gp_sim_carry(gp_sim *s, uint32_t i, bool to_server, const char *data,
                  size_t len, unsigned tag)
{
    const gp_scenario *sc = s->sc;
    sim_link *l = &s->links[i];
    uint64_t at = s->now + gp_sim_latency(s, i);
    uint64_t rto = sc->network.retransmit_ms;
    for (int tries = 0; net_chance(s, i, sc->network.drop_rate); tries++) {
        gp_drive_fact(s->run, i, GP_FACT_DROP, 0);
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
        key = gp_net_reorder_key(data, len, to_server);
    /* A reordered message swaps places with the last message in flight and
     * no other: it lands after everything before that one (the floor), so
     * each request's own messages keep their order. */
    bool overtakes = key && *last_key && key != *last_key && *last > *floor &&
                     (at < *floor ? *floor : at) < *last &&
                     net_chance(s, i, sc->network.reorder_rate);
    if (overtakes) {
        if (at < *floor)
            at = *floor;
        *floor = at;
        gp_drive_fact(s->run, i, GP_FACT_REORDER, 0);
    } else {
        if (at < *last)
            at = *last;
        *floor = *last;
        *last = at;
        *last_key = key;
    }
    bool twice = net_chance(s, i, sc->network.duplicate_rate);
    unsigned binary = tag & SIM_MSG_BINARY;
    tag &= ~SIM_MSG_BINARY;
    if (!push_copy(s, i, to_server, at, data, len, binary))
        return;
    s->run->messages++;
    if (twice) {
        /* the second copy lands right behind the first: the receiver sees
         * the same message twice in a row */
        gp_drive_fact(s->run, i, to_server ? GP_FACT_DUP_TO_SERVER : GP_FACT_DUP_TO_CLIENT,
                      (int)tag);
        push_copy(s, i, to_server, at, data, len,
                  binary | (to_server ? 0 : GP_VC_DELIVERY_DUPLICATE));
    }
}
