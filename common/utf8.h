/* utf8.h - UTF-8 sequence validation and character counting shared by log escaping, name
 * masking and the length limits of outside input. */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 character at s, looking at no more than avail bytes;
 * 0 when the bytes there are not a valid character (overlong, surrogate, > U+10FFFF, cut). */
size_t sb_utf8_char_len(const char *s, size_t avail);

/* Characters (code points) in the n bytes at s, which hold valid UTF-8 (as jansson hands out):
 * the bytes that are not continuation bytes. Limits of outside input are in characters. */
size_t sb_utf8_count(const char *s, size_t n);

#endif
