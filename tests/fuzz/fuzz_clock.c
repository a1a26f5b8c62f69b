/* fuzz_clock.c - RFC 3339 timestamps from outside: sb_clock_parse_iso against an independent reference. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

#define FUZZ_NAME "fuzz_clock"
#include "tests/fuzz/fuzz.h"

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil): no libc. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s into *v; 0 or -1. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* The reference: yyyy-mm-ddThh:mm:ss[.f+](Z|±hh:mm), T and Z in either case, second 60 allowed
 * (folded into the next minute), fraction truncated to milliseconds. 0 or -1. */
static int reference_parse(const char *s, int64_t *ms_out)
{
    int y, mo, d, h, mi, sec, ms = 0, off = 0;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return -1;
        for (int i = 0; i < 3; i++)
            ms = ms * 10 + (f + i < p ? f[i] - '0' : 0);
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (strlen(p) < 6 || digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || sec > 60)
        return -1;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *ms_out = t * 1000 + ms;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    int64_t got = INT64_MIN, want = INT64_MIN;
    int rc = sb_clock_parse_iso(s, &got), ref = reference_parse(s, &want);
    CHECK(rc == ref, "'%s': sb_clock_parse_iso %d, reference %d", s, rc, ref);
    if (rc == 0) {
        CHECK(got == want, "'%s': %" PRId64 " ms, reference %" PRId64, s, got, want);
        /* What services write (UTC, milliseconds) reads back to the same instant, for every
         * instant the four-digit format can hold. */
        if (got >= -62135596800000LL && got < 253402300800000LL) {
            char iso[40];
            int64_t back = INT64_MIN;
            sb_clock_format_iso(got, iso, sizeof iso);
            CHECK(sb_clock_parse_iso(iso, &back) == 0 && back == got,
                  "'%s' -> %s -> %" PRId64 " (was %" PRId64 ")", s, iso, back, got);
        }
    }
    free(s);
    return 0;
}
