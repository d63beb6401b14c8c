/* fuzz_transitions.h: what the two halves of fuzz_transitions share -- the
 * world one input runs in (the core's registry and manager, and the model
 * beside them), and the operations checked against the model.
 * fuzz_transitions.c decodes the input into operations; fuzz_transitions_ops.c
 * carries each out on the core and the model and compares the two. */
#ifndef FUZZ_TRANSITIONS_H
#define FUZZ_TRANSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_model.h"
#include "gp_fuzz.h"
#include "gp_manager.h"
#include "gp_registry.h"

#define TARGET "fuzz_transitions"
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            gp_fuzz_fail(TARGET, __VA_ARGS__);                                 \
    } while (0)

#define OPS_MAX 400      /* operations per input: keeps an input short */
#define LIVE_MAX 48      /* machines the model follows in the registry */
#define LOOSE_MAX 4      /* machines outside any registry */
#define GENERATED_MAX 8  /* unified ids kept for reuse as inputs */
#define ID_BUF 96        /* an id the fuzzer makes, possibly too long */
#define USER_BUF 160

/* What the model knows of one machine. */
typedef struct model_machine {
    uint32_t hash; /* of id, so that finding an id rarely compares strings */
    char id[GP_ID_LEN_MAX + 1];
    char user[GP_USER_LEN_MAX + 1];
    int state;
    int counted; /* the state the registry counts it in (registry only) */
    uint64_t created_ms, entered_ms;
    uint32_t history_len, history_dropped;
    gp_history_entry history[GP_HISTORY_MAX];
    gp_machine *m;
} model_machine;

typedef struct model_counts {
    uint64_t attempted, succeeded, failed;
    uint64_t pair_attempted[GP_STATE_COUNT][GP_STATE_COUNT];
    uint64_t pair_failed[GP_STATE_COUNT][GP_STATE_COUNT];
} model_counts;

/* The generator connect_user calls: the default one, or a broken one. */
typedef struct spy {
    uint64_t calls;
    uint64_t last_counter;
    int mode; /* 0: default; 1: fails; 2: writes a malformed id; 3: no NUL */
} spy;

typedef struct world {
    gp_fuzz_in in;
    uint64_t now;
    gp_registry *reg;
    size_t capacity_max;
    size_t live_len;
    size_t counted_n[GP_STATE_COUNT]; /* model machines per counted state */
    bool loose_ok[LOOSE_MAX];
    gp_transition_stats stats; /* the core's counts */
    model_counts counts;       /* the model's */
    gp_env env;
    uint64_t logs;
    uint64_t last_random;
    gp_manager mgr;
    spy spy;
    uint64_t counter, generated, connected; /* the manager as modelled */
    size_t gen_len;
    /* Below: written before being read, so not cleared for each input. */
    char last_log[512];
    char gen_ids[GENERATED_MAX][GP_ID_LEN_MAX + 1];
    model_machine live[LIVE_MAX];
    gp_machine loose[LOOSE_MAX];
    model_machine loose_model[LOOSE_MAX];
} world;

/* Copies a string known to fit (checked by the caller against the core's
 * limits) into a model buffer of `size`; a longer one fails the run. */
void copy_str(char *dst, size_t size, const char *src);

/* FNV-1a of an id, and the model's machine of `id` (NULL: none). */
uint32_t id_hash(const char *id);
model_machine *model_find(world *w, const char *id);

/* The machine against its model; the counts after every operation (the
 * per-state ones only when `registry`: the operation went through it). */
void check_machine(const model_machine *mm, const gp_machine *m);
void check_counts(world *w, bool registry);

/* The operations.  Each calls the core, predicts its result from the model,
 * fails the run on a difference, and updates the model.  do_step: machine mm
 * (held by the registry when `registry`) to `to`, with or without stats and
 * env; returns the core's code.  do_register / do_connect return the core's
 * code; do_connect writes the id into out (ID_BUF bytes). */
int do_step(world *w, model_machine *mm, gp_state to, bool registry, bool with_stats,
            bool with_env);
int do_register(world *w, const char *id, const char *user);
void do_unregister(world *w, const char *id);
int do_connect(world *w, const char *user, const char *id, char *out, size_t out_len,
               bool out_null);
void do_route(world *w, size_t idx);
void do_scan(world *w);
void do_foreach(world *w);
void do_loose_init(world *w, size_t k, const char *id, const char *user);
void do_behind(world *w, model_machine *mm, gp_state to);

#endif
