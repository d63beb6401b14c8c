/* gp_fuzz.h: what every fuzz target shares -- reading the input bytes,
 * reporting a broken invariant, and the lifecycle coverage handed to
 * libFuzzer as extra counters.
 *
 * A target is one .c with LLVMFuzzerTestOneInput.  Built with libFuzzer
 * (clang, -DGP_FUZZ=ON) it is a fuzzer; built with fuzz/replay_main.c it is a
 * plain program that runs the files it is given (the ordinary gcc build and
 * ctest).  GP_LIBFUZZER is defined only in the first case. */
#ifndef GP_FUZZ_H
#define GP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_lifecycle.h"

/* The input, consumed front to back.  Reads past the end give zeros, so a
 * short input is simply a run with default choices. */
typedef struct gp_fuzz_in {
    const uint8_t *p;
    size_t n;
} gp_fuzz_in;

static inline uint8_t gp_fuzz_u8(gp_fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t gp_fuzz_u16(gp_fuzz_in *in)
{
    uint16_t hi = gp_fuzz_u8(in);
    return (uint16_t)(hi << 8 | gp_fuzz_u8(in));
}

static inline uint32_t gp_fuzz_u32(gp_fuzz_in *in)
{
    uint32_t hi = gp_fuzz_u16(in);
    return hi << 16 | gp_fuzz_u16(in);
}

static inline uint64_t gp_fuzz_u64(gp_fuzz_in *in)
{
    uint64_t hi = gp_fuzz_u32(in);
    return hi << 32 | gp_fuzz_u32(in);
}

/* Copies up to `max` bytes (a length byte first decides how many, modulo
 * max + 1) into out as a NUL-terminated string; out holds max + 1 bytes.  A
 * NUL inside the input ends the string early, as it would in C. */
size_t gp_fuzz_string(gp_fuzz_in *in, char *out, size_t max);

/* Reports a broken invariant of target `target` on stderr and aborts, so that
 * libFuzzer keeps the input (and the replay program fails). */
void gp_fuzz_fail(const char *target, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* ---- lifecycle coverage (extra counters) ---------------------------------
 *
 * libFuzzer clears its extra counters before each input and reads them after,
 * so the targets write them at the end of LLVMFuzzerTestOneInput from what
 * that input did.  Each counter saturates at 255: libFuzzer buckets counts
 * (1, 2, 3, 4-7, ..., 128+), so "this pair happened 5 times" is a feature of
 * its own.  In the replay build these calls do nothing. */

/* Counter regions. */
enum {
    GP_FUZZ_COV_TRANSITIONS = 0, /* (from, to, ok|refused): 8 * 8 * 2 */
    GP_FUZZ_COV_FAULTS = GP_FUZZ_COV_TRANSITIONS + GP_STATE_COUNT * GP_STATE_COUNT * 2,
    GP_FUZZ_COV_OUTCOMES = GP_FUZZ_COV_FAULTS + 48 * (GP_STATE_COUNT + 1),
    GP_FUZZ_COV_SIZE = GP_FUZZ_COV_OUTCOMES + 64,
};

/* Writes stats' per-(from, to) counts of successful and refused steps into
 * the transition region. */
void gp_fuzz_cov_transitions(const gp_transition_stats *stats);

/* Sets counter `index` (a region start plus an offset) to min(value, 255);
 * out-of-range indexes are ignored. */
void gp_fuzz_cov_set(size_t index, uint64_t value);

#endif
