/* orders.c - finds the order numbers a message names (for threading by order). */
#include "orders.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define ORDER_WORD_GAP   24   /* bytes between an order word and its number ("order no.: #") */
#define ORDER_MIN_AFTER   6   /* shortest number accepted after an order word */
#define ORDER_MIN_BARE   12   /* shortest bare digit run taken as an order number */

static const char *const order_words[] = {"order", "订单", "单号", NULL};

/* Appends ref (len bytes, upper-cased) unless it is already there or refs is full. */
static size_t add_ref(char refs[][CLASSIFY_ORDER_REF_LEN], size_t n, size_t max, const char *s,
                      size_t len)
{
    if (n >= max || len == 0 || len >= CLASSIFY_ORDER_REF_LEN)
        return n;
    char buf[CLASSIFY_ORDER_REF_LEN];
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)toupper((unsigned char)s[i]);
    buf[len] = '\0';
    for (size_t i = 0; i < n; i++)
        if (strcmp(refs[i], buf) == 0)
            return n;
    memcpy(refs[n], buf, len + 1);
    return n + 1;
}

/* Length of the run of ASCII digits at s. */
static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n;
}

/* The order word starting at s, its length, or 0. */
static size_t order_word_at(const char *s)
{
    for (size_t i = 0; order_words[i]; i++) {
        size_t n = strlen(order_words[i]);
        if (strncasecmp(s, order_words[i], n) == 0)
            return n;
    }
    return 0;
}

/* After an order word at p: skip a short gap without digits or line breaks, take the number. */
static size_t ref_after_word(const char *p, char refs[][CLASSIFY_ORDER_REF_LEN], size_t n,
                             size_t max)
{
    for (size_t gap = 0; gap < ORDER_WORD_GAP && p[gap] && p[gap] != '\n'; gap++) {
        if (!isdigit((unsigned char)p[gap]))
            continue;
        size_t len = digit_run(p + gap);
        if (len >= ORDER_MIN_AFTER && len < CLASSIFY_ORDER_REF_LEN)
            n = add_ref(refs, n, max, p + gap, len);
        break;
    }
    return n;
}

/* The hint without blanks. */
static size_t ref_from_hint(const char *hint, char refs[][CLASSIFY_ORDER_REF_LEN], size_t max)
{
    char buf[CLASSIFY_ORDER_REF_LEN];
    size_t len = 0;
    for (const char *p = hint; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        if (len + 1 >= sizeof(buf))
            return 0;           /* too long to be an order id we can match */
        buf[len++] = *p;
    }
    return add_ref(refs, 0, max, buf, len);
}

size_t classify_order_refs(const char *text, const char *hint,
                           char refs[][CLASSIFY_ORDER_REF_LEN], size_t max)
{
    size_t n = hint && *hint && max > 0 ? ref_from_hint(hint, refs, max) : 0;
    for (const char *p = text; p && *p && n < max;) {
        size_t w = order_word_at(p);
        if (w) {
            n = ref_after_word(p + w, refs, n, max);
            p += w;
            continue;
        }
        if (isdigit((unsigned char)*p) && (p == text || !isalnum((unsigned char)p[-1]))) {
            size_t len = digit_run(p);
            if (len >= ORDER_MIN_BARE && !isalpha((unsigned char)p[len]))
                n = add_ref(refs, n, max, p, len);
            p += len;
            continue;
        }
        p++;
    }
    return n;
}
