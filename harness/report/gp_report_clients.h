/* gp_report_clients.h: what the plots need from the per-client records,
 * computed when the run writes its folder, so that the plots and the page
 * work without connections.csv (report.connections_csv: false, for runs of
 * millions of clients) and `goldpath plot` draws them again from the folder:
 *
 * - latency_cdf.csv: ms,ready,completed -- for each distinct latency, the
 *   share of all clients that reached connection_ready (completed the golden
 *   path) within that many ms of starting (the same bytes gp_plot_data_cdf
 *   derives from connections.csv);
 * - clients_timeline.csv: per report.bucket_ms bucket, ending at t_ms:
 *   connections opened, clients ready and clients completed in the bucket
 *   (counts, and per second), and of the clients that started in the
 *   bucket, how many there were and the p50/p95/p99 of their time to ready
 *   and to completed (nearest rank, as summary.json's percentiles); a
 *   percentile cell is empty when no client of the bucket got there.
 *
 * Deterministic: the client records of a simulated run are. */
#ifndef GP_REPORT_CLIENTS_H
#define GP_REPORT_CLIENTS_H

#include <stddef.h>

#include "gp_run.h"

/* Writes DIR/latency_cdf.csv and DIR/clients_timeline.csv.  Returns GP_OK,
 * GP_ERR_NOMEM, or GP_ERR_IO with the path and reason in err. */
int gp_report_clients_write(const gp_run *run, const char *dir, char *err, size_t err_len);

#endif
