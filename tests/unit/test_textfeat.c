/* test_textfeat.c - the shared term extractor: latin words, Chinese unigrams and bigrams. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/textfeat.h"

/* Joins the terms of s with the given flags into a static buffer. */
static const char *terms(const char *s, unsigned flags)
{
    static char out[1024];
    sb_textfeat_join(s, strlen(s), flags, out, sizeof(out));
    return out;
}

Test(textfeat, latin_words_are_lowercased_and_split_on_punctuation)
{
    cr_assert_str_eq(terms("Where is my ORDER #12345? It's late!", SB_TEXTFEAT_ALL),
                     "where is my order 12345 it s late");
}

Test(textfeat, chinese_gives_unigrams_and_bigrams_in_order)
{
    cr_assert_str_eq(terms("快递没到", SB_TEXTFEAT_ALL), "快 递 快递 没 递没 到 没到");
    cr_assert_str_eq(terms("快递没到", SB_TEXTFEAT_CJK_BI), "快递 递没 没到");
}

Test(textfeat, bigrams_do_not_cross_punctuation_or_latin)
{
    cr_assert_str_eq(terms("退款，iPhone坏了", SB_TEXTFEAT_CJK_BI | SB_TEXTFEAT_WORDS),
                     "退款 iphone 坏了");
}

Test(textfeat, accented_latin_stays_one_word)
{
    cr_assert_str_eq(terms("Café Müller", SB_TEXTFEAT_WORDS), "café müller");
}

Test(textfeat, invalid_utf8_is_a_separator_not_a_crash)
{
    cr_assert_str_eq(terms("ab\xff\xfe" "cd\xe5\xbf", SB_TEXTFEAT_ALL), "ab cd");
}

Test(textfeat, overlong_words_are_cut_and_join_respects_capacity)
{
    char longword[200];
    memset(longword, 'x', sizeof(longword) - 1);
    longword[sizeof(longword) - 1] = '\0';
    cr_assert_eq(strlen(terms(longword, SB_TEXTFEAT_WORDS)), SB_TEXTFEAT_TERM_MAX);
    char small[8];
    size_t n = sb_textfeat_join("alpha beta gamma", 16, SB_TEXTFEAT_WORDS, small, sizeof(small));
    cr_assert_eq(n, 5);
    cr_assert_str_eq(small, "alpha");
}

/* Stops after two terms. */
static int stop_after_two(void *ctx, const char *term, size_t len)
{
    (void)term;
    (void)len;
    return ++*(int *)ctx == 2;
}

Test(textfeat, callback_can_stop_the_walk)
{
    int seen = 0;
    size_t n = sb_textfeat_terms("one two three four", 18, SB_TEXTFEAT_WORDS, stop_after_two, &seen);
    cr_assert_eq(seen, 2);
    cr_assert_eq(n, 2);
}
