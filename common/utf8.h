/* utf8.h - UTF-8 sequence validation shared by log escaping and name masking. */
#ifndef SB_UTF8_H
#define SB_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 character at s, looking at no more than avail bytes;
 * 0 when the bytes there are not a valid character (overlong, surrogate, > U+10FFFF, cut). */
size_t sb_utf8_char_len(const char *s, size_t avail);

#endif
