/* expect.h - Criterion helpers the suites share: the stack's environment, sample files, JSON
 * compared as values, and the error object of a reply. */
#ifndef SB_TEST_EXPECT_H
#define SB_TEST_EXPECT_H

#include <stddef.h>
#include <jansson.h>

/* The value of environment variable name (the stack exports it through tests/run), or skip the
 * running test when it is unset or empty. */
const char *sb_test_env(const char *name);

/* The whole file at path, NUL-terminated (it may hold NULs too; *len is its size), or fail the
 * test. Caller frees. */
char *sb_test_file(const char *path, size_t *len);

/* Expects got to equal the JSON text want as a value (no member more or less, any order),
 * printing both sorted when it does not. */
void sb_test_assert_json(const json_t *got, const char *want);

/* error.field / error.code of an error reply {"error": {...}}; "" when absent. */
const char *sb_test_error_field(const json_t *reply);
const char *sb_test_error_code(const json_t *reply);

#endif
