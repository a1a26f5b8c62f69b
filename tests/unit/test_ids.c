/* test_ids.c - UUIDs (random, name-based), derived ids and ticket numbers. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/ids.h"

Test(ids, v4_has_version_variant_and_is_random)
{
    sb_uuid a, b;
    cr_assert_eq(sb_uuid_v4(&a), 0);
    cr_assert_eq(sb_uuid_v4(&b), 0);
    cr_assert_eq(a.b[6] >> 4, 4);
    cr_assert_eq(a.b[8] & 0xC0, 0x80);
    cr_assert_neq(memcmp(a.b, b.b, 16), 0);
}

Test(ids, v4_str_is_canonical_and_lowercase)
{
    char s[SB_UUID_STRLEN];
    sb_uuid_v4_str(s);
    cr_assert_eq(strlen(s), 36);
    cr_assert(sb_uuid_valid(s));
    cr_assert_eq(s[14], '4');
    for (int i = 0; i < 36; i++)
        cr_assert(!(s[i] >= 'A' && s[i] <= 'F'), "uppercase in %s", s);
}

Test(ids, v5_matches_rfc4122_reference)
{
    /* uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") in Python */
    sb_uuid ns, u;
    char s[SB_UUID_STRLEN];
    cr_assert_eq(sb_uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", &ns), 0);
    sb_uuid_v5(&u, &ns, "python.org", 10);
    sb_uuid_format(&u, s);
    cr_assert_str_eq(s, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

Test(ids, parse_format_round_trip_accepts_uppercase)
{
    sb_uuid u;
    char s[SB_UUID_STRLEN];
    cr_assert_eq(sb_uuid_parse("886313E1-3B8A-5372-9B90-0C9AEE199E5D", &u), 0);
    sb_uuid_format(&u, s);
    cr_assert_str_eq(s, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

Test(ids, parse_rejects_malformed)
{
    const char *bad[] = {
        "",
        "886313e1-3b8a-5372-9b90-0c9aee199e5",    /* short */
        "886313e1-3b8a-5372-9b90-0c9aee199e5d0",  /* long */
        "886313e1x3b8a-5372-9b90-0c9aee199e5d",   /* wrong separator */
        "886313e1-3b8a-5372-9b90-0c9aee199e5g",   /* not hex */
        "886313e13b8a-5372-9b90-0c9aee199e5d-",   /* dash moved */
        "{886313e1-3b8a-5372-9b90-0c9aee199e5d}",
    };
    sb_uuid u;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(sb_uuid_parse(bad[i], &u), -1, "accepted '%s'", bad[i]);
        cr_assert_not(sb_uuid_valid(bad[i]));
    }
    cr_assert_eq(sb_uuid_parse(NULL, &u), -1);
}

Test(ids, message_id_is_stable_uuid5_and_pinned)
{
    char a[SB_UUID_STRLEN], b[SB_UUID_STRLEN], c[SB_UUID_STRLEN];
    sb_ids_message_id("wechat", "wx-msg-1", a);
    sb_ids_message_id("wechat", "wx-msg-1", b);
    sb_ids_message_id("web", "wx-msg-1", c);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_eq(a[14], '5');
    /* Pinned: a changed namespace would turn every retry after an upgrade into a new message. */
    cr_assert_str_eq(a, "c1b9dd77-944b-53b2-8c63-cba94e857d04");
}

Test(ids, message_id_handles_long_external_ids)
{
    char big[1000], a[SB_UUID_STRLEN], b[SB_UUID_STRLEN];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sb_ids_message_id("web", big, a);
    big[998] = 'y';
    sb_ids_message_id("web", big, b);
    cr_assert(sb_uuid_valid(a));
    cr_assert_str_neq(a, b);
}

Test(ids, derived_is_stable_and_pinned)
{
    char a[SB_UUID_STRLEN], b[SB_UUID_STRLEN];
    const char *src = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
    sb_ids_derived(src, "opened", a);
    sb_ids_derived(src, "classified", b);
    cr_assert_str_eq(a, "eb2fd3be-5c02-55ad-8cff-f6c4281bb534");
    cr_assert_str_neq(a, b);
}

Test(ids, derived_and_message_namespaces_differ)
{
    char a[SB_UUID_STRLEN], b[SB_UUID_STRLEN];
    sb_ids_derived("x", "y", a);
    sb_ids_message_id("x", "y", b);
    cr_assert_str_neq(a, b);
}

Test(ids, ticket_number_format)
{
    char out[32];
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 20261122, 123), 18);
    cr_assert_str_eq(out, "WX-20261122-000123");
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "PH", 20240229, 1234567), 19);
    cr_assert_str_eq(out, "PH-20240229-1234567");
}

Test(ids, ticket_number_format_rejects_bad_arguments)
{
    char out[32];
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 20261122, 0), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 20261122, -5), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "wx", 20261122, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WXY", 20261122, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, NULL, 20261122, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 20260230, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 20251301, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, sizeof out, "WX", 999, 1), -1);
    cr_assert_eq(sb_ticket_number_format(out, 18, "WX", 20261122, 1), -1);  /* no room for NUL */
    cr_assert_eq(sb_ticket_number_format(out, 19, "WX", 20261122, 1), 18);
}

Test(ids, ticket_number_parse_round_trip)
{
    char code[3];
    int date;
    int64_t serial;
    cr_assert_eq(sb_ticket_number_parse("WX-20261122-000123", code, &date, &serial), 0);
    cr_assert_str_eq(code, "WX");
    cr_assert_eq(date, 20261122);
    cr_assert_eq(serial, 123);
    cr_assert_eq(sb_ticket_number_parse("MP-20240229-12345678", code, &date, &serial), 0);
    cr_assert_eq(serial, 12345678);
}

Test(ids, ticket_number_parse_rejects_malformed)
{
    const char *bad[] = {
        "",
        "wx-20261122-000123",   /* lowercase code */
        "W1-20261122-000123",
        "WX20261122-000123",
        "WX-2026112-0000123",   /* 7-digit date */
        "WX-20261322-000123",   /* month 13 */
        "WX-20260230-000123",   /* 30 February */
        "WX-2026112a-000123",
        "WX-20261122-000000",   /* serial 0 */
        "WX-20261122-00123",    /* fewer than 6 digits */
        "WX-20261122-0001234",  /* non-canonical padding */
        "WX-20261122-000123x",  /* trailing junk */
        "WX-20261122-000123 ",
        "WX-20261122-+00123",
        "WX-20261122-99999999999999999999",  /* overflows int64 */
        "WX-20261122_000123",
    };
    char code[3];
    int date;
    int64_t serial;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(sb_ticket_number_parse(bad[i], code, &date, &serial), -1, "accepted '%s'",
                     bad[i]);
    cr_assert_eq(sb_ticket_number_parse(NULL, code, &date, &serial), -1);
}
