/* audit.h - the append-only log of every human action (desk), written in the action's own
 * transaction so an action and its record commit or vanish together. */
#ifndef SB_AUDIT_H
#define SB_AUDIT_H

#include <jansson.h>
#include "common/auth.h"
#include "common/pg.h"

/* Records who did action (e.g. "ticket.reclassify") to target (e.g. a ticket number) with
 * detail (stolen; NULL for none). 0 or -1. */
int sb_audit_record(sb_pg *pg, const sb_principal *who, const char *action, const char *target,
                    json_t *detail);

#endif
