/* gp_judge.c: the independent lifecycle judge (gp_judge.h). */
#include "gp_judge.h"

#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

enum { CONNECTING, ACCEPTED, AUTHENTICATED, SERVICES_READY, PROCESSING_READY, CLOSING,
       CLOSED, FAILED, NSTATES };
_Static_assert((int)NSTATES == (int)GP_STATE_COUNT, "the judge knows every state");
_Static_assert((int)CLOSING == (int)GP_STATE_CLOSING && (int)FAILED == (int)GP_STATE_FAILED &&
                   (int)PROCESSING_READY == (int)GP_STATE_PROCESSING_READY,
               "the judge's names are the core's numbers");

/* Rows: from; columns: to.  The climb one step at a time, giving up from any
 * live state, and the end of giving up.  Nothing else. */
static const bool legal[NSTATES][NSTATES] = {
    [CONNECTING] = {[ACCEPTED] = true, [CLOSING] = true, [FAILED] = true},
    [ACCEPTED] = {[AUTHENTICATED] = true, [CLOSING] = true, [FAILED] = true},
    [AUTHENTICATED] = {[SERVICES_READY] = true, [CLOSING] = true, [FAILED] = true},
    [SERVICES_READY] = {[PROCESSING_READY] = true, [CLOSING] = true, [FAILED] = true},
    [PROCESSING_READY] = {[CLOSING] = true, [FAILED] = true},
    [CLOSING] = {[CLOSED] = true},
    [FAILED] = {[CLOSED] = true},
    [CLOSED] = {0},
};

bool gp_judge_step_is_legal(int from, int to)
{
    return from >= 0 && from < NSTATES && to >= 0 && to < NSTATES && legal[from][to];
}

static bool short_of_ready(int s)
{
    return s >= CONNECTING && s < PROCESSING_READY;
}

static uint64_t hash_id(const char *id)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return h ? h : 1;
}

int gp_judge_init(gp_judge *j, uint32_t n, uint32_t stuck_after_ms)
{
    memset(j, 0, sizeof(*j));
    j->n = n;
    j->stuck_after_ms = stuck_after_ms;
    j->conns = calloc(n ? n : 1, sizeof(*j->conns));
    if (!j->conns)
        return GP_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++)
        j->conns[i].state = GP_STATE_COUNT;
    return GP_OK;
}

void gp_judge_free(gp_judge *j)
{
    free(j->conns);
    free(j->extra);
    free(j->map_keys);
    free(j->map_vals);
    memset(j, 0, sizeof(*j));
}

static int map_grow(gp_judge *j)
{
    size_t cap = j->map_cap ? j->map_cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    uint32_t *vals = calloc(cap, sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return GP_ERR_NOMEM;
    }
    for (size_t i = 0; i < j->map_cap; i++) {
        if (!j->map_keys[i])
            continue;
        size_t k = j->map_keys[i] & (cap - 1);
        while (keys[k])
            k = (k + 1) & (cap - 1);
        keys[k] = j->map_keys[i];
        vals[k] = j->map_vals[i];
    }
    free(j->map_keys);
    free(j->map_vals);
    j->map_keys = keys;
    j->map_vals = vals;
    j->map_cap = cap;
    return GP_OK;
}

int gp_judge_link(gp_judge *j, const char *id, uint32_t conn)
{
    if ((j->map_len + 1) * 2 > j->map_cap && map_grow(j) != GP_OK)
        return GP_ERR_NOMEM;
    uint64_t h = hash_id(id);
    size_t k = h & (j->map_cap - 1);
    while (j->map_keys[k] && j->map_keys[k] != h)
        k = (k + 1) & (j->map_cap - 1);
    if (!j->map_keys[k])
        j->map_len++;
    j->map_keys[k] = h;
    j->map_vals[k] = conn;
    return GP_OK;
}

uint32_t gp_judge_conn_of(const gp_judge *j, const char *id)
{
    if (!j->map_cap || !id)
        return UINT32_MAX;
    uint64_t h = hash_id(id);
    for (size_t k = h & (j->map_cap - 1); j->map_keys[k]; k = (k + 1) & (j->map_cap - 1))
        if (j->map_keys[k] == h)
            return j->map_vals[k];
    return UINT32_MAX;
}

const gp_judge_conn *gp_judge_conn_at(const gp_judge *j, uint32_t conn)
{
    if (conn < j->n)
        return &j->conns[conn];
    if (conn != UINT32_MAX && conn - j->n < j->extra_len)
        return &j->extra[conn - j->n];
    return NULL;
}

gp_state gp_judge_state(const gp_judge *j, uint32_t conn)
{
    const gp_judge_conn *c = gp_judge_conn_at(j, conn);
    return c ? (gp_state)c->state : GP_STATE_COUNT;
}

/* A new connection of no known client for `id`; UINT32_MAX out of memory. */
static uint32_t add_extra(gp_judge *j, const char *id)
{
    if (j->extra_len == j->extra_cap) {
        uint32_t cap = j->extra_cap ? j->extra_cap * 2 : 64;
        gp_judge_conn *grown = realloc(j->extra, cap * sizeof(*grown));
        if (!grown)
            return UINT32_MAX;
        j->extra = grown;
        j->extra_cap = cap;
    }
    uint32_t conn = j->n + j->extra_len;
    j->extra[j->extra_len++] = (gp_judge_conn){.state = GP_STATE_COUNT};
    if (gp_judge_link(j, id, conn) != GP_OK) {
        j->extra_len--;
        return UINT32_MAX;
    }
    return conn;
}

/* The model leaves its state at t: was the connection held short of ready
 * for longer than the threshold?  The server's own check fires at
 * entered + threshold + 1 ms; leaving exactly then is the edge, where the
 * order of two events of the same millisecond decides. */
static void leave_state(gp_judge *j, gp_judge_conn *c, uint64_t t)
{
    if (!short_of_ready(c->state) || c->stuck)
        return;
    uint64_t due = c->entered_ms + (uint64_t)j->stuck_after_ms + 1;
    if (t < due)
        return;
    c->stuck = t > due ? 2 : 1;
    c->stuck_state = c->state;
    c->flags |= GP_JF_STUCK;
    if (c->stuck == 2)
        j->stuck_certain++;
    else
        j->stuck_edge++;
}

static void enter_state(gp_judge *j, gp_judge_conn *c, int s, uint64_t t)
{
    if (c->state < NSTATES)
        j->by_state[c->state]--;
    c->state = (uint8_t)s;
    c->entered_ms = t;
    if (s < NSTATES)
        j->by_state[s]++;
}

static void on_registered(gp_judge *j, gp_judge_conn *c, const gp_observation *o)
{
    j->registered++;
    j->live_machines++;
    if (c->machines++ == 0)
        j->opened++;
    else if (c->machines == 2) {
        c->flags |= GP_JF_MISMATCH;
        j->mismatched++;
    }
    if (c->state < NSTATES && !gp_state_is_terminal((gp_state)c->state))
        c->flags |= GP_JF_INCONSISTENT; /* a second live machine for one connection */
    leave_state(j, c, o->at_ms);
    c->id_hash = hash_id(o->id);
    enter_state(j, c, o->to == CONNECTING ? CONNECTING : o->to, o->at_ms);
    if (o->to != CONNECTING)
        c->flags |= GP_JF_INCONSISTENT; /* machines are born in CONNECTING */
}

static void on_unregistered(gp_judge *j, gp_judge_conn *c, const gp_observation *o)
{
    j->unregistered++;
    if (j->live_machines)
        j->live_machines--;
    if (c->id_hash != hash_id(o->id))
        c->flags |= GP_JF_INCONSISTENT; /* not the machine the model holds */
    /* a machine dropped before it was closed loses its progress: the
     * incident's "migration" */
    if (c->state < NSTATES && c->state != CLOSED)
        c->flags |= GP_JF_INCONSISTENT;
    leave_state(j, c, o->at_ms);
    enter_state(j, c, NSTATES, o->at_ms);
    c->id_hash = 0;
}

static void on_step(gp_judge *j, gp_judge_conn *c, const gp_observation *o)
{
    int from = o->from, to = o->to;
    if (from < 0 || from >= NSTATES || to < 0 || to >= NSTATES) {
        c->flags |= GP_JF_INCONSISTENT;
        return;
    }
    j->attempted++;
    j->pair_attempted[from][to]++;
    bool ok = legal[from][to];
    if (!ok) {
        j->illegal++;
        c->flags |= GP_JF_ILLEGAL;
    }
    if (c->state != from || c->id_hash != hash_id(o->id))
        c->flags |= GP_JF_INCONSISTENT; /* the machine changed behind the steps */
    if (o->applied) {
        j->applied++;
        if (!ok || o->after != to)
            c->flags |= GP_JF_INCONSISTENT;
        leave_state(j, c, o->at_ms);
        enter_state(j, c, to, o->at_ms);
    } else {
        j->refused++;
        j->pair_refused[from][to]++;
        if (ok || o->after != from)
            c->flags |= GP_JF_INCONSISTENT; /* a legal step refused */
    }
}

void gp_judge_observe(gp_judge *j, uint32_t conn, const gp_observation *o)
{
    if (!j->first_ms)
        j->first_ms = o->at_ms ? o->at_ms : 1;
    if (conn >= j->n)
        conn = gp_judge_conn_of(j, o->id);
    if (conn == UINT32_MAX)
        conn = add_extra(j, o->id);
    if (conn == UINT32_MAX)
        return;
    if (conn >= j->n)
        j->unattributed++;
    gp_judge_conn *c = (gp_judge_conn *)gp_judge_conn_at(j, conn);
    c->flags |= GP_JF_SEEN;
    switch (o->kind) {
    case GP_OBS_REGISTERED:
        gp_judge_link(j, o->id, conn);
        on_registered(j, c, o);
        break;
    case GP_OBS_UNREGISTERED:
        on_unregistered(j, c, o);
        break;
    case GP_OBS_STEP:
        on_step(j, c, o);
        break;
    case GP_OBS_AGENT_FAILURE: /* a fact about a request, not a step */
        break;
    }
}

void gp_judge_ready_sent(gp_judge *j, uint32_t conn, uint64_t at_ms)
{
    (void)at_ms;
    j->ready_sent++;
    gp_judge_conn *c = (gp_judge_conn *)gp_judge_conn_at(j, conn);
    if (!c)
        return;
    if (c->state != PROCESSING_READY)
        c->flags |= GP_JF_FALSE_READY;
}

uint64_t gp_judge_stuck_now(const gp_judge *j, uint64_t t)
{
    uint64_t n = 0;
    for (uint32_t k = 0; k < j->n + j->extra_len; k++) {
        const gp_judge_conn *c = k < j->n ? &j->conns[k] : &j->extra[k - j->n];
        n += short_of_ready(c->state) && t > c->entered_ms &&
             t - c->entered_ms > j->stuck_after_ms;
    }
    return n;
}

void gp_judge_finish(gp_judge *j, uint64_t at_ms)
{
    for (uint32_t i = 0; i < j->n; i++)
        leave_state(j, &j->conns[i], at_ms);
    for (uint32_t k = 0; k < j->extra_len; k++)
        leave_state(j, &j->extra[k], at_ms);
}
