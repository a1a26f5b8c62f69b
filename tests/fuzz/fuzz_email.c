/* fuzz_email.c - raw messages through the e-mail adapter's GMime parsing and mapping; every body
 * it builds must match message_request.v1 and pass the normaliser, every refusal name its field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/ingest/email.h"

#define FUZZ_NAME "fuzz_email"
#include "tests/fuzz/fuzz_ingest.h"

#define FUZZ_NOW_MS 1795305600123LL   /* 2026-11-22T00:00:00.123Z */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ingest_email_init();
    fuzz_ingest_init();
    return 0;
}

/* A built body: the adapter's own bounds, and what every adapter owes the generic door (the
 * normaliser looks at the clock a moment later). */
static void check_body(const json_t *body)
{
    const char *t = json_string_value(json_object_get(body, "text"));
    CHECK(!t || (*t && strlen(t) <= INGEST_TEXT_MAX), "text empty or over 64 KiB");
    CHECK(t || json_array_size(json_object_get(body, "attachments")) > 0,
          "neither text nor attachments");
    fuzz_check_door(body, "email", FUZZ_NOW_MS + 50);
}

/* A refusal: a 400 naming one of the adapter's fields. */
static void check_refusal(const sb_error *err)
{
    CHECK(err->status == 400, "status %d (%s: %s)", err->status, err->code, err->message);
    CHECK(strcmp(err->field, "From") == 0 || strcmp(err->field, "text") == 0 ||
              strcmp(err->field, "body") == 0,
          "field '%s'", err->field);
    CHECK(err->code[0] && err->message[0], "error without code or message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > INGEST_EMAIL_MAX_BYTES)
        return 0;   /* the handler answers 413 before parsing */
    sb_error err;
    sb_error_clear(&err);
    json_t *body = ingest_email_to_body((const char *)data, size, FUZZ_NOW_MS, &err);
    if (body)
        check_body(body);
    else
        check_refusal(&err);
    json_decref(body);
    return 0;
}
