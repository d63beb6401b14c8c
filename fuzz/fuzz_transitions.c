/* fuzz_transitions.c: bytes -> a sequence of operations on state machines,
 * the registry and the manager, checked step by step against a model.
 *
 * This file decodes the input (docs/fuzzing.md has the encoding) and runs
 * the operations of fuzz_transitions_ops.c.  The model (fuzz_model.c for the
 * legal steps and id formats, fuzz_transitions.h's structs for the rest) is
 * written from the headers' contracts, not from the core's code.  After
 * every operation: the return code is the one
 * the contract promises, a refused step left the machine byte for byte as it
 * was, the counters add up (attempted = succeeded + failed, per pair too),
 * the registry's count and per-state counts equal the model's live machines,
 * and connect_user called its generator exactly when the contract says.
 * The input's (from, to, outcome) counts go to libFuzzer as extra counters. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_transitions.h"
#include "gp_error.h"
#include "gp_ids.h"

/* ---- environment ---------------------------------------------------------- */

static uint64_t env_now(void *ctx)
{
    return ((world *)ctx)->now;
}

static uint64_t env_random(void *ctx)
{
    world *w = ctx;
    w->last_random = gp_fuzz_u32(&w->in) * 0x9e3779b97f4a7c15ULL;
    return w->last_random;
}

static void env_log(void *ctx, gp_log_level level, const char *line)
{
    world *w = ctx;
    CHECK(level >= w->env.log_level_min, "a line below the level was logged: %s", line);
    w->logs++;
    size_t len = strlen(line);
    if (len >= sizeof(w->last_log))
        len = sizeof(w->last_log) - 1;
    memcpy(w->last_log, line, len);
    w->last_log[len] = '\0';
}

static int spy_generate(void *gen_ctx, char *out, size_t out_len, uint64_t counter,
                        const gp_env *env)
{
    world *w = gen_ctx;
    w->spy.calls++;
    w->spy.last_counter = counter;
    switch (w->spy.mode) {
    case 1:
        return GP_ERR_NOMEM;
    case 2:
        snprintf(out, out_len, "conn_websocket_x");
        return GP_OK;
    case 3:
        memset(out, 'x', out_len);
        return GP_OK;
    default:
        return gp_manager_default_generate(NULL, out, out_len, counter, env);
    }
}

/* ---- picking arguments ---------------------------------------------------- */


/* Appends the decimal digits of v at p; returns the new end (no NUL). */
static char *put_u(char *p, unsigned v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* "ws_<a>_<b>" into buf. */
static const char *make_prelim(char *buf, unsigned a, unsigned b)
{
    char *p = buf;
    memcpy(p, "ws_", 3);
    p = put_u(p + 3, a);
    *p++ = '_';
    p = put_u(p, b);
    *p = '\0';
    return buf;
}

/* An id: well-formed of either kind, one already in use, a generated one,
 * raw bytes, empty, NULL, or too long.  Written into buf (ID_BUF).  (Bytes
 * are read into locals first: the order in which a call's arguments are
 * evaluated is unspecified, and gcc and clang must replay alike.) */
static const char *pick_id(world *w, char *buf)
{
    uint8_t kind = gp_fuzz_u8(&w->in);
    switch (kind % 9) {
    case 0: {
        unsigned a = gp_fuzz_u8(&w->in) % 4;
        return make_prelim(buf, a, gp_fuzz_u8(&w->in) % 4);
    }
    case 1: {
        static const char *const hex[4] = {"00000000", "01111111", "02222222", "03333333"};
        char *p = buf;
        memcpy(p, "conn_websocket_", 15);
        p = put_u(p + 15, gp_fuzz_u8(&w->in) % 4);
        *p++ = '_';
        memcpy(p, hex[gp_fuzz_u8(&w->in) % 4], 9);
        return buf;
    }
    case 2: /* copied: an unregister may move the model entry it came from */
        copy_str(buf, ID_BUF,
                 w->live_len ? w->live[gp_fuzz_u8(&w->in) % w->live_len].id : "ws_1_1");
        return buf;
    case 3:
        copy_str(buf, ID_BUF,
                 w->gen_len ? w->gen_ids[gp_fuzz_u8(&w->in) % w->gen_len]
                            : "conn_websocket_1_00000000");
        return buf;
    case 4:
        gp_fuzz_string(&w->in, buf, ID_BUF - 1);
        return buf;
    case 5:
        return "";
    case 6:
        return NULL;
    case 7: /* the longest id that fits, or one byte more */
        memset(buf, '7', GP_ID_LEN_MAX + 1);
        buf[GP_ID_LEN_MAX + (kind & 1)] = '\0';
        memcpy(buf, "ws_1_", 5);
        return buf;
    default: {
        unsigned a = gp_fuzz_u8(&w->in);
        return make_prelim(buf, a, gp_fuzz_u8(&w->in));
    }
    }
}

static const char *pick_user(world *w, char *buf)
{
    uint8_t kind = gp_fuzz_u8(&w->in);
    switch (kind % 6) {
    case 0:
        return NULL;
    case 1:
        return "";
    case 2:
        gp_fuzz_string(&w->in, buf, USER_BUF - 1);
        return buf;
    case 3: /* GP_USER_LEN_MAX, or one more */
        memset(buf, 'u', GP_USER_LEN_MAX + 1);
        buf[GP_USER_LEN_MAX + (kind & 1)] = '\0';
        return buf;
    default:
        memcpy(buf, "user_", 5);
        *put_u(buf + 5, gp_fuzz_u8(&w->in) % 4) = '\0';
        return buf;
    }
}

/* A target state, now and then one outside the enum. */
static gp_state pick_to(world *w)
{
    uint8_t b = gp_fuzz_u8(&w->in);
    if (b >= 248)
        return b & 1 ? GP_STATE_COUNT : (gp_state)(GP_STATE_COUNT + b);
    return (gp_state)(b % GP_STATE_COUNT);
}

/* The id validators against the model's, on a picked id; then the two
 * generators with numbers from the input (20 digits included) into a buffer
 * that may be too small. */
static void do_ids(world *w)
{
    char idb[ID_BUF], out[ID_BUF];
    const char *id = pick_id(w, idb);
    if (id) {
        bool pre = model_id_is_preliminary(id), uni = model_id_is_unified(id);
        CHECK(gp_id_is_preliminary(id) == pre && gp_id_is_unified(id) == uni &&
                  gp_id_is_valid(id) == (pre || uni),
              "the validators and the model disagree on \"%s\"", id);
    }
    uint8_t b = gp_fuzz_u8(&w->in);
    uint64_t x = b & 1 ? UINT64_MAX - gp_fuzz_u8(&w->in) : gp_fuzz_u16(&w->in);
    uint64_t y = b & 2 ? UINT64_MAX - gp_fuzz_u8(&w->in) : gp_fuzz_u16(&w->in);
    size_t len = b & 4 ? (size_t)(b >> 3) : sizeof(out);
    char want[ID_BUF];
    bool unified = b & 0x80;
    int n = unified ? snprintf(want, sizeof(want), "conn_websocket_%llu_%08x",
                               (unsigned long long)x, (unsigned)(y & 0xffffffffu))
                    : snprintf(want, sizeof(want), "ws_%llu_%llu", (unsigned long long)x,
                               (unsigned long long)y);
    int rc = unified ? gp_id_unified(out, len, x, y) : gp_id_preliminary(out, len, x, y);
    if ((size_t)n >= len) {
        CHECK(rc == GP_ERR_TOO_LONG, "an id of %d bytes into %zu returned %s", n, len,
              gp_err_name(rc));
        return;
    }
    CHECK(rc == GP_OK && model_streq(out, want), "generated \"%s\" (%s), expected \"%s\"",
          rc == GP_OK ? out : "", gp_err_name(rc), want);
    CHECK(unified ? model_id_is_unified(out) : model_id_is_preliminary(out),
          "generated id \"%s\" does not have its format", out);
}

/* ---- the run -------------------------------------------------------------- */

enum {
    OP_REGISTER, OP_UNREGISTER, OP_STEP, OP_STEP2, OP_STEP3, OP_GET, OP_SCAN, OP_FOREACH,
    OP_CONNECT, OP_BUG, OP_TICK, OP_ROUTE, OP_LOOSE_INIT, OP_LOOSE_STEP, OP_BEHIND, OP_IDS,
    OP_BULK, OP_COUNT
};

static void run_op(world *w, uint8_t op)
{
    char idb[ID_BUF], userb[USER_BUF];
    op %= OP_COUNT;
    switch (op) {
    case OP_REGISTER: {
        const char *id = pick_id(w, idb);
        do_register(w, id, pick_user(w, userb));
        break;
    }
    case OP_UNREGISTER:
        do_unregister(w, pick_id(w, idb));
        break;
    case OP_STEP:
    case OP_STEP2: /* steps weigh more: they are what the target is about */
    case OP_STEP3:
        if (w->live_len) {
            uint8_t b = gp_fuzz_u8(&w->in);
            model_machine *mm = &w->live[b % w->live_len];
            do_step(w, mm, pick_to(w), true, !(b & 0x40), !(b & 0x80));
        }
        break;
    case OP_GET: {
        const char *id = pick_id(w, idb);
        model_machine *mm = model_find(w, id);
        gp_machine *m = gp_registry_get(w->reg, id);
        CHECK(m == (mm ? mm->m : NULL), "get(%s) returned the wrong machine", id ? id : "NULL");
        if (mm)
            check_machine(mm, m);
        break;
    }
    case OP_SCAN:
        do_scan(w);
        break;
    case OP_FOREACH:
        do_foreach(w);
        break;
    case OP_CONNECT: {
        const char *user = pick_user(w, userb);
        const char *id = pick_id(w, idb);
        uint8_t b = gp_fuzz_u8(&w->in);
        char out[ID_BUF];
        size_t out_len = b & 1 ? (size_t)(b >> 1) % 48 : sizeof(out);
        w->spy.mode = b & 2 ? (b >> 2) % 4 : 0;
        do_connect(w, user, id, out, out_len, (b & 0xfe) == 0xfe);
        w->spy.mode = 0;
        break;
    }
    case OP_BUG:
        w->mgr.id_regeneration = !w->mgr.id_regeneration;
        break;
    case OP_TICK:
        w->now += gp_fuzz_u8(&w->in);
        break;
    case OP_ROUTE:
        if (w->live_len)
            do_route(w, gp_fuzz_u8(&w->in) % w->live_len);
        break;
    case OP_LOOSE_INIT: {
        size_t k = gp_fuzz_u8(&w->in) % LOOSE_MAX;
        const char *id = pick_id(w, idb);
        do_loose_init(w, k, id, pick_user(w, userb));
        break;
    }
    case OP_LOOSE_STEP: {
        uint8_t b = gp_fuzz_u8(&w->in);
        size_t k = b % LOOSE_MAX;
        if (w->loose_ok[k])
            do_step(w, &w->loose_model[k], pick_to(w), false, !(b & 0x40), !(b & 0x80));
        break;
    }
    case OP_IDS:
        do_ids(w);
        break;
    case OP_BULK: { /* many machines in two bytes: the registry grows, probes wrap */
        uint8_t b = gp_fuzz_u8(&w->in);
        for (unsigned i = 0; i < 1u + b % 16; i++)
            do_register(w, make_prelim(idb, 900u + b, i), NULL);
        break;
    }
    case OP_BEHIND:
        if (w->live_len) {
            model_machine *mm = &w->live[gp_fuzz_u8(&w->in) % w->live_len];
            do_behind(w, mm, pick_to(w));
        }
        break;
    }
    bool registry = op == OP_REGISTER || op == OP_BULK || op == OP_UNREGISTER || op == OP_STEP ||
                    op == OP_STEP2 || op == OP_STEP3 || op == OP_ROUTE || op == OP_BEHIND;
    check_counts(w, registry);
}

/* The table, the names and the terminal set against the model.  They do not
 * depend on the input, so once per process is enough. */
static void check_table(void)
{
    CHECK(!gp_transition_is_legal(GP_STATE_COUNT, GP_STATE_CLOSED) &&
              !gp_transition_is_legal(GP_STATE_CONNECTING, GP_STATE_COUNT),
          "a step outside the states is legal");
    for (int f = 0; f < GP_STATE_COUNT; f++) {
        CHECK(strcmp(gp_state_name((gp_state)f), model_state_name(f)) == 0 &&
                  gp_state_parse(model_state_name(f)) == (gp_state)f &&
                  gp_state_is_terminal((gp_state)f) == model_state_is_terminal(f),
              "state %d: name, parse or terminal differs from the model", f);
        for (int t = 0; t < GP_STATE_COUNT; t++)
            CHECK(gp_transition_is_legal((gp_state)f, (gp_state)t) == model_step_is_legal(f, t),
                  "the core's table and the model disagree on %s -> %s", model_state_name(f),
                  model_state_name(t));
    }
}

/* The checks that walk every counter and machine, once per input. */
static void check_end(world *w)
{
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            CHECK(w->stats.pair_attempted[f][t] == w->counts.pair_attempted[f][t] &&
                      w->stats.pair_failed[f][t] == w->counts.pair_failed[f][t],
                  "pair %s -> %s: core %llu/%llu attempted/failed, model %llu/%llu",
                  model_state_name(f), model_state_name(t),
                  (unsigned long long)w->stats.pair_attempted[f][t],
                  (unsigned long long)w->stats.pair_failed[f][t],
                  (unsigned long long)w->counts.pair_attempted[f][t],
                  (unsigned long long)w->counts.pair_failed[f][t]);
    for (size_t i = 0; i < w->live_len; i++) {
        CHECK(gp_registry_get(w->reg, w->live[i].id) == w->live[i].m, "%s moved or vanished",
              w->live[i].id);
        check_machine(&w->live[i], w->live[i].m);
    }
    double rate = gp_transition_success_rate(&w->stats);
    double expect = w->counts.attempted
                        ? (double)w->counts.succeeded / (double)w->counts.attempted
                        : 1.0;
    CHECK(rate == expect, "success rate %f, model %f", rate, expect);
}

/* gp_transition_stats_add on a fixed pattern: a pure function of its
 * arguments, so once per process. */
static void check_stats_add(void)
{
    gp_transition_stats src = {.attempted = 7, .succeeded = 5, .failed = 2}, twice = {0};
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            src.pair_attempted[f][t] = (uint64_t)(f * 8 + t + 1) << 20;
            src.pair_failed[f][t] = (uint64_t)(f + t);
        }
    gp_transition_stats_add(&twice, &src);
    gp_transition_stats_add(&twice, &src);
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++)
            CHECK(twice.pair_attempted[f][t] == 2 * src.pair_attempted[f][t] &&
                      twice.pair_failed[f][t] == 2 * src.pair_failed[f][t],
                  "stats_add does not add pair %d -> %d", f, t);
    CHECK(twice.attempted == 14 && twice.succeeded == 10 && twice.failed == 4,
          "stats_add does not add the totals");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    check_table();
    check_stats_add();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world w;
    memset(&w, 0, offsetof(world, last_log));
    w.in = (gp_fuzz_in){data, size};
    uint8_t setup = gp_fuzz_u8(&w.in);
    w.capacity_max = setup & 0x80 ? (setup & 0x07) : 0;
    w.now = 1000;
    w.env = (gp_env){.ctx = &w, .now_ms = env_now, .random_u64 = env_random, .log = env_log,
                     .log_level_min = (gp_log_level)((setup >> 4) % 5)};
    w.reg = gp_registry_create(w.capacity_max);
    CHECK(w.reg != NULL, "registry_create failed");
    gp_manager_init(&w.mgr, &w.env);
    CHECK(w.mgr.generate == gp_manager_default_generate && !w.mgr.id_regeneration,
          "manager_init: not the default generator, or the bug on");
    w.mgr.generate = spy_generate;
    w.mgr.generate_ctx = &w;
    for (int ops = 0; ops < OPS_MAX && w.in.n > 0; ops++)
        run_op(&w, gp_fuzz_u8(&w.in));
    check_end(&w);
    gp_fuzz_cov_transitions(&w.stats);
    gp_registry_destroy(w.reg);
    return 0;
}
