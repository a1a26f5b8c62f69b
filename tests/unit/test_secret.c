/* test_secret.c - generated secrets are 64 hex digits and never repeat; their stored form is
 * the standard hex SHA-256, the one ingest compares presented keys with. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/auth.h"
#include "common/secret.h"

Test(secret, sha256_hex_is_the_standard_digest)
{
    char h[65];
    sb_secret_sha256_hex("abc", h);
    cr_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sb_secret_sha256_hex("", h);
    cr_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char t[65];
    sb_auth_token_hash("abc", t);
    cr_assert_str_eq(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     "desk's tokens are hashed the same way");
}

Test(secret, generated_secrets_are_hex_and_fresh)
{
    char a[SB_SECRET_HEX_LEN + 1], b[SB_SECRET_HEX_LEN + 1];
    cr_assert_eq(sb_secret_generate(a), 0);
    cr_assert_eq(sb_secret_generate(b), 0);
    cr_assert_eq(strlen(a), 64);
    cr_assert_eq(strspn(a, "0123456789abcdef"), 64, "lower-case hex: %s", a);
    cr_assert_str_neq(a, b, "32 random bytes never repeat");
}
