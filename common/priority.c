/* priority.c - lower CPU priority for background services and their PostgreSQL backends. */
#include "common/priority.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"

int sb_priority_config(int def, int *nice)
{
    long v;
    sb_error err;
    if (sb_config_int("SB_CPU_NICE", def, 0, 19, &v, &err) != 0) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    *nice = (int)v;
    return 0;
}

/* Lowers the autogroup of the session pid leads; 0 also when there is nothing to do.
 * With autogroups (on by default in most distributions' kernels) the scheduler shares the CPU
 * fairly between sessions first and weighs nice values only inside one session. Every service
 * of the stack and every PostgreSQL backend leads a session of its own, so nice alone changed
 * nothing between them: the session's autogroup must be lowered as well. Only for a session
 * leader: a service started in a terminal would otherwise lower the terminal's whole session. */
static int priority_lower_autogroup(pid_t pid, int nice)
{
    if (getsid(pid) != pid)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/autogroup", (int)pid);
    FILE *f = fopen(path, "w");
    if (!f)
        return errno == ENOENT ? 0 : -1;   /* no autogroups: the nice value is enough */
    int ok = fprintf(f, "%d", nice) > 0;
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int sb_priority_lower_self(int nice)
{
    if (priority_lower_autogroup(getpid(), nice) != 0)
        sb_warn("priority", "cannot set the session's autogroup to nice %d: %s", nice,
                strerror(errno));
    /* On Linux a nice value belongs to a thread: librdkafka's threads already run. */
    DIR *d = opendir("/proc/self/task");
    if (!d) {
        int rc = setpriority(PRIO_PROCESS, 0, nice);
        if (rc != 0)
            sb_warn("priority", "cannot set nice %d: %s", nice, strerror(errno));
        return rc;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        id_t tid = (id_t)strtol(e->d_name, NULL, 10);
        if (setpriority(PRIO_PROCESS, tid, nice) != 0 && errno != ESRCH) {
            sb_warn("priority", "cannot set nice %d on thread %d: %s", nice, (int)tid,
                    strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Lowers the backend now serving pg; called by sb_pg after each (re)connect. */
static void priority_on_connect(sb_pg *pg, void *ctx)
{
    int nice = (int)(intptr_t)ctx;
    PGresult *res = sb_pg_query(pg, "SELECT pg_backend_pid()", 0, NULL);
    if (!res)
        return;
    id_t pid = (id_t)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    static int warned;
    if (setpriority(PRIO_PROCESS, pid, nice) != 0 ||
        priority_lower_autogroup((pid_t)pid, nice) != 0) {
        if (!warned++)
            sb_info("priority", "PostgreSQL backend %d keeps its priority (%s): only this "
                    "process runs at nice %d", (int)pid, strerror(errno), nice);
        return;
    }
    sb_info("priority", "PostgreSQL backend %d runs at nice %d", (int)pid, nice);
}

int sb_priority_lower_backend(sb_pg *pg, int nice)
{
    if (!pg || nice <= 0)
        return 0;
    sb_pg_on_connect(pg, priority_on_connect, (void *)(intptr_t)nice);
    return 0;
}
