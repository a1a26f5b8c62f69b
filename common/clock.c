/* clock.c - wall/monotonic milliseconds with a test-drivable fake, and RFC 3339 conversion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

/* The fake clock is process-wide on purpose: tests drive every module's notion of "now". */
static int     fake_active;
static int64_t fake_now_ms;

/* Milliseconds of a clock_gettime() clock. */
static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The offset of a driven service process (SB_CLOCK_OFFSET_FILE), re-read at most every
 * 10 ms so a test's jump is seen at once without a file read per call. */
static int64_t driven_offset_ms(void)
{
    static int     checked, enabled;
    static char    path[512];
    static int64_t offset, read_at = -1000;
    if (!checked) {
        const char *p = getenv("SB_CLOCK_OFFSET_FILE");
        checked = 1;
        enabled = p && *p && strlen(p) < sizeof(path);
        if (enabled)
            snprintf(path, sizeof(path), "%s", p);
    }
    if (!enabled)
        return 0;
    int64_t mono = clock_ms(CLOCK_MONOTONIC);
    if (mono - read_at < 10)
        return offset;
    read_at = mono;
    FILE *f = fopen(path, "r");
    long long v = 0;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = 0;
        fclose(f);
    }
    offset = (int64_t)v;
    return offset;
}

int64_t sb_clock_now_ms(void)
{
    return fake_active ? fake_now_ms : clock_ms(CLOCK_REALTIME) + driven_offset_ms();
}

int sb_clock_offset_write(const char *path, int64_t offset_ms)
{
    char tmp[600];
    if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%lld\n", (long long)offset_ms) < 0;
    bad |= fclose(f) != 0;
    /* rename() is atomic: a reader sees the old offset or the new one, never half a number. */
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int64_t sb_clock_mono_ms(void)
{
    return fake_active ? fake_now_ms : clock_ms(CLOCK_MONOTONIC);
}

void sb_clock_fake_set(int64_t epoch_ms)
{
    fake_active = 1;
    fake_now_ms = epoch_ms;
}

void sb_clock_fake_advance(int64_t ms)
{
    /* Advancing an unset fake starts it at the real time, so "advance" never jumps to 1970. */
    if (!fake_active)
        sb_clock_fake_set(clock_ms(CLOCK_REALTIME));
    fake_now_ms += ms;
}

void sb_clock_use_real(void)
{
    fake_active = 0;
}

/* Splits epoch ms into UTC calendar time and a 0..999 millisecond part (floor, also pre-1970). */
static void split_ms(int64_t epoch_ms, struct tm *tm, int *ms)
{
    int64_t sec = epoch_ms / 1000, rem = epoch_ms % 1000;
    if (rem < 0) {
        rem += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    gmtime_r(&t, tm);
    *ms = (int)rem;
}

char *sb_clock_format_iso(int64_t epoch_ms, char *out, size_t len)
{
    struct tm tm;
    int ms;
    split_ms(epoch_ms, &tm, &ms);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return out;
}

int sb_clock_yyyymmdd(int64_t epoch_ms)
{
    struct tm tm;
    int ms;
    split_ms(epoch_ms, &tm, &ms);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Reads exactly n decimal digits at *p into *v and advances *p; -1 if any is not a digit. */
static int read_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return 0;
}

/* Consumes the expected separator c at *p. */
static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

/* Optional ".fraction": milliseconds from the first three digits; further digits are dropped. */
static int read_fraction(const char **p, int *ms)
{
    *ms = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    int digits = 0, scale = 100;
    while (**p >= '0' && **p <= '9') {
        if (digits < 3)
            *ms += (**p - '0') * scale;
        scale /= 10;
        digits++;
        (*p)++;
    }
    return digits > 0 ? 0 : -1;
}

/* "Z" or "+hh:mm"/"-hh:mm" into seconds east of UTC. */
static int read_offset(const char **p, int *offset_s)
{
    char sign = **p;
    if (sign == 'Z' || sign == 'z') {
        (*p)++;
        *offset_s = 0;
        return 0;
    }
    if (sign != '+' && sign != '-')
        return -1;
    (*p)++;
    int hh, mm;
    if (read_digits(p, 2, &hh) || expect(p, ':') || read_digits(p, 2, &mm) || hh > 23 || mm > 59)
        return -1;
    *offset_s = (hh * 3600 + mm * 60) * (sign == '-' ? -1 : 1);
    return 0;
}

/* Days in month mo (1-12) of year y, Gregorian leap rules; timegm would silently roll 31 April. */
static int days_in_month(int y, int mo)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[mo - 1] + (mo == 2 && leap);
}

/* Reads "yyyy-mm-ddThh:mm:ss" into tm, checking each field's range. */
static int read_date_time(const char **p, struct tm *tm)
{
    int y, mo, d, h, mi, s;
    if (read_digits(p, 4, &y) || expect(p, '-') || read_digits(p, 2, &mo) || expect(p, '-') ||
        read_digits(p, 2, &d))
        return -1;
    if (**p != 'T' && **p != 't')
        return -1;
    (*p)++;
    if (read_digits(p, 2, &h) || expect(p, ':') || read_digits(p, 2, &mi) || expect(p, ':') ||
        read_digits(p, 2, &s))
        return -1;
    /* Second 60 is RFC 3339's leap second; timegm folds it into the next minute. */
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
        return -1;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = y - 1900;
    tm->tm_mon = mo - 1;
    tm->tm_mday = d;
    tm->tm_hour = h;
    tm->tm_min = mi;
    tm->tm_sec = s;
    return 0;
}

int sb_clock_parse_iso(const char *s, int64_t *epoch_ms)
{
    if (!s)
        return -1;
    const char *p = s;
    struct tm tm;
    int ms, offset_s;
    if (read_date_time(&p, &tm) || read_fraction(&p, &ms) || read_offset(&p, &offset_s) || *p)
        return -1;
    time_t t = timegm(&tm);
    *epoch_ms = ((int64_t)t - offset_s) * 1000 + ms;
    return 0;
}
