/* gp_report_clients.c: latency_cdf.csv and clients_timeline.csv from the
 * client records; see gp_report_clients.h. */
#include "gp_report_clients.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_files.h"
#include "gp_plot_data.h"

/* A latency of a client that started in `bucket`. */
typedef struct lat_pair {
    uint64_t bucket, ms;
} lat_pair;

static int cmp_pair(const void *a, const void *b)
{
    const lat_pair *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return (x->ms > y->ms) - (x->ms < y->ms);
}

static bool completed(const gp_vclient *c)
{
    return c->outcome == GP_VC_COMPLETED && c->t_done;
}

static int write_cdf(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    size_t n = run->n_clients ? run->n_clients : 1, nr = 0, nd = 0;
    double *ready = malloc(n * sizeof(double)), *done = malloc(n * sizeof(double));
    if (!ready || !done) {
        free(ready);
        free(done);
        return GP_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        if (c->t_ready)
            ready[nr++] = (double)(c->t_ready - c->t_start);
        if (completed(c))
            done[nd++] = (double)(c->t_done - c->t_start);
    }
    FILE *f = gp_files_open(dir, "latency_cdf.csv", err, err_len);
    if (f)
        gp_plot_data_write_cdf(f, ready, nr, done, nd, run->n_clients);
    free(ready);
    free(done);
    if (!f)
        return GP_ERR_IO;
    return gp_files_close(f, dir, "latency_cdf.csv", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

/* Nearest rank over v[0..n) (sorted by ms): the smallest value with at
 * least p of the data at or below it. */
static uint64_t rank(const lat_pair *v, size_t n, double p)
{
    size_t r = (size_t)(p * (double)n + 0.999999);
    r = r == 0 ? 1 : r > n ? n : r;
    return v[r - 1].ms;
}

/* Writes ",N,P50,P95,P99" for the group v[0..n) (empty cells when n is 0). */
static void percentile_cells(FILE *f, const lat_pair *v, size_t n)
{
    if (n == 0) {
        fputs(",0,,,", f);
        return;
    }
    fprintf(f, ",%zu,%llu,%llu,%llu", n, (unsigned long long)rank(v, n, 0.50),
            (unsigned long long)rank(v, n, 0.95), (unsigned long long)rank(v, n, 0.99));
}

typedef struct counts {
    uint64_t started, opened, ready, completed;
} counts;

static uint64_t bucket_of(uint64_t t_ms, uint32_t bucket_ms)
{
    return t_ms / bucket_ms;
}

static void write_rows(FILE *f, uint32_t b_ms, const counts *per, size_t nb,
                       const lat_pair *ready, size_t nr, const lat_pair *done, size_t nd)
{
    double per_s = 1000.0 / (double)b_ms;
    fprintf(f, "t_ms,opened,ready,completed,opened_per_s,ready_per_s,completed_per_s,started,"
               "ready_n,ready_p50_ms,ready_p95_ms,ready_p99_ms,completed_n,completed_p50_ms,"
               "completed_p95_ms,completed_p99_ms\n");
    size_t i = 0, j = 0;
    for (size_t b = 0; b < nb; b++) {
        const counts *c = &per[b];
        fprintf(f, "%llu,%llu,%llu,%llu,%.3f,%.3f,%.3f,%llu",
                (unsigned long long)((b + 1) * b_ms), (unsigned long long)c->opened,
                (unsigned long long)c->ready, (unsigned long long)c->completed,
                (double)c->opened * per_s, (double)c->ready * per_s,
                (double)c->completed * per_s, (unsigned long long)c->started);
        size_t i0 = i, j0 = j;
        while (i < nr && ready[i].bucket == b)
            i++;
        while (j < nd && done[j].bucket == b)
            j++;
        percentile_cells(f, ready + i0, i - i0);
        percentile_cells(f, done + j0, j - j0);
        fputc('\n', f);
    }
}

static int write_timeline(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    uint32_t b_ms = run->sc.report.bucket_ms ? run->sc.report.bucket_ms : 100;
    uint64_t last = run->end_ms;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        uint64_t t[] = {c->t_start, c->t_open, c->t_ready, c->t_done};
        for (int k = 0; k < 4; k++)
            last = t[k] > last ? t[k] : last;
    }
    size_t nb = (size_t)bucket_of(last, b_ms) + 1, n = run->n_clients ? run->n_clients : 1;
    counts *per = calloc(nb, sizeof(*per));
    lat_pair *ready = malloc(n * sizeof(*ready)), *done = malloc(n * sizeof(*done));
    int rc = per && ready && done ? GP_OK : GP_ERR_NOMEM;
    size_t nr = 0, nd = 0;
    for (uint32_t i = 0; rc == GP_OK && i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        uint64_t start = bucket_of(c->t_start, b_ms);
        per[start].started++;
        if (c->t_open)
            per[bucket_of(c->t_open, b_ms)].opened++;
        if (c->t_ready) {
            per[bucket_of(c->t_ready, b_ms)].ready++;
            ready[nr++] = (lat_pair){start, c->t_ready - c->t_start};
        }
        if (completed(c)) {
            per[bucket_of(c->t_done, b_ms)].completed++;
            done[nd++] = (lat_pair){start, c->t_done - c->t_start};
        }
    }
    FILE *f = rc == GP_OK ? gp_files_open(dir, "clients_timeline.csv", err, err_len) : NULL;
    if (rc == GP_OK && !f)
        rc = GP_ERR_IO;
    if (f) {
        if (nr > 1)
            qsort(ready, nr, sizeof(*ready), cmp_pair);
        if (nd > 1)
            qsort(done, nd, sizeof(*done), cmp_pair);
        write_rows(f, b_ms, per, nb, ready, nr, done, nd);
        rc = gp_files_close(f, dir, "clients_timeline.csv", err, err_len) == 0 ? GP_OK
                                                                              : GP_ERR_IO;
    }
    free(per);
    free(ready);
    free(done);
    return rc;
}

int gp_report_clients_write(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    int rc = write_cdf(run, dir, err, err_len);
    return rc == GP_OK ? write_timeline(run, dir, err, err_len) : rc;
}
