/* gp_live_server.c: the goldpath-server a live run starts for itself -- found
 * next to goldpath, started on a free loopback port with the scenario's
 * server settings, waited for (bounded) through its ready file, and stopped
 * with SIGTERM at the end, its exit status, CPU time and peak RSS kept for
 * the report and the benchmark. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_live_int.h"

#define START_WAIT_MS 10000
#define STOP_WAIT_MS 20000 /* the server's shutdown grace is 10 s */
#define CMD_START_WAIT_MS 30000 /* a server of the user's: an interpreter may be slow */
#define ARGS_MAX 64

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int gp_live_server_find(const char *given, char *out, size_t out_len, char *err,
                        size_t err_len)
{
    const char *env = getenv("GOLDPATH_SERVER");
    const char *explicit = given ? given : (env && *env ? env : NULL);
    if (explicit) {
        if (!executable(explicit)) {
            snprintf(err, err_len, "goldpath-server: %s is not an executable file%s", explicit,
                     given ? "" : " (from $GOLDPATH_SERVER)");
            return GP_ERR_NOT_FOUND;
        }
        snprintf(out, out_len, "%s", explicit);
        return GP_OK;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            /* the build tree: <build>/harness/goldpath, <build>/sut/server/ */
            snprintf(out, out_len, "%s/../sut/server/goldpath-server", self);
            if (executable(out))
                return GP_OK;
            snprintf(out, out_len, "%s/goldpath-server", self); /* installed side by side */
            if (executable(out))
                return GP_OK;
        }
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t len = strcspn(path, ":");
        snprintf(out, out_len, "%.*s/goldpath-server", (int)len, path);
        if (len && executable(out))
            return GP_OK;
        path += len + (path[len] == ':');
    }
    snprintf(err, err_len,
             "goldpath-server not found (next to goldpath, in ../sut/server/ of the build, or "
             "on $PATH): build it, set GOLDPATH_SERVER=/path/to/goldpath-server, or give "
             "--url ws://HOST:PORT/ws of a running server");
    return GP_ERR_NOT_FOUND;
}

/* A free loopback port below 32768 (test ports stay out of the ephemeral
 * range, where TIME_WAIT may hold them), from a range walked from a start
 * that depends on our pid, so that parallel runs do not collide; each
 * attempt starts further on.  0: none found. */
static int free_port(int attempt)
{
    int base = 20000 + (int)(getpid() % 1000) * 11 + attempt * 97;
    for (int k = 0; k < 12000; k += 7) {
        int port = 20000 + (base - 20000 + k) % 12000;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return 0;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        close(fd);
        if (ok)
            return port;
    }
    return 0;
}

/* argv for the server from the scenario; strings live in `store`. */
static void build_args(const char *binary, const gp_scenario *sc, uint64_t max_connections,
                       const char *ready_path, int port, char store[][64], const char **argv)
{
    int a = 0, s = 0;
    argv[a++] = binary;
    argv[a++] = "--port";
    snprintf(store[s], 64, "%d", port); /* 0: the kernel's choice */
    argv[a++] = store[s++];
    argv[a++] = "--bind";
    argv[a++] = "127.0.0.1";
    argv[a++] = "--ready-file";
    argv[a++] = ready_path;
    /* info: every lifecycle step and the peer of each connection, the
     * evidence the lifecycle judge reads back after the run */
    argv[a++] = "--log-level";
    argv[a++] = "info";
    /* per-connection accept delays for the accept race over real sockets */
    argv[a++] = "--fault-hooks";
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (sc->server.bugs & GP_BUG_BIT(b)) {
            argv[a++] = "--bug";
            argv[a++] = gp_bug_name((gp_bug)b);
        }
#define ARG(flag, ...)                                                                         \
    do {                                                                                       \
        argv[a++] = flag;                                                                      \
        snprintf(store[s], 64, __VA_ARGS__);                                                   \
        argv[a++] = store[s++];                                                                \
    } while (0)
    ARG("--think-ms", "%u:%u", sc->server.think.min_ms, sc->server.think.max_ms);
    ARG("--tool-ms", "%u:%u", sc->server.tool.min_ms, sc->server.tool.max_ms);
    ARG("--agent-failure-rate", "%.17g", sc->faults.agent_failure);
    ARG("--stuck-after-ms", "%u", sc->server.stuck_after_ms);
    ARG("--auth-timeout-ms", "%u", sc->server.auth_timeout_ms);
    ARG("--max-message", "%u", sc->server.max_message_bytes);
    ARG("--max-connections", "%llu", (unsigned long long)max_connections);
#undef ARG
    argv[a] = NULL;
}

/* In the child: never returns. */
static void exec_server(const char *const *argv, const char *secret, const char *log_path)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the run */
    int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0)
        dup2(null_in, STDIN_FILENO);
    if (secret)
        setenv("GOLDPATH_JWT_SECRET", secret, 1);
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "goldpath live: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* The last lines of the server's log into err (after what is there). */
static void append_log_tail(const char *log_path, char *err, size_t err_len)
{
    FILE *f = log_path ? fopen(log_path, "r") : NULL;
    if (!f)
        return;
    char tail[600];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(tail, 1, sizeof(tail) - 1, f);
    fclose(f);
    tail[n] = '\0';
    size_t len = strlen(err);
    if (n)
        snprintf(err + len, err_len - len, "; the end of its log (%s):\n%s", log_path, tail);
}

/* Reads the port from the ready file: 2 when whole (newline-terminated), 1
 * when there without a newline (maybe still being written), 0 when not. */
static int read_port(const char *path, int *port)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[32] = "";
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *end = NULL;
    long p = strtol(buf, &end, 10);
    if (end == buf || p < 1 || p > 65535 || (*end && *end != '\n' && *end != '\r'))
        return 0;
    *port = (int)p;
    return *end ? 2 : 1;
}

static void status_text(int status, char *out, size_t out_len)
{
    if (WIFEXITED(status))
        snprintf(out, out_len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, out_len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(out, out_len, "stopped");
}

/* One start on port: GP_OK, 1 when the server exited before it was ready
 * (err says how), or an error. */
static int start_once(gp_live_server *s, const char *binary, const gp_scenario *sc,
                      uint64_t max_connections, const char *secret, const char *log_path,
                      int port, char *err, size_t err_len)
{
    char store[16][64];
    const char *argv[ARGS_MAX];
    build_args(binary, sc, max_connections, s->ready_path, port, store, argv);
    s->port = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_len, "cannot start %s: fork: %s", binary, strerror(errno));
        return GP_ERR_NOT_FOUND;
    }
    if (pid == 0)
        exec_server(argv, secret, log_path);
    s->pid = (int)pid;
    for (int waited = 0; waited < START_WAIT_MS; waited += 10) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char how[96];
            status_text(status, how, sizeof(how));
            snprintf(err, err_len, "%s %s before it was ready", binary, how);
            append_log_tail(log_path, err, err_len);
            s->pid = 0;
            unlink(s->ready_path);
            return 1;
        }
        int port = 0, got = read_port(s->ready_path, &port);
        if (got == 2 || (got == 1 && port == s->port)) { /* whole, or the same twice */
            s->port = port;
            return GP_OK;
        }
        s->port = got ? port : 0;
        sleep_ms(10);
    }
    snprintf(err, err_len, "%s did not write its port to --ready-file within %d ms", binary,
             START_WAIT_MS);
    append_log_tail(log_path, err, err_len);
    return GP_ERR_NOT_FOUND; /* the caller stops it */
}

int gp_live_server_start(gp_live_server *s, const char *binary, const gp_scenario *sc,
                         uint64_t max_connections, const char *secret, const char *log_path,
                         char *err, size_t err_len)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/goldpath-live-XXXXXX");
    if (!mkdtemp(s->dir)) {
        snprintf(err, err_len, "cannot make a temporary folder: %s", strerror(errno));
        return GP_ERR_NOT_FOUND;
    }
    snprintf(s->ready_path, sizeof(s->ready_path), "%s/ready", s->dir);
    /* a port below 32768, out of the ephemeral range; another process may
     * take it between our probe and the server's bind, so a server that
     * exits before it is ready is started again on another */
    for (int attempt = 0;; attempt++) {
        int port = free_port(attempt);
        int rc = start_once(s, binary, sc, max_connections, secret, log_path, port, err,
                            err_len);
        if (rc == GP_OK)
            return GP_OK;
        if (rc != 1 || attempt == 4 || port == 0) {
            gp_live_server_stop(s); /* and its folder */
            return GP_ERR_NOT_FOUND;
        }
    }
}

/* A "Name: N kB" figure of /proc/PID/status, 0 when unknown. */
static uint64_t status_kib(const gp_live_server *s, const char *name)
{
    if (!s->pid)
        return 0;
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", s->pid);
    FILE *f = fopen(path, "r");
    uint64_t kib = 0;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            kib = strtoull(line + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kib;
}

uint64_t gp_live_server_peak_rss(const gp_live_server *s)
{
    return status_kib(s, "VmHWM");
}

uint64_t gp_live_server_rss(const gp_live_server *s)
{
    return status_kib(s, "VmRSS");
}

void gp_live_server_stop(gp_live_server *s)
{
    if (s->pid) {
        uint64_t hwm = gp_live_server_peak_rss(s);
        kill(s->group ? -s->pid : s->pid, SIGTERM);
        int status = 0, waited = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof(ru));
        pid_t got = 0;
        while ((got = wait4(s->pid, &status, WNOHANG, &ru)) == 0 && waited < STOP_WAIT_MS) {
            sleep_ms(5);
            waited += 5;
        }
        if (got == 0) { /* did not stop within the grace: kill it */
            kill(s->group ? -s->pid : s->pid, SIGKILL);
            got = wait4(s->pid, &status, 0, &ru);
        }
        /* a server of the user's that does not handle SIGTERM dies of it: that
         * is how it was asked to stop, not a crash */
        if (got == s->pid && s->group && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
            status = 0;
        s->exit_status = got == s->pid ? (WIFEXITED(status)   ? WEXITSTATUS(status)
                                          : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                                                : 255)
                                       : 255;
        s->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        s->peak_rss_kib = (uint64_t)ru.ru_maxrss > hwm ? (uint64_t)ru.ru_maxrss : hwm;
        s->pid = 0;
    }
    if (s->ready_path[0])
        unlink(s->ready_path);
    if (s->dir[0])
        rmdir(s->dir);
    s->ready_path[0] = s->dir[0] = '\0';
}

/* ---- a server under test that goldpath starts: --server-cmd ------------------ */

/* cmd with every {port} replaced. */
static int expand_cmd(const char *cmd, int port, char *out, size_t out_len)
{
    size_t w = 0;
    for (const char *p = cmd; *p;) {
        if (strncmp(p, "{port}", 6) == 0) {
            int n = snprintf(out + w, out_len - w, "%d", port);
            if (n < 0 || (size_t)n >= out_len - w)
                return -1;
            w += (size_t)n;
            p += 6;
            continue;
        }
        if (w + 2 > out_len)
            return -1;
        out[w++] = *p++;
    }
    out[w] = '\0';
    return 0;
}

/* True when a line of the log (from `from` bytes on) matches rx. */
static bool log_has_line(const char *path, const gp_rx *rx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4096];
    regmatch_t m[GP_RX_GROUPS_MAX + 1];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        found = gp_rx_match(rx, line, m);
    }
    fclose(f);
    return found;
}

int gp_live_server_start_cmd(gp_live_server *s, const char *cmd, const char *ready_pattern,
                             const char *secret_env, const char *secret, const char *log_path,
                             char *err, size_t err_len)
{
    memset(s, 0, sizeof(*s));
    gp_rx ready;
    memset(&ready, 0, sizeof(ready));
    if (ready_pattern && gp_rx_compile(&ready, ready_pattern, err, err_len) != GP_OK) {
        size_t n = strlen(err);
        snprintf(err + n, err_len - n, " (--server-ready)");
        return GP_ERR_INVALID_ARG;
    }
    int port = free_port(0);
    char line[8192];
    if (!port || expand_cmd(cmd, port, line + 5, sizeof(line) - 5) != 0) {
        snprintf(err, err_len, "--server-cmd: %s", port ? "command too long" : "no free port");
        gp_rx_free(&ready);
        return GP_ERR_INVALID_ARG;
    }
    memcpy(line, "exec ", 5); /* the shell becomes the server: its pid, RSS and exit are ours */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_len, "--server-cmd: fork: %s", strerror(errno));
        gp_rx_free(&ready);
        return GP_ERR_NOT_FOUND;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: stopped as one, with its children */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        int null_in = open("/dev/null", O_RDONLY);
        if (null_in >= 0)
            dup2(null_in, STDIN_FILENO);
        if (secret_env && secret_env[0] && secret)
            setenv(secret_env, secret, 1);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    s->pid = (int)pid;
    s->port = port;
    s->group = true;
    gp_live_url probe = {.host = "127.0.0.1", .port = port};
    char why[256];
    for (int waited = 0; waited < CMD_START_WAIT_MS; waited += 20) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char how[96];
            status_text(status, how, sizeof(how));
            snprintf(err, err_len, "--server-cmd \"%s\" %s before it was ready", line + 5, how);
            append_log_tail(log_path, err, err_len);
            s->pid = 0;
            gp_rx_free(&ready);
            return GP_ERR_NOT_FOUND;
        }
        bool up = ready_pattern ? log_has_line(log_path, &ready)
                                : gp_live_probe(&probe, 50, why, sizeof(why)) == GP_OK;
        if (up) {
            gp_rx_free(&ready);
            return GP_OK;
        }
        sleep_ms(20);
    }
    snprintf(err, err_len, "--server-cmd \"%s\" was not ready within %d s (%s)", line + 5,
             CMD_START_WAIT_MS / 1000,
             ready_pattern ? "no log line matched --server-ready" : "its port never accepted");
    append_log_tail(log_path, err, err_len);
    gp_rx_free(&ready);
    gp_live_server_stop(s);
    return GP_ERR_NOT_FOUND;
}
