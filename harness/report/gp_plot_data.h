/* gp_plot_data.h: the small derived data files the run plots need beyond
 * the run's own CSVs -- latency_cdf.csv (time-to-ready and time-to-completed
 * as cumulative shares of all clients) and heatmap.csv (transitions.csv as
 * a from x to grid).  Both are computed from the folder's files alone and
 * are deterministic: the same folder gives the same bytes. */
#ifndef GP_PLOT_DATA_H
#define GP_PLOT_DATA_H

#include <stddef.h>
#include <stdio.h>

#define GP_PLOT_STATES_MAX 16
#define GP_PLOT_STATE_NAME_MAX 32

/* What the heat map's script needs to know about its data. */
typedef struct gp_heatmap_info {
    int n_states;
    char names[GP_PLOT_STATES_MAX][GP_PLOT_STATE_NAME_MAX];
    double max_count; /* the largest attempted or failed count */
} gp_heatmap_info;

/* Reads DIR/connections.csv and writes DIR/latency_cdf.csv with columns
 * ms,ready,completed: for each distinct latency, the share of all clients
 * that reached connection_ready (completed their last request) within that
 * many ms of starting.  *clients gets the number of clients.  Returns GP_OK, or
 * GP_ERR_IO with the reason in err. */
int gp_plot_data_cdf(const char *dir, unsigned long long *clients, char *err,
                     size_t err_len);

/* Writes latency_cdf.csv's content (above) to out from the ready and
 * completed latencies (ms; sorted here, in place) of `clients` clients. */
void gp_plot_data_write_cdf(FILE *out, double *ready, size_t n_ready, double *done,
                            size_t n_done, unsigned long long clients);

/* Reads DIR/transitions.csv and writes DIR/heatmap.csv with columns
 * from_index,to_index,attempted,failed,legal (a blank line after each from
 * state), filling *info.  Returns GP_OK, or GP_ERR_IO with the reason in err. */
int gp_plot_data_heatmap(const char *dir, gp_heatmap_info *info, char *err,
                         size_t err_len);

#endif
