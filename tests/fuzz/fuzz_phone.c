/* fuzz_phone.c - call records through the phone adapter's parser: what it accepts matches
 * call_record.v1, maps to a message_request.v1 body the generic door accepts; what it refuses
 * gets a 4xx naming a field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "services/ingest/normalize.h"
#include "services/ingest/phone.h"
#include "tests/support/schema.h"

#define FUZZ_SECRET "fuzz-customer-key-secret"
#define FUZZ_NOW_MS 1795370400000LL   /* 2026-11-22T18:00:00Z, the seeds' day */

static ingest_secrets secrets;
/* Kept for the whole run (reachable, not a leak). */
static json_t *call_schema, *request_schema, *inbound_schema;

/* A violated property: print why and abort, which libFuzzer reports as a crash with the input. */
#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_phone: property failed: %s: ", #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/* proto/<rel> loaded, or abort. */
static json_t *load(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proto/%s", SB_SOURCE_DIR, rel);
    json_t *s = sb_schema_load(path);
    if (!s) {
        fprintf(stderr, "fuzz_phone: cannot load %s\n", path);
        abort();
    }
    return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ingest_secrets_init(&secrets, FUZZ_SECRET);
    call_schema = load("http/call_record.v1.json");
    request_schema = load("http/message_request.v1.json");
    inbound_schema = load("inbound/inbound_message.v1.json");
    return 0;
}

/* An accepted record: it matches its schema, and its generic body matches message_request.v1,
 * keeps the call's id and number, and passes the generic door into a valid event. */
static void check_accepted(const uint8_t *data, size_t size, const json_t *generic)
{
    char why[512];
    json_t *native = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    CHECK(native, "accepted bytes that are not JSON");
    CHECK(sb_schema_validate(call_schema, native, why, sizeof why) == 0,
          "accepted a record call_record.v1 refuses: %s", why);
    CHECK(sb_schema_validate(request_schema, generic, why, sizeof why) == 0,
          "generic body does not match message_request.v1: %s", why);
    const char *id = json_string_value(json_object_get(native, "call_id"));
    const char *ext = json_string_value(json_object_get(generic, "external_id"));
    CHECK(id && ext && strcmp(id, ext) == 0, "external_id is not the call_id");
    const char *caller = json_string_value(json_object_get(native, "caller"));
    const char *phone = json_string_value(json_object_get(json_object_get(generic, "customer"),
                                                          "phone"));
    CHECK(caller && phone && strcmp(caller, phone) == 0, "customer.phone is not the caller");

    ingest_event ev;
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(generic, "phone", &secrets, FUZZ_NOW_MS, &ev, &err);
    /* Only memory may fail past the adapter (allocator_may_return_null). */
    CHECK(rc == 0 || err.status == 503, "the generic door refused: %s %s: %s", err.code,
          err.field, err.message);
    if (rc == 0) {
        json_t *e = json_loadb(ev.json, ev.len, JSON_REJECT_DUPLICATES, NULL);
        CHECK(e, "event is not JSON");
        CHECK(sb_schema_validate(inbound_schema, e, why, sizeof why) == 0,
              "event does not match inbound_message.v1: %s", why);
        json_decref(e);
        ingest_event_release(&ev);
    }
    json_decref(native);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    if (ingest_phone_parse((const char *)data, size, FUZZ_NOW_MS, &out, &err) == 0) {
        CHECK(out, "accepted without a body");
        check_accepted(data, size, out);
        json_decref(out);
        return 0;
    }
    CHECK(!out, "a refusal left a body behind");
    CHECK(err.status == 400 || err.status == 503, "status %d (%s)", err.status, err.code);
    CHECK(err.code[0] && err.message[0], "error without code or message");
    CHECK(err.field[0] || !strcmp(err.code, "invalid_json") || err.status == 503,
          "a %s refusal names no field: %s", err.code, err.message);
    return 0;
}
