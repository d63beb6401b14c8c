/* gp_csv.h: reading back the CSV files of a report folder (faults.csv,
 * transitions.csv, connections.csv, sweep_summary.csv) so that plots and
 * pages can be rendered again from the folder alone (`goldpath plot`).
 * Fields may be RFC 4180 quoted; lines starting with '#' and blank lines
 * are skipped. */
#ifndef GP_CSV_H
#define GP_CSV_H

#include <stddef.h>

/* A whole CSV file in memory: row 0 is the header. */
typedef struct gp_csv {
    char *buf;     /* the file's bytes, split in place */
    char **cells;  /* (nrows + 1) * ncols pointers into buf */
    size_t ncols;  /* the header's field count */
    size_t nrows;  /* data rows, header excluded */
} gp_csv;

/* Splits one line in place (the line's end at NUL, '\n' or '\r') into at
 * most `max` fields; quoted fields lose their quotes and "" becomes ".
 * Returns the number of fields. */
size_t gp_csv_split(char *line, char **fields, size_t max);

/* Loads `path`.  Rows with fewer fields than the header get "" for the
 * rest; extra fields are dropped.  Returns GP_OK, or GP_ERR_IO with the path and the
 * reason in err (missing file, no header, out of memory). */
int gp_csv_load(gp_csv *t, const char *path, char *err, size_t err_len);
void gp_csv_free(gp_csv *t);

/* The header index of `name`, or -1. */
int gp_csv_col(const gp_csv *t, const char *name);

/* Data row `row` (0-based), column `col`; "" outside the table. */
const char *gp_csv_cell(const gp_csv *t, size_t row, int col);

/* Same, as a number (0 when empty or not a number). */
double gp_csv_num(const gp_csv *t, size_t row, int col);

#endif
