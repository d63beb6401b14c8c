/* test_oracle.c: the oracle judges from observations and facts, never from
 * the server's word or the scenario's configuration.  Each test is one of
 * the failures of issue 9 that the oracle must no longer show:
 *   - a server that miscounts, or whose stuck scan never fires, is caught;
 *   - an anomaly (a repeated event, a 1006, ALREADY_AUTHENTICATED,
 *     AGENT_FAILED) is excused only by a fact recorded for that client and
 *     message, never by a configured rate;
 *   - events after a request's terminal event, a second connection_ready, a
 *     response to another request, the wrong answer to an injected fault;
 *   - a check that cannot be judged fails the run unless the scenario says
 *     the evidence is not offered;
 *   - latency thresholds are expectations of their own;
 *   - the lifecycle judge's own table, and what it sees that counters do not;
 *   - the log oracle's signatures and classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gp_checks.h"
#include "gp_drive.h"
#include "gp_error.h"
#include "gp_sim.h"

/* ---- a small simulated run ---------------------------------------------------- */

static gp_scenario base(uint32_t clients)
{
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    snprintf(sc.name, sizeof(sc.name), "oracle");
    sc.clients.count = clients;
    sc.clients.window_ms = 500;
    sc.seed = 7;
    return sc;
}

static gp_run *simulate(const gp_scenario *sc)
{
    char err[256];
    gp_run *run = calloc(1, sizeof(*run));
    assert_non_null(run);
    assert_int_equal(gp_run_init(run, sc), GP_OK);
    if (gp_sim_run(run, NULL, err, sizeof(err)) != GP_OK)
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

/* A server that counts one refused step as a success, or never reports a
 * stuck connection: the checks that used to read the counters judge from
 * the observed steps, and the counters are caught disagreeing. */
static void test_a_miscounting_server_is_caught(void **state)
{
    (void)state;
    gp_scenario sc = base(200);
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    /* off by one, as a buggy counter would be */
    run->health.transitions_failed += 1;
    gp_checks_judge(run);
    assert_false(run->passed);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_FAILED);
    assert_int_equal(run->checks[GP_CHECK_INVALID_TRANSITIONS].verdict, GP_VERDICT_PASSED);
    assert_non_null(strstr(run->checks[GP_CHECK_HEALTH_DISAGREES].detail, "transitions_failed"));
    run->health.transitions_failed -= 1;
    /* the other direction: the server says more requests completed */
    run->health.requests_completed_total += 1;
    gp_checks_judge(run);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_FAILED);
    run->health.requests_completed_total -= 1;
    gp_checks_judge(run);
    assert_true(run->passed);
    run_free(run);
}

static void test_stuck_is_judged_by_the_harness(void **state)
{
    (void)state;
    gp_scenario sc = base(100);
    set(&sc, "server.bugs=[\"id_regeneration\"]");
    set(&sc, "limits.ready_timeout_ms=3000");
    gp_run *run = simulate(&sc);
    assert_true(run->checks[GP_CHECK_STUCK_CONNECTIONS].violated);
    assert_int_equal(run->judge.stuck_certain, 100);
    /* a stuck scan that never fires: the verdict stands, the figures disagree */
    run->health.stuck_detected_total = 0;
    gp_checks_judge(run);
    assert_true(run->checks[GP_CHECK_STUCK_CONNECTIONS].violated);
    assert_int_equal(run->checks[GP_CHECK_STUCK_CONNECTIONS].count, 100);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_FAILED);
    assert_non_null(strstr(run->checks[GP_CHECK_HEALTH_DISAGREES].detail, "stuck_detected"));
    run_free(run);
}

/* ---- one client, driven by hand --------------------------------------------------- */

typedef struct rig {
    gp_scenario sc;
    gp_run run;
    gp_vc_shared sh;
    gp_jwt_key *key;
    uint64_t now;
    int closes, last_close;
    char sent[8][512];
    int sent_len;
    int timers[16], timer_args[16]; /* kinds and args of the timers set */
    int timers_len;
    int binaries; /* binary frames sent */
} rig;

static uint64_t rig_now(void *ctx)
{
    return ((rig *)ctx)->now;
}

static void rig_send(void *ctx, gp_vclient *c, const char *data, size_t len, unsigned tag)
{
    rig *r = ctx;
    (void)c;
    (void)tag;
    if (r->sent_len < 8)
        snprintf(r->sent[r->sent_len++], sizeof(r->sent[0]), "%.*s", (int)len, data);
}

static void rig_send_binary(void *ctx, gp_vclient *c, const char *data, size_t len)
{
    (void)c;
    (void)data;
    (void)len;
    ((rig *)ctx)->binaries++;
}

static void rig_close(void *ctx, gp_vclient *c, int code)
{
    rig *r = ctx;
    (void)c;
    r->closes++;
    r->last_close = code;
}

static void rig_timer(void *ctx, gp_vclient *c, uint64_t delay_ms, gp_vc_timer kind, uint32_t arg)
{
    rig *r = ctx;
    (void)c;
    (void)delay_ms;
    if (r->timers_len < 16) {
        r->timers[r->timers_len] = (int)kind;
        r->timer_args[r->timers_len++] = (int)arg;
    }
}

/* How many SEND_REQUEST timers were set for request `k`. */
static int send_timers(const rig *r, int k)
{
    int n = 0;
    for (int i = 0; i < r->timers_len; i++)
        n += r->timers[i] == GP_VC_TIMER_SEND_REQUEST && r->timer_args[i] == k;
    return n;
}

/* A rig of one client with `tweak` applied to the scenario; the client is
 * open and ready (connection_ready received) when `ready`. */
static rig *rig_new(const char *tweak, bool ready)
{
    rig *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    gp_scenario_defaults(&r->sc);
    r->sc.clients.count = 1;
    r->sc.clients.header_auth_fraction = 0.0;
    /* tweak: assignments separated by ';' */
    for (const char *p = tweak; p && *p;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        char one[256];
        snprintf(one, sizeof(one), "%.*s", (int)n, p);
        set(&r->sc, one);
        p = semi ? semi + 1 : p + n;
    }
    assert_int_equal(gp_run_init(&r->run, &r->sc), GP_OK);
    r->key = gp_jwt_key_create("k", 1);
    r->sh = (gp_vc_shared){.sc = &r->run.sc, .key = r->key, .wrong_key = r->key,
                           .epoch_s = 1757498281,
                           .io = {.ctx = r, .now_ms = rig_now, .send = rig_send,
                                  .send_binary = rig_send_binary, .close = rig_close,
                                  .timer = rig_timer}};
    r->run.sh = &r->sh;
    r->now = 1;
    gp_drive_start(&r->run, 0);
    r->now = 5;
    gp_drive_open(&r->run, 0, "ws_1_1");
    if (ready) {
        const char *msg = "{\"type\":\"connection_ready\",\"data\":{\"connection_id\":\"ws_1_1\","
                          "\"user_id\":\"user_0\",\"state\":\"PROCESSING_READY\"}}";
        gp_drive_message(&r->run, 0, msg, strlen(msg), 0);
        r->now = 10;
        gp_drive_timer(&r->run, 0, GP_VC_TIMER_SEND_REQUEST, 0); /* sends r-1 */
    }
    return r;
}

static void rig_free(rig *r)
{
    gp_jwt_key_destroy(r->key);
    gp_run_free(&r->run);
    free(r);
}

static void deliver(rig *r, const char *msg, unsigned flags)
{
    r->now++;
    gp_drive_message(&r->run, 0, msg, strlen(msg), flags);
}

static const char *event(int step)
{
    static const char *const e[] = {
        "{\"type\":\"agent_started\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":\"ws_1_1\",\"agent_type\":\"supervisor\"}}",
        "{\"type\":\"agent_thinking\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":\"ws_1_1\",\"thought\":\"t\"}}",
        "{\"type\":\"tool_executing\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":\"ws_1_1\",\"tool\":\"x\"}}",
        "{\"type\":\"tool_completed\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":\"ws_1_1\",\"tool\":\"x\",\"result\":\"y\"}}",
    };
    return e[step];
}

/* agent_completed for r-1 answering `message` (its digest). */
static void completed(rig *r, const char *message)
{
    char response[256], digest[GP_AGENT_DIGEST_TEXT_LEN], msg[600];
    gp_agent_digest_text(message, digest, sizeof(digest));
    snprintf(response, sizeof(response), "The supervisor agent answered \\\"%s\\\" using x%s",
             message, digest);
    snprintf(msg, sizeof(msg),
             "{\"type\":\"agent_completed\",\"data\":{\"request_id\":\"r-1\","
             "\"connection_id\":\"ws_1_1\",\"response\":\"%s\"}}",
             response);
    deliver(r, msg, 0);
}

static uint32_t violations(rig *r)
{
    gp_vclient_finish(&r->sh, &r->run.clients[0]);
    return r->run.clients[0].violations;
}

#define HAS(v, k) (((v) >> GP_CHECK_##k) & 1u)

static void test_a_repeated_event_is_a_violation_whatever_the_rates(void **state)
{
    (void)state;
    /* duplication configured, but the network did not duplicate this one */
    rig *r = rig_new("network.duplicate_rate=0.5", true);
    deliver(r, event(0), 0);
    deliver(r, event(0), 0);
    assert_true(HAS(violations(r), DUPLICATE_EVENTS));
    rig_free(r);
    /* the same, delivered as the network's copy: a fact, set aside */
    r = rig_new(NULL, true);
    deliver(r, event(0), 0);
    deliver(r, event(0), GP_VC_DELIVERY_DUPLICATE);
    for (int s = 1; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    uint32_t v = violations(r);
    assert_int_equal(v, 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
    assert_int_equal(r->run.clients[0].duplicates_seen, 1);
    rig_free(r);
}

static void test_events_after_the_terminal_event(void **state)
{
    (void)state;
    rig *r = rig_new("clients.requests_per_client=2", true);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    deliver(r, event(2), 0); /* the request is over */
    assert_true(HAS(violations(r), EVENTS_AFTER_TERMINAL));
    rig_free(r);
    /* after an AGENT_FAILED the server injected */
    r = rig_new("clients.requests_per_client=2", true);
    gp_drive_fact(&r->run, 0, GP_FACT_AGENT_FAILED, 0);
    deliver(r, event(0), 0);
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"AGENT_FAILED\",\"message\":\"m\","
               "\"request_id\":\"r-1\"}}", 0);
    deliver(r, event(1), 0);
    uint32_t v = violations(r);
    assert_true(HAS(v, EVENTS_AFTER_TERMINAL));
    assert_false(HAS(v, CLIENT_FAILURES) && !HAS(v, MISSING_AGENT_EVENTS));
    rig_free(r);
}

static void test_agent_failed_needs_a_fact(void **state)
{
    (void)state;
    const char *failed = "{\"type\":\"error\",\"data\":{\"code\":\"AGENT_FAILED\",\"message\":\"m\","
                         "\"request_id\":\"r-1\"}}";
    /* failures configured, none injected into this request */
    rig *r = rig_new("faults.agent_failure=0.5", true);
    deliver(r, event(0), 0);
    deliver(r, failed, 0);
    assert_true(HAS(violations(r), CLIENT_FAILURES));
    rig_free(r);
    /* the fact, learnt after the run (as live mode learns it from the log) */
    r = rig_new(NULL, true);
    deliver(r, event(0), 0);
    deliver(r, failed, 0);
    gp_drive_fact(&r->run, 0, GP_FACT_AGENT_FAILED, 0);
    assert_int_equal(violations(r), 0);
    rig_free(r);
}

static void test_already_authenticated_and_1006_need_facts(void **state)
{
    (void)state;
    const char *again = "{\"type\":\"error\",\"data\":{\"code\":\"ALREADY_AUTHENTICATED\",\"message\":\"m\"}}";
    rig *r = rig_new("network.duplicate_rate=0.5", true);
    deliver(r, again, 0);
    assert_true(HAS(violations(r), CLIENT_FAILURES));
    rig_free(r);
    r = rig_new(NULL, true);
    gp_drive_fact(&r->run, 0, GP_FACT_DUP_TO_SERVER, GP_VC_TAG_AUTH);
    deliver(r, again, 0);
    deliver(r, again, 0); /* one duplicate explains one answer */
    assert_true(HAS(violations(r), CLIENT_FAILURES));
    rig_free(r);
    /* a 1006 with drops configured but no reset on record is a failure */
    r = rig_new("network.drop_rate=0.3", true);
    gp_drive_close(&r->run, 0, GP_CLOSE_ABNORMAL);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_FAILED);
    rig_free(r);
    /* a reset on record: the client is reset, not expected to complete (the
     * fault was injected), and its unanswered request is no violation */
    r = rig_new(NULL, true);
    assert_true(gp_vclient_expects_completion(&r->run.clients[0]));
    gp_drive_fact(&r->run, 0, GP_FACT_RESET, 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_ABNORMAL);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_RESET);
    assert_false(gp_vclient_expects_completion(&r->run.clients[0]));
    uint32_t v = violations(r);
    assert_false(HAS(v, CLIENT_FAILURES));
    assert_false(HAS(v, MISSING_AGENT_EVENTS));
    rig_free(r);
}

static void test_a_response_to_another_request(void **state)
{
    (void)state;
    rig *r = rig_new(NULL, true);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 2 for user 0"); /* not this request's message */
    assert_true(HAS(violations(r), RESPONSE_MISMATCH));
    rig_free(r);
}

static void test_a_second_connection_ready(void **state)
{
    (void)state;
    rig *r = rig_new(NULL, true);
    deliver(r, "{\"type\":\"connection_ready\",\"data\":{\"connection_id\":\"ws_1_1\","
               "\"user_id\":\"user_0\",\"state\":\"PROCESSING_READY\"}}", 0);
    assert_true(HAS(violations(r), DUPLICATE_READY));
    rig_free(r);
}

static void test_injected_faults_get_the_protocols_answer(void **state)
{
    (void)state;
    /* an early request run instead of refused with NOT_READY */
    rig *r = rig_new("faults.early_message=1", false);
    deliver(r, "{\"type\":\"agent_started\",\"data\":{\"request_id\":\"early-1\","
               "\"connection_id\":\"ws_1_1\",\"agent_type\":\"supervisor\"}}", 0);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* a bad token closed 4401 without AUTH_FAILED first */
    r = rig_new("faults.bad_token.expired=1", false);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    assert_int_equal(r->run.clients[0].outcome, GP_VC_REFUSED);
    rig_free(r);
    /* the right answer: AUTH_FAILED, then 4401 */
    r = rig_new("faults.bad_token.expired=1", false);
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"AUTH_FAILED\",\"message\":\"m\"}}", 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_int_equal(violations(r), 0);
    rig_free(r);
    /* a valid token refused: the summary says the secrets probably differ */
    r = rig_new(NULL, false);
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"AUTH_FAILED\",\"message\":\"m\"}}", 0);
    assert_int_equal(r->run.clients[0].failure, GP_VC_FAIL_AUTH_REFUSED);
    assert_non_null(strstr(gp_vc_failure_text(GP_VC_FAIL_AUTH_REFUSED), "secrets"));
    rig_free(r);
}

/* Whether the rig sent a text containing `needle`. */
static bool rig_sent(const rig *r, const char *needle)
{
    for (int i = 0; i < r->sent_len; i++)
        if (strstr(r->sent[i], needle))
            return true;
    return false;
}

#define ERROR_MSG(code) "{\"type\":\"error\",\"data\":{\"code\":\"" code "\",\"message\":\"m\"}}"

/* faults.bad_input: each row of the protocol's bad-input table gets exactly
 * its answer; a connection the table keeps open goes on to complete, and the
 * client waits for the answer before it calls itself done. */
static void test_bad_input_gets_the_tables_answer(void **state)
{
    (void)state;
    /* not JSON once ready: BAD_MESSAGE, then the request completes */
    rig *r = rig_new("faults.bad_input.not_json=1", true);
    assert_true(rig_sent(r, "this is not JSON"));
    assert_int_equal(r->run.ledger.fired[GP_FAULT_BI_NOT_JSON], 1);
    deliver(r, ERROR_MSG("BAD_MESSAGE"), 0);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    assert_int_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
    assert_int_equal(violations(r), 0);
    rig_free(r);
    /* never answered: the client does not finish when its request does, and
     * the missing answer is a violation */
    r = rig_new("faults.bad_input.unknown_type=1", true);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    assert_int_equal(r->run.clients[0].outcome, GP_VC_PENDING);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* answered late (after the request): then it completes */
    r = rig_new("faults.bad_input.wrong_field_type=1", true);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    deliver(r, ERROR_MSG("BAD_MESSAGE"), 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
    assert_int_equal(violations(r), 0);
    rig_free(r);
    /* a malformed message closes the connection: the table keeps it open */
    r = rig_new("faults.bad_input.not_json=1", true);
    deliver(r, ERROR_MSG("BAD_MESSAGE"), 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_POLICY);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_FAILED);
    rig_free(r);
    /* the wrong error: AUTH_REQUIRED to a malformed message when ready */
    r = rig_new("faults.bad_input.not_json=1", true);
    deliver(r, ERROR_MSG("AUTH_REQUIRED"), 0);
    assert_true(violations(r) != 0);
    rig_free(r);
    /* a second auth: ALREADY_AUTHENTICATED, whether its token is good or not */
    for (int bad = 0; bad < 2; bad++) {
        r = rig_new(bad ? "faults.bad_input.second_bad_auth=1" : "faults.bad_input.second_auth=1",
                    true);
        deliver(r, ERROR_MSG("ALREADY_AUTHENTICATED"), 0);
        for (int s = 0; s < 4; s++)
            deliver(r, event(s), 0);
        completed(r, "Summarise topic 1 for user 0");
        assert_int_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
        assert_int_equal(violations(r), 0);
        rig_free(r);
        /* AUTH_FAILED and 4401 for the second auth: the connection was
         * authenticated, so the table says otherwise */
        r = rig_new(bad ? "faults.bad_input.second_bad_auth=1" : "faults.bad_input.second_auth=1",
                    true);
        deliver(r, ERROR_MSG("AUTH_FAILED"), 0);
        gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
        assert_true(violations(r) != 0);
        assert_int_not_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
        rig_free(r);
    }
    /* a binary frame: close 1003, no request after it */
    r = rig_new("faults.bad_input.binary_frame=1", true);
    assert_int_equal(r->binaries, 1);
    assert_int_equal(r->run.ledger.fired[GP_FAULT_BI_BINARY], 1);
    gp_drive_close(&r->run, 0, GP_CLOSE_UNSUPPORTED);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_REFUSED);
    assert_int_equal(violations(r), 0);
    assert_false(gp_vclient_expects_completion(&r->run.clients[0]));
    rig_free(r);
    /* ... and a server that takes it (closes otherwise) is caught */
    r = rig_new("faults.bad_input.binary_frame=1", true);
    gp_drive_close(&r->run, 0, GP_CLOSE_POLICY);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* one byte over the size limit: 1009, and 1009 only */
    r = rig_new("faults.bad_input.over_size_limit=1", true);
    gp_drive_close(&r->run, 0, GP_CLOSE_TOO_BIG);
    assert_int_equal(violations(r), 0);
    rig_free(r);
    r = rig_new("faults.bad_input.over_size_limit=1", true);
    gp_drive_close(&r->run, 0, GP_CLOSE_UNSUPPORTED);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* a ping before auth: AUTH_REQUIRED, then 4401 */
    r = rig_new("faults.bad_input.ping_before_auth=1", false);
    assert_true(rig_sent(r, "\"ping\""));
    deliver(r, ERROR_MSG("AUTH_REQUIRED"), 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_int_equal(violations(r), 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_REFUSED);
    rig_free(r);
    r = rig_new("faults.bad_input.ping_before_auth=1", false);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED); /* without AUTH_REQUIRED */
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* garbage before auth is BAD_MESSAGE, and the connection stays open */
    r = rig_new("faults.bad_input.garbage_before_auth=1", false);
    deliver(r, ERROR_MSG("BAD_MESSAGE"), 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_PENDING);
    rig_free(r);
    r = rig_new("faults.bad_input.garbage_before_auth=1", false);
    deliver(r, ERROR_MSG("AUTH_REQUIRED"), 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_int_not_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
    assert_true(violations(r) != 0);
    rig_free(r);
    /* a request pipelined behind the auth: NOT_READY or run, never silence */
    r = rig_new("faults.bad_input.pipelined_request=1", false);
    assert_true(rig_sent(r, "pipe-1"));
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    r = rig_new("faults.bad_input.pipelined_request=1", false);
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"NOT_READY\",\"message\":\"m\","
               "\"request_id\":\"pipe-1\"}}", 0);
    assert_false(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
}

/* An event's fields must agree with its request (goldpath.v1): agent_started
 * the agent asked for, tool_completed the tool tool_executing named; a
 * request sent without request_id is matched to the id the server gives. */
static void test_event_fields_and_request_shapes(void **state)
{
    (void)state;
    static const char started_as[] =
        "{\"type\":\"agent_started\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":"
        "\"ws_1_1\",\"agent_type\":\"researcher\"}}";
    static const char tool_y[] =
        "{\"type\":\"tool_completed\",\"data\":{\"request_id\":\"r-1\",\"connection_id\":"
        "\"ws_1_1\",\"tool\":\"y\",\"result\":\"z\"}}";
    /* the agent the request did not ask for */
    rig *r = rig_new(NULL, true);
    deliver(r, started_as, 0);
    assert_true(HAS(violations(r), RESPONSE_MISMATCH));
    rig_free(r);
    /* tool_executing names x, tool_completed y */
    r = rig_new(NULL, true);
    for (int s = 0; s < 3; s++)
        deliver(r, event(s), 0);
    deliver(r, tool_y, 0);
    assert_true(HAS(violations(r), RESPONSE_MISMATCH));
    rig_free(r);
    /* the plain story has none of it */
    r = rig_new(NULL, true);
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    completed(r, "Summarise topic 1 for user 0");
    assert_int_equal(violations(r), 0);
    rig_free(r);

    /* a seed whose first request goes without request_id */
    uint64_t seed = 0;
    for (uint64_t s = 1; s < 1000 && !seed; s++) {
        r = rig_new("clients.varied_requests=1", false);
        r->run.sc.seed = s;
        if (gp_vclient_request_shape(&r->sh, &r->run.clients[0], 0) == GP_VC_SHAPE_NO_ID)
            seed = s;
        rig_free(r);
    }
    assert_true(seed != 0);
    char tweak[96];
    snprintf(tweak, sizeof(tweak), "clients.varied_requests=1;seed=%llu",
             (unsigned long long)seed);
    r = rig_new(tweak, true); /* sends the request, without request_id */
    assert_false(rig_sent(r, "\"request_id\""));
    const char *const srv1[] = {
        "{\"type\":\"agent_started\",\"data\":{\"request_id\":\"srv-1\",\"connection_id\":\"ws_1_1\",\"agent_type\":\"supervisor\"}}",
        "{\"type\":\"agent_thinking\",\"data\":{\"request_id\":\"srv-1\",\"connection_id\":\"ws_1_1\",\"thought\":\"t\"}}",
        "{\"type\":\"tool_executing\",\"data\":{\"request_id\":\"srv-1\",\"connection_id\":\"ws_1_1\",\"tool\":\"x\"}}",
        "{\"type\":\"tool_completed\",\"data\":{\"request_id\":\"srv-1\",\"connection_id\":\"ws_1_1\",\"tool\":\"x\",\"result\":\"y\"}}",
    };
    for (int s = 0; s < 4; s++)
        deliver(r, srv1[s], 0);
    /* another id the client never saw named: not its request */
    deliver(r, "{\"type\":\"agent_thinking\",\"data\":{\"request_id\":\"srv-9\","
               "\"connection_id\":\"ws_1_1\",\"thought\":\"t\"}}", 0);
    char response[300], digest[GP_AGENT_DIGEST_TEXT_LEN], msg[600];
    gp_agent_digest_text("Summarise topic 1 for user 0", digest, sizeof(digest));
    snprintf(response, sizeof(response), "The supervisor agent answered using x%s", digest);
    snprintf(msg, sizeof(msg),
             "{\"type\":\"agent_completed\",\"data\":{\"request_id\":\"srv-1\","
             "\"connection_id\":\"ws_1_1\",\"response\":\"%s\"}}", response);
    deliver(r, msg, 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_COMPLETED);
    uint32_t v = violations(r);
    assert_true(HAS(v, ISOLATION));
    assert_false(HAS(v, RESPONSE_MISMATCH));
    assert_false(HAS(v, EVENTS_OUT_OF_ORDER));
    rig_free(r);
}

/* A client that never authenticates: close 4408 at the auth timeout, not
 * before and not long after (a missing or mis-scaled timer is caught). */
static void test_a_silent_client_is_closed_at_the_auth_timeout(void **state)
{
    (void)state;
    /* on time: refused, no violation */
    rig *r = rig_new("faults.no_auth=1", false);
    assert_true(r->run.clients[0].plan.no_auth);
    assert_int_equal(r->sent_len, 0); /* it sends nothing */
    r->now = 1 + r->sc.server.auth_timeout_ms + 20;
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_TIMEOUT);
    assert_int_equal(violations(r), 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_REFUSED);
    assert_int_equal(r->run.ledger.fired[GP_FAULT_NO_AUTH], 1);
    rig_free(r);
    /* far too early (a timeout counted in the wrong unit) */
    r = rig_new("faults.no_auth=1", false);
    r->now = 60;
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_TIMEOUT);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* the wrong code */
    r = rig_new("faults.no_auth=1", false);
    r->now = 1 + r->sc.server.auth_timeout_ms + 20;
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
    /* never closed: the deadline passes */
    r = rig_new("faults.no_auth=1", false);
    r->now = 1 + r->sc.server.auth_timeout_ms * 2;
    gp_drive_timer(&r->run, 0, GP_VC_TIMER_AUTH_DEADLINE, 0);
    uint32_t v = violations(r);
    assert_true(HAS(v, FAULT_ANSWERS));
    assert_int_equal(r->run.clients[0].failure, GP_VC_FAIL_NOT_TIMED_OUT);
    /* the ready timeout does not fire for it, the stuck timer is not set */
    rig_free(r);
    r = rig_new("faults.no_auth=1", false);
    gp_drive_timer(&r->run, 0, GP_VC_TIMER_READY_TIMEOUT, 0);
    assert_int_equal(r->run.clients[0].outcome, GP_VC_PENDING);
    rig_free(r);
    /* a whole run, the auth timeout (5 s) past the stuck threshold (2 s): the
     * server counts the silent connections stuck, the harness does not, and
     * the two agree on the steps */
    gp_scenario sc = base(100);
    set(&sc, "faults.no_auth=0.3");
    gp_run *run = simulate(&sc);
    if (!run->passed)
        fail_msg("no_auth run failed: %s", run->checks[GP_CHECK_STUCK_CONNECTIONS].detail);
    assert_true(run->judge.stuck_certain > 0);
    assert_int_equal(run->health.stuck_detected_total, run->judge.stuck_certain);
    assert_int_equal(run->checks[GP_CHECK_STUCK_CONNECTIONS].count, 0);
    assert_int_equal(run->wire.closes_auth_timeout, run->ledger.fired[GP_FAULT_NO_AUTH]);
    run_free(run);
}

/* Every kind of bad token is refused by the server: whole runs, each kind on
 * its own, nothing reaches ready; the pipelined request gets no answer. */
static void test_every_bad_token_kind_is_refused(void **state)
{
    (void)state;
    for (int k = 0; k < GP_BAD_TOKEN_COUNT; k++) {
        gp_scenario sc = base(40);
        char a[96];
        snprintf(a, sizeof(a), "faults.bad_token.%s=1", gp_bad_token_name((gp_bad_token)k));
        set(&sc, a);
        gp_run *run = simulate(&sc);
        if (!run->passed)
            fail_msg("%s: the run failed", a);
        assert_int_equal(run->outcome[GP_VC_REFUSED], 40);
        assert_int_equal(run->ready, 0);
        assert_int_equal(run->ledger.fired[GP_FAULT_BAD_SIGNATURE + k], 40);
        assert_int_equal(run->wire.sent[GP_MSG_AGENT_STARTED], 0);
        run_free(run);
    }
    /* a server that answers the request behind a bad token */
    rig *r = rig_new("faults.bad_token.bad_signature=1", false);
    assert_true(r->run.clients[0].plan.after_auth);
    assert_int_equal(r->sent_len, 2); /* the auth, then the request */
    assert_non_null(strstr(r->sent[1], "agent_execution"));
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"AUTH_FAILED\",\"message\":\"m\"}}", 0);
    deliver(r, "{\"type\":\"error\",\"data\":{\"code\":\"NOT_READY\",\"message\":\"m\","
               "\"request_id\":\"early-1\"}}", 0);
    gp_drive_close(&r->run, 0, GP_CLOSE_AUTH_FAILED);
    assert_true(HAS(violations(r), FAULT_ANSWERS));
    rig_free(r);
}

/* What a server sends after its close, and a second close, are seen. */
static void test_messages_after_close(void **state)
{
    (void)state;
    gp_scenario sc = base(50);
    set(&sc, "faults.bad_token.expired=0.5");
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    assert_int_equal(run->checks[GP_CHECK_MESSAGES_AFTER_CLOSE].verdict, GP_VERDICT_PASSED);
    uint32_t closed = UINT32_MAX;
    for (uint32_t i = 0; i < run->n_clients && closed == UINT32_MAX; i++)
        if (run->judge.conns[i].flags & GP_JF_SERVER_CLOSED)
            closed = i;
    assert_true(closed != UINT32_MAX);
    const char *late = "{\"type\":\"error\",\"data\":{\"code\":\"NOT_READY\",\"message\":\"m\"}}";
    gp_drive_server_sent(run, closed, late, strlen(late), run->end_ms);
    gp_checks_judge(run);
    assert_int_equal(run->checks[GP_CHECK_MESSAGES_AFTER_CLOSE].verdict, GP_VERDICT_FAILED);
    assert_int_equal(run->checks[GP_CHECK_MESSAGES_AFTER_CLOSE].count, 1);
    run_free(run);
    /* closed twice */
    run = simulate(&sc);
    for (uint32_t i = 0; i < run->n_clients; i++)
        if (run->judge.conns[i].flags & GP_JF_SERVER_CLOSED) {
            gp_drive_server_closed(run, i, GP_CLOSE_AUTH_FAILED);
            break;
        }
    gp_checks_judge(run);
    assert_int_equal(run->checks[GP_CHECK_MESSAGES_AFTER_CLOSE].verdict, GP_VERDICT_FAILED);
    run_free(run);
}

/* The server's gauges are compared at every time bucket, not only at the end:
 * a conflict recorded during the run fails health_disagrees. */
static void test_gauges_are_sampled_during_the_run(void **state)
{
    (void)state;
    gp_scenario sc = base(200);
    set(&sc, "report.bucket_ms=50");
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    assert_int_equal(run->health_conflict[0], '\0');
    assert_true(run->timeline_len > 5);
    snprintf(run->health_conflict, sizeof(run->health_conflict),
             "at 100 ms active_connections was 3, observed 7");
    gp_checks_judge(run);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_FAILED);
    assert_non_null(strstr(run->checks[GP_CHECK_HEALTH_DISAGREES].detail, "active_connections"));
    run_free(run);
}

/* clients.request_mode: pipelined requests go out a gap after the previous
 * one was sent; sequential ones a gap after it was answered. */
static void test_request_modes(void **state)
{
    (void)state;
    rig *r = rig_new("clients.requests_per_client=2", true);
    assert_int_equal(send_timers(r, 1), 1); /* r-2 scheduled as r-1 left */
    rig_free(r);
    r = rig_new("clients.requests_per_client=2", false);
    set(&r->sc, "clients.request_mode=\"sequential\"");
    r->run.sc.clients.request_mode = r->sc.clients.request_mode;
    const char *msg = "{\"type\":\"connection_ready\",\"data\":{\"connection_id\":\"ws_1_1\","
                      "\"user_id\":\"user_0\",\"state\":\"PROCESSING_READY\"}}";
    deliver(r, msg, 0);
    gp_drive_timer(&r->run, 0, GP_VC_TIMER_SEND_REQUEST, 0);
    assert_int_equal(send_timers(r, 1), 0); /* not before r-1 is answered */
    for (int s = 0; s < 4; s++)
        deliver(r, event(s), 0);
    assert_int_equal(send_timers(r, 1), 0);
    completed(r, "Summarise topic 1 for user 0");
    assert_int_equal(send_timers(r, 1), 1);
    rig_free(r);
    /* a whole run: every client still completes, failed requests included
     * (an AGENT_FAILED answers a request, so the next one follows) */
    gp_scenario sc = base(100);
    set(&sc, "clients.requests_per_client=3");
    set(&sc, "clients.request_mode=\"sequential\"");
    set(&sc, "faults.agent_failure=0.2");
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    assert_int_equal(run->completed, run->expected_to_complete);
    assert_true(run->ledger.fired[GP_FAULT_AGENT_FAILURE] > 0);
    run_free(run);
}

/* A configured fault that never fired fails the run, and says why when the
 * scenario as written cannot fire it, or how few were to be expected. */
static void test_faults_not_fired_says_why(void **state)
{
    (void)state;
    struct {
        const char *set[3];
        const char *why;
    } cases[] = {
        {{"network.reorder_rate=0.5", NULL}, "clients.requests_per_client >= 2"},
        {{"network.reorder_rate=0.5", "clients.requests_per_client=3",
          "clients.request_mode=\"sequential\""}, "sends one at a time"},
        {{"faults.early_message=0.5", "faults.no_auth=1"}, "no other fault"},
        {{"faults.slow_accept=0.5", "faults.accept_race=1"}, "one accept fault at most"},
        {{"faults.agent_failure=0.5", "faults.bad_token.expired=1"}, "no client gets as far"},
        {{"faults.early_message=0.001"}, "about 0.0 of 20 clients expected"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gp_scenario sc = base(20);
        for (int k = 0; k < 3 && cases[i].set[k]; k++)
            set(&sc, cases[i].set[k]);
        gp_run *run = simulate(&sc);
        const gp_check_result *r = &run->checks[GP_CHECK_FAULTS_NOT_FIRED];
        assert_int_equal(r->verdict, GP_VERDICT_FAILED);
        if (!strstr(r->detail, cases[i].why))
            fail_msg("case %zu: %s", i, r->detail);
        assert_false(run->passed);
        run_free(run);
    }
}

/* The liveness phase: faults end at faults.until_ms; within
 * expect.liveness_ms every connection must be ready or closed and every
 * request answered.  A sound server recovers; a stuck one is named. */
static void test_liveness_after_faults_end(void **state)
{
    (void)state;
    gp_scenario sc = base(200);
    set(&sc, "clients.window_ms=4000");
    set(&sc, "network.drop_rate=0.05");
    set(&sc, "network.duplicate_rate=0.05");
    set(&sc, "faults.disconnect.ready=0.1");
    set(&sc, "faults.until_ms=2000");
    set(&sc, "expect.liveness_ms=3000");
    gp_run *run = simulate(&sc);
    assert_int_equal(run->checks[GP_CHECK_LIVENESS].verdict, GP_VERDICT_PASSED);
    /* no client that started after the faults ended had one */
    for (uint32_t i = 0; i < run->n_clients; i++)
        if (run->clients[i].plan.start_ms >= 2000) {
            assert_int_equal(run->clients[i].plan.disconnect, -1);
            assert_int_equal(run->clients[i].facts.drops, 0);
            assert_int_equal(run->clients[i].facts.dup_to_client, 0);
        }
    run_free(run);
    /* the incident's bug: connections never recover, and are named */
    set(&sc, "server.bugs=[\"id_regeneration\"]");
    set(&sc, "limits.ready_timeout_ms=20000");
    run = simulate(&sc);
    assert_int_equal(run->checks[GP_CHECK_LIVENESS].verdict, GP_VERDICT_FAILED);
    assert_true(run->checks[GP_CHECK_LIVENESS].count > 0);
    assert_true(run->checks[GP_CHECK_LIVENESS].examples_len > 0);
    run_free(run);
    /* not asked: not offered, and the run may pass */
    gp_scenario plain = base(20);
    run = simulate(&plain);
    assert_int_equal(run->checks[GP_CHECK_LIVENESS].verdict, GP_VERDICT_NOT_OFFERED);
    assert_true(run->passed);
    run_free(run);
}

/* Each client draws from its own stream: a subset of the clients is the
 * story of those clients in the whole run (goldpath shrink relies on it). */
static void test_a_subset_keeps_each_clients_story(void **state)
{
    (void)state;
    gp_scenario sc = base(120);
    set(&sc, "network.latency.distribution=\"uniform\"");
    set(&sc, "network.latency.min_ms=1");
    set(&sc, "network.latency.max_ms=30");
    set(&sc, "faults.agent_failure=0.3");
    set(&sc, "clients.requests_per_client=3");
    gp_run *all = simulate(&sc);
    set(&sc, "clients.only=[7,99]");
    gp_run *two = simulate(&sc);
    assert_int_equal(two->n_clients, 2);
    const uint32_t who[2] = {7, 99};
    for (int k = 0; k < 2; k++) {
        const gp_vclient *a = &all->clients[who[k]], *b = &two->clients[k];
        assert_int_equal(b->seed_index, who[k]);
        assert_int_equal(a->t_start, b->t_start);
        assert_int_equal(a->t_open, b->t_open);
        assert_int_equal(a->t_ready, b->t_ready);
        assert_int_equal(a->t_done, b->t_done);
        assert_int_equal(a->requests_failed, b->requests_failed);
        for (int r = 0; r < 3; r++)
            assert_int_equal(a->req[r].t_end, b->req[r].t_end);
    }
    run_free(all);
    run_free(two);
}

/* ---- nothing passes unjudged ---------------------------------------------------- */

static void test_a_check_without_its_evidence_fails_the_run(void **state)
{
    (void)state;
    gp_scenario sc = base(50);
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    run->evidence &= ~(unsigned)(GP_EV_HEALTH | GP_EV_REGISTRY);
    gp_checks_judge(run);
    assert_false(run->passed);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_UNJUDGED);
    assert_int_equal(run->checks[GP_CHECK_REGISTRY_NOT_EMPTY].verdict, GP_VERDICT_UNJUDGED);
    /* the scenario says this server offers no /health */
    run->sc.expect.server_health = GP_EVIDENCE_NONE;
    gp_checks_judge(run);
    assert_true(run->passed);
    assert_int_equal(run->checks[GP_CHECK_HEALTH_DISAGREES].verdict, GP_VERDICT_NOT_OFFERED);
    /* without the log: the lifecycle checks and the signatures */
    run->sc.expect.server_health = GP_EVIDENCE_REQUIRED;
    run->evidence = GP_EV_HEALTH | GP_EV_REGISTRY | GP_EV_MEMORY;
    gp_checks_judge(run);
    assert_false(run->passed);
    assert_int_equal(run->checks[GP_CHECK_INVALID_TRANSITIONS].verdict, GP_VERDICT_UNJUDGED);
    assert_int_equal(run->expectations[run->expectations_len - 1].r.verdict, GP_VERDICT_UNJUDGED);
    run->sc.expect.server_log = GP_EVIDENCE_NONE;
    gp_checks_judge(run);
    assert_true(run->passed);
    run_free(run);
}

/* ---- expectations ------------------------------------------------------------- */

static void test_latency_thresholds_are_expectations(void **state)
{
    (void)state;
    gp_scenario sc = base(100);
    set(&sc, "expect.latency.completed_ms.p99=1000");
    set(&sc, "expect.latency.completed_ms.max=5");
    gp_run *run = simulate(&sc);
    assert_false(run->passed);
    int seen = 0;
    for (uint32_t e = 0; e < run->expectations_len; e++) {
        const gp_expectation *x = &run->expectations[e];
        if (strcmp(x->name, "latency.completed_ms.p99") == 0) {
            assert_int_equal(x->r.verdict, GP_VERDICT_PASSED);
            seen++;
        } else if (strcmp(x->name, "latency.completed_ms.max") == 0) {
            assert_int_equal(x->r.verdict, GP_VERDICT_FAILED);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    run_free(run);
}

static void test_bug_scenario_passes_when_caught(void **state)
{
    (void)state;
    gp_scenario sc = base(100);
    set(&sc, "server.bugs=[\"id_regeneration\"]");
    set(&sc, "limits.ready_timeout_ms=3000");
    set(&sc, "expect.min_completion_rate=0");
    set(&sc, "expect.min_transition_success_rate=0");
    set(&sc, "expect.violations=[\"stuck_connections\",\"invalid_transitions\","
             "\"missing_agent_events\",\"id_mismatches\",\"client_failures\"]");
    set(&sc, "expect.log_signatures={\"incident.never_ready\":{\"per_client\":1},"
             "\"incident.failed_services_ready\":{\"per_client\":1},"
             "\"incident.invalid_connecting_to_services_ready\":{\"per_client\":1},"
             "\"incident.failed_authenticated\":{\"per_client\":1}}");
    gp_run *run = simulate(&sc);
    assert_true(run->passed);
    assert_int_equal(run->checks[GP_CHECK_STUCK_CONNECTIONS].verdict, GP_VERDICT_CAUGHT);
    for (int s = 0; s < 4; s++) {
        assert_int_equal(run->logsig.count[s].total, 100);
        assert_int_equal(run->logsig.count[s].connections, 100);
    }
    assert_int_equal(run->logsig.count[GP_SIGNATURE_ACCEPT_RACE].total, 0);
    run_free(run);
    /* the same expectations on the fixed server: missed, so it fails */
    set(&sc, "server.bugs=[]");
    run = simulate(&sc);
    assert_false(run->passed);
    assert_int_equal(run->checks[GP_CHECK_STUCK_CONNECTIONS].verdict, GP_VERDICT_MISSED);
    run_free(run);
}

static void test_the_accept_race_line_is_logged(void **state)
{
    (void)state;
    gp_scenario sc = base(200);
    set(&sc, "faults.accept_race=0.5");
    gp_run *run = simulate(&sc);
    assert_int_equal(run->logsig.count[GP_SIGNATURE_ACCEPT_RACE].total, 0);
    assert_true(run->passed);
    run_free(run);
    set(&sc, "server.bugs=[\"accept_race\"]");
    run = simulate(&sc);
    uint64_t raced = 0;
    for (uint32_t i = 0; i < run->n_clients; i++)
        raced += run->clients[i].facts.accept_raced;
    assert_true(raced > 0);
    assert_int_equal(run->logsig.count[GP_SIGNATURE_ACCEPT_RACE].total, raced);
    run_free(run);
}

/* ---- the lifecycle judge -------------------------------------------------------- */

static void test_the_judges_own_table(void **state)
{
    (void)state;
    /* written out from the protocol: the climb, giving up, the end */
    static const int legal[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 5}, {1, 5}, {2, 5},
                                   {3, 5}, {4, 5}, {0, 7}, {1, 7}, {2, 7}, {3, 7}, {4, 7},
                                   {5, 6}, {7, 6}};
    int n = 0;
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            bool want = false;
            for (size_t k = 0; k < sizeof(legal) / sizeof(legal[0]); k++)
                want |= legal[k][0] == f && legal[k][1] == t;
            assert_int_equal(gp_judge_step_is_legal(f, t), want);
            n += want;
        }
    assert_int_equal(n, 16);
    assert_false(gp_judge_step_is_legal(-1, 0));
    assert_false(gp_judge_step_is_legal(0, GP_STATE_COUNT));
}

static void observe(gp_judge *j, gp_obs_kind kind, const char *id, int from, int to,
                    bool applied, uint64_t at)
{
    gp_observation o = {.kind = kind, .id = id, .from = from, .to = to,
                        .after = applied ? to : from, .applied = applied, .at_ms = at};
    gp_judge_observe(j, 0, &o);
}

static void test_the_judge_sees_what_counters_do_not(void **state)
{
    (void)state;
    gp_judge j;
    assert_int_equal(gp_judge_init(&j, 1, 2000), GP_OK);
    observe(&j, GP_OBS_REGISTERED, "ws_1_1", 0, 0, true, 1);
    observe(&j, GP_OBS_STEP, "ws_1_1", 0, 1, true, 2);
    assert_int_equal(j.conns[0].flags & ~GP_JF_SEEN, 0);
    /* a step from a state the machine was never seen to reach */
    observe(&j, GP_OBS_STEP, "ws_1_1", 2, 3, true, 3);
    assert_true(j.conns[0].flags & GP_JF_INCONSISTENT);
    assert_false(j.conns[0].flags & GP_JF_ILLEGAL);
    gp_judge_free(&j);

    assert_int_equal(gp_judge_init(&j, 1, 2000), GP_OK);
    observe(&j, GP_OBS_REGISTERED, "ws_1_1", 0, 0, true, 1);
    /* an illegal step applied (the core's table too permissive) */
    observe(&j, GP_OBS_STEP, "ws_1_1", 0, 2, true, 2);
    assert_true(j.conns[0].flags & GP_JF_ILLEGAL);
    assert_true(j.conns[0].flags & GP_JF_INCONSISTENT);
    /* a machine dropped mid-handshake and another registered */
    observe(&j, GP_OBS_UNREGISTERED, "ws_1_1", 2, 2, true, 3);
    observe(&j, GP_OBS_REGISTERED, "conn_websocket_1_aa", 0, 0, true, 3);
    assert_true(j.conns[0].flags & GP_JF_MISMATCH);
    assert_int_equal(j.mismatched, 1);
    /* connection_ready while CONNECTING */
    gp_judge_ready_sent(&j, 0, 4);
    assert_true(j.conns[0].flags & GP_JF_FALSE_READY);
    /* held short of ready past the threshold; the edge ms is told apart */
    gp_judge_finish(&j, 3 + 2001);
    assert_int_equal(j.stuck_edge, 1);
    assert_int_equal(j.stuck_certain, 0);
    gp_judge_free(&j);

    /* a legal step refused is a fault too */
    assert_int_equal(gp_judge_init(&j, 1, 2000), GP_OK);
    observe(&j, GP_OBS_REGISTERED, "ws_1_1", 0, 0, true, 1);
    observe(&j, GP_OBS_STEP, "ws_1_1", 0, 1, false, 2);
    assert_true(j.conns[0].flags & GP_JF_INCONSISTENT);
    assert_int_equal(j.refused, 1);
    gp_judge_free(&j);
}

/* ---- the log oracle -------------------------------------------------------------- */

static uint32_t conn_of(const void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "ws_1_1") == 0 ? 0 : strcmp(id, "conn_websocket_2_bb") == 0 ? 1
                                                                                  : UINT32_MAX;
}

static void test_signatures_and_classes(void **state)
{
    (void)state;
    gp_logsig ls;
    assert_int_equal(gp_logsig_init(&ls, 2), GP_OK);
    gp_logsig_line(&ls, "ERROR", "Connection ws_1_1 state machine never reached ready state: "
                                 "ApplicationConnectionState.CONNECTING", UINT32_MAX, conn_of, NULL);
    gp_logsig_line(&ls, "ERROR", "PHASE 2 FIX 2: Failed to transition state machine to "
                                 "AUTHENTICATED for conn_websocket_2_bb", UINT32_MAX, conn_of, NULL);
    gp_logsig_line(&ls, "WARNING", "Invalid state transition for ws_1_1: ApplicationConnectionState."
                                   "CONNECTING -> ApplicationConnectionState.SERVICES_READY",
                   UINT32_MAX, conn_of, NULL);
    /* another state: not the incident's signature, but a class of its own */
    gp_logsig_line(&ls, "ERROR", "Connection ws_1_1 state machine never reached ready state: "
                                 "ApplicationConnectionState.ACCEPTED", UINT32_MAX, conn_of, NULL);
    gp_logsig_line(&ls, "INFO", "Connection ws_1_1 closed", UINT32_MAX, conn_of, NULL);
    assert_int_equal(ls.count[GP_SIGNATURE_NEVER_READY].total, 1);
    assert_int_equal(ls.count[GP_SIGNATURE_FAILED_AUTHENTICATED].total, 1);
    assert_int_equal(gp_logsig_on(&ls, 1, GP_SIGNATURE_FAILED_AUTHENTICATED), 1);
    assert_int_equal(ls.count[GP_SIGNATURE_INVALID_CONNECTING_SERVICES_READY].connections, 1);
    assert_int_equal(ls.warnings, 1);
    assert_int_equal(ls.errors, 3);
    assert_int_equal(ls.classes_len, 4);
    char cls[200];
    gp_logsig_classify("Authentication failed for ws_1757498281000_140234: token has expired",
                       cls, sizeof(cls));
    assert_string_equal(cls, "Authentication failed for <id>: token has expired");
    gp_logsig_free(&ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_miscounting_server_is_caught),
        cmocka_unit_test(test_stuck_is_judged_by_the_harness),
        cmocka_unit_test(test_a_repeated_event_is_a_violation_whatever_the_rates),
        cmocka_unit_test(test_events_after_the_terminal_event),
        cmocka_unit_test(test_agent_failed_needs_a_fact),
        cmocka_unit_test(test_already_authenticated_and_1006_need_facts),
        cmocka_unit_test(test_a_response_to_another_request),
        cmocka_unit_test(test_a_second_connection_ready),
        cmocka_unit_test(test_injected_faults_get_the_protocols_answer),
        cmocka_unit_test(test_a_silent_client_is_closed_at_the_auth_timeout),
        cmocka_unit_test(test_bad_input_gets_the_tables_answer),
        cmocka_unit_test(test_event_fields_and_request_shapes),
        cmocka_unit_test(test_every_bad_token_kind_is_refused),
        cmocka_unit_test(test_messages_after_close),
        cmocka_unit_test(test_gauges_are_sampled_during_the_run),
        cmocka_unit_test(test_request_modes),
        cmocka_unit_test(test_faults_not_fired_says_why),
        cmocka_unit_test(test_liveness_after_faults_end),
        cmocka_unit_test(test_a_subset_keeps_each_clients_story),
        cmocka_unit_test(test_a_check_without_its_evidence_fails_the_run),
        cmocka_unit_test(test_latency_thresholds_are_expectations),
        cmocka_unit_test(test_bug_scenario_passes_when_caught),
        cmocka_unit_test(test_the_accept_race_line_is_logged),
        cmocka_unit_test(test_the_judges_own_table),
        cmocka_unit_test(test_the_judge_sees_what_counters_do_not),
        cmocka_unit_test(test_signatures_and_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
