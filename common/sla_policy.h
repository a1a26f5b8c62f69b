/* sla_policy.h - which SLA policy applies to a ticket: of the policies of a clock kind whose
 * criteria all match, the most specific wins (pure, sla_policy.c); and loading the enabled
 * policies from PostgreSQL (sla_policy_load.c). */
#ifndef SB_SLA_POLICY_H
#define SB_SLA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/pg.h"

/* One row of sla_policies. An empty criterion ("") matches any value. */
typedef struct sb_sla_policy {
    char    id[65];
    char    kind[24];
    char    priority[4], urgency[8], category[65], channel[33], tier[12];
    int64_t target_ms;
    int     business_hours;
    double  warn_share;
} sb_sla_policy;

/* What a policy is chosen by; NULL or "" = the ticket has no value (only "any" matches). */
typedef struct sb_sla_ticket_attrs {
    const char *priority, *urgency, *category, *channel, *tier;
} sb_sla_ticket_attrs;

/* Precedence: the matching policy with the most criteria set wins; equal counts are decided by
 * the criterion set, priority > urgency > category > channel > tier; then the smaller id.
 * NULL when no policy of the kind matches. */
const sb_sla_policy *sb_sla_policy_choose(const sb_sla_policy *p, size_t n, const char *kind,
                                          const sb_sla_ticket_attrs *t);
/* The score the precedence compares (higher wins), -1 when p does not match t. */
int sb_sla_policy_score(const sb_sla_policy *p, const sb_sla_ticket_attrs *t);

/* The enabled rows of sla_policies, ordered by id, into a malloc'd array (*out, caller frees;
 * *n rows). Inside the caller's transaction when it has one. 0 or -1 (nothing allocated). */
int sb_sla_policies_load(sb_pg *pg, sb_sla_policy **out, size_t *n);

#endif
