/* gp_vclient.c: the virtual client's script and per-client checks; see
 * gp_vclient.h.  One function per thing that can happen to a client.
 *
 * The rule throughout: what the protocol promises is checked exactly, and an
 * anomaly passes only when a fact the driver recorded explains it (a copy of
 * that message the network delivered twice, a reset of this connection, an
 * agent failure the server injected into this request).  The scenario's
 * configured rates never excuse anything. */
#include "gp_vclient.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gp_agent.h"
#include "gp_codec.h"
#include "gp_error.h"
#include "gp_profile.h"

enum { PH_NEW = 0, PH_OPENING, PH_OPEN, PH_READY, PH_OVER };

#define EARLY_ID "early-1"

/* A message from the server, read as goldpath.v1 or as the profile says. */
enum { VM_OTHER = 0, VM_READY, VM_EVENT, VM_ERROR, VM_PONG };
typedef struct vmsg {
    int kind;
    int step;             /* VM_EVENT: its index in the run's events */
    bool has_counter;     /* a repeated event's number, when the profile names one */
    int64_t counter;
    int code;             /* VM_ERROR: gp_proto_error (GP_PROTO_ERROR_COUNT: unknown) */
    const char *request_id, *connection_id, *user_id, *state, *response;
    const char *agent_type, *tool; /* goldpath.v1 only */
} vmsg;

static int probe_close(int kind);

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
static const char *const failure_names[] = {
    "none", "ready_timeout", "request_timeout", "unexpected_close", "unexpected_error",
    "auth_refused", "bad_token_accepted", "unparseable", "connect_failed", "run_timeout",
    "not_timed_out", "upgrade_refused", "bad_input_misanswered"};
_Static_assert(sizeof(failure_names) / sizeof(failure_names[0]) == GP_VC_FAIL_COUNT,
               "a name per failure");
_Static_assert(GP_CHECK_COUNT <= 32, "violations is a 32-bit mask");

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
    return o < GP_VC_OUTCOME_COUNT ? names[o] : "unknown";
}

const char *gp_vc_failure_text(gp_vc_failure f)
{
    return f < GP_VC_FAIL_COUNT ? failure_texts[f] : "unknown";
}

const char *gp_vc_failure_name(gp_vc_failure f)
{
    return f < GP_VC_FAIL_COUNT ? failure_names[f] : "unknown";
}

const char *gp_vclient_phase_name(const gp_vclient *c)
{
    switch (c->phase) {
    case PH_NEW:
    case PH_OPENING:
        return "connecting";
    case PH_OPEN:
        return "authenticating";
    case PH_READY:
        return c->requests_sent > c->requests_done ? "processing" : "ready";
    default:
        return "over";
    }
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

static uint64_t start_time(const gp_scenario *sc, gp_rng *rng)
{
    uint64_t w = sc->clients.window_ms;
    switch (sc->clients.arrival) {
    case GP_ARRIVAL_ALL_AT_ONCE:
        return 0;
    case GP_ARRIVAL_UNIFORM:
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

void gp_vclient_init(gp_vclient *c, const gp_scenario *sc, uint32_t index, uint32_t seed_index)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    c->seed_index = seed_index;
    gp_rng_seed(&c->rng, gp_rng_derive(sc->seed, seed_index));
    gp_vc_plan *p = &c->plan;
    /* Every draw is made whatever the rates, in a fixed order, so that
     * changing one rate does not reshuffle the other choices. */
    p->start_ms = start_time(sc, &c->rng);
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
    /* Drawn last, so that adding it leaves every earlier draw as it was.  A
     * client that never authenticates does nothing else. */
    p->no_auth = gp_rng_unit(&c->rng) < sc->faults.no_auth;
    if (p->no_auth) {
        p->bad_token = -1;
        p->disconnect = -1;
        p->early_message = p->accept_race = p->header_auth = false;
    }
    /* faults end at faults.until_ms: a client that starts later has none
     * (its draws are made all the same) */
    if (sc->faults.until_ms && p->start_ms >= sc->faults.until_ms) {
        p->bad_token = p->disconnect = -1;
        p->early_message = p->accept_race = p->slow_accept = p->no_auth = false;
    }
    /* A client that authenticates with a bad token by message sends a request
     * right behind it, as a pipelining client would: the answer to a bad
     * token is AUTH_FAILED and close 4401, nothing for the request. */
    p->after_auth = p->bad_token >= 0 && !p->header_auth && !p->early_message;
    /* drawn after everything else: a client with a bad token, no auth or an
     * early request has no bad input (one with an accept race may: its first
     * messages, and one right behind the auth, are held until accept) */
    p->bad_input = (int8_t)pick(&c->rng, sc->faults.bad_input, GP_BAD_INPUT_COUNT);
    if (p->bad_token >= 0 || p->no_auth || p->early_message ||
        (sc->faults.until_ms && p->start_ms >= sc->faults.until_ms))
        p->bad_input = -1;
    if (p->bad_input == GP_BAD_INPUT_EARLY_GARBAGE || p->bad_input == GP_BAD_INPUT_EARLY_PING ||
        p->bad_input == GP_BAD_INPUT_PIPELINED)
        p->header_auth = false; /* these ride on the first message */
    /* drawn after that: a good token at a rule's edge, for a client that
     * authenticates with a good one */
    p->edge_token = (int8_t)pick(&c->rng, sc->faults.edge_token, GP_EDGE_TOKEN_COUNT);
    if (p->bad_token >= 0 || p->no_auth ||
        (sc->faults.until_ms && p->start_ms >= sc->faults.until_ms))
        p->edge_token = -1;
}

bool gp_vclient_expects_completion(const gp_vclient *c)
{
    /* a connection the driver's network reset cannot complete: the fault
     * was injected, and the fact is on record */
    return c->plan.bad_token < 0 && c->plan.disconnect < 0 && !c->plan.no_auth &&
           !c->facts.reset && !(c->plan.bad_input >= 0 && probe_close(c->plan.bad_input));
}

/* Texts cut as snprintf cuts them (at cap - 1 bytes, always terminated),
 * built without snprintf: the user names, request texts and ids below are
 * made several times per golden path, and snprintf's format interpreter was
 * a few percent of a simulation's CPU. */
typedef struct vc_text {
    char *out;
    size_t cap, len; /* cap > 0 */
} vc_text;

static vc_text text_start(char *out, size_t cap)
{
    out[0] = '\0';
    return (vc_text){out, cap, 0};
}

static void text_put(vc_text *t, const char *s, size_t n)
{
    size_t room = t->cap - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->out + t->len, s, n);
    t->len += n;
    t->out[t->len] = '\0';
}

static void text_str(vc_text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

/* v in decimal, as "%u" / "%d" of a non-negative value write it */
static void text_uint(vc_text *t, uint64_t v)
{
    char digits[24];
    size_t i = sizeof(digits);
    do
        digits[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    text_put(t, digits + i, sizeof(digits) - i);
}

void gp_vclient_user(const gp_vclient *c, const gp_scenario *sc, char *out,
                     size_t out_len)
{
    uint32_t n = sc->clients.user_pool ? c->seed_index % sc->clients.user_pool : c->seed_index;
    vc_text t = text_start(out, out_len);
    text_str(&t, "user_");
    text_uint(&t, n);
    size_t want = c->plan.edge_token == GP_EDGE_TOKEN_LONGEST_SUB ? GP_VC_SUB_MAX
                  : c->plan.bad_token == GP_BAD_TOKEN_SUB_TOO_LONG ? GP_VC_SUB_MAX + 1
                                                                    : 0;
    size_t len = strlen(out);
    if (want && len < want && want < out_len) { /* "user_<n>_" and a filler */
        out[len++] = '_';
        for (; len < want; len++)
            out[len] = (char)('a' + (len * 7 + n) % 26);
        out[len] = '\0';
    }
}

void gp_vclient_request_message(const gp_vclient *c, int k, char *out, size_t out_len)
{
    if (k < 0)
        snprintf(out, out_len, "Early question from user %u", c->seed_index);
    else { /* "Summarise topic <k+1> for user <seed_index>" */
        vc_text t = text_start(out, out_len);
        text_str(&t, "Summarise topic ");
        text_uint(&t, (uint64_t)k + 1);
        text_str(&t, " for user ");
        text_uint(&t, c->seed_index);
    }
}

/* Signs a payload under the given header; cut > 0 drops that many characters
 * from the end (cut = SIZE_MAX: the whole signature, keeping its dot;
 * SIZE_MAX - 1: the signature and its dot). */
static int sign_cut(const gp_jwt_key *key, const char *header, const char *payload,
                    size_t cut, char *out, size_t out_len)
{
    int rc = gp_jwt_sign_raw(key, header, payload, out, out_len);
    if (rc != GP_OK || cut == 0)
        return rc;
    char *dot = strrchr(out, '.');
    size_t len = strlen(out);
    if (!dot)
        return GP_ERR_INVALID_ARG;
    if (cut == SIZE_MAX)
        dot[1] = '\0';
    else if (cut == SIZE_MAX - 1)
        dot[0] = '\0';
    else if (cut < (size_t)(out + len - dot - 1))
        out[len - cut] = '\0';
    return GP_OK;
}

int gp_vclient_token(const gp_vc_shared *sh, const gp_vclient *c, char *out,
                     size_t out_len)
{
    if (sh->profile) {
        char user[GP_VC_USER_MAX];
        gp_vclient_user(c, sh->sc, user, sizeof(user));
        int64_t now_s = sh->epoch_s + (int64_t)(sh->io.now_ms(sh->io.ctx) / 1000);
        int kind = c->plan.bad_token >= 0    ? c->plan.bad_token
                   : c->plan.edge_token >= 0 ? GP_PROFILE_EDGE_TOKEN(c->plan.edge_token)
                                             : -1;
        return gp_profile_token(sh->profile, sh->keys, kind, user, c->index, now_s,
                                out, out_len);
    }
    static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char user[GP_VC_USER_MAX], payload[384];
    gp_vclient_user(c, sh->sc, user, sizeof(user));
    int64_t now_s = sh->epoch_s + (int64_t)(sh->io.now_ms(sh->io.ctx) / 1000);
    switch (c->plan.bad_token) {
    case GP_BAD_TOKEN_SIGNATURE:
        return gp_jwt_sign(sh->wrong_key, user, now_s, now_s + 3600, out, out_len);
    case GP_BAD_TOKEN_EXPIRED:
        return gp_jwt_sign(sh->key, user, now_s - 7200, now_s - 3600, out, out_len);
    case GP_BAD_TOKEN_EXPIRES_NOW: /* this second is at or after exp: expired (the
                                      server's clock is never behind ours) */
        return gp_jwt_sign(sh->key, user, now_s - 3600, now_s, out, out_len);
    case GP_BAD_TOKEN_ALG_NONE:
    case GP_BAD_TOKEN_NO_SIGNATURE:
    case GP_BAD_TOKEN_TRUNCATED:
    case GP_BAD_TOKEN_ALG_OTHER:
    case GP_BAD_TOKEN_BAD_SUB:
    case GP_BAD_TOKEN_NOT_YET_VALID:
    case GP_BAD_TOKEN_MALFORMED:
    case GP_BAD_TOKEN_SUB_TOO_LONG:
        break; /* made by hand below */
    default: /* a good token: the common case, signed without a payload text of our own */
        if (c->plan.edge_token != GP_EDGE_TOKEN_NBF_NOW)
            return gp_jwt_sign(sh->key, user, now_s, now_s + 3600, out, out_len);
        /* valid from this second: the server's clock is never behind ours */
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld}",
                 user, (long long)now_s, (long long)now_s, (long long)(now_s + 3600));
        return sign_cut(sh->key, hs256, payload, 0, out, out_len);
    }
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld}", user,
             (long long)now_s, (long long)(now_s + 3600));
    switch (c->plan.bad_token) {
    case GP_BAD_TOKEN_ALG_NONE: /* an unsecured JWT has an empty signature */
        return sign_cut(sh->key, "{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, SIZE_MAX,
                        out, out_len);
    case GP_BAD_TOKEN_NO_SIGNATURE:
        return sign_cut(sh->key, hs256, payload, SIZE_MAX, out, out_len);
    case GP_BAD_TOKEN_TRUNCATED:
        return sign_cut(sh->key, hs256, payload, 4, out, out_len);
    case GP_BAD_TOKEN_ALG_OTHER: /* a MAC made with the right key, as HS256 */
        return sign_cut(sh->key, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, 0, out,
                        out_len);
    case GP_BAD_TOKEN_BAD_SUB:
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s/x y\",\"exp\":%lld}", user,
                 (long long)(now_s + 3600));
        return sign_cut(sh->key, hs256, payload, 0, out, out_len);
    case GP_BAD_TOKEN_NOT_YET_VALID:
        snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"nbf\":%lld,\"exp\":%lld}",
                 user, (long long)(now_s + 3600), (long long)(now_s + 7200));
        return sign_cut(sh->key, hs256, payload, 0, out, out_len);
    case GP_BAD_TOKEN_SUB_TOO_LONG: /* user is 129 characters: the payload above */
        return sign_cut(sh->key, hs256, payload, 0, out, out_len);
    default: /* GP_BAD_TOKEN_MALFORMED: two parts, not three */
        return sign_cut(sh->key, hs256, payload, SIZE_MAX - 1, out, out_len);
    }
}

static uint64_t now(const gp_vc_shared *sh)
{
    return sh->io.now_ms(sh->io.ctx);
}

static void violation(gp_vclient *c, gp_check k)
{
    c->violations |= 1u << k;
}

static void send_msg(const gp_vc_shared *sh, gp_vclient *c, const gp_msg *m, unsigned tag)
{
    char buf[8192]; /* a long message of clients.varied_requests is at most 4 KiB */
    size_t len = 0;
    if (gp_msg_encode_with(sh->enc, m, buf, sizeof(buf), &len) == GP_OK)
        sh->io.send(sh->io.ctx, c, buf, len, tag);
}

static void end(const gp_vc_shared *sh, gp_vclient *c, gp_vc_outcome outcome,
                gp_vc_failure failure, int close_code)
{
    assert(outcome != GP_VC_PENDING && outcome < GP_VC_OUTCOME_COUNT);
    assert((outcome == GP_VC_FAILED) == (failure != GP_VC_FAIL_NONE));
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
    violation(c, GP_CHECK_CLIENT_FAILURES);
    end(sh, c, GP_VC_FAILED, f, GP_CLOSE_NORMAL);
}

static void disconnect(const gp_vc_shared *sh, gp_vclient *c)
{
    end(sh, c, GP_VC_DISCONNECTED, GP_VC_FAIL_NONE, GP_CLOSE_GOING_AWAY);
}

void gp_vclient_start(const gp_vc_shared *sh, gp_vclient *c)
{
    assert(c->phase == PH_NEW && c->outcome == GP_VC_PENDING);
    c->phase = PH_OPENING;
    c->t_start = now(sh);
    sh->io.timer(sh->io.ctx, c, sh->sc->limits.ready_timeout_ms,
                 GP_VC_TIMER_READY_TIMEOUT, 0);
    if (c->plan.disconnect == GP_PHASE_CONNECTING)
        disconnect(sh, c);
}

/* The id of request k: "r-<k+1>" in goldpath.v1; with a profile "c<client>-r<k+1>",
 * unique across clients, so that an event routed to the wrong connection is
 * seen for what it is even when the server's events carry no connection id. */
static void request_id(const gp_vc_shared *sh, const gp_vclient *c, int k, char *out, size_t n)
{
    if (sh->profile)
        snprintf(out, n, "c%u-r%d", c->index, k + 1);
    else { /* "r-<k+1>" */
        vc_text t = text_start(out, n);
        text_str(&t, "r-");
        text_uint(&t, (uint64_t)k + 1);
    }
}

/* faults.bad_input.at_size_limit: the first request's message, padded so
 * that the whole frame is exactly server.max_message_bytes (malloc'd; NULL
 * when the frame cannot be that size). */
static char *at_limit_message(const gp_vc_shared *sh, const gp_vclient *c)
{
    char base[96];
    gp_vclient_request_message(c, 0, base, sizeof(base));
    gp_msg m = {.type = GP_MSG_AGENT_EXECUTION, .request_id = "r-1", .message = base,
                .agent_type = "supervisor"};
    char frame[512];
    size_t len = 0;
    size_t limit = sh->sc->server.max_message_bytes;
    if (gp_msg_encode(&m, frame, sizeof(frame), &len) != GP_OK || len >= limit)
        return NULL;
    size_t n = strlen(base) + (limit - len); /* filler needs no escaping */
    char *msg = malloc(n + 1);
    if (!msg)
        return NULL;
    memcpy(msg, base, strlen(base));
    for (size_t i = strlen(base); i < n; i++)
        msg[i] = (char)('a' + (i * 7 + c->seed_index) % 26);
    msg[n] = '\0';
    return msg;
}

static bool at_limit(const gp_vclient *c, int k)
{
    return k == 0 && c->plan.bad_input == GP_BAD_INPUT_AT_LIMIT;
}

/* ---- clients.varied_requests: the shape of each request ---------------------- */

static const char *const agent_types[] = {"researcher", "coder", "planner", "data_analyst"};

/* The longest message a varied request carries, and room for it. */
#define LONG_MESSAGE_MAX 4096
#define REQUEST_TEXT_CAP (LONG_MESSAGE_MAX + 1)

/* The shape of request k, from a draw of its own (the seed, the client's
 * index in the scenario and k): the client's stream is left as it was.
 * goldpath.v1 only; a profile's requests are its template's. */
static gp_vc_shape shape_of(const gp_vc_shared *sh, const gp_vclient *c, int k, uint64_t *draw)
{
    const gp_scenario *sc = sh->sc;
    uint64_t h = gp_rng_derive(sc->seed ^ 0x7368617065ULL, (uint64_t)c->seed_index * 64 +
                                                                (uint64_t)(k + 1));
    if (draw)
        *draw = h;
    if (k < 0 || sh->profile || sc->clients.varied_requests <= 0.0 || at_limit(c, k) ||
        (double)(h >> 11) * 0x1p-53 >= sc->clients.varied_requests)
        return GP_VC_SHAPE_PLAIN;
    gp_vc_shape s = (gp_vc_shape)(1 + (h >> 3) % (GP_VC_SHAPE_COUNT - 1));
    /* a duplicated request without an id runs under another id the client
     * cannot tell from its own: not with network duplicates */
    if (s == GP_VC_SHAPE_NO_ID && sc->network.duplicate_rate > 0.0)
        s = GP_VC_SHAPE_AGENT;
    if (s == GP_VC_SHAPE_LONG && sc->server.max_message_bytes < 1400)
        s = GP_VC_SHAPE_NO_AGENT; /* no room for a long message */
    return s;
}

gp_vc_shape gp_vclient_request_shape(const gp_vc_shared *sh, const gp_vclient *c, int k)
{
    return shape_of(sh, c, k, NULL);
}

/* The agent_type request k asks for; the server's default when it names none. */
static const char *agent_of(const gp_vc_shared *sh, const gp_vclient *c, int k)
{
    uint64_t h;
    if (shape_of(sh, c, k, &h) != GP_VC_SHAPE_AGENT)
        return "supervisor";
    return agent_types[(h >> 32) % (sizeof(agent_types) / sizeof(agent_types[0]))];
}

/* Request k's message (out_len >= REQUEST_TEXT_CAP): the short text, and for
 * a long one a filler up to 1025..4096 bytes (within the size limit). */
static void request_text(const gp_vc_shared *sh, const gp_vclient *c, int k, char *out,
                         size_t out_len)
{
    gp_vclient_request_message(c, k, out, out_len);
    uint64_t h;
    if (shape_of(sh, c, k, &h) != GP_VC_SHAPE_LONG)
        return;
    size_t want = 1025 + (size_t)((h >> 20) % (LONG_MESSAGE_MAX - 1024));
    size_t room = sh->sc->server.max_message_bytes - 256; /* the frame's other fields */
    if (want > room)
        want = room;
    if (want > out_len - 1)
        want = out_len - 1;
    size_t len = strlen(out);
    if (len < want)
        out[len++] = ' ';
    for (; len < want; len++) /* words of letters: no escaping, any byte may be the cut */
        out[len] = len % 8 == 0 ? ' ' : (char)('a' + (len * 11 + c->seed_index) % 26);
    out[len] = '\0';
}

/* FNV-1a of a text, never 0 (0: none). */
static uint32_t text_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h ? h : 1;
}

static void send_request(const gp_vc_shared *sh, gp_vclient *c, int k)
{
    if (at_limit(c, k) && !sh->profile) { /* one frame of exactly the limit */
        char *msg = at_limit_message(sh, c);
        gp_msg m = {.type = GP_MSG_AGENT_EXECUTION, .request_id = "r-1", .message = msg,
                    .agent_type = "supervisor"};
        size_t cap = sh->sc->server.max_message_bytes + 64, len = 0;
        char *buf = msg ? malloc(cap) : NULL;
        if (buf && gp_msg_encode(&m, buf, cap, &len) == GP_OK) {
            c->probe_sent = 1;
            sh->io.send(sh->io.ctx, c, buf, len, GP_VC_TAG_REQUEST);
        }
        free(buf);
        free(msg);
        return;
    }
    char message[REQUEST_TEXT_CAP], rid[32];
    request_text(sh, c, k, message, sizeof(message));
    if (k >= 0)
        request_id(sh, c, k, rid, sizeof(rid));
    unsigned tag = k < 0 ? GP_VC_TAG_EARLY : GP_VC_TAG_REQUEST + (unsigned)k;
    if (sh->profile) {
        char buf[4096], user[GP_VC_USER_MAX];
        size_t len = 0;
        gp_vclient_user(c, sh->sc, user, sizeof(user));
        if (gp_profile_request(sh->profile, k < 0 ? EARLY_ID : rid, message, user, c->index, k,
                               buf, sizeof(buf), &len) == GP_OK)
            sh->io.send(sh->io.ctx, c, buf, len, tag);
        return;
    }
    gp_vc_shape shape = shape_of(sh, c, k, NULL);
    gp_msg m = {.type = GP_MSG_AGENT_EXECUTION,
                .request_id = k < 0 ? EARLY_ID : shape == GP_VC_SHAPE_NO_ID ? NULL : rid,
                .message = message,
                .agent_type = shape == GP_VC_SHAPE_NO_AGENT ? NULL : agent_of(sh, c, k)};
    send_msg(sh, c, &m, tag);
}

/* ---- faults.bad_input: the protocol's bad-input table ------------------------- */

#define PIPE_ID "pipe-1"

/* The close code a bad input must end in, 0: it leaves the connection open. */
static int probe_close(int kind)
{
    switch (kind) {
    case GP_BAD_INPUT_EARLY_PING:
        return GP_CLOSE_AUTH_FAILED;
    case GP_BAD_INPUT_BINARY:
        return GP_CLOSE_UNSUPPORTED;
    case GP_BAD_INPUT_OVERSIZE:
        return GP_CLOSE_TOO_BIG;
    default:
        return 0;
    }
}

static void send_text(const gp_vc_shared *sh, gp_vclient *c, const char *text)
{
    sh->io.send(sh->io.ctx, c, text, strlen(text), GP_VC_TAG_PROBE);
}

/* Sends the planned bad input (the ones that are not a request). */
static void send_probe(const gp_vc_shared *sh, gp_vclient *c)
{
    int kind = c->plan.bad_input;
    if (kind < 0 || sh->profile || kind == GP_BAD_INPUT_AT_LIMIT)
        return;
    if (kind == GP_BAD_INPUT_BINARY && !sh->io.send_binary) {
        c->plan.bad_input = -1; /* the driver sends no binary frames: no fault */
        return;
    }
    c->probe_sent = 1;
    switch (kind) {
    case GP_BAD_INPUT_NOT_JSON:
    case GP_BAD_INPUT_EARLY_GARBAGE:
        send_text(sh, c, "this is not JSON {");
        break;
    case GP_BAD_INPUT_UNKNOWN_TYPE:
        send_text(sh, c, "{\"type\":\"bogus_type\",\"data\":{}}");
        break;
    case GP_BAD_INPUT_WRONG_FIELD:
        send_text(sh, c, "{\"type\":\"agent_execution\",\"data\":{\"message\":42}}");
        break;
    case GP_BAD_INPUT_PING:
    case GP_BAD_INPUT_EARLY_PING:
        send_text(sh, c, "{\"type\":\"ping\",\"data\":{}}");
        break;
    case GP_BAD_INPUT_SECOND_AUTH:
    case GP_BAD_INPUT_SECOND_BAD_AUTH: {
        char token[1024], user[GP_VC_USER_MAX];
        gp_vclient_user(c, sh->sc, user, sizeof(user));
        int64_t now_s = sh->epoch_s + (int64_t)(sh->io.now_ms(sh->io.ctx) / 1000);
        const gp_jwt_key *key = kind == GP_BAD_INPUT_SECOND_AUTH ? sh->key : sh->wrong_key;
        if (gp_jwt_sign(key, user, now_s, now_s + 3600, token, sizeof(token)) != GP_OK)
            return;
        gp_msg m = {.type = GP_MSG_AUTH, .token = token};
        send_msg(sh, c, &m, GP_VC_TAG_PROBE);
        break;
    }
    case GP_BAD_INPUT_BINARY:
        sh->io.send_binary(sh->io.ctx, c, "\x01\x02\x03", 3);
        break;
    case GP_BAD_INPUT_OVERSIZE: { /* one byte over the limit, a well-formed ping */
        size_t n = sh->sc->server.max_message_bytes + 1;
        char *buf = malloc(n + 1);
        if (!buf)
            return;
        static const char head[] = "{\"type\":\"ping\",\"data\":{\"pad\":\"";
        static const char tail[] = "\"}}";
        size_t h = sizeof(head) - 1, t = sizeof(tail) - 1;
        if (n < h + t) {
            free(buf);
            return;
        }
        memcpy(buf, head, h);
        memset(buf + h, 'x', n - h - t);
        memcpy(buf + n - t, tail, t);
        buf[n] = '\0';
        sh->io.send(sh->io.ctx, c, buf, n, GP_VC_TAG_PROBE);
        free(buf);
        break;
    }
    case GP_BAD_INPUT_PIPELINED: {
        char message[96];
        snprintf(message, sizeof(message), "Pipelined question from user %u", c->seed_index);
        gp_msg m = {.type = GP_MSG_AGENT_EXECUTION, .request_id = PIPE_ID, .message = message,
                    .agent_type = "supervisor"};
        send_msg(sh, c, &m, GP_VC_TAG_PROBE);
        break;
    }
    default:
        break;
    }
}

/* A bad input went out that leaves the connection open, unanswered yet. */
static bool probe_pending(const gp_vclient *c)
{
    return c->plan.bad_input >= 0 && c->probe_sent && !probe_close(c->plan.bad_input) &&
           c->probe_answers == 0;
}

/* An answer to the bad input: one is expected, a second only when the
 * network duplicated the probe. */
static void probe_answered(const gp_vc_shared *sh, gp_vclient *c)
{
    if (c->probe_answers++ > c->facts.dup_to_server[GP_VC_TAG_PROBE])
        violation(c, GP_CHECK_DUPLICATE_EVENTS);
    /* the last answer the client waited for */
    if (c->probe_answers == 1 && c->phase == PH_READY &&
        c->requests_done == sh->sc->clients.requests)
        end(sh, c, GP_VC_COMPLETED, GP_VC_FAIL_NONE, GP_CLOSE_NORMAL);
}

/* The auth message (the profile's, or goldpath.v1's). */
static void send_auth(const gp_vc_shared *sh, gp_vclient *c, const char *token)
{
    if (sh->profile) {
        char buf[4096];
        size_t len = 0;
        if (gp_profile_auth_message(sh->profile, token, buf, sizeof(buf), &len) == GP_OK)
            sh->io.send(sh->io.ctx, c, buf, len, GP_VC_TAG_AUTH);
        return;
    }
    gp_msg m = {.type = GP_MSG_AUTH, .token = token};
    send_msg(sh, c, &m, GP_VC_TAG_AUTH);
}

/* The events of a run: goldpath.v1's five, or the profile's sequence. */
static int n_steps(const gp_vc_shared *sh)
{
    return sh->profile ? sh->profile->n_steps : GP_AGENT_STEPS;
}

static bool step_repeats(const gp_vc_shared *sh, int step)
{
    return sh->profile && sh->profile->steps[step].repeat;
}

static bool step_optional(const gp_vc_shared *sh, int step)
{
    return sh->profile && sh->profile->steps[step].min == 0;
}

/* True when the token goes in the first message (goldpath.v1: unless the
 * client uses the header). */
static bool auth_by_message(const gp_vc_shared *sh, const gp_vclient *c)
{
    if (sh->profile)
        return sh->profile->auth_by[GP_AUTH_MESSAGE] && !c->plan.header_auth;
    return !c->plan.header_auth;
}

void gp_vclient_on_open(const gp_vc_shared *sh, gp_vclient *c,
                        const char *opened_id)
{
    if (c->phase != PH_OPENING)
        return;
    c->phase = PH_OPEN;
    c->t_open = now(sh);
    vc_text t = text_start(c->opened_id, sizeof(c->opened_id));
    text_str(&t, opened_id ? opened_id : "");
    if (sh->profile && sh->profile->refusal_http &&
        (c->plan.bad_token >= 0 || c->plan.no_auth)) {
        /* the server was to refuse the upgrade, and let the socket open */
        violation(c, GP_CHECK_FAULT_ANSWERS);
        fail(sh, c, GP_VC_FAIL_BAD_TOKEN_ACCEPTED);
        return;
    }
    if (c->plan.no_auth) {
        /* nothing to send: the server must close with 4408 at its auth
         * timeout (from its accept, a little before this client's open) */
        uint32_t t = sh->sc->server.auth_timeout_ms;
        sh->io.timer(sh->io.ctx, c, (uint64_t)t + (t / 4 > 1000 ? t / 4 : 1000),
                     GP_VC_TIMER_AUTH_DEADLINE, 0);
        return;
    }
    sh->io.timer(sh->io.ctx, c, (uint64_t)sh->sc->server.stuck_after_ms + 1,
                 GP_VC_TIMER_STUCK, 0);
    if (sh->profile && sh->profile->ping_ms)
        sh->io.timer(sh->io.ctx, c, sh->profile->ping_ms, GP_VC_TIMER_KEEPALIVE, 0);
    bool early_held = c->plan.early_message && sh->profile && sh->profile->early_held;
    if (c->plan.early_message && !early_held)
        send_request(sh, c, -1);
    if (c->plan.bad_input == GP_BAD_INPUT_EARLY_GARBAGE ||
        c->plan.bad_input == GP_BAD_INPUT_EARLY_PING)
        send_probe(sh, c);
    if (auth_by_message(sh, c)) {
        char token[4096];
        if (gp_vclient_token(sh, c, token, sizeof(token)) != GP_OK) {
            fail(sh, c, GP_VC_FAIL_CONNECT_FAILED);
            return;
        }
        send_auth(sh, c, token);
        if (c->plan.after_auth)
            send_request(sh, c, -1);
        if (c->plan.bad_input == GP_BAD_INPUT_PIPELINED)
            send_probe(sh, c);
    }
    if (early_held) /* the first request goes out now; the server holds it until ready */
        gp_vclient_on_timer(sh, c, GP_VC_TIMER_SEND_REQUEST, 0);
    if (c->plan.disconnect == GP_PHASE_AUTHENTICATING)
        disconnect(sh, c);
}

static void schedule_request(const gp_vc_shared *sh, gp_vclient *c)
{
    const gp_range_ms *gap = &sh->sc->clients.request_gap;
    uint64_t delay = gp_rng_range(&c->rng, gap->min_ms, gap->max_ms);
    sh->io.timer(sh->io.ctx, c, delay, GP_VC_TIMER_SEND_REQUEST, c->requests_sent);
}

static void on_ready(const gp_vc_shared *sh, gp_vclient *c, const vmsg *m)
{
    if (c->t_ready) {
        /* network copies never get here: this one the server sent twice */
        violation(c, GP_CHECK_DUPLICATE_READY);
        return;
    }
    if (c->phase != PH_OPEN) {
        fail(sh, c, GP_VC_FAIL_UNEXPECTED_ERROR);
        return;
    }
    char user[GP_VC_USER_MAX];
    gp_vclient_user(c, sh->sc, user, sizeof(user));
    const char *want_state = sh->profile ? sh->profile->ready_state_value : "PROCESSING_READY";
    if (m->user_id && strcmp(m->user_id, user) != 0)
        violation(c, GP_CHECK_ISOLATION);
    if (want_state[0] && (!m->state || strcmp(m->state, want_state) != 0))
        violation(c, GP_CHECK_FALSE_READY);
    if (c->opened_id[0] && m->connection_id && strcmp(m->connection_id, c->opened_id) != 0)
        violation(c, GP_CHECK_ID_MISMATCHES);
    vc_text t = text_start(c->ready_id, sizeof(c->ready_id));
    text_str(&t, m->connection_id ? m->connection_id : "");
    c->phase = PH_READY;
    c->t_ready = now(sh);
    if (c->plan.bad_token >= 0) {
        violation(c, GP_CHECK_FAULT_ANSWERS);
        fail(sh, c, GP_VC_FAIL_BAD_TOKEN_ACCEPTED);
        return;
    }
    if (c->plan.disconnect == GP_PHASE_READY) {
        disconnect(sh, c);
        return;
    }
    switch (c->plan.bad_input) { /* the bad inputs that come once ready */
    case GP_BAD_INPUT_NOT_JSON:
    case GP_BAD_INPUT_UNKNOWN_TYPE:
    case GP_BAD_INPUT_WRONG_FIELD:
    case GP_BAD_INPUT_PING:
    case GP_BAD_INPUT_SECOND_AUTH:
    case GP_BAD_INPUT_SECOND_BAD_AUTH:
    case GP_BAD_INPUT_BINARY:
    case GP_BAD_INPUT_OVERSIZE:
        send_probe(sh, c);
        if (c->phase == PH_OVER || probe_close(c->plan.bad_input))
            return; /* a probe that must close the connection: no request after it */
        break;
    default:
        break;
    }
    /* a held early request is out already: the next follows as the mode says */
    if (c->requests_sent == 0 ||
        (sh->sc->clients.request_mode == GP_REQUEST_PIPELINED &&
         c->requests_sent < sh->sc->clients.requests && c->requests_sent == 1 &&
         c->plan.early_message && sh->profile && sh->profile->early_held))
        schedule_request(sh, c);
}

/* Request index of a request_id this client sent: k for "r-<k+1>" (or
 * "c<index>-r<k+1>" with a profile), -1 for the early request, -2 for
 * anything else (another client's request too). */
static int request_index(const gp_vclient *c, const char *rid)
{
    unsigned k = 0;
    int used = 0;
    if (!rid)
        return -2;
    if ((c->plan.early_message || c->plan.after_auth) && strcmp(rid, EARLY_ID) == 0)
        return -1;
    unsigned who = c->index;
    bool own = false;
    if (rid[0] == 'r' && rid[1] == '-') {
        /* "r-" and 1 to 9 plain digits, the common case, read here as sscanf
         * would read it (sscanf was 1% of a simulation's CPU); anything
         * else is left to sscanf */
        int i = 2;
        unsigned v = 0;
        while (i < 11 && rid[i] >= '0' && rid[i] <= '9')
            v = v * 10 + (unsigned)(rid[i++] - '0');
        if (i > 2 && rid[i] == '\0') {
            own = true;
            k = v;
            used = i;
        }
    }
    if (!own)
        own = rid[0] == 'c' ? sscanf(rid, "c%u-r%u%n", &who, &k, &used) == 2
                            : sscanf(rid, "r-%u%n", &k, &used) == 1;
    if (!own || rid[used] != '\0' || who != c->index || k == 0 || k > c->requests_sent)
        return -2;
    return (int)k - 1;
}

/* request_index, and the requests sent without request_id: the first id
 * the client does not know, in an event or an error, names the oldest of
 * them not named yet (the server gives each its own id, docs/protocol.md). */
static int own_request(const gp_vc_shared *sh, gp_vclient *c, const char *rid)
{
    int k = request_index(c, rid);
    if (k != -2 || !rid || sh->profile || sh->sc->clients.varied_requests <= 0.0)
        return k;
    uint32_t h = text_hash(rid);
    int unnamed = -2;
    for (int j = 0; j < c->requests_sent && j < GP_REQUESTS_PER_CLIENT_MAX; j++) {
        if (shape_of(sh, c, j, NULL) != GP_VC_SHAPE_NO_ID)
            continue;
        if (c->req[j].rid == h)
            return j;
        if (unnamed == -2 && c->req[j].rid == 0)
            unnamed = j;
    }
    if (unnamed >= 0)
        c->req[unnamed].rid = h;
    return unnamed;
}

/* True when one more duplicate of request k reaching the server is on
 * record than has been accounted for; accounts for it. */
static bool take_duplicate(gp_vclient *c, unsigned tag, uint8_t *used)
{
    if (c->facts.dup_to_server[tag] <= *used)
        return false;
    (*used)++;
    return true;
}

static void request_answered(const gp_vc_shared *sh, gp_vclient *c, int k)
{
    uint64_t t = now(sh);
    if (k >= 0 && k < GP_REQUESTS_PER_CLIENT_MAX)
        c->req[k].t_end = (uint32_t)(t ? t : 1);
    c->requests_done++;
    assert(c->requests_done <= c->requests_sent);
    assert(c->requests_sent <= sh->sc->clients.requests);
    if (c->requests_done == sh->sc->clients.requests) {
        if (!probe_pending(c)) /* else its answer ends it (probe_answered) */
            end(sh, c, GP_VC_COMPLETED, GP_VC_FAIL_NONE, GP_CLOSE_NORMAL);
    } else if (sh->sc->clients.request_mode == GP_REQUEST_SEQUENTIAL &&
             c->requests_done == c->requests_sent && c->phase == PH_READY)
        schedule_request(sh, c);
}

static void latency(const gp_vc_shared *sh, int kind, uint64_t from, uint64_t to)
{
    if (sh->io.latency && from && to >= from)
        sh->io.latency(sh->io.ctx, kind, to - from);
}

/* The response must answer this request's message: the reference agent ends
 * it with the message's digest (docs/protocol.md). */
static void check_response(const gp_vc_shared *sh, gp_vclient *c, int k, const char *response)
{
    char message[REQUEST_TEXT_CAP];
    request_text(sh, c, k, message, sizeof(message));
    if (at_limit(c, k) && !sh->profile) { /* the long message it answers */
        char *msg = at_limit_message(sh, c);
        char digest[GP_AGENT_DIGEST_TEXT_LEN];
        if (msg) {
            gp_agent_digest_text(msg, digest, sizeof(digest));
            if (!response || !strstr(response, digest))
                violation(c, GP_CHECK_RESPONSE_MISMATCH);
        }
        free(msg);
        c->probe_answers++;
        return;
    }
    if (sh->profile) { /* the profile says what an answer looks like */
        const gp_profile *p = sh->profile;
        if (!p->response[0])
            return;
        char rid[32], user[GP_VC_USER_MAX];
        request_id(sh, c, k, rid, sizeof(rid));
        gp_vclient_user(c, sh->sc, user, sizeof(user));
        if (!response || strlen(response) < p->response_min)
            violation(c, GP_CHECK_SHORT_RESPONSE);
        if (!gp_profile_response_ok(p, response, message, rid, user))
            violation(c, GP_CHECK_RESPONSE_MISMATCH);
        return;
    }
    if (!response || strlen(response) < 10)
        violation(c, GP_CHECK_SHORT_RESPONSE);
    char digest[GP_AGENT_DIGEST_TEXT_LEN];
    gp_agent_digest_text(message, digest, sizeof(digest));
    if (!response || !strstr(response, digest))
        violation(c, GP_CHECK_RESPONSE_MISMATCH);
}

/* An event of request k after its terminal event: a run the server made for
 * a duplicate of the request is explained (once per duplicate), anything else
 * is a violation. */
static void event_after_end(const gp_vc_shared *sh, gp_vclient *c, int k, int step)
{
    gp_vc_req *r = &c->req[k];
    if (r->echo == 0 && step == 0 &&
        take_duplicate(c, GP_VC_TAG_REQUEST + (unsigned)k, &r->dup_used)) {
        r->echo = 1;
        return;
    }
    if (r->echo && step == r->echo) {
        r->echo = step == n_steps(sh) - 1 ? 0 : (uint8_t)(step + 1);
        return;
    }
    if (r->echo && step == r->echo - 1 && step_repeats(sh, step))
        return; /* the duplicate's run streams too */
    violation(c, GP_CHECK_EVENTS_AFTER_TERMINAL);
}

/* An event's fields against its request (goldpath.v1): agent_started names
 * the agent_type asked for (supervisor when none was), tool_completed the
 * tool its tool_executing named.  A contradiction is an answer to another
 * request than this one (response_mismatch). */
static void check_fields(const gp_vc_shared *sh, gp_vclient *c, int k, const vmsg *m, int step)
{
    gp_vc_req *r = &c->req[k];
    switch (step) {
    case 0: /* agent_started */
        if (!m->agent_type || strcmp(m->agent_type, agent_of(sh, c, k)) != 0)
            violation(c, GP_CHECK_RESPONSE_MISMATCH);
        break;
    case 2: /* tool_executing */
        r->tool = m->tool ? text_hash(m->tool) : 0;
        break;
    case 3: /* tool_completed */
        if (r->tool && (!m->tool || text_hash(m->tool) != r->tool))
            violation(c, GP_CHECK_RESPONSE_MISMATCH);
        break;
    default:
        break;
    }
}

static void on_event(const gp_vc_shared *sh, gp_vclient *c, const vmsg *m, int step)
{
    if (c->plan.bad_input == GP_BAD_INPUT_PIPELINED && m->request_id &&
        strcmp(m->request_id, PIPE_ID) == 0 && !sh->profile) {
        /* the request behind the auth was run: its five events, in order */
        if (step != c->pipe_next)
            violation(c, step < c->pipe_next ? GP_CHECK_DUPLICATE_EVENTS
                                             : GP_CHECK_EVENTS_OUT_OF_ORDER);
        c->pipe_next = (uint8_t)(step + 1);
        if (step == n_steps(sh) - 1)
            probe_answered(sh, c);
        return;
    }
    int k = own_request(sh, c, m->request_id);
    if (k == -1) {
        /* the early request must be refused, never run */
        violation(c, GP_CHECK_FAULT_ANSWERS);
        return;
    }
    if (k < 0 || c->phase != PH_READY ||
        (m->connection_id && c->ready_id[0] && strcmp(m->connection_id, c->ready_id) != 0)) {
        violation(c, GP_CHECK_ISOLATION);
        return;
    }
    gp_vc_req *r = &c->req[k];
    if (r->end != GP_VC_REQ_OPEN) {
        event_after_end(sh, c, k, step);
        return;
    }
    if (step == r->last && step_repeats(sh, step)) {
        /* one more of a streamed event; a number that does not rise is the
         * same event again */
        if (m->has_counter && r->counted && m->counter <= r->counter)
            violation(c, GP_CHECK_DUPLICATE_EVENTS);
        if (m->has_counter) {
            r->counted = true;
            r->counter = m->counter;
        }
        return;
    }
    if (step < r->next) {
        violation(c, GP_CHECK_DUPLICATE_EVENTS);
        return;
    }
    for (int s = r->next; s < step; s++)
        if (!step_optional(sh, s)) { /* an event that must come was skipped */
            violation(c, GP_CHECK_EVENTS_OUT_OF_ORDER);
            break;
        }
    if (!sh->profile) /* goldpath.v1's fields that must agree with the request */
        check_fields(sh, c, k, m, step);
    if (r->next == 0)
        latency(sh, GP_LATX_FIRST_EVENT, r->t_sent, now(sh));
    r->next = (uint8_t)(step + 1);
    r->last = (int8_t)step;
    r->counted = m->has_counter;
    r->counter = m->counter;
    assert(r->next <= n_steps(sh));
    if (!c->t_first_event)
        c->t_first_event = now(sh);
    if (step == n_steps(sh) - 1) {
        check_response(sh, c, k, m->response);
        r->end = GP_VC_REQ_COMPLETED;
        latency(sh, GP_LATX_COMPLETED, r->t_sent, now(sh));
        request_answered(sh, c, k);
        return;
    }
    if (c->plan.disconnect == GP_PHASE_PROCESSING)
        disconnect(sh, c);
}

/* AGENT_FAILED for request k: the answer to a request the server failed on
 * purpose (the fact may only be learnt after the run, live: it is settled in
 * gp_vclient_finish). */
static void on_agent_failed(const gp_vc_shared *sh, gp_vclient *c, int k)
{
    gp_vc_req *r = &c->req[k];
    if (r->end != GP_VC_REQ_OPEN) {
        if (r->echo) /* a duplicate's run, accounted for, ends in a failure */
            r->echo = 0;
        else if (!take_duplicate(c, GP_VC_TAG_REQUEST + (unsigned)k, &r->dup_used))
            violation(c, GP_CHECK_EVENTS_AFTER_TERMINAL);
        return;
    }
    r->end = GP_VC_REQ_FAILED;
    c->requests_failed++;
    if (!(c->facts.agent_failed & (1u << k)))
        c->failed_unexplained |= 1u << k;
    latency(sh, GP_LATX_COMPLETED, r->t_sent, now(sh));
    request_answered(sh, c, k);
}

/* NOT_READY: the answer to the early request, once (or once more per copy
 * of it the network duplicated). */
static bool on_not_ready(gp_vclient *c, int k)
{
    if (k != -1)
        return false;
    if (c->early_answers == 0) {
        c->early_answers = 1;
        return true;
    }
    uint8_t used = (uint8_t)(c->early_answers - 1);
    if (take_duplicate(c, GP_VC_TAG_EARLY, &used))
        c->early_answers++;
    else
        violation(c, GP_CHECK_DUPLICATE_EVENTS);
    return true;
}

static void on_error(const gp_vc_shared *sh, gp_vclient *c, const vmsg *m)
{
    gp_proto_error code = (gp_proto_error)m->code;
    int k = own_request(sh, c, m->request_id);
    if (k == -1 && c->plan.after_auth) {
        /* the request behind a bad token: the connection is closing */
        violation(c, GP_CHECK_FAULT_ANSWERS);
        return;
    }
    int bi = c->plan.bad_input;
    bool no_request = !m->request_id;
    if (bi >= 0 && c->probe_sent && !sh->profile) {
        bool pipe = m->request_id && strcmp(m->request_id, PIPE_ID) == 0;
        if ((code == GP_PROTO_BAD_MESSAGE && no_request &&
             (bi == GP_BAD_INPUT_NOT_JSON || bi == GP_BAD_INPUT_UNKNOWN_TYPE ||
              bi == GP_BAD_INPUT_WRONG_FIELD || bi == GP_BAD_INPUT_EARLY_GARBAGE)) ||
            (code == GP_PROTO_AUTH_REQUIRED && bi == GP_BAD_INPUT_EARLY_PING) ||
            (code == GP_PROTO_ALREADY_AUTHENTICATED &&
             (bi == GP_BAD_INPUT_SECOND_AUTH || bi == GP_BAD_INPUT_SECOND_BAD_AUTH)) ||
            (code == GP_PROTO_NOT_READY && pipe && bi == GP_BAD_INPUT_PIPELINED)) {
            probe_answered(sh, c);
            return;
        }
        if (pipe) { /* the pipelined request answered with another error */
            violation(c, GP_CHECK_FAULT_ANSWERS);
            return;
        }
    }
    switch (code) {
    case GP_PROTO_NOT_READY:
        if (on_not_ready(c, k))
            return;
        break;
    case GP_PROTO_AUTH_FAILED:
        if (c->plan.bad_token >= 0) {
            if (c->auth_failed_seen++)
                violation(c, GP_CHECK_DUPLICATE_EVENTS);
            return; /* the close that follows settles the outcome */
        }
        fail(sh, c, GP_VC_FAIL_AUTH_REFUSED);
        return;
    case GP_PROTO_ALREADY_AUTHENTICATED:
        if (take_duplicate(c, GP_VC_TAG_AUTH, &c->dup_auth_used))
            return; /* the network delivered our auth twice */
        break;
    case GP_PROTO_BAD_MESSAGE:
    case GP_PROTO_TOO_MANY_REQUESTS:
        /* a duplicate of request k refused while the original is in flight */
        if (k >= 0 && take_duplicate(c, GP_VC_TAG_REQUEST + (unsigned)k, &c->req[k].dup_used))
            return;
        if (k == -1) {
            violation(c, GP_CHECK_FAULT_ANSWERS); /* early requests get NOT_READY */
            return;
        }
        break;
    case GP_PROTO_AGENT_FAILED:
        if (k >= 0) {
            on_agent_failed(sh, c, k);
            return;
        }
        if (k == -1) {
            violation(c, GP_CHECK_FAULT_ANSWERS);
            return;
        }
        break;
    default:
        break;
    }
    fail(sh, c, GP_VC_FAIL_UNEXPECTED_ERROR);
}

int gp_vclient_on_message(const gp_vc_shared *sh, gp_vclient *c,
                          const char *data, size_t len, unsigned flags)
{
    if (flags & GP_VC_DELIVERY_DUPLICATE) {
        c->duplicates_seen++; /* a copy of a message already delivered */
        return GP_MSG_NONE;
    }
    if (c->phase == PH_OVER)
        return GP_MSG_NONE;
    vmsg v = {.kind = VM_OTHER, .code = GP_PROTO_ERROR_COUNT};
    int type = GP_MSG_NONE;
    gp_msg m;
    gp_pin pin;
    bool native = !sh->profile;
    if (native) {
        if (gp_msg_parse(data, len, GP_SIDE_CLIENT, &m, NULL, 0) != GP_OK) {
            fail(sh, c, GP_VC_FAIL_UNPARSEABLE);
            return GP_MSG_NONE;
        }
        type = m.type;
        int step = gp_agent_step_of(m.type);
        v = (vmsg){.kind = step >= 0 ? VM_EVENT
                           : m.type == GP_MSG_CONNECTION_READY ? VM_READY
                           : m.type == GP_MSG_ERROR ? VM_ERROR
                           : m.type == GP_MSG_PONG ? VM_PONG : VM_OTHER,
                   .step = step, .code = m.type == GP_MSG_ERROR ? (int)gp_proto_error_parse(m.code)
                                                                : GP_PROTO_ERROR_COUNT,
                   .request_id = m.request_id, .connection_id = m.connection_id,
                   .user_id = m.user_id, .state = m.state, .response = m.response,
                   .agent_type = m.agent_type, .tool = m.tool};
    } else {
        if (gp_profile_read(sh->profile, data, len, &pin) != GP_OK) {
            fail(sh, c, GP_VC_FAIL_UNPARSEABLE);
            return GP_MSG_NONE;
        }
        v = (vmsg){.kind = pin.kind, .step = pin.step, .code = pin.code,
                   .has_counter = pin.has_counter, .counter = pin.counter,
                   .request_id = pin.request_id, .connection_id = pin.connection_id,
                   .user_id = pin.user_id, .state = pin.state, .response = pin.response};
        _Static_assert((int)GP_PIN_READY == (int)VM_READY && (int)GP_PIN_EVENT == (int)VM_EVENT &&
                           (int)GP_PIN_ERROR == (int)VM_ERROR && (int)GP_PIN_PONG == (int)VM_PONG,
                       "the profile's kinds are the client's");
        type = v.kind == VM_READY ? GP_MSG_CONNECTION_READY
               : v.kind == VM_ERROR ? GP_MSG_ERROR
               : v.kind == VM_EVENT ? GP_MSG_AGENT_STARTED : GP_MSG_NONE;
    }
    switch (v.kind) {
    case VM_EVENT:
        on_event(sh, c, &v, v.step);
        break;
    case VM_READY:
        on_ready(sh, c, &v);
        break;
    case VM_ERROR:
        on_error(sh, c, &v);
        break;
    case VM_PONG: /* goldpath.v1's client pings only as faults.bad_input.ping */
        if (native && c->plan.bad_input == GP_BAD_INPUT_PING && c->probe_sent)
            probe_answered(sh, c);
        else if (native)
            fail(sh, c, GP_VC_FAIL_UNEXPECTED_ERROR);
        break;
    default: /* a message of no kind the client knows: set aside */
        break;
    }
    if (native)
        gp_msg_clear(&m);
    else
        gp_pin_clear(&pin);
    return type;
}

void gp_vclient_on_close(const gp_vc_shared *sh, gp_vclient *c, int code)
{
    c->close_code = (int16_t)code;
    if (c->outcome != GP_VC_PENDING)
        return;
    c->phase = PH_OVER;
    if (code == GP_CLOSE_ABNORMAL && c->facts.reset) {
        /* the network cut it: whatever the server's answer was, it is lost */
        end(sh, c, GP_VC_RESET, GP_VC_FAIL_NONE, 0);
        return;
    }
    int want_close = c->plan.bad_input >= 0 && c->probe_sent ? probe_close(c->plan.bad_input) : 0;
    if (want_close) {
        /* the bad input's answer is this close (AUTH_REQUIRED before it, for
         * a ping before auth) */
        bool ok = code == want_close &&
                  (c->plan.bad_input != GP_BAD_INPUT_EARLY_PING || c->probe_answers);
        if (!ok)
            violation(c, GP_CHECK_FAULT_ANSWERS);
        end(sh, c, ok ? GP_VC_REFUSED : GP_VC_FAILED,
            ok ? GP_VC_FAIL_NONE : GP_VC_FAIL_BAD_INPUT_MISANSWERED, 0);
        if (!ok)
            violation(c, GP_CHECK_CLIENT_FAILURES);
        return;
    }
    if (c->plan.no_auth && c->t_open && auth_by_message(sh, c)) {
        /* 4408, and not early: the server's timer starts when the socket
         * reaches it, after this client began connecting, so the close
         * cannot come sooner than the timeout after that (a tenth of slack
         * for a live server's timer); the deadline timer judges lateness */
        uint32_t t = sh->sc->server.auth_timeout_ms;
        int want = sh->profile ? sh->profile->timeout_close : GP_CLOSE_AUTH_TIMEOUT;
        if (code != want || now(sh) - c->t_start < t - t / 10)
            violation(c, GP_CHECK_FAULT_ANSWERS);
        if (code == want) {
            end(sh, c, GP_VC_REFUSED, GP_VC_FAIL_NONE, 0);
            return;
        }
    }
    bool refused_at_upgrade = sh->profile && sh->profile->refusal_http;
    if ((c->plan.bad_token >= 0 || (c->plan.no_auth && !auth_by_message(sh, c))) &&
        !refused_at_upgrade) {
        /* AUTH_FAILED, then 4401 (or the profile's refusal): anything else is
         * the wrong answer */
        int want = sh->profile ? sh->profile->refusal_close : GP_CLOSE_AUTH_FAILED;
        bool error_wanted = !sh->profile || sh->profile->refusal_error >= 0;
        if (code != want || (error_wanted && c->auth_failed_seen == 0 && c->plan.bad_token >= 0))
            violation(c, GP_CHECK_FAULT_ANSWERS);
        if (code == want) {
            end(sh, c, GP_VC_REFUSED, GP_VC_FAIL_NONE, 0);
            return;
        }
    }
    violation(c, GP_CHECK_CLIENT_FAILURES);
    end(sh, c, GP_VC_FAILED, GP_VC_FAIL_UNEXPECTED_CLOSE, 0);
}

void gp_vclient_on_refused(const gp_vc_shared *sh, gp_vclient *c, int status)
{
    if (c->outcome != GP_VC_PENDING)
        return;
    c->close_code = (int16_t)-status;
    c->phase = PH_OVER;
    bool expected_refusal = c->plan.bad_token >= 0 || (c->plan.no_auth && !auth_by_message(sh, c));
    int want = sh->profile ? sh->profile->refusal_http : 0;
    if (expected_refusal && want && status == want) {
        end(sh, c, GP_VC_REFUSED, GP_VC_FAIL_NONE, 0);
        return;
    }
    if (expected_refusal)
        violation(c, GP_CHECK_FAULT_ANSWERS);
    violation(c, GP_CHECK_CLIENT_FAILURES);
    /* a good token refused at the upgrade: most likely another secret */
    end(sh, c, GP_VC_FAILED,
        !expected_refusal && (status == 401 || status == 403) ? GP_VC_FAIL_AUTH_REFUSED
                                                              : GP_VC_FAIL_UPGRADE_REFUSED,
        0);
}

void gp_vclient_on_timer(const gp_vc_shared *sh, gp_vclient *c,
                         gp_vc_timer kind, uint32_t arg)
{
    if (c->phase == PH_OVER)
        return;
    switch (kind) {
    case GP_VC_TIMER_READY_TIMEOUT:
        if (c->phase != PH_READY && !(c->plan.no_auth && c->phase == PH_OPEN))
            fail(sh, c, GP_VC_FAIL_READY_TIMEOUT);
        break;
    case GP_VC_TIMER_STUCK:
        /* open, not ready, past the threshold: stuck, unless the network
         * held this client's messages back (retransmissions on record) */
        if (c->phase == PH_OPEN && c->facts.drops == 0 && !c->facts.reset)
            violation(c, GP_CHECK_STUCK_CONNECTIONS);
        break;
    case GP_VC_TIMER_SEND_REQUEST: {
        bool held_first = arg == 0 && c->phase == PH_OPEN && c->plan.early_message &&
                          sh->profile && sh->profile->early_held;
        if ((c->phase != PH_READY && !held_first) || arg != c->requests_sent ||
            arg >= GP_REQUESTS_PER_CLIENT_MAX)
            break;
        c->requests_sent++;
        uint64_t t = now(sh);
        c->req[arg].t_sent = (uint32_t)(t ? t : 1);
        c->req[arg].last = -1;
        if (!c->t_request0)
            c->t_request0 = t;
        send_request(sh, c, (int)arg);
        /* pipelined: the next request a gap after this one went out, without
         * waiting for answers, so the events of several requests
         * interleave; sequential: a gap after this one is answered */
        if (c->requests_sent < sh->sc->clients.requests &&
            sh->sc->clients.request_mode == GP_REQUEST_PIPELINED)
            schedule_request(sh, c);
        sh->io.timer(sh->io.ctx, c, sh->sc->limits.request_timeout_ms,
                     GP_VC_TIMER_REQUEST_TIMEOUT, arg);
        break;
    }
    case GP_VC_TIMER_KEEPALIVE:
        if (sh->profile && sh->profile->ping_ms && (c->phase == PH_OPEN || c->phase == PH_READY)) {
            char buf[1024];
            size_t len = 0;
            if (gp_profile_ping(sh->profile, buf, sizeof(buf), &len) == GP_OK)
                sh->io.send(sh->io.ctx, c, buf, len, GP_VC_TAG_PING);
            sh->io.timer(sh->io.ctx, c, sh->profile->ping_ms, GP_VC_TIMER_KEEPALIVE, 0);
        }
        break;
    case GP_VC_TIMER_AUTH_DEADLINE:
        /* still open well past the auth timeout without authenticating */
        violation(c, GP_CHECK_FAULT_ANSWERS);
        fail(sh, c, GP_VC_FAIL_NOT_TIMED_OUT);
        break;
    case GP_VC_TIMER_REQUEST_TIMEOUT:
        if (arg < GP_REQUESTS_PER_CLIENT_MAX && c->req[arg].end == GP_VC_REQ_OPEN)
            fail(sh, c, GP_VC_FAIL_REQUEST_TIMEOUT);
        break;
    }
}

void gp_vclient_finish(const gp_vc_shared *sh, gp_vclient *c)
{
    if (c->outcome == GP_VC_PENDING) {
        violation(c, GP_CHECK_CLIENT_FAILURES);
        c->outcome = GP_VC_FAILED;
        c->failure = GP_VC_FAIL_RUN_TIMEOUT;
        c->phase = PH_OVER;
    }
    if (gp_vclient_expects_completion(c) && c->requests_done < sh->sc->clients.requests)
        violation(c, GP_CHECK_MISSING_AGENT_EVENTS);
    /* NOT_READY goes out before connection_ready (the early request travels
     * ahead of the auth): a client that got ready must have had it */
    if (c->plan.early_message && c->t_ready && c->early_answers == 0 &&
        !(sh->profile && sh->profile->early_held))
        violation(c, GP_CHECK_FAULT_ANSWERS);
    /* every bad input sent got its answer (a closing one, its close: on_close) */
    if (c->plan.bad_input >= 0 && c->probe_sent && !c->facts.reset &&
        !probe_close(c->plan.bad_input) && c->probe_answers == 0 &&
        c->outcome != GP_VC_DISCONNECTED)
        violation(c, GP_CHECK_FAULT_ANSWERS);
    /* facts learnt after the run (live: from the server's log) */
    c->failed_unexplained &= ~c->facts.agent_failed;
    if (c->failed_unexplained)
        violation(c, GP_CHECK_CLIENT_FAILURES);
    if (c->opened_id[0] && c->ready_id[0] && strcmp(c->opened_id, c->ready_id) != 0)
        violation(c, GP_CHECK_ID_MISMATCHES);
}
