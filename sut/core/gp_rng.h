/* gp_rng.h: the seeded pseudo-random generator every driver uses.
 *
 * Algorithm: xoshiro256** 1.0 (Blackman and Vigna), state seeded by four
 * outputs of splitmix64 from the 64-bit seed.  Documented and fixed so that a
 * seed means the same schedule on every machine and in every version that does
 * not change this file.  Never libc's rand(). */
#ifndef GP_RNG_H
#define GP_RNG_H

#include <stdint.h>

typedef struct gp_rng {
    uint64_t s[4];
} gp_rng;

/* Seeds `rng` from `seed` (any value, 0 included). */
void gp_rng_seed(gp_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t gp_rng_next(gp_rng *rng);

/* A uniform integer in [0, bound); 0 when bound is 0.  Unbiased (Lemire's
 * multiply-and-reject). */
uint64_t gp_rng_below(gp_rng *rng, uint64_t bound);

/* A uniform double in [0, 1) with 53 random bits. */
double gp_rng_unit(gp_rng *rng);

/* True with probability p (p <= 0: never, p >= 1: always, no draw made for
 * those two so that a rate of 0 does not shift the stream of other choices). */
int gp_rng_chance(gp_rng *rng, double p);

/* A uniform integer in [lo, hi] (hi < lo is treated as hi = lo). */
uint64_t gp_rng_range(gp_rng *rng, uint64_t lo, uint64_t hi);

/* Derives an independent seed for stream `index` of `seed` (splitmix64 of
 * both); used to give each client or subsystem a stream of its own. */
uint64_t gp_rng_derive(uint64_t seed, uint64_t index);

#endif
