/* clocks.c - arm, settle, pause and resume one ticket's SLA clocks (pure). */
#include "services/sla/clocks.h"

#include <stdio.h>
#include <string.h>

int sla_clock_owed(const sla_clock *c)
{
    return c->present && (strcmp(c->state, "armed") == 0 || strcmp(c->state, "paused") == 0 ||
                          (strcmp(c->state, "breached") == 0 && c->settled < 0));
}

/* The calendar a clock counts in: NULL = 24/7. */
static const sb_sla_calendar *clock_calendar(const sla_policies *p, const sla_clock *c)
{
    return c->business_hours ? sla_policies_calendar(p, c->calendar) : NULL;
}

/* Arm kind from start (the policy chosen for the ticket decides the target and the calendar);
 * due_override >= 0 is a deadline given by the event (dispatch's ack_due_at). A kind no policy
 * matches gets no clock, except the acknowledgement (1 h). */
static void clock_arm(sla_ticket_clocks *t, const sla_policies *p, int kind, int64_t start,
                      const sla_event *ev, int64_t due_override)
{
    sb_sla_ticket_attrs a = {t->priority, t->urgency, t->category, t->channel, t->tier};
    const sb_sla_policy *pol = sb_sla_policy_choose(p->policies, p->npolicies,
                                                    sla_kind_name((sla_kind)kind), &a);
    if (!pol && kind != SLA_KIND_ACK)
        return;
    sla_clock *c = &t->c[kind];
    memset(c, 0, sizeof(*c));
    c->present = c->dirty = 1;
    snprintf(c->state, sizeof(c->state), "armed");
    const sb_sla_calendar *cal = NULL;
    if (pol && pol->business_hours && due_override < 0) {
        cal = sla_policies_calendar(p, t->calendar);
        c->business_hours = cal != NULL;
        snprintf(c->calendar, sizeof(c->calendar), "%s", cal ? t->calendar : "");
    }
    int64_t target = pol ? pol->target_ms : SLA_ACK_DEFAULT_MS;
    c->started = start;
    c->armed = ev->at;
    c->due = due_override >= 0 ? due_override : sb_sla_calendar_add(cal, start, target);
    /* The acknowledgement escalates at its deadline (dispatch re-offers); it has no warning. */
    c->warn_share = pol ? pol->warn_share : 0;
    c->warn = kind == SLA_KIND_ACK || !pol
                  ? -1
                  : sb_sla_calendar_add(cal, start, (int64_t)((double)target * pol->warn_share));
    c->warned = c->paused = c->settled = c->remaining = c->warn_remaining = -1;
    c->next = c->warn >= 0 ? c->warn : c->due;
    snprintf(c->policy, sizeof(c->policy), "%s", pol ? pol->id : "");
    snprintf(c->source, sizeof(c->source), "%s", ev->source);
    if (kind == SLA_KIND_ACK && ev->agent)
        snprintf(c->agent, sizeof(c->agent), "%s", ev->agent);
}

/* Met (or cancelled) at `at`: an owed clock stops; a breached one stops its urge reminders. */
static void clock_settle(sla_clock *c, const char *state, int64_t at)
{
    if (!sla_clock_owed(c))
        return;
    if (strcmp(c->state, "breached") != 0)
        snprintf(c->state, sizeof(c->state), "%s", state);
    c->settled = at;
    c->next = -1;
    c->dirty = 1;
}

/* Awaiting the customer: the clock leaves the watch with what is left of it. */
static void clock_pause(const sla_policies *p, sla_clock *c, int64_t at)
{
    if (!c->present || strcmp(c->state, "armed") != 0)
        return;
    const sb_sla_calendar *cal = clock_calendar(p, c);
    c->remaining = sb_sla_calendar_between(cal, at, c->due);
    c->warn_remaining = c->warned < 0 && c->warn >= 0 ? sb_sla_calendar_between(cal, at, c->warn)
                                                      : -1;
    snprintf(c->state, sizeof(c->state), "paused");
    c->paused = at;
    c->next = -1;
    c->dirty = 1;
}

/* Back from the customer: re-armed with the time that was left. */
static void clock_resume(const sla_policies *p, sla_clock *c, int64_t at)
{
    if (!c->present || strcmp(c->state, "paused") != 0)
        return;
    const sb_sla_calendar *cal = clock_calendar(p, c);
    c->due = sb_sla_calendar_add(cal, at, c->remaining);
    if (c->warn_remaining >= 0)
        c->warn = sb_sla_calendar_add(cal, at, c->warn_remaining);
    c->next = c->warn_remaining >= 0 ? c->warn : c->due;
    snprintf(c->state, sizeof(c->state), "armed");
    c->paused = c->remaining = c->warn_remaining = -1;
    c->dirty = 1;
}

void sla_clocks_apply(sla_ticket_clocks *t, const sla_policies *p, const sla_event *ev)
{
    sla_clock *c = t->c;
    const char *type = ev->type;
    if (strcmp(type, "assigned") == 0 || strcmp(type, "classified") == 0) {
        /* A newer assignment (re-offer, manual reassignment) re-arms the acknowledgement; the
         * customer has waited since creation, so the others keep their first deadline. */
        if (type[0] == 'a')
            clock_arm(t, p, SLA_KIND_ACK, ev->at, ev,
                      ev->ack_due >= 0 ? ev->ack_due : -1);
        if (!c[SLA_KIND_FIRST_RESPONSE].present)
            clock_arm(t, p, SLA_KIND_FIRST_RESPONSE, t->created, ev, -1);
        if (!c[SLA_KIND_RESOLUTION].present)
            clock_arm(t, p, SLA_KIND_RESOLUTION, t->created, ev, -1);
    } else if (strcmp(type, "acknowledged") == 0) {
        clock_settle(&c[SLA_KIND_ACK], "met", ev->at);
    } else if (strcmp(type, "replied") == 0) {
        clock_settle(&c[SLA_KIND_FIRST_RESPONSE], "met", ev->at);
        clock_settle(&c[SLA_KIND_NEXT_RESPONSE], "met", ev->at);
        clock_settle(&c[SLA_KIND_FOLLOW_UP], "met", ev->at);
    } else if (strcmp(type, "message_appended") == 0) {
        /* The customer wrote again after being answered: the next reply is owed. */
        if (c[SLA_KIND_FIRST_RESPONSE].present && !sla_clock_owed(&c[SLA_KIND_FIRST_RESPONSE]) &&
            !sla_clock_owed(&c[SLA_KIND_NEXT_RESPONSE]))
            clock_arm(t, p, SLA_KIND_NEXT_RESPONSE, ev->at, ev, -1);
    } else if (strcmp(type, "resolved") == 0) {
        for (int k = 0; k < SLA_KIND_COUNT; k++)
            if (k != SLA_KIND_FOLLOW_UP)
                clock_settle(&c[k], "met", ev->at);
        clock_arm(t, p, SLA_KIND_FOLLOW_UP, ev->at, ev, -1);
    } else if (strcmp(type, "survey_sent") == 0) {
        clock_settle(&c[SLA_KIND_FOLLOW_UP], "met", ev->at);
    } else if (strcmp(type, "reopened") == 0) {
        clock_settle(&c[SLA_KIND_FOLLOW_UP], "met", ev->at);
        clock_arm(t, p, SLA_KIND_SECOND_HANDLING, ev->at, ev, -1);
    } else if (strcmp(type, "closed") == 0) {
        for (int k = 0; k < SLA_KIND_COUNT; k++)
            clock_settle(&c[k], "cancelled", ev->at);
    } else if (strcmp(type, "requeued") == 0) {
        /* Back in the queue: no agent owes an acknowledgement until dispatch offers it again. */
        clock_settle(&c[SLA_KIND_ACK], "cancelled", ev->at);
    } else if (strcmp(type, "status_changed") == 0 && ev->to && ev->from) {
        int to_wait = strcmp(ev->to, "awaiting_customer") == 0;
        int from_wait = strcmp(ev->from, "awaiting_customer") == 0;
        for (int k = 0; k < SLA_KIND_COUNT && to_wait != from_wait; k++) {
            if (to_wait)
                clock_pause(p, &c[k], ev->at);
            else
                clock_resume(p, &c[k], ev->at);
        }
    }
}
