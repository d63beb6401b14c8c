/* gp_folder.h: which folder a run or a sweep writes, and its ownership of
 * it.  A run owns its folder: it refuses a folder that holds anything and is
 * not a goldpath report folder (so that `--out ~/project` never mixes a
 * report into someone's files), and in a report folder it first removes
 * what an earlier goldpath run or sweep wrote there, by name -- so a file of
 * the earlier run (a trace-client-K.txt, a fault plot) never passes for one
 * of this run -- and nothing else.
 *
 * A folder is a goldpath report folder when it holds the marker file
 * GP_FOLDER_MARKER (written by every run and sweep since the marker was
 * introduced), or a summary.json or sweep.json that goldpath wrote (their
 * "goldpath" / "goldpath_sweep" key), for folders written before it.
 *
 * Default folders are derived from the scenario's name, which is text from
 * a file: gp_folder_safe_name() makes it one harmless path component, so a
 * name like "../../../tmp/evil" stays under reports/. */
#ifndef GP_FOLDER_H
#define GP_FOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_FOLDER_MARKER ".goldpath-report"
/* The longest scenario name kept in a default folder name. */
#define GP_FOLDER_NAME_MAX 96

/* Writes NAME as one path component into out: every byte other than
 * A-Z a-z 0-9 . _ - becomes '_', a leading '.' becomes '_' (no "..", no
 * hidden folder), at most GP_FOLDER_NAME_MAX bytes; "scenario" when NAME is
 * empty.  Always terminates out (out_len >= 1). */
void gp_folder_safe_name(const char *name, char *out, size_t out_len);

/* "reports/runs/NAME-SEED" and "reports/sweeps/NAME-FIELD", with NAME (and
 * FIELD) made safe as above. */
void gp_folder_run_default(const char *name, uint64_t seed, char *out, size_t out_len);
void gp_folder_sweep_default(const char *name, const char *field, char *out, size_t out_len);

/* True when DIR is a goldpath report folder (the marker, or a summary.json
 * or sweep.json that goldpath wrote). */
bool gp_folder_is_report(const char *dir);

/* Takes DIR for a run or a sweep: creates it and its parents when missing;
 * when it exists and holds anything, it must be a goldpath report folder
 * (else GP_ERR_EXISTS, with err naming the folder and saying why), and the
 * files goldpath writes are removed from it (other files are left alone);
 * then the marker is written.  Returns GP_OK, GP_ERR_EXISTS, or GP_ERR_IO
 * with the path and reason in err (not a folder, cannot be created, read or
 * cleared). */
int gp_folder_claim(const char *dir, char *err, size_t err_len);

#endif
