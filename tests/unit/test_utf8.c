/* test_utf8.c - strict UTF-8 character lengths and character counts. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/utf8.h"

Test(utf8, char_len_of_each_width_and_of_bad_bytes)
{
    cr_assert_eq(sb_utf8_char_len("a", 1), 1);
    cr_assert_eq(sb_utf8_char_len("\xC3\xA9", 2), 2);           /* é */
    cr_assert_eq(sb_utf8_char_len("\xE5\xBC\xA0", 3), 3);       /* 张 */
    cr_assert_eq(sb_utf8_char_len("\xF0\x9F\x98\x80", 4), 4);   /* 😀 */
    cr_assert_eq(sb_utf8_char_len("\xE5\xBC", 2), 0, "cut short");
    cr_assert_eq(sb_utf8_char_len("\xC0\xAF", 2), 0, "overlong");
    cr_assert_eq(sb_utf8_char_len("\xED\xA0\x80", 3), 0, "surrogate");
}

Test(utf8, count_is_characters_not_bytes)
{
    const char *s = "张伟 ok 😀";
    cr_assert_eq(sb_utf8_count(s, strlen(s)), 7);
    cr_assert_eq(sb_utf8_count("", 0), 0);
    /* A prefix counts only the characters that start in it. */
    cr_assert_eq(sb_utf8_count(s, 4), 2);
}
