/* gp_vclient.c: the virtual client's script and per-client checks; see
 * gp_vclient.h.  One function per thing that can happen to a client. */
#include "gp_vclient.h"

#include <stdio.h>
#include <string.h>

#include "gp_agent.h"
#include "gp_codec.h"
#include "gp_error.h"

enum { PH_NEW = 0, PH_OPENING, PH_OPEN, PH_READY, PH_OVER };

static const char *const check_names[] = {
#define GP_CHECK_NAME(e, name, what) name,
    GP_CHECK_MAP(GP_CHECK_NAME)
#undef GP_CHECK_NAME
};
static const char *const check_summaries[] = {
#define GP_CHECK_SUM(e, name, what) what,
    GP_CHECK_MAP(GP_CHECK_SUM)
#undef GP_CHECK_SUM
};
static const char *const failure_texts[] = {
#define GP_VC_FAIL_TEXT(e, text) text,
    GP_VC_FAILURE_MAP(GP_VC_FAIL_TEXT)
#undef GP_VC_FAIL_TEXT
};

const char *gp_check_name(gp_check c)
{
    return c < GP_CHECK_COUNT ? check_names[c] : "unknown";
}

const char *gp_check_summary(gp_check c)
{
    return c < GP_CHECK_COUNT ? check_summaries[c] : "unknown";
}

gp_check gp_check_parse(const char *name)
{
    for (int c = 0; c < GP_CHECK_COUNT; c++)
        if (strcmp(check_names[c], name) == 0)
            return (gp_check)c;
    return GP_CHECK_COUNT;
}

const char *gp_vc_outcome_name(gp_vc_outcome o)
{
    static const char *const names[] = {"pending", "completed", "refused",
                                        "disconnected", "reset", "failed"};
    return o <= GP_VC_FAILED ? names[o] : "unknown";
}

const char *gp_vc_failure_text(gp_vc_failure f)
{
    return f < GP_VC_FAIL_COUNT ? failure_texts[f] : "unknown";
}

/* Picks one of n outcomes with the given rates (summing to at most 1), or -1
 * for none.  Draws once. */
static int pick(gp_rng *rng, const double *rates, int n)
{
    double u = gp_rng_unit(rng), acc = 0.0;
    for (int i = 0; i < n; i++) {
        acc += rates[i];
        if (rates[i] > 0.0 && u < acc)
            return i;
    }
    return -1;
}

static uint64_t start_time(const gp_scenario *sc, gp_rng *rng, uint32_t index)
{
    uint64_t w = sc->clients.window_ms;
    switch (sc->clients.arrival) {
    case GP_ARRIVAL_ALL_AT_ONCE:
        return 0;
    case GP_ARRIVAL_UNIFORM:
        (void)index;
        return gp_rng_below(rng, w + 1);
    case GP_ARRIVAL_RAMP: {
        /* density rising linearly: t = w * sqrt(u) */
        double u = gp_rng_unit(rng), lo = 0.0, hi = 1.0;
        for (int i = 0; i < 40; i++) { /* sqrt by bisection: no libm needed */
            double mid = (lo + hi) / 2;
            if (mid * mid < u)
                lo = mid;
            else
                hi = mid;
        }
        return (uint64_t)(lo * (double)w);
    }
    }
    return 0;
}

void gp_vclient_init(gp_vclient *c, const gp_scenario *sc, uint32_t index)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    gp_rng_seed(&c->rng, gp_rng_derive(sc->seed, index));
    gp_vc_plan *p = &c->plan;
    /* Every draw is made whatever the rates, in a fixed order, so that
     * changing one rate does not reshuffle the other choices. */
    p->start_ms = start_time(sc, &c->rng, index);
    p->header_auth = gp_rng_unit(&c->rng) < sc->clients.header_auth_fraction;
    p->bad_token = (int8_t)pick(&c->rng, sc->faults.bad_token, GP_BAD_TOKEN_COUNT);
    p->disconnect = (int8_t)pick(&c->rng, sc->faults.disconnect, GP_PHASE_COUNT);
    p->early_message = gp_rng_unit(&c->rng) < sc->faults.early_message;
    p->accept_race = gp_rng_unit(&c->rng) < sc->faults.accept_race;
    p->slow_accept = gp_rng_unit(&c->rng) < sc->faults.slow_accept;
    p->accept_delay_ms = (uint32_t)gp_rng_range(&c->rng, sc->server.accept_delay.min_ms,
                                                sc->server.accept_delay.max_ms);
    if (p->accept_race && p->slow_accept)
        p->slow_accept = false; /* one accept fault at a time */
    /* Both faults need a first message before authentication: a header
     * authenticates the connection as soon as accept completes. */
    if (p->accept_race || p->early_message)
        p->header_auth = false;
}

bool gp_vclient_expects_completion(const gp_vclient *c)
{
    return c->plan.bad_token < 0 && c->plan.disconnect < 0;
}

void gp_vclient_user(const gp_vclient *c, const gp_scenario *sc, char *out,
                     size_t out_len)
{
    uint32_t n = sc->clients.user_pool ? c->index % sc->clients.user_pool : c->index;
    snprintf(out, out_len, "user_%u", n);
}

int gp_vclient_token(const gp_vc_shared *sh, const gp_vclient *c, char *out,
                     size_t out_len)
{
    char user[32];
    gp_vclient_user(c, sh->sc, user, sizeof(user));
    int64_t now_s = sh->epoch_s + (int64_t)(sh->io.now_ms(sh->io.ctx) / 1000);
    switch (c->plan.bad_token) {
    case GP_BAD_TOKEN_SIGNATURE:
        return gp_jwt_sign(sh->wrong_key, user, now_s, now_s + 3600, out, out_len);
    case GP_BAD_TOKEN_EXPIRED:
        return gp_jwt_sign(sh->key, user, now_s - 7200, now_s - 3600, out, out_len);
    case GP_BAD_TOKEN_ALG_NONE: {
        char payload[128];
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"exp\":%lld}", user,
                 (long long)(now_s + 3600));
        int rc = gp_jwt_sign_raw(sh->key, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
                                 payload, out, out_len);
        if (rc == GP_OK) { /* an unsecured JWT has an empty signature */
            char *dot = strrchr(out, '.');
            if (dot)
                dot[1] = '\0';
        }
        return rc;
    }
    default:
        return gp_jwt_sign(sh->key, user, now_s, now_s + 3600, out, out_len);
    }
}

static uint64_t now(const gp_vc_shared *sh)
{
    return sh->io.now_ms(sh->io.ctx);
}

static void send_msg(const gp_vc_shared *sh, gp_vclient *c, const gp_msg *m)
{
    char buf[2048];
    size_t len = 0;
    if (gp_msg_encode(m, buf, sizeof(buf), &len) == GP_OK)
        sh->io.send(sh->io.ctx, c, buf, len);
}

static void end(const gp_vc_shared *sh, gp_vclient *c, gp_vc_outcome outcome,
                gp_vc_failure failure, int close_code)
{
    if (c->outcome != GP_VC_PENDING)
        return;
    c->outcome = (uint8_t)outcome;
    c->failure = (uint8_t)failure;
    c->t_done = now(sh);
    if (c->phase != PH_OVER && close_code) {
        c->phase = PH_OVER;
        sh->io.close(sh->io.ctx, c, close_code);
    }
    c->phase = PH_OVER;
}

static void fail(const gp_vc_shared *sh, gp_vclient *c, gp_vc_failure f)
{
    c->violations |= 1u << GP_CHECK_CLIENT_FAILURES;
    end(sh, c, GP_VC_FAILED, f, 1000);
}

static void disconnect(const gp_vc_shared *sh, gp_vclient *c)
{
    end(sh, c, GP_VC_DISCONNECTED, GP_VC_FAIL_NONE, 1001);
}

void gp_vclient_start(const gp_vc_shared *sh, gp_vclient *c)
{
    c->phase = PH_OPENING;
    c->t_start = now(sh);
    sh->io.timer(sh->io.ctx, c, sh->sc->limits.ready_timeout_ms,
                 GP_VC_TIMER_READY_TIMEOUT, 0);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        disconnect(sh, c);
}

static void send_request(const gp_vc_shared *sh, gp_vclient *c, unsigned k,
                         const char *rid)
{
    char message[96];
    snprintf(message, sizeof(message),
             "Summarise topic %u for user %u", k + 1, c->index);
    gp_msg m = {.type = GP_MSG_AGENT_EXECUTION, .request_id = rid,
                .message = message, .agent_type = "supervisor"};
    send_msg(sh, c, &m);
}

void gp_vclient_on_open(const gp_vc_shared *sh, gp_vclient *c,
                        const char *opened_id)
{
    if (c->phase != PH_OPENING)
        return;
    c->phase = PH_OPEN;
    c->t_open = now(sh);
    snprintf(c->opened_id, sizeof(c->opened_id), "%s", opened_id ? opened_id : "");
    if (c->plan.early_message)
        send_request(sh, c, 0, "early-1");
    if (!c->plan.header_auth) {
        char token[1024];
        if (gp_vclient_token(sh, c, token, sizeof(token)) != GP_OK) {
            fail(sh, c, GP_VC_FAIL_CONNECT_FAILED);
            return;
        }
        gp_msg m = {.type = GP_MSG_AUTH, .token = token};
        send_msg(sh, c, &m);
    }
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        disconnect(sh, c);
}

static void schedule_request(const gp_vc_shared *sh, gp_vclient *c)
{
    const gp_range_ms *gap = &sh->sc->clients.request_gap;
    uint64_t delay = gp_rng_range(&c->rng, gap->min_ms, gap->max_ms);
    sh->io.timer(sh->io.ctx, c, delay, GP_VC_TIMER_SEND_REQUEST, c->requests_sent);
}

static void on_ready(const gp_vc_shared *sh, gp_vclient *c, const gp_msg *m)
{
    if (c->phase == PH_READY && strcmp(m->connection_id, c->ready_id) == 0) {
        c->duplicates_seen++; /* a duplicated delivery */
        return;
    }
    if (c->phase != PH_OPEN) {
        fail(sh, c, GP_VC_FAIL_UNEXPECTED_ERROR);
        return;
    }
    char user[32];
    gp_vclient_user(c, sh->sc, user, sizeof(user));
    if (strcmp(m->user_id, user) != 0)
        c->violations |= 1u << GP_CHECK_ISOLATION;
    if (strcmp(m->state, "PROCESSING_READY") != 0 ||
        (c->opened_id[0] && strcmp(m->connection_id, c->opened_id) != 0))
        c->violations |= 1u << GP_CHECK_FALSE_READY;
    snprintf(c->ready_id, sizeof(c->ready_id), "%s", m->connection_id);
    c->phase = PH_READY;
    c->t_ready = now(sh);
    if (c->plan.bad_token >= 0) {
        fail(sh, c, GP_VC_FAIL_BAD_TOKEN_ACCEPTED);
        return;
    }
    if (c->plan.disconnect == GP_PHASE_READY) {
        disconnect(sh, c);
        return;
    }
    schedule_request(sh, c);
}

/* Request index of "r-<k>" sent by this client, or -1. */
static int request_index(const gp_vclient *c, const char *rid)
{
    unsigned k = 0;
    int used = 0;
    if (!rid || sscanf(rid, "r-%u%n", &k, &used) != 1 || rid[used] != '\0' ||
        k == 0 || k > c->requests_sent)
        return -1;
    return (int)k - 1;
}

static void request_answered(const gp_vc_shared *sh, gp_vclient *c)
{
    c->requests_done++;
    if (c->requests_done == sh->sc->clients.requests)
        end(sh, c, GP_VC_COMPLETED, GP_VC_FAIL_NONE, 1000);
}

static void on_event(const gp_vc_shared *sh, gp_vclient *c, const gp_msg *m,
                     int step)
{
    int k = request_index(c, m->request_id);
    if (k < 0 || c->phase != PH_READY ||
        strcmp(m->connection_id, c->ready_id) != 0) {
        c->violations |= 1u << GP_CHECK_ISOLATION;
        return;
    }
    if (step < c->next_step[k]) {
        c->duplicates_seen++;
        return;
    }
    if (step > c->next_step[k])
        c->violations |= 1u << GP_CHECK_EVENTS_OUT_OF_ORDER;
    c->next_step[k] = (uint8_t)(step + 1);
    if (!c->t_first_event)
        c->t_first_event = now(sh);
    if (step == GP_AGENT_STEPS - 1) {
        if (strlen(m->response) < 10)
            c->violations |= 1u << GP_CHECK_SHORT_RESPONSE;
        request_answered(sh, c);
        return;
    }
    if (c->plan.disconnect == GP_PHASE_PROCESSING)
        disconnect(sh, c);
}

static void on_error(const gp_vc_shared *sh, gp_vclient *c, const gp_msg *m)
{
    gp_proto_error code = gp_proto_error_parse(m->code);
    const char *rid = m->request_id;
    switch (code) {
    case GP_PROTO_NOT_READY:
        if (c->plan.early_message && rid && strcmp(rid, "early-1") == 0)
            return; /* the expected answer to the early message */
        break;
    case GP_PROTO_AUTH_FAILED:
        if (c->plan.bad_token >= 0)
            return; /* the close that follows settles the outcome */
        break;
    case GP_PROTO_BAD_MESSAGE: /* a duplicated request refused while in flight */
    case GP_PROTO_ALREADY_AUTHENTICATED:
        if (sh->sc->network.duplicate_rate > 0.0) {
            c->duplicates_seen++;
            return;
        }
        break;
    case GP_PROTO_AGENT_FAILED: {
        int k = request_index(c, rid);
        if (k >= 0 && sh->sc->faults.agent_failure > 0.0 &&
            c->next_step[k] < GP_AGENT_STEPS) {
            /* answered, by an error: one past the last step marks how */
            c->next_step[k] = GP_AGENT_STEPS + 1;
            c->requests_failed++;
            request_answered(sh, c);
            return;
        }
        if (k >= 0 && c->next_step[k] == GP_AGENT_STEPS + 1 &&
            sh->sc->network.duplicate_rate > 0.0) {
            c->duplicates_seen++; /* the same error, delivered twice */
            return;
        }
        break;
    }
    default:
        break;
    }
    fail(sh, c, GP_VC_FAIL_UNEXPECTED_ERROR);
}

void gp_vclient_on_message(const gp_vc_shared *sh, gp_vclient *c,
                           const char *data, size_t len)
{
    if (c->phase == PH_OVER)
        return;
    gp_msg m;
    if (gp_msg_parse(data, len, GP_SIDE_CLIENT, &m, NULL, 0) != GP_OK) {
        fail(sh, c, GP_VC_FAIL_UNPARSEABLE);
        return;
    }
    int step = gp_agent_step_of(m.type);
    if (step >= 0)
        on_event(sh, c, &m, step);
    else if (m.type == GP_MSG_CONNECTION_READY)
        on_ready(sh, c, &m);
    else if (m.type == GP_MSG_ERROR)
        on_error(sh, c, &m);
    gp_msg_clear(&m);
}

void gp_vclient_on_close(const gp_vc_shared *sh, gp_vclient *c, int code)
{
    c->close_code = (int16_t)code;
    if (c->outcome != GP_VC_PENDING)
        return;
    c->phase = PH_OVER;
    if (c->plan.bad_token >= 0 && code == 4401)
        end(sh, c, GP_VC_REFUSED, GP_VC_FAIL_NONE, 0);
    else if (code == 1006 && sh->sc->network.drop_rate > 0.0)
        end(sh, c, GP_VC_RESET, GP_VC_FAIL_NONE, 0);
    else {
        c->violations |= 1u << GP_CHECK_CLIENT_FAILURES;
        end(sh, c, GP_VC_FAILED, GP_VC_FAIL_UNEXPECTED_CLOSE, 0);
    }
}

void gp_vclient_on_timer(const gp_vc_shared *sh, gp_vclient *c,
                         gp_vc_timer kind, uint32_t arg)
{
    if (c->phase == PH_OVER)
        return;
    switch (kind) {
    case GP_VC_TIMER_READY_TIMEOUT:
        if (c->phase != PH_READY)
            fail(sh, c, GP_VC_FAIL_READY_TIMEOUT);
        break;
    case GP_VC_TIMER_SEND_REQUEST: {
        if (c->phase != PH_READY || arg != c->requests_sent)
            break;
        char rid[16];
        snprintf(rid, sizeof(rid), "r-%u", arg + 1);
        c->requests_sent++;
        if (!c->t_request0)
            c->t_request0 = now(sh);
        send_request(sh, c, arg, rid);
        /* Requests go out one gap after another without waiting for answers,
         * so the events of several requests interleave. */
        if (c->requests_sent < sh->sc->clients.requests)
            schedule_request(sh, c);
        sh->io.timer(sh->io.ctx, c, sh->sc->limits.request_timeout_ms,
                     GP_VC_TIMER_REQUEST_TIMEOUT, arg);
        break;
    }
    case GP_VC_TIMER_REQUEST_TIMEOUT:
        if (arg < GP_REQUESTS_PER_CLIENT_MAX && c->next_step[arg] < GP_AGENT_STEPS)
            fail(sh, c, GP_VC_FAIL_REQUEST_TIMEOUT);
        break;
    }
}

void gp_vclient_finish(const gp_vc_shared *sh, gp_vclient *c)
{
    if (c->outcome == GP_VC_PENDING) {
        c->violations |= 1u << GP_CHECK_CLIENT_FAILURES;
        c->outcome = GP_VC_FAILED;
        c->failure = GP_VC_FAIL_RUN_TIMEOUT;
        c->phase = PH_OVER;
    }
    if (gp_vclient_expects_completion(c) && c->outcome != GP_VC_RESET &&
        c->requests_done < sh->sc->clients.requests)
        c->violations |= 1u << GP_CHECK_MISSING_AGENT_EVENTS;
}
