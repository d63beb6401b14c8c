/* fuzz_transitions_ops.c: fuzz_transitions' operations, each carried out on
 * the core and on the model and compared (fuzz_transitions.h).  The model
 * predicts every return code from the headers' contracts; a refused step
 * must leave the machine byte for byte as it was. */
#include <stdio.h>
#include <string.h>

#include "fuzz_transitions.h"
#include "gp_error.h"

/* Copies a string known to fit (checked by the caller against the core's
 * limits) into a model buffer of `size`. */
void copy_str(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    CHECK(len < size, "model buffer too small for %zu bytes", len);
    memcpy(dst, src, len + 1);
}

uint32_t id_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h;
}

model_machine *model_find(world *w, const char *id)
{
    if (!id)
        return NULL;
    uint32_t h = id_hash(id);
    for (size_t i = 0; i < w->live_len; i++)
        if (w->live[i].hash == h && model_streq(w->live[i].id, id))
            return &w->live[i];
    return NULL;
}

/* ---- comparing model and core --------------------------------------------- */

void check_machine(const model_machine *mm, const gp_machine *m)
{
    CHECK(model_streq(m->id, mm->id), "machine id %s, model %s", m->id, mm->id);
    CHECK((int)m->state == mm->state, "%s: state %s, model %s", mm->id,
          gp_state_name(m->state), model_state_name(mm->state));
    CHECK(m->created_ms == mm->created_ms && m->entered_ms == mm->entered_ms,
          "%s: times differ from the model", mm->id);
    CHECK(m->history_len == mm->history_len && m->history_dropped == mm->history_dropped,
          "%s: history %u+%u, model %u+%u", mm->id, m->history_len, m->history_dropped,
          mm->history_len, mm->history_dropped);
    for (uint32_t i = 0; i < mm->history_len; i++)
        CHECK(m->history[i].state == mm->history[i].state &&
                  m->history[i].at_ms == mm->history[i].at_ms,
              "%s: history entry %u differs", mm->id, i);
    CHECK(model_streq(m->user_id, mm->user), "%s: user %s, model %s", mm->id, m->user_id,
          mm->user);
}

/* The cheap invariants, after every operation; the per-state counts only
 * after operations that go through the registry (`registry`). */
void check_counts(world *w, bool registry)
{
    CHECK(gp_registry_count(w->reg) == w->live_len, "registry holds %zu machines, model %zu",
          gp_registry_count(w->reg), w->live_len);
    const gp_transition_stats *st = &w->stats;
    CHECK(st->attempted == st->succeeded + st->failed, "attempted %llu != %llu + %llu",
          (unsigned long long)st->attempted, (unsigned long long)st->succeeded,
          (unsigned long long)st->failed);
    CHECK(st->attempted == w->counts.attempted && st->failed == w->counts.failed,
          "core counted %llu/%llu attempted/failed, model %llu/%llu",
          (unsigned long long)st->attempted, (unsigned long long)st->failed,
          (unsigned long long)w->counts.attempted, (unsigned long long)w->counts.failed);
    if (!registry)
        return;
    size_t sum = 0;
    for (int s = 0; s < GP_STATE_COUNT; s++) {
        size_t expect = w->counted_n[s];
        size_t got = gp_registry_count_state(w->reg, (gp_state)s);
        CHECK(got == expect, "registry counts %zu in %s, model %zu", got,
              model_state_name(s), expect);
        sum += got;
    }
    CHECK(sum == w->live_len, "per-state counts add up to %zu, not %zu", sum, w->live_len);
    CHECK(gp_registry_count_state(w->reg, GP_STATE_COUNT) == 0, "a count outside the states");
}

/* ---- operations ----------------------------------------------------------- */

/* The registry learnt of mm's state: move it between the model's counts. */
static void recount(world *w, model_machine *mm)
{
    w->counted_n[mm->counted]--;
    mm->counted = mm->state;
    w->counted_n[mm->counted]++;
}

/* One step of machine mm (registry-held when `registry`), checked against the
 * model.  Returns the core's return code. */
int do_step(world *w, model_machine *mm, gp_state to, bool registry, bool with_stats,
                   bool with_env)
{
    gp_machine before = *mm->m;
    uint64_t logs = w->logs;
    gp_transition_stats *st = with_stats ? &w->stats : NULL;
    const gp_env *env = with_env ? &w->env : NULL;
    int rc = registry ? gp_registry_transition(w->reg, mm->m, to, w->now, st, env)
                      : gp_machine_transition(mm->m, to, w->now, st, env);
    int from = mm->state;
    if ((int)to < 0 || (int)to >= GP_STATE_COUNT) {
        CHECK(rc == GP_ERR_INVALID_ARG, "step to %d outside the states returned %s", (int)to,
              gp_err_name(rc));
        CHECK(memcmp(&before, mm->m, sizeof(before)) == 0, "a step to no state changed %s",
              mm->id);
        CHECK(w->logs == logs, "a step to no state was logged");
        if (registry) /* any registry call brings the counts up to date */
            recount(w, mm);
        return rc;
    }
    if (with_stats) {
        w->counts.attempted++;
        w->counts.pair_attempted[from][to]++;
    }
    if (model_step_is_legal(from, (int)to)) {
        CHECK(rc == GP_OK, "%s: legal step %s -> %s returned %s", mm->id,
              model_state_name(from), model_state_name(to), gp_err_name(rc));
        mm->state = (int)to;
        mm->entered_ms = w->now;
        if (mm->history_len < GP_HISTORY_MAX)
            mm->history[mm->history_len++] = (gp_history_entry){.state = to, .at_ms = w->now};
        else
            mm->history_dropped++;
        if (with_stats)
            w->counts.succeeded++;
        bool logged = with_env && GP_LOG_INFO >= w->env.log_level_min;
        CHECK(w->logs == logs + logged, "legal step logged %llu lines, expected %d",
              (unsigned long long)(w->logs - logs), logged);
        CHECK(!logged || model_step_line_is(w->last_log, "State transition for ", mm->id,
                                            from, (int)to),
              "legal step logged \"%s\"", w->last_log);
    } else {
        CHECK(rc == GP_ERR_ILLEGAL_TRANSITION, "%s: illegal step %s -> %s returned %s",
              mm->id, model_state_name(from), model_state_name(to), gp_err_name(rc));
        CHECK(memcmp(&before, mm->m, sizeof(before)) == 0,
              "%s: the illegal step %s -> %s was applied", mm->id, model_state_name(from),
              model_state_name(to));
        if (with_stats) {
            w->counts.failed++;
            w->counts.pair_failed[from][to]++;
        }
        bool logged = with_env && GP_LOG_WARNING >= w->env.log_level_min;
        CHECK(w->logs == logs + logged, "illegal step logged %llu lines, expected %d",
              (unsigned long long)(w->logs - logs), logged);
        if (logged && !model_illegal_line_is(w->last_log, mm->id, from, (int)to)) {
            char expect[512];
            model_illegal_line(expect, sizeof(expect), mm->id, from, (int)to);
            gp_fuzz_fail(TARGET, "logged \"%s\", expected \"%s\"", w->last_log, expect);
        }
    }
    if (registry)
        recount(w, mm);
    check_machine(mm, mm->m);
    return rc;
}

int do_register(world *w, const char *id, const char *user)
{
    model_machine *found = model_find(w, id);
    bool full = w->capacity_max && w->live_len >= w->capacity_max;
    int expect = GP_OK;
    if (!id || !*id)
        expect = GP_ERR_INVALID_ARG;
    else if (strlen(id) > GP_ID_LEN_MAX || (user && strlen(user) > GP_USER_LEN_MAX))
        expect = GP_ERR_TOO_LONG;
    else if (found)
        expect = GP_ERR_EXISTS;
    else if (full)
        expect = GP_ERR_FULL;
    else if (w->live_len == LIVE_MAX)
        return GP_ERR_FULL; /* the model's own limit: not called */
    gp_machine *m = NULL;
    int rc = gp_registry_register(w->reg, id, user, w->now, &m);
    /* An id both taken and over capacity may be refused for either reason. */
    bool ok = rc == expect || (expect == GP_ERR_EXISTS && full && rc == GP_ERR_FULL);
    CHECK(ok, "register(%s) returned %s, expected %s", id ? id : "NULL", gp_err_name(rc),
          gp_err_name(expect));
    if (rc != GP_OK)
        return rc;
    CHECK(m != NULL, "register succeeded without a machine");
    model_machine *mm = &w->live[w->live_len++];
    w->counted_n[GP_STATE_CONNECTING]++;
    *mm = (model_machine){.state = GP_STATE_CONNECTING, .counted = GP_STATE_CONNECTING,
                          .created_ms = w->now, .entered_ms = w->now, .history_len = 1,
                          .m = m};
    mm->history[0] = (gp_history_entry){.state = GP_STATE_CONNECTING, .at_ms = w->now};
    copy_str(mm->id, sizeof(mm->id), id);
    copy_str(mm->user, sizeof(mm->user), user ? user : "");
    mm->hash = id_hash(mm->id);
    check_machine(mm, m);
    return rc;
}

void do_unregister(world *w, const char *id)
{
    model_machine *mm = model_find(w, id);
    int rc = gp_registry_unregister(w->reg, id);
    CHECK(rc == (mm ? GP_OK : GP_ERR_NOT_FOUND), "unregister(%s) returned %s",
          id ? id : "NULL", gp_err_name(rc));
    if (mm) {
        w->counted_n[mm->counted]--;
        *mm = w->live[--w->live_len];
        CHECK(gp_registry_get(w->reg, id) == NULL, "%s still found after unregister", id);
    }
}

/* connect_user against the contract of gp_manager.h.  Writes the id into
 * out (ID_BUF) and returns the core's code. */
int do_connect(world *w, const char *user, const char *id, char *out, size_t out_len,
                      bool out_null)
{
    uint64_t calls = w->spy.calls;
    char *dst = out_null ? NULL : out;
    int rc = gp_manager_connect_user(&w->mgr, user, NULL, id, dst, out_len);
    bool given = id && *id;
    int expect = GP_OK;
    bool generates = false;
    if (!dst || out_len == 0)
        expect = GP_ERR_INVALID_ARG;
    else if (!user || !*user)
        expect = GP_ERR_INVALID_ARG;
    else if (strlen(user) > GP_USER_LEN_MAX)
        expect = GP_ERR_TOO_LONG;
    else if (given && !w->mgr.id_regeneration) {
        if (!model_id_is_preliminary(id) && !model_id_is_unified(id))
            expect = GP_ERR_BAD_ID;
        else if (strlen(id) >= out_len)
            expect = GP_ERR_TOO_LONG;
    } else {
        generates = true;
        char want[ID_BUF];
        int n = snprintf(want, sizeof(want), "conn_websocket_%llu_%08x",
                         (unsigned long long)(w->counter + 1), (unsigned)(w->last_random));
        if (w->spy.mode == 1)
            expect = GP_ERR_NOMEM;
        else if (w->spy.mode >= 2)
            expect = GP_ERR_BAD_ID;
        else if ((size_t)n >= out_len)
            expect = GP_ERR_TOO_LONG;
        else if (rc == GP_OK)
            CHECK(model_streq(out, want), "generated %s, expected %s", out, want);
    }
    CHECK(rc == expect, "connect_user(%s, %s) returned %s, expected %s", user ? user : "NULL",
          id ? id : "NULL", gp_err_name(rc), gp_err_name(expect));
    CHECK(w->spy.calls == calls + generates, "the generator was called %llu times, expected %d",
          (unsigned long long)(w->spy.calls - calls), generates);
    if (generates) {
        w->generated++;
        CHECK(w->spy.last_counter == w->counter + 1, "generator got counter %llu, expected %llu",
              (unsigned long long)w->spy.last_counter, (unsigned long long)(w->counter + 1));
    }
    if (rc == GP_OK) {
        w->connected++;
        if (generates) {
            w->counter++;
            CHECK(model_id_is_unified(out), "generated id %s is not unified", out);
            copy_str(w->gen_ids[w->gen_len % GENERATED_MAX], GP_ID_LEN_MAX + 1, out);
            if (w->gen_len < GENERATED_MAX)
                w->gen_len++;
        } else {
            CHECK(model_streq(out, id), "connect_user returned %s for the given %s", out, id);
        }
    } else if (dst && out_len > 0) {
        CHECK(out[0] == '\0', "a failed connect_user left an id behind");
    }
    CHECK(w->mgr.counter == w->counter && w->mgr.generated == w->generated &&
              w->mgr.connected == w->connected,
          "manager counters %llu/%llu/%llu, model %llu/%llu/%llu",
          (unsigned long long)w->mgr.counter, (unsigned long long)w->mgr.generated,
          (unsigned long long)w->mgr.connected, (unsigned long long)w->counter,
          (unsigned long long)w->generated, (unsigned long long)w->connected);
    return rc;
}

/* The incident's route for machine mm: connect_user with its id; when the
 * manager hands back another id (only id_regeneration does), "migrate" as the
 * broken route did -- drop the machine, register a new one under the new id
 * -- and try the next climb on it, which the core must refuse from
 * CONNECTING unless the old machine was still there. */
void do_route(world *w, size_t idx)
{
    model_machine *mm = &w->live[idx];
    char old_id[GP_ID_LEN_MAX + 1], out[ID_BUF];
    copy_str(old_id, sizeof(old_id), mm->id);
    int spy_mode = w->spy.mode;
    w->spy.mode = 0;
    int rc = do_connect(w, "user_route", old_id, out, sizeof(out), false);
    w->spy.mode = spy_mode;
    if (rc != GP_OK || model_streq(out, old_id))
        return;
    CHECK(w->mgr.id_regeneration, "connect_user changed %s to %s with the bug off", old_id, out);
    do_unregister(w, old_id);
    if (do_register(w, out, "user_route") != GP_OK)
        return;
    model_machine *fresh = model_find(w, out);
    CHECK(fresh && fresh->state == GP_STATE_CONNECTING, "the migrated machine is not new");
    rc = do_step(w, fresh, GP_STATE_AUTHENTICATED, true, true, true);
    CHECK(rc == GP_ERR_ILLEGAL_TRANSITION, "AUTHENTICATED from CONNECTING was not refused");
}

typedef struct visit {
    world *w;
    bool seen[LIVE_MAX];
    size_t n;
    uint64_t now, after;
    bool stuck_scan;
} visit;

static void visit_fn(gp_machine *m, void *arg)
{
    visit *v = arg;
    world *w = v->w;
    size_t i = 0;
    while (i < w->live_len && w->live[i].m != m)
        i++;
    CHECK(i < w->live_len, "iteration reached a machine the model does not hold");
    CHECK(!v->seen[i], "iteration reached %s twice", w->live[i].id);
    v->seen[i] = true;
    v->n++;
    if (v->stuck_scan) {
        const model_machine *mm = &w->live[i];
        bool stuck = mm->state != GP_STATE_PROCESSING_READY &&
                     !model_state_is_terminal(mm->state) && v->now > mm->entered_ms &&
                     v->now - mm->entered_ms > v->after;
        CHECK(stuck, "%s reported stuck in %s", mm->id, model_state_name(mm->state));
    }
}

void do_scan(world *w)
{
    visit v = {.w = w, .stuck_scan = true};
    v.now = w->now + gp_fuzz_u8(&w->in) - 64; /* now and then before a machine's entry */
    v.after = gp_fuzz_u8(&w->in);
    size_t expect = 0;
    for (size_t i = 0; i < w->live_len; i++) {
        const model_machine *mm = &w->live[i];
        expect += mm->state != GP_STATE_PROCESSING_READY && !model_state_is_terminal(mm->state) &&
                  v.now > mm->entered_ms && v.now - mm->entered_ms > v.after;
    }
    size_t got = gp_registry_scan_stuck(w->reg, v.now, v.after, visit_fn, &v);
    CHECK(got == expect && v.n == expect, "scan found %zu stuck (%zu visited), model %zu", got,
          v.n, expect);
}

void do_foreach(world *w)
{
    visit v = {.w = w};
    gp_registry_foreach(w->reg, visit_fn, &v);
    CHECK(v.n == w->live_len, "foreach visited %zu of %zu machines", v.n, w->live_len);
}

void do_loose_init(world *w, size_t k, const char *id, const char *user)
{
    gp_machine *m = &w->loose[k];
    int rc = gp_machine_init(m, id, user, w->now);
    int expect = GP_OK;
    if (!id || !*id)
        expect = GP_ERR_INVALID_ARG;
    else if (strlen(id) > GP_ID_LEN_MAX || (user && strlen(user) > GP_USER_LEN_MAX))
        expect = GP_ERR_TOO_LONG;
    CHECK(rc == expect, "machine_init(%s) returned %s, expected %s", id ? id : "NULL",
          gp_err_name(rc), gp_err_name(expect));
    w->loose_ok[k] = rc == GP_OK;
    if (rc != GP_OK) {
        static const gp_machine zero;
        CHECK(memcmp(m, &zero, sizeof(zero)) == 0, "a failed machine_init left bytes behind");
        return;
    }
    model_machine *mm = &w->loose_model[k];
    *mm = (model_machine){.state = GP_STATE_CONNECTING, .created_ms = w->now,
                          .entered_ms = w->now, .history_len = 1, .m = m};
    mm->history[0] = (gp_history_entry){.state = GP_STATE_CONNECTING, .at_ms = w->now};
    copy_str(mm->id, sizeof(mm->id), id);
    copy_str(mm->user, sizeof(mm->user), user ? user : "");
    check_machine(mm, m);
}

/* A registry machine changed behind the registry's back: the registry keeps
 * counting it in its old state until the next gp_registry_transition. */
void do_behind(world *w, model_machine *mm, gp_state to)
{
    do_step(w, mm, to, false, true, true); /* leaves mm->counted as it was */
}
