/* fuzz_text.c - customer text from outside: the term extractor (classifier, knowledge-base
 * search) and the order-reference finder (threading) on arbitrary bytes. */
#define FUZZ_NAME "fuzz_text"
#include "fuzz.h"

#include "common/textfeat.h"
#include "common/utf8.h"
#include "services/classify/orders.h"

/* Every term is non-empty, bounded and well-formed UTF-8 without separators. */
static int check_term(void *ctx, const char *term, size_t len)
{
    (*(size_t *)ctx)++;
    CHECK(len > 0 && len <= SB_TEXTFEAT_TERM_MAX, "term length");
    CHECK(strlen(term) == len, "term has no NUL inside");
    for (size_t i = 0; i < len;) {
        size_t n = sb_utf8_char_len(term + i, len - i);
        CHECK(n > 0, "term is valid UTF-8");
        CHECK(!(n == 1 && (term[i] == ' ' || (term[i] >= 'A' && term[i] <= 'Z'))), "folded, no blank");
        i += n;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;

    size_t seen = 0;
    size_t n = sb_textfeat_terms(text, size, SB_TEXTFEAT_ALL, check_term, &seen);
    CHECK(n == seen, "count matches callbacks");
    char small[24], big[4096];
    size_t j = sb_textfeat_join(text, size, SB_TEXTFEAT_ALL, small, sizeof(small));
    CHECK(j < sizeof(small) && strlen(small) == j, "join respects capacity");
    sb_textfeat_join(text, size, SB_TEXTFEAT_WORDS | SB_TEXTFEAT_CJK_BI, big, sizeof(big));

    /* The first line doubles as the channel's order hint. */
    char hint[64];
    size_t h = strcspn(text, "\n");
    snprintf(hint, sizeof(hint), "%.*s", (int)(h < 63 ? h : 63), text);
    char refs[CLASSIFY_ORDER_REFS_MAX][CLASSIFY_ORDER_REF_LEN];
    size_t r = classify_order_refs(text, hint, refs, CLASSIFY_ORDER_REFS_MAX);
    CHECK(r <= CLASSIFY_ORDER_REFS_MAX, "bounded");
    for (size_t i = 0; i < r; i++) {
        CHECK(refs[i][0] != '\0' && strlen(refs[i]) < CLASSIFY_ORDER_REF_LEN, "ref shape");
        for (size_t k = 0; k < i; k++)
            CHECK(strcmp(refs[i], refs[k]) != 0, "refs unique");
    }
    free(text);
    return 0;
}
