/* gp_folder.c: report folders and their ownership; see gp_folder.h. */
#include "gp_folder.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gp_error.h"
#include "gp_files.h"
#include "gp_plots.h"
#include "gp_sweep_plot.h"

/* Every file a run or a sweep writes into its folder, besides the plots
 * (by stem, below) and trace-client-K.txt. */
static const char *const written[] = {
    GP_FOLDER_MARKER, "summary.json", "scenario.json", "server.log", "timeline.csv",
    "connections.csv", "clients_timeline.csv", "faults.csv", "transitions.csv", "perf.json",
    "live.json", "report.html", "replay.txt", "plots.gp", "plots.log", "latency_cdf.csv",
    "heatmap.csv", "sweep.csv", "sweep_summary.csv", "sweep.json", "sweep.gp", "sweep.log",
    "shard.json", "shard_records.jsonl", "shard_server.log", /* a shard's, for goldpath merge */
};

void gp_folder_safe_name(const char *name, char *out, size_t out_len)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < out_len && n < GP_FOLDER_NAME_MAX; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || (c == '.' && n > 0);
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, out_len, "scenario");
}

void gp_folder_run_default(const char *name, uint64_t seed, char *out, size_t out_len)
{
    char safe[GP_FOLDER_NAME_MAX + 1];
    gp_folder_safe_name(name, safe, sizeof(safe));
    snprintf(out, out_len, "reports/runs/%s-%llu", safe, (unsigned long long)seed);
}

void gp_folder_sweep_default(const char *name, const char *field, char *out, size_t out_len)
{
    char safe[GP_FOLDER_NAME_MAX + 1], safe_field[GP_FOLDER_NAME_MAX + 1];
    gp_folder_safe_name(name, safe, sizeof(safe));
    gp_folder_safe_name(field, safe_field, sizeof(safe_field));
    snprintf(out, out_len, "reports/sweeps/%s-%s", safe, safe_field);
}

/* True when DIR/NAME is a JSON object with `key`: a file goldpath wrote. */
static bool json_with_key(const char *dir, const char *name, const char *key)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, NULL);
    bool ours = json_is_object(j) && json_object_get(j, key) != NULL;
    json_decref(j);
    return ours;
}

bool gp_folder_is_report(const char *dir)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, GP_FOLDER_MARKER);
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
        return true;
    return json_with_key(dir, "summary.json", "goldpath") ||
           json_with_key(dir, "sweep.json", "goldpath_sweep");
}

/* True when NAME is a file goldpath writes into a report folder. */
static bool written_by_goldpath(const char *name)
{
    for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++)
        if (strcmp(name, written[i]) == 0)
            return true;
    /* trace-client-K.txt, K digits only */
    if (strncmp(name, "trace-client-", 13) == 0) {
        size_t digits = strspn(name + 13, "0123456789");
        return digits > 0 && strcmp(name + 13 + digits, ".txt") == 0;
    }
    const char *dot = strrchr(name, '.');
    if (!dot || (strcmp(dot, ".png") != 0 && strcmp(dot, ".svg") != 0))
        return false;
    size_t stem = (size_t)(dot - name);
    for (int p = 0; p < GP_PLOT_COUNT; p++)
        if (strlen(gp_plot_stem((gp_plot)p)) == stem &&
            strncmp(name, gp_plot_stem((gp_plot)p), stem) == 0)
            return true;
    for (int p = 0; p < GP_SWEEP_PLOT_COUNT; p++)
        if (strlen(gp_sweep_plot_stem((gp_sweep_plot)p)) == stem &&
            strncmp(name, gp_sweep_plot_stem((gp_sweep_plot)p), stem) == 0)
            return true;
    return false;
}

/* Removes goldpath's files from DIR (known to be a report folder). */
static int clear(const char *dir, DIR *d, char *err, size_t err_len)
{
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!written_by_goldpath(e->d_name))
            continue;
        char path[1200];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        /* only files (or links): a folder of that name is not ours */
        if (lstat(path, &st) != 0 || S_ISDIR(st.st_mode))
            continue;
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, err_len, "%s: cannot remove the earlier run's file: %s", path,
                     strerror(errno));
            return GP_ERR_IO;
        }
    }
    return GP_OK;
}

/* Whether DIR holds any entry; -1 with err when it cannot be read. */
static int holds_anything(const char *dir, char *err, size_t err_len)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, err_len, "%s: cannot read the folder: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d)) != NULL)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

int gp_folder_claim(const char *dir, char *err, size_t err_len)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%s: not a folder (the report needs a folder of its own)", dir);
        return GP_ERR_IO;
    }
    if (gp_files_mkdirs(dir, err, err_len) != GP_OK)
        return GP_ERR_IO;
    int any = holds_anything(dir, err, err_len);
    if (any < 0)
        return GP_ERR_IO;
    if (any) {
        if (!gp_folder_is_report(dir)) {
            snprintf(err, err_len,
                     "%s: the folder is not empty and is not a goldpath report folder (no %s, "
                     "summary.json or sweep.json of goldpath); refusing to write a report into "
                     "it: give --out an empty or new folder",
                     dir, GP_FOLDER_MARKER);
            return GP_ERR_EXISTS;
        }
        DIR *d = opendir(dir);
        if (!d) {
            snprintf(err, err_len, "%s: cannot read the folder: %s", dir, strerror(errno));
            return GP_ERR_IO;
        }
        int rc = clear(dir, d, err, err_len);
        closedir(d);
        if (rc != GP_OK)
            return rc;
    }
    FILE *f = gp_files_open(dir, GP_FOLDER_MARKER, err, err_len);
    if (!f)
        return GP_ERR_IO;
    fputs("goldpath report folder: goldpath may clear the files it wrote here before a new "
          "run or sweep writes into it; other files are left alone.\n",
          f);
    return gp_files_close(f, dir, GP_FOLDER_MARKER, err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}
