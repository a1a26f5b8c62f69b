/* test_mask.c - masks of phone/e-mail/id/name and the keyed customer identity. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/mask.h"

/* Runs a mask into a fresh buffer and returns it (static: one result at a time). */
static const char *masked(int (*fn)(const char *, char *, size_t), const char *in)
{
    static char out[128];
    memset(out, '#', sizeof out);
    cr_assert_eq(fn(in, out, sizeof out), 0, "mask failed for '%s'", in ? in : "(null)");
    return out;
}

Test(mask, phone_eleven_digits)
{
    cr_assert_str_eq(masked(sb_mask_phone, "13812345678"), "138****5678");
    cr_assert_str_eq(masked(sb_mask_phone, "138-1234-5678"), "138****5678");
}

Test(mask, phone_with_country_code_uses_last_eleven_digits)
{
    cr_assert_str_eq(masked(sb_mask_phone, "+86 138-1234-5678"), "138****5678");
    cr_assert_str_eq(masked(sb_mask_phone, "0086 13812345678"), "138****5678");
}

Test(mask, phone_short_numbers)
{
    cr_assert_str_eq(masked(sb_mask_phone, "12345678"), "****78");
    cr_assert_str_eq(masked(sb_mask_phone, "(0) 955-88"), "****88");
    /* Two digits or fewer would reveal the whole number. */
    cr_assert_str_eq(masked(sb_mask_phone, "12"), "****");
    cr_assert_str_eq(masked(sb_mask_phone, "no digits"), "****");
}

Test(mask, empty_input_gives_empty_output)
{
    cr_assert_str_eq(masked(sb_mask_phone, ""), "");
    cr_assert_str_eq(masked(sb_mask_email, ""), "");
    cr_assert_str_eq(masked(sb_mask_id, ""), "");
    cr_assert_str_eq(masked(sb_mask_name, ""), "");
    cr_assert_str_eq(masked(sb_mask_name, NULL), "");
}

Test(mask, email)
{
    cr_assert_str_eq(masked(sb_mask_email, "zhang@example.com"), "z***@example.com");
    cr_assert_str_eq(masked(sb_mask_email, "a@b.cn"), "a***@b.cn");
    cr_assert_str_eq(masked(sb_mask_email, "\xe5\xbc\xa0@example.com"), "\xe5\xbc\xa0***@example.com");
}

Test(mask, email_invalid)
{
    cr_assert_str_eq(masked(sb_mask_email, "not-an-email"), "***");
    cr_assert_str_eq(masked(sb_mask_email, "@example.com"), "***");
    cr_assert_str_eq(masked(sb_mask_email, "zhang@"), "***");
    cr_assert_str_eq(masked(sb_mask_email, "\xff\xfe@example.com"), "***");
}

Test(mask, id_shows_only_last_two_characters)
{
    cr_assert_str_eq(masked(sb_mask_id, "110101199003078886"), "ID-\xe2\x80\xa6" "86");
    cr_assert_str_eq(masked(sb_mask_id, "abc"), "ID-\xe2\x80\xa6" "bc");
    /* Multi-byte: the last two characters, never a split one. */
    cr_assert_str_eq(masked(sb_mask_id, "x\xe5\xbc\xa0\xe4\xb8\x89"), "ID-\xe2\x80\xa6\xe5\xbc\xa0\xe4\xb8\x89");
    cr_assert_str_eq(masked(sb_mask_id, "86"), "ID-\xe2\x80\xa6");
}

Test(mask, name_keeps_first_utf8_character)
{
    cr_assert_str_eq(masked(sb_mask_name, "\xe5\xbc\xa0\xe4\xb8\x89"), "\xe5\xbc\xa0**");  /* 张三 -> 张** */
    cr_assert_str_eq(masked(sb_mask_name, "Alice"), "A**");
    cr_assert_str_eq(masked(sb_mask_name, "\xf0\x9f\x98\x80x"), "\xf0\x9f\x98\x80**");   /* 4-byte */
    cr_assert_str_eq(masked(sb_mask_name, "  Bob"), "B**");
}

Test(mask, name_with_invalid_utf8)
{
    cr_assert_str_eq(masked(sb_mask_name, "\xe5\xbc"), "***");       /* cut sequence */
    cr_assert_str_eq(masked(sb_mask_name, "\xc0\xaf"), "***");       /* overlong '/' */
    cr_assert_str_eq(masked(sb_mask_name, "\xed\xa0\x80"), "***");   /* surrogate */
    cr_assert_str_eq(masked(sb_mask_name, "\x01name"), "***");
}

Test(mask, too_small_buffer_fails)
{
    char out[8];
    cr_assert_eq(sb_mask_phone("13812345678", out, sizeof out), -1);
    cr_assert_eq(sb_mask_phone("13812345678", out, 0), -1);
    cr_assert_eq(sb_mask_email("zhang@example.com", out, sizeof out), -1);
    cr_assert_eq(sb_mask_id("123456", out, 7), -1);
    cr_assert_eq(sb_mask_name("\xe5\xbc\xa0", out, 5), -1);
    cr_assert_eq(sb_mask_name("\xe5\xbc\xa0", out, 6), 0);
    cr_assert_str_eq(out, "\xe5\xbc\xa0**");
}

#define SECRET "switchboard-dev-secret"

Test(mask, customer_key_matches_reference_hmac)
{
    char key[65];
    /* Python: hmac.new(SECRET, b"phone:+8613812345678", sha256).hexdigest() */
    cr_assert_eq(sb_customer_key(SECRET, "web", "u1", "+86 138-1234-5678", NULL, key), 0);
    cr_assert_str_eq(key, "3aa46f1f8755c4574fd1738aa561b40e114defa6a14795a4576355ae13a4b290");
    cr_assert_eq(sb_customer_key(SECRET, "web", "u1", NULL, "Zhang@Example.COM ", key), 0);
    cr_assert_str_eq(key, "55bb8e0f1ce65df38b11014c926fe1d7c856304acc7b452a4332ee3f7fd9d569");
    cr_assert_eq(sb_customer_key(SECRET, "wechat", "oX12", "", "", key), 0);
    cr_assert_str_eq(key, "2f1b8da9be5a72ad86b0bd69903cdf3f334cfacb94330280246f12ac14ec3867");
}

Test(mask, customer_key_normalises_phone_and_prefers_it)
{
    char a[65], b[65], c[65];
    cr_assert_eq(sb_customer_key(SECRET, "web", "u1", "+8613812345678", "x@y.z", a), 0);
    cr_assert_eq(sb_customer_key(SECRET, "app", "u9", "+86 (138) 1234 5678", NULL, b), 0);
    cr_assert_str_eq(a, b);
    /* Without the '+' it is another identity. */
    cr_assert_eq(sb_customer_key(SECRET, "app", "u9", "8613812345678", NULL, c), 0);
    cr_assert_str_neq(a, c);
}

Test(mask, customer_key_kinds_never_collide)
{
    char a[65], b[65];
    /* The same text as an e-mail and as a channel id must differ. */
    cr_assert_eq(sb_customer_key(SECRET, NULL, NULL, NULL, "web:x", a), 0);
    cr_assert_eq(sb_customer_key(SECRET, "web", "x", NULL, NULL, b), 0);
    cr_assert_str_neq(a, b);
}

Test(mask, customer_key_depends_on_secret)
{
    char a[65], b[65];
    cr_assert_eq(sb_customer_key("one", NULL, NULL, "13812345678", NULL, a), 0);
    cr_assert_eq(sb_customer_key("two", NULL, NULL, "13812345678", NULL, b), 0);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strlen(a), 64);
    cr_assert_eq(strspn(a, "0123456789abcdef"), 64);
}

Test(mask, customer_key_without_identity_fails)
{
    char key[65];
    cr_assert_eq(sb_customer_key(SECRET, NULL, NULL, NULL, NULL, key), -1);
    cr_assert_eq(sb_customer_key(SECRET, "web", "", "", "", key), -1);
    cr_assert_eq(sb_customer_key(SECRET, "", "u1", "no digits", "  ", key), -1);
    cr_assert_eq(sb_customer_key(NULL, "web", "u1", NULL, NULL, key), -1);
}
