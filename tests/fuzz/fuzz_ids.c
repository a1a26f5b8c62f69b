/* fuzz_ids.c - ticket numbers and UUIDs from URLs/events: sb_ticket_number_parse, sb_uuid_parse, round trips. */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ids.h"

#define FUZZ_NAME "fuzz_ids"
#include "tests/fuzz/fuzz.h"

static void check_ticket_number(const char *s)
{
    char code[3] = "??";
    int day = -1;
    int64_t serial = -1;
    if (sb_ticket_number_parse(s, code, &day, &serial) != 0)
        return;
    CHECK(code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' && !code[2],
          "code %s", code);
    CHECK(day >= 10000101 && day <= 99991231 && serial >= 1, "day %d serial %" PRId64, day,
          serial);
    /* Only the canonical spelling is accepted: formatting gives the input back. */
    char out[64];
    int n = sb_ticket_number_format(out, sizeof out, code, day, serial);
    CHECK(n > 0 && (size_t)n == strlen(s) && strcmp(out, s) == 0,
          "parse/format round trip: '%s' -> '%s'", s, n > 0 ? out : "(refused)");
}

static void check_uuid(const char *s)
{
    sb_uuid u;
    memset(&u, 0xAA, sizeof u);
    int rc = sb_uuid_parse(s, &u);
    CHECK((rc == 0) == sb_uuid_valid(s), "sb_uuid_valid disagrees on '%s'", s);
    if (rc != 0)
        return;
    CHECK(strlen(s) == 36, "accepted a UUID of %zu characters", strlen(s));
    char out[SB_UUID_STRLEN];
    sb_uuid_format(&u, out);
    CHECK(strcasecmp(out, s) == 0, "parse/format round trip: '%s' -> '%s'", s, out);
    for (size_t i = 0; i < 36; i++)
        CHECK(out[i] == '-' ? (i == 8 || i == 13 || i == 18 || i == 23)
                            : (isdigit((unsigned char)out[i]) || (out[i] >= 'a' && out[i] <= 'f')),
              "formatted UUID not canonical: %s", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Ids arrive as C strings (URL path tails, JSON string members). */
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    check_ticket_number(s);
    check_uuid(s);
    /* The desk list cursor "<µs>_<uuid>" hands the part after '_' to sb_uuid_valid. */
    const char *sep = strchr(s, '_');
    if (sep)
        check_uuid(sep + 1);
    free(s);
    return 0;
}
