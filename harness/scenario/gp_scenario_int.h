/* gp_scenario_int.h: what the files of the scenario module share -- the
 * field table and the names of the format's enumerations.  Not for other
 * modules: the interface is gp_scenario.h. */
#ifndef GP_SCENARIO_INT_H
#define GP_SCENARIO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gp_checks_list.h"
#include "gp_scenario.h"
#include "gp_signatures_list.h"

#define GP_FIELD_PATH_MAX 256 /* longer paths are unknown fields */
#define GP_ARRIVAL_COUNT 3
#define GP_LATENCY_COUNT 3

/* The run checks' names, counted from the shared list. */
enum {
#define GP_SC_CHECK_ENUM(e, name, doc) GP_SC_CHECK_##e,
    GP_CHECK_MAP(GP_SC_CHECK_ENUM)
#undef GP_SC_CHECK_ENUM
    GP_SC_CHECK_COUNT
};

typedef enum field_kind {
    FK_STRING,  /* char[]; min/max: length in bytes */
    FK_U32,     /* uint32_t in [min, max] */
    FK_U64,     /* uint64_t in [min, max]; also a decimal string */
    FK_RATE,    /* double in [0, 1] */
    FK_ARRIVAL, /* gp_arrival by name */
    FK_LATENCY, /* gp_latency_dist by name */
    FK_BUGS,    /* gp_bug_set from an array of bug names */
    FK_CHECKS,  /* expect.violations from an array of check names */
    FK_EVIDENCE, /* gp_evidence by name */
    FK_SIGS,    /* expect.log_signatures: an object of signature -> bounds */
    FK_ENUM,    /* an enum (int) by name: names[0..max) */
    FK_ONLY,    /* clients.only: an array of client indices */
    FK_BOOL,    /* bool from true or false */
} field_kind;

typedef struct field {
    const char *path;
    field_kind kind;
    size_t offset;
    uint64_t min, max;
    const char *const *names; /* FK_ENUM */
} field;

/* A range checked for min <= max, by group path. */
typedef struct gp_range_field {
    const char *path;
    size_t offset;
} gp_range_field;

extern const char *const gp_phase_names[GP_PHASE_COUNT];
extern const char *const gp_bad_token_names[GP_BAD_TOKEN_COUNT];
extern const char *const gp_arrival_names[GP_ARRIVAL_COUNT];
extern const char *const gp_latency_names[GP_LATENCY_COUNT];
extern const char *const gp_check_names[GP_SC_CHECK_COUNT];
extern const char *const gp_evidence_names[GP_EVIDENCE_COUNT];
extern const char *const gp_signature_names[GP_SIGNATURE_COUNT];
extern const char *const gp_request_mode_names[GP_REQUEST_MODE_COUNT];

/* Every settable field, in file order (to_json writes them so, and the
 * unknown-field errors list them so). */
extern const field gp_fields[];
extern const size_t gp_field_count;
extern const gp_range_field gp_ranges[];
extern const size_t gp_range_count;

static inline void *gp_field_at(gp_scenario *sc, const field *f)
{
    return (char *)sc + f->offset;
}

static inline const void *gp_field_at_c(const gp_scenario *sc, const field *f)
{
    return (const char *)sc + f->offset;
}

/* The fewest significant digits that read back as exactly x. */
int gp_scenario_real_digits(double x);

#endif
