/* priority.h - CPU priority for services off the critical path. At a peak every service and
 * PostgreSQL share two cores; analytics, sla and survey can lag for seconds without harm, while
 * classify and dispatch decide how long a customer waits. A background service lowers its own
 * threads' priority and its PostgreSQL backend's (as the pg_prioritize extension does), so under
 * contention the kernel runs the critical path first and the background catches up after.
 * Where the kernel groups sessions (autogroup), the session of a process that leads one is
 * lowered too: nice values alone only count inside a session. */
#ifndef SB_PRIORITY_H
#define SB_PRIORITY_H

#include "common/pg.h"

/* The nice value for this service: SB_CPU_NICE (0 = normal .. 19 = lowest) when set, else
 * def. -1 (logged) when SB_CPU_NICE is malformed. */
int sb_priority_config(int def, int *nice);
/* Sets every thread of this process to nice (threads it creates later inherit it). 0, or -1
 * with errno (logged). */
int sb_priority_lower_self(int nice);
/* Sets the backend process serving pg to nice, now and after every reconnect. 0, or -1 when
 * that backend is out of reach (another host or container, or not permitted): logged once,
 * harmless. */
int sb_priority_lower_backend(sb_pg *pg, int nice);

#endif
