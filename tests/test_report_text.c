/* test_report_text.c: the text-level pieces of reports -- escaping for
 * HTML/XML, gnuplot, CSV and the shell (so scenario text can never change
 * the structure of a page, a script or a replay command); the CSV reader
 * that renders folders again; --vary parsing and the values it yields; and
 * the derived plot data (latency CDF, transition heat map) computed from a
 * folder's CSVs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gp_error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp_csv.h"
#include "gp_esc.h"
#include "gp_plot_data.h"
#include "gp_sweep.h"
#include "tmp_dir.h"

/* ---- helpers ------------------------------------------------------------- */

/* What fn writes to a FILE, as a malloc'd string. */
static char *capture(void (*fn)(FILE *, const char *), const char *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, in);
    fclose(f);
    return buf;
}

static void assert_capture(void (*fn)(FILE *, const char *), const char *in, const char *want)
{
    char *got = capture(fn, in);
    if (strcmp(got, want) != 0)
        fail_msg("escaping [%s]: got [%s], want [%s]", in, got, want);
    free(got);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot read", path);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- escaping ------------------------------------------------------------ */

static void test_xml_escapes_markup_and_control_characters(void **state)
{
    (void)state;
    assert_capture(gp_esc_xml, "<script>a & \"b\" 'c'</script>",
                   "&lt;script&gt;a &amp; &quot;b&quot; &#39;c&#39;&lt;/script&gt;");
    assert_capture(gp_esc_xml, "tab\there\nline\x01\x1f\x7f", "tab\there\nline???");
    assert_capture(gp_esc_xml, "caf\xc3\xa9", "caf\xc3\xa9"); /* UTF-8 passes */
    assert_capture(gp_esc_xml, "", "");
}

static void test_gnuplot_strings_double_quotes_and_lose_newlines(void **state)
{
    (void)state;
    assert_capture(gp_esc_gnuplot, "it's", "it''s");
    assert_capture(gp_esc_gnuplot, "a\nb\rc", "a b c");
    assert_capture(gp_esc_gnuplot, "server.bugs=[\"accept_race\"]", "server.bugs=[\"accept_race\"]");
}

static void test_csv_fields_quoted_only_when_needed(void **state)
{
    (void)state;
    assert_capture(gp_esc_csv, "server.bugs=[]", "server.bugs=[]");
    assert_capture(gp_esc_csv, "server.bugs=[\"a\",\"b\"]", "\"server.bugs=[\"\"a\"\",\"\"b\"\"]\"");
    assert_capture(gp_esc_csv, "two\nlines", "\"two\nlines\"");
}

static void test_shell_words_survive_the_shell(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"scenarios/accept_race.json", "scenarios/accept_race.json"},
        {"faults.accept_race=0.3", "faults.accept_race=0.3"},
        {"server.bugs=[\"accept_race\"]", "'server.bugs=[\"accept_race\"]'"},
        {"a b", "'a b'"},
        {"it's", "'it'\\''s'"},
        {"$(rm -rf /)", "'$(rm -rf /)'"},
        {"", "''"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        gp_esc_shell(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("shell word of [%s]: got [%s], want [%s]", cases[i].in, out, cases[i].want);
        /* and the shell reads it back as the original word */
        char cmd[600], back[256] = "";
        snprintf(cmd, sizeof(cmd), "printf '%%s' %s", out);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(back, 1, sizeof(back) - 1, p);
        back[n] = '\0';
        pclose(p);
        assert_string_equal(back, cases[i].in);
    }
    char tiny[6];
    gp_esc_shell("a b c d e f", tiny, sizeof(tiny));
    assert_int_equal(strlen(tiny), 5); /* truncated, terminated */
}

/* ---- CSV reader ---------------------------------------------------------- */

static void test_csv_split_handles_quotes(void **state)
{
    (void)state;
    char line[] = "a,\"b,c\",\"d\"\"e\",,last\r\n";
    char *f[8];
    size_t n = gp_csv_split(line, f, 8);
    assert_int_equal(n, 5);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b,c");
    assert_string_equal(f[2], "d\"e");
    assert_string_equal(f[3], "");
    assert_string_equal(f[4], "last");
    char two[] = "x,y,z";
    assert_int_equal(gp_csv_split(two, f, 2), 2); /* at most max */
}

static void test_csv_load_pads_short_rows_and_skips_comments(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    write_file(dir, "t.csv", "# a comment\nname,rate,fired\nx,0.5,3\n\ny,0.25\n");
    char path[1200], err[256];
    snprintf(path, sizeof(path), "%s/t.csv", dir);
    gp_csv t;
    assert_int_equal(gp_csv_load(&t, path, err, sizeof(err)), 0);
    assert_int_equal(t.ncols, 3);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(gp_csv_col(&t, "fired"), 2);
    assert_int_equal(gp_csv_col(&t, "nope"), -1);
    assert_string_equal(gp_csv_cell(&t, 1, 0), "y");
    assert_string_equal(gp_csv_cell(&t, 1, 2), "");
    assert_true(gp_csv_num(&t, 0, 1) == 0.5);
    assert_string_equal(gp_csv_cell(&t, 9, 0), "");
    gp_csv_free(&t);
    snprintf(path, sizeof(path), "%s/missing.csv", dir);
    assert_int_equal(gp_csv_load(&t, path, err, sizeof(err)), GP_ERR_IO);
    assert_non_null(strstr(err, "missing.csv"));
    tmp_dir_remove(dir);
}

/* ---- --vary -------------------------------------------------------------- */

static void test_vary_parses_the_series(void **state)
{
    (void)state;
    gp_sweep_spec s;
    char err[256], text[64];
    memset(&s, 0, sizeof(s));
    assert_int_equal(gp_sweep_parse_vary(&s, "faults.accept_race=0:0.5:0.1", err, sizeof(err)), 0);
    assert_string_equal(s.field, "faults.accept_race");
    assert_int_equal(s.points, 6);
    const char *want[] = {"0", "0.1", "0.2", "0.3", "0.4", "0.5"};
    for (uint32_t i = 0; i < s.points; i++) {
        gp_sweep_value_text(gp_sweep_value(&s, i), text, sizeof(text));
        assert_string_equal(text, want[i]);
    }
    assert_int_equal(gp_sweep_parse_vary(&s, "clients.count=100:1000000:99990", err, sizeof(err)), 0);
    assert_int_equal(s.points, 11);
    gp_sweep_value_text(gp_sweep_value(&s, 10), text, sizeof(text));
    assert_string_equal(text, "1000000"); /* an integer field gets an integer */
    assert_int_equal(gp_sweep_parse_vary(&s, "network.drop_rate=0.2:0:-0.05", err, sizeof(err)), 0);
    assert_int_equal(s.points, 5);
    assert_int_equal(gp_sweep_parse_vary(&s, "seed=7:7:0", err, sizeof(err)), 0);
    assert_int_equal(s.points, 1);
}

static void test_vary_refuses_bad_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "faults.accept_race",       /* no = */
        "=0:1:0.1",                 /* no field */
        "faults.accept_race=0:0.5", /* two parts */
        "faults.accept_race=0:0.5:0.1:2",
        "faults.accept_race=a:0.5:0.1",
        "faults.accept_race=0:0.5:0",    /* no step */
        "faults.accept_race=0:0.5:-0.1", /* away from TO */
        "faults.accept_race=0:1:0.0001", /* 10001 values */
        "faults.accept_race=0:inf:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gp_sweep_spec s;
        char err[256] = "";
        memset(&s, 0, sizeof(s));
        if (gp_sweep_parse_vary(&s, bad[i], err, sizeof(err)) == 0)
            fail_msg("--vary %s was accepted", bad[i]);
        assert_non_null(strstr(err, "--vary"));
    }
}

/* ---- derived plot data --------------------------------------------------- */

static void test_latency_cdf_counts_shares_of_all_clients(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    /* ready: 10, 20, never, 20; completed: 100, 50 (a reset client's done
     * time and a failed client's are not completions) */
    write_file(dir, "connections.csv",
               "client,user,auth,start_ms,connect_ms,ready_ms,first_event_ms,done_ms,outcome,failure\n"
               "0,u0,header,0,5,10,3,100,completed,\n"
               "1,u1,header,0,5,20,3,50,completed,\n"
               "2,u2,header,0,5,-1,-1,300,failed,\"no ready, ever\"\n"
               "3,u3,header,0,5,20,3,70,reset,\n");
    char err[256];
    unsigned long long clients = 0;
    assert_int_equal(gp_plot_data_cdf(dir, &clients, err, sizeof(err)), 0);
    assert_int_equal(clients, 4);
    char *got = read_file(dir, "latency_cdf.csv");
    assert_string_equal(got, "ms,ready,completed\n"
                             "10,0.250000,0.000000\n"
                             "20,0.750000,0.000000\n"
                             "50,0.750000,0.250000\n"
                             "100,0.750000,0.500000\n");
    free(got);
    write_file(dir, "connections.csv", "client,ready_ms,done_ms,outcome\n");
    assert_int_equal(gp_plot_data_cdf(dir, &clients, err, sizeof(err)), 0);
    got = read_file(dir, "latency_cdf.csv");
    assert_string_equal(got, "ms,ready,completed\n0,0.000000,0.000000\n"); /* still plottable */
    free(got);
    write_file(dir, "connections.csv", "client,start_ms\n0,1\n");
    assert_int_equal(gp_plot_data_cdf(dir, &clients, err, sizeof(err)), GP_ERR_IO);
    assert_non_null(strstr(err, "ready_ms"));
    tmp_dir_remove(dir);
}

static void test_heatmap_is_a_grid_in_state_order(void **state)
{
    (void)state;
    char *dir = tmp_dir_make();
    write_file(dir, "transitions.csv",
               "from,to,legal,attempted,failed\n"
               "CONNECTING,CONNECTING,0,0,0\nCONNECTING,ACCEPTED,1,7,0\n"
               "ACCEPTED,CONNECTING,0,3,3\nACCEPTED,ACCEPTED,0,0,0\n");
    char err[256];
    gp_heatmap_info info;
    assert_int_equal(gp_plot_data_heatmap(dir, &info, err, sizeof(err)), 0);
    assert_int_equal(info.n_states, 2);
    assert_string_equal(info.names[0], "CONNECTING");
    assert_string_equal(info.names[1], "ACCEPTED");
    assert_true(info.max_count == 7);
    char *got = read_file(dir, "heatmap.csv");
    assert_string_equal(got, "from_index,to_index,attempted,failed,legal\n"
                             "0,0,0,0,0\n0,1,7,0,1\n\n"
                             "1,0,3,3,0\n1,1,0,0,0\n\n");
    free(got);
    tmp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escapes_markup_and_control_characters),
        cmocka_unit_test(test_gnuplot_strings_double_quotes_and_lose_newlines),
        cmocka_unit_test(test_csv_fields_quoted_only_when_needed),
        cmocka_unit_test(test_shell_words_survive_the_shell),
        cmocka_unit_test(test_csv_split_handles_quotes),
        cmocka_unit_test(test_csv_load_pads_short_rows_and_skips_comments),
        cmocka_unit_test(test_vary_parses_the_series),
        cmocka_unit_test(test_vary_refuses_bad_syntax),
        cmocka_unit_test(test_latency_cdf_counts_shares_of_all_clients),
        cmocka_unit_test(test_heatmap_is_a_grid_in_state_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
