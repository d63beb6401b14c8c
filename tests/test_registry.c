/* test_registry.c: cmocka tests of the state registry (gp_registry.h).
 *
 * Besides the contract (ownership, per-state counts, limits, stuck scan) this
 * checks the hash table against a plain array model under a seeded random mix
 * of operations, because backward-shift deletion is the kind of code whose
 * mistakes only show after the right sequence of collisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "gp_error.h"
#include "gp_ids.h"
#include "gp_registry.h"
#include "gp_rng.h"

static void test_register_get_unregister(void **state)
{
    (void)state;
    gp_registry *reg = gp_registry_create(0);
    assert_non_null(reg);
    gp_machine *m = NULL;
    assert_int_equal(gp_registry_register(reg, "ws_1_2", "alice", 500, &m), GP_OK);
    assert_non_null(m);
    assert_string_equal(m->id, "ws_1_2");
    assert_string_equal(m->user_id, "alice");
    assert_int_equal(m->state, GP_STATE_CONNECTING);
    assert_int_equal(m->created_ms, 500);
    assert_ptr_equal(gp_registry_get(reg, "ws_1_2"), m);
    assert_null(gp_registry_get(reg, "ws_1_3"));
    assert_null(gp_registry_get(reg, NULL));
    assert_int_equal(gp_registry_count(reg), 1);

    assert_int_equal(gp_registry_register(reg, "ws_1_3", NULL, 600, NULL), GP_OK);
    assert_int_equal(gp_registry_count(reg), 2);
    assert_int_equal(gp_registry_unregister(reg, "ws_1_2"), GP_OK);
    assert_null(gp_registry_get(reg, "ws_1_2"));
    assert_non_null(gp_registry_get(reg, "ws_1_3"));
    assert_int_equal(gp_registry_unregister(reg, "ws_1_2"), GP_ERR_NOT_FOUND);
    assert_int_equal(gp_registry_unregister(reg, NULL), GP_ERR_NOT_FOUND);
    assert_int_equal(gp_registry_count(reg), 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), 1);
    /* Left in on purpose: destroy must free it (the leak checker watches). */
    gp_registry_destroy(reg);
    gp_registry_destroy(NULL);
}

static void test_register_rejects_bad_arguments(void **state)
{
    (void)state;
    gp_registry *reg = gp_registry_create(1);
    gp_machine *m = (gp_machine *)&m; /* any non-NULL value */
    assert_int_equal(gp_registry_register(reg, NULL, NULL, 0, &m),
                     GP_ERR_INVALID_ARG);
    assert_null(m);
    assert_int_equal(gp_registry_register(reg, "", NULL, 0, NULL),
                     GP_ERR_INVALID_ARG);
    char id[GP_ID_LEN_MAX + 2];
    memset(id, '7', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    assert_int_equal(gp_registry_register(reg, id, NULL, 0, NULL),
                     GP_ERR_TOO_LONG);
    char user[GP_USER_LEN_MAX + 2];
    memset(user, 'u', sizeof(user) - 1);
    user[sizeof(user) - 1] = '\0';
    assert_int_equal(gp_registry_register(reg, "ws_1_1", user, 0, NULL),
                     GP_ERR_TOO_LONG);
    assert_int_equal(gp_registry_count(reg), 0);
    /* None of those used the single place. */
    id[GP_ID_LEN_MAX] = '\0';
    assert_int_equal(gp_registry_register(reg, id, NULL, 0, NULL), GP_OK);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_COUNT), 0);
    gp_registry_destroy(reg);
}

static void test_duplicate_id_is_refused_without_disturbing(void **state)
{
    (void)state;
    gp_registry *reg = gp_registry_create(0);
    gp_machine *m = NULL;
    assert_int_equal(gp_registry_register(reg, "ws_5_5", "alice", 100, &m), GP_OK);
    assert_int_equal(gp_registry_transition(reg, m, GP_STATE_ACCEPTED, 150, NULL,
                                            NULL),
                     GP_OK);
    gp_machine before;
    memcpy(&before, m, sizeof(before));

    gp_machine *dup = (gp_machine *)&dup;
    assert_int_equal(gp_registry_register(reg, "ws_5_5", "mallory", 900, &dup),
                     GP_ERR_EXISTS);
    assert_null(dup);
    assert_ptr_equal(gp_registry_get(reg, "ws_5_5"), m);
    assert_memory_equal(m, &before, sizeof(before));
    assert_string_equal(m->user_id, "alice");
    assert_int_equal(gp_registry_count(reg), 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_ACCEPTED), 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), 0);
    gp_registry_destroy(reg);
}

static void assert_counts(const gp_registry *reg, const size_t want[GP_STATE_COUNT])
{
    size_t total = 0;
    for (int s = 0; s < GP_STATE_COUNT; s++) {
        assert_int_equal(gp_registry_count_state(reg, (gp_state)s), want[s]);
        total += want[s];
    }
    assert_int_equal(gp_registry_count(reg), total);
}

static void test_counts_by_state_follow_transitions(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(0, 3);
    gp_registry *reg = gp_registry_create(0);
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    gp_machine *a, *b, *c;
    assert_int_equal(gp_registry_register(reg, "ws_1_1", NULL, 0, &a), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_2", NULL, 0, &b), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_3", NULL, 0, &c), GP_OK);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){[GP_STATE_CONNECTING] = 3});

    assert_int_equal(gp_registry_transition(reg, a, GP_STATE_ACCEPTED, 1, &st, &fe->env),
                     GP_OK);
    assert_int_equal(gp_registry_transition(reg, a, GP_STATE_AUTHENTICATED, 2, &st,
                                            &fe->env),
                     GP_OK);
    assert_int_equal(gp_registry_transition(reg, b, GP_STATE_FAILED, 3, &st, &fe->env),
                     GP_OK);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){[GP_STATE_CONNECTING] = 1,
                                                [GP_STATE_AUTHENTICATED] = 1,
                                                [GP_STATE_FAILED] = 1});
    /* A refused step changes no count but is counted as a failure. */
    assert_int_equal(gp_registry_transition(reg, c, GP_STATE_SERVICES_READY, 4, &st,
                                            &fe->env),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){[GP_STATE_CONNECTING] = 1,
                                                [GP_STATE_AUTHENTICATED] = 1,
                                                [GP_STATE_FAILED] = 1});
    assert_int_equal(st.attempted, 4);
    assert_int_equal(st.failed, 1);
    assert_int_equal(fake_env_count_logs(fe, GP_LOG_WARNING,
                                         "Invalid state transition for ws_1_3"),
                     1);

    /* Changed behind the registry's back: counted in the old state until the
     * next registry transition, which resynchronises. */
    assert_int_equal(gp_machine_transition(c, GP_STATE_ACCEPTED, 5, NULL, NULL), GP_OK);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_ACCEPTED), 0);
    assert_int_equal(gp_registry_transition(reg, c, GP_STATE_AUTHENTICATED, 6, NULL,
                                            NULL),
                     GP_OK);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){[GP_STATE_AUTHENTICATED] = 2,
                                                [GP_STATE_FAILED] = 1});

    assert_int_equal(gp_registry_unregister(reg, "ws_1_1"), GP_OK);
    assert_int_equal(gp_registry_unregister(reg, "ws_1_2"), GP_OK);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){[GP_STATE_AUTHENTICATED] = 1});
    /* Unregistering a machine changed behind our back takes it off the
     * state it is counted in. */
    assert_int_equal(gp_machine_transition(c, GP_STATE_CLOSING, 7, NULL, NULL), GP_OK);
    assert_int_equal(gp_registry_unregister(reg, "ws_1_3"), GP_OK);
    assert_counts(reg, (size_t[GP_STATE_COUNT]){0});
    gp_registry_destroy(reg);
    fake_env_free(fe);
}

static void test_capacity_max_gives_full(void **state)
{
    (void)state;
    gp_registry *reg = gp_registry_create(3);
    assert_int_equal(gp_registry_register(reg, "ws_1_1", NULL, 0, NULL), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_2", NULL, 0, NULL), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_3", NULL, 0, NULL), GP_OK);
    gp_machine *m = (gp_machine *)&m;
    assert_int_equal(gp_registry_register(reg, "ws_1_4", NULL, 0, &m), GP_ERR_FULL);
    assert_null(m);
    assert_null(gp_registry_get(reg, "ws_1_4"));
    assert_int_equal(gp_registry_count(reg), 3);
    /* A duplicate is still reported as a duplicate when full. */
    assert_int_equal(gp_registry_register(reg, "ws_1_2", NULL, 0, NULL), GP_ERR_EXISTS);
    assert_int_equal(gp_registry_unregister(reg, "ws_1_2"), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_4", NULL, 0, NULL), GP_OK);
    assert_int_equal(gp_registry_register(reg, "ws_1_5", NULL, 0, NULL), GP_ERR_FULL);
    gp_registry_destroy(reg);
}

typedef struct visit_log {
    size_t calls;
    char ids[64][GP_ID_LEN_MAX + 1];
} visit_log;

static void record_visit(gp_machine *m, void *arg)
{
    visit_log *v = arg;
    if (v->calls < 64)
        snprintf(v->ids[v->calls], sizeof(v->ids[0]), "%s", m->id);
    v->calls++;
}

static void count_visit(gp_machine *m, void *arg)
{
    (void)m;
    (*(size_t *)arg)++;
}

static void test_many_entries_register_lookup_unregister(void **state)
{
    (void)state;
    enum { N = 100000 };
    gp_registry *reg = gp_registry_create(0);
    char id[GP_ID_LEN_MAX + 1];
    gp_machine **held = calloc(N, sizeof(*held));
    assert_non_null(held);
    for (uint64_t i = 0; i < N; i++) {
        gp_id_preliminary(id, sizeof(id), 1725960687000u + i, 1757498281u);
        assert_int_equal(gp_registry_register(reg, id, NULL, i, &held[i]), GP_OK);
    }
    assert_int_equal(gp_registry_count(reg), N);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), N);
    size_t visits = 0;
    gp_registry_foreach(reg, count_visit, &visits);
    assert_int_equal(visits, N);
    /* Pointers survived every growth of the table. */
    for (uint64_t i = 0; i < N; i++) {
        gp_id_preliminary(id, sizeof(id), 1725960687000u + i, 1757498281u);
        assert_ptr_equal(gp_registry_get(reg, id), held[i]);
        assert_int_equal(held[i]->created_ms, i);
    }
    /* Remove the even ones, then check both halves. */
    for (uint64_t i = 0; i < N; i += 2) {
        gp_id_preliminary(id, sizeof(id), 1725960687000u + i, 1757498281u);
        assert_int_equal(gp_registry_unregister(reg, id), GP_OK);
    }
    for (uint64_t i = 0; i < N; i++) {
        gp_id_preliminary(id, sizeof(id), 1725960687000u + i, 1757498281u);
        if (i % 2)
            assert_ptr_equal(gp_registry_get(reg, id), held[i]);
        else
            assert_null(gp_registry_get(reg, id));
    }
    for (uint64_t i = 1; i < N; i += 2) {
        gp_id_preliminary(id, sizeof(id), 1725960687000u + i, 1757498281u);
        assert_int_equal(gp_registry_unregister(reg, id), GP_OK);
    }
    assert_int_equal(gp_registry_count(reg), 0);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), 0);
    visits = 0;
    gp_registry_foreach(reg, count_visit, &visits);
    assert_int_equal(visits, 0);
    free(held);
    gp_registry_destroy(reg);
}

/* Random register/unregister/get against a plain array; a small id space
 * forces many collisions, runs and wrap-arounds. */
static void test_random_operations_match_model(void **state)
{
    (void)state;
    enum { IDS = 300, OPS = 200000 };
    gp_rng rng;
    gp_rng_seed(&rng, 20250910);
    gp_registry *reg = gp_registry_create(0);
    gp_machine *model[IDS] = {0};
    size_t model_count = 0;
    char id[GP_ID_LEN_MAX + 1];
    for (int op = 0; op < OPS; op++) {
        uint64_t k = gp_rng_below(&rng, IDS);
        gp_id_unified(id, sizeof(id), k, k * 2654435761u);
        uint64_t what = gp_rng_below(&rng, 3);
        if (what == 0) {
            gp_machine *m = NULL;
            int rc = gp_registry_register(reg, id, NULL, (uint64_t)op, &m);
            if (model[k]) {
                assert_int_equal(rc, GP_ERR_EXISTS);
            } else {
                assert_int_equal(rc, GP_OK);
                model[k] = m;
                model_count++;
            }
        } else if (what == 1) {
            int rc = gp_registry_unregister(reg, id);
            assert_int_equal(rc, model[k] ? GP_OK : GP_ERR_NOT_FOUND);
            if (model[k]) {
                model[k] = NULL;
                model_count--;
            }
        } else {
            assert_ptr_equal(gp_registry_get(reg, id), model[k]);
        }
        assert_int_equal(gp_registry_count(reg), model_count);
    }
    for (uint64_t k = 0; k < IDS; k++) {
        gp_id_unified(id, sizeof(id), k, k * 2654435761u);
        assert_ptr_equal(gp_registry_get(reg, id), model[k]);
    }
    gp_registry_destroy(reg);
}

static void test_foreach_order_depends_only_on_operations(void **state)
{
    (void)state;
    visit_log v1, v2;
    memset(&v1, 0, sizeof(v1));
    memset(&v2, 0, sizeof(v2));
    gp_registry *regs[2] = {gp_registry_create(0), gp_registry_create(0)};
    char id[GP_ID_LEN_MAX + 1];
    for (int r = 0; r < 2; r++) {
        for (uint64_t i = 0; i < 40; i++) {
            gp_id_preliminary(id, sizeof(id), 1000 + i, 7);
            assert_int_equal(gp_registry_register(regs[r], id, NULL, 0, NULL), GP_OK);
        }
        for (uint64_t i = 0; i < 40; i += 3) {
            gp_id_preliminary(id, sizeof(id), 1000 + i, 7);
            assert_int_equal(gp_registry_unregister(regs[r], id), GP_OK);
        }
    }
    gp_registry_foreach(regs[0], record_visit, &v1);
    gp_registry_foreach(regs[1], record_visit, &v2);
    assert_int_equal(v1.calls, 26);
    assert_int_equal(v2.calls, 26);
    assert_memory_equal(v1.ids, v2.ids, sizeof(v1.ids));
    gp_registry_destroy(regs[0]);
    gp_registry_destroy(regs[1]);
}

static void test_stuck_detection_under_fake_clock(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1000, 9);
    const uint64_t stuck_after_ms = 2000;
    gp_registry *reg = gp_registry_create(0);
    static const struct {
        const char *id;
        gp_state target;
    } conns[] = {
        {"ws_1000_1", GP_STATE_CONNECTING},
        {"ws_1000_2", GP_STATE_CONNECTING}, /* to ACCEPTED below */
        {"ws_1000_3", GP_STATE_PROCESSING_READY},
        {"ws_1000_4", GP_STATE_CLOSING},
        {"ws_1000_5", GP_STATE_CLOSED},
        {"ws_1000_6", GP_STATE_FAILED},
    };
    for (size_t i = 0; i < 6; i++) {
        gp_machine *m;
        assert_int_equal(gp_registry_register(reg, conns[i].id, NULL, fe->now_ms, &m),
                         GP_OK);
        static const gp_state climb[] = {GP_STATE_ACCEPTED, GP_STATE_AUTHENTICATED,
                                         GP_STATE_SERVICES_READY,
                                         GP_STATE_PROCESSING_READY};
        if (conns[i].target == GP_STATE_CLOSED) {
            gp_registry_transition(reg, m, GP_STATE_CLOSING, fe->now_ms, NULL, NULL);
            gp_registry_transition(reg, m, GP_STATE_CLOSED, fe->now_ms, NULL, NULL);
        } else if (gp_state_is_terminal(conns[i].target)) {
            gp_registry_transition(reg, m, conns[i].target, fe->now_ms, NULL, NULL);
        } else {
            for (size_t s = 0; m->state != conns[i].target; s++)
                assert_int_equal(gp_registry_transition(reg, m, climb[s], fe->now_ms,
                                                        NULL, NULL),
                                 GP_OK);
        }
        assert_int_equal(m->state, conns[i].target);
    }
    /* ACCEPTED is entered later than the others, so it gets stuck later. */
    fake_env_advance(fe, NULL, 500);
    gp_machine *accepted = gp_registry_get(reg, "ws_1000_2");
    assert_int_equal(gp_registry_transition(reg, accepted, GP_STATE_ACCEPTED,
                                            fe->now_ms, NULL, NULL),
                     GP_OK);
    assert_int_equal(accepted->entered_ms, 1500);

    visit_log v;
    memset(&v, 0, sizeof(v));
    /* Exactly at the threshold for CONNECTING (1000 + 2000): not stuck. */
    fake_env_advance(fe, NULL, 1500);
    assert_int_equal(fe->now_ms, 3000);
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms, stuck_after_ms,
                                            record_visit, &v),
                     0);
    assert_int_equal(v.calls, 0);
    /* One past: CONNECTING is stuck; ACCEPTED (entered at 1500) is not yet. */
    fake_env_advance(fe, NULL, 1);
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms, stuck_after_ms,
                                            record_visit, &v),
                     1);
    assert_int_equal(v.calls, 1);
    assert_string_equal(v.ids[0], "ws_1000_1");
    /* Much later: both live non-ready machines, never the others. */
    fake_env_advance(fe, NULL, 100000);
    memset(&v, 0, sizeof(v));
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms, stuck_after_ms,
                                            record_visit, &v),
                     2);
    assert_int_equal(v.calls, 2);
    bool saw1 = false, saw2 = false;
    for (size_t i = 0; i < 2; i++) {
        saw1 |= strcmp(v.ids[i], "ws_1000_1") == 0;
        saw2 |= strcmp(v.ids[i], "ws_1000_2") == 0;
    }
    assert_true(saw1 && saw2);
    /* Without a callback it still counts. */
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms, stuck_after_ms, NULL,
                                            NULL),
                     2);
    /* A step resets the clock of the state. */
    gp_machine *connecting = gp_registry_get(reg, "ws_1000_1");
    assert_int_equal(gp_registry_transition(reg, connecting, GP_STATE_ACCEPTED,
                                            fe->now_ms, NULL, NULL),
                     GP_OK);
    assert_int_equal(gp_registry_scan_stuck(reg, fe->now_ms, stuck_after_ms, NULL,
                                            NULL),
                     1);
    gp_registry_destroy(reg);
    fake_env_free(fe);
}

/* The incident's recreation, done by hand: the symptom is that the new
 * machine has lost the ACCEPTED step and is back in CONNECTING, and the next
 * step the handshake takes is refused. */
static void test_state_machine_recreation_destroys_accepted_state(void **state)
{
    (void)state;
    fake_env *fe = fake_env_new(1725960687000u, 1);
    gp_registry *reg = gp_registry_create(0);
    gp_transition_stats st;
    memset(&st, 0, sizeof(st));
    const char *preliminary_id = "ws_1725960687000_1757498281";
    const char *final_id = "conn_websocket_1_a1b2c3d4";

    gp_machine *m;
    assert_int_equal(gp_registry_register(reg, preliminary_id, "user123",
                                          fe->now_ms, &m),
                     GP_OK);
    assert_int_equal(gp_registry_transition(reg, m, GP_STATE_ACCEPTED, fe->now_ms,
                                            &st, &fe->env),
                     GP_OK);
    assert_int_equal(m->state, GP_STATE_ACCEPTED);

    assert_string_not_equal(preliminary_id, final_id);
    assert_int_equal(gp_registry_unregister(reg, preliminary_id), GP_OK);
    gp_machine *recreated;
    assert_int_equal(gp_registry_register(reg, final_id, "user123", fe->now_ms,
                                          &recreated),
                     GP_OK);
    assert_null(gp_registry_get(reg, preliminary_id));
    assert_int_equal(recreated->state, GP_STATE_CONNECTING); /* state lost */
    assert_int_equal(recreated->history_len, 1);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_ACCEPTED), 0);
    assert_int_equal(gp_registry_count_state(reg, GP_STATE_CONNECTING), 1);

    assert_int_equal(gp_registry_transition(reg, recreated, GP_STATE_AUTHENTICATED,
                                            fe->now_ms, &st, &fe->env),
                     GP_ERR_ILLEGAL_TRANSITION);
    assert_int_equal(
        fake_env_count_logs(fe, GP_LOG_WARNING,
                            "Invalid state transition for conn_websocket_1_a1b2c3d4: "
                            "ApplicationConnectionState.CONNECTING -> "
                            "ApplicationConnectionState.AUTHENTICATED"),
        1);
    assert_int_equal(st.failed, 1);
    gp_registry_destroy(reg);
    fake_env_free(fe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_get_unregister),
        cmocka_unit_test(test_register_rejects_bad_arguments),
        cmocka_unit_test(test_duplicate_id_is_refused_without_disturbing),
        cmocka_unit_test(test_counts_by_state_follow_transitions),
        cmocka_unit_test(test_capacity_max_gives_full),
        cmocka_unit_test(test_many_entries_register_lookup_unregister),
        cmocka_unit_test(test_random_operations_match_model),
        cmocka_unit_test(test_foreach_order_depends_only_on_operations),
        cmocka_unit_test(test_stuck_detection_under_fake_clock),
        cmocka_unit_test(test_state_machine_recreation_destroys_accepted_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
