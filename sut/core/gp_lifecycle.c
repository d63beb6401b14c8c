/* gp_lifecycle.c: the connection-lifecycle state machine of gp_lifecycle.h.
 *
 * One table decides which steps are legal, so the simulator, the fuzz model
 * and the reports all agree on it.  An illegal step is refused before anything
 * in the machine is touched, so that a refused step can never leave a machine
 * half-moved (the incident's "state machine recreated mid-handshake" class of
 * bug shows up as counted, logged refusals instead of silent corruption). */
#include "gp_lifecycle.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gp_error.h"

static const char *const gp_state_names[GP_STATE_COUNT] = {
#define GP_STATE_NAME(name) #name,
    GP_STATE_MAP(GP_STATE_NAME)
#undef GP_STATE_NAME
};

static bool gp_state_is_valid(gp_state s)
{
    return (int)s >= 0 && s < GP_STATE_COUNT;
}

/* Returns "UNKNOWN" for any value outside the enum so that a corrupted state
 * still prints. */
const char *gp_state_name(gp_state s)
{
    return gp_state_is_valid(s) ? gp_state_names[s] : "UNKNOWN";
}

/* Exact, case-sensitive match on the names of GP_STATE_MAP; NULL, "" and
 * "UNKNOWN" give GP_STATE_COUNT. */
gp_state gp_state_parse(const char *name)
{
    if (!name)
        return GP_STATE_COUNT;
    for (int s = 0; s < GP_STATE_COUNT; s++)
        if (strcmp(name, gp_state_names[s]) == 0)
            return (gp_state)s;
    return GP_STATE_COUNT;
}

bool gp_state_is_terminal(gp_state s)
{
    return s == GP_STATE_CLOSING || s == GP_STATE_CLOSED ||
           s == GP_STATE_FAILED;
}

/* The whole transition table.  Values outside the enum are never legal. */
bool gp_transition_is_legal(gp_state from, gp_state to)
{
    if (!gp_state_is_valid(from) || !gp_state_is_valid(to))
        return false;
    /* Every live state may give up; only the climbing ones may climb, and
     * strictly one step at a time. */
    if (!gp_state_is_terminal(from) &&
        (to == GP_STATE_CLOSING || to == GP_STATE_FAILED))
        return true;
    if (from < GP_STATE_PROCESSING_READY && to == from + 1)
        return true;
    if (from == GP_STATE_CLOSING || from == GP_STATE_FAILED)
        return to == GP_STATE_CLOSED;
    return false;
}

/* Copies src (NUL-terminated) into dst of dst_size when it fits.  Returns
 * false when src is longer than dst_size - 1. */
static bool gp_copy_bounded(char *dst, size_t dst_size, const char *src)
{
    size_t len = 0;
    while (len < dst_size && src[len] != '\0') /* strnlen is not C11 */
        len++;
    if (len == dst_size)
        return false;
    memcpy(dst, src, len + 1);
    return true;
}

/* See gp_lifecycle.h.  An empty id is as invalid as a NULL one: a machine with
 * no id cannot be found, logged or reported. */
int gp_machine_init(gp_machine *m, const char *id, const char *user_id,
                    uint64_t now_ms)
{
    assert(m);
    memset(m, 0, sizeof(*m));
    if (!id || id[0] == '\0')
        return GP_ERR_INVALID_ARG;
    if (!gp_copy_bounded(m->id, sizeof(m->id), id)) {
        memset(m, 0, sizeof(*m));
        return GP_ERR_TOO_LONG;
    }
    if (user_id && !gp_copy_bounded(m->user_id, sizeof(m->user_id), user_id)) {
        memset(m, 0, sizeof(*m));
        return GP_ERR_TOO_LONG;
    }
    m->state = GP_STATE_CONNECTING;
    m->created_ms = now_ms;
    m->entered_ms = now_ms;
    m->history[0] = (gp_history_entry){.state = GP_STATE_CONNECTING,
                                       .at_ms = now_ms};
    m->history_len = 1;
    return GP_OK;
}

/* Reports the attempt from -> to on m to env's observer. */
static void gp_lifecycle_observe(const gp_env *env, const gp_machine *m,
                                 gp_state from, gp_state to, bool applied,
                                 uint64_t now_ms)
{
    if (!env || !env->observe)
        return;
    gp_observation o = {.kind = GP_OBS_STEP, .transport = m->owner, .id = m->id,
                        .from = (int)from, .to = (int)to, .after = (int)m->state,
                        .applied = applied, .at_ms = now_ms};
    env->observe(env->ctx, &o);
}

/* See gp_lifecycle.h.  A `to` outside the enum is a bad argument rather than
 * an illegal step: it has no cell in the pair matrices, so it returns
 * GP_ERR_INVALID_ARG without counting or logging anything.  The machine's own
 * state must be valid (a programmer error otherwise). */
int gp_machine_transition(gp_machine *m, gp_state to, uint64_t now_ms,
                          gp_transition_stats *stats, const gp_env *env)
{
    assert(m);
    assert(gp_state_is_valid(m->state));
    if (!gp_state_is_valid(to))
        return GP_ERR_INVALID_ARG;

    gp_state from = m->state;
    if (stats) {
        stats->attempted++;
        stats->pair_attempted[from][to]++;
    }
    if (!gp_transition_is_legal(from, to)) {
        if (stats) {
            stats->failed++;
            stats->pair_failed[from][to]++;
        }
        gp_env_log(env, GP_LOG_WARNING,
                   "Invalid state transition for %s: ApplicationConnectionState.%s "
                   "-> ApplicationConnectionState.%s",
                   m->id, gp_state_name(from), gp_state_name(to));
        gp_lifecycle_observe(env, m, from, to, false, now_ms);
        return GP_ERR_ILLEGAL_TRANSITION;
    }

    m->state = to;
    m->entered_ms = now_ms;
    if (m->history_len < GP_HISTORY_MAX)
        m->history[m->history_len++] =
            (gp_history_entry){.state = to, .at_ms = now_ms};
    else
        m->history_dropped++;
    if (stats)
        stats->succeeded++;
    gp_env_log(env, GP_LOG_INFO,
               "State transition for %s: ApplicationConnectionState.%s "
               "-> ApplicationConnectionState.%s",
               m->id, gp_state_name(from), gp_state_name(to));
    gp_lifecycle_observe(env, m, from, to, true, now_ms);
    return GP_OK;
}

double gp_transition_success_rate(const gp_transition_stats *stats)
{
    assert(stats);
    if (stats->attempted == 0)
        return 1.0;
    return (double)stats->succeeded / (double)stats->attempted;
}

void gp_transition_stats_add(gp_transition_stats *dst,
                             const gp_transition_stats *src)
{
    assert(dst && src);
    dst->attempted += src->attempted;
    dst->succeeded += src->succeeded;
    dst->failed += src->failed;
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            dst->pair_attempted[f][t] += src->pair_attempted[f][t];
            dst->pair_failed[f][t] += src->pair_failed[f][t];
        }
}
