/* gp_gnuplot.c: finds and runs gnuplot; see gp_gnuplot.h. */
#include "gp_gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool gp_gnuplot_found(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char cand[1200];
        if (n == 0)
            snprintf(cand, sizeof(cand), "./gnuplot");
        else
            snprintf(cand, sizeof(cand), "%.*s/gnuplot", (int)n, p);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return true;
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

int gp_gnuplot_run(const char *dir, const char *script, const char *log,
                   char *err, size_t err_len)
{
    char log_path[1200];
    snprintf(log_path, sizeof(log_path), "%s/%s", dir, log);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_len, "cannot start gnuplot: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int devnull = open("/dev/null", O_RDONLY);
        if (fd < 0 || devnull < 0 || chdir(dir) != 0)
            _exit(126);
        dup2(devnull, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, err_len, "waiting for gnuplot: %s", strerror(errno));
            return -1;
        }
    }
    struct stat st;
    bool log_empty = stat(log_path, &st) == 0 && st.st_size == 0;
    if (log_empty)
        unlink(log_path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(err, err_len, "gnuplot could not be started");
    else if (WIFEXITED(status))
        snprintf(err, err_len, "gnuplot %s exited with status %d (see %s)", script,
                 WEXITSTATUS(status), log_empty ? "no output" : log_path);
    else
        snprintf(err, err_len, "gnuplot %s was killed by signal %d", script,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}
