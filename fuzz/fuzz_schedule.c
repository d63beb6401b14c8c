/* fuzz_schedule.c: bytes -> the simulator's choices for a small scenario,
 * with every run check as the oracle.
 *
 * The first eight bytes make the scenario: 1 to 8 clients, which fault
 * classes are on (a fixed menu of rates), the network's latency and losses,
 * 1 to 3 requests per client, the arrival, the seed of the clients' plans.
 * The rest of the bytes are the schedule: through gp_sim_options.choose every
 * choice of the simulated network (each message's latency, hence the order
 * in which ready events run; drops, duplicates, reorders) and every draw of
 * the core's random source (agent timings and failures, id entropy) takes
 * the next byte.  When the bytes run out the choices continue from a
 * generator seeded by the scenario, so a short input is an ordinary run.
 *
 * The limits are set far above anything the configured faults can delay a
 * connection by (retransmissions 10 ms doubling, slow accepts 50 ms, agents
 * under 30 ms per request, against a 5 s stuck threshold and 10 s client
 * timeouts), so on the fixed core every check must pass whatever the
 * schedule: a failed check is a finding, and the target aborts naming it.
 * faults_not_fired is the one check left out: with a handful of clients a
 * configured fault may simply not be drawn.
 *
 * Bug hunting: GP_FUZZ_BUGS=<bug>[,<companion>...] switches bugs of the
 * catalog on.  An input counts as "found" when a check fails that the same
 * input leaves passing without the hunted bug -- on the fixed core, or with
 * the companions alone: bugs the hunted one needs to show at all (swallowing
 * a failed step needs a step that fails).  It is reported (abort, so
 * libFuzzer keeps the input) with the runs and seconds it took.
 * GP_FUZZ_BUGS=list prints the catalog and exits.  GP_FUZZ_CLIENTS=N fixes
 * the client count (the benchmark uses 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp_error.h"
#include "gp_fuzz.h"
#include "gp_rng.h"
#include "gp_sim.h"

#define TARGET "fuzz_schedule"
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            gp_fuzz_fail(TARGET, __VA_ARGS__);                                 \
    } while (0)

#define CLIENTS_MAX 8

_Static_assert(GP_FAULT_COUNT <= 48, "the coverage region holds 48 fault classes");

/* How this process runs: set once from the environment. */
static struct {
    gp_bug_set bugs;       /* every bug switched on */
    gp_bug_set companions; /* those not being hunted */
    char spec[128];        /* GP_FUZZ_BUGS as given */
    uint32_t clients;      /* 0: from the input */
    uint64_t runs;         /* inputs run so far (bug hunting reports it) */
    struct timespec t0;
} cfg;

/* The schedule: input bytes, then a generator. */
typedef struct chooser {
    gp_fuzz_in in;
    gp_rng fallback;
} chooser;

/* One byte per choice, spread over all 64 bits: the top bits decide the
 * simulator's chances (byte / 256 against the rate), the low bits its
 * ranges. */
static uint64_t choose(void *ctx)
{
    chooser *c = ctx;
    if (c->in.n > 0)
        return gp_fuzz_u8(&c->in) * 0x0101010101010101ULL;
    return gp_rng_next(&c->fallback);
}

/* The scenario of the input's first eight bytes (sc starts from the
 * defaults; bugs as given). */
static void make_scenario(gp_scenario *sc, gp_fuzz_in *in, gp_bug_set bugs)
{
    uint8_t b0 = gp_fuzz_u8(in), menu = gp_fuzz_u8(in), net = gp_fuzz_u8(in),
            shape = gp_fuzz_u8(in);
    gp_scenario_defaults(sc);
    strcpy(sc->name, "fuzz_schedule");
    sc->seed = gp_fuzz_u32(in);
    sc->clients.count = cfg.clients ? cfg.clients : 1u + b0 % CLIENTS_MAX;
    sc->clients.arrival = net & 0x80 ? GP_ARRIVAL_UNIFORM : GP_ARRIVAL_ALL_AT_ONCE;
    sc->clients.window_ms = 20;
    sc->clients.header_auth_fraction = ((net >> 5) & 3) / 3.0;
    sc->clients.requests = 1u + shape % 3;
    sc->clients.request_gap = (gp_range_ms){0, (shape >> 2) % 16};
    sc->clients.user_pool = shape & 0x80 ? 2 : 0; /* two clients may share a user */

    sc->network.latency = (net & 3) == 3 ? GP_LATENCY_UNIFORM : (gp_latency_dist)(net & 3);
    sc->network.latency_min_ms = 1;
    sc->network.latency_max_ms = 1 + (net >> 2) % 8 * 4;
    sc->network.latency_mean_ms = 1 + (sc->network.latency_max_ms - 1) / 4;
    sc->network.retransmit_ms = 10;
    sc->network.drop_rate = menu & 0x40 ? 0.1 : 0.0;
    sc->network.duplicate_rate = menu & 0x80 ? 0.2 : 0.0;
    sc->network.reorder_rate = menu & 0x80 ? 0.3 : 0.0;

    sc->server.bugs = bugs;
    sc->server.accept_delay = (gp_range_ms){0, 2};
    sc->server.think = (gp_range_ms){1, 20};
    sc->server.tool = (gp_range_ms){1, 10};
    sc->server.stuck_after_ms = 5000;
    sc->server.auth_timeout_ms = 5000;

    sc->faults.accept_race = menu & 0x01 ? 0.5 : 0.0;
    sc->faults.slow_accept = menu & 0x02 ? 0.3 : 0.0;
    sc->faults.slow_accept_ms = 50;
    for (int p = 0; p < GP_PHASE_COUNT; p++)
        sc->faults.disconnect[p] = menu & 0x04 ? 0.1 : 0.0;
    for (int t = 0; t < GP_BAD_TOKEN_COUNT; t++)
        sc->faults.bad_token[t] = menu & 0x08 ? 0.8 / GP_BAD_TOKEN_COUNT : 0.0;
    for (int k = 0; k < GP_BAD_INPUT_COUNT; k++)
        sc->faults.bad_input[k] = b0 & 0x40 ? 0.8 / GP_BAD_INPUT_COUNT : 0.0;
    for (int e = 0; e < GP_EDGE_TOKEN_COUNT; e++)
        sc->faults.edge_token[e] = b0 & 0x20 ? 0.2 : 0.0;
    sc->faults.early_message = menu & 0x10 ? 0.3 : 0.0;
    sc->faults.no_auth = b0 & 0x80 ? 0.2 : 0.0;
    sc->faults.agent_failure = menu & 0x20 ? 0.3 : 0.0;

    sc->limits.ready_timeout_ms = 10000;
    sc->limits.request_timeout_ms = 10000;
    sc->limits.run_timeout_ms = 120000;
    sc->expect.min_transition_success_rate = 1.0;
    sc->expect.min_completion_rate = 1.0;
    sc->report.bucket_ms = 1000000; /* one timeline row: the run is the point */
}

/* A bit per failed check (faults_not_fired left out). */
static uint32_t failed_checks(const gp_run *run)
{
    uint32_t failed = 0;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (k != GP_CHECK_FAULTS_NOT_FIRED && !gp_verdict_ok(run->checks[k].verdict))
            failed |= 1u << k;
    return failed;
}

static void trace_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "    %s\n", line);
}

/* Runs the input's scenario with `bugs`; fills run (free it with
 * gp_run_free).  trace_client: a client to trace on stderr, or UINT32_MAX. */
static void run_input(gp_run *run, const uint8_t *data, size_t size, gp_bug_set bugs,
                      uint32_t trace_client)
{
    gp_fuzz_in in = {data, size};
    gp_scenario sc;
    make_scenario(&sc, &in, bugs);
    char err[GP_SCENARIO_ERR_MAX];
    CHECK(gp_scenario_validate(&sc, err, sizeof(err)) == GP_OK, "bad scenario: %s", err);
    CHECK(gp_run_init(run, &sc) == GP_OK, "out of memory");
    chooser ch = {.in = in};
    gp_rng_seed(&ch.fallback, gp_rng_derive(sc.seed, 0xf022u));
    gp_sim_options opt = {.trace_client = trace_client, .trace = trace_line,
                          .choose = choose, .choose_ctx = &ch};
    int rc = gp_sim_run(run, &opt, err, sizeof(err));
    CHECK(rc == GP_OK, "the simulator failed: %s", err);
}

/* Describes a failed run on stderr: the scenario, every failed check, and
 * the trace of the first client a check names. */
static void report(const uint8_t *data, size_t size, const gp_run *run, uint32_t failed)
{
    /* The headline first: scripts keep the first goldpath-fuzz line. */
    char names[512] = "";
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (failed & (1u << k)) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
                     gp_check_name((gp_check)k));
        }
    fprintf(stderr, "goldpath-fuzz: %s: %s: failed checks: %s (%u clients, seed %llu)\n", TARGET,
            cfg.bugs ? cfg.spec : "fixed core", names, run->n_clients,
            (unsigned long long)run->sc.seed);
    char *json = gp_scenario_to_json(&run->sc);
    fprintf(stderr, "goldpath-fuzz: %s: scenario of this input (the schedule comes from its "
                    "bytes, so `goldpath run` with this file replays the scenario, not the "
                    "schedule):\n%s\n",
            TARGET, json ? json : "(out of memory)");
    free(json);
    uint32_t example = UINT32_MAX;
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        if (!(failed & (1u << k)))
            continue;
        const gp_check_result *r = &run->checks[k];
        fprintf(stderr, "goldpath-fuzz: %s: check %s failed: %s\n", TARGET,
                gp_check_name((gp_check)k), r->detail);
        for (uint32_t e = 0; e < r->examples_len; e++) {
            const gp_vclient *c = &run->clients[r->examples[e]];
            fprintf(stderr, "    client %u: %s%s%s\n", c->index, gp_vc_outcome_name(c->outcome),
                    c->failure ? ", " : "", c->failure ? gp_vc_failure_text(c->failure) : "");
        }
        if (example == UINT32_MAX && r->examples_len)
            example = r->examples[0];
    }
    if (example != UINT32_MAX) {
        fprintf(stderr, "goldpath-fuzz: %s: trace of client %u:\n", TARGET, example);
        gp_run again;
        run_input(&again, data, size, run->sc.server.bugs, example);
        gp_run_free(&again);
    }
}

static double seconds_since_start(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - cfg.t0.tv_sec) + (double)(t.tv_nsec - cfg.t0.tv_nsec) / 1e9;
}

/* The input's coverage of lifecycle steps, faults per server state, client
 * outcomes and failed checks, as libFuzzer extra counters. */
static void export_coverage(const gp_run *run)
{
    gp_fuzz_cov_transitions(&run->health.transitions);
    for (int f = 0; f < GP_FAULT_COUNT; f++)
        for (int s = 0; s <= GP_STATE_COUNT; s++)
            gp_fuzz_cov_set(GP_FUZZ_COV_FAULTS + (size_t)f * (GP_STATE_COUNT + 1) + (size_t)s,
                            run->ledger.by_state[f][s]);
    for (int o = 0; o <= GP_VC_FAILED; o++)
        gp_fuzz_cov_set(GP_FUZZ_COV_OUTCOMES + (size_t)o, run->outcome[o]);
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        gp_fuzz_cov_set(GP_FUZZ_COV_OUTCOMES + 8 + (size_t)k, run->checks[k].count);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    clock_gettime(CLOCK_MONOTONIC, &cfg.t0);
    const char *clients = getenv("GP_FUZZ_CLIENTS");
    if (clients && *clients) {
        long n = strtol(clients, NULL, 10);
        if (n < 1 || n > CLIENTS_MAX) {
            fprintf(stderr, "%s: GP_FUZZ_CLIENTS must be 1 to %d\n", TARGET, CLIENTS_MAX);
            exit(2);
        }
        cfg.clients = (uint32_t)n;
    }
    const char *spec = getenv("GP_FUZZ_BUGS");
    if (!spec || !*spec)
        return 0;
    if (strcmp(spec, "list") == 0) { /* the catalog, for scripts */
        for (int k = 0; k < GP_BUG_COUNT; k++)
            printf("%s\n", gp_bug_name((gp_bug)k));
        exit(0);
    }
    snprintf(cfg.spec, sizeof(cfg.spec), "%s", spec);
    char copy[sizeof(cfg.spec)];
    snprintf(copy, sizeof(copy), "%s", spec);
    bool first = true;
    for (char *name = strtok(copy, ","); name; name = strtok(NULL, ",")) {
        gp_bug b = gp_bug_parse(name);
        if (b == GP_BUG_COUNT) {
            fprintf(stderr, "%s: GP_FUZZ_BUGS: unknown bug \"%s\"; the catalog:", TARGET, name);
            for (int k = 0; k < GP_BUG_COUNT; k++)
                fprintf(stderr, " %s", gp_bug_name((gp_bug)k));
            fputc('\n', stderr);
            exit(2);
        }
        cfg.bugs |= GP_BUG_BIT(b);
        if (!first)
            cfg.companions |= GP_BUG_BIT(b);
        first = false;
    }
    fprintf(stderr, "%s: hunting %s\n", TARGET, cfg.spec);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg.runs++;
    gp_run run;
    run_input(&run, data, size, cfg.bugs, UINT32_MAX);
    export_coverage(&run);
    uint32_t failed = failed_checks(&run);
    if (failed && cfg.bugs) {
        /* Only what the hunted bug adds counts: a check that fails on the
         * same input without it (the companions alone, or the fixed core)
         * is not its doing. */
        gp_run base;
        run_input(&base, data, size, cfg.companions, UINT32_MAX);
        failed &= ~failed_checks(&base);
        gp_run_free(&base);
    }
    if (failed) {
        report(data, size, &run, failed);
        if (cfg.bugs)
            fprintf(stderr, "goldpath-fuzz: %s: FOUND %s after %llu runs, %.3f s\n", TARGET,
                    cfg.spec, (unsigned long long)cfg.runs, seconds_since_start());
        else
            fprintf(stderr, "goldpath-fuzz: %s: a check failed on the fixed core\n", TARGET);
        fflush(stderr);
        abort();
    }
    gp_run_free(&run);
    return 0;
}
