/* service_pg.h - a service's connection (common/pg) to the stack's database in a Criterion test, or skip. */
#ifndef SB_TEST_SERVICE_PG_H
#define SB_TEST_SERVICE_PG_H

#include <criterion/criterion.h>
#include <stdlib.h>

#include "common/pg.h"

/* Connected to SB_PG_DSN the way the services connect; skips the test when SB_PG_DSN is unset
 * (outside tests/run), fails it when the database does not answer. Caller frees. */
static inline sb_pg *sb_test_service_pg(void)
{
    const char *dsn = getenv("SB_PG_DSN");
    if (!dsn || !*dsn)
        cr_skip_test("SB_PG_DSN is not set: run through tests/run");
    sb_pg *pg = sb_pg_connect(dsn, 3);
    cr_assert(pg, "cannot connect to %s", dsn);
    return pg;
}

#endif
