/* fixture.h - what integration tests plant directly (rows in PostgreSQL, events on the broker)
 * to drive a running service without the services that normally write them. */
#ifndef SB_TEST_FIXTURE_H
#define SB_TEST_FIXTURE_H

#include <stddef.h>
#include <libpq-fe.h>

/* A connection to SB_PG_DSN, or NULL when the variable is unset or the server unreachable. */
PGconn *sb_fixture_pg(void);
/* Text-parameter statement; 0 or -1 (the error is printed). */
int     sb_fixture_exec(PGconn *c, const char *sql, int n, const char *const *params);
/* First column of the first row as a malloc'd string; NULL on error, no row, or SQL NULL. */
char   *sb_fixture_value(PGconn *c, const char *sql, int n, const char *const *params);
/* Polls sb_fixture_value every 50 ms until it equals want (or, want NULL, until there is a
 * value) or timeout_ms passes; returns the last value seen (malloc'd) or NULL. */
char   *sb_fixture_wait(PGconn *c, const char *sql, int n, const char *const *params,
                        const char *want, int timeout_ms);

/* nchars random lower-case hex digits + NUL into out. */
void    sb_fixture_hex(char *out, size_t nchars);
/* A random canonical lower-case UUID (v4) into out (37 bytes). */
void    sb_fixture_uuid(char out[37]);

/* A ticket row (and its customer); NULL members take the defaults shown. */
typedef struct sb_fixture_ticket {
    const char *channel;      /* "web" (its code prefixes the number) */
    const char *status;       /* "new" */
    const char *category, *subtopic, *urgency, *priority, *department, *assignee;   /* NULL */
    const char *created_at;   /* now() */
} sb_fixture_ticket;

/* Inserts the ticket with a fresh number (today's date, a serial no real ticket reaches) and
 * writes number (>= 32 bytes) and id (37 bytes). 0 or -1. */
int     sb_fixture_ticket_new(PGconn *c, const sb_fixture_ticket *t, char *number, char id[37]);
/* One ticket_events row, payload = the whole event as the services store it. 0 or -1. */
int     sb_fixture_event_store(PGconn *c, const char *event_json);
/* A fresh bearer token for subject with role ("agent", "supervisor", "admin"), stored hashed
 * as auth.c expects; malloc'd, NULL on failure. */
char   *sb_fixture_token(PGconn *c, const char *subject, const char *role);

/* Produce payload on topic (keyed) to SB_KAFKA_BROKERS and wait until it is acknowledged.
 * 0, or -1 when the variable is unset or the broker did not take it. */
int     sb_fixture_publish(const char *topic, const char *key, const char *payload);
/* How many partitions topic has on SB_KAFKA_BROKERS, or -1. */
int     sb_fixture_partitions(const char *topic);

#endif
