/* clock.h - wall and monotonic time in milliseconds, with a fake clock tests can drive. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>
#include <stddef.h>

/* Unix epoch ms: real, or the fake value when set. A service process started with
 * SB_CLOCK_OFFSET_FILE=<path> adds the integer milliseconds that file holds (missing: 0), so an
 * integration test drives a running service's clock: hours pass in milliseconds. Test-only;
 * the local stack and docker-compose never set it. */
int64_t sb_clock_now_ms(void);
int64_t sb_clock_mono_ms(void);   /* monotonic ms: for durations; also follows the fake clock */
void    sb_clock_fake_set(int64_t epoch_ms);
void    sb_clock_fake_advance(int64_t ms);
void    sb_clock_use_real(void);
/* Writes offset_ms into the SB_CLOCK_OFFSET_FILE at path, atomically (tests). 0 or -1. */
int     sb_clock_offset_write(const char *path, int64_t offset_ms);

/* 2026-11-22T10:00:00.123Z into out (at least 25 bytes). Returns out. */
char   *sb_clock_format_iso(int64_t epoch_ms, char *out, size_t len);
/* Parses RFC 3339 ("2026-11-22T10:00:00Z", ".123", "+08:00"); 0 or -1. */
int     sb_clock_parse_iso(const char *s, int64_t *epoch_ms);
/* UTC date as yyyymmdd, e.g. 20261122. */
int     sb_clock_yyyymmdd(int64_t epoch_ms);

#endif
