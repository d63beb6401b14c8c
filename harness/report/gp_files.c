/* gp_files.c: see gp_files.h. */
#include "gp_files.h"
#include "gp_error.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

int gp_files_mkdirs(const char *dir, char *err, size_t err_len)
{
    char path[1024];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        snprintf(err, err_len, "%.100s...: the folder name is too long", dir);
        return GP_ERR_IO;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            snprintf(err, err_len, "%s: cannot create the folder: %s", path, strerror(errno));
            return GP_ERR_IO;
        }
        *p = c;
        if (!c)
            return 0;
    }
}

FILE *gp_files_open(const char *dir, const char *name, char *err, size_t err_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int gp_files_close(FILE *f, const char *dir, const char *name, char *err,
                   size_t err_len)
{
    bool bad = ferror(f) != 0; /* a write that failed earlier */
    if (fclose(f) != 0 || bad) {
        snprintf(err, err_len, "%s/%s: cannot write: %s", dir, name, strerror(errno));
        return GP_ERR_IO;
    }
    return 0;
}
