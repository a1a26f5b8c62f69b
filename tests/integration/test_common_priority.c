/* test_common_priority.c - background services run at a lower CPU priority, and so do their
 * PostgreSQL backends, also after a reconnect (common/priority.h); the critical path does not. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pg.h"
#include "common/priority.h"
#include "replica.h"

/* The nice value of process pid (field 19 of /proc/pid/stat), or -100 when unreadable. */
static int nice_of(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    long v = -100;
    /* After ") ": state is field 3, nice is field 19. */
    for (int field = 3; p && field <= 19; field++)
        p = strchr(p + 1, ' ');
    if (p)
        v = strtol(p + 1, NULL, 10);
    return (int)v;
}

/* The nice value of the autogroup (the session's CPU share) of process pid, from
 * /proc/pid/autogroup ("/autogroup-123 nice 7"); -100 when unreadable. */
static int autogroup_nice_of(long pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/autogroup", pid);
    FILE *f = fopen(path, "r");
    int v = -100;
    if (f && fscanf(f, "%*s nice %d", &v) != 1)
        v = -100;
    if (f)
        fclose(f);
    return v;
}

/* 1 when this kernel groups sessions (CONFIG_SCHED_AUTOGROUP, sched_autogroup_enabled). */
static int autogroups_on(void)
{
    FILE *f = fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
    int on = 0;
    if (f && fscanf(f, "%d", &on) != 1)
        on = 0;
    if (f)
        fclose(f);
    return on == 1 && autogroup_nice_of((long)getpid()) != -100;
}

/* The backend pid serving pg. */
static long backend_of(sb_pg *pg)
{
    PGresult *res = sb_pg_query(pg, "SELECT pg_backend_pid()", 0, NULL);
    cr_assert_not_null(res);
    long pid = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return pid;
}

/* The pid of the stack's service name, or skip. */
static long service_pid(const char *name)
{
    if (!getenv("SB_VAR"))
        cr_skip_test("SB_VAR unset: run through tests/run");
    pid_t pid = sb_test_stack_pid(name);
    cr_assert_gt(pid, 1, "no pid file for %s", name);
    return (long)pid;
}

/* The pid of the first backend whose application_name is app, or -1. */
static long backend_pid_of(sb_pg *pg, const char *app)
{
    const char *p[] = {app};
    PGresult *res = sb_pg_query(pg, "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                                    " ORDER BY backend_start LIMIT 1", 1, p);
    cr_assert_not_null(res);
    long pid = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : -1;
    PQclear(res);
    return pid;
}

/* The nice value of the first backend whose application_name is app, or -100. */
static int backend_nice_of(sb_pg *pg, const char *app)
{
    long pid = backend_pid_of(pg, app);
    return pid > 0 ? nice_of(pid) : -100;
}

/* Where sessions are grouped, process pid's session has the CPU share of nice: PostgreSQL
 * backends and the stack's services each lead a session, and with autogroups a nice value
 * alone weighs only inside the session, not against the others. */
static void assert_session_nice(long pid, int nice, const char *who)
{
    if (!autogroups_on())
        return;
    cr_assert_eq(autogroup_nice_of(pid), nice, "%s (%ld): its session's autogroup is at nice %d,"
                 " not %d", who, pid, autogroup_nice_of(pid), nice);
}

Test(common_priority, a_lowered_backend_stays_lowered_after_a_reconnect)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn)
        cr_skip_test("SB_PG_DSN is not set: run through tests/run");
    sb_pg *pg = sb_pg_connect(dsn, 3), *killer = sb_pg_connect(dsn, 3);
    cr_assert(pg && killer);
    long before = backend_of(pg);
    cr_assert_eq(nice_of(before), 0);
    cr_assert_eq(sb_priority_lower_backend(pg, 7), 0);
    cr_assert_eq(nice_of(before), 7);
    assert_session_nice(before, 7, "the lowered backend");
    /* The backend dies (a restart, an administrator): the next one is lowered again. */
    char pid[24];
    snprintf(pid, sizeof(pid), "%ld", before);
    const char *p[] = {pid};
    cr_assert_eq(sb_pg_exec(killer, "SELECT pg_terminate_backend($1::int)", 1, p), 0);
    cr_assert_null(sb_pg_query(pg, "SELECT 1", 0, NULL), "the terminated backend still answered");
    cr_assert_eq(sb_pg_ensure(pg), 0);
    long after = backend_of(pg);
    cr_assert_neq(after, before);
    cr_assert_eq(nice_of(after), 7);
    assert_session_nice(after, 7, "the backend after the reconnect");
    sb_pg_free(pg);
    sb_pg_free(killer);
}

Test(common_priority, the_stack_runs_background_services_low_and_the_critical_path_normal)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn || getenv("SB_CPU_NICE"))
        cr_skip_test("needs the stack with its default priorities (SB_PG_DSN, no SB_CPU_NICE)");
    sb_pg *pg = sb_pg_connect(dsn, 3);
    cr_assert(pg);
    cr_assert_eq(nice_of(service_pid("analytics")), 10);
    cr_assert_eq(nice_of(service_pid("survey")), 10);
    cr_assert_eq(nice_of(service_pid("sla")), 5);
    cr_assert_eq(nice_of(service_pid("classify")), 0);
    cr_assert_eq(nice_of(service_pid("dispatch")), 0);
    cr_assert_eq(backend_nice_of(pg, "analytics"), 10);
    cr_assert_eq(backend_nice_of(pg, "sla"), 5);
    cr_assert_eq(backend_nice_of(pg, "classify"), 0);
    assert_session_nice(service_pid("analytics"), 10, "analytics");
    assert_session_nice(service_pid("survey"), 10, "survey");
    assert_session_nice(service_pid("sla"), 5, "sla");
    assert_session_nice(service_pid("classify"), 0, "classify");
    assert_session_nice(backend_pid_of(pg, "analytics"), 10, "analytics' backend");
    assert_session_nice(backend_pid_of(pg, "sla"), 5, "sla's backend");
    assert_session_nice(backend_pid_of(pg, "classify"), 0, "classify's backend");
    sb_pg_free(pg);
}

Test(common_priority, a_malformed_nice_is_refused)
{
    int nice = -1;
    setenv("SB_CPU_NICE", "25", 1);
    cr_assert_eq(sb_priority_config(10, &nice), -1);
    setenv("SB_CPU_NICE", "3", 1);
    cr_assert_eq(sb_priority_config(10, &nice), 0);
    cr_assert_eq(nice, 3);
    unsetenv("SB_CPU_NICE");
    cr_assert_eq(sb_priority_config(10, &nice), 0);
    cr_assert_eq(nice, 10);
}
