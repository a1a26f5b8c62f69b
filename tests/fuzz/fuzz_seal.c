/* fuzz_seal.c - sealed contacts from events: sb_unseal on garbage, seal/unseal round trip, tampering refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/seal.h"

/* The seeds in corpus/seal/ that open were sealed under sb_seal_key(FUZZ_SEAL_SECRET). */
#define FUZZ_SEAL_SECRET "fuzz-customer-key-secret"

#define FUZZ_NAME "fuzz_seal"
#include "tests/fuzz/fuzz.h"

static unsigned char key[32], other_key[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sb_seal_key(FUZZ_SEAL_SECRET, key);
    sb_seal_key("another secret", other_key);
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 1. The input as a contact_sealed string from an event: opens or is refused, safely. */
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    size_t n = (size_t)-1;
    char *plain = sb_unseal(key, s, &n);
    if (plain) {
        CHECK(n != (size_t)-1 && plain[n] == '\0', "unsealed text not terminated");
        CHECK(strlen(s) % 4 == 0 && strlen(s) >= 4 * ((12 + 16 + 2) / 3),
              "opened a box too short to hold nonce and tag");
        CHECK(sb_unseal(other_key, s, NULL) == NULL, "opened with the wrong key");
        free(plain);
    }

    /* 2. The input as a plaintext: sealing it and unsealing gives it back. */
    char *sealed = sb_seal(key, (const char *)data, size);
    CHECK(sealed, "cannot seal %zu bytes", size);
    plain = sb_unseal(key, sealed, &n);
    CHECK(plain && n == size && memcmp(plain, data, size) == 0, "round trip of %zu bytes", size);
    free(plain);

    /* 3. Any one character changed (another base64 digit, or '=') is refused. */
    size_t len = strlen(sealed);
    size_t pos = size ? (data[0] * 31u + data[size - 1]) % len : len / 2;
    char was = sealed[pos];
    const char *p = strchr(b64, was);
    sealed[pos] = p ? b64[(size_t)(p - b64 + 1 + size % 63) % 64] : 'A';
    if (sealed[pos] == was)
        sealed[pos] = '=';
    CHECK(sb_unseal(key, sealed, NULL) == NULL, "a tampered box opened (position %zu)", pos);
    sealed[pos] = was;
    free(sealed);
    free(s);
    return 0;
}
