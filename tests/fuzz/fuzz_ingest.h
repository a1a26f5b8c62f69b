/* fuzz_ingest.h - what the harnesses of ingest's parsers share: the normaliser's secrets, the
 * proto schemas loaded once, and the property every adapter owes the generic door: the body it
 * builds matches message_request.v1 and normalises into an event matching inbound_message.v1.
 * Include after defining FUZZ_NAME; call fuzz_ingest_init() from LLVMFuzzerInitialize. */
#ifndef SB_FUZZ_INGEST_H
#define SB_FUZZ_INGEST_H

#include "tests/fuzz/fuzz.h"

#include <jansson.h>

#include "common/error.h"
#include "services/ingest/normalize.h"
#include "tests/support/schema.h"

#define FUZZ_SECRET "fuzz-customer-key-secret"

static ingest_secrets fuzz_secrets;
/* Kept for the whole run (reachable, not a leak). */
static json_t *fuzz_request_schema, *fuzz_inbound_schema;

/* proto/<rel> loaded, or abort. */
static inline json_t *fuzz_schema(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/%s", SB_SOURCE_DIR, rel);
    json_t *s = sb_schema_load(path);
    if (!s) {
        fprintf(stderr, FUZZ_NAME ": cannot load %s\n", path);
        abort();
    }
    return s;
}

/* The secrets and the generic door's two schemas. */
static inline void fuzz_ingest_init(void)
{
    ingest_secrets_init(&fuzz_secrets, FUZZ_SECRET);
    fuzz_request_schema = fuzz_schema("http/message_request.v1.json");
    fuzz_inbound_schema = fuzz_schema("inbound/inbound_message.v1.json");
}

/* body, built by channel's adapter at now_ms, matches message_request.v1 and passes the generic
 * door into an event matching inbound_message.v1: nothing an adapter builds may be refused
 * later under a generic field name. Only memory may fail past the adapter (503, with
 * allocator_may_return_null). */
static inline void fuzz_check_door(const json_t *body, const char *channel, int64_t now_ms)
{
    char why[512];
    CHECK(sb_schema_validate(fuzz_request_schema, body, why, sizeof why) == 0,
          "body does not match message_request.v1: %s", why);
    const char *named = json_string_value(json_object_get(body, "channel"));
    CHECK(named && strcmp(named, channel) == 0, "the body names another channel than %s",
          channel);
    ingest_event ev;
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(body, channel, &fuzz_secrets, now_ms, &ev, &err);
    CHECK(rc == 0 || err.status == 503, "the generic door refused: %d %s %s (%s)", err.status,
          err.code, err.field, err.message);
    if (rc != 0)
        return;
    json_t *e = json_loadb(ev.json, ev.len, JSON_REJECT_DUPLICATES, NULL);
    CHECK(e, "event is not JSON: %s", ev.json);
    CHECK(sb_schema_validate(fuzz_inbound_schema, e, why, sizeof why) == 0,
          "event does not match inbound_message.v1: %s", why);
    json_decref(e);
    ingest_event_release(&ev);
}

#endif
