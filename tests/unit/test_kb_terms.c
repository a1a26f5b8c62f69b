/* test_kb_terms.c - the knowledge base's terms (textfeat without stopwords) and term set. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/kb.h"
#include "common/kb_terms.h"

/* The knowledge-base terms of s. */
static const char *terms(const char *s)
{
    static char out[1024];
    sb_kb_terms(s, out, sizeof(out));
    return out;
}

Test(kb_terms, english_drops_stopwords_and_single_letters)
{
    cr_assert_str_eq(terms("Where is my REFUND? It's not here"), "refund here");
    cr_assert_str_eq(terms("the and of a"), "");
}

Test(kb_terms, chinese_is_bigrams_without_question_words)
{
    cr_assert_str_eq(terms("快递三天了还没到"), "快递 递三 三天 天了 了还 还没 没到");
    cr_assert_str_eq(terms("您好，快递怎么还没到"), "快递 递怎 么还 还没 没到");
    cr_assert_str_eq(terms("退"), "");   /* a lone character is no bigram */
}

Test(kb_terms, output_is_cut_at_a_term)
{
    char small[12];
    size_t n = sb_kb_terms("refund received tracking", small, sizeof(small));
    cr_assert_str_eq(small, "refund");
    cr_assert_eq(n, 6);
    cr_assert_eq(sb_kb_terms("refund", small, 0), 0);
}

Test(kb_terms, set_keeps_first_seen_order_dedupes_and_caps)
{
    sb_kb_set s;
    sb_kb_buf added = {0};
    sb_kb_set_init(&s, 3);
    const char *text = "order order refund 快递 package";
    sb_kb_distinct_terms(text, strlen(text), &s, &added);
    cr_assert_eq(s.n, 3);
    cr_assert_str_eq(added.p, "order refund 快递");
    cr_assert_eq(sb_kb_set_index(&s, "refund"), 1);
    cr_assert_eq(sb_kb_set_index(&s, "package"), -1);
    cr_assert_eq(sb_kb_set_put(&s, "package"), -1, "capped");
    sb_kb_set t;
    sb_kb_set_init(&t, 0);
    for (int i = 0; i < 500; i++) {   /* grows past its first table */
        char w[16];
        snprintf(w, sizeof(w), "w%d", i);
        cr_assert_eq(sb_kb_set_put(&t, w), i);
    }
    cr_assert_eq(sb_kb_set_put(&t, "w7"), 7);
    cr_assert_eq(sb_kb_set_put(&t, "refund"), 500);
    cr_assert_eq(sb_kb_set_common(&s, &t), 1);
    sb_kb_set_free(&s);
    sb_kb_set_free(&t);
    sb_kb_buf_free(&added);
}
