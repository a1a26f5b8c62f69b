/* test_error.c - sb_error filling, truncation and clearing. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/error.h"

Test(error, set_fills_and_returns_minus_one)
{
    sb_error err;
    cr_assert_eq(sb_error_set(&err, 400, "invalid_field", "customer.phone", "bad %s #%d", "phone", 2), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.code, "invalid_field");
    cr_assert_str_eq(err.field, "customer.phone");
    cr_assert_str_eq(err.message, "bad phone #2");
}

Test(error, null_err_and_null_field_are_fine)
{
    cr_assert_eq(sb_error_set(NULL, 500, "x", "y", "z"), -1);
    sb_error err;
    sb_error_set(&err, 500, "internal", NULL, "oops");
    cr_assert_str_eq(err.field, "");
}

Test(error, long_values_are_truncated_and_terminated)
{
    char longs[600];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    sb_error err;
    sb_error_set(&err, 400, longs, longs, "%s", longs);
    cr_assert_eq(strlen(err.code), sizeof err.code - 1);
    cr_assert_eq(strlen(err.field), sizeof err.field - 1);
    cr_assert_eq(strlen(err.message), sizeof err.message - 1);
}

Test(error, clear_resets)
{
    sb_error err;
    sb_error_set(&err, 404, "not_found", "id", "no such ticket");
    sb_error_clear(&err);
    cr_assert_eq(err.status, 0);
    cr_assert_str_eq(err.code, "");
    cr_assert_str_eq(err.message, "");
    sb_error_clear(NULL);
}
