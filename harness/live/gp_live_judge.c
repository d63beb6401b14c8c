/* gp_live_judge.c: the end of a live run -- the figures of live.json. */
#include <stdio.h>
#include <string.h>

#include "gp_live_int.h"

void gp_live_compute_stats(gp_live *lv)
{
    gp_live_stats *st = lv->stats;
    uint64_t first = UINT64_MAX, last = 0;
    for (uint32_t i = 0; i < lv->run->n_clients; i++) {
        const gp_vclient *c = &lv->run->clients[i];
        if (c->t_start && c->t_start < first)
            first = c->t_start;
        if (c->outcome == GP_VC_COMPLETED && c->t_done > last)
            last = c->t_done;
    }
    st->first_start_ms = first == UINT64_MAX ? 0 : first;
    st->last_done_ms = last;
    if (last > st->first_start_ms)
        st->golden_paths_per_s =
            (double)lv->run->completed * 1000.0 / (double)(last - st->first_start_ms);
    st->source_addresses = lv->n_sources;
    snprintf(st->url, sizeof(st->url), "ws://%s:%d%s", lv->url.host, lv->url.port,
             lv->url.path);
}
