/* sla_policy.c - the most specific matching SLA policy. */
#include "common/sla_policy.h"

#include <string.h>

/* A criterion: any (""), or equal to the ticket's value. Sets *set when it is not "any". */
static int crit_match(const char *want, const char *have, int *set)
{
    *set = want[0] != '\0';
    return !*set || (have && strcmp(want, have) == 0);
}

int sb_sla_policy_score(const sb_sla_policy *p, const sb_sla_ticket_attrs *t)
{
    const char *want[5] = {p->priority, p->urgency, p->category, p->channel, p->tier};
    const char *have[5] = {t->priority, t->urgency, t->category, t->channel, t->tier};
    int count = 0, bits = 0;
    for (int i = 0; i < 5; i++) {
        int set;
        if (!crit_match(want[i], have[i], &set))
            return -1;
        count += set;
        bits |= set << (4 - i);   /* priority is the highest bit */
    }
    return count * 32 + bits;
}

const sb_sla_policy *sb_sla_policy_choose(const sb_sla_policy *p, size_t n, const char *kind,
                                          const sb_sla_ticket_attrs *t)
{
    const sb_sla_policy *best = NULL;
    int best_score = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p[i].kind, kind) != 0)
            continue;
        int s = sb_sla_policy_score(&p[i], t);
        if (s > best_score || (s == best_score && s >= 0 && strcmp(p[i].id, best->id) < 0)) {
            best = &p[i];
            best_score = s;
        }
    }
    return best_score >= 0 ? best : NULL;
}
