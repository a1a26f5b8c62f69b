/* sla_calendar.h - business-hours calendars (weekly hours, a fixed UTC offset, holidays): add
 * business time to an instant, count the business time between two. Pure: no clock, no I/O. */
#ifndef SB_SLA_CALENDAR_H
#define SB_SLA_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define SB_SLA_CAL_HOLIDAYS_MAX 512

/* Weekdays 0 = Monday .. 6 = Sunday. A day is open in [open_min, close_min) local minutes from
 * midnight; open_min == close_min is closed. Holidays are local dates yyyymmdd, closed all day. */
typedef struct sb_sla_calendar {
    int     tz_offset_min;            /* local time = UTC + this */
    int     open_min[7], close_min[7];
    int32_t holidays[SB_SLA_CAL_HOLIDAYS_MAX];   /* sorted ascending */
    size_t  nholidays;
} sb_sla_calendar;

/* Closed every day, UTC. */
void    sb_sla_calendar_init(sb_sla_calendar *c);
/* "mon".."sun" -> 0..6, else -1. */
int     sb_sla_weekday_parse(const char *name);
/* Set one weekday's hours from "HH:MM-HH:MM" (close after open; "24:00" allowed as close).
 * 0, or -1 when the text is not such a range (the calendar is unchanged). */
int     sb_sla_calendar_set_hours(sb_sla_calendar *c, int weekday, const char *range);
/* Add a holiday, "YYYY-MM-DD" (kept sorted; a duplicate is ignored). 0, or -1 when the date
 * does not parse or the calendar is full. */
int     sb_sla_calendar_add_holiday(sb_sla_calendar *c, const char *date);
/* 1 when some weekday has hours (business time can pass at all), else 0. */
int     sb_sla_calendar_usable(const sb_sla_calendar *c);
/* The instant at which business_ms of business time have passed after t_ms (t_ms itself when
 * business_ms <= 0). A NULL calendar means 24/7. -1 when the calendar has no open hours. */
int64_t sb_sla_calendar_add(const sb_sla_calendar *c, int64_t t_ms, int64_t business_ms);
/* Business milliseconds in [a_ms, b_ms) (0 when b_ms <= a_ms); NULL calendar = 24/7. */
int64_t sb_sla_calendar_between(const sb_sla_calendar *c, int64_t a_ms, int64_t b_ms);

#endif
