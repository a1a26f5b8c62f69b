/* test_common_pg.c - common/pg against a real PostgreSQL: claims, migrations, array literals, COPY. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/pg.h"
#include "common/pg_copy.h"
#include "service_pg.h"

/* A consumer name no other test uses. */
static void consumer_name(char *out, size_t len)
{
    snprintf(out, len, "test-claim-%d-%ld", (int)getpid(), random());
}

Test(common_pg, claim_reports_new_ids_once_and_replays_as_old)
{
    sb_pg *pg = sb_test_service_pg();
    char consumer[64], a[SB_UUID_STRLEN], b[SB_UUID_STRLEN], c[SB_UUID_STRLEN];
    consumer_name(consumer, sizeof(consumer));
    sb_uuid_v4_str(a);
    sb_uuid_v4_str(b);
    sb_uuid_v4_str(c);
    const char *first[] = {a, b, a};   /* a twice in one batch: applied once */
    unsigned char is_new[3];
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_assert_eq(sb_pg_claim_events(pg, consumer, first, 3, is_new), 2);
    cr_assert_eq(sb_pg_commit(pg), 0);
    cr_expect(is_new[0] == 1 && is_new[1] == 1 && is_new[2] == 0);

    const char *second[] = {b, c};     /* b is a replay, c is new */
    cr_assert_eq(sb_pg_claim_events(pg, consumer, second, 2, is_new), 1);
    cr_expect(is_new[0] == 0 && is_new[1] == 1);
    sb_pg_free(pg);
}

Test(common_pg, claim_is_case_insensitive_and_rolls_back_with_its_transaction)
{
    sb_pg *pg = sb_test_service_pg();
    char consumer[64], id[SB_UUID_STRLEN], upper[SB_UUID_STRLEN];
    consumer_name(consumer, sizeof(consumer));
    sb_uuid_v4_str(id);
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
    const char *ids[] = {upper};
    unsigned char is_new[1];
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_assert_eq(sb_pg_claim_events(pg, consumer, ids, 1, is_new), 1);
    cr_expect_eq(is_new[0], 1, "an upper-case id must still be reported new");
    sb_pg_rollback(pg);
    /* The claim went with the rolled-back transaction: the redelivered batch applies it. */
    const char *lower[] = {id};
    cr_assert_eq(sb_pg_claim_events(pg, consumer, lower, 1, is_new), 1);
    cr_expect_eq(is_new[0], 1);
    sb_pg_free(pg);
}

Test(common_pg, claim_rejects_ids_that_are_not_uuids)
{
    sb_pg *pg = sb_test_service_pg();
    const char *ids[] = {"not-a-uuid"};
    unsigned char is_new[1];
    cr_expect_eq(sb_pg_claim_events(pg, "test-claim", ids, 1, is_new), -1);
    sb_pg_free(pg);
}

/* Strings an array literal must carry through unchanged. */
static const char *const literal_items[] = {"plain", "with \"quotes\"", "back\\slash",
                                            "comma, brace}", "物流"};

Test(common_pg, array_literal_survives_quotes_and_backslashes)
{
    sb_pg *pg = sb_test_service_pg();
    const char *const *items = literal_items;
    char *lit = sb_pg_array_literal(items, 5);
    cr_assert(lit);
    const char *p[] = {lit};
    PGresult *res = sb_pg_query(pg, "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n)"
                                    " ORDER BY n", 1, p);
    cr_assert(res);
    cr_assert_eq(PQntuples(res), 5);
    for (int i = 0; i < 5; i++)
        cr_expect_str_eq(PQgetvalue(res, i, 0), items[i]);
    PQclear(res);
    free(lit);
    sb_pg_free(pg);
}

Test(common_pg, migrations_apply_once_and_again_change_nothing)
{
    sb_pg *pg = sb_test_service_pg();
    const char *dir = getenv("SB_SQL_DIR") ? getenv("SB_SQL_DIR") : SB_SOURCE_DIR "/deploy/sql";
    PGresult *before = sb_pg_query(pg, "SELECT count(*) FROM schema_migrations", 0, NULL);
    cr_assert(before);
    long n_before = atol(PQgetvalue(before, 0, 0));
    PQclear(before);
    cr_expect_gt(n_before, 0, "the services applied the migrations at start");
    cr_assert_eq(sb_pg_migrate(pg, dir), 0);
    PGresult *after = sb_pg_query(pg, "SELECT count(*) FROM schema_migrations", 0, NULL);
    cr_assert(after);
    cr_expect_eq(atol(PQgetvalue(after, 0, 0)), n_before);
    PQclear(after);
    sb_pg_free(pg);
}

Test(common_pg, failed_statement_returns_null_and_connection_stays_usable)
{
    sb_pg *pg = sb_test_service_pg();
    cr_expect_null(sb_pg_query(pg, "SELECT * FROM no_such_table", 0, NULL));
    cr_expect_eq(sb_pg_ensure(pg), 0);
    PGresult *res = sb_pg_query(pg, "SELECT 41 + 1", 0, NULL);
    cr_assert(res);
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "42");
    PQclear(res);
    sb_pg_free(pg);
}

Test(common_pg, failures_are_classified_input_or_transient)
{
    sb_pg *pg = sb_test_service_pg();
    cr_assert_eq(sb_pg_begin(pg), 0);
    /* A duplicate key: the input is at fault, the same rows would fail again. */
    cr_expect_eq(sb_pg_exec(pg, "CREATE TEMP TABLE dup (k int PRIMARY KEY)", 0, NULL), 0);
    cr_expect_eq(sb_pg_exec(pg, "INSERT INTO dup VALUES (1), (1)", 0, NULL), -1);
    cr_expect_str_eq(sb_pg_last_sqlstate(pg), "23505");
    cr_expect_eq(sb_pg_failure_transient(pg), 0);
    sb_pg_rollback(pg);
    /* A bad cast of outside data: input too. */
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_expect_eq(sb_pg_exec(pg, "SELECT 'not a uuid'::uuid", 0, NULL), -1);
    cr_expect_eq(sb_pg_failure_transient(pg), 0);
    sb_pg_rollback(pg);
    /* A statement the code got wrong is not the input's fault: retry, never dead-letter. */
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_expect_eq(sb_pg_exec(pg, "SELECT * FROM no_such_table", 0, NULL), -1);
    cr_expect_eq(sb_pg_failure_transient(pg), 1);
    sb_pg_rollback(pg);
    /* A new transaction starts with a clean slate. */
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_expect_eq(sb_pg_failure_transient(pg), 1);
    cr_expect_str_eq(sb_pg_last_sqlstate(pg), "");
    sb_pg_rollback(pg);
    sb_pg_free(pg);
}

/* One value of the COPY test's row r, column col. */
static char *copy_value(sb_pg *pg, const char *col, const char *r)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT %s FROM copy_test WHERE r = $1::int", col);
    const char *p[] = {r};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    cr_assert(res && PQntuples(res) == 1, "row %s not found", r);
    char *v = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

Test(common_pg, copy_rows_arrive_byte_for_byte)
{
    sb_pg *pg = sb_test_service_pg();
    cr_assert_eq(sb_pg_exec(pg, "CREATE TEMP TABLE copy_test (r int, t text, n bigint,"
                                " f real, a text[], j jsonb)", 0, NULL), 0);
    /* Every byte COPY's text format treats specially, a JSON document with escapes of its own,
     * an array whose elements need quoting, NULLs. */
    const char *nasty = "tab\there\nnew line\r\\N not null \\ back\\slash 退款 \"q\" ,{}";
    const char *tags[] = {"a,b", "quote\"d", "back\\slash", "", "NULL"};
    sb_copy_rows rows = {0};
    sb_copy_int(&rows, 1);
    sb_copy_text(&rows, nasty);
    sb_copy_int(&rows, -9007199254740993LL);
    sb_copy_real(&rows, 0.73125);
    sb_copy_text_array(&rows, tags, 5);
    sb_copy_text(&rows, "{\"s\": \"line\\nbreak \\\"x\\\" \\\\ \\u00e9\"}");
    sb_copy_row_end(&rows);
    sb_copy_int(&rows, 2);
    sb_copy_text(&rows, NULL);
    sb_copy_null(&rows);
    sb_copy_null(&rows);
    sb_copy_text_array(&rows, NULL, 0);
    sb_copy_textn(&rows, "nullxx", 4);
    sb_copy_row_end(&rows);
    /* A JSON value serialised straight into the rows: its own escapes survive COPY's. */
    json_t *doc = json_pack("{s:s, s:[i, s]}", "s", "tab\there\n \"x\" \\ 退款", "a", 1, "\\N");
    sb_copy_int(&rows, 3);
    sb_copy_null(&rows);
    sb_copy_null(&rows);
    sb_copy_null(&rows);
    sb_copy_null(&rows);
    sb_copy_json(&rows, doc);
    sb_copy_row_end(&rows);
    cr_assert_not(sb_copy_rows_failed(&rows));
    cr_assert_eq(rows.rows, 3);
    cr_assert_eq(sb_pg_copy_in(pg, "COPY copy_test (r, t, n, f, a, j) FROM STDIN", rows.buf,
                               rows.len), 0);
    sb_copy_rows_free(&rows);

    char *v;
    cr_expect_str_eq(v = copy_value(pg, "t", "1"), nasty);
    free(v);
    cr_expect_str_eq(v = copy_value(pg, "n::text", "1"), "-9007199254740993");
    free(v);
    cr_expect_str_eq(v = copy_value(pg, "f::text", "1"), "0.73125");
    free(v);
    for (int i = 0; i < 5; i++) {
        char col[32];
        snprintf(col, sizeof(col), "a[%d]", i + 1);
        cr_expect_str_eq(v = copy_value(pg, col, "1"), tags[i], "element %d", i);
        free(v);
    }
    cr_expect_str_eq(v = copy_value(pg, "j->>'s'", "1"), "line\nbreak \"x\" \\ é");
    free(v);
    cr_expect_null(v = copy_value(pg, "t", "2"));
    cr_expect_null(v = copy_value(pg, "n", "2"));
    cr_expect_str_eq(v = copy_value(pg, "cardinality(a)::text", "2"), "0");
    free(v);
    cr_expect_str_eq(v = copy_value(pg, "j::text", "2"), "null");
    free(v);
    cr_expect_str_eq(v = copy_value(pg, "j->>'s'", "3"), json_string_value(json_object_get(doc, "s")));
    free(v);
    cr_expect_str_eq(v = copy_value(pg, "j->'a'->>1", "3"), "\\N");
    free(v);
    json_decref(doc);
    sb_pg_free(pg);
}

Test(common_pg, copy_of_a_bad_row_fails_with_its_sqlstate_and_the_connection_goes_on)
{
    sb_pg *pg = sb_test_service_pg();
    cr_assert_eq(sb_pg_exec(pg, "CREATE TEMP TABLE copy_bad (id uuid NOT NULL)", 0, NULL), 0);
    sb_copy_rows rows = {0};
    sb_copy_text(&rows, "3f2b9c1e-0000-4000-8000-000000000001");
    sb_copy_row_end(&rows);
    sb_copy_text(&rows, "not-a-uuid");
    sb_copy_row_end(&rows);
    cr_assert_eq(sb_pg_begin(pg), 0);
    cr_expect_eq(sb_pg_copy_in(pg, "COPY copy_bad (id) FROM STDIN", rows.buf, rows.len), -1);
    cr_expect_str_eq(sb_pg_last_sqlstate(pg), "22P02");
    cr_expect_eq(sb_pg_failure_transient(pg), 0, "bad input is not worth a retry");
    sb_pg_rollback(pg);
    sb_copy_rows_free(&rows);
    /* No COPY left half open: the next statement runs, and the first row was rolled back. */
    PGresult *res = sb_pg_query(pg, "SELECT count(*) FROM copy_bad", 0, NULL);
    cr_assert_not_null(res);
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "0");
    PQclear(res);
    /* A statement that is not a COPY at all fails cleanly too. */
    cr_expect_eq(sb_pg_copy_in(pg, "SELECT 1", "", 0), -1);
    cr_expect_eq(sb_pg_exec(pg, "SELECT 1", 0, NULL), 0);
    sb_pg_free(pg);
}

/* The value of setting name on pg's session (caller frees), or NULL. */
static char *setting(sb_pg *pg, const char *name)
{
    const char *p[] = {name};
    PGresult *res = sb_pg_query(pg, "SELECT current_setting($1)", 1, p);
    char *v = res ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return v;
}

/* JIT off on every service connection, also after a reconnect; a DSN that asks for it wins. */
Test(common_pg, connections_run_without_jit_unless_the_dsn_asks_for_it)
{
    sb_pg *pg = sb_test_service_pg(), *killer = sb_pg_connect(getenv("SB_PG_DSN"), 3);
    cr_assert_not_null(killer);
    char *jit = setting(pg, "jit");
    cr_assert_str_eq(jit, "off");
    free(jit);

    /* The backend dies: the connection sb_pg_ensure makes again keeps the option. */
    PGresult *res = sb_pg_query(pg, "SELECT pg_backend_pid()::text", 0, NULL);
    cr_assert_not_null(res);
    const char *p[] = {PQgetvalue(res, 0, 0)};
    cr_assert_eq(sb_pg_exec(killer, "SELECT pg_terminate_backend($1::int)", 1, p), 0);
    PQclear(res);
    cr_assert_null(sb_pg_query(pg, "SELECT 1", 0, NULL), "the terminated backend still answered");
    cr_assert_eq(sb_pg_ensure(pg), 0);
    jit = setting(pg, "jit");
    cr_assert_str_eq(jit, "off", "after a reconnect jit is %s", jit);
    free(jit);
    sb_pg_free(pg);
    sb_pg_free(killer);

    /* The DSN's own options are expanded after ours, so an operator can turn it back on. */
    const char *dsn = getenv("SB_PG_DSN");
    char with[1024];
    snprintf(with, sizeof(with), "%s%soptions=-c%%20jit%%3Don", dsn, strchr(dsn, '?') ? "&" : "?");
    if (strncmp(dsn, "postgres", 8) != 0)   /* key=value form */
        snprintf(with, sizeof(with), "%s options='-c jit=on'", dsn);
    sb_pg *on = sb_pg_connect(with, 3);
    cr_assert_not_null(on, "cannot connect with %s", with);
    jit = setting(on, "jit");
    cr_assert_str_eq(jit, "on");
    free(jit);
    sb_pg_free(on);
}
