/* gp_registry.h: connection id -> state machine, the state registry.
 *
 * An open-addressing hash table of machines keyed by connection id, with live
 * counts per state.  The registry owns the machines it holds: register creates
 * one, unregister frees it.  Iteration order depends only on the sequence of
 * operations and the ids (FNV-1a), never on pointer values, so that anything
 * derived from it is deterministic. */
#ifndef GP_REGISTRY_H
#define GP_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "gp_lifecycle.h"
#include "gp_mem.h"

typedef struct gp_registry gp_registry;

/* Creates an empty registry holding at most `capacity_max` machines (0: no
 * limit but memory).  Returns NULL when out of memory. */
gp_registry *gp_registry_create(size_t capacity_max);
/* The same, allocating through `alloc` (NULL: the C library), which must
 * outlive the registry. */
gp_registry *gp_registry_create_with(size_t capacity_max, const gp_allocator *alloc);

/* Frees the registry and every machine still in it.  NULL is a no-op. */
void gp_registry_destroy(gp_registry *reg);

/* Creates a machine in CONNECTING for `id` (see gp_machine_init) and stores it.
 * On success *out (may be NULL) points at it; the pointer stays valid until
 * the id is unregistered.  Errors: GP_ERR_EXISTS (id taken, nothing changed),
 * GP_ERR_FULL, GP_ERR_NOMEM, GP_ERR_INVALID_ARG, GP_ERR_TOO_LONG. */
int gp_registry_register(gp_registry *reg, const char *id, const char *user_id,
                         uint64_t now_ms, gp_machine **out);

/* Removes and frees the machine of `id`.  GP_ERR_NOT_FOUND when absent. */
int gp_registry_unregister(gp_registry *reg, const char *id);

/* The machine of `id`, or NULL. */
gp_machine *gp_registry_get(const gp_registry *reg, const char *id);

/* Machines held. */
size_t gp_registry_count(const gp_registry *reg);

/* Machines currently in state `s`.  The registry learns of state changes
 * through gp_registry_transition; a machine changed behind its back is
 * counted in its old state until the next gp_registry_transition on it. */
size_t gp_registry_count_state(const gp_registry *reg, gp_state s);

/* gp_machine_transition on the machine of `m` (which must be held by `reg`),
 * keeping the per-state counts right.  Same returns. */
int gp_registry_transition(gp_registry *reg, gp_machine *m, gp_state to,
                           uint64_t now_ms, gp_transition_stats *stats,
                           const gp_env *env);

/* Calls fn(m, arg) for every machine, in table order.  fn must not register
 * or unregister. */
void gp_registry_foreach(const gp_registry *reg,
                         void (*fn)(gp_machine *m, void *arg), void *arg);

/* Counts the stuck machines: not PROCESSING_READY, not terminal, and in their
 * current state for longer than stuck_after_ms at now_ms.  When `fn` is not
 * NULL it is called for each, in table order. */
size_t gp_registry_scan_stuck(const gp_registry *reg, uint64_t now_ms,
                              uint64_t stuck_after_ms,
                              void (*fn)(gp_machine *m, void *arg), void *arg);

#endif
