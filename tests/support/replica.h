/* replica.h - a second process of a running stack's service, started by a test (its own HTTP
 * port, the stack's environment, its log in $SB_VAR/log) to prove how replicas share work. */
#ifndef SB_TEST_REPLICA_H
#define SB_TEST_REPLICA_H

#include <stddef.h>
#include <sys/types.h>

typedef struct sb_test_replica {
    pid_t pid;            /* -1 when not running */
    int   port;           /* its HTTP port (metrics) */
    char  log[512];       /* its log file */
} sb_test_replica;

/* Starts $SB_BUILD/services/<service>/sb-<service> with the caller's environment plus the
 * NULL-terminated name/value pairs of env (may be NULL). 0 or -1 (reason on stderr). */
int  sb_test_replica_start(sb_test_replica *r, const char *service, const char *const *env);
/* Lines of the file at path holding both a and b (b may be NULL). */
int  sb_test_log_count(const char *path, const char *a, const char *b);
/* Lines of the replica's log holding both a and b. */
int  sb_test_replica_logged(const sb_test_replica *r, const char *a, const char *b);
/* 1 while the process runs. */
int  sb_test_replica_alive(sb_test_replica *r);
/* The value of an unlabelled counter of its /metrics, or -1. */
long sb_test_replica_metric(const sb_test_replica *r, const char *name);
/* SIGKILL (hard) or SIGTERM, then reaps it. Safe to call twice. */
void sb_test_replica_stop(sb_test_replica *r, int hard);

/* The value of an unlabelled counter in the /metrics of base_url ("http://host:port"), or -1. */
long sb_test_metric(const char *base_url, const char *name);

/* Runs deploy/local/service <action> <name> on the stack (start, stop, restart; start is a
 * no-op while it runs). Its progress is dropped, its errors (the log tail of a service that
 * would not start) reach stderr, which ctest shows. 0 or -1. */
int  sb_test_stack_service(const char *action, const char *name);
/* The pid in the stack's pid file of <name> ($SB_VAR/run/<name>.pid), or -1. */
pid_t sb_test_stack_pid(const char *name);
/* SIGKILLs the stack's <name> (from $SB_VAR/run/<name>.pid) and waits up to 10 s until it has
 * exited. 0, or -1 with the reason on stderr. */
int  sb_test_stack_kill(const char *name);

#endif
