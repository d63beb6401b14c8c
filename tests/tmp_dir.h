/* tmp_dir.h: scratch folders for tests that write report files. */
#ifndef TMP_DIR_H
#define TMP_DIR_H

/* A new empty folder under /tmp (malloc'd path); the test fails when it
 * cannot be made. */
char *tmp_dir_make(void);

/* Removes the folder's files and the folder (one level deep, as report
 * folders are), and frees the path. */
void tmp_dir_remove(char *dir);

#endif
