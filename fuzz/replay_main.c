/* replay_main.c: runs a fuzz target without libFuzzer, so that the committed
 * corpus and every crash found replay as ordinary tests (gcc, ctest).
 *
 *   fuzz_<target>_replay [--min-inputs N] FILE|DIR...
 *
 * Each file is read whole and passed once to LLVMFuzzerTestOneInput; a
 * directory runs its regular files in name order (files whose name starts
 * with '.' are skipped, so a .gitkeep does not count).  A broken invariant
 * aborts inside the target, as under libFuzzer.  Exit: 0 when every input
 * ran, 2 when a path cannot be read, 3 when fewer than --min-inputs ran (so
 * that a corpus that went missing fails the test instead of passing it). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Largest input replayed; libFuzzer's default -max_len is 4096 and the
 * targets cap what they read, so this only guards against a wrong path. */
#define REPLAY_FILE_MAX (16u * 1024 * 1024)

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = malloc(REPLAY_FILE_MAX);
    if (!buf) {
        fclose(f);
        fprintf(stderr, "replay: out of memory\n");
        return -1;
    }
    size_t n = fread(buf, 1, REPLAY_FILE_MAX, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    /* An exact-size copy, so that ASan sees a read past the input's end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir in name order.  Returns the number run, or
 * -1 on error. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown)
                break;
            names = grown;
        }
        names[len] = strdup(e->d_name);
        if (names[len])
            len++;
    }
    closedir(d);
    if (len > 0) /* qsort(NULL, 0, ...) is undefined */
        qsort(names, len, sizeof(*names), cmp_names);
    long ran = 0;
    for (size_t i = 0; i < len; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) != 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    long total = 0, min_inputs = 0;
    int status = 0, first = 1;
    if (argc >= 3 && strcmp(argv[1], "--min-inputs") == 0) {
        min_inputs = strtol(argv[2], NULL, 10);
        first = 3;
    }
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            status = 2;
            continue;
        }
        long n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) == 0 ? 1 : -1);
        if (n < 0)
            status = 2;
        else
            total += n;
    }
    printf("replay: %ld inputs ran%s\n", total, status ? " (some paths could not be read)" : "");
    if (status == 0 && total < min_inputs) {
        fprintf(stderr, "replay: expected at least %ld inputs\n", min_inputs);
        status = 3;
    }
    return status;
}
