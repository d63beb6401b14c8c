/* fuzz_scenario.c: bytes -> the scenario parser and validator.
 *
 * The first byte picks what the rest is ('0' and '1' in the seed files):
 *   even: a scenario file, parsed with gp_scenario_parse;
 *   odd:  up to eight command-line overrides (PATH=VALUE, one per line),
 *         applied to the defaults with gp_scenario_set, then validated.
 * Every rejection must be a documented error with a message that names where
 * it came from.  Every scenario accepted must validate, and must come back
 * unchanged (memcmp: gp_scenario_defaults zeroes the padding) from
 * gp_scenario_to_json and a second parse -- the "scenario as run" that
 * reports write must be a scenario that runs the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_fuzz.h"
#include "gp_scenario.h"

#define TARGET "fuzz_scenario"
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            gp_fuzz_fail(TARGET, __VA_ARGS__);                                 \
    } while (0)

#define ORIGIN "fuzz-input"
#define SETS_MAX 8
#define SET_LEN_MAX 512

static bool documented(int rc)
{
    return rc == GP_ERR_BAD_JSON || rc == GP_ERR_INVALID_ARG || rc == GP_ERR_TOO_LONG;
}

/* sc came out of the parser or the overrides and validated: write it out,
 * read it back, and compare. */
static void check_round_trip(const gp_scenario *sc)
{
    char err[GP_SCENARIO_ERR_MAX];
    char *json = gp_scenario_to_json(sc);
    CHECK(json != NULL, "to_json failed");
    gp_scenario *back = malloc(sizeof(*back));
    CHECK(back != NULL, "out of memory");
    int rc = gp_scenario_parse(back, json, strlen(json), sc->path, err, sizeof(err));
    CHECK(rc == GP_OK, "the scenario's own JSON does not parse: %s\n%s", err, json);
    if (memcmp(sc, back, sizeof(*sc)) != 0) {
        char *json2 = gp_scenario_to_json(back);
        gp_fuzz_fail(TARGET, "the scenario changed on its way through JSON:\n%s\nbecame\n%s",
                     json, json2 ? json2 : "(null)");
    }
    char *json2 = gp_scenario_to_json(back);
    CHECK(json2 && strcmp(json, json2) == 0, "to_json is not stable");
    free(json2);
    free(back);
    free(json);
}

static void fuzz_file(gp_scenario *sc, const uint8_t *data, size_t size)
{
    char err[GP_SCENARIO_ERR_MAX];
    err[0] = '\0';
    int rc = gp_scenario_parse(sc, (const char *)data, size, ORIGIN, err, sizeof(err));
    if (rc != GP_OK) {
        CHECK(documented(rc), "parse rejected with %s", gp_err_name(rc));
        CHECK(strncmp(err, ORIGIN, strlen(ORIGIN)) == 0, "error does not name the file: %s",
              err);
        return;
    }
    CHECK(strcmp(sc->path, ORIGIN) == 0, "path is \"%s\"", sc->path);
    rc = gp_scenario_validate(sc, err, sizeof(err));
    CHECK(rc == GP_OK, "a parsed scenario does not validate: %s", err);
    check_round_trip(sc);
}

static void fuzz_sets(gp_scenario *sc, const uint8_t *data, size_t size)
{
    char err[GP_SCENARIO_ERR_MAX];
    gp_scenario_defaults(sc);
    const uint8_t *p = data, *end = data + size;
    for (int k = 0; k < SETS_MAX && p < end; k++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        char assignment[SET_LEN_MAX + 1];
        if (len > SET_LEN_MAX)
            len = SET_LEN_MAX;
        memcpy(assignment, p, len);
        assignment[len] = '\0'; /* a NUL inside ends it, as on a command line */
        p = nl ? nl + 1 : end;
        err[0] = '\0';
        int rc = gp_scenario_set(sc, assignment, err, sizeof(err));
        if (rc != GP_OK) {
            CHECK(documented(rc), "set(%s) rejected with %s", assignment, gp_err_name(rc));
            CHECK(strncmp(err, "--set ", 6) == 0, "error does not name the override: %s", err);
        }
    }
    err[0] = '\0';
    int rc = gp_scenario_validate(sc, err, sizeof(err));
    if (rc != GP_OK) {
        CHECK(documented(rc) && err[0], "validate rejected with %s: %s", gp_err_name(rc), err);
        return;
    }
    check_round_trip(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    gp_scenario *sc = malloc(sizeof(*sc)); /* 3 KB: kept off the stack */
    CHECK(sc != NULL, "out of memory");
    if (data[0] % 2 == 0)
        fuzz_file(sc, data + 1, size - 1);
    else
        fuzz_sets(sc, data + 1, size - 1);
    free(sc);
    return 0;
}
