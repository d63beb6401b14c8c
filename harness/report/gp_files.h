/* gp_files.h: the few file operations every report writer needs, with errors
 * that name the path and the reason. */
#ifndef GP_FILES_H
#define GP_FILES_H

#include <stddef.h>
#include <stdio.h>

/* Creates `dir` and its parents (like mkdir -p).  Returns GP_OK, or GP_ERR_IO with
 * "DIR: cannot create the folder: REASON" in err. */
int gp_files_mkdirs(const char *dir, char *err, size_t err_len);

/* Opens DIR/NAME for writing.  NULL with "DIR/NAME: cannot write: REASON" in
 * err on failure. */
FILE *gp_files_open(const char *dir, const char *name, char *err, size_t err_len);

/* Closes a file from gp_files_open.  Returns GP_OK, or GP_ERR_IO with the reason in err
 * (a full disk shows here). */
int gp_files_close(FILE *f, const char *dir, const char *name, char *err,
                   size_t err_len);

#endif
