/* replica.c - starting, watching and stopping a test's own replica of a stack service. */
#include "replica.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_client.h"

/* A loopback port free right now (the replica binds it a moment later). */
static int replica_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

int sb_test_replica_start(sb_test_replica *r, const char *service, const char *const *env)
{
    const char *build = getenv("SB_BUILD"), *var = getenv("SB_VAR");
    char bin[1024], addr[32];
    r->pid = -1;
    if (!build || !*build) {
        fprintf(stderr, "replica: SB_BUILD unset (var/local.env records it)\n");
        return -1;
    }
    snprintf(bin, sizeof(bin), "%s/services/%s/sb-%s", build, service, service);
    r->port = replica_free_port();
    snprintf(r->log, sizeof(r->log), "%s/log/%s-replica-XXXXXX.log", var && *var ? var : "/tmp",
             service);
    int fd = access(bin, X_OK) == 0 && r->port > 0 ? mkstemps(r->log, 4) : -1;
    if (fd < 0) {
        fprintf(stderr, "replica: cannot start %s (not built, or no port/log)\n", bin);
        return -1;
    }
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", r->port);
    r->pid = fork();
    if (r->pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("SB_HTTP_ADDR", addr, 1);
        for (size_t i = 0; env && env[i] && env[i + 1]; i += 2)
            setenv(env[i], env[i + 1], 1);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    close(fd);
    return r->pid > 0 ? 0 : -1;
}

int sb_test_log_count(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, a) && (!b || strstr(line, b));
    if (f)
        fclose(f);
    return n;
}

int sb_test_replica_logged(const sb_test_replica *r, const char *a, const char *b)
{
    return sb_test_log_count(r->log, a, b);
}

int sb_test_replica_alive(sb_test_replica *r)
{
    if (r->pid <= 0)
        return 0;
    if (waitpid(r->pid, NULL, WNOHANG) == 0)
        return 1;
    r->pid = -1;
    return 0;
}

long sb_test_metric(const char *base_url, const char *name)
{
    char url[512], key[256];
    int status = 0;
    char *body = NULL;
    snprintf(url, sizeof(url), "%s/metrics", base_url);
    if (sb_test_http("GET", url, NULL, NULL, &status, &body) != 0 || status != 200) {
        free(body);
        return -1;
    }
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *at = strstr(body, key);
    long n = at ? strtol(at + strlen(key), NULL, 10) : -1;
    free(body);
    return n;
}

long sb_test_replica_metric(const sb_test_replica *r, const char *name)
{
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", r->port);
    return sb_test_metric(base, name);
}

void sb_test_replica_stop(sb_test_replica *r, int hard)
{
    if (r->pid > 0) {
        kill(r->pid, hard ? SIGKILL : SIGTERM);
        waitpid(r->pid, NULL, 0);
    }
    r->pid = -1;
}

int sb_test_stack_service(const char *action, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/deploy/local/service %s %s >/dev/null", SB_SOURCE_DIR, action,
             name);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "replica: '%s' failed (status %d)\n", cmd, rc);
    return rc == 0 ? 0 : -1;
}

pid_t sb_test_stack_pid(const char *name)
{
    const char *var = getenv("SB_VAR");
    char path[512];
    snprintf(path, sizeof(path), "%s/run/%s.pid", var && *var ? var : ".", name);
    FILE *f = fopen(path, "r");
    long pid = -1;
    if (f && fscanf(f, "%ld", &pid) != 1)
        pid = -1;
    if (f)
        fclose(f);
    return pid > 1 ? (pid_t)pid : -1;
}

/* 1 when the thread whose stat file is path is gone or dead (zombie). */
static int thread_dead(const char *path)
{
    char stat[512];
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return !paren || paren[1] == '\0' || paren[2] == 'Z' || paren[2] == 'X';
}

/* 1 when every thread of pid is gone or dead: only then are its sockets closed (its files
 * are shared by its threads, and a zombie main thread may still have live ones). */
static int all_threads_dead(pid_t pid)
{
    char dir[64], path[384];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return 1;
    int dead = 1;
    struct dirent *e;
    while (dead && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
            dead = thread_dead(path);
        }
    closedir(d);
    return dead;
}

/* 1 once every thread of pid has exited, within 10 s. */
static int stack_wait_exited(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        if (all_threads_dead(pid))
            return 1;
        usleep(10 * 1000);
    }
    return 0;
}

int sb_test_stack_kill(const char *name)
{
    pid_t pid = sb_test_stack_pid(name);
    if (pid < 0) {
        fprintf(stderr, "replica: no pid file for the stack's %s\n", name);
        return -1;
    }
    if (kill(pid, SIGKILL) != 0) {
        fprintf(stderr, "replica: kill -9 %s (pid %d): %s\n", name, (int)pid, strerror(errno));
        return -1;
    }
    if (!stack_wait_exited(pid)) {
        fprintf(stderr, "replica: the killed %s (pid %d) did not exit\n", name, (int)pid);
        return -1;
    }
    return 0;
}
