/* pg.c - libpq connection with retry, parameterised queries, transactions, migrations, claims. */
#include "common/pg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/ids.h"
#include "common/log.h"

/* Any constant works; it only has to be the same in every service. */
#define SB_MIGRATE_LOCK_KEY "72657301"

struct sb_pg {
    PGconn          *conn;
    char            *dsn;
    char             last_state[6];   /* SQLSTATE of the last failure */
    sb_pg_connect_fn on_connect;      /* per-session set-up, again after a reconnect */
    void            *on_connect_ctx;
};

/* Sleep for ms milliseconds (startup backoff only; never on the hot path). */
static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Notices (e.g. "relation already exists, skipping") are not worth a log line each. */
static void pg_notice_quiet(void *arg, const char *message)
{
    (void)arg;
    sb_debug("pg_notice", "%s", message);
}

/* Connects with JIT compilation off unless the DSN says otherwise (it is expanded after, so its
 * own options win). The services' statements are short, and JIT fires on the planner's cost
 * alone: with statistics lagging a fast-growing table, classify's context query was costed as a
 * scan of tickets, crossed jit_above_cost, and spent ~300 ms compiling for a 2 ms query, every
 * batch (the peak's largest statement at 150,000 messages). PQreset keeps the option. */
static PGconn *pg_open(const char *dsn)
{
    const char *const keys[] = {"options", "dbname", NULL};
    const char *const values[] = {"-c jit=off", dsn, NULL};
    return PQconnectdbParams(keys, values, 1);
}

sb_pg *sb_pg_connect(const char *dsn, int attempts)
{
    sb_pg *pg = calloc(1, sizeof(*pg));
    if (!pg || !(pg->dsn = strdup(dsn))) {
        free(pg);
        return NULL;
    }
    long backoff = 100;
    for (int i = 1; i <= attempts; i++) {
        pg->conn = pg_open(dsn);
        if (PQstatus(pg->conn) == CONNECTION_OK) {
            PQsetNoticeProcessor(pg->conn, pg_notice_quiet, NULL);
            return pg;
        }
        sb_warn("pg_connect", "attempt %d/%d: %s", i, attempts, PQerrorMessage(pg->conn));
        PQfinish(pg->conn);
        pg->conn = NULL;
        if (i < attempts)
            sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    sb_error("pg_connect", "giving up after %d attempts", attempts);
    free(pg->dsn);
    free(pg);
    return NULL;
}

void sb_pg_free(sb_pg *pg)
{
    if (!pg)
        return;
    if (pg->conn)
        PQfinish(pg->conn);
    free(pg->dsn);
    free(pg);
}

PGconn *sb_pg_conn(sb_pg *pg) { return pg->conn; }

int sb_pg_ensure(sb_pg *pg)
{
    if (PQstatus(pg->conn) == CONNECTION_OK)
        return 0;
    sb_warn("pg_reconnect", "connection lost, resetting");
    PQreset(pg->conn);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        sb_error("pg_reconnect", "%s", PQerrorMessage(pg->conn));
        return -1;
    }
    PQsetNoticeProcessor(pg->conn, pg_notice_quiet, NULL);
    if (pg->on_connect)
        pg->on_connect(pg, pg->on_connect_ctx);
    return 0;
}

void sb_pg_on_connect(sb_pg *pg, sb_pg_connect_fn fn, void *ctx)
{
    pg->on_connect = fn;
    pg->on_connect_ctx = ctx;
    if (fn && PQstatus(pg->conn) == CONNECTION_OK)
        fn(pg, ctx);
}

/* Log a failed statement with its SQLSTATE and the first line of the SQL. */
static void pg_log_failure(const PGresult *res, const char *sql, PGconn *conn)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int n = (int)strcspn(sql, "\n");
    sb_error("pg_query", "%s [%s] in: %.*s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn),
             state ? state : "-", n > 120 ? 120 : n, sql);
}

/* Keeps the failure's SQLSTATE, logs it and frees the result: -1 for the caller to return. */
static int pg_failed(sb_pg *pg, PGresult *res, const char *sql)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(pg->last_state, sizeof(pg->last_state), "%s", state ? state : "");
    pg_log_failure(res, sql, pg->conn);
    PQclear(res);
    return -1;
}

PGresult *sb_pg_query(sb_pg *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    pg_failed(pg, res, sql);
    return NULL;
}

int sb_pg_exec(sb_pg *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = sb_pg_query(pg, sql, nparams, params);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int sb_pg_copy_in(sb_pg *pg, const char *sql, const char *data, size_t len)
{
    PGresult *res = PQexec(pg->conn, sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        return pg_failed(pg, res, sql);
    PQclear(res);
    /* Blocking connection: PQputCopyData queues what the socket cannot take yet and returns
     * 1, or -1 when the connection failed. Sent in slices so no single int overflows. */
    int ok = 1;
    for (size_t off = 0; ok == 1 && off < len; off += 1 << 20) {
        size_t n = len - off < (1u << 20) ? len - off : (1u << 20);
        ok = PQputCopyData(pg->conn, data + off, (int)n);
    }
    if (PQputCopyEnd(pg->conn, ok == 1 ? NULL : "client failed to send the rows") != 1)
        ok = -1;
    int rc = 0;
    if (ok != 1)
        rc = pg_failed(pg, NULL, sql);   /* the connection: logged with libpq's message */
    /* The COPY's own result, then NULL: drained whatever happened, so the connection is usable. */
    while ((res = PQgetResult(pg->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
            rc = pg_failed(pg, res, sql);
        else
            PQclear(res);
    }
    return rc;
}

int sb_pg_failure_transient(const sb_pg *pg)
{
    const char *s = pg->last_state;
    return !(strncmp(s, "22", 2) == 0 || strncmp(s, "23", 2) == 0);
}

const char *sb_pg_last_sqlstate(const sb_pg *pg) { return pg->last_state; }

int sb_pg_begin(sb_pg *pg)
{
    pg->last_state[0] = '\0';   /* a failure is judged by what this transaction meets */
    return sb_pg_exec(pg, "BEGIN", 0, NULL);
}

int sb_pg_commit(sb_pg *pg) { return sb_pg_exec(pg, "COMMIT", 0, NULL); }

void sb_pg_rollback(sb_pg *pg)
{
    if (PQtransactionStatus(pg->conn) == PQTRANS_IDLE || PQstatus(pg->conn) != CONNECTION_OK)
        return;
    PGresult *res = PQexec(pg->conn, "ROLLBACK");
    PQclear(res);
}

/* ------------------------------------------------------------- migrations */

/* Keep files named NNN_something.sql. */
static int migration_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 4 && d->d_name[0] >= '0' && d->d_name[0] <= '9' &&
           strcmp(d->d_name + n - 4, ".sql") == 0;
}

/* Whole file into a NUL-terminated buffer; caller frees. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
            }
        }
    }
    fclose(f);
    return buf;
}

/* 1 when version is already recorded, 0 when not, -1 on error. */
static int migration_applied(sb_pg *pg, const char *version)
{
    const char *p[] = {version};
    PGresult *res = sb_pg_query(pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p);
    if (!res)
        return -1;
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

/* Apply one file and record it, in one transaction. */
static int migration_apply(sb_pg *pg, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *sql = read_file(path);
    if (!sql) {
        sb_error("migrate", "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (sb_pg_begin(pg) == 0) {
        PGresult *res = PQexec(pg->conn, sql);   /* trusted file, several statements */
        if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK) {
            const char *p[] = {name};
            rc = sb_pg_exec(pg, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, p);
        } else {
            sb_error("migrate", "%s: %s", name, PQresultErrorMessage(res));
        }
        PQclear(res);
        if (rc == 0)
            rc = sb_pg_commit(pg);
        if (rc != 0)
            sb_pg_rollback(pg);
    }
    free(sql);
    if (rc == 0)
        sb_info("migrate", "applied %s", name);
    return rc;
}

int sb_pg_migrate(sb_pg *pg, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, migration_filter, alphasort);
    if (n < 0) {
        sb_error("migrate", "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    const char *lock[] = {SB_MIGRATE_LOCK_KEY};
    int rc = sb_pg_exec(pg, "SELECT pg_advisory_lock($1::bigint)", 1, lock);
    if (rc == 0)
        rc = sb_pg_exec(pg,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                        0, NULL);
    for (int i = 0; i < n && rc == 0; i++) {
        int applied = migration_applied(pg, names[i]->d_name);
        if (applied < 0)
            rc = -1;
        else if (!applied)
            rc = migration_apply(pg, dir, names[i]->d_name);
    }
    sb_pg_exec(pg, "SELECT pg_advisory_unlock($1::bigint)", 1, lock);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ------------------------------------------------------------ idempotency */

char *sb_pg_array_literal(const char *const *items, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(items[i]) + 3;
    char *out = malloc(cap), *w = out;
    if (!out)
        return NULL;
    *w++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *w++ = ',';
        *w++ = '"';
        for (const char *r = items[i]; *r; r++) {
            if (*r == '"' || *r == '\\')
                *w++ = '\\';
            *w++ = *r;
        }
        *w++ = '"';
    }
    *w++ = '}';
    *w = '\0';
    return out;
}

/* Index of an id for the claim lookup. */
typedef struct {
    const char *id;
    size_t      pos;
} claim_entry;

/* Order claim entries by id, then by position so the first occurrence wins. */
static int claim_cmp(const void *a, const void *b)
{
    const claim_entry *x = a, *y = b;
    int c = strcasecmp(x->id, y->id);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Mark is_new for the first occurrence of id in the sorted entries. PostgreSQL returns UUIDs in
 * lower case whatever case they came in, hence the case-insensitive comparisons. */
static void claim_mark(claim_entry *e, size_t n, const char *id, unsigned char *is_new)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcasecmp(e[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && strcasecmp(e[lo].id, id) == 0)
        is_new[e[lo].pos] = 1;
}

int sb_pg_claim_events(sb_pg *pg, const char *consumer, const char *const *ids, size_t n,
                       unsigned char *is_new)
{
    memset(is_new, 0, n);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!sb_uuid_valid(ids[i])) {
            sb_error("claim", "not a UUID: event id rejected");
            return -1;
        }
    char *arr = sb_pg_array_literal(ids, n);
    claim_entry *e = malloc(n * sizeof(*e));
    if (!arr || !e) {
        free(arr);
        free(e);
        return -1;
    }
    const char *p[] = {consumer, arr};
    PGresult *res = sb_pg_query(pg,
                                "INSERT INTO processed_events (consumer, event_id)"
                                " SELECT $1, x FROM unnest($2::uuid[]) AS x"
                                " ON CONFLICT DO NOTHING RETURNING event_id::text",
                                2, p);
    free(arr);
    if (!res) {
        free(e);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        e[i] = (claim_entry){ids[i], i};
    qsort(e, n, sizeof(*e), claim_cmp);
    int fresh = PQntuples(res);
    for (int r = 0; r < fresh; r++)
        claim_mark(e, n, PQgetvalue(res, r, 0), is_new);
    PQclear(res);
    free(e);
    return fresh;
}
