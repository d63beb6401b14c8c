/* fuzz_model.h: an independent model of the lifecycle's legal steps and of
 * the two id formats, for fuzz_transitions.
 *
 * Written from the contracts in gp_lifecycle.h and gp_ids.h, not from the
 * core's code: the legal steps are a list of pairs, the id formats a small
 * hand-written scanner.  If the core's table or validators drift from their
 * documented contracts, the fuzzer sees the two disagree. */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_lifecycle.h"

/* String equality and prefix tests written out: libc's strcmp is intercepted
 * by libFuzzer (it feeds its dictionary), which made the model's own lookups
 * a fifth of fuzz_transitions' time. */
bool model_streq(const char *a, const char *b);
bool model_starts(const char *s, const char *prefix);

/* True when from -> to is one of the documented steps.  Values outside the
 * eight states are never legal. */
bool model_step_is_legal(int from, int to);

/* The state's name as the incident's log lines spell it ("CONNECTING"); NULL
 * outside the eight states. */
const char *model_state_name(int s);

/* True for CLOSING, CLOSED and FAILED. */
bool model_state_is_terminal(int s);

/* ws_ then 1-20 digits, '_', 1-20 digits. */
bool model_id_is_preliminary(const char *id);
/* conn_websocket_ then 1-20 digits, '_', 8 lowercase hex digits. */
bool model_id_is_unified(const char *id);

/* The line an illegal step logs (gp_lifecycle.h), into out. */
void model_illegal_line(char *out, size_t out_len, const char *id, int from,
                        int to);
/* True when `line` is exactly that line (without formatting it). */
bool model_illegal_line_is(const char *line, const char *id, int from, int to);
/* The same for "<prefix><id>: ApplicationConnectionState.<from> -> ...<to>"
 * (the core logs applied steps with prefix "State transition for "). */
bool model_step_line_is(const char *line, const char *prefix, const char *id, int from,
                        int to);

#endif
