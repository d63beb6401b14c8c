/* gp_plot_data.c: derived data for the run plots; see gp_plot_data.h. */
#include "gp_plot_data.h"
#include "gp_error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_csv.h"

#define CONN_FIELDS_MAX 64

/* A growing array of latencies. */
typedef struct lat_vec {
    double *v;
    size_t n, cap;
} lat_vec;

static int lat_push(lat_vec *a, double x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 1024;
        double *grown = realloc(a->v, cap * sizeof(*grown));
        if (!grown)
            return GP_ERR_IO;
        a->v = grown;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int find_field(char **f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return (int)i;
    return GP_ERR_IO;
}

/* Reads the ready and completed latencies of every client. */
static int read_latencies(FILE *in, const char *path, lat_vec *ready, lat_vec *done,
                          unsigned long long *clients, char *err, size_t err_len)
{
    char *line = NULL, *f[CONN_FIELDS_MAX];
    size_t cap = 0;
    int c_ready = -1, c_done = -1, c_outcome = -1, rc = 0;
    bool header = true;
    *clients = 0;
    while (rc == 0 && getline(&line, &cap, in) >= 0) {
        size_t n = gp_csv_split(line, f, CONN_FIELDS_MAX);
        if (header) {
            c_ready = find_field(f, n, "ready_ms");
            c_done = find_field(f, n, "done_ms");
            c_outcome = find_field(f, n, "outcome");
            header = false;
            if (c_ready < 0 || c_done < 0 || c_outcome < 0) {
                snprintf(err, err_len, "%s: no ready_ms, done_ms or outcome column", path);
                rc = GP_ERR_IO;
            }
            continue;
        }
        if (n <= (size_t)c_ready || n <= (size_t)c_done || n <= (size_t)c_outcome)
            continue;
        (*clients)++;
        double r = strtod(f[c_ready], NULL), d = strtod(f[c_done], NULL);
        if (r >= 0 && lat_push(ready, r) != 0)
            rc = GP_ERR_IO;
        if (strcmp(f[c_outcome], "completed") == 0 && d >= 0 && lat_push(done, d) != 0)
            rc = GP_ERR_IO;
        if (rc)
            snprintf(err, err_len, "%s: out of memory", path);
    }
    free(line);
    if (rc == 0 && header) {
        snprintf(err, err_len, "%s: empty", path);
        rc = GP_ERR_IO;
    }
    return rc;
}

void gp_plot_data_write_cdf(FILE *out, double *ready, size_t n_ready, double *done,
                            size_t n_done, unsigned long long clients)
{
    if (n_ready > 1) /* qsort's base must not be NULL, even for 0 items */
        qsort(ready, n_ready, sizeof(double), cmp_double);
    if (n_done > 1)
        qsort(done, n_done, sizeof(double), cmp_double);
    double total = clients ? (double)clients : 1.0;
    fprintf(out, "ms,ready,completed\n");
    if (n_ready == 0 && n_done == 0)
        fprintf(out, "0,0.000000,0.000000\n");
    size_t i = 0, j = 0;
    while (i < n_ready || j < n_done) {
        double x = i < n_ready ? ready[i] : done[j];
        if (j < n_done && done[j] < x)
            x = done[j];
        while (i < n_ready && ready[i] <= x)
            i++;
        while (j < n_done && done[j] <= x)
            j++;
        fprintf(out, "%.17g,%.6f,%.6f\n", x, (double)i / total, (double)j / total);
    }
}

int gp_plot_data_cdf(const char *dir, unsigned long long *clients, char *err, size_t err_len)
{
    char in_path[1200], out_path[1200];
    snprintf(in_path, sizeof(in_path), "%s/connections.csv", dir);
    snprintf(out_path, sizeof(out_path), "%s/latency_cdf.csv", dir);
    FILE *in = fopen(in_path, "r");
    if (!in) {
        snprintf(err, err_len, "%s: %s", in_path, strerror(errno));
        return GP_ERR_IO;
    }
    lat_vec ready = {0}, done = {0};
    int rc = read_latencies(in, in_path, &ready, &done, clients, err, err_len);
    fclose(in);
    if (rc == 0) {
        FILE *out = fopen(out_path, "w");
        if (!out) {
            snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
            rc = GP_ERR_IO;
        } else {
            gp_plot_data_write_cdf(out, ready.v, ready.n, done.v, done.n, *clients);
            if (fclose(out) != 0) {
                snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
                rc = GP_ERR_IO;
            }
        }
    }
    free(ready.v);
    free(done.v);
    return rc;
}

static int state_index(gp_heatmap_info *info, const char *name)
{
    for (int i = 0; i < info->n_states; i++)
        if (strcmp(info->names[i], name) == 0)
            return i;
    if (info->n_states == GP_PLOT_STATES_MAX)
        return GP_ERR_IO;
    snprintf(info->names[info->n_states], GP_PLOT_STATE_NAME_MAX, "%s", name);
    return info->n_states++;
}

int gp_plot_data_heatmap(const char *dir, gp_heatmap_info *info, char *err, size_t err_len)
{
    char in_path[1200], out_path[1200];
    snprintf(in_path, sizeof(in_path), "%s/transitions.csv", dir);
    snprintf(out_path, sizeof(out_path), "%s/heatmap.csv", dir);
    memset(info, 0, sizeof(*info));
    gp_csv t;
    if (gp_csv_load(&t, in_path, err, err_len) != 0)
        return GP_ERR_IO;
    int c_from = gp_csv_col(&t, "from"), c_to = gp_csv_col(&t, "to");
    int c_att = gp_csv_col(&t, "attempted"), c_fail = gp_csv_col(&t, "failed");
    int c_legal = gp_csv_col(&t, "legal");
    if (c_from < 0 || c_to < 0 || c_att < 0 || c_fail < 0 || c_legal < 0) {
        snprintf(err, err_len, "%s: expected columns from,to,legal,attempted,failed", in_path);
        gp_csv_free(&t);
        return GP_ERR_IO;
    }
    /* counts[from][to]: attempted, failed, legal */
    double counts[GP_PLOT_STATES_MAX][GP_PLOT_STATES_MAX][3];
    memset(counts, 0, sizeof(counts));
    for (size_t r = 0; r < t.nrows; r++) {
        int a = state_index(info, gp_csv_cell(&t, r, c_from));
        int b = state_index(info, gp_csv_cell(&t, r, c_to));
        if (a < 0 || b < 0)
            continue;
        counts[a][b][0] = gp_csv_num(&t, r, c_att);
        counts[a][b][1] = gp_csv_num(&t, r, c_fail);
        counts[a][b][2] = gp_csv_num(&t, r, c_legal);
        for (int k = 0; k < 2; k++)
            if (counts[a][b][k] > info->max_count)
                info->max_count = counts[a][b][k];
    }
    gp_csv_free(&t);
    FILE *out = fopen(out_path, "w");
    if (!out) {
        snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
        return GP_ERR_IO;
    }
    fprintf(out, "from_index,to_index,attempted,failed,legal\n");
    for (int a = 0; a < info->n_states; a++) {
        for (int b = 0; b < info->n_states; b++)
            fprintf(out, "%d,%d,%.0f,%.0f,%.0f\n", a, b, counts[a][b][0], counts[a][b][1],
                    counts[a][b][2]);
        fputc('\n', out);
    }
    if (fclose(out) != 0) {
        snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
        return GP_ERR_IO;
    }
    return 0;
}
