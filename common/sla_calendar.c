/* sla_calendar.c - business hours arithmetic: walk local days, skipping closed ones and holidays. */
#include "common/sla_calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS    86400000LL
#define MINUTE_MS 60000LL
/* A walk gives up after this many days (a calendar open one day a year still fits). */
#define WALK_DAYS_MAX 3700

static const char *const weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

void sb_sla_calendar_init(sb_sla_calendar *c)
{
    memset(c, 0, sizeof(*c));
}

int sb_sla_weekday_parse(const char *name)
{
    for (int i = 0; name && i < 7; i++)
        if (strcmp(name, weekdays[i]) == 0)
            return i;
    return -1;
}

/* "HH:MM" at s (exactly 5 chars) -> minutes, 00:00..24:00; -1 otherwise. */
static int hhmm(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' ||
        s[3] > '5' || s[4] < '0' || s[4] > '9')
        return -1;
    int m = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
    return m <= 24 * 60 ? m : -1;
}

int sb_sla_calendar_set_hours(sb_sla_calendar *c, int weekday, const char *range)
{
    if (weekday < 0 || weekday > 6 || !range || strlen(range) != 11 || range[5] != '-')
        return -1;
    int open = hhmm(range), close = hhmm(range + 6);
    if (open < 0 || close < 0 || close <= open || open == 24 * 60)
        return -1;
    c->open_min[weekday] = open;
    c->close_min[weekday] = close;
    return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* yyyymmdd of a day number. */
static int32_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int sb_sla_calendar_add_holiday(sb_sla_calendar *c, const char *date)
{
    int y, m, d, n = 0;
    if (!date || strlen(date) != 10 || sscanf(date, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
        n != 10 || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    /* 2026-02-30 is not a date: its day number does not come back as the same date. */
    int32_t ymd = y * 10000 + m * 100 + d;
    if (civil_from_days(days_from_civil(y, m, d)) != ymd)
        return -1;
    if (bsearch(&ymd, c->holidays, c->nholidays, sizeof(ymd), cmp_i32))
        return 0;
    if (c->nholidays == SB_SLA_CAL_HOLIDAYS_MAX)
        return -1;
    c->holidays[c->nholidays++] = ymd;
    qsort(c->holidays, c->nholidays, sizeof(ymd), cmp_i32);
    return 0;
}

int sb_sla_calendar_usable(const sb_sla_calendar *c)
{
    for (int i = 0; i < 7; i++)
        if (c->close_min[i] > c->open_min[i])
            return 1;
    return 0;
}

/* Floor division for negative instants too. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* The open window [*open, *close) of local day `day` in ms from its midnight; 0 when closed. */
static int day_window(const sb_sla_calendar *c, int64_t day, int64_t *open, int64_t *close)
{
    int wd = (int)(((day % 7) + 7 + 3) % 7);   /* 1970-01-01 was a Thursday */
    if (c->close_min[wd] <= c->open_min[wd])
        return 0;
    int32_t ymd = civil_from_days(day);
    if (c->nholidays && bsearch(&ymd, c->holidays, c->nholidays, sizeof(ymd), cmp_i32))
        return 0;
    *open = c->open_min[wd] * MINUTE_MS;
    *close = c->close_min[wd] * MINUTE_MS;
    return 1;
}

int64_t sb_sla_calendar_add(const sb_sla_calendar *c, int64_t t_ms, int64_t business_ms)
{
    if (business_ms <= 0)
        return t_ms;
    if (!c)
        return t_ms + business_ms;
    if (!sb_sla_calendar_usable(c))
        return -1;
    int64_t tz = c->tz_offset_min * MINUTE_MS, local = t_ms + tz;
    int64_t day = floor_div(local, DAY_MS), at = local - day * DAY_MS, left = business_ms;
    for (int i = 0; i < WALK_DAYS_MAX; i++, day++, at = 0) {
        int64_t open, close;
        if (!day_window(c, day, &open, &close) || at >= close)
            continue;
        if (at < open)
            at = open;
        if (left <= close - at)
            return day * DAY_MS + at + left - tz;
        left -= close - at;
    }
    return -1;
}

int64_t sb_sla_calendar_between(const sb_sla_calendar *c, int64_t a_ms, int64_t b_ms)
{
    if (b_ms <= a_ms)
        return 0;
    if (!c)
        return b_ms - a_ms;
    int64_t tz = c->tz_offset_min * MINUTE_MS;
    int64_t day = floor_div(a_ms + tz, DAY_MS), last = floor_div(b_ms + tz, DAY_MS), sum = 0;
    for (int i = 0; day <= last && i < WALK_DAYS_MAX; i++, day++) {
        int64_t open, close;
        if (!day_window(c, day, &open, &close))
            continue;
        /* This day's window as instants, clipped to [a, b). */
        int64_t from = day * DAY_MS + open - tz, to = day * DAY_MS + close - tz;
        if (from < a_ms)
            from = a_ms;
        if (to > b_ms)
            to = b_ms;
        if (to > from)
            sum += to - from;
    }
    return sum;
}
