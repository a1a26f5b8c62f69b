/* fuzz_phone.c - call records through the phone adapter's parser: what it accepts matches
 * call_record.v1, maps to a message_request.v1 body the generic door accepts; what it refuses
 * gets a 4xx naming a field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/ingest/phone.h"

#define FUZZ_NAME "fuzz_phone"
#include "tests/fuzz/fuzz_ingest.h"

#define FUZZ_NOW_MS 1795370400000LL   /* 2026-11-22T18:00:00Z, the seeds' day */

static json_t *call_schema;   /* kept for the whole run (reachable, not a leak) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ingest_init();
    call_schema = fuzz_schema("http/call_record.v1.json");
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
    const char *id = json_string_value(json_object_get(native, "call_id"));
    const char *ext = json_string_value(json_object_get(generic, "external_id"));
    CHECK(id && ext && strcmp(id, ext) == 0, "external_id is not the call_id");
    const char *caller = json_string_value(json_object_get(native, "caller"));
    const char *phone = json_string_value(json_object_get(json_object_get(generic, "customer"),
                                                          "phone"));
    CHECK(caller && phone && strcmp(caller, phone) == 0, "customer.phone is not the caller");
    fuzz_check_door(generic, "phone", FUZZ_NOW_MS);
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
