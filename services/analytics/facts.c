/* facts.c - one ticket's facts and the roll-up increments each event adds (README "Definitions"). */
#include "services/analytics/analytics.h"

#include <stdio.h>
#include <string.h>

/* Upper bounds of the fixed duration buckets h0..h11 (h12 is everything longer): fine below a
 * minute, where the automatic stages (intake, judgement, dispatch) and live replies live. */
static const int64_t analytics_bounds_ms[ANALYTICS_BUCKETS - 1] = {
    250, 1000, 5000, 10000, 30000, 60000, 300000, 900000, 3600000, 14400000, 86400000, 259200000};

/* The SLA clock kinds, one bit each in sla_breached / sla_met. */
static const char *const analytics_sla_kinds[] = {"acknowledgement", "first_response",
                                                  "next_response",   "resolution",
                                                  "follow_up",       "second_handling", NULL};

int64_t analytics_bucket_upper_ms(int i)
{
    return i >= 0 && i < ANALYTICS_BUCKETS - 1 ? analytics_bounds_ms[i] : INT64_MAX;
}

int analytics_bucket_of(int64_t ms)
{
    int i = 0;
    while (i < ANALYTICS_BUCKETS - 1 && ms > analytics_bounds_ms[i])
        i++;
    return i;
}

/* rec[key] as a string, "" when absent. */
static const char *rec_str(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s ? s : "";
}

/* rec[key] as an integer, 0 when absent. */
static int64_t rec_int(const json_t *rec, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(rec, key));
}

/* Copies a dimension value when the event carries one (bounded; record() checked lengths). */
static void set_dim(char *dst, size_t size, const char *v)
{
    if (v[0])
        snprintf(dst, size, "%s", v);
}

/* A duration never negative: clocks of different services may disagree by a little. */
static int64_t since(int64_t at, int64_t start)
{
    return at > start ? at - start : 0;
}

/* Bit of an SLA kind, 0 when unknown. */
static int sla_bit(const char *kind)
{
    for (int i = 0; analytics_sla_kinds[i]; i++)
        if (strcmp(kind, analytics_sla_kinds[i]) == 0)
            return 1 << i;
    return 0;
}

/* The clock `kind` stopped in time unless it was breached: counted once per ticket. */
static void sla_stop(analytics_fact *f, const char *kind, int64_t at, analytics_emit_fn emit,
                     void *ctx)
{
    int bit = sla_bit(kind);
    if ((f->sla_met | f->sla_breached) & bit)
        return;
    f->sla_met |= bit;
    char metric[48];
    snprintf(metric, sizeof(metric), "sla_met:%s", kind);
    emit(ctx, f, at, metric, 1, -1);
}

/* sla reported a breach: counted once per ticket and kind; a "met" counted before (an event
 * that raced the breach) is taken back, since sla owns the clock. */
static void sla_breach(analytics_fact *f, const json_t *rec, int64_t at, analytics_emit_fn emit,
                       void *ctx)
{
    const char *kind = rec_str(rec, "sk");
    int bit = sla_bit(kind);
    if (!bit || (f->sla_breached & bit))
        return;
    char metric[48];
    if (f->sla_met & bit) {
        snprintf(metric, sizeof(metric), "sla_met:%s", kind);
        emit(ctx, f, at, metric, -1, -1);
        f->sla_met &= ~bit;
    }
    f->sla_breached |= bit;
    snprintf(metric, sizeof(metric), "sla_breached:%s", kind);
    emit(ctx, f, at, metric, 1, -1);
    if (rec_str(rec, "pol")[0]) {
        char policy[ANALYTICS_DIM_MAX + 48];
        snprintf(policy, sizeof(policy), "sla_breached_policy:%s:%s", kind, rec_str(rec, "pol"));
        emit(ctx, f, at, policy, 1, -1);
    }
}

/* Awaiting the customer ends: the pause counts into paused_ms. */
static void pause_end(analytics_fact *f, int64_t at)
{
    if (f->paused_since) {
        f->paused_ms += since(at, f->paused_since);
        f->paused_since = 0;
    }
}

/* First reopening (survey's reopened or a status change to reopened). */
static void reopen(analytics_fact *f, const json_t *rec, int64_t at, analytics_emit_fn emit,
                   void *ctx)
{
    set_dim(f->agent, sizeof(f->agent), rec_str(rec, "ag"));
    set_dim(f->department, sizeof(f->department), rec_str(rec, "dept"));
    if (f->reopened_at || !f->resolved_at)
        return;
    f->reopened_at = at;
    emit(ctx, f, at, "reopened", 1, -1);
}

/* resolved: the first resolution carries the ticket's KPIs; a later one ends a second handling. */
static void resolve(analytics_fact *f, const json_t *rec, int64_t at, analytics_emit_fn emit,
                    void *ctx)
{
    pause_end(f, at);
    if (f->resolved_at) {
        if (f->reopened_at && f->reopened_at <= at) {
            emit(ctx, f, at, "resolved_again", 1, -1);
            if (f->agent[0])
                emit(ctx, f, at, "agent_resolved", 1, -1);
            sla_stop(f, "second_handling", at, emit, ctx);
        }
        return;
    }
    f->resolved_at = at;
    int fully = strcmp(rec_str(rec, "res"), "fully") == 0;
    emit(ctx, f, at, "resolved", 1, -1);
    if (f->agent[0])   /* productivity's numerator: a resolution credited to an agent */
        emit(ctx, f, at, "agent_resolved", 1, -1);
    if (fully)
        emit(ctx, f, at, "resolved_fully", 1, -1);
    if (fully && f->contacts == 0)
        emit(ctx, f, at, "fcr", 1, -1);
    int64_t start = f->acknowledged_at ? f->acknowledged_at : f->assigned_at;
    if (start) {
        int64_t wall = since(at, start);
        emit(ctx, f, at, "stage_resolution", 1, wall);
        emit(ctx, f, at, "handle_time", 1, wall > f->paused_ms ? wall - f->paused_ms : 0);
    }
    sla_stop(f, "resolution", at, emit, ctx);
}

int analytics_fact_is_work(const json_t *rec)
{
    static const char *const work[] = {"assigned", "acknowledged", "replied", "resolved",
                                       "status_changed", NULL};
    const char *k = rec_str(rec, "k");
    for (int i = 0; work[i]; i++)
        if (strcmp(k, work[i]) == 0)
            return 1;
    return 0;
}

/* The events of the ticket's life before it is resolved. */
static int apply_progress(analytics_fact *f, const char *k, const json_t *rec, int64_t at,
                          analytics_emit_fn emit, void *ctx)
{
    if (strcmp(k, "opened") == 0) {
        set_dim(f->channel, sizeof(f->channel), rec_str(rec, "ch"));
        set_dim(f->customer, sizeof(f->customer), rec_str(rec, "cust"));
        set_dim(f->tier, sizeof(f->tier), rec_str(rec, "tier"));
        if (f->opened_at)
            return 1;
        f->opened_at = at;
        f->received_at = rec_int(rec, "recv") ? rec_int(rec, "recv") : at;
        emit(ctx, f, at, "opened", 1, -1);
        emit(ctx, f, at, "stage_intake", 1, since(at, f->received_at));
    } else if (strcmp(k, "classified") == 0 || strcmp(k, "reclassified") == 0) {
        set_dim(f->category, sizeof(f->category), rec_str(rec, "cat"));
        set_dim(f->subtopic, sizeof(f->subtopic), rec_str(rec, "sub"));
        set_dim(f->department, sizeof(f->department), rec_str(rec, "dept"));
        set_dim(f->channel, sizeof(f->channel), rec_str(rec, "ch"));
        set_dim(f->priority, sizeof(f->priority), rec_str(rec, "pri"));
        set_dim(f->urgency, sizeof(f->urgency), rec_str(rec, "urg"));
        if (k[0] == 'r') {
            emit(ctx, f, at, "reclassified", 1, -1);
        } else if (!f->classified_at) {
            f->classified_at = at;
            f->first_classified = 1;
            emit(ctx, f, at, "classified", 1, -1);
            if (f->opened_at)
                emit(ctx, f, at, "stage_judgement", 1, since(at, f->opened_at));
        }
    } else if (strcmp(k, "assigned") == 0) {
        set_dim(f->agent, sizeof(f->agent), rec_str(rec, "ag"));
        set_dim(f->department, sizeof(f->department), rec_str(rec, "dept"));
        if (f->assigned_at)
            return 1;
        f->assigned_at = at;
        emit(ctx, f, at, "assigned", 1, -1);
        if (f->classified_at)
            emit(ctx, f, at, "stage_dispatch", 1, since(at, f->classified_at));
    } else if (strcmp(k, "acknowledged") == 0) {
        if (f->acknowledged_at)
            return 1;
        f->acknowledged_at = at;
        emit(ctx, f, at, "acknowledged", 1, -1);
        if (f->assigned_at)
            emit(ctx, f, at, "stage_acknowledgement", 1, since(at, f->assigned_at));
        sla_stop(f, "acknowledgement", at, emit, ctx);
    } else if (strcmp(k, "message_appended") == 0) {
        if (!f->resolved_at)
            f->contacts++;
    } else {
        return 0;
    }
    return 1;
}

/* Replies, pauses, resolutions, surveys and SLA events. */
static void apply_later(analytics_fact *f, const char *k, const json_t *rec, int64_t at,
                        analytics_emit_fn emit, void *ctx)
{
    if (strcmp(k, "replied") == 0) {
        if (!f->first_response_at) {
            f->first_response_at = at;
            emit(ctx, f, at, "first_response", 1, since(at, f->received_at ? f->received_at : at));
            sla_stop(f, "first_response", at, emit, ctx);
        }
        if (f->resolved_at && at >= f->resolved_at)
            sla_stop(f, "follow_up", at, emit, ctx);
    } else if (strcmp(k, "status_changed") == 0) {
        const char *to = rec_str(rec, "to");
        if (strcmp(to, "awaiting_customer") == 0) {
            if (!f->paused_since)
                f->paused_since = at;
        } else if (strcmp(rec_str(rec, "from"), "awaiting_customer") == 0) {
            pause_end(f, at);
        }
        if (strcmp(to, "reopened") == 0)
            reopen(f, rec, at, emit, ctx);
    } else if (strcmp(k, "resolved") == 0) {
        resolve(f, rec, at, emit, ctx);
    } else if (strcmp(k, "reopened") == 0) {
        reopen(f, rec, at, emit, ctx);
    } else if (strcmp(k, "survey_sent") == 0) {
        emit(ctx, f, at, "survey_sent", 1, -1);
        if (rec_int(rec, "rnd") == 1)
            sla_stop(f, "follow_up", at, emit, ctx);
    } else if (strcmp(k, "survey_answered") == 0) {
        emit(ctx, f, at, "survey_answered", 1, -1);
        if (json_is_true(json_object_get(rec, "sat")))
            emit(ctx, f, at, "satisfied", 1, -1);
        if (!f->answered_at && rec_int(rec, "rnd") == 1 && f->resolved_at) {
            f->answered_at = at;
            emit(ctx, f, at, "stage_follow_up", 1, since(at, f->resolved_at));
        }
    } else if (strcmp(k, "survey_expired") == 0) {
        emit(ctx, f, at, "survey_expired", 1, -1);
    } else if (strcmp(k, "sla_breached") == 0) {
        sla_breach(f, rec, at, emit, ctx);
    } else if (strcmp(k, "sla_warning") == 0 || strcmp(k, "escalated") == 0 ||
               strcmp(k, "closed") == 0) {
        emit(ctx, f, at, k, 1, -1);
    }
}

void analytics_fact_apply(analytics_fact *f, const json_t *rec, analytics_emit_fn emit,
                          void *ctx)
{
    const char *k = rec_str(rec, "k");
    int64_t at = rec_int(rec, "at");
    if (!f) {   /* inbound_message: the channel only */
        analytics_fact chan;
        memset(&chan, 0, sizeof(chan));
        set_dim(chan.channel, sizeof(chan.channel), rec_str(rec, "ch"));
        emit(ctx, &chan, at, "inbound", 1, -1);
        return;
    }
    if (!apply_progress(f, k, rec, at, emit, ctx))
        apply_later(f, k, rec, at, emit, ctx);
}
