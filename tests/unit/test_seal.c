/* test_seal.c - AES-256-GCM sealing: round trips, fresh nonces, tamper and key detection. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/seal.h"

Test(seal, key_is_sha256_of_secret)
{
    unsigned char k[32];
    sb_seal_key("", k);
    /* SHA-256 of the empty string starts e3b0c442 */
    cr_assert_eq(k[0], 0xe3);
    cr_assert_eq(k[1], 0xb0);
    cr_assert_eq(k[2], 0xc4);
    cr_assert_eq(k[3], 0x42);
}

Test(seal, round_trip)
{
    unsigned char k[32];
    sb_seal_key("secret", k);
    const char *plain = "{\"name\":\"\xe5\xbc\xa0\xe4\xb8\x89\",\"phone\":\"13812345678\"}";
    char *sealed = sb_seal(k, plain, strlen(plain));
    cr_assert_not_null(sealed);
    cr_assert_null(strstr(sealed, "13812345678"));
    size_t len = 0;
    char *back = sb_unseal(k, sealed, &len);
    cr_assert_not_null(back);
    cr_assert_eq(len, strlen(plain));
    cr_assert_str_eq(back, plain);
    free(back);
    free(sealed);
}

Test(seal, round_trip_all_padding_lengths_and_binary)
{
    unsigned char k[32], plain[64];
    sb_seal_key("secret", k);
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (unsigned char)(i * 37);   /* includes NUL bytes */
    for (size_t n = 0; n <= sizeof plain; n++) {
        char *sealed = sb_seal(k, (const char *)plain, n);
        cr_assert_not_null(sealed);
        cr_assert_eq(strlen(sealed), 4 * ((12 + n + 16 + 2) / 3));
        size_t len = 99;
        char *back = sb_unseal(k, sealed, &len);
        cr_assert_not_null(back, "n=%zu", n);
        cr_assert_eq(len, n);
        cr_assert_eq(memcmp(back, plain, n), 0);
        cr_assert_eq(back[n], '\0');
        free(back);
        free(sealed);
    }
}

Test(seal, nonce_is_fresh_each_time)
{
    unsigned char k[32];
    sb_seal_key("secret", k);
    char *a = sb_seal(k, "same", 4), *b = sb_seal(k, "same", 4);
    cr_assert_str_neq(a, b);
    free(a);
    free(b);
}

Test(seal, wrong_key_fails)
{
    unsigned char k1[32], k2[32];
    sb_seal_key("one", k1);
    sb_seal_key("two", k2);
    char *sealed = sb_seal(k1, "hello", 5);
    size_t len;
    cr_assert_null(sb_unseal(k2, sealed, &len));
    free(sealed);
}

Test(seal, any_flipped_character_fails)
{
    unsigned char k[32];
    sb_seal_key("secret", k);
    char *sealed = sb_seal(k, "contact details", 15);
    size_t n = strlen(sealed);
    for (size_t i = 0; i < n; i++) {
        char *copy = strdup(sealed);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        size_t len;
        char *back = sb_unseal(k, copy, &len);
        cr_assert_null(back, "tampering at %zu went unnoticed", i);
        free(copy);
    }
    free(sealed);
}

Test(seal, non_canonical_base64_fails)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char k[32];
    sb_seal_key("secret", k);
    /* 12 + 15 + 16 = 43 bytes: the last data character carries 4 unused bits before "==". */
    char *sealed = sb_seal(k, "contact details", 15);
    size_t n = strlen(sealed), len;
    cr_assert_str_eq(sealed + n - 2, "==");
    int idx = (int)(strchr(alphabet, sealed[n - 3]) - alphabet);
    sealed[n - 3] = alphabet[idx ^ 1];   /* same decoded bytes, different text */
    cr_assert_null(sb_unseal(k, sealed, &len));
    free(sealed);
}

Test(seal, truncated_or_malformed_input_fails)
{
    unsigned char k[32];
    sb_seal_key("secret", k);
    char *sealed = sb_seal(k, "hello", 5);
    size_t len;
    char *cut = strndup(sealed, strlen(sealed) - 4);
    cr_assert_null(sb_unseal(k, cut, &len));
    const char *bad[] = {"", "abc", "!!!!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(sb_unseal(k, bad[i], &len), "accepted '%s'", bad[i]);
    cr_assert_null(sb_unseal(k, NULL, &len));
    free(cut);
    free(sealed);
}
