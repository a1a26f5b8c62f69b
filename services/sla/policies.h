/* policies.h - sla's view of the editable configuration: the enabled SLA policies and the
 * business-hours calendars (with holidays), read from PostgreSQL. */
#ifndef SLA_POLICIES_H
#define SLA_POLICIES_H

#include "common/pg.h"
#include "common/sla_calendar.h"
#include "common/sla_policy.h"

typedef struct sla_calendar_entry {
    char            id[65];
    sb_sla_calendar cal;
} sla_calendar_entry;

typedef struct sla_policies {
    sb_sla_policy      *policies;
    size_t              npolicies;
    sla_calendar_entry *calendars;
    size_t              ncalendars;
} sla_policies;

/* Replace *p with what PostgreSQL holds now (inside the caller's transaction, so a batch sees
 * one consistent configuration). An admin's edit applies to clocks armed after it. 0 or -1
 * (*p unchanged). */
int  sla_policies_load(sla_policies *p, sb_pg *pg);
void sla_policies_free(sla_policies *p);
/* The calendar with this id, NULL when unknown, id is NULL, or it has no open hours (then the
 * clock runs 24/7, logged). */
const sb_sla_calendar *sla_policies_calendar(const sla_policies *p, const char *id);

#endif
