/* test_clock.c - fake clock, RFC 3339 formatting and parsing, UTC dates. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"

#define T0 1795341600123LL  /* 2026-11-22T10:00:00.123Z */

static void real_clock(void)
{
    sb_clock_use_real();
}

TestSuite(clock, .fini = real_clock);

Test(clock, real_clock_is_current)
{
    sb_clock_use_real();
    int64_t now = sb_clock_now_ms();
    cr_assert_gt(now, 1700000000000LL);   /* after 2023 */
    int64_t m1 = sb_clock_mono_ms(), m2 = sb_clock_mono_ms();
    cr_assert_geq(m2, m1);
}

Test(clock, fake_clock_drives_now_and_mono)
{
    sb_clock_fake_set(T0);
    cr_assert_eq(sb_clock_now_ms(), T0);
    int64_t mono = sb_clock_mono_ms();
    sb_clock_fake_advance(1500);
    cr_assert_eq(sb_clock_now_ms(), T0 + 1500);
    cr_assert_eq(sb_clock_mono_ms() - mono, 1500);
    sb_clock_use_real();
    cr_assert_neq(sb_clock_now_ms(), T0 + 1500);
}

Test(clock, advance_without_fake_starts_from_real_time)
{
    sb_clock_use_real();
    int64_t before = sb_clock_now_ms();
    sb_clock_fake_advance(60000);
    cr_assert_geq(sb_clock_now_ms(), before + 60000);
    cr_assert_lt(sb_clock_now_ms(), before + 70000);
}

Test(clock, format_iso)
{
    char buf[32];
    cr_assert_str_eq(sb_clock_format_iso(T0, buf, sizeof buf), "2026-11-22T10:00:00.123Z");
    cr_assert_str_eq(sb_clock_format_iso(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
    cr_assert_str_eq(sb_clock_format_iso(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
    cr_assert_eq(strlen(sb_clock_format_iso(T0, buf, 25)), 24);
}

Test(clock, parse_iso_variants)
{
    int64_t t;
    cr_assert_eq(sb_clock_parse_iso("2026-11-22T10:00:00.123Z", &t), 0);
    cr_assert_eq(t, T0);
    cr_assert_eq(sb_clock_parse_iso("2026-11-22T10:00:00Z", &t), 0);
    cr_assert_eq(t, T0 - 123);
    cr_assert_eq(sb_clock_parse_iso("2026-11-22T18:00:00.123+08:00", &t), 0);
    cr_assert_eq(t, T0);
    cr_assert_eq(sb_clock_parse_iso("2026-11-22T05:30:00.123-04:30", &t), 0);
    cr_assert_eq(t, T0);
    cr_assert_eq(sb_clock_parse_iso("2026-11-22T10:00:00.1z", &t), 0);
    cr_assert_eq(t, T0 - 23);
    /* Digits past milliseconds are dropped, not rounded. */
    cr_assert_eq(sb_clock_parse_iso("2026-11-22t10:00:00.123999Z", &t), 0);
    cr_assert_eq(t, T0);
}

Test(clock, parse_iso_round_trips_format)
{
    char buf[32];
    int64_t t;
    const int64_t samples[] = {0, 1, T0, 951782400000LL /* 2000-02-29 */, 4102444799999LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        cr_assert_eq(sb_clock_parse_iso(sb_clock_format_iso(samples[i], buf, sizeof buf), &t), 0);
        cr_assert_eq(t, samples[i], "%s", buf);
    }
}

Test(clock, parse_iso_accepts_leap_second)
{
    int64_t t;
    cr_assert_eq(sb_clock_parse_iso("2016-12-31T23:59:60Z", &t), 0);
    cr_assert_eq(t, 1483228800000LL);
}

Test(clock, parse_iso_rejects_malformed)
{
    const char *bad[] = {
        "",
        "2026-11-22",
        "2026-11-22T10:00:00",          /* no zone */
        "2026-11-22 10:00:00Z",
        "2026-11-22T10:00Z",
        "2026-13-22T10:00:00Z",
        "2026-02-29T10:00:00Z",         /* not a leap year */
        "2026-04-31T10:00:00Z",
        "2026-11-00T10:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:61Z",
        "2026-11-22T10:00:00.Z",
        "2026-11-22T10:00:00+0800",
        "2026-11-22T10:00:00+24:00",
        "2026-11-22T10:00:00Zjunk",
        "26-11-22T10:00:00Z",
        "2026-1-22T10:00:00Z",
    };
    int64_t t = 42;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(sb_clock_parse_iso(bad[i], &t), -1, "accepted '%s'", bad[i]);
    cr_assert_eq(sb_clock_parse_iso(NULL, &t), -1);
    cr_assert_eq(t, 42);
}

Test(clock, yyyymmdd_is_utc)
{
    cr_assert_eq(sb_clock_yyyymmdd(T0), 20261122);
    int64_t t;
    cr_assert_eq(sb_clock_parse_iso("2026-11-23T07:59:59+08:00", &t), 0);
    cr_assert_eq(sb_clock_yyyymmdd(t), 20261122);
    cr_assert_eq(sb_clock_yyyymmdd(0), 19700101);
}

/* A process started with SB_CLOCK_OFFSET_FILE follows the offset a test writes there. */
Test(clock, driven_offset_file_moves_now)
{
    char path[] = "/tmp/sb-clock-offset-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(sb_clock_offset_write(path, 0), 0);
    setenv("SB_CLOCK_OFFSET_FILE", path, 1);
    int64_t before = sb_clock_now_ms();
    cr_assert_eq(sb_clock_offset_write(path, 3 * 3600 * 1000LL), 0);
    usleep(20 * 1000); /* the offset is re-read at most every 10 ms */
    int64_t after = sb_clock_now_ms();
    cr_expect_geq(after - before, 3 * 3600 * 1000LL);
    cr_expect_lt(after - before, 3 * 3600 * 1000LL + 5000);
    remove(path);
    usleep(20 * 1000);
    cr_expect_lt(sb_clock_now_ms() - before, 5000, "a missing file means no offset");
}
