/* test_classify_orders.c - which order numbers a customer's message names (threading key). */
#include <criterion/criterion.h>

#include "services/classify/orders.h"

static char refs[CLASSIFY_ORDER_REFS_MAX][CLASSIFY_ORDER_REF_LEN];

Test(classify_orders, number_after_an_order_word_in_chinese_and_english)
{
    cr_assert_eq(classify_order_refs("订单号：2026112300123 一直没发货", NULL, refs, 4), 1);
    cr_expect_str_eq(refs[0], "2026112300123");
    cr_assert_eq(classify_order_refs("Hi, my order no. #8812345 has not arrived", NULL, refs, 4), 1);
    cr_expect_str_eq(refs[0], "8812345");
    cr_assert_eq(classify_order_refs("单号 99887766", NULL, refs, 4), 1);
    cr_expect_str_eq(refs[0], "99887766");
}

Test(classify_orders, short_numbers_and_phone_numbers_are_not_orders)
{
    cr_expect_eq(classify_order_refs("my order is 3 days late", NULL, refs, 4), 0);
    cr_expect_eq(classify_order_refs("call me on 13812345678", NULL, refs, 4), 0);
    cr_expect_eq(classify_order_refs("order\n12345678 on the next line", NULL, refs, 4), 0);
}

Test(classify_orders, long_bare_digit_runs_count_but_not_inside_codes)
{
    cr_assert_eq(classify_order_refs("see 123456789012345 please", NULL, refs, 4), 1);
    cr_expect_str_eq(refs[0], "123456789012345");
    cr_expect_eq(classify_order_refs("serial SN123456789012345X", NULL, refs, 4), 0);
}

Test(classify_orders, hint_first_without_blanks_upper_cased_and_each_once)
{
    size_t n = classify_order_refs("order 2026112300123, again order 2026112300123", " so-77 12 ",
                                   refs, 4);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(refs[0], "SO-7712");
    cr_expect_str_eq(refs[1], "2026112300123");
}

Test(classify_orders, at_most_max)
{
    const char *t = "order 11111111 order 22222222 order 33333333 order 44444444 order 55555555";
    cr_expect_eq(classify_order_refs(t, NULL, refs, 3), 3);
    cr_expect_str_eq(refs[2], "33333333");
}
