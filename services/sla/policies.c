/* policies.c - load sla_policies (common/sla_policy_load.c), sla_calendars and sla_holidays
 * into memory. */
#include "services/sla/policies.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char calendars_sql[] =
    "SELECT c.id, c.tz_offset_minutes, c.hours::text,"
    "       COALESCE(array_to_string(array_agg(to_char(h.day, 'YYYY-MM-DD') ORDER BY h.day), ','), '')"
    " FROM sla_calendars c LEFT JOIN sla_holidays h ON h.calendar_id = c.id"
    " GROUP BY c.id ORDER BY c.id";

/* Copy a column into a fixed buffer (values longer than the buffer are cut: ids are checked). */
static void col(const PGresult *r, int row, int c, char *dst, size_t len)
{
    snprintf(dst, len, "%s", PQgetvalue(r, row, c));
}

/* Calendar row i of res into e. 0, or -1 when its hours or holidays do not parse. */
static int calendar_from_row(const PGresult *res, int i, sla_calendar_entry *e)
{
    col(res, i, 0, e->id, sizeof(e->id));
    sb_sla_calendar_init(&e->cal);
    e->cal.tz_offset_min = atoi(PQgetvalue(res, i, 1));
    json_t *hours = json_loads(PQgetvalue(res, i, 2), 0, NULL);
    const char *day;
    json_t *range;
    int rc = json_is_object(hours) ? 0 : -1;
    json_object_foreach(hours, day, range)
        if (rc == 0 && sb_sla_calendar_set_hours(&e->cal, sb_sla_weekday_parse(day),
                                                 json_string_value(range)) != 0)
            rc = -1;
    json_decref(hours);
    char *dates = strdup(PQgetvalue(res, i, 3)), *save = NULL;
    for (char *d = dates ? strtok_r(dates, ",", &save) : NULL; rc == 0 && d;
         d = strtok_r(NULL, ",", &save))
        rc = sb_sla_calendar_add_holiday(&e->cal, d);
    free(dates);
    return rc;
}

int sla_policies_load(sla_policies *p, sb_pg *pg)
{
    sb_sla_policy *pol = NULL;
    size_t np = 0;
    if (sb_sla_policies_load(pg, &pol, &np) != 0)
        return -1;
    PGresult *cr = sb_pg_query(pg, calendars_sql, 0, NULL);
    int nc = cr ? PQntuples(cr) : 0;
    sla_calendar_entry *cal = cr ? calloc((size_t)nc + 1, sizeof(*cal)) : NULL;
    if (!cal) {
        PQclear(cr);
        free(pol);
        return -1;
    }
    size_t kept = 0;
    for (int i = 0; i < nc; i++) {
        if (calendar_from_row(cr, i, &cal[kept]) == 0)
            kept++;
        else   /* desk validates; a hand-edited row must not stop every clock */
            sb_warn("sla_calendar", "calendar %s does not parse: its clocks run 24/7",
                    PQgetvalue(cr, i, 0));
    }
    PQclear(cr);
    sla_policies_free(p);
    p->policies = pol;
    p->npolicies = np;
    p->calendars = cal;
    p->ncalendars = kept;
    return 0;
}

void sla_policies_free(sla_policies *p)
{
    free(p->policies);
    free(p->calendars);
    memset(p, 0, sizeof(*p));
}

const sb_sla_calendar *sla_policies_calendar(const sla_policies *p, const char *id)
{
    for (size_t i = 0; id && i < p->ncalendars; i++)
        if (strcmp(p->calendars[i].id, id) == 0)
            return sb_sla_calendar_usable(&p->calendars[i].cal) ? &p->calendars[i].cal : NULL;
    return NULL;
}
