/* rollup.c - analytics' consumer: count inbound messages and ticket events per day in rollup_daily. */
#include "services/analytics/analytics.h"

#include <stdio.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"

#define ANALYTICS_CATEGORY_MAX 64

/* The event types counted, and the metric each one feeds. */
static const char *const analytics_types[] = {"inbound_message", "opened", "classified",
                                              "assigned", "resolved", NULL};

/* Counted in SQL, so a batch of 500 events touches each (day, channel, category, metric) row
 * once; ORDER BY gives every replica the same lock order, so concurrent batches cannot
 * deadlock on the same rows. */
static const char analytics_rollup_sql[] =
    "INSERT INTO rollup_daily (day, channel, category, metric, value)"
    " SELECT r.day, r.channel, r.category, r.metric, count(*)"
    " FROM jsonb_to_recordset($1::jsonb) AS r(day date, channel text, category text, metric text)"
    " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    " ON CONFLICT (day, channel, category, metric)"
    " DO UPDATE SET value = rollup_daily.value + EXCLUDED.value";

void analytics_rollup_init(analytics_rollup *r, sb_metrics *m)
{
    memset(r, 0, sizeof(*r));
    r->c_counted = sb_metrics_counter(m, "rollup_events_counted", "Events added to the roll-ups",
                                      NULL);
}

void analytics_day_format(int64_t epoch_ms, char out[ANALYTICS_DAY_SIZE])
{
    int ymd = sb_clock_yyyymmdd(epoch_ms);
    snprintf(out, ANALYTICS_DAY_SIZE, "%04d-%02d-%02d", ymd / 10000 % 10000, ymd / 100 % 100,
             ymd % 100);
}

/* The channel of an event as the channel table spells it, or NULL when unknown. Ticket events
 * carry it in data.channel; when they do not (assigned, resolved), the ticket number's code
 * says it. */
static const char *analytics_channel(const sb_event_env *ev, const json_t *data)
{
    const char *name = strcmp(ev->type, "inbound_message") == 0 ? sb_json_str(ev->json, "channel")
                                                                : sb_json_str(data, "channel");
    if (name) {
        const sb_channel *ch = sb_channel_find(name);
        return ch ? ch->name : NULL;
    }
    char code[3];
    int day;
    int64_t serial;
    if (sb_ticket_number_parse(sb_json_str(ev->json, "ticket_number"), code, &day, &serial) != 0)
        return NULL;
    const sb_channel *ch = sb_channel_by_code(code);
    return ch ? ch->name : NULL;
}

/* data.category: required for classified, '' when absent elsewhere; NULL when unusable. */
static const char *analytics_category(const sb_event_env *ev, const json_t *data)
{
    const char *c = sb_json_str(data, "category");
    if (!c)
        return strcmp(ev->type, "classified") == 0 ? NULL : "";
    size_t n = strlen(c);
    return n > 0 && n <= ANALYTICS_CATEGORY_MAX ? c : NULL;
}

/* sb_event_consumer_ops.record: any counted event -> {"day","channel","category","metric"}. */
static json_t *analytics_record(void *ctx, const sb_event_env *ev, const char **reason)
{
    (void)ctx;
    const json_t *data = json_object_get(ev->json, "data");
    const char *channel = analytics_channel(ev, data);
    const char *category = analytics_category(ev, data);
    if (!channel) {
        *reason = "no known channel (channel, data.channel or ticket_number)";
        return NULL;
    }
    if (!category) {
        *reason = "data.category missing, empty or longer than 64 bytes";
        return NULL;
    }
    char day[ANALYTICS_DAY_SIZE];
    analytics_day_format(ev->occurred_ms, day);
    const char *metric = strcmp(ev->type, "inbound_message") == 0 ? "inbound" : ev->type;
    return json_pack("{s:s, s:s, s:s, s:s}", "day", day, "channel", channel, "category", category,
                     "metric", metric);
}

/* sb_event_consumer_ops.apply */
static int analytics_apply(void *ctx, sb_pg *pg, const char *records_json, size_t n)
{
    analytics_rollup *r = ctx;
    const char *p[] = {records_json};
    if (sb_pg_exec(pg, analytics_rollup_sql, 1, p) != 0)
        return -1;
    r->pending = (long)n;
    return 0;
}

/* sb_event_consumer_ops.committed */
static void analytics_committed(void *ctx)
{
    analytics_rollup *r = ctx;
    sb_counter_add(r->c_counted, (uint64_t)r->pending);
}

const sb_event_consumer_ops analytics_rollup_ops = {
    .types = analytics_types,
    .record = analytics_record,
    .apply = analytics_apply,
    .committed = analytics_committed,
};
