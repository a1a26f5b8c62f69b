/* test_array.c - sb_array_grow: room when needed, doubling from the first size, refusals that
 * leave the array alone. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/array.h"

Test(array, grows_by_doubling_and_keeps_what_it_held)
{
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        int *w = sb_array_grow(v, &cap, n + 1, sizeof(*v), 8);
        cr_assert_not_null(w);
        v = w;
        v[n] = (int)n;
        cr_expect_geq(cap, n + 1);
    }
    cr_expect_eq(cap, 1024, "8 doubled up to the first power that holds 1,000");
    for (size_t n = 0; n < 1000; n++)
        cr_expect_eq(v[n], (int)n);
    int *same = sb_array_grow(v, &cap, 10, sizeof(*v), 8);
    cr_expect_eq(same, v, "room already: the same array");
    cr_expect_eq(cap, 1024);
    free(v);
}

Test(array, an_impossible_size_is_refused_and_the_array_left_alone)
{
    size_t cap = 4;
    char *v = malloc(cap);
    cr_assert_not_null(v);
    cr_expect_null(sb_array_grow(v, &cap, SIZE_MAX, 1, 1));
    cr_expect_eq(cap, 4);
    cr_expect_null(sb_array_grow(v, &cap, SIZE_MAX / 4, 16, 1));
    cr_expect_eq(cap, 4);
    free(v);
    size_t none = 0;
    char *first = sb_array_grow(NULL, &none, 1, 1, 0);
    cr_expect_not_null(first, "a first size of 0 still starts at 1");
    cr_expect_eq(none, 1);
    free(first);
}

/* For lower_bound over ints. */
static int int_vs(const void *key, const void *element)
{
    int a = *(const int *)key, b = *(const int *)element;
    return (a > b) - (a < b);
}

Test(array, lower_bound_finds_the_first_of_equal_keys_or_where_one_would_go)
{
    const int v[] = {1, 3, 3, 3, 7, 9};
    const size_t n = sizeof(v) / sizeof(v[0]);
    const int keys[] = {0, 1, 3, 4, 7, 9, 10};
    const size_t want[] = {0, 0, 1, 4, 4, 5, 6};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        cr_expect_eq(sb_array_lower_bound(v, n, sizeof(v[0]), &keys[i], int_vs), want[i],
                     "key %d", keys[i]);
    cr_expect_eq(sb_array_lower_bound(v, 0, sizeof(v[0]), &keys[2], int_vs), 0, "empty");
}
