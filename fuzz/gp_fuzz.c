/* gp_fuzz.c: the shared parts of the fuzz targets (gp_fuzz.h): input
 * strings, failure reports, and libFuzzer's extra counters.
 *
 * The counters are the one piece of global state here, and they exist only
 * in the libFuzzer build: libFuzzer finds them by their section name, so they
 * cannot be passed around.  The core itself stays free of globals. */
#include "gp_fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gp_fuzz_string(gp_fuzz_in *in, char *out, size_t max)
{
    size_t want = gp_fuzz_u8(in) % (max + 1);
    size_t len = 0;
    while (len < want && in->n > 0) {
        uint8_t b = gp_fuzz_u8(in);
        if (b == 0)
            break;
        out[len++] = (char)b;
    }
    out[len] = '\0';
    return len;
}

void gp_fuzz_fail(const char *target, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "goldpath-fuzz: %s: ", target);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    abort();
}

#ifdef GP_LIBFUZZER
/* libFuzzer (LLVM 14, Linux) collects every byte between
 * __start___libfuzzer_extra_counters and __stop___libfuzzer_extra_counters. */
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t gp_fuzz_counters[GP_FUZZ_COV_SIZE];

void gp_fuzz_cov_set(size_t index, uint64_t value)
{
    if (index < GP_FUZZ_COV_SIZE)
        gp_fuzz_counters[index] = value > 255 ? 255 : (uint8_t)value;
}
#else
void gp_fuzz_cov_set(size_t index, uint64_t value)
{
    (void)index;
    (void)value;
}
#endif

void gp_fuzz_cov_transitions(const gp_transition_stats *stats)
{
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int t = 0; t < GP_STATE_COUNT; t++) {
            size_t cell = GP_FUZZ_COV_TRANSITIONS + ((size_t)f * GP_STATE_COUNT + (size_t)t) * 2;
            uint64_t failed = stats->pair_failed[f][t];
            uint64_t ok = stats->pair_attempted[f][t] - failed;
            gp_fuzz_cov_set(cell, ok);
            gp_fuzz_cov_set(cell + 1, failed);
        }
}
