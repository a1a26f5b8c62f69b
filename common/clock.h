/* clock.h - wall and monotonic time in milliseconds, with a fake clock tests can drive. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>
#include <stddef.h>

int64_t sb_clock_now_ms(void);    /* Unix epoch ms: real, or the fake value when set */
int64_t sb_clock_mono_ms(void);   /* monotonic ms: for durations; also follows the fake clock */
void    sb_clock_fake_set(int64_t epoch_ms);
void    sb_clock_fake_advance(int64_t ms);
void    sb_clock_use_real(void);

/* 2026-11-22T10:00:00.123Z into out (at least 25 bytes). Returns out. */
char   *sb_clock_format_iso(int64_t epoch_ms, char *out, size_t len);
/* Parses RFC 3339 ("2026-11-22T10:00:00Z", ".123", "+08:00"); 0 or -1. */
int     sb_clock_parse_iso(const char *s, int64_t *epoch_ms);
/* UTC date as yyyymmdd, e.g. 20261122. */
int     sb_clock_yyyymmdd(int64_t epoch_ms);

#endif
