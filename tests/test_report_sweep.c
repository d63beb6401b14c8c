/* test_report_sweep.c: sweeps, JUnit and report pages through the library.
 * A sweep of the accept race rate shows the buggy server falling and the
 * fixed one flat at 1.0; the same sweep writes the same bytes; a bad field
 * is refused before anything runs; JUnit has one case per check and the
 * failures of the run; report.html escapes scenario text and says why it
 * has no plots; a folder that is no report folder is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_gnuplot.h"
#include "gp_junit.h"
#include "gp_render.h"
#include "gp_report.h"
#include "gp_sim.h"
#include "gp_sweep.h"
#include "gp_sweep_files.h"
#include "tmp_dir.h"

/* ---- helpers ------------------------------------------------------------- */

static char *read_path(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot read", path);
    size_t cap = 1 << 20;
    char *buf = calloc(1, cap);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static char *read_in(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return read_path(path);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void set(gp_scenario *sc, const char *assignment)
{
    char err[GP_SCENARIO_ERR_MAX];
    if (gp_scenario_set(sc, assignment, err, sizeof(err)) != GP_OK)
        fail_msg("%s: %s", assignment, err);
}

/* The accept-race sweep, small: 150 clients, rates 0 and 0.5, 2 seeds, the
 * fixed and the buggy server. */
static gp_sweep *accept_race_sweep(void)
{
    gp_sweep *sw = calloc(1, sizeof(*sw));
    assert_non_null(sw);
    gp_scenario_defaults(&sw->base);
    snprintf(sw->base.name, sizeof(sw->base.name), "accept_race");
    set(&sw->base, "clients.count=150");
    set(&sw->base, "clients.window_ms=1000");
    set(&sw->base, "expect.min_transition_success_rate=1");
    set(&sw->base, "expect.min_completion_rate=1");
    snprintf(sw->scenario_arg, sizeof(sw->scenario_arg), "scenarios/accept_race.json");
    char err[256];
    assert_int_equal(gp_sweep_parse_vary(&sw->spec, "faults.accept_race=0:0.5:0.5", err, sizeof(err)), 0);
    sw->spec.seeds = 2;
    sw->spec.variants_len = 2;
    snprintf(sw->spec.variants[0], sizeof(sw->spec.variants[0]), "server.bugs=[]");
    snprintf(sw->spec.variants[1], sizeof(sw->spec.variants[1]), "server.bugs=[\"accept_race\"]");
    return sw;
}

static void free_sweep(gp_sweep *sw)
{
    gp_sweep_free(sw);
    free(sw);
}

typedef struct progress_log {
    size_t calls, last_done, total;
} progress_log;

static void log_progress(void *ctx, size_t done, size_t total, const gp_sweep *sw,
                         const gp_sweep_row *last)
{
    progress_log *p = ctx;
    (void)sw;
    assert_non_null(last);
    assert_int_equal(done, p->last_done + 1);
    p->calls++;
    p->last_done = done;
    p->total = total;
}

/* ---- sweeps -------------------------------------------------------------- */

static void test_sweep_buggy_server_falls_fixed_stays_at_one(void **state)
{
    (void)state;
    gp_sweep *sw = accept_race_sweep();
    char err[512];
    assert_int_equal(gp_sweep_check(sw, err, sizeof(err)), GP_OK);
    progress_log log = {0};
    if (gp_sweep_run(sw, log_progress, &log, err, sizeof(err)) != GP_OK)
        fail_msg("gp_sweep_run: %s", err);
    assert_int_equal(sw->rows_len, 2 * 2 * 2);
    assert_int_equal(log.calls, 8);
    assert_int_equal(log.total, 8);
    const gp_sweep_point *fixed0 = &sw->agg[0], *fixed5 = &sw->agg[1];
    const gp_sweep_point *buggy0 = &sw->agg[2], *buggy5 = &sw->agg[3];
    for (const gp_sweep_point *p = fixed0; p <= fixed5; p++) {
        assert_true(p->tsr_min == 1.0 && p->cr_min == 1.0);
        assert_int_equal(p->passed_runs, 2);
    }
    assert_true(buggy0->tsr_min == 1.0);
    assert_int_equal(buggy0->passed_runs, 2);
    if (!(buggy5->tsr_max < buggy0->tsr_min))
        fail_msg("buggy server: success rate %f at 0.5, %f at 0", buggy5->tsr_max, buggy0->tsr_min);
    assert_true(buggy5->cr_max < 1.0);
    assert_int_equal(buggy5->passed_runs, 0);
    assert_true(buggy5->failed[GP_CHECK_INVALID_TRANSITIONS] == 2);
    assert_true(buggy5->first_failed_seed[GP_CHECK_INVALID_TRANSITIONS] == sw->base.seed);
    char replay[1024];
    gp_sweep_replay(sw, 1, 1, 2, replay, sizeof(replay));
    assert_string_equal(replay, "goldpath run scenarios/accept_race.json --seed 2 --clients 150"
                                " --set 'server.bugs=[\"accept_race\"]' --set faults.accept_race=0.5");
    free_sweep(sw);
}

static void test_sweep_refuses_unknown_field_and_bad_values_first(void **state)
{
    (void)state;
    gp_sweep *sw = accept_race_sweep();
    char err[1024];
    assert_int_equal(gp_sweep_parse_vary(&sw->spec, "faults.no_such_rate=0:0.5:0.5", err, sizeof(err)), 0);
    assert_int_not_equal(gp_sweep_check(sw, err, sizeof(err)), GP_OK);
    assert_non_null(strstr(err, "faults.no_such_rate"));
    /* a value out of the field's range, at the last point only */
    assert_int_equal(gp_sweep_parse_vary(&sw->spec, "faults.accept_race=0:1.5:0.5", err, sizeof(err)), 0);
    assert_int_not_equal(gp_sweep_check(sw, err, sizeof(err)), GP_OK);
    assert_non_null(strstr(err, "faults.accept_race"));
    /* a bad variant */
    assert_int_equal(gp_sweep_parse_vary(&sw->spec, "faults.accept_race=0:0.5:0.5", err, sizeof(err)), 0);
    snprintf(sw->spec.variants[1], sizeof(sw->spec.variants[1]), "server.bugs=[\"no_such_bug\"]");
    assert_int_not_equal(gp_sweep_check(sw, err, sizeof(err)), GP_OK);
    assert_non_null(strstr(err, "server.bugs"));
    free_sweep(sw);
}

static void test_sweep_files_are_deterministic_and_junit_has_a_case_per_check(void **state)
{
    (void)state;
    char *dirs[2] = {tmp_dir_make(), tmp_dir_make()};
    char err[512];
    for (int k = 0; k < 2; k++) {
        gp_sweep *sw = accept_race_sweep();
        assert_int_equal(gp_sweep_run(sw, NULL, NULL, err, sizeof(err)), GP_OK);
        assert_int_equal(gp_sweep_write(sw, dirs[k], "goldpath sweep x", err, sizeof(err)), 0);
        char junit[1200];
        snprintf(junit, sizeof(junit), "%s/junit.xml", dirs[k]);
        assert_int_equal(gp_sweep_write_junit(sw, junit, err, sizeof(err)), 0);
        free_sweep(sw);
    }
    static const char *const files[] = {"sweep.csv", "sweep_summary.csv", "sweep.json",
                                        "scenario.json", "junit.xml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *a = read_in(dirs[0], files[i]), *b = read_in(dirs[1], files[i]);
        if (strcmp(a, b) != 0)
            fail_msg("%s differs between two runs of the same sweep", files[i]);
        free(a);
        free(b);
    }
    char *csv = read_in(dirs[0], "sweep.csv");
    static const char head[] = "variant,value,seed,transition_success_rate,completion_rate,passed\n"
                               "server.bugs=[],0,1,1.000000,1.000000,1\n";
    assert_int_equal(strncmp(csv, head, strlen(head)), 0);
    assert_non_null(strstr(csv, "\n\"server.bugs=[\"\"accept_race\"\"]\",0.5,2,"));
    free(csv);
    char *x = read_in(dirs[0], "junit.xml");
    assert_int_equal(count(x, "<testsuite "), 4);
    assert_int_equal(count(x, "<testcase "), 4 * GP_CHECK_COUNT);
    assert_true(count(x, "<failure ") > 0);
    assert_non_null(strstr(x, "name=\"invalid_transitions [faults.accept_race=0.5; "
                              "server.bugs=[&quot;accept_race&quot;]]\" time=\"0.000\">\n      <failure"));
    /* the fixed server passes it: a case without children */
    assert_non_null(strstr(x, "name=\"invalid_transitions [faults.accept_race=0.5; "
                              "server.bugs=[]]\" time=\"0.000\"/>"));
    free(x);
    tmp_dir_remove(dirs[0]);
    tmp_dir_remove(dirs[1]);
}

/* ---- a run's folder: JUnit and the page ---------------------------------- */

/* Runs a small scenario in simulation and writes its folder into dir. */
static void write_run(const char *dir, const char *bugs, const char *description)
{
    gp_scenario sc;
    gp_scenario_defaults(&sc);
    snprintf(sc.name, sizeof(sc.name), "report_test");
    snprintf(sc.description, sizeof(sc.description), "%s", description);
    set(&sc, "clients.count=120");
    set(&sc, "faults.accept_race=0.3");
    set(&sc, bugs);
    gp_run *run = calloc(1, sizeof(*run));
    char err[512];
    assert_int_equal(gp_run_init(run, &sc), GP_OK);
    assert_int_equal(gp_sim_run(run, NULL, err, sizeof(err)), GP_OK);
    assert_int_equal(gp_report_write(run, dir, err, sizeof(err)), GP_OK);
    gp_run_free(run);
    free(run);
}

static void test_junit_of_a_run_has_one_case_per_check(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    write_run(dir, "server.bugs=[\"accept_race\"]", "");
    char err[512], path[1200];
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    assert_int_equal(gp_junit_write_run(dir, path, err, sizeof(err)), 0);
    char *x = read_path(path), *summary = read_in(dir, "summary.json");
    /* one case per check and per expectation (the incident's log
     * signatures, forbidden by default) */
    size_t cases = GP_CHECK_COUNT + GP_SIGNATURE_COUNT;
    assert_int_equal(count(x, "<testcase "), cases);
    size_t failed = count(summary, "\"status\": \"failed\"");
    assert_true(failed > 0);
    assert_int_equal(count(x, "<failure "), failed);
    char attr[64];
    snprintf(attr, sizeof(attr), "tests=\"%zu\" failures=\"%zu\"", cases, failed);
    assert_int_equal(count(x, attr), 2); /* <testsuites> and <testsuite> */
    assert_non_null(strstr(x, "<testcase classname=\"goldpath.report_test\" name=\"invalid_transitions\" time=\"0.000\">"));
    assert_non_null(strstr(x, "--trace-client"));
    free(x);
    free(summary);
    assert_int_equal(gp_junit_write_run(dir, "/nonexistent/dir/junit.xml", err, sizeof(err)), GP_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/dir/junit.xml"));
    tmp_dir_remove(dir);
}

static void test_page_escapes_scenario_text_and_says_why_no_plots(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    write_run(dir, "server.bugs=[]", "<script>alert(1)</script> & <b>bold</b>");
    char note[512], err[512];
    assert_int_equal(gp_render_folder_kind(dir), GP_FOLDER_RUN);
    assert_int_equal(gp_render_folder(dir, false, note, sizeof(note), err, sizeof(err)), GP_RENDER_OK);
    char *page = read_in(dir, "report.html");
    assert_null(strstr(page, "<script>"));
    assert_null(strstr(page, "<b>bold</b>"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"));
    assert_non_null(strstr(page, "--no-plots"));
    assert_null(strstr(page, "<img"));
    free(page);

    /* without gnuplot on PATH: the page is still written, and says why */
    char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent", 1);
    assert_false(gp_gnuplot_found());
    gp_render_status st = gp_render_folder(dir, true, note, sizeof(note), err, sizeof(err));
    if (path) {
        setenv("PATH", path, 1);
        free(path);
    }
    assert_int_equal(st, GP_RENDER_NO_PLOTS);
    assert_int_equal(strncmp(note, GP_GNUPLOT_MISSING, strlen(GP_GNUPLOT_MISSING)), 0);
    page = read_in(dir, "report.html");
    assert_non_null(strstr(page, "gnuplot not found"));
    assert_null(strstr(page, "<img"));
    free(page);
    tmp_dir_remove(dir);
}

static void test_render_refuses_a_folder_that_is_no_report(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    char note[256], err[512];
    assert_int_equal(gp_render_folder_kind(dir), GP_FOLDER_NONE);
    assert_int_equal(gp_render_folder(dir, true, note, sizeof(note), err, sizeof(err)),
                     GP_RENDER_ERROR);
    assert_non_null(strstr(err, "not a goldpath report folder"));
    tmp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_buggy_server_falls_fixed_stays_at_one),
        cmocka_unit_test(test_sweep_refuses_unknown_field_and_bad_values_first),
        cmocka_unit_test(test_sweep_files_are_deterministic_and_junit_has_a_case_per_check),
        cmocka_unit_test(test_junit_of_a_run_has_one_case_per_check),
        cmocka_unit_test(test_page_escapes_scenario_text_and_says_why_no_plots),
        cmocka_unit_test(test_render_refuses_a_folder_that_is_no_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
