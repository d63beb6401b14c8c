/* test_oom.c: the core's out-of-memory paths, swept in the manner of
 * SQLite's test_malloc.c: an allocator that succeeds N times and then fails
 * (once, or for good), for every N from 0 until a run needs no failure at
 * all, over the golden path and the bad-input table of PROTOCOL.md.  Every
 * allocation the core makes through the environment's allocator goes
 * through it.  jansson's allocations are counted too (a json_t the core
 * forgets to release is a leak like any other) but never failed: jansson
 * 2.14 does not always report its own allocation failures -- a failed
 * string buffer growth silently drops a character of the parsed string, a
 * failed key copy drops the key (this sweep found it) -- so no caller can
 * tell them from good input.  For each N: no crash (sanitizers on), no leak
 * (every block handed back once the server is destroyed), and a clean
 * outcome for every client: either its
 * story is whole (the golden path completed, the bad input answered as the
 * protocol says), or the server refused the socket with GP_ERR_NOMEM, or it
 * closed the connection with 1011 -- never a hang, never a wrong answer such
 * as BAD_MESSAGE for a well-formed message it merely could not parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fake_env.h"
#include "gp_codec.h"
#include "gp_error.h"
#include "gp_jwt.h"
#include "gp_server.h"

/* The failing allocator.  jansson's hooks take no context pointer, so its
 * state is this file's one global (tests only). */
typedef union header {
    size_t size;
    max_align_t align;
} header;

static struct {
    long left;       /* successes before failing; < 0: never fail */
    bool persistent; /* after the first failure, fail every time */
    bool failing;
    uint64_t live, failures, calls;
} oom;

static void *counted_malloc(size_t size, bool may_fail)
{
    oom.calls++;
    if (may_fail && (oom.failing || oom.left == 0)) {
        oom.failing = oom.persistent;
        oom.left = -1;
        oom.failures++;
        return NULL;
    }
    if (may_fail && oom.left > 0)
        oom.left--;
    header *h = malloc(sizeof(*h) + size);
    if (!h)
        return NULL;
    h->size = size;
    oom.live++;
    return h + 1;
}

static void *json_malloc(size_t size)
{
    return counted_malloc(size, false);
}

static void *oom_malloc(size_t size)
{
    return counted_malloc(size, true);
}

static void oom_free(void *p)
{
    if (!p)
        return;
    oom.live--;
    free((header *)p - 1);
}

static void *a_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return oom_malloc(size);
}

static void *a_resize(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (!ptr)
        return oom_malloc(size);
    void *fresh = oom_malloc(size);
    if (!fresh)
        return NULL;
    size_t old = ((header *)ptr - 1)->size;
    memcpy(fresh, ptr, old < size ? old : size);
    oom_free(ptr);
    return fresh;
}

static void a_release(void *ctx, void *ptr)
{
    (void)ctx;
    oom_free(ptr);
}

static const gp_allocator failing_allocator = {NULL, a_alloc, a_resize, a_release};

/* ---- the script: clients, each a transport -------------------------------------- */

#define T0 1757498281000ULL

enum client_kind {
    C_GOLDEN_MESSAGE, /* auth by message, one request */
    C_GOLDEN_HEADER,  /* Authorization header, two requests */
    C_NOT_JSON,       /* garbage, then the golden path */
    C_EARLY,          /* agent_execution before auth: NOT_READY */
    C_SECOND_AUTH,    /* ALREADY_AUTHENTICATED */
    C_PING_FIRST,     /* AUTH_REQUIRED, 4401 */
    C_BAD_TOKEN,      /* AUTH_FAILED, 4401 */
    C_BINARY,         /* 1003 */
    C_TOO_BIG,        /* 1009 */
    C_COUNT
};

/* The clients' tokens, signed once before the sweep (signing is not what is
 * swept). */
static char tokens[C_COUNT][1024];

typedef struct script {
    fake_env *fe;
    gp_server *srv;
    gp_conn_handle h[C_COUNT];
    bool open[C_COUNT], refused[C_COUNT];
} script;

static void *transport(int k)
{
    return (void *)(uintptr_t)(0x1000 + k);
}

static void msg(script *s, int k, const char *text)
{
    if (s->open[k])
        gp_server_on_message(s->srv, s->h[k], text, strlen(text), false);
}

/* Closes, as the driver would, every connection the core asked to close. */
static void reap(script *s)
{
    for (int k = 0; k < C_COUNT; k++)
        if (s->open[k] && fake_env_close_code(s->fe, transport(k))) {
            gp_server_on_close(s->srv, s->h[k]);
            s->open[k] = false;
        }
}

static void sign_tokens(void)
{
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    gp_jwt_key *key = gp_jwt_key_create(cfg.jwt_secret, cfg.jwt_secret_len);
    assert_non_null(key);
    int64_t now_s = (int64_t)(T0 / 1000);
    for (int k = 0; k < C_COUNT; k++) {
        char user[16];
        snprintf(user, sizeof(user), "user_%d", k);
        int64_t iat = k == C_BAD_TOKEN ? now_s - 7200 : now_s;
        assert_int_equal(gp_jwt_sign(key, user, iat, iat + 3600, tokens[k], sizeof(tokens[k])),
                         GP_OK);
    }
    gp_jwt_key_destroy(key);
}

static void run_script(script *s)
{
    for (int k = 0; k < C_COUNT; k++) {
        int rc = gp_server_on_open(s->srv, transport(k),
                                   k == C_GOLDEN_HEADER ? tokens[k] : NULL, &s->h[k]);
        if (rc != GP_OK) {
            assert_int_equal(rc, GP_ERR_NOMEM); /* refused, cleanly */
            s->refused[k] = true;
            continue;
        }
        s->open[k] = true;
        if (k == C_EARLY)
            msg(s, k, "{\"type\":\"agent_execution\",\"request_id\":\"e\",\"data\":{\"message\":\"m\"}}");
        if (k == C_PING_FIRST)
            msg(s, k, "{\"type\":\"ping\",\"data\":{}}");
        gp_server_on_accept_complete(s->srv, s->h[k]);
        char auth[sizeof(tokens[0]) + 64];
        snprintf(auth, sizeof(auth), "{\"type\":\"auth\",\"data\":{\"token\":\"%.1000s\"}}", tokens[k]);
        if (k == C_NOT_JSON)
            msg(s, k, "this is not json");
        if (k == C_BINARY && s->open[k])
            gp_server_on_message(s->srv, s->h[k], "\x01\x02", 2, true);
        if (k == C_TOO_BIG && s->open[k]) {
            static char big[70000];
            memset(big, 'x', sizeof(big));
            gp_server_on_message(s->srv, s->h[k], big, sizeof(big), false);
        }
        if (k != C_GOLDEN_HEADER)
            msg(s, k, auth);
        if (k == C_SECOND_AUTH)
            msg(s, k, auth);
        msg(s, k, "{\"type\":\"agent_execution\",\"request_id\":\"r-1\",\"data\":{\"message\":\"hello there\"}}");
        if (k == C_GOLDEN_HEADER)
            msg(s, k, "{\"type\":\"agent_execution\",\"data\":{\"message\":\"second one\"}}");
        reap(s);
    }
    fake_env_advance(s->fe, s->srv, 1000);
    reap(s);
}

/* Whether the client's story is whole: its last message, and what it got. */
static bool got(const script *s, int k, const char *needle)
{
    size_t n = fake_env_sent_count(s->fe, transport(k));
    for (size_t i = 0; i < n; i++)
        if (strstr(fake_env_sent_to(s->fe, transport(k), i), needle))
            return true;
    return false;
}

static void dump(const script *s, int k)
{
    for (size_t i = 0; i < fake_env_sent_count(s->fe, transport(k)); i++)
        print_message("client %d got %s\n", k, fake_env_sent_to(s->fe, transport(k), i));
    for (size_t i = 0; i < s->fe->logs_len; i++)
        if (s->fe->logs[i].level >= GP_LOG_WARNING)
            print_message("log %s\n", s->fe->logs[i].line);
}

static void judge_client(const script *s, int k)
{
    if (getenv("GP_OOM_DUMP")) /* what each client got, when debugging the sweep */
        dump(s, k);
    if (s->refused[k])
        return;
    int code = fake_env_close_code(s->fe, transport(k));
    if (code == GP_CLOSE_INTERNAL)
        return; /* the server ran out of memory and said so by closing */
    /* a request it could not start it answered with INTERNAL_ERROR: clean */
    bool refused_request = got(s, k, "\"INTERNAL_ERROR\",\"message\":\"out of memory\"");
    /* never a wrong answer to a well-formed message */
    if (k != C_NOT_JSON)
        assert_false(got(s, k, "\"BAD_MESSAGE\""));
    switch (k) {
    case C_GOLDEN_MESSAGE:
    case C_NOT_JSON:
        assert_true(got(s, k, "\"connection_ready\""));
        assert_true(refused_request || got(s, k, "\"agent_completed\""));
        if (k == C_NOT_JSON)
            assert_true(got(s, k, "\"BAD_MESSAGE\""));
        assert_int_equal(code, 0);
        break;
    case C_GOLDEN_HEADER: {
        size_t n = fake_env_sent_count(s->fe, transport(k)), done = 0;
        for (size_t i = 0; i < n; i++)
            done += strstr(fake_env_sent_to(s->fe, transport(k), i), "\"agent_completed\"") != NULL;
        assert_true(done == 2 || (refused_request && done < 2));
        break;
    }
    case C_EARLY:
        assert_true(got(s, k, "\"NOT_READY\""));
        assert_true(refused_request || got(s, k, "\"agent_completed\""));
        break;
    case C_SECOND_AUTH:
        assert_true(got(s, k, "\"ALREADY_AUTHENTICATED\""));
        assert_true(refused_request || got(s, k, "\"agent_completed\""));
        break;
    case C_PING_FIRST:
        assert_true(got(s, k, "\"AUTH_REQUIRED\""));
        assert_int_equal(code, GP_CLOSE_AUTH_FAILED);
        break;
    case C_BAD_TOKEN:
        assert_true(got(s, k, "\"AUTH_FAILED\""));
        assert_int_equal(code, GP_CLOSE_AUTH_FAILED);
        break;
    case C_BINARY:
        assert_int_equal(code, GP_CLOSE_UNSUPPORTED);
        break;
    case C_TOO_BIG:
        assert_int_equal(code, GP_CLOSE_TOO_BIG);
        break;
    }
}

/* One run with the allocator failing after n successes.  Returns true when
 * no allocation failed (the sweep is over). */
static bool run_once(long n, bool persistent)
{
    oom = (typeof(oom)){.left = n, .persistent = persistent};
    fake_env *fe = fake_env_new(T0, 11);
    fe->env.alloc = &failing_allocator;
    fe->env.log_level_min = GP_LOG_DEBUG; /* every line formatted, under failure too */
    gp_server_config cfg;
    gp_server_config_defaults(&cfg);
    int rc = GP_OK;
    gp_server *srv = gp_server_create(&cfg, &fe->env, &rc);
    if (!srv) {
        assert_int_equal(rc, GP_ERR_NOMEM);
    } else {
        script s = {.fe = fe, .srv = srv};
        run_script(&s);
        for (int k = 0; k < C_COUNT; k++)
            judge_client(&s, k);
        /* whatever is still open leaves, and the server is back to nothing */
        for (int k = 0; k < C_COUNT; k++)
            if (s.open[k])
                gp_server_on_close(srv, s.h[k]);
        assert_int_equal(gp_server_connection_count(srv), 0);
        gp_server_destroy(srv);
    }
    fake_env_free(fe);
    assert_int_equal(oom.live, 0); /* no leak, whatever failed */
    return oom.failures == 0;
}

static void sweep(bool persistent)
{
    sign_tokens();
    json_set_alloc_funcs(json_malloc, oom_free);
    long n = 0;
    while (!run_once(n, persistent))
        n++;
    json_set_alloc_funcs(malloc, free);
    /* the script makes some 28 allocations of the core's: each was failed */
    assert_true(n >= 25);
    print_message("swept %ld allocation points (%s failure)\n", n,
                  persistent ? "persistent" : "one-shot");
}

static void test_one_failure_at_every_point(void **state)
{
    (void)state;
    sweep(false);
}

static void test_failing_for_good_from_every_point(void **state)
{
    (void)state;
    sweep(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_failure_at_every_point),
        cmocka_unit_test(test_failing_for_good_from_every_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
