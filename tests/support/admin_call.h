/* admin_call.h - what the desk admin suites share: one desk call that must answer a status,
 * the uniform error it must carry, audit rows, and names no other run uses. */
#ifndef SB_TEST_ADMIN_CALL_H
#define SB_TEST_ADMIN_CALL_H

#include <jansson.h>
#include <libpq-fe.h>

/* method path on desk with bearer (and body); fails the test unless it answers want. The
 * reply (caller decrefs). */
json_t *sb_test_admin_call(const char *method, const char *path, const char *bearer,
                           const char *body, int want);
/* Same, and the reply must be the uniform error naming field. */
void    sb_test_assert_admin_refused(const char *method, const char *path, const char *bearer,
                              const char *body, int want, const char *field);
/* How many audit_log rows record action on target. */
int     sb_test_audit_count(PGconn *pg, const char *action, const char *target);
/* A desk admin suite's set-up: SB_ADMIN_TOKEN and SB_DESK_URL must be set (else the test is
 * skipped) and *pg connected to SB_PG_DSN. Returns the admin token. */
const char *sb_test_admin_open(PGconn **pg);
/* Its tear-down: closes *pg (when open) and clears it. */
void        sb_test_admin_close(PGconn **pg);
/* prefix + 8 random hex digits into out (an id of this run). */
void    sb_test_unique_id(char *out, size_t len, const char *prefix);

#endif
