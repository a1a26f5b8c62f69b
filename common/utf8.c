/* utf8.c - strict UTF-8 decoding (RFC 3629), so masks and logs never split or pass bad bytes. */
#include "common/utf8.h"

/* 1 when b is a continuation byte 10xxxxxx. */
static int is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

size_t sb_utf8_char_len(const char *s, size_t avail)
{
    const unsigned char *u = (const unsigned char *)s;
    if (avail == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    size_t n;
    unsigned min, cp;
    if ((u[0] & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = u[0] & 0x1F;
    } else if ((u[0] & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = u[0] & 0x0F;
    } else if ((u[0] & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = u[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (!is_cont(u[i]))
            return 0;
        cp = (cp << 6) | (u[i] & 0x3F);
    }
    /* Overlong forms, UTF-16 surrogates and code points past Unicode are not characters. */
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

size_t sb_utf8_count(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += !is_cont((unsigned char)s[i]);
    return chars;
}
