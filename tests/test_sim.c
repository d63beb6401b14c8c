/* test_sim.c: the deterministic simulator -- every fault class fires and the
 * fixed server copes with it; a configured fault that never fires fails the
 * run; the same seed gives the same bytes; the bug switches are caught; the
 * event queue keeps (time, sequence) order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gp_error.h"
#include "gp_eventq.h"
#include "gp_report.h"
#include "gp_sim.h"

static gp_scenario base(uint32_t clients)
{
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    snprintf(sc.name, sizeof(sc.name), "test");
    sc.clients.count = clients;
    sc.clients.window_ms = 2000;
    sc.seed = 99;
    return sc;
}

static gp_run *run_sc(const gp_scenario *sc)
{
    char err[256];
    gp_run *run = calloc(1, sizeof(*run));
    assert_non_null(run);
    assert_int_equal(gp_run_init(run, sc), GP_OK);
    int rc = gp_sim_run(run, NULL, err, sizeof(err));
    if (rc != GP_OK)
        fail_msg("gp_sim_run: %s", err);
    return run;
}

static void run_free(gp_run *run)
{
    gp_run_free(run);
    free(run);
}

static void set(gp_scenario *sc, const char *assignment)
{
    char err[GP_SCENARIO_ERR_MAX];
    if (gp_scenario_set(sc, assignment, err, sizeof(err)) != GP_OK)
        fail_msg("%s: %s", assignment, err);
}

static void test_small_golden_path_all_complete(void **state)
{
    (void)state;
    gp_scenario sc = base(1000);
    gp_run *run = run_sc(&sc);
    assert_true(run->passed);
    assert_int_equal(run->completed, 1000);
    assert_int_equal(run->ready, 1000);
    assert_int_equal(run->health.transitions_failed, 0);
    assert_int_equal(run->health.requests_completed_total, 1000);
    assert_int_equal(run->registry_left, 0);
    assert_true(run->latency[GP_LAT_READY].n == 1000);
    assert_true(run->latency[GP_LAT_READY].p50 > 0);
    assert_true(run->latency[GP_LAT_READY].p50 <= run->latency[GP_LAT_READY].p99);
    assert_true(run->timeline_len > 0);
    uint64_t attempted = 0;
    for (size_t i = 0; i < run->timeline_len; i++)
        attempted += run->timeline[i].attempted;
    assert_int_equal(attempted, run->health.transitions_attempted);
    run_free(run);
}

/* Each fault class at a modest rate: it fires, the fixed server copes, and
 * the outcome it predicts is what the clients record. */
static void test_each_fault_fires_and_is_survived(void **state)
{
    (void)state;
    static const struct {
        const char *set;
        gp_fault fault;
    } cases[] = {
        {"faults.accept_race=0.3", GP_FAULT_ACCEPT_RACE},
        {"faults.slow_accept=0.2", GP_FAULT_SLOW_ACCEPT},
        {"faults.disconnect.connecting=0.2", GP_FAULT_DISCONNECT_CONNECTING},
        {"faults.disconnect.authenticating=0.2", GP_FAULT_DISCONNECT_AUTHENTICATING},
        {"faults.disconnect.ready=0.2", GP_FAULT_DISCONNECT_READY},
        {"faults.disconnect.processing=0.2", GP_FAULT_DISCONNECT_PROCESSING},
        {"faults.bad_token.bad_signature=0.2", GP_FAULT_BAD_SIGNATURE},
        {"faults.bad_token.expired=0.2", GP_FAULT_EXPIRED},
        {"faults.bad_token.alg_none=0.2", GP_FAULT_ALG_NONE},
        {"faults.early_message=0.2", GP_FAULT_EARLY_MESSAGE},
        {"faults.agent_failure=0.2", GP_FAULT_AGENT_FAILURE},
        {"network.drop_rate=0.05", GP_FAULT_NET_DROP},
        {"network.duplicate_rate=0.05", GP_FAULT_NET_DUPLICATE},
        {"network.reorder_rate=0.3", GP_FAULT_NET_REORDER},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        gp_scenario sc = base(400);
        set(&sc, "clients.requests_per_client=3");
        set(&sc, cases[k].set);
        gp_run *run = run_sc(&sc);
        if (run->ledger.fired[cases[k].fault] == 0)
            fail_msg("%s never fired", cases[k].set);
        if (!run->passed) {
            char *summary = gp_report_summary_json(run);
            fail_msg("%s: the fixed server failed a check:\n%s", cases[k].set, summary);
        }
        switch (cases[k].fault) {
        case GP_FAULT_BAD_SIGNATURE:
        case GP_FAULT_EXPIRED:
        case GP_FAULT_ALG_NONE:
            assert_int_equal(run->outcome[GP_VC_REFUSED], run->ledger.fired[cases[k].fault]);
            assert_int_equal(run->health.auth_failures_total, run->outcome[GP_VC_REFUSED]);
            break;
        case GP_FAULT_DISCONNECT_CONNECTING:
        case GP_FAULT_DISCONNECT_AUTHENTICATING:
        case GP_FAULT_DISCONNECT_READY:
        case GP_FAULT_DISCONNECT_PROCESSING:
            assert_int_equal(run->outcome[GP_VC_DISCONNECTED], run->ledger.fired[cases[k].fault]);
            break;
        case GP_FAULT_AGENT_FAILURE:
            assert_int_equal(run->health.requests_failed_total, run->ledger.fired[GP_FAULT_AGENT_FAILURE]);
            break;
        case GP_FAULT_ACCEPT_RACE:
            assert_true(run->ledger.by_state[GP_FAULT_ACCEPT_RACE][GP_STATE_CONNECTING] ==
                        run->ledger.fired[GP_FAULT_ACCEPT_RACE]);
            break;
        default:
            break;
        }
        assert_int_equal(run->registry_left, 0);
        run_free(run);
    }
}

/* Found by fuzz_schedule: a duplicated AGENT_FAILED error, with several
 * requests on a connection, failed the client. */
static void test_duplicated_agent_failure_is_tolerated(void **state)
{
    (void)state;
    gp_scenario sc = base(200);
    sc.clients.window_ms = 1000;
    sc.seed = 1;
    set(&sc, "clients.requests_per_client=3");
    set(&sc, "network.duplicate_rate=0.2");
    set(&sc, "faults.agent_failure=0.3");
    gp_run *run = run_sc(&sc);
    assert_true(run->ledger.fired[GP_FAULT_AGENT_FAILURE] > 0);
    assert_true(run->ledger.fired[GP_FAULT_NET_DUPLICATE] > 0);
    assert_false(run->checks[GP_CHECK_CLIENT_FAILURES].violated);
    assert_true(run->passed);
    run_free(run);
}

static void test_fault_that_never_fires_fails_the_run(void **state)
{
    (void)state;
    gp_scenario sc = base(20);
    set(&sc, "faults.slow_accept=0.000001");
    gp_run *run = run_sc(&sc);
    assert_int_equal(run->ledger.fired[GP_FAULT_SLOW_ACCEPT], 0);
    assert_true(run->checks[GP_CHECK_FAULTS_NOT_FIRED].violated);
    assert_non_null(strstr(run->checks[GP_CHECK_FAULTS_NOT_FIRED].detail, "slow_accept"));
    assert_false(run->passed);
    run_free(run);
}

static void test_same_seed_same_bytes_other_seed_other_schedule(void **state)
{
    (void)state;
    gp_scenario sc = base(800);
    set(&sc, "network.drop_rate=0.02");
    set(&sc, "faults.accept_race=0.2");
    set(&sc, "faults.disconnect.processing=0.1");
    gp_run *a = run_sc(&sc), *b = run_sc(&sc);
    char *ja = gp_report_summary_json(a), *jb = gp_report_summary_json(b);
    assert_string_equal(ja, jb);
    assert_int_equal(a->timeline_len, b->timeline_len);
    assert_memory_equal(a->timeline, b->timeline, a->timeline_len * sizeof(*a->timeline));
    assert_memory_equal(a->clients, b->clients, a->n_clients * sizeof(*a->clients));
    sc.seed = 100;
    gp_run *c = run_sc(&sc);
    assert_true(memcmp(a->clients, c->clients, a->n_clients * sizeof(*a->clients)) != 0);
    free(ja);
    free(jb);
    run_free(a);
    run_free(b);
    run_free(c);
}

static void test_bug_switches_are_caught(void **state)
{
    (void)state;
    gp_scenario sc = base(300);
    set(&sc, "server.bugs=[\"id_regeneration\"]");
    gp_run *run = run_sc(&sc);
    assert_false(run->passed);
    assert_true(run->checks[GP_CHECK_STUCK_CONNECTIONS].violated);
    assert_true(run->checks[GP_CHECK_INVALID_TRANSITIONS].violated);
    assert_true(run->checks[GP_CHECK_MISSING_AGENT_EVENTS].violated);
    assert_true(run->checks[GP_CHECK_ID_MISMATCHES].violated);
    assert_int_equal(run->completed, 0);
    assert_int_equal(run->registry_left, 0); /* the clients leave; nothing leaks */
    run_free(run);

    sc = base(300);
    set(&sc, "server.bugs=[\"accept_race\"]");
    set(&sc, "faults.accept_race=0.3");
    run = run_sc(&sc);
    assert_true(run->checks[GP_CHECK_STUCK_CONNECTIONS].violated);
    assert_int_equal(run->health.transitions.pair_failed[GP_STATE_CONNECTING][GP_STATE_AUTHENTICATED],
                     run->ledger.fired[GP_FAULT_ACCEPT_RACE]);
    run_free(run);

    /* the same faults against the fixed server: nothing to find */
    sc = base(300);
    set(&sc, "faults.accept_race=0.3");
    run = run_sc(&sc);
    assert_true(run->passed);
    run_free(run);
}

static void test_eventq_orders_by_time_then_sequence(void **state)
{
    (void)state;
    gp_eventq q;
    gp_eventq_init(&q);
    gp_rng rng;
    gp_rng_seed(&rng, 5);
    for (uint32_t i = 0; i < 5000; i++)
        assert_int_equal(gp_eventq_push(&q, (gp_event){.at_ms = gp_rng_below(&rng, 50), .client = i}), 0);
    gp_event prev = {0}, ev;
    size_t n = 0;
    while (gp_eventq_pop(&q, &ev)) {
        if (n++) {
            assert_true(ev.at_ms >= prev.at_ms);
            if (ev.at_ms == prev.at_ms)
                assert_true(ev.seq > prev.seq && ev.client > prev.client);
        }
        prev = ev;
    }
    assert_int_equal(n, 5000);
    gp_eventq_free(&q);
}

/* A batch pushed with gp_eventq_push_many pops in the very order the same
 * events pushed one by one would, interleaved with later single pushes, with
 * peek, pop_due and a second batch merged into what is left of the first. */
static void test_eventq_batch_pops_as_single_pushes(void **state)
{
    (void)state;
    gp_eventq one, many;
    gp_eventq_init(&one);
    gp_eventq_init(&many);
    gp_rng rng;
    gp_rng_seed(&rng, 9);
    enum { N = 3000 };
    static gp_event batch[N];
    for (uint32_t i = 0; i < N; i++) {
        batch[i] = (gp_event){.at_ms = gp_rng_below(&rng, 400), .client = i};
        assert_int_equal(gp_eventq_push(&one, batch[i]), 0);
    }
    assert_int_equal(gp_eventq_push_many(&many, batch, N), 0);
    gp_event a, b;
    uint64_t now = 0;
    for (size_t n = 0;; n++) {
        if (n % 7 == 0) { /* later pushes land among the batch's events */
            gp_event ev = {.at_ms = now + gp_rng_below(&rng, 30), .client = 100000 + (uint32_t)n};
            assert_int_equal(gp_eventq_push(&one, ev), 0);
            assert_int_equal(gp_eventq_push(&many, ev), 0);
        }
        if (n == 1000) { /* a second batch merges with the first's rest */
            for (uint32_t i = 0; i < 50; i++) {
                gp_event ev = {.at_ms = now + gp_rng_below(&rng, 100), .client = 200000 + i};
                assert_int_equal(gp_eventq_push(&one, ev), 0);
                assert_int_equal(gp_eventq_push_many(&many, &ev, 1), 0);
            }
        }
        const gp_event *pa = gp_eventq_peek(&one), *pb = gp_eventq_peek(&many);
        assert_true((pa == NULL) == (pb == NULL));
        if (!pa)
            break;
        assert_int_equal(pa->client, pb->client);
        if (pb->at_ms > 0) /* nothing is due before the earliest */
            assert_false(gp_eventq_pop_due(&many, pb->at_ms - 1, &b));
        assert_true(gp_eventq_pop(&one, &a));
        assert_true(gp_eventq_pop_due(&many, a.at_ms, &b));
        assert_int_equal(a.client, b.client);
        assert_int_equal(a.seq, b.seq);
        assert_true(a.at_ms >= now);
        now = a.at_ms;
    }
    gp_eventq_free(&one);
    gp_eventq_free(&many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_golden_path_all_complete),
        cmocka_unit_test(test_each_fault_fires_and_is_survived),
        cmocka_unit_test(test_duplicated_agent_failure_is_tolerated),
        cmocka_unit_test(test_fault_that_never_fires_fails_the_run),
        cmocka_unit_test(test_same_seed_same_bytes_other_seed_other_schedule),
        cmocka_unit_test(test_bug_switches_are_caught),
        cmocka_unit_test(test_eventq_orders_by_time_then_sequence),
        cmocka_unit_test(test_eventq_batch_pops_as_single_pushes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
