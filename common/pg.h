/* pg.h - PostgreSQL through libpq: connect with retry and backoff, parameterised queries only,
 * transactions, migrations, and the processed-event claim that makes consumers idempotent. */
#ifndef SB_PG_H
#define SB_PG_H

#include <stddef.h>
#include <libpq-fe.h>
#include "common/error.h"

typedef struct sb_pg sb_pg;

/* Tries up to attempts times (100 ms doubling to 5 s between tries). NULL on failure (logged). */
sb_pg  *sb_pg_connect(const char *dsn, int attempts);
void    sb_pg_free(sb_pg *pg);
PGconn *sb_pg_conn(sb_pg *pg);
/* Reconnects when the connection is bad; 0 when usable. */
int     sb_pg_ensure(sb_pg *pg);
/* Calls fn(pg, ctx) now and after every reconnect: for per-session settings a new backend
 * must get again. One hook per connection; a later call replaces it. */
typedef void (*sb_pg_connect_fn)(sb_pg *pg, void *ctx);
void    sb_pg_on_connect(sb_pg *pg, sb_pg_connect_fn fn, void *ctx);

/* Parameterised statement (text parameters, NULL = SQL NULL). Returns the result when it is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK (caller PQclear()s), else logs, PQclears and returns NULL. */
PGresult *sb_pg_query(sb_pg *pg, const char *sql, int nparams, const char *const *params);
/* Same, for statements whose result is not needed: 0 or -1. */
int       sb_pg_exec(sb_pg *pg, const char *sql, int nparams, const char *const *params);

/* After a failed statement: 0 when the input itself was refused (SQLSTATE class 22, data
 * exception, or 23, integrity violation): the same rows would fail the same way again. 1 for
 * everything else (connection lost, deadlock, serialization, resources, or a bug in a
 * statement): retrying as it is, later, is right. */
int sb_pg_failure_transient(const sb_pg *pg);
/* The SQLSTATE of the last failed statement, "" when the connection itself failed. */
const char *sb_pg_last_sqlstate(const sb_pg *pg);

int sb_pg_begin(sb_pg *pg);
int sb_pg_commit(sb_pg *pg);
void sb_pg_rollback(sb_pg *pg);   /* safe to call when no transaction is open */

/* Applies <dir>/NNN_*.sql in order, each exactly once (schema_migrations), under an advisory
 * lock so services starting together do not race. 0 or -1. */
int sb_pg_migrate(sb_pg *pg, const char *dir);

/* Inside the caller's transaction: records (consumer, id) for each of ids in processed_events.
 * is_new[i] = 1 when ids[i] had not been applied before (the caller applies it now), 0 when it
 * was (a replay). ids must be canonical UUIDs. Returns how many are new, or -1. */
int sb_pg_claim_events(sb_pg *pg, const char *consumer, const char *const *ids, size_t n,
                       unsigned char *is_new);

/* Runs sql, a "COPY table (columns) FROM STDIN" in text format, and sends it data (len bytes of
 * rows, common/pg_copy.h). 0, or -1 with the failure logged and its SQLSTATE kept like a
 * statement's. No ON CONFLICT: for rows the caller knows are new (claimed in this transaction). */
int sb_pg_copy_in(sb_pg *pg, const char *sql, const char *data, size_t len);

/* Builds a PostgreSQL array literal {"a","b"} from strings (quoted and escaped); caller frees. */
char *sb_pg_array_literal(const char *const *items, size_t n);

#endif
