/* notice.c - the agent's task notice: what, how urgent, by when, and who the customer is. */
#include "dispatch.h"

#include "common/clock.h"
#include "common/json.h"

json_t *notice_task(const json_t *assigned, const json_t *who)
{
    const json_t *d = json_object_get(assigned, "data");
    const char *source = sb_json_str(assigned, "event_id");
    char id[SB_UUID_STRLEN], ts[32], summary[400];
    sb_ids_derived(source, "task_notice", id);
    snprintf(summary, sizeof(summary), "%s %s ticket via %s: %s",
             sb_json_str(d, "priority") ? sb_json_str(d, "priority") : "?",
             sb_json_str(d, "urgency") ? sb_json_str(d, "urgency") : "",
             sb_json_str(d, "channel") ? sb_json_str(d, "channel") : "?",
             who && sb_json_str(who, "subject") ? sb_json_str(who, "subject") : "");
    json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                          "task_notice", "event_id", id, "occurred_at",
                          sb_clock_format_iso(sb_clock_now_ms(), ts, sizeof(ts)),
                          "source_event_id", source, "recipient", sb_json_str(d, "agent_id"),
                          "recipient_kind", "agent", "ticket_number",
                          sb_json_str(assigned, "ticket_number"), "summary", summary, "deadline",
                          sb_json_str(d, "ack_due_at"), "reason", sb_json_str(d, "reason"));
    if (who)
        json_object_set_new(n, "customer", json_pack("{s:s, s:s, s:s, s:s, s:b}", "name",
                            sb_json_str(who, "name"), "phone", sb_json_str(who, "phone"), "email",
                            sb_json_str(who, "email"), "tier", sb_json_str(who, "tier"), "masked",
                            !json_is_true(json_object_get(who, "raw"))));
    return n;
}
