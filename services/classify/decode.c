/* decode.c - reads an inbound_message event into a classify item, or says why it cannot. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/seal.h"

/* Unseal the raw contact for the restricted store; a missing one is not an error. */
static json_t *decode_contact(classify_ctx *cx, const json_t *ev)
{
    const char *sealed = sb_json_str(ev, "contact_sealed");
    if (!sealed)
        return NULL;
    size_t len = 0;
    char *plain = sb_unseal(cx->seal_key, sealed, &len);
    if (!plain)
        return NULL;
    json_t *contact = json_loadb(plain, len, 0, NULL);
    explicit_bzero(plain, len);
    free(plain);
    if (contact && !json_is_object(contact)) {
        json_decref(contact);
        contact = NULL;
    }
    return contact;
}

/* Pull the fields classify needs; NULL reason on success. */
static const char *decode_fields(classify_item *it)
{
    json_t *ev = it->ev;
    const char *type = sb_json_str(ev, "type");
    if (!type || strcmp(type, "inbound_message") != 0)
        return "not an inbound_message";
    it->message_id = sb_json_str(ev, "message_id");
    if (!it->message_id || !sb_uuid_valid(it->message_id))
        return "message_id missing or not a UUID";
    it->channel = sb_json_str(ev, "channel");
    const sb_channel *ch = it->channel ? sb_channel_find(it->channel) : NULL;
    if (!ch)
        return "unknown channel";
    it->channel_code = ch->code;
    it->external_id = sb_json_str(ev, "external_id");
    it->text = sb_json_str(ev, "text");
    it->received_at = sb_json_str(ev, "received_at");
    if (!it->external_id || !it->text || !it->received_at)
        return "external_id, text or received_at missing";
    if (sb_clock_parse_iso(it->received_at, &it->received_ms) != 0)
        return "received_at is not RFC 3339";
    it->customer = json_object_get(ev, "customer");
    it->customer_key = sb_json_str(it->customer, "key");
    if (!it->customer_key || strlen(it->customer_key) != 64)
        return "customer.key missing or malformed";
    const json_t *hints = json_object_get(ev, "hints");
    it->ivr_path = sb_json_str(hints, "ivr_path") ? sb_json_str(hints, "ivr_path") : "";
    it->subject = sb_json_str(hints, "subject");
    it->thread = json_object_get(ev, "thread");
    it->thread_mid = sb_json_str(it->thread, "message_id");
    it->norders = classify_order_refs(it->text, sb_json_str(hints, "order_id"), it->orders,
                                      CLASSIFY_ORDER_REFS_MAX);
    it->tier = sb_json_str(it->customer, "tier");
    if (!it->tier || (strcmp(it->tier, "vip") && strcmp(it->tier, "regular") && strcmp(it->tier, "new")))
        it->tier = "new";
    return NULL;
}

int classify_decode(classify_ctx *cx, const sb_kmsg *msg, classify_item *it, const char **reason)
{
    memset(it, 0, sizeof(*it));
    it->msg = msg;
    it->ev = json_loadb(msg->payload, msg->len, JSON_REJECT_DUPLICATES, NULL);
    if (!it->ev || !json_is_object(it->ev)) {
        *reason = "not a JSON object";
        return -1;
    }
    if ((*reason = decode_fields(it)) != NULL)
        return -1;
    it->contact = decode_contact(cx, it->ev);
    sb_ids_derived(it->message_id, "ticket", it->ticket_id);
    sb_ids_derived(it->message_id, "opened", it->opened_id);
    sb_ids_derived(it->message_id, "classified", it->classified_id);
    sb_ids_derived(it->message_id, "message_appended", it->appended_id);
    return 0;
}

void classify_item_release(classify_item *it)
{
    json_decref(it->contact);
    json_decref(it->ev);
    json_decref(it->explain);
    it->contact = it->ev = it->explain = NULL;
}
